r"""A convolutional layer: its complete input and its gradients.

The forward pass is the seed's complete input (derived in :ref:`feedforward`)

.. math:: c^l_m(x, y) = \sum_n \sum_{x', y'} o^{l-1}_n(x - x', y - y')\, w^l_{n,m}(x', y') + b^l_m

and the backward pass gives :math:`\partial E/\partial w` (:ref:`weight-update`),
:math:`\partial E/\partial b` and :math:`\partial E/\partial o^{l-1}`
(:ref:`deltas`) from the deltas :math:`\delta^l_m = \partial E/\partial c^l_m`.

How it is computed (see :ref:`performance`): the windows of the padded input
are copied into a matrix (im2col) and multiplied with the kernels in one
matrix product; the bias rides along as the weight of an extra row of ones.
With stride 1 the matrix is *wide*: each of its rows is one contiguous run of
the flattened padded image, a fast copy, and the few columns that straddle two
image rows are computed and dropped (see ``_Geometry``). The weight and bias
gradients are the deltas times the same matrix; the input gradient is the
kernels times the deltas (the columns' gradient), added back onto the pixels
the columns came from (col2im): in the wide layout one sum over the kernel
offsets of a strided view, otherwise one strided addition per offset.
The batch (and, for huge images, the output rows) is cut into blocks of about
2 MiB, which stay in the processor's cache from the copy to the products, and
the blocks' temporary arrays reuse the memory of the previous call.
"""

import numpy as np

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
from .padding import pad, pad_adjoint

__all__ = ["conv_forward", "conv_backward", "conv_output_shape"]

# Largest column matrix built at once, in bytes: small enough that a block's
# columns are still in the processor's cache when the matrix products and
# col2im read them again (measured in benchmarks/bench_conv.py).
_COLS_BUDGET = 2 * 2**20

# Wide columns (stride 1) while C_out <= _WIDE_RATIO * C_in * kH * kW: they save
# copies on the input's side and cost some on the output's side (measured).
_WIDE_RATIO = 2

# Buffers kept between calls for the blocks' temporary arrays. Fresh memory of
# a few MiB costs a page fault per 4 KiB page the first time it is written,
# about as long as the copy itself; reusing the last call's memory avoids that.
# A list is the pool: its pop and append are atomic, so two threads never
# share a buffer. Buffers larger than _SCRATCH_KEEP bytes are not kept.
_SCRATCH = []
_SCRATCH_KEEP = 16 * 2**20


class _Scratch:
    """``with _Scratch(dtype, n1, n2, ...) as (a1, a2, ...)``: 1-D arrays of those sizes, from a reused buffer."""

    def __init__(self, dtype, *sizes):
        self.dtype = np.dtype(dtype)
        # each array starts on a 64-byte boundary
        align = 64 // self.dtype.itemsize
        self.starts = [0]
        for size in sizes:
            self.starts.append(self.starts[-1] + -(-size // align) * align)
        self.sizes = sizes

    def __enter__(self):
        nbytes = self.starts[-1] * self.dtype.itemsize + 64
        try:
            self.buffer = _SCRATCH.pop()
        except IndexError:
            self.buffer = None
        if self.buffer is None or self.buffer.nbytes < nbytes:
            self.buffer = np.empty(nbytes, dtype=np.uint8)
        skip = -self.buffer.ctypes.data % 64
        flat = self.buffer[
            skip : skip + self.starts[-1] * self.dtype.itemsize
        ].view(self.dtype)
        return [
            flat[start : start + size]
            for start, size in zip(self.starts[:-1], self.sizes, strict=True)
        ]

    def __exit__(self, *exc):
        if self.buffer.nbytes <= _SCRATCH_KEEP and len(_SCRATCH) < 2:
            _SCRATCH.append(self.buffer)
        self.buffer = None


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


class _Geometry:
    """Validated shapes and options shared by the forward and backward pass.

    The columns of the im2col matrix are the output pixels. With stride 1 they
    are laid out *wide*: output pixel ``(i, j)`` of an example is column
    ``i * Wp + j``, the pixel of the padded input it starts from, so that every
    row of the matrix is one contiguous run of the flattened padded image (a
    fast copy) and the columns ``j >= W_out`` in between are padding that is
    computed and thrown away. With a stride the columns are the output pixels
    themselves (``pitch = W_out``).
    """

    def __init__(
        self, o_prev, w, stride, padding, dilation, boundary, convention
    ):
        check_flag(boundary, "boundary", BOUNDARIES)
        check_flag(convention, "convention", CONVENTIONS)
        check_ndim(o_prev, "o_prev", (3, 4), "(N, C_in, H, W) or (C_in, H, W)")
        check_ndim(w, "w", (4,), "(C_out, C_in, kH, kW)")
        self.single = o_prev.ndim == 3
        N, C_in, H, W = (1,) + o_prev.shape if self.single else o_prev.shape
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
        self.sH, self.sW = pair(stride, "stride", 1)
        self.ph, self.pw = pair(padding, "padding", 0)
        self.dH, self.dW = pair(dilation, "dilation", 1)
        Hp, Wp = H + 2 * self.ph, W + 2 * self.pw
        span_H, span_W = _kernel_span(
            Hp,
            Wp,
            kH,
            kW,
            self.dH,
            self.dW,
            f"(o_prev {o_prev.shape}, padding {(self.ph, self.pw)})",
        )
        self.N, self.C_in, self.H, self.W = N, C_in, H, W
        self.C_out, self.kH, self.kW = C_out, kH, kW
        self.Hp, self.Wp = Hp, Wp
        self.Ho = (Hp - span_H) // self.sH + 1
        self.Wo = (Wp - span_W) // self.sW + 1
        self.boundary = boundary
        self.convention = convention
        self.wide = (
            self.sH == 1
            and self.sW == 1
            and C_out <= _WIDE_RATIO * C_in * kH * kW
        )
        self.pitch = (
            Wp if self.wide else self.Wo
        )  # columns from one output row to the next

    def pad(self, x, dtype):
        """The batch ``x`` (N, C_in, H, W) as ``dtype``, padded: C-contiguous, (N, C_in, Hp, Wp)."""
        if self.boundary != "fill" or (self.ph == 0 and self.pw == 0):
            return np.ascontiguousarray(
                pad(
                    x.astype(dtype, copy=False), self.ph, self.pw, self.boundary
                )
            )
        xp = np.zeros((self.N, self.C_in, self.Hp, self.Wp), dtype=dtype)
        xp[:, :, self.ph : self.ph + self.H, self.pw : self.pw + self.W] = x
        return xp

    def span(self, r0, r1):
        """Columns of one example for output rows r0 .. r1 - 1."""
        return (r1 - r0 - 1) * self.pitch + self.Wo

    def block_size(self, itemsize):
        """(examples, output rows) of a block: its column matrix, the widest of
        the block's matrices (C_in kH kW or C_out rows), fits the budget. An
        example up to twice the budget stays whole: cutting it into row blocks
        costs more than the larger block (measured on the largest float64 layer
        of benchmarks/bench_conv.py)."""
        row_bytes = max(self.C_in * self.kH * self.kW, self.C_out) * itemsize
        per_example = row_bytes * self.span(0, self.Ho)
        if per_example <= 2 * _COLS_BUDGET:
            return min(self.N, max(1, _COLS_BUDGET // per_example)), self.Ho
        return 1, min(self.Ho, max(1, _COLS_BUDGET // (row_bytes * self.pitch)))

    def blocks(self, itemsize):
        """(n0, n1, r0, r1): batch and output-row ranges whose columns fit the budget,
        and the most columns of any block."""
        step, rows = self.block_size(itemsize)
        ranges = [
            (n0, min(self.N, n0 + step), r0, min(self.Ho, r0 + rows))
            for n0 in range(0, self.N, step)
            for r0 in range(0, self.Ho, rows)
        ]
        return ranges, step * self.span(0, rows)

    def cols(self, xp, n0, n1, r0, r1, out, ones=False):
        """im2col: the windows copied into ``out``, returned as shape (C_in * kH * kW, (n1 - n0) * span).

        ``xp`` is the padded batch, C-contiguous, shape (N, C_in, Hp, Wp); ``out`` a 1-D array large
        enough. ``ones=True`` appends a row of ones: the constant input whose weight is the bias.
        """
        sN, sC, sY, sX = xp.strides
        if self.wide:  # one contiguous run of the flattened image per row
            shape = (self.C_in, self.kH, self.kW, n1 - n0, self.span(r0, r1))
            strides = (sC, sY * self.dH, sX * self.dW, sN, sX)
        else:
            shape = (self.C_in, self.kH, self.kW, n1 - n0, r1 - r0, self.Wo)
            strides = (
                sC,
                sY * self.dH,
                sX * self.dW,
                sN,
                sY * self.sH,
                sX * self.sW,
            )
        view = np.ndarray(
            shape,
            xp.dtype,
            buffer=xp,
            offset=n0 * sN + r0 * self.sH * sY,
            strides=strides,
        )
        K = self.C_in * self.kH * self.kW
        cols = out[: view.size + ones * (view.size // K)].reshape(K + ones, -1)
        np.copyto(cols[:K].reshape(shape), view)
        if ones:
            cols[K] = 1
        return cols

    def pixels(self, a, n, r0, r1, slot=None):
        """The (n, C, r1 - r0, W_out) output pixels of columns ``a``, shape (C, n * slot), a view.

        ``slot``: columns per example, by default ``span``.
        """
        e = a.itemsize
        slot = slot or self.span(r0, r1)
        return np.ndarray(
            (n, a.shape[0], r1 - r0, self.Wo),
            a.dtype,
            buffer=a,
            strides=(slot * e, n * slot * e, self.pitch * e, e),
        )


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
    # The bias is the weight of a constant input of ones: one more column of the
    # kernels, one more row of ones under the windows, and the product adds it.
    ones = b is not None
    W2 = np.empty((g.C_out, g.C_in * g.kH * g.kW + ones), dtype=dtype)
    W2[:, : W2.shape[1] - ones] = _kernel(w, convention).reshape(g.C_out, -1)
    if ones:
        W2[:, -1] = b
    c = np.empty((g.N, g.C_out, g.Ho, g.Wo), dtype=dtype)
    blocks, most = g.blocks(np.dtype(dtype).itemsize)
    with _Scratch(dtype, W2.shape[1] * most, g.C_out * most) as (
        cols_buf,
        out_buf,
    ):
        for n0, n1, r0, r1 in blocks:
            cols = g.cols(xp, n0, n1, r0, r1, out=cols_buf, ones=ones)
            block = np.matmul(
                W2,
                cols,
                out=out_buf[: g.C_out * cols.shape[1]].reshape(g.C_out, -1),
            )
            c[n0:n1, :, r0:r1] = g.pixels(block, n1 - n0, r0, r1)
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
    W2 = np.ascontiguousarray(_kernel(w, convention)).reshape(g.C_out, -1)
    K = W2.shape[1]
    # dE/db = sum of the deltas: the weight gradient of a constant input of ones (see conv_forward).
    dW2 = np.zeros((g.C_out, K + 1), dtype=dtype)
    blocks, most = g.blocks(np.dtype(dtype).itemsize)
    rows_blocked = blocks[0][3] < g.Ho
    # Every pixel gets its gradient from exactly one block unless the output rows are cut.
    dxp = (np.zeros if rows_blocked or not g.wide else np.empty)(
        (g.N, g.C_in, g.Hp, g.Wp), dtype=dtype
    )
    # Wide layout: the input gradient of a block covers its columns plus the kernel's reach.
    reach = (g.kH - 1) * g.dH * g.Wp + (g.kW - 1) * g.dW if g.wide else 0
    slots = max(
        (n1 - n0) * (g.span(r0, r1) + reach) for n0, n1, r0, r1 in blocks
    )
    sizes = (
        (K + 1) * most,
        g.C_out * most,
        K * slots,
        g.C_in * slots * rows_blocked,
    )
    layout = None
    with _Scratch(dtype, *sizes) as (cols_buf, d_buf, dcols_buf, tmp_buf):
        for n0, n1, r0, r1 in blocks:
            n, span = n1 - n0, g.span(r0, r1)
            # Zero columns (the wide layout's padding columns, the slots' ends) stay
            # zero from one block to the next of the same shape.
            new_layout, layout = (n, span) != layout, (n, span)
            # The deltas in the columns' layout.
            d_block = d_buf[: g.C_out * n * span].reshape(g.C_out, n * span)
            if g.wide and new_layout:
                d_block.fill(0)
            g.pixels(d_block, n, r0, r1)[...] = d[n0:n1, :, r0:r1]
            # (cols @ d^T)^T rather than d @ cols^T: the same product, but OpenBLAS
            # splits this long, thin one across threads far better.
            dW2 += (
                g.cols(xp, n0, n1, r0, r1, out=cols_buf, ones=True) @ d_block.T
            ).T
            if g.wide:
                _col2im_wide(
                    g,
                    W2,
                    d_block,
                    n0,
                    n1,
                    r0,
                    reach,
                    dxp,
                    dcols_buf,
                    tmp_buf,
                    rows_blocked,
                    new_layout,
                )
                continue
            dcols = np.matmul(
                W2.T,
                d_block,
                out=dcols_buf[: K * n * span].reshape(K, n * span),
            )
            dcols = dcols.reshape(g.C_in, g.kH, g.kW, n, r1 - r0, g.Wo)
            # col2im: add the columns back onto the pixels they were copied from.
            for p in range(g.kH):
                top = r0 * g.sH + p * g.dH
                rows = slice(top, top + (r1 - r0 - 1) * g.sH + 1, g.sH)
                for q in range(g.kW):
                    cols = slice(
                        q * g.dW, q * g.dW + (g.Wo - 1) * g.sW + 1, g.sW
                    )
                    target = dxp[n0:n1, :, rows, cols].transpose(1, 0, 2, 3)
                    target += dcols[:, p, q]
    dE_dw = _kernel(dW2[:, :K].reshape(w.shape), convention).copy()
    dE_db = dW2[:, K].copy()
    dE_do_prev = np.ascontiguousarray(
        pad_adjoint(dxp, g.ph, g.pw, g.boundary, g.H, g.W)
    )
    return dE_dw, dE_db, (dE_do_prev[0] if g.single else dE_do_prev)


def _col2im_wide(
    g,
    W2,
    d_block,
    n0,
    n1,
    r0,
    reach,
    dxp,
    dcols_buf,
    tmp_buf,
    accumulate,
    zero_tails=True,
):
    """Input gradient of one block in the wide layout: the columns' gradient, added back onto the pixels.

    The columns' gradient of each example, ``W2^T d`` (C_in kH kW, span), is
    followed by ``reach`` zero columns: a *slot* covering every pixel the
    block's windows touch. Then the gradient of kernel offset (p, q), shifted
    by that offset, is one strided view of the slots for every offset at once,
    zero wherever a window does not reach, and col2im is one sum over the
    offsets.
    """
    n = n1 - n0
    K, span = W2.shape[1], d_block.shape[1] // n
    slot = span + reach
    dcols = dcols_buf[: n * K * slot].reshape(n, K, slot)
    if zero_tails:
        dcols[:, :, span:] = 0
    # One product per example, (C_in kH kW, C_out) @ (C_out, span), written into its slots.
    np.matmul(
        W2.T,
        d_block.reshape(g.C_out, n, span).transpose(1, 0, 2),
        out=dcols[:, :, :span],
    )
    # shifted[n, c, t, p, q] = dcols[n, (c, p, q), t - p dH Wp - q dW]: a shift reaches back
    # into the zero columns of the slot before it ((p, q) = (0, 0), the first one, does not shift).
    e = dcols.itemsize
    shifted = np.ndarray(
        (n, g.C_in, slot, g.kH, g.kW),
        dcols.dtype,
        buffer=dcols,
        strides=(
            K * slot * e,
            g.kH * g.kW * slot * e,
            e,
            (g.kW * slot - g.dH * g.Wp) * e,
            (slot - g.dW) * e,
        ),
    )
    target = dxp.reshape(g.N, g.C_in, g.Hp * g.Wp)[
        n0:n1, :, r0 * g.Wp : r0 * g.Wp + slot
    ]
    if accumulate:  # row blocks overlap by the kernel's reach
        target += np.add.reduce(
            shifted,
            axis=(3, 4),
            out=tmp_buf[: n * g.C_in * slot].reshape(n, g.C_in, slot),
        )
    else:
        np.add.reduce(shifted, axis=(3, 4), out=target)
