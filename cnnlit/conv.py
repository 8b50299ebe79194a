r"""A convolutional layer: its complete input and its gradients.

The forward pass is the seed's complete input (derived in :ref:`feedforward`)

.. math:: c^l_m(x, y) = \sum_n \sum_{x', y'} o^{l-1}_n(x - x', y - y')\, w^l_{n,m}(x', y') + b^l_m

and the backward pass gives :math:`\partial E/\partial w` (:ref:`weight-update`),
:math:`\partial E/\partial b` and :math:`\partial E/\partial o^{l-1}`
(:ref:`deltas`) from the deltas :math:`\delta^l_m = \partial E/\partial c^l_m`.

How it is computed (see :ref:`performance`): the padded input is viewed as
overlapping windows without copying (``as_strided``), the windows are copied
once into a matrix (im2col) and multiplied with the kernels in one matrix
product. The input gradient is the transpose of that: one matrix product, then
the columns are added back onto the pixels they came from (col2im), one kernel
offset at a time. The batch (and, for huge images, the output rows) is cut into
blocks so the column matrix never exceeds a fixed budget.
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ._checks import (
    BOUNDARIES,
    CONVENTIONS,
    as_real_array,
    check_int,
    check_flag,
    pair,
    result_dtype,
)
from .padding import pad, pad_adjoint

__all__ = ["conv_forward", "conv_backward", "conv_output_shape"]

# Largest column matrix built at once, in bytes.
_COLS_BUDGET = 64 * 2**20


def conv_output_shape(H, W, kH, kW, *, stride=1, padding=0, dilation=1):
    """Height and width of a convolution's output.

    ``H_out = (H + 2 * ph - dH * (kH - 1) - 1) // sH + 1``, the same for the width.
    Derived in :ref:`conventions`. Pooling windows follow the same formula
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
    for value, name in ((H, "H"), (W, "W"), (kH, "kH"), (kW, "kW")):
        check_int(value, name, 1)
    span_H, span_W = _kernel_span(H + 2 * ph, W + 2 * pw, kH, kW, dH, dW, f"(H, W) = {(H, W)}, padding {(ph, pw)}")
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


class _Geometry:
    """Validated shapes and options shared by the forward and backward pass."""

    def __init__(self, o_prev, w, stride, padding, dilation, boundary, convention):
        check_flag(boundary, "boundary", BOUNDARIES)
        check_flag(convention, "convention", CONVENTIONS)
        if o_prev.ndim not in (3, 4):
            raise ValueError(
                f"o_prev must have shape (N, C_in, H, W) or (C_in, H, W), got shape {o_prev.shape}"
            )
        if w.ndim != 4:
            raise ValueError(f"w must have shape (C_out, C_in, kH, kW), got shape {w.shape}")
        self.single = o_prev.ndim == 3
        N, C_in, H, W = (1,) + o_prev.shape if self.single else o_prev.shape
        C_out, C_in_w, kH, kW = w.shape
        if C_in_w != C_in:
            raise ValueError(
                f"w has C_in={C_in_w} input channels (w.shape {w.shape}) but o_prev has "
                f"C_in={C_in} (o_prev.shape {o_prev.shape})"
            )
        if 0 in w.shape or 0 in o_prev.shape:
            raise ValueError(f"o_prev and w must not be empty, got o_prev {o_prev.shape} and w {w.shape}")
        self.sH, self.sW = pair(stride, "stride", 1)
        self.ph, self.pw = pair(padding, "padding", 0)
        self.dH, self.dW = pair(dilation, "dilation", 1)
        Hp, Wp = H + 2 * self.ph, W + 2 * self.pw
        span_H, span_W = _kernel_span(
            Hp, Wp, kH, kW, self.dH, self.dW, f"(o_prev {o_prev.shape}, padding {(self.ph, self.pw)})"
        )
        self.N, self.C_in, self.H, self.W = N, C_in, H, W
        self.C_out, self.kH, self.kW = C_out, kH, kW
        self.Hp, self.Wp = Hp, Wp
        self.Ho = (Hp - span_H) // self.sH + 1
        self.Wo = (Wp - span_W) // self.sW + 1
        self.boundary = boundary
        self.convention = convention

    def blocks(self, itemsize):
        """(n0, n1, r0, r1): batch and output-row ranges whose columns fit the budget."""
        K = self.C_in * self.kH * self.kW
        per_row = K * self.Wo * itemsize
        per_example = per_row * self.Ho
        if per_example <= _COLS_BUDGET:
            step = max(1, _COLS_BUDGET // per_example)
            for n0 in range(0, self.N, step):
                yield n0, min(self.N, n0 + step), 0, self.Ho
        else:
            rows = max(1, _COLS_BUDGET // per_row)
            for n0 in range(self.N):
                for r0 in range(0, self.Ho, rows):
                    yield n0, n0 + 1, r0, min(self.Ho, r0 + rows)

    def cols(self, xp, n0, n1, r0, r1):
        """im2col: shape (C_in * kH * kW, (n1 - n0) * (r1 - r0) * Wo), one copy."""
        x = xp[n0:n1, :, r0 * self.sH :]
        sN, sC, sY, sX = x.strides
        view = as_strided(
            x,
            shape=(self.C_in, self.kH, self.kW, n1 - n0, r1 - r0, self.Wo),
            strides=(sC, sY * self.dH, sX * self.dW, sN, sY * self.sH, sX * self.sW),
            writeable=False,
        )
        return view.reshape(self.C_in * self.kH * self.kW, -1)


def _kernel(w, convention):
    """The kernel that is *correlated* with the input: rot180(w) for the seed's convolution."""
    return w[:, :, ::-1, ::-1] if convention == "convolution" else w


def _validate(o_prev, w, b=None, delta=None, **options):
    o_prev = as_real_array(o_prev, "o_prev")
    w = as_real_array(w, "w")
    g = _Geometry(o_prev, w, **options)
    arrays = [o_prev, w]
    if b is not None:
        b = as_real_array(b, "b")
        if b.shape != (g.C_out,):
            raise ValueError(f"b must have shape (C_out,) = ({g.C_out},) to match w {w.shape}, got shape {b.shape}")
        arrays.append(b)
    if delta is not None:
        delta = as_real_array(delta, "delta")
        expected = (g.C_out, g.Ho, g.Wo) if g.single else (g.N, g.C_out, g.Ho, g.Wo)
        if delta.shape != expected:
            raise ValueError(
                f"delta must have the shape of the layer's output c, {expected}, got shape {delta.shape}"
            )
        arrays.append(delta)
    dtype = result_dtype(*arrays)
    x = o_prev[None] if g.single else o_prev
    xp = pad(x.astype(dtype, copy=False), g.ph, g.pw, g.boundary)
    return g, xp, w.astype(dtype, copy=False), b, delta, dtype


def conv_forward(o_prev, w, b, *, stride=1, padding=0, boundary="fill", convention="convolution", dilation=1):
    r"""Complete input :math:`c` of a convolutional layer.

    .. math:: c_m(x, y) = \sum_n \left(o_n \ast w_{n,m}\right)(x, y) + b_m

    with a *valid* convolution (``convention="convolution"``, the seed's forward
    pass) or a valid cross-correlation (``convention="correlation"``, what
    PyTorch and JAX call a convolution). Derived in :ref:`feedforward`.

    Parameters
    ----------
    o_prev : array_like, shape (N, C_in, H, W) or (C_in, H, W)
        Outputs of the previous layer, :math:`o^{l-1}`: a batch, or one example.
    w : array_like, shape (C_out, C_in, kH, kW)
        Kernels; ``w[m, n]`` is the seed's :math:`w^l_{n,m}`.
    b : array_like, shape (C_out,), or None
        Biases :math:`b^l_m`; ``None`` for a layer without bias (as in
        PyTorch), the same as zeros.
    stride : int or (int, int)
        Step between output pixels, >= 1.
    padding : int or (int, int)
        Rows ``ph`` and columns ``pw`` added on *each* side of the input, >= 0.
    boundary : {'fill', 'wrap', 'symm'}
        What the padding holds: zeros, the image repeated periodically, or its
        mirror image (edge pixel repeated), as in :func:`scipy.signal.convolve2d`.
    convention : {'convolution', 'correlation'}
        Whether the kernel is flipped (the seed's convolution) or not.
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
    g, xp, w, b, _, dtype = _validate(
        o_prev, w, b, stride=stride, padding=padding, dilation=dilation, boundary=boundary, convention=convention
    )
    W2 = np.ascontiguousarray(_kernel(w, convention)).reshape(g.C_out, -1)
    c = np.empty((g.N, g.C_out, g.Ho, g.Wo), dtype=dtype)
    for n0, n1, r0, r1 in g.blocks(np.dtype(dtype).itemsize):
        block = W2 @ g.cols(xp, n0, n1, r0, r1)  # (C_out, n * rows * Wo)
        c[n0:n1, :, r0:r1] = block.reshape(g.C_out, n1 - n0, r1 - r0, g.Wo).transpose(1, 0, 2, 3)
    if b is not None:
        c += b.astype(dtype, copy=False)[:, None, None]
    return c[0] if g.single else c


def conv_backward(delta, o_prev, w, *, stride=1, padding=0, boundary="fill", convention="convolution", dilation=1):
    r"""Gradients of a convolutional layer from its deltas.

    With :math:`\delta_m = \partial E / \partial c_m` (``convention="convolution"``):

    .. math::

        \frac{\partial E}{\partial w_{n,m}} = \operatorname{rot}_{180}\!\left(o_n \star \delta_m\right)

    .. math::

        \frac{\partial E}{\partial b_m} = \sum_{x,y} \delta_m(x, y)

    .. math::

        \frac{\partial E}{\partial o_n} = \sum_m \delta_m \star_{\text{full}} w_{n,m}

    (:math:`\star`: valid cross-correlation; the last one is a full
    correlation, zero-padded). Stride, padding and dilation are folded in.
    Derived in :ref:`weight-update` and :ref:`deltas`.

    Parameters
    ----------
    delta : array_like, shape (N, C_out, H_out, W_out) or (C_out, H_out, W_out)
        :math:`\partial E/\partial c`, shaped like the output of :func:`conv_forward`.
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
    g, xp, w, _, delta, dtype = _validate(
        o_prev, w, delta=delta, stride=stride, padding=padding, dilation=dilation, boundary=boundary,
        convention=convention,
    )
    d = (delta[None] if g.single else delta).astype(dtype, copy=False)
    W2 = np.ascontiguousarray(_kernel(w, convention)).reshape(g.C_out, -1)
    dW2 = np.zeros_like(W2)
    dxp = np.zeros((g.C_in, g.N, g.Hp, g.Wp), dtype=dtype)  # channel first: col2im adds (C, n, rows, Wo) blocks
    for n0, n1, r0, r1 in g.blocks(np.dtype(dtype).itemsize):
        d_block = d[n0:n1, :, r0:r1].transpose(1, 0, 2, 3).reshape(g.C_out, -1)
        # (cols @ d^T)^T rather than d @ cols^T: the same product, but OpenBLAS
        # splits this long, thin one across threads far better.
        dW2 += (g.cols(xp, n0, n1, r0, r1) @ d_block.T).T
        dcols = (W2.T @ d_block).reshape(g.C_in, g.kH, g.kW, n1 - n0, r1 - r0, g.Wo)
        for p in range(g.kH):
            top = r0 * g.sH + p * g.dH
            rows = slice(top, top + (r1 - r0 - 1) * g.sH + 1, g.sH)
            for q in range(g.kW):
                left = q * g.dW
                cols = slice(left, left + (g.Wo - 1) * g.sW + 1, g.sW)
                dxp[:, n0:n1, rows, cols] += dcols[:, p, q]
    dE_dw = _kernel(dW2.reshape(w.shape), convention).copy()
    dE_db = d.sum(axis=(0, 2, 3))
    dE_do_prev = pad_adjoint(dxp.transpose(1, 0, 2, 3), g.ph, g.pw, g.boundary, g.H, g.W)
    dE_do_prev = np.ascontiguousarray(dE_do_prev)
    return dE_dw, dE_db, (dE_do_prev[0] if g.single else dE_do_prev)
