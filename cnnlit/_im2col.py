r"""The im2col engine of the convolutional layer (see chapter "Performance").

:mod:`cnnlit.conv` validates its arguments and flips the kernel; this module
computes a *valid cross-correlation* of a padded batch and its gradients:

- :class:`Geometry`: the shapes of one layer call, its column layout and its
  blocks. The windows of the padded input are copied into a matrix (im2col),
  whose columns are the output pixels. With stride 1 the matrix is *wide*:
  output pixel ``(i, j)`` is column ``i * Wp + j``, so that every row of the
  matrix is one contiguous run of the flattened padded image (a fast copy),
  and the few columns that straddle two image rows are computed and dropped.
- :func:`forward` and :func:`backward`: the products, block by block. The
  batch (and, for huge images, the output rows) is cut into blocks whose
  column matrix fits ``budget`` bytes, an argument (:data:`BUDGET` by
  default): small enough to stay in the processor's cache from the copy to
  the products. The bias rides along as the weight of an extra row of ones.
  The input gradient is the kernels times the deltas, added back onto the
  pixels the columns came from (col2im). With stride 1: a product per kernel
  row of the deltas shifted by each kernel column, then one sum over the
  kernel rows of a strided view (:func:`_col2im_rows`), or, where that moves
  more memory, one sum over the kernel offsets of a strided view in the wide
  layout (:func:`_col2im_wide`); with a stride, one strided addition per
  offset (:func:`_col2im`).

The blocks run through :mod:`cnnlit._blocks` (threads, OpenBLAS's thread
count, scratch memory).
"""

import numpy as np

from ._blocks import InOrder, _workers, blas_threads, run_blocks
from .padding import pad

#: Largest column matrix built at once, in bytes: small enough that a block's
#: columns are still in the processor's cache when the matrix products and
#: col2im read them again (measured in benchmarks/bench_conv.py).
BUDGET = 2 * 2**20

#: On one thread, a block of whole examples holds at most this many bytes of
#: columns (at least one example): with the products and col2im's arrays of
#: the same block it stays in a core's own cache (2 MiB of L2 on the machine
#: of the measurements). One thread, forward and both gradients, against
#: blocks of up to BUDGET: (64, 1, 8, 28, 5) 0.63 and 0.68 of the time in
#: float32 and float64, (64, 8, 16, 12, 5) 0.94 and 0.84, (128, 16, 32, 16, 3)
#: 0.91 and 0.95, (N, 8, 16, 16, 3) 0.91 to 0.95 and 0.77 to 0.78; with 256
#: KiB 0.70 to 1.04, with 512 KiB 0.64 to 0.94 (float64 batches 0.88). With
#: several threads the blocks stay larger: each block's Python code waits for
#: Python's lock, and with blocks of 512 KiB a pass of the suite's three
#: smaller layers took up to 1.7 times as long on two threads.
CACHE_BLOCK = 384 * 2**10

# Wide columns (stride 1) while C_out <= _WIDE_RATIO * C_in * kH * kW: they save
# copies on the input's side and cost some on the output's side (measured).
_WIDE_RATIO = 2
# ... and while the wide rows (Wp columns for W_out pixels) waste little: the
# exact layout when they are at least _WIDE_WASTE times as wide with rows of
# W_out >= _WIDE_MIN_WO pixels (shorter rows copy slowly), or at least
# _WIDE_WASTE_ANY times as wide. Measured (8 to 64 examples, 8 -> 16 channels,
# one thread, forward and both gradients, float32 and float64): 11, 15 and 21
# wide kernels on 32 pixels (W_out 22, 18, 12; 1.45, 1.78, 2.67 times as wide)
# took 0.84-0.86, 0.65-0.75 and 0.36-0.40 of the wide layout's time in the
# exact one; W_out 26 and 24 (1.23 and 1.17 times as wide), 8, 12 and 8 (2.0,
# 1.67, 1.5 times as wide) 0.98 to 1.41 times as long.
_WIDE_WASTE, _WIDE_MIN_WO, _WIDE_WASTE_ANY = 1.4, 16, 2.5

# ---------------------------------------------------------------- geometry


class Geometry:
    """The shapes of one call and the layout of its column matrix.

    Parameters
    ----------
    N, C_in, H, W : int
        The input batch (N, C_in, H, W), before padding.
    C_out, kH, kW : int
        The kernels (C_out, C_in, kH, kW).
    Ho, Wo : int
        The output's height and width (:func:`cnnlit.conv_output_shape`).
    stride, padding, dilation : (int, int)
    boundary : {'fill', 'wrap', 'symm'}

    The columns of the im2col matrix are the output pixels. With stride 1 they
    are laid out *wide*: output pixel ``(i, j)`` of an example is column
    ``i * Wp + j``, the pixel of the padded input it starts from, so that every
    row of the matrix is one contiguous run of the flattened padded image (a
    fast copy) and the columns ``j >= W_out`` in between are padding that is
    computed and thrown away. With a stride the columns are the output pixels
    themselves (``pitch = W_out``).
    """

    def __init__(
        self,
        N,
        C_in,
        H,
        W,
        C_out,
        kH,
        kW,
        Ho,
        Wo,
        stride=(1, 1),
        padding=(0, 0),
        dilation=(1, 1),
        boundary="fill",
    ):
        self.N, self.C_in, self.H, self.W = N, C_in, H, W
        self.C_out, self.kH, self.kW = C_out, kH, kW
        self.Ho, self.Wo = Ho, Wo
        (self.sH, self.sW), (self.ph, self.pw) = stride, padding
        self.dH, self.dW = dilation
        self.Hp, self.Wp = H + 2 * self.ph, W + 2 * self.pw
        self.boundary = boundary
        self.wide = (
            stride == (1, 1)
            and C_out <= _WIDE_RATIO * C_in * kH * kW
            and self.Wp < _WIDE_WASTE_ANY * Wo
            and (Wo < _WIDE_MIN_WO or self.Wp < _WIDE_WASTE * Wo)
        )
        # columns from one output row to the next
        self.pitch = self.Wp if self.wide else Wo
        self._plans = {}

    def pad(self, x, dtype):
        """The batch ``x`` (N, C_in, H, W) as ``dtype``, padded: C-contiguous, (N, C_in, Hp, Wp)."""
        if self.ph == 0 and self.pw == 0:
            return np.ascontiguousarray(x, dtype=dtype)
        if self.boundary != "fill":
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

    def block_size(self, itemsize, budget=BUDGET):
        """(examples, output rows) of a block: its column matrix, the widest of
        the block's matrices (C_in kH kW or C_out rows), fits ``budget`` bytes.
        An example up to twice the budget stays whole: cutting it into row
        blocks costs more than the larger block (measured on the largest
        float64 layer of benchmarks/bench_conv.py)."""
        row_bytes = self._row_bytes(itemsize)
        per_example = self._example_bytes(itemsize)
        if per_example <= 2 * budget:
            return min(self.N, max(1, budget // per_example)), self.Ho
        return 1, min(self.Ho, max(1, budget // (row_bytes * self.pitch)))

    def _row_bytes(self, itemsize):
        """Bytes of one column of the widest of a block's matrices."""
        return max(self.C_in * self.kH * self.kW, self.C_out) * itemsize

    def _example_bytes(self, itemsize):
        """Bytes of one whole example's columns in the widest matrix."""
        return self._row_bytes(itemsize) * self.span(0, self.Ho)

    def blocks(self, itemsize, budget=BUDGET):
        """(n0, n1, r0, r1): batch and output-row ranges whose columns fit ``budget``,
        and the most columns of any block."""
        return self._ranges(*self.block_size(itemsize, budget))

    def _ranges(self, step, rows):
        """The blocks of ``step`` examples and ``rows`` output rows, and their most columns."""
        ranges = [
            (n0, min(self.N, n0 + step), r0, min(self.Ho, r0 + rows))
            for n0 in range(0, self.N, step)
            for r0 in range(0, self.Ho, rows)
        ]
        return ranges, step * self.span(0, rows)

    def plan(self, itemsize, weights, budget=BUDGET):
        """(blocks, most, workers): :meth:`blocks`, and the threads that take them.

        ``weights``: the rows times the columns of the products' fixed matrix,
        so that a block's product is ``weights`` multiply-adds per column.
        With more than one worker the batch is cut into at least two blocks per
        worker (a worker on a busy core takes fewer of them); with one, into
        blocks of at most :data:`CACHE_BLOCK` bytes of columns.
        """
        workers = _workers(weights * self.N * self.span(0, self.Ho))
        key = (itemsize, budget, workers)
        if key not in self._plans:  # a geometry is used again (conv._geometry)
            step, rows = self.block_size(itemsize, budget)
            if workers > 1 and rows == self.Ho:
                step = min(step, max(1, -(-self.N // (2 * workers))))
            elif rows == self.Ho:
                per_example = self._example_bytes(itemsize)
                step = min(step, max(1, CACHE_BLOCK // per_example))
            blocks, most = self._ranges(step, rows)
            self._plans[key] = blocks, most, min(workers, len(blocks))
        return self._plans[key]

    def cols(self, xp, n0, n1, r0, r1, out, ones=False):
        """im2col: the windows copied into ``out``, returned as shape (C_in * kH * kW, (n1 - n0) * span).

        ``xp`` is the padded batch, C-contiguous, shape (N, C_in, Hp, Wp); ``out`` a 1-D array large
        enough. ``ones=True`` appends a row of ones: the constant input whose weight is the bias.
        """
        # the strides of a C-contiguous (N, C_in, Hp, Wp) array, from its
        # shape: numpy may give an axis of length 1 any stride (0 for one made
        # by None), and the wide layout steps along the last axis past Wp
        e = xp.itemsize
        sX, sY = e, self.Wp * e
        sC = self.Hp * sY
        sN = self.C_in * sC
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
        cols = np.ndarray((K + ones, view.size // K), out.dtype, buffer=out)
        np.copyto(np.ndarray(shape, out.dtype, buffer=out), view)
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


# ---------------------------------------------------------------- the passes


def _pointwise(g):
    """1x1 kernels, stride 1: the padded input is its own column matrix."""
    return g.kH == g.kW == 1 and g.sH == g.sW == 1


def forward(g, xp, K, b, *, budget=BUDGET):
    """Valid cross-correlation of the padded batch ``xp`` with the kernels ``K``, plus ``b``.

    Parameters
    ----------
    g : Geometry
    xp : ndarray, shape (N, C_in, Hp, Wp), C-contiguous
    K : ndarray, shape (C_out, C_in, kH, kW)
        The kernels as correlated with the input, of ``xp``'s dtype.
    b : ndarray, shape (C_out,), or None
    budget : int
        Bytes of the largest column matrix built at once.

    Returns
    -------
    c : ndarray, shape (N, C_out, Ho, Wo)
    """
    if _pointwise(g):  # one product per example, no copy
        x = xp.reshape(g.N, g.C_in, g.Hp * g.Wp)
        with blas_threads(K.size * g.Hp * g.Wp):
            c = np.matmul(K.reshape(g.C_out, g.C_in), x)
        if b is not None:
            c += b[:, None]
        return c.reshape(g.N, g.C_out, g.Ho, g.Wo)
    # The bias is the weight of a constant input of ones: one more column of the
    # kernels, one more row of ones under the windows, and the product adds it.
    ones = b is not None
    W2 = np.empty((g.C_out, g.C_in * g.kH * g.kW + ones), dtype=xp.dtype)
    W2[:, : W2.shape[1] - ones] = K.reshape(g.C_out, -1)
    if ones:
        W2[:, -1] = b
    c = np.empty((g.N, g.C_out, g.Ho, g.Wo), dtype=xp.dtype)
    blocks, most, workers = g.plan(xp.itemsize, W2.size, budget)

    def work(block, buffers, state):
        n0, n1, r0, r1 = block
        cols_buf, out_buf = buffers
        cols = g.cols(xp, n0, n1, r0, r1, out=cols_buf, ones=ones)
        product = np.dot(
            W2,
            cols,
            out=out_buf[: g.C_out * cols.shape[1]].reshape(g.C_out, -1),
        )
        c[n0:n1, :, r0:r1] = g.pixels(product, n1 - n0, r0, r1)

    sizes = (W2.shape[1] * most, g.C_out * most)
    kept = g._plans.setdefault(
        ("forward", xp.itemsize, budget, workers, ones), []
    )
    run_blocks(blocks, work, workers, xp.dtype, sizes, W2.size * most, kept)
    return c


def backward(g, xp, K, d, *, budget=BUDGET):
    """Gradients of :func:`forward` from the deltas ``d`` (N, C_out, Ho, Wo).

    Returns
    -------
    dK : ndarray, shape (C_out, C_in, kH, kW)
        Gradient with respect to the correlated kernels ``K``.
    db : ndarray, shape (C_out,)
    dxp : ndarray, shape (N, C_in, Hp, Wp)
        Gradient with respect to the padded input.
    """
    if _pointwise(g):
        return _pointwise_backward(g, xp, K.reshape(g.C_out, g.C_in), d)
    Kc = g.C_in * g.kH * g.kW
    p = _backward_plan(g, xp.itemsize, budget)
    blocks, rows_blocked, by_rows = p["blocks"], p["rows_blocked"], p["by_rows"]
    # Every pixel gets its gradient from exactly one block unless the output rows are cut.
    dxp = (np.zeros if rows_blocked or not (g.wide or by_rows) else np.empty)(
        (g.N, g.C_in, g.Hp, g.Wp), dtype=xp.dtype
    )
    if by_rows:
        # The kernels as (kH C_in, kW C_out): a row per (kernel row, input
        # channel), a column per (kernel column, output channel).
        Wt = K.transpose(2, 1, 3, 0).reshape(g.kH * g.C_in, g.kW * g.C_out)
    else:
        reach, order_pqc = p["reach"], p["order_pqc"]
        # The kernels, one row per (kernel offset, input channel) for col2im in
        # the wide layout: each offset's gradient of every channel of an
        # example is then one run of memory (see _col2im_wide); in channel
        # order when row blocks overlap, where the other order measured slower.
        Wt = (  # reshape copies where the rows change order
            K.transpose(2, 3, 1, 0) if order_pqc else K.transpose(1, 2, 3, 0)
        ).reshape(Kc, g.C_out)

    def work(block, buffers, state):
        n0, n1, r0, r1 = block
        cols_buf, d_buf = buffers[:2]
        n, span = n1 - n0, g.span(r0, r1)
        # Zero columns (the wide layout's padding columns, the slots' ends) stay
        # zero from one block to the next of the same shape in the same buffers.
        new_layout = (n, span) != state.get("layout")
        state["layout"] = (n, span)
        # The deltas in the columns' layout.
        d_block = d_buf[: g.C_out * n * span].reshape(g.C_out, n * span)
        if g.wide and new_layout:
            d_block.fill(0)
        g.pixels(d_block, n, r0, r1)[...] = d[n0:n1, :, r0:r1]
        # dE/db = sum of the deltas: the weight gradient of a constant input of
        # ones (see forward). (cols @ d^T)^T rather than d @ cols^T: the same
        # product, but OpenBLAS splits this long, thin one across threads far better.
        cols = g.cols(xp, n0, n1, r0, r1, out=cols_buf, ones=True)
        total.add(order[block], np.dot(cols, d_block.T).T)
        if by_rows:
            _col2im_rows(
                g, Wt, d_block, n0, n1, r0, r1, dxp, *buffers[2:],
                rows_blocked, new_layout,
            )  # fmt: skip
        elif g.wide:
            _col2im_wide(
                g, Wt, order_pqc, d_block, n0, n1, r0, reach, dxp,
                *buffers[2:], rows_blocked, new_layout,
            )  # fmt: skip
        else:
            _col2im(g, Wt, d_block, n0, n1, r0, r1, dxp, buffers[2])

    order, total = p["order"], InOrder()
    run_blocks(
        blocks, work, p["workers"], xp.dtype, p["sizes"], p["products"],
        p["kept"],
    )  # fmt: skip
    dW2 = total.sum
    dK = dW2[:, :Kc].reshape(K.shape)
    return dK, dW2[:, Kc].copy(), dxp


# col2im a kernel row at a time while its memory traffic per column,
# kW C_out + 2 kH C_in, is below 3/5 of that of col2im an offset at a time,
# 2 kH kW C_in (measured; see _by_kernel_rows).
_COL2IM = "auto"  # "rows" or "offsets" force one (tests)


def _by_kernel_rows(g):
    """Whether the input gradient is col2im'd a kernel row at a time (:func:`_col2im_rows`).

    Only with stride 1. Per column of the column matrix, col2im an offset at a
    time writes and reads ``kH kW C_in`` numbers (:func:`_col2im_wide`); a
    kernel row at a time copies ``kW C_out`` deltas and writes and reads
    ``kH C_in`` numbers. Measured (one thread, conv_backward): (64, 8, 16, 12,
    5) 0.79 to 0.80 of the time of an offset at a time, (8, 16, 16, 32, k)
    0.88 to 0.91 for k = 3 and 0.48 to 0.57 for k = 11 to 21, (8, 16, 1, 32,
    3) 0.34 to 0.46; but (64, 1, 8, 28, 5) 1.21 to 1.23 (traffic 1.00 of an
    offset at a time), (8, 16, 128, 32, 3) 1.16 to 1.31 (1.67) and layers
    with a traffic of 0.67 about the same.
    """
    if g.sH != 1 or g.sW != 1:
        return False
    if _COL2IM != "auto":
        return _COL2IM == "rows"
    rows = g.kW * g.C_out + 2 * g.kH * g.C_in
    return 5 * rows < 3 * (2 * g.kH * g.kW * g.C_in)  # in whole numbers


def _col2im_rows(
    g, Wt, d_block, n0, n1, r0, r1, dxp, D_buf, E_buf, tmp_buf, accumulate,
    new_layout,
):  # fmt: skip
    """Input gradient of one block (stride 1): a product per kernel row, then one sum over the rows.

    ``Wt``: the kernels, shape (kH C_in, kW C_out), ``Wt[p C_in + c, q C_out
    + o] = K[o, c, p, q]``. An output row of ``R = r1 - r0`` is laid out on
    the padded input's width ``Wp``: ``D[n, (q, o), i Wp + j]`` holds the
    delta of output pixel ``(i, j - q dW)``, the deltas shifted by kernel
    column ``q``, zero where there is none. Then ``E = Wt D`` is, for each
    kernel row ``p`` and input channel ``c``, the gradient of input pixel
    ``(i + p dH, j)`` from row ``p`` of the kernel, and col2im is one sum over
    the ``kH`` kernel rows of ``E`` shifted by ``p dH Wp``: ``E`` gets
    ``(kH - 1) dH`` zero rows after each (p, c) for the shifts to reach into.
    """
    n, R = n1 - n0, r1 - r0
    width = R * g.Wp  # D's and E's columns per example
    slot = (R + (g.kH - 1) * g.dH) * g.Wp  # input rows the block reaches
    Co, kW = g.C_out, g.kW
    D = D_buf[: n * kW * Co * width].reshape(n, kW * Co, width)
    E = E_buf[: n * g.kH * g.C_in * slot].reshape(n, g.kH * g.C_in, slot)
    if new_layout:  # the positions no delta is copied to stay zero
        D.fill(0)
        E[:, :, width:] = 0
    e = D.itemsize
    if g.wide:  # d_block's rows are D's, shifted: runs of span columns
        span = g.span(r0, r1)
        shape, source = (n, kW, Co, span), d_block.reshape(Co, n, span)
        source = source.transpose(1, 0, 2)[:, None]
        strides = (kW * Co * width, Co * width + g.dW, width, 1)
    else:
        shape, source = (n, kW, Co, R, g.Wo), g.pixels(d_block, n, r0, r1)
        source = source[:, None]
        strides = (kW * Co * width, Co * width + g.dW, width, g.Wp, 1)
    np.copyto(
        np.ndarray(shape, D.dtype, D, strides=[s * e for s in strides]), source
    )
    np.matmul(Wt, D, out=E[:, :, :width])
    # shifted[n, c, u, p] = E[n, (p, c), u - p dH Wp]: a shift reaches back
    # into the zero rows of the row before it (p = 0 does not shift).
    shifted = np.ndarray(
        (n, g.C_in, slot, g.kH),
        E.dtype,
        E,
        strides=(
            g.kH * g.C_in * slot * e,
            slot * e,
            e,
            (g.C_in * slot - g.dH * g.Wp) * e,
        ),
    )
    target = dxp.reshape(g.N, g.C_in, g.Hp * g.Wp)[
        n0:n1, :, r0 * g.Wp : r0 * g.Wp + slot
    ]
    if accumulate:  # row blocks overlap by the kernel's reach
        target += np.add.reduce(
            shifted,
            axis=3,
            out=tmp_buf[: n * g.C_in * slot].reshape(n, g.C_in, slot),
        )
    else:
        np.add.reduce(shifted, axis=3, out=target)


def _backward_plan(g, itemsize, budget):
    """The blocks of a backward pass of ``g``, their threads, col2im's way and
    the sizes of the scratch arrays: a dict, kept on ``g`` for the next call."""
    Kc = g.C_in * g.kH * g.kW
    blocks, most, workers = g.plan(itemsize, (Kc + 1) * g.C_out, budget)
    key = ("backward", itemsize, budget, workers, _COL2IM)
    p = g._plans.get(key)
    if p is not None:
        return p
    rows_blocked = blocks[0][3] < g.Ho
    if rows_blocked:  # blocks of one example overlap: one at a time
        workers = 1
    by_rows = _by_kernel_rows(g)
    p = dict(blocks=blocks, rows_blocked=rows_blocked, by_rows=by_rows)
    if by_rows:
        lines = max(
            (n1 - n0) * (r1 - r0 + (g.kH - 1) * g.dH) * g.Wp
            for n0, n1, r0, r1 in blocks
        )
        col2im = (
            g.kW * g.C_out * lines,
            g.kH * g.C_in * lines,
            g.C_in * lines * rows_blocked,
        )
    else:
        # Wide layout: the input gradient of a block covers its columns plus the kernel's reach.
        p["reach"] = reach = (
            (g.kH - 1) * g.dH * g.Wp + (g.kW - 1) * g.dW if g.wide else 0
        )
        p["order_pqc"] = g.wide and not rows_blocked
        slots = max(
            (n1 - n0) * (g.span(r0, r1) + reach) for n0, n1, r0, r1 in blocks
        )
        col2im = (Kc * slots, g.C_in * slots * rows_blocked)
    p.update(
        workers=workers,
        sizes=((Kc + 1) * most, g.C_out * most, *col2im),
        products=(Kc + 1) * g.C_out * most,
        order={block: i for i, block in enumerate(blocks)},
        kept=[],
    )
    g._plans[key] = p
    return p


def _pointwise_backward(g, xp, W2, d):
    """:func:`backward` for 1x1 kernels and stride 1: one product per example and gradient."""
    x = xp.reshape(g.N, g.C_in, g.Hp * g.Wp)
    dd = d.reshape(g.N, g.C_out, g.Hp * g.Wp)
    with blas_threads(W2.size * g.Hp * g.Wp):
        dK = np.matmul(dd, x.transpose(0, 2, 1)).sum(axis=0)
        dxp = np.matmul(W2.T, dd)
    dK = dK.reshape(g.C_out, g.C_in, 1, 1)
    return dK, dd.sum(axis=(0, 2)), dxp.reshape(xp.shape)


def _col2im(g, Wt, d_block, n0, n1, r0, r1, dxp, dcols_buf):
    """Input gradient of one block in the exact layout: one strided addition per kernel offset.

    ``Wt``: the kernels, shape (C_in kH kW, C_out), rows ordered (c, p, q).
    """
    n, K = n1 - n0, Wt.shape[0]
    dcols = np.dot(
        Wt,
        d_block,
        out=dcols_buf[: K * d_block.shape[1]].reshape(K, -1),
    )
    dcols = dcols.reshape(g.C_in, g.kH, g.kW, n, r1 - r0, g.Wo)
    for p in range(g.kH):
        top = r0 * g.sH + p * g.dH
        rows = slice(top, top + (r1 - r0 - 1) * g.sH + 1, g.sH)
        for q in range(g.kW):
            cols = slice(q * g.dW, q * g.dW + (g.Wo - 1) * g.sW + 1, g.sW)
            target = dxp[n0:n1, :, rows, cols].transpose(1, 0, 2, 3)
            target += dcols[:, p, q]


def _col2im_wide(
    g,
    Wt,
    order_pqc,
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

    ``Wt``: the kernels, shape (C_in kH kW, C_out), a row per input channel
    and kernel offset, ordered (p, q, c) if ``order_pqc`` else (c, p, q). The
    columns' gradient of each example, ``Wt d`` (C_in kH kW, span), is followed
    by ``reach`` zero columns: a *slot* covering every pixel the block's
    windows touch. Then the gradient of kernel offset (p, q), shifted by that
    offset, is one strided view of the slots for every offset at once, zero
    wherever a window does not reach, and col2im is one sum over the offsets.
    In the (p, q, c) order, when a slot is a whole image, the channels of one
    offset follow each other: the sum runs along C_in slots at a time.
    """
    n = n1 - n0
    K, span = Wt.shape[0], d_block.shape[1] // n
    slot = span + reach
    dcols = dcols_buf[: n * K * slot].reshape(n, K, slot)
    if zero_tails:
        dcols[:, :, span:] = 0
    # One product per example, (C_in kH kW, C_out) @ (C_out, span), written into its slots;
    # for one output channel an outer product, which np.multiply makes 2 to 5 times
    # as fast as np.matmul (measured on the sweep's (8, 16, 1, 32, 3) layer).
    (np.multiply if g.C_out == 1 else np.matmul)(
        Wt,
        d_block.reshape(g.C_out, n, span).transpose(1, 0, 2),
        out=dcols[:, :, :span],
    )
    # shifted[n, c, t, p, q] = dcols[n, row(c, p, q), t - p dH Wp - q dW]: a shift reaches back
    # into the zero columns of the row before it ((p, q) = (0, 0), the first one, does not shift).
    rc, rp, rq = (
        (1, g.kW * g.C_in, g.C_in) if order_pqc else (g.kH * g.kW, g.kW, 1)
    )
    e = dcols.itemsize
    shifted = np.ndarray(
        (n, g.C_in, slot, g.kH, g.kW),
        dcols.dtype,
        buffer=dcols,
        strides=(
            K * slot * e,
            rc * slot * e,
            e,
            (rp * slot - g.dH * g.Wp) * e,
            (rq * slot - g.dW) * e,
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
