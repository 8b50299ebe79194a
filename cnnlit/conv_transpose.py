r"""The transposed convolution as a layer: the input-gradient map of a convolution, run forwards.

A convolution with kernel ``w`` of shape ``(C_out, C_in, kH, kW)`` maps an image
with ``C_in`` channels to one with ``C_out``. Its input gradient (the
``dE_do_prev`` of :func:`~cnnlit.conv_backward`) maps back: ``C_out`` channels
to ``C_in``, a small image to a large one, with the *same* kernel. Used as a
layer of its own, that map is the transposed convolution, and ``w`` keeps its
shape: read as ``(C_in, C_out, kH, kW)`` from the transposed layer's side, it is
PyTorch's layout for ``conv_transpose2d``. Derived in chapter "The adjoint
view".

How it is computed: with the convolution's own fast functions, one call for
the forward pass and two for the backward pass.

* forward: ``dE_do_prev`` of :func:`~cnnlit.conv_backward` with ``x`` as the
  deltas, for an input ``o_prev`` of the full (unpadded) size whose values
  are never read, cut to the output: ``p`` rows and columns off each side,
  ``output_padding`` zero rows and columns added at the bottom and right when
  they fall past the full output.
* ``dE_dx``: the forward convolution itself, ``conv_forward(delta, w)``.
* ``dE_dw``: a convolution of the padded ``delta`` with ``x`` as the kernel,
  batch and channel axes swapped, stride ``d`` and dilation ``s``.
"""

import numpy as np

from ._checks import (
    CONVENTIONS,
    as_real_array,
    check_flag,
    check_ndim,
    check_size,
    pair,
    result_dtype,
)
from .conv import conv_backward, conv_forward

__all__ = ["conv_transpose_forward", "conv_transpose_backward"]


class _Geometry:
    """Validated shapes and options of a transposed convolution."""

    def __init__(
        self, x, w, stride, padding, output_padding, dilation, convention
    ):
        check_flag(convention, "convention", CONVENTIONS)
        check_ndim(x, "x", (3, 4), "(N, C_in, H, W) or (C_in, H, W)")
        check_ndim(w, "w", (4,), "(C_in, C_out, kH, kW)")
        self.single = x.ndim == 3
        N, C_in, H, W = (1,) + x.shape if self.single else x.shape
        C_in_w, C_out, kH, kW = w.shape
        if C_in_w != C_in:
            raise ValueError(
                f"w has C_in={C_in_w} input channels (w.shape {w.shape}, layout (C_in, C_out, kH, kW)) "
                f"but x has C_in={C_in} (x.shape {x.shape})"
            )
        if 0 in w.shape or 0 in x.shape:
            raise ValueError(
                f"x and w must not be empty, got x {x.shape} and w {w.shape}"
            )
        self.s = pair(stride, "stride", 1)
        self.p = pair(padding, "padding", 0)
        self.d = pair(dilation, "dilation", 1)
        self.op = pair(output_padding, "output_padding", 0)
        limit = tuple(max(s, d) for s, d in zip(self.s, self.d, strict=True))
        if any(op >= lim for op, lim in zip(self.op, limit, strict=True)):
            raise ValueError(
                f"output_padding must be smaller than max(stride, dilation) = {limit} in each dimension, "
                f"got {output_padding!r}"
            )
        self.N, self.C_in, self.C_out = N, C_in, C_out
        self.H, self.W, self.k = H, W, (kH, kW)
        self.out = tuple(
            (n - 1) * s - 2 * p + d * (k - 1) + op + 1
            for n, s, p, d, k, op in zip(
                (H, W), self.s, self.p, self.d, self.k, self.op, strict=True
            )
        )
        if min(self.out) < 1:
            raise ValueError(
                f"the output size (H_out, W_out) = {self.out} must be positive: (H - 1) s - 2 p + d (k - 1) "
                f"+ output_padding + 1 with (H, W) = {(H, W)}, stride {self.s}, padding {self.p}, "
                f"dilation {self.d}, kernel {self.k}, output_padding {self.op}"
            )
        self.convention = convention
        self._check_size(x.dtype.itemsize)

    @property
    def full(self):
        """``(H_full, W_full)``: the output before padding removes rows and columns, ``(H - 1) s + d (k - 1) + 1``."""
        return tuple(
            (n - 1) * s + d * (k - 1) + 1
            for n, s, d, k in zip(
                (self.H, self.W), self.s, self.d, self.k, strict=True
            )
        )

    def _check_size(self, itemsize):
        """Refuse a full output (computed before it is cut) larger than memory, naming stride or dilation."""
        shape = (self.N, self.C_out) + tuple(
            max(f, o) for f, o in zip(self.full, self.out, strict=True)
        )
        # (H - 1) s against d (k - 1): the larger term is the argument to blame.
        by_stride = max(
            (n - 1) * s for n, s in zip((self.H, self.W), self.s, strict=True)
        )
        by_dilation = max(
            d * (k - 1) for d, k in zip(self.d, self.k, strict=True)
        )
        name, value = (
            ("stride", self.s)
            if by_stride >= by_dilation
            else ("dilation", self.d)
        )
        check_size(shape, max(itemsize, 4), f"{name} {value}", "an output")

    @property
    def out_shape(self):
        return (
            (self.C_out,) + self.out
            if self.single
            else (self.N, self.C_out) + self.out
        )


def _validate(x, w, b=None, delta=None, **options):
    x = as_real_array(x, "x")
    w = as_real_array(w, "w")
    g = _Geometry(x, w, **options)
    arrays = [x, w]
    if b is not None:
        b = as_real_array(b, "b")
        if b.shape != (g.C_out,):
            raise ValueError(
                f"b must have shape (C_out,) = ({g.C_out},) to match w {w.shape} "
                f"(layout (C_in, C_out, kH, kW)), got shape {b.shape}"
            )
        arrays.append(b)
    if delta is not None:
        delta = as_real_array(delta, "delta")
        if delta.shape != g.out_shape:
            raise ValueError(
                f"delta must have the shape of the layer's output, {g.out_shape}, got shape {delta.shape}"
            )
        arrays.append(delta)
    dtype = result_dtype(*arrays)
    x = (x[None] if g.single else x).astype(dtype, copy=False)
    w = w.astype(dtype, copy=False)
    b = None if b is None else b.astype(dtype, copy=False)
    if delta is not None:
        delta = (delta[None] if g.single else delta).astype(dtype, copy=False)
    return g, x, w, b, delta, dtype


def conv_transpose_forward(
    x,
    w,
    b,
    *,
    stride=1,
    padding=0,
    output_padding=0,
    dilation=1,
    convention="convolution",
):
    r"""Output of a transposed convolutional layer.

    Every input pixel spreads over the output, weighted by the kernel. With
    ``convention="correlation"``, for the output pixel ``(u, v)``:

    .. math::

        y_m(u, v) = b_m + \sum_c \sum_{i, j} \sum_{x', y'} x_c(i, j)\, w_{c,m}(x', y')\,
        [\,u = s_H i - p_H + d_H x'\,]\,[\,v = s_W j - p_W + d_W y'\,]

    (square brackets: 1 when the equation holds, else 0; ``(x', y')`` the kernel
    offset, ``p_H, p_W`` the padding). With ``convention="convolution"`` the
    kernel is read flipped, ``w_{c,m}(k_H - 1 - x', k_W - 1 - y')``. Derived in
    chapter "The adjoint view".

    Parameters
    ----------
    x : array_like, shape (N, C_in, H, W) or (C_in, H, W)
        The layer's input: a batch, or one example.
    w : array_like, shape (C_in, C_out, kH, kW)
        Kernels, in PyTorch's transposed layout: the kernel ``w`` of the
        convolution :func:`~cnnlit.conv_forward` that maps ``C_out`` channels
        to ``C_in``, whose input gradient this layer computes.
    b : array_like, shape (C_out,), or None
        Biases; ``None`` for a layer without bias.
    stride : int or (int, int)
        *s*, >= 1: the spacing of the input pixels' footprints in the output.
    padding : int or (int, int)
        *p*, >= 0: rows (columns) removed from *each* side of the full
        output, as the convolution with this padding would have added them.
    output_padding : int or (int, int)
        Rows (columns) added at the bottom (right) of the output, each
        ``< max(stride, dilation)``: it picks which of the input sizes that
        the convolution maps to ``(H, W)`` this layer produces.
    dilation : int or (int, int)
        *d*, >= 1: spacing between kernel taps (1 is dense).
    convention : {'convolution', 'correlation'}
        The convention of the convolution being transposed. ``'correlation'``
        is what PyTorch calls ``conv_transpose2d``.

    Returns
    -------
    y : ndarray, shape (N, C_out, H_out, W_out) or (C_out, H_out, W_out)
        ``H_out = (H - 1) sH - 2 pH + dH (kH - 1) + output_padding + 1``,
        likewise ``W_out``. float32 when every input is float32, else float64.

    Raises
    ------
    ValueError
        For bad shapes, a channel mismatch, ``output_padding`` out of range or
        an output size that is not positive.
    TypeError
        For non-numeric or complex arrays, or options that are not ints.

    Notes
    -----
    With ``b = None`` and ``output_padding`` chosen so that ``(H_out,
    W_out)`` is the size of ``o_prev``, this is exactly ``dE_do_prev`` of
    ``conv_backward(x, o_prev, w, ...)`` with the same stride, padding,
    dilation and convention: the transposed convolution *is* the input
    gradient of the convolution, and the adjoint identity
    ``⟨conv(o, w), x⟩ = ⟨o, convᵀ(x, w)⟩``
    holds. Derived in chapter "The adjoint view".

    Computed by :func:`~cnnlit.conv_backward`: the input gradient of the
    unpadded convolution, cut to size. (The same map is also a convolution of
    ``x`` with ``s - 1`` zeros between its pixels, but of the products that
    one computes only one in ``sH sW`` involves an input pixel.)

    Examples
    --------
    One pixel spreads the kernel; with stride 2 two pixels' copies overlap in
    one column (the convolution convention flips the kernel):

    >>> import numpy as np
    >>> w = np.array([[[[1.0, 2.0, 3.0]]]])
    >>> conv_transpose_forward(np.array([[[1.0]]]), w, None)
    array([[[3., 2., 1.]]])
    >>> conv_transpose_forward(np.array([[[1.0, 10.0]]]), w, None, stride=2)
    array([[[ 3.,  2., 31., 20., 10.]]])
    >>> conv_transpose_forward(np.array([[[1.0, 10.0]]]), w, np.array([0.5]), stride=2,
    ...                        convention="correlation")
    array([[[ 1.5,  2.5, 13.5, 20.5, 30.5]]])
    """
    g, x, w, b, _, dtype = _validate(
        x,
        w,
        b,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        dilation=dilation,
        convention=convention,
    )
    # The input gradient of the convolution, unpadded, whose output is x: the full output ...
    full = g.full
    o_prev = np.broadcast_to(
        np.zeros((), dtype=dtype), (g.N, g.C_out) + full
    )  # only its shape is read
    y_full = conv_backward(
        x, o_prev, w, stride=g.s, dilation=g.d, convention=g.convention
    )[2]
    # ... from which padding removes p rows and columns on each side, and
    # output_padding adds rows and columns (zero when past the full output).
    (ph, pw), (H_out, W_out) = g.p, g.out
    if (ph, pw) == (0, 0) and (H_out, W_out) == full:
        y = y_full
    else:
        y = np.zeros((g.N, g.C_out, H_out, W_out), dtype=dtype)
        rows, cols = (
            max(0, min(H_out, full[0] - ph)),
            max(0, min(W_out, full[1] - pw)),
        )
        y[:, :, :rows, :cols] = y_full[:, :, ph : ph + rows, pw : pw + cols]
    if b is not None:
        y += b[:, None, None]
    return y[0] if g.single else y


def conv_transpose_backward(
    delta,
    x,
    w,
    *,
    stride=1,
    padding=0,
    output_padding=0,
    dilation=1,
    convention="convolution",
):
    r"""Gradients of a transposed convolutional layer from its deltas.

    With ``δ_m = ∂E / ∂y_m`` and the options of the
    forward pass (``convention="correlation"`` written out; the convolution
    convention reads the kernel flipped, as in :func:`conv_transpose_forward`):

    .. math::

        \frac{\partial E}{\partial x_c(i, j)} = \sum_m \sum_{x', y'}
        \delta_m(s_H i - p_H + d_H x',\ s_W j - p_W + d_W y')\, w_{c,m}(x', y')

    .. math::

        \frac{\partial E}{\partial w_{c,m}(x', y')} = \sum_{i, j}
        x_c(i, j)\, \delta_m(s_H i - p_H + d_H x',\ s_W j - p_W + d_W y')

    .. math::

        \frac{\partial E}{\partial b_m} = \sum_{u, v} \delta_m(u, v)

    (*δ* is zero outside the output; sums over the batch as well).
    The first is the convolution whose input gradient the layer is:
    ``conv_forward(delta, w, None, ...)``. Derived in chapter "The adjoint
    view".

    Parameters
    ----------
    delta : array_like, shape (N, C_out, H_out, W_out) or (C_out, H_out, W_out)
        ``∂E/∂y``, shaped like the output of
        :func:`conv_transpose_forward`.
    x : array_like, shape (N, C_in, H, W) or (C_in, H, W)
        The forward pass's input.
    w : array_like, shape (C_in, C_out, kH, kW)
        The forward pass's kernels.
    stride, padding, output_padding, dilation, convention
        As given to :func:`conv_transpose_forward`.

    Returns
    -------
    dE_dw : ndarray, shape (C_in, C_out, kH, kW)
    dE_db : ndarray, shape (C_out,)
        The sum of the deltas. Returned whether or not the layer has a bias
        (the function does not see ``b``); a layer built with ``b = None``
        ignores it.
    dE_dx : ndarray, shaped like ``x``

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[[1.0, 10.0]]])
    >>> w = np.array([[[[1.0, 2.0, 3.0]]]])
    >>> dE_dw, dE_db, dE_dx = conv_transpose_backward(np.ones((1, 1, 5)), x, w, stride=2)
    >>> dE_dw
    array([[[[11., 11., 11.]]]])
    >>> dE_db
    array([5.])
    >>> dE_dx
    array([[[6., 6.]]])
    """
    g, x, w, _, delta, dtype = _validate(
        x,
        w,
        delta=delta,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        dilation=dilation,
        convention=convention,
    )
    zeros = np.zeros(g.C_in, dtype=dtype)
    # The convolution this layer transposes; with output_padding >= stride
    # (possible when dilation > stride) it has rows past H, which no x reached.
    dx = conv_forward(
        delta,
        w,
        zeros,
        stride=g.s,
        padding=g.p,
        dilation=g.d,
        convention=g.convention,
    )
    dE_dx = np.ascontiguousarray(dx[:, :, : g.H, : g.W])
    # dE/dw[c, m, p, q] = sum_n sum_ij delta_pad[n, m, s i + d p, ...] x[n, c, i, j] (correlation):
    # delta as a batch of C_out images with N channels, x as C_in kernels of N channels dilated by s.
    kx = x.transpose(1, 0, 2, 3)
    dw = conv_forward(
        delta.transpose(1, 0, 2, 3),
        kx,
        zeros,
        stride=g.d,
        padding=g.p,
        dilation=g.s,
        convention="correlation",
    )  # (C_out, C_in, >= kH, >= kW): output_padding >= dilation adds taps past the kernel
    kH, kW = g.k
    dE_dw = dw[:, :, :kH, :kW].transpose(1, 0, 2, 3)
    if g.convention == "convolution":
        dE_dw = dE_dw[:, :, ::-1, ::-1]
    dE_dw = np.ascontiguousarray(dE_dw)
    dE_db = delta.sum(axis=(0, 2, 3))
    return dE_dw, dE_db, (dE_dx[0] if g.single else dE_dx)
