r"""A convolutional layer: its complete input and its gradients.

The forward pass is the source post's complete input (derived in chapter
"Feed-forward")

.. math:: c^l_m(x, y) = \sum_n \sum_{x', y'} o^{l-1}_n(x - x', y - y')\, w^l_{n,m}(x', y') + b^l_m

and the backward pass gives ``∂E/∂w`` (chapter "Weight update"),
``∂E/∂b`` and ``∂E/∂o^{l-1}``
(chapter "Deltas") from the deltas ``δ^l_m = ∂E/∂c^l_m``.

How it is computed (see chapter "Performance"): the windows of the padded input
are copied into a matrix (im2col) and multiplied with the kernels in one
matrix product per block of the batch; the gradients are two more products
with the same matrix, and the columns' gradient is added back onto the pixels
(col2im). The engine, its blocks and its memory budget are in
:mod:`cnnlit._im2col`; this module validates the arguments and turns the
source post's convolution into the correlation the engine computes. One
output channel with a large kernel on a large enough image (stride 1, no
dilation) goes instead through ``correlate2d`` / ``convolve2d`` of
:mod:`cnnlit.signal2d`, channel pair by channel pair, which use the FFT.
"""

import math

import numpy as np

from . import _im2col
from ._checks import (
    BOUNDARIES,
    CONVENTIONS,
    as_real_array,
    check_flag,
    check_int,
    check_ndim,
    check_padded_size,
    pair,
    result_dtype,
)
from .padding import pad_adjoint
from .signal2d import convolve2d, correlate2d

__all__ = ["conv_forward", "conv_backward", "conv_output_shape"]


def conv_output_shape(H, W, kH, kW, *, stride=1, padding=0, dilation=1):
    """Height and width of a convolution's output.

    ``H_out = (H + 2 * ph - dH * (kH - 1) - 1) // sH + 1``, the same for the width.
    Derived in chapter "Conventions". Pooling windows follow the same formula
    (no padding, no dilation).

    Parameters
    ----------
    H, W : int
        Height and width of the input (>= 1).
    kH, kW : int
        Height and width of the kernel (>= 1).
    stride : int or (int, int)
        ``(sH, sW)``, >= 1.
    padding : int or (int, int)
        ``(ph, pw)`` rows and columns added on each side, >= 0.
    dilation : int or (int, int)
        ``(dH, dW)``, >= 1: the kernel's taps are that far apart.

    Returns
    -------
    H_out, W_out : int

    Raises
    ------
    ValueError
        When the (dilated) kernel does not fit the padded input, as
        :func:`conv_forward` does.

    Examples
    --------
    >>> conv_output_shape(28, 28, 5, 5)
    (24, 24)
    >>> conv_output_shape(28, 28, 5, 5, stride=2, padding=2)
    (14, 14)
    """
    sH, sW = pair(stride, "stride", 1)
    ph, pw = pair(padding, "padding", 0)
    dH, dW = pair(dilation, "dilation", 1)
    H, W, kH, kW = (
        check_int(value, name, 1)
        for value, name in ((H, "H"), (W, "W"), (kH, "kH"), (kW, "kW"))
    )
    span_H, span_W = _kernel_span(
        H + 2 * ph,
        W + 2 * pw,
        kH,
        kW,
        dH,
        dW,
        f"(H, W) = {(H, W)}, padding {(ph, pw)}",
    )
    return (H + 2 * ph - span_H) // sH + 1, (W + 2 * pw - span_W) // sW + 1


def _kernel_span(Hp, Wp, kH, kW, dH, dW, where):
    """Pixels covered by a dilated kernel; ValueError if that exceeds the padded input."""
    span_H, span_W = dH * (kH - 1) + 1, dW * (kW - 1) + 1
    if span_H > Hp or span_W > Wp:
        raise ValueError(
            f"the kernel ({kH}, {kW}) with dilation {(dH, dW)} spans {(span_H, span_W)} pixels, "
            f"larger than the padded input {(Hp, Wp)} {where}"
        )
    return span_H, span_W


# Geometries of recent calls, by their shapes and options: a training loop
# calls a layer with the same shapes again and again, and validating the
# options and planning the blocks took about a tenth of a small layer's time.
# Only options that are plain ints (or pairs of them) and strings are keys, so
# that a value the checks refuse (a bool, a float) never finds an entry.
_GEOMETRIES: dict = {}
_GEOMETRIES_KEPT = 64


def _plain(value):
    """Whether ``value`` is an int or a tuple of two ints (not bools, not numpy's)."""
    if type(value) is tuple:
        return len(value) == 2 and type(value[0]) is type(value[1]) is int
    return type(value) is int


def _geometry(
    o_prev,
    w,
    stride=1,
    padding=0,
    dilation=1,
    boundary="fill",
    convention="convolution",
):
    """Validated shapes and options shared by the forward and backward pass
    (an :class:`_im2col.Geometry`, the same object for the same shapes and
    options: it must not be changed)."""
    key = None
    if (
        _plain(stride)
        and _plain(padding)
        and _plain(dilation)
        and type(boundary) is str
        and type(convention) is str
    ):
        key = (o_prev.shape, w.shape, stride, padding, dilation, boundary,
               convention)  # fmt: skip
        g = _GEOMETRIES.get(key)
        if g is not None:
            return g
    g = _new_geometry(o_prev, w, stride, padding, dilation, boundary,
                      convention)  # fmt: skip
    if key is not None:
        if len(_GEOMETRIES) >= _GEOMETRIES_KEPT:
            _GEOMETRIES.clear()
        _GEOMETRIES[key] = g
    return g


def _new_geometry(o_prev, w, stride, padding, dilation, boundary, convention):
    """:func:`_geometry`, validated and built."""
    check_flag(boundary, "boundary", BOUNDARIES)
    check_flag(convention, "convention", CONVENTIONS)
    check_ndim(o_prev, "o_prev", (3, 4), "(N, C_in, H, W) or (C_in, H, W)")
    check_ndim(w, "w", (4,), "(C_out, C_in, kH, kW)")
    N, C_in, H, W = (1,) + o_prev.shape if o_prev.ndim == 3 else o_prev.shape
    C_out, C_in_w, kH, kW = w.shape
    if C_in_w != C_in:
        raise ValueError(
            f"w has C_in={C_in_w} input channels (w.shape {w.shape}) but o_prev has "
            f"C_in={C_in} (o_prev.shape {o_prev.shape})"
        )
    if 0 in w.shape or 0 in o_prev.shape:
        raise ValueError(
            f"o_prev and w must not be empty, got o_prev {o_prev.shape} and w {w.shape}"
        )
    stride = pair(stride, "stride", 1)
    padding = pair(padding, "padding", 0)
    dilation = pair(dilation, "dilation", 1)
    (sH, sW), (ph, pw), (dH, dW) = stride, padding, dilation
    span_H, span_W = _kernel_span(
        H + 2 * ph,
        W + 2 * pw,
        kH,
        kW,
        dH,
        dW,
        f"(o_prev {o_prev.shape}, padding {(ph, pw)})",
    )
    g = _im2col.Geometry(
        N,
        C_in,
        H,
        W,
        C_out,
        kH,
        kW,
        (H + 2 * ph - span_H) // sH + 1,
        (W + 2 * pw - span_W) // sW + 1,
        stride,
        padding,
        dilation,
        boundary,
    )
    g.single, g.convention = o_prev.ndim == 3, convention
    return g


# One output channel, stride 1, no dilation, a kernel of at least
# _FFT_MIN_TAPS[itemsize] taps and a padded image of at least
# _FFT_MIN_PIXELS[itemsize] pixels: each channel pair through correlate2d /
# convolve2d, which use the FFT for large kernels on large images. The im2col
# product of one output channel is a matrix-vector product that reads kH kW
# copies of the image. Measured by part "switch" of benchmarks/bench_conv.py
# (one thread, forward and both gradients, the two taking turns in one process;
# one example of 1 or 3 channels, four of 3), the FFT's time over im2col's: in
# float32, 9 x 9 to 13 x 13 kernels 0.89 to 1.00 at 256 pixels (13 x 13) and
# 1.1 to 5.7 everywhere else; 15 x 15 0.74 to 0.80 at 256, 0.97 to 1.33 at 128,
# 512 and 1024, 1.37 and more below 128; 21 x 21 0.53 to 0.88 from 128 to 512,
# 0.87 to 1.02 at 1024, 1.01 and more below. In float64, 9 x 9 0.88 to 0.91 at
# 256 pixels, 0.99 to 1.49 at 128, 512 and 1024, 1.27 and more below 128; 11 x
# 11 to 21 x 21 0.34 to 1.12 from 96 to 256, 0.72 to 1.24 at 512 and 1024, 1.15
# and more below 96. The rule before, more than 64 taps and taps times padded
# pixels at least 7e5 (float32) or 3e5 (float64), also sent 9 x 9 to 13 x 13
# kernels in float32, 9 x 9 in float64, and images down to 40 (float32) and 27
# pixels (float64) with 21 x 21 kernels to the FFT.
_FFT_MIN_TAPS = {4: 196, 8: 121}  # by bytes per number: 14 x 14, 11 x 11
_FFT_MIN_PIXELS = {4: 128 * 128, 8: 96 * 96}  # of the padded image


def _fft_wins(g, itemsize=8):
    return (
        g.C_out == 1
        and (g.sH, g.sW, g.dH, g.dW) == (1, 1, 1, 1)
        and g.kH * g.kW >= _FFT_MIN_TAPS[itemsize]
        and g.Hp * g.Wp >= _FFT_MIN_PIXELS[itemsize]
    )


def _fft_forward(g, xp, K, b):
    """:func:`_im2col.forward` one channel pair at a time, by correlate2d."""
    c = np.zeros((g.N, g.C_out, g.Ho, g.Wo), dtype=xp.dtype)
    for n, m, ch in np.ndindex(g.N, g.C_out, g.C_in):
        c[n, m] += correlate2d(xp[n, ch], K[m, ch], mode="valid")
    if b is not None:
        c += b[:, None, None]
    return c


def _fft_backward(g, xp, K, d):
    """:func:`_im2col.backward` one channel pair at a time: the weight
    gradient a valid correlation of the input with the deltas, the input
    gradient a full convolution of the deltas with the kernel."""
    dK, dxp = np.zeros(K.shape, xp.dtype), np.zeros(xp.shape, xp.dtype)
    for n, m, ch in np.ndindex(g.N, g.C_out, g.C_in):
        dK[m, ch] += correlate2d(xp[n, ch], d[n, m], mode="valid")
        dxp[n, ch] += convolve2d(d[n, m], K[m, ch], mode="full")
    return dK, d.sum(axis=(0, 2, 3)), dxp


def _kernel(w, convention):
    """The kernel that is *correlated* with the input: rot180(w) for the source post's convolution."""
    return w[:, :, ::-1, ::-1] if convention == "convolution" else w


def _validate(o_prev, w, b=None, delta=None, **options):
    o_prev = as_real_array(o_prev, "o_prev")
    w = as_real_array(w, "w")
    g = _geometry(o_prev, w, **options)
    arrays = [o_prev, w]
    if b is not None:
        b = as_real_array(b, "b")
        if b.shape != (g.C_out,):
            raise ValueError(
                f"b must have shape (C_out,) = ({g.C_out},) to match w {w.shape}, got shape {b.shape}"
            )
        arrays.append(b)
    if delta is not None:
        delta = as_real_array(delta, "delta")
        expected = (
            (g.C_out, g.Ho, g.Wo) if g.single else (g.N, g.C_out, g.Ho, g.Wo)
        )
        if delta.shape != expected:
            raise ValueError(
                f"delta must have the shape of the layer's output c, {expected}, got shape {delta.shape}"
            )
        arrays.append(delta)
    dtype = result_dtype(*arrays)
    x = o_prev[None] if g.single else o_prev
    xp = g.pad(x, dtype)
    return g, xp, w.astype(dtype, copy=False), b, delta, dtype


_NP_PAD_MODES = {"fill": "constant", "wrap": "wrap", "symm": "symmetric"}


def _same(o_prev, w, stride, dilation, boundary):
    """``padding='same'``: the pair to pad with, or the input padded per side.

    The dilated kernel spans ``d (k - 1) + 1`` pixels; at stride 1 the output
    keeps the input's size when ``d (k - 1)`` rows are added in all, as
    PyTorch adds them: ``d (k - 1) // 2`` before and the rest after (one more
    after for an even span). Returns ``(padding, None)`` when both sides get
    the same amount, else ``(0, widths)`` with ``o_prev`` to be padded by
    ``widths`` (per side) before the pass.
    """
    if pair(stride, "stride", 1) != (1, 1):
        raise ValueError(
            f"padding='same' needs stride 1 (the output keeps the input's size), got stride {stride!r}"
        )
    check_ndim(w, "w", (4,), "(C_out, C_in, kH, kW)")
    check_ndim(o_prev, "o_prev", (3, 4), "(N, C_in, H, W) or (C_in, H, W)")
    check_flag(boundary, "boundary", BOUNDARIES)
    dH, dW = pair(dilation, "dilation", 1)
    total = (dH * (w.shape[2] - 1), dW * (w.shape[3] - 1))
    before = tuple(t // 2 for t in total)
    if all(2 * lo == t for lo, t in zip(before, total, strict=True)):
        return before, None
    sides = tuple((lo, t - lo) for lo, t in zip(before, total, strict=True))
    return 0, ((0, 0),) * (o_prev.ndim - 2) + sides


def _same_input(o_prev, widths, boundary):
    """``o_prev`` padded by ``widths`` with what ``boundary`` puts there."""
    return np.pad(o_prev, widths, mode=_NP_PAD_MODES[boundary])


def _same_fold(dxp, widths, boundary, shape):
    """The adjoint of :func:`_same_input`: each padded pixel's gradient added to its source."""
    H, W = shape[-2:]
    (top, _), (left, _) = widths[-2:]
    if boundary == "fill":
        return np.ascontiguousarray(dxp[..., top : top + H, left : left + W])
    source = np.pad(
        np.arange(H * W).reshape(H, W),
        widths[-2:],
        mode=_NP_PAD_MODES[boundary],
    )
    out = np.zeros((math.prod(shape[:-2]), H * W), dxp.dtype)
    np.add.at(out, (slice(None), source.ravel()), dxp.reshape(len(out), -1))
    return out.reshape(shape)


def conv_forward(
    o_prev,
    w,
    b,
    *,
    stride=1,
    padding=0,
    boundary="fill",
    convention="convolution",
    dilation=1,
):
    r"""Complete input *c* of a convolutional layer.

    .. math:: c_m(x, y) = \sum_n \left(o_n \ast w_{n,m}\right)(x, y) + b_m

    with a *valid* convolution (``convention="convolution"``, the source post's forward
    pass) or a valid cross-correlation (``convention="correlation"``, what
    PyTorch and JAX call a convolution). Derived in chapter "Feed-forward".

    Parameters
    ----------
    o_prev : array_like, shape (N, C_in, H, W) or (C_in, H, W)
        Outputs of the previous layer, ``o^{l-1}``: a batch, or one example.
    w : array_like, shape (C_out, C_in, kH, kW)
        Kernels; ``w[m, n]`` is the source post's ``w^l_{n,m}``.
    b : array_like, shape (C_out,), or None
        Biases ``b^l_m``; ``None`` for a layer without bias (as in
        PyTorch), the same numbers as zeros of the input's dtype.
    stride : int or (int, int)
        Step between output pixels, >= 1.
    padding : int, (int, int) or 'same'
        Rows ``ph`` and columns ``pw`` added on *each* side of the input, >= 0;
        or ``'same'`` (stride 1 only): the output keeps the input's height and
        width, the dilated kernel's span less one added in all, as PyTorch
        adds it: half before, and for an even span the one left over after.
    boundary : {'fill', 'wrap', 'symm'}
        What the padding holds: zeros, the image repeated periodically, or its
        mirror image (edge pixel repeated), as in :func:`scipy.signal.convolve2d`.
    convention : {'convolution', 'correlation'}
        Whether the kernel is flipped (the source post's convolution) or not.
    dilation : int or (int, int)
        Spacing between kernel taps, >= 1 (PyTorch's meaning: 1 is dense).

    Returns
    -------
    c : ndarray, shape (N, C_out, H_out, W_out) or (C_out, H_out, W_out)
        ``H_out = (H + 2 ph - dH (kH - 1) - 1) // sH + 1``, likewise ``W_out``.
        float32 when every input is float32, else float64.

    Examples
    --------
    A 3x3 image and a 2x2 kernel (one input and one output unit):

    >>> import numpy as np
    >>> o_prev = np.arange(9.0).reshape(1, 3, 3)
    >>> w = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    >>> conv_forward(o_prev, w, np.zeros(1))
    array([[[13., 23.],
            [43., 53.]]])
    >>> conv_forward(o_prev, w, np.zeros(1), convention="correlation")
    array([[[27., 37.],
            [57., 67.]]])
    """
    if isinstance(padding, str):
        check_flag(padding, "padding", ("same",))
        o_prev = as_real_array(o_prev, "o_prev")
        w = as_real_array(w, "w")
        padding, widths = _same(o_prev, w, stride, dilation, boundary)
        if widths is not None:
            o_prev = _same_input(o_prev, widths, boundary)
    check_padded_size(o_prev, padding)
    g, xp, w, b, _, dtype = _validate(
        o_prev,
        w,
        b,
        stride=stride,
        padding=padding,
        dilation=dilation,
        boundary=boundary,
        convention=convention,
    )
    engine = _fft_forward if _fft_wins(g, xp.itemsize) else _im2col.forward
    c = engine(g, xp, _kernel(w, convention), b)
    return c[0] if g.single else c


def conv_backward(
    delta,
    o_prev,
    w,
    *,
    stride=1,
    padding=0,
    boundary="fill",
    convention="convolution",
    dilation=1,
):
    r"""Gradients of a convolutional layer from its deltas.

    With ``δ_m = ∂E / ∂c_m`` (``convention="convolution"``):

    .. math::

        \frac{\partial E}{\partial w_{n,m}} = \operatorname{rot}_{180}\!\left(o_n \star \delta_m\right)

    .. math::

        \frac{\partial E}{\partial b_m} = \sum_{x,y} \delta_m(x, y)

    .. math::

        \frac{\partial E}{\partial o_n} = \sum_m \delta_m \star_{\text{full}} w_{n,m}

    (``⋆``: valid cross-correlation; the last one is a full
    correlation, zero-padded). Stride, padding and dilation are folded in.
    Derived in chapter "Weight update" and chapter "Deltas".

    Parameters
    ----------
    delta : array_like, shape (N, C_out, H_out, W_out) or (C_out, H_out, W_out)
        ``∂E/∂c``, shaped like the output of :func:`conv_forward`.
    o_prev : array_like, shape (N, C_in, H, W) or (C_in, H, W)
        The forward pass's input.
    w : array_like, shape (C_out, C_in, kH, kW)
        The forward pass's kernels.
    stride, padding, boundary, convention, dilation
        As given to :func:`conv_forward`.

    Returns
    -------
    dE_dw : ndarray, shape (C_out, C_in, kH, kW)
    dE_db : ndarray, shape (C_out,)
    dE_do_prev : ndarray, shaped like ``o_prev``
        With ``boundary`` ``'wrap'`` or ``'symm'`` a padded pixel is a copy of
        an inner one, and its gradient is added to that pixel.

    Examples
    --------
    >>> import numpy as np
    >>> o_prev = np.arange(9.0).reshape(1, 3, 3)
    >>> w = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    >>> dE_dw, dE_db, dE_do_prev = conv_backward(np.ones((1, 2, 2)), o_prev, w)
    >>> dE_dw
    array([[[[24., 20.],
             [12.,  8.]]]])
    >>> dE_db
    array([4.])
    >>> dE_do_prev
    array([[[ 4.,  7.,  3.],
            [ 6., 10.,  4.],
            [ 2.,  3.,  1.]]])
    """
    widths = None
    if isinstance(padding, str):
        check_flag(padding, "padding", ("same",))
        o_prev = as_real_array(o_prev, "o_prev")
        w = as_real_array(w, "w")
        padding, widths = _same(o_prev, w, stride, dilation, boundary)
        if widths is not None:
            shape = o_prev.shape
            o_prev = _same_input(o_prev, widths, boundary)
    check_padded_size(o_prev, padding)
    g, xp, w, _, delta, dtype = _validate(
        o_prev,
        w,
        delta=delta,
        stride=stride,
        padding=padding,
        dilation=dilation,
        boundary=boundary,
        convention=convention,
    )
    d = (delta[None] if g.single else delta).astype(dtype, copy=False)
    engine = _fft_backward if _fft_wins(g, xp.itemsize) else _im2col.backward
    dK, dE_db, dxp = engine(g, xp, _kernel(w, convention), d)
    dE_dw = _kernel(dK, convention).copy()
    dE_do_prev = (
        dxp  # the engines return a C-contiguous (N, C_in, Hp, Wp) array
        if g.ph == g.pw == 0
        else np.ascontiguousarray(
            pad_adjoint(dxp, g.ph, g.pw, g.boundary, g.H, g.W)
        )
    )
    if widths is not None:
        dE_do_prev = _same_fold(
            dE_do_prev, widths, g.boundary, (g.N,) + shape[-3:]
        )
    return dE_dw, dE_db, (dE_do_prev[0] if g.single else dE_do_prev)
