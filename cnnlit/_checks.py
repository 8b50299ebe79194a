"""Input validation shared by the public functions.

Every public function checks its arguments here, so that bad input fails at
the entry with a message that names the argument, says what was expected and
shows what arrived.
"""

import numbers

import numpy as np

BOUNDARIES = ("fill", "wrap", "symm")
MODES = ("valid", "same", "full")
CONVENTIONS = ("convolution", "correlation")
POOL_MODES = ("max", "mean")
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def as_real_array(a, name):
    """Return ``a`` as a plain float32 or float64 ndarray, rejecting anything else.

    float32 stays float32, float64 stays float64; integers, booleans and
    float16 are computed in float64. Subclasses of ndarray (``np.matrix``,
    masked arrays, ...) become plain arrays holding the same numbers, as in
    scipy.signal: a matrix's ``*`` and ``**`` are matrix products, and its
    reductions keep two dimensions. The input is never modified (a view or the
    same array may be returned, so callers must not write into the result).
    """
    try:
        arr = np.asarray(
            a
        )  # a view of an ndarray subclass's data as a plain ndarray
    except (ValueError, TypeError) as exc:  # ragged nested lists
        raise TypeError(
            f"{name} must be a real numeric array; could not convert it: {exc}"
        ) from None
    kind = arr.dtype.kind
    if kind == "c":
        raise TypeError(
            f"{name} must be real-valued, got a complex array (dtype {arr.dtype})"
        )
    if kind not in "biuf":
        raise TypeError(
            f"{name} must be a real numeric array, got dtype {arr.dtype}"
        )
    if arr.dtype in (np.float32, np.float64):
        return arr
    return arr.astype(np.float64)


def result_dtype(*arrays):
    """float32 only when every array is float32, else float64."""
    return np.result_type(*arrays)


def check_ndim(arr, name, ndims, described):
    """Refuse ``arr`` unless it has one of the numbers of dimensions ``ndims``.

    ``described`` is the expected shape in words, e.g. ``"(N, C, H, W)"``.
    """
    if arr.ndim not in ndims:
        raise ValueError(
            f"{name} must have shape {described}, got shape {arr.shape} ({arr.ndim} dimensions)"
        )


def check_flag(value, name, accepted):
    """``value`` if it is one of the strings ``accepted``, else a ValueError listing them."""
    if not isinstance(value, str) or value not in accepted:
        raise ValueError(
            f"{name} must be one of {', '.join(repr(v) for v in accepted)}; got {value!r}"
        )
    return value


def check_int(value, name, minimum, maximum=None):
    """``value`` as an int (bools refused), at least ``minimum`` and at most ``maximum`` if given."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value!r}")
    return int(value)


def pair(value, name, minimum):
    """An int or a pair of ints, each at least ``minimum``, as a tuple of 2."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        values = (int(value), int(value))
    elif (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool)
            for v in value
        )
    ):
        values = (int(value[0]), int(value[1]))
    else:
        raise TypeError(
            f"{name} must be an int or a pair of ints, got {value!r}"
        )
    if min(values) < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return values


def check_real(
    value, name, *, low=None, high=None, low_open=False, high_open=False
):
    """``value`` as a finite float (bools refused), within the given bounds.

    ``low`` and ``high`` are included unless ``low_open`` / ``high_open``; NaN
    and infinities are refused whatever the bounds.
    """
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (
        value >= high if high_open else value > high
    )
    if not np.isfinite(value) or too_low or too_high:
        bounds = []
        if low is not None:
            bounds.append(f"{'>' if low_open else '>='} {low:g}")
        if high is not None:
            bounds.append(f"{'<' if high_open else '<='} {high:g}")
        raise ValueError(
            f"{name} must be a finite number {' and '.join(bounds)}".rstrip()
            + f", got {value!r}"
        )
    return value


def check_float_dtype(dtype, name="dtype"):
    """``dtype`` as ``np.dtype('float32')`` or ``np.dtype('float64')``; anything else is refused."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(
            f"{name} must be float32 or float64, got {dtype!r}"
        ) from None
    if dt not in FLOAT_DTYPES:
        raise ValueError(f"{name} must be float32 or float64, got {dt}")
    return dt


def check_rng(rng, name="rng"):
    """``rng`` if it is a ``numpy.random.Generator``."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{name} must be a numpy.random.Generator (e.g. np.random.default_rng(0)), got {type(rng).__name__}"
        )
    return rng


def check_labels(labels, name="labels", *, N=None, K=None):
    """Integer class indices as an array of shape (N,), each in ``[0, K - 1]``.

    ``N`` (the batch size) and ``K`` (the number of classes) are checked when given.
    """
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(
            f"{name} must be integer class indices, got dtype {labels.dtype}"
        )
    if labels.ndim != 1 or (N is not None and labels.shape[0] != N):
        expected = "(N,)" if N is None else f"(N,) = ({N},)"
        raise ValueError(
            f"{name} must have shape {expected}, got shape {labels.shape}"
        )
    if (
        K is not None
        and labels.size
        and (labels.min() < 0 or labels.max() >= K)
    ):
        raise ValueError(
            f"{name} must lie in [0, {K - 1}], got values from {labels.min()} to {labels.max()}"
        )
    return labels
