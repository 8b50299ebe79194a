r"""Pooling layers: max and mean over windows, and their backward passes.

Derived in :ref:`pooling`. The backward pass of mean pooling spreads each delta
evenly over its window (the "upscaling" of the error); that of max pooling
routes each delta to the position that won the forward maximum. On a tie the
first winner in row-major order takes it all, as in PyTorch. Windows may
overlap (stride < size); where they do, the contributions add up. Rows and
columns that no whole window reaches are dropped in the forward pass and get
a zero gradient.
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ._checks import POOL_MODES, as_real_array, check_flag, pair, result_dtype

__all__ = ["pool_forward", "pool_backward"]


def _setup(o_prev, size, stride, mode):
    o_prev = as_real_array(o_prev, "o_prev")
    if o_prev.ndim not in (3, 4):
        raise ValueError(f"o_prev must have shape (N, C, H, W) or (C, H, W), got shape {o_prev.shape}")
    check_flag(mode, "mode", POOL_MODES)
    kH, kW = pair(size, "size", 1)
    sH, sW = (kH, kW) if stride is None else pair(stride, "stride", 1)
    H, W = o_prev.shape[-2:]
    if kH > H or kW > W:
        raise ValueError(f"the pooling window size {(kH, kW)} is larger than the input's (H, W) = {(H, W)}")
    Ho, Wo = (H - kH) // sH + 1, (W - kW) // sW + 1
    return o_prev, kH, kW, sH, sW, Ho, Wo


def _windows(x, kH, kW, sH, sW, Ho, Wo):
    """A read-only view of shape (..., Ho, Wo, kH, kW): the window of every output pixel."""
    *lead, sY, sX = x.strides
    return as_strided(
        x,
        shape=x.shape[:-2] + (Ho, Wo, kH, kW),
        strides=tuple(lead) + (sY * sH, sX * sW, sY, sX),
        writeable=False,
    )


def pool_forward(o_prev, size, *, stride=None, mode="max"):
    r"""Max or mean pooling over ``size`` windows, channel by channel.

    .. math:: o_m(x, y) = \max_{0 \le p < k_H,\; 0 \le q < k_W} o^{l-1}_m(s_H x + p,\, s_W y + q)

    (or the mean of the same window). Derived in :ref:`pooling`.

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
    # One elementwise maximum (or sum) per window offset over strided slices:
    # kH * kW whole-array operations, much faster than reducing the window view.
    out = None
    for p in range(kH):
        rows = slice(p, p + (Ho - 1) * sH + 1, sH)
        for q in range(kW):
            tap = o_prev[..., rows, q : q + (Wo - 1) * sW + 1 : sW]
            if out is None:
                out = tap.astype(o_prev.dtype, copy=True)
            elif mode == "max":
                np.maximum(out, tap, out=out)
            else:
                out += tap
    if mode == "mean":
        out /= kH * kW
    return out


def pool_backward(delta, o_prev, size, *, stride=None, mode="max"):
    r"""Gradient of pooling with respect to its input.

    Mean pooling: every pixel of a window gets :math:`\delta / (k_H k_W)`.
    Max pooling: the first maximal pixel of each window gets :math:`\delta`,
    the others nothing. Overlapping windows add their contributions. Derived
    in :ref:`pooling`.

    Parameters
    ----------
    delta : array_like, shape (N, C, H_out, W_out) or (C, H_out, W_out)
        :math:`\partial E / \partial o`, shaped like :func:`pool_forward`'s output.
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
        raise ValueError(f"delta must have the shape of the pooled output, {expected}, got shape {delta.shape}")
    dtype = result_dtype(o_prev, delta)
    grad = np.zeros(o_prev.shape, dtype=dtype)
    if mode == "max":
        win = _windows(o_prev, kH, kW, sH, sW, Ho, Wo)
        winner = win.reshape(win.shape[:-2] + (kH * kW,)).argmax(axis=-1)
    for p in range(kH):
        rows = slice(p, p + (Ho - 1) * sH + 1, sH)
        for q in range(kW):
            cols = slice(q, q + (Wo - 1) * sW + 1, sW)
            if mode == "max":
                grad[..., rows, cols] += np.where(winner == p * kW + q, delta, 0)
            else:
                grad[..., rows, cols] += delta / (kH * kW)
    return grad
