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

# np.pad's names for the boundary flags (scipy.signal's vocabulary).
NP_PAD_MODE = {"fill": "constant", "wrap": "wrap", "symm": "symmetric"}


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
        arr = np.asarray(a)  # a view of an ndarray subclass's data as a plain ndarray
    except (ValueError, TypeError) as exc:  # ragged nested lists
        raise TypeError(f"{name} must be a real numeric array; could not convert it: {exc}") from None
    kind = arr.dtype.kind
    if kind == "c":
        raise TypeError(f"{name} must be real-valued, got a complex array (dtype {arr.dtype})")
    if kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    if arr.dtype in (np.float32, np.float64):
        return arr
    return arr.astype(np.float64)


def result_dtype(*arrays):
    """float32 only when every array is float32, else float64."""
    return np.result_type(*arrays)


def check_ndim(arr, name, ndims, described):
    if arr.ndim not in ndims:
        raise ValueError(f"{name} must have shape {described}, got shape {arr.shape} ({arr.ndim} dimensions)")


def check_flag(value, name, accepted):
    if not isinstance(value, str) or value not in accepted:
        raise ValueError(f"{name} must be one of {', '.join(repr(v) for v in accepted)}; got {value!r}")
    return value


def check_int(value, name, minimum):
    """``value`` as an int (bools refused), at least ``minimum``."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return int(value)


def pair(value, name, minimum):
    """An int or a pair of ints, each at least ``minimum``, as a tuple of 2."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        values = (int(value), int(value))
    elif (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value)
    ):
        values = (int(value[0]), int(value[1]))
    else:
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    if min(values) < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return values


def pad(x, ph, pw, boundary, fillvalue=0.0):
    """Pad the last two axes of ``x`` by ``ph`` rows and ``pw`` columns on each side."""
    if ph == 0 and pw == 0:
        return x
    width = [(0, 0)] * (x.ndim - 2) + [(ph, ph), (pw, pw)]
    if boundary == "fill":
        return np.pad(x, width, mode="constant", constant_values=fillvalue)
    return np.pad(x, width, mode=NP_PAD_MODE[boundary])


def pad_adjoint(g, ph, pw, boundary, H, W):
    """The transpose of :func:`pad`: fold a gradient of the padded array back.

    With ``fill`` the padding was a constant, so its gradient is dropped; with
    ``wrap`` and ``symm`` every padded pixel is a copy of an interior one, and
    its gradient is added onto that pixel.
    """
    if ph == 0 and pw == 0:
        return g
    if boundary == "fill":
        return g[..., ph : ph + H, pw : pw + W].copy()
    mode = NP_PAD_MODE[boundary]
    rows = np.pad(np.arange(H), ph, mode=mode)
    cols = np.pad(np.arange(W), pw, mode=mode)
    # Rows first: out_r[..., r, :] = sum of g[..., i, :] over padded rows i with rows[i] == r.
    out_r = g[..., ph : ph + H, :].copy()
    for i in list(range(ph)) + list(range(ph + H, H + 2 * ph)):
        out_r[..., rows[i], :] += g[..., i, :]
    out = out_r[..., pw : pw + W].copy()
    for j in list(range(pw)) + list(range(pw + W, W + 2 * pw)):
        out[..., cols[j]] += out_r[..., j]
    return out
