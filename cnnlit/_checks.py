"""Input validation shared by the public functions.

Every public function checks its arguments here, so that bad input fails at
the entry with a message that names the argument, says what was expected and
shows what arrived.
"""

import math
import numbers
import operator
import os

import numpy as np

BOUNDARIES = ("fill", "wrap", "symm")
MODES = ("valid", "same", "full")
CONVENTIONS = ("convolution", "correlation")
POOL_MODES = ("max", "mean")
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_FLOAT32, _FLOAT64 = FLOAT_DTYPES


def as_real_array(a, name):
    """Return ``a`` as a plain float32 or float64 ndarray, rejecting anything else.

    float32 stays float32, float64 stays float64; integers, booleans and
    float16 are computed in float64. Subclasses of ndarray (``np.matrix``,
    masked arrays, ...) become plain arrays holding the same numbers, as in
    scipy.signal: a matrix's ``*`` and ``**`` are matrix products, and its
    reductions keep two dimensions. The input is never modified (a view or the
    same array may be returned, so callers must not write into the result).
    """
    if type(a) is np.ndarray and (a.dtype is _FLOAT32 or a.dtype is _FLOAT64):
        return a  # the common case, without the slower checks below
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
    first = arrays[0].dtype
    for a in arrays:
        if a.dtype is not first:
            return np.result_type(*arrays)
    return first  # all alike: as np.result_type, faster


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


def _as_int(value):
    """``value`` as a Python int if it is an integer of any type (bools excluded), else None.

    numpy's integer scalars (``np.uint8(250)``, ``np.int16``, ...) overflow
    silently in arithmetic with small Python ints (``np.uint8(250) + 20`` is
    14), so every integer argument is converted here, before any comparison or
    arithmetic, and callers compute with the int this returns.
    """
    if type(value) is int:  # the common case, without the slower checks below
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, numbers.Integral
    ):
        return None
    return operator.index(value)


def check_int(value, name, minimum, maximum=None):
    """``value`` as a Python int (bools refused), at least ``minimum`` and at most ``maximum`` if given.

    Compute with the returned int, never with ``value``: a numpy integer
    (``np.uint8``, ``np.int16``, ...) would overflow in the caller's arithmetic.
    """
    converted = _as_int(value)
    if converted is None:
        raise TypeError(f"{name} must be an int, got {value!r}")
    if converted < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {converted!r}")
    if maximum is not None and converted > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {converted!r}")
    return converted


def pair(value, name, minimum):
    """An int or a pair of ints, each at least ``minimum``, as a tuple of 2 Python ints."""
    if _as_int(value) is not None:
        values = (_as_int(value),) * 2
    elif (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(_as_int(v) is not None for v in value)
    ):
        values = (_as_int(value[0]), _as_int(value[1]))
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
    shown = _shown(value)
    try:
        value = float(value)
    except OverflowError:  # an int beyond float's range, such as 10**400
        value = math.inf if value > 0 else -math.inf
    else:
        shown = repr(value)
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
            + f", got {shown}"
        )
    return value


def _shown(value):
    """``repr(value)``, or for an int too long to read, its sign and number of digits."""
    text = repr(value)
    if len(text) <= 40 or _as_int(value) is None:
        return text
    digits = len(str(abs(operator.index(value))))
    sign = "a negative" if value < 0 else "an"
    return f"{sign} int of {digits} digits (beyond a float's range)"


def _physical_memory():
    """Bytes of memory of this machine, or the largest size numpy can address if unknown."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not a POSIX system
        return int(np.iinfo(np.intp).max)


# No array larger than the machine's memory is ever planned: numpy would
# refuse it ("array is too big", "iterator is too large") or fail with a
# MemoryError, neither of which names the argument responsible.
_MEMORY = _physical_memory()


def _bytes(n):
    """``n`` bytes in binary units, e.g. ``'7.28 TiB'``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.3g} {unit}"
        n /= 1024
    raise AssertionError  # unreachable


def check_size(shape, itemsize, argument, what):
    """Refuse an array of ``shape`` larger than this machine's memory.

    ``argument`` names the argument (and its value) that asks for the array,
    ``what`` says what the array is; both go into the ValueError, with the
    shape and its size in bytes. Shapes are Python ints, so the product never
    overflows.

    Examples
    --------
    >>> check_size((2, 3), 8, "padding 1", "a padded input")
    >>> check_size((10**12, 10**12), 8, "padding 10**12", "a padded input")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: padding 10**12 implies a padded input of shape (1000000000000, 1000000000000), ...
    """
    nbytes = math.prod(int(n) for n in shape) * int(itemsize)
    if nbytes > _MEMORY:
        raise ValueError(
            f"{argument} implies {what} of shape {tuple(int(n) for n in shape)}, "
            f"{_bytes(nbytes)}: more than this machine's memory ({_bytes(_MEMORY)})"
        )


def check_padded_size(x, padding, name="padding"):
    """Refuse a ``padding`` whose padded copy of ``x`` (shape (..., H, W)) would not fit in memory.

    ``x`` is the argument as given (any array-like); when it has no shape yet
    (a ragged list) or fewer than two dimensions, the caller's own validation
    reports it, and nothing is checked here. Returns nothing.
    """
    if type(padding) is int and padding == 0:  # no copy larger than x
        return
    try:
        shape = np.shape(x)
    except ValueError:  # ragged nested lists
        return
    if len(shape) < 2:
        return
    ph, pw = pair(padding, name, 0)
    if ph == pw == 0:  # no copy larger than x
        return
    dtype = getattr(x, "dtype", None)
    itemsize = 4 if dtype == np.float32 else 8
    padded = tuple(shape[:-2]) + (shape[-2] + 2 * ph, shape[-1] + 2 * pw)
    check_size(padded, itemsize, f"{name} {(ph, pw)}", "a padded input")


def check_float_dtype(dtype, name="dtype"):
    """``dtype`` as ``np.dtype('float32')`` or ``np.dtype('float64')`` (``None``, as for numpy, is float64); anything else is refused."""
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
