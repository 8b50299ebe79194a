r"""Pooling layers: max and mean over windows, and their backward passes.

Derived in chapter "Pooling". The backward pass of mean pooling spreads each
delta evenly over its window (the "upscaling" of the error); that of max pooling
routes each delta to the position that won the forward maximum. On a tie the
first winner in row-major order takes it all, as in PyTorch. Windows may overlap
(stride < size); where they do, the contributions add up. Rows and columns that
no whole window reaches are dropped in the forward pass and get a zero gradient.
A NaN in a window makes its maximum NaN and the backward pass routes that
window's delta to its last NaN in row-major order, both as in PyTorch's max
pooling (whose scan lets every NaN replace the maximum so far).

How it is computed: every pass walks the window offsets over strided slices of
the input, never copying a window. Small windows are reduced in one step, one
whole-array operation per offset; large ones in two (each row of the window,
then across the rows), ``kH + kW`` operations instead of ``kH * kW``. The
backward pass of max pooling, for small windows, compares each window offset
with the pooled maxima and hands every delta to the first offset that holds
its window's maximum; for large ones it finds each window's winner in the
two steps above and adds every delta onto its winner in one ``np.bincount``.
Memory stays a few times the size of the input and output, whatever the
window size.
"""

import numpy as np

from ._checks import (
    POOL_MODES,
    as_real_array,
    check_flag,
    check_ndim,
    pair,
    result_dtype,
)

__all__ = ["pool_forward", "pool_backward"]


def _setup(o_prev, size, stride, mode):
    o_prev = as_real_array(o_prev, "o_prev")
    check_ndim(o_prev, "o_prev", (3, 4), "(N, C, H, W) or (C, H, W)")
    check_flag(mode, "mode", POOL_MODES)
    kH, kW = pair(size, "size", 1)
    sH, sW = (kH, kW) if stride is None else pair(stride, "stride", 1)
    H, W = o_prev.shape[-2:]
    if kH > H or kW > W:
        raise ValueError(
            f"the pooling window size {(kH, kW)} is larger than the input's (H, W) = {(H, W)}"
        )
    Ho, Wo = (H - kH) // sH + 1, (W - kW) // sW + 1
    return o_prev, kH, kW, sH, sW, Ho, Wo


def _taps(x, axis, k, s, n):
    """The k strided slices ``x[..., t : t + (n - 1) * s + 1 : s]`` along ``axis`` (-1 or -2), t < k."""
    for t in range(k):
        index = [slice(None)] * x.ndim
        index[axis] = slice(t, t + (n - 1) * s + 1, s)
        yield t, x[tuple(index)]


def _separable(kH, kW, sH, Ho, Wo):
    """Whether reducing rows, then columns, takes fewer operations than one offset at a time."""
    Hu = (Ho - 1) * sH + kH
    return kW * Hu * Wo + kH * Ho * Wo < kH * kW * Ho * Wo


def _reduce(x, k, s, n, axis, mode):
    """Max or sum of the k slices of :func:`_taps`, in a new array."""
    out = None
    for _, tap in _taps(x, axis, k, s, n):
        if out is None:
            out = tap.copy()
        elif mode == "max":
            np.maximum(out, tap, out=out)
        else:
            out += tap
    return out


def _first_max(x, k, s, n, axis, nan):
    """Max of the k slices of :func:`_taps` and the first slice holding it.

    With ``nan`` (``x`` holds a NaN somewhere), a NaN beats every number and
    the *last* NaN wins, as in PyTorch's max pooling.
    """
    best = arg = None
    for t, tap in _taps(x, axis, k, s, n):
        if best is None:
            best = tap.copy()
            arg = np.zeros(best.shape, dtype=np.min_scalar_type(k - 1))
            continue
        take = np.greater(tap, best)
        if nan:
            take |= np.isnan(tap)
        np.copyto(best, tap, where=take)
        np.copyto(arg, t, where=take)
    return best, arg


def pool_forward(o_prev, size, *, stride=None, mode="max"):
    r"""Max or mean pooling over ``size`` windows, channel by channel.

    .. math:: o_m(x, y) = \max_{0 \le p < k_H,\; 0 \le q < k_W} o^{l-1}_m(s_H x + p,\, s_W y + q)

    (or the mean of the same window). Derived in chapter "Pooling".

    Parameters
    ----------
    o_prev : array_like, shape (N, C, H, W) or (C, H, W)
    size : int or (int, int)
        Window ``(kH, kW)``.
    stride : int or (int, int), optional
        Step between windows; defaults to ``size`` (windows that tile the input).
    mode : {'max', 'mean'}

    Returns
    -------
    o : ndarray, shape (N, C, H_out, W_out) or (C, H_out, W_out)
        ``H_out = (H - kH) // sH + 1``, likewise ``W_out``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[[1., 2., 0., 1.], [3., 4., 1., 1.], [0., 0., 5., 2.], [1., 0., 2., 2.]]])
    >>> pool_forward(x, 2)
    array([[[4., 1.],
            [1., 5.]]])
    >>> pool_forward(x, 2, mode="mean")
    array([[[2.5 , 0.75],
            [0.25, 2.75]]])
    """
    o_prev, kH, kW, sH, sW, Ho, Wo = _setup(o_prev, size, stride, mode)
    if _separable(kH, kW, sH, Ho, Wo):
        # Each window row first (shape (..., Hu, Wo)), then across the kH rows.
        rows = _reduce(
            o_prev[..., : (Ho - 1) * sH + kH, :], kW, sW, Wo, -1, mode
        )
        out = _reduce(rows, kH, sH, Ho, -2, mode)
    else:
        # One elementwise maximum (or sum) per window offset over strided slices:
        # kH * kW whole-array operations, much faster than reducing a window view.
        out = None
        for _p, band in _taps(o_prev, -2, kH, sH, Ho):
            for _q, tap in _taps(band, -1, kW, sW, Wo):
                if out is None:
                    out = tap.copy()
                elif mode == "max":
                    np.maximum(out, tap, out=out)
                else:
                    out += tap
    if mode == "mean":
        out /= kH * kW
    return out


def pool_backward(delta, o_prev, size, *, stride=None, mode="max"):
    r"""Gradient of pooling with respect to its input.

    Mean pooling: every pixel of a window gets ``δ / (k_H k_W)``.
    Max pooling: the first maximal pixel of each window gets *δ*,
    the others nothing; in a window holding a NaN, its last NaN (as in
    PyTorch). Overlapping windows add their contributions. Derived in
    chapter "Pooling".

    Parameters
    ----------
    delta : array_like, shape (N, C, H_out, W_out) or (C, H_out, W_out)
        ``∂E / ∂o``, shaped like :func:`pool_forward`'s output.
    o_prev : array_like, shape (N, C, H, W) or (C, H, W)
        The forward pass's input (max pooling needs it to find the winners).
    size, stride, mode
        As given to :func:`pool_forward`.

    Returns
    -------
    dE_do_prev : ndarray, shaped like ``o_prev``

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[[1., 2.], [3., 4.]]])
    >>> pool_backward(np.array([[[8.]]]), x, 2)
    array([[[0., 0.],
            [0., 8.]]])
    >>> pool_backward(np.array([[[8.]]]), x, 2, mode="mean")
    array([[[2., 2.],
            [2., 2.]]])
    """
    o_prev, kH, kW, sH, sW, Ho, Wo = _setup(o_prev, size, stride, mode)
    delta = as_real_array(delta, "delta")
    expected = o_prev.shape[:-2] + (Ho, Wo)
    if delta.shape != expected:
        raise ValueError(
            f"delta must have the shape of the pooled output, {expected}, got shape {delta.shape}"
        )
    dtype = result_dtype(o_prev, delta)
    if mode == "max" and not _separable(kH, kW, sH, Ho, Wo):
        return _max_backward_taps(delta, o_prev, kH, kW, sH, sW, Ho, Wo, dtype)
    if mode == "max":
        return _max_backward(delta, o_prev, kH, kW, sH, sW, Ho, Wo).astype(
            dtype, copy=False
        )
    d = delta.astype(dtype, copy=False) / (kH * kW)
    grad = np.zeros(o_prev.shape, dtype=dtype)
    if _separable(kH, kW, sH, Ho, Wo):
        # The transpose of the forward's two steps: spread down the kH rows, then along each row.
        rows = np.zeros(
            o_prev.shape[:-2] + ((Ho - 1) * sH + kH, Wo), dtype=dtype
        )
        for _, band in _taps(rows, -2, kH, sH, Ho):
            band += d
        for _, tap in _taps(grad[..., : rows.shape[-2], :], -1, kW, sW, Wo):
            tap += rows
    else:
        for _, band in _taps(grad, -2, kH, sH, Ho):
            for _, tap in _taps(band, -1, kW, sW, Wo):
                tap += d
    return grad


def _max_backward_taps(delta, o_prev, kH, kW, sH, sW, Ho, Wo, dtype):
    """Max backward for small windows: one comparison per window offset.

    The offsets are visited in row-major order; each window's delta goes to
    the first offset whose value equals the window's maximum, and is then
    marked as routed. A window whose maximum is NaN equals none of its
    values; its delta goes to its last NaN, found by visiting the offsets
    once more in reverse order. Overlapping windows add up; windows that do
    not overlap (stride >= size) write each pixel once.
    """
    m = pool_forward(o_prev, (kH, kW), stride=(sH, sW), mode="max")
    nan = bool(np.isnan(m).any())
    overlap = sH < kH or sW < kW
    d = delta.astype(dtype, copy=False)
    grad = np.zeros(o_prev.shape, dtype=dtype)
    free = np.ones(m.shape, dtype=bool)
    hit = np.empty(m.shape, dtype=bool)
    offsets = [
        (tap, g_tap)
        for (_, band), (_, g_band) in zip(
            _taps(o_prev, -2, kH, sH, Ho),
            _taps(grad, -2, kH, sH, Ho),
            strict=True,
        )
        for (_, tap), (_, g_tap) in zip(
            _taps(band, -1, kW, sW, Wo),
            _taps(g_band, -1, kW, sW, Wo),
            strict=True,
        )
    ]
    # Windows whose maximum is a number, then those whose maximum is NaN, with
    # the offsets in reverse: their first hit there is their last NaN.
    passes = [(offsets, lambda tap: np.equal(tap, m, out=hit))]
    if nan:
        passes.append((offsets[::-1], lambda tap: np.isnan(tap, out=hit)))
    for i, (visit, matches) in enumerate(passes):
        for tap, g_tap in visit:
            matches(tap)
            hit &= free
            free ^= hit  # hit is a subset of free: routed windows leave it
            if overlap or i:
                g_tap += np.where(hit, d, 0)
            else:  # the first pass writes every pixel once
                g_tap[...] = np.where(hit, d, 0)
    return grad


def _max_backward(delta, o_prev, kH, kW, sH, sW, Ho, Wo):
    """Every delta added onto the first maximum of its window (row-major order), in float64."""
    # The first maximum in row-major order: the first maximal row of the window,
    # and within it the first maximal column.
    nan = bool(np.isnan(o_prev).any())
    rows, col_in_row = _first_max(
        o_prev[..., : (Ho - 1) * sH + kH, :], kW, sW, Wo, -1, nan
    )
    _, p = _first_max(rows, kH, sH, Ho, -2, nan)
    del rows
    i = (
        np.arange(Ho)[:, None] * sH + p
    )  # the winner's row in o_prev, shape (..., Ho, Wo)
    q = np.take_along_axis(col_in_row, i, axis=-2)
    del col_in_row
    H, W = o_prev.shape[-2:]
    lead = int(np.prod(o_prev.shape[:-2], dtype=np.int64))
    flat = np.arange(lead, dtype=np.intp).reshape(
        o_prev.shape[:-2] + (1, 1)
    ) * (H * W)
    flat = (
        flat + i * W + (np.arange(Wo) * sW + q)
    )  # the winner's flat index in o_prev
    grad = np.bincount(
        flat.ravel(), weights=delta.ravel(), minlength=o_prev.size
    )
    return grad.reshape(o_prev.shape)
