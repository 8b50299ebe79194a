"""Pictures of the transposed convolution: every input pixel scatters a copy
of the kernel.

A transposed convolution is the input-gradient map of a convolution used as a
layer: the pixel ``x(i, j)`` adds ``x(i, j)`` times the kernel, laid as the
convolution's backward pass lays it, onto the output at ``(s i, s j)``. Where
the copies overlap they add up; with stride 2 and a 3x3 kernel some output
pixels receive one copy, some two and some four (the checkerboard).

:func:`transpose_scatter` computes the frames of that scatter (one frame per
input pixel, the output accumulated so far) over the window engine's cells,
and :func:`coverage` counts the copies that reach each output pixel
(:func:`count_grid` draws such counts). A chapter asserts them against
``conv_transpose_forward`` and shows them with :func:`cnnlit.plot.show`,
:func:`cnnlit.plot.animate` and :func:`cnnlit.plot.multiples`.

The colours are those of the backward pass the layer computes: the input
``x`` is drawn as deltas (purple), the kernel orange, the output as a gradient
(red), and the rows and columns that ``padding`` cuts off grey and dashed.
"""

from dataclasses import dataclass

import numpy as np
from matplotlib import pyplot as plt
from matplotlib.patches import Rectangle

from .._checks import CONVENTIONS, check_flag, pair
from ._core import DPI, Picture, as_map, check_size
from ._style import (
    caption_strip,
    draw_array,
    draw_window,
    fmt_value,
    panels_over_strip,
    role_colour,
)
from .sliding import windows

__all__ = ["transpose_scatter", "coverage", "count_grid"]


@dataclass(frozen=True)
class ScatterFrame:
    """What one frame of the scatter shows: one input pixel's copy of the kernel.

    Attributes
    ----------
    pixel : (int, int)
        The input pixel ``(i, j)`` this frame scatters.
    value : float
        ``x[i, j]``.
    cells : ndarray of int, shape (kH, kW, 2)
        The canvas cells the copy lands on: ``(s_H i + d_H p, s_W j + d_W q)``
        for the kernel offset ``(p, q)`` (canvas coordinates: the output
        before ``padding`` cuts its border).
    products : ndarray, shape (kH, kW)
        ``value * laid``: the numbers added to those cells.
    canvas : ndarray, shape (H_c, W_c)
        The canvas after this frame: the copies of this pixel and of every
        pixel before it, added up.
    """

    pixel: tuple
    value: float
    cells: np.ndarray
    products: np.ndarray
    canvas: np.ndarray


@dataclass(frozen=True)
class TransposeScatter(Picture):
    """Every frame of a transposed convolution's scatter, and its output.

    Attributes
    ----------
    x : ndarray, shape (H, W)
        The input given.
    kernel : ndarray, shape (kH, kW)
        The kernel given (``w[c, m]``, PyTorch's transposed layout).
    laid : ndarray, shape (kH, kW)
        The kernel as each copy lays it: ``rot180(kernel)`` for
        ``convention="convolution"``, as given for ``"correlation"``.
    stride, padding, output_padding, dilation : (int, int)
    convention : str
    canvas : ndarray, shape (H_c, W_c)
        Every copy added up, before the cut: the full output
        ``((H - 1) s_H + d_H (kH - 1) + 1, ...)``, with zero rows and columns
        appended where ``output_padding`` reaches past it.
    kept : ndarray of bool, shape (H_c, W_c)
        The canvas cells that make the output: ``padding`` rows and columns
        cut from each side, ``output_padding`` given back at the bottom and
        right.
    output : ndarray, shape (H_out, W_out)
        ``canvas`` where ``kept``: ``H_out = (H - 1) s_H - 2 p_H +
        d_H (kH - 1) + output_padding_H + 1``, likewise ``W_out``.
    frames : tuple of ScatterFrame
        Row by row, one per input pixel.
    names : (str, str, str)
        Symbols of input, kernel and output written in the titles.
    """

    x: np.ndarray
    kernel: np.ndarray
    laid: np.ndarray
    stride: tuple
    padding: tuple
    output_padding: tuple
    dilation: tuple
    convention: str
    canvas: np.ndarray
    kept: np.ndarray
    output: np.ndarray
    frames: tuple
    names: tuple

    def cost(self):
        return len(
            self.frames
        ), self.canvas.size + self.x.size + self.kernel.size

    def layout(self):
        return _layout(self)

    def draw(self, axes, k):
        """The input pixel ``k``, the kernel as laid, the output so far with
        this pixel's copy outlined; the copy's caption."""
        _draw(axes, self, k)

    @property
    def panel_size(self):
        side = 0.5 * max(self.canvas.shape) + 0.8
        return side, side + 0.3

    def panel(self, ax, k):
        """The output after frame ``k`` (the latest copy outlined); with
        ``k=None`` the whole canvas, the cut cells grey and the output
        outlined, titled with its size and ``output_padding``."""
        if k is None:
            _draw_output(ax, self)
            return
        f = self.frames[k]
        title = f"+ {self.names[0]}[{f.pixel[0]}, {f.pixel[1]}] = {fmt_value(f.value)} \u00b7 copy"
        _draw_canvas(ax, self, k, title=title)
        ax.set_ylim(self.canvas.shape[0] + 0.1, -1.3)


def _geometry(x_shape, k_shape, stride, padding, output_padding, dilation):
    s = pair(stride, "stride", 1)
    p = pair(padding, "padding", 0)
    d = pair(dilation, "dilation", 1)
    op = pair(output_padding, "output_padding", 0)
    limit = tuple(max(a, b) for a, b in zip(s, d, strict=True))
    if op[0] >= limit[0] or op[1] >= limit[1]:
        raise ValueError(
            f"output_padding must be smaller than max(stride, dilation) = {limit} in each "
            f"dimension, got {output_padding!r}"
        )
    full = tuple(
        (n - 1) * si + di * (k - 1) + 1
        for n, si, di, k in zip(x_shape, s, d, k_shape, strict=True)
    )
    out = tuple(f - 2 * pi + o for f, pi, o in zip(full, p, op, strict=True))
    if min(out) < 1:
        raise ValueError(
            f"the output size {out} must be positive: (H - 1) s - 2 p + d (k - 1) + "
            f"output_padding + 1 with input {tuple(x_shape)}, kernel {tuple(k_shape)}, "
            f"stride {s}, padding {p}, dilation {d}, output_padding {op}"
        )
    return s, p, op, d, full, out


def transpose_scatter(
    x,
    kernel,
    *,
    stride=1,
    padding=0,
    output_padding=0,
    dilation=1,
    convention="convolution",
    names=("x", "w", "y"),
):
    """The frames of a transposed convolution, one input pixel at a time, with loops.

    Parameters
    ----------
    x : array_like, shape (H, W)
        The layer's input (one channel), e.g. the deltas of a convolution.
    kernel : array_like, shape (kH, kW)
        The kernel ``w[c, m]`` (the kernel of the convolution whose input
        gradient this is).
    stride, padding, output_padding, dilation : int or (int, int)
        As in :func:`cnnlit.conv_transpose_forward`: ``output_padding`` below
        ``max(stride, dilation)`` in each dimension.
    convention : {'convolution', 'correlation'}
        The convolution being transposed. For ``'convolution'`` (the source post's)
        each copy is the kernel rotated by 180 degrees; for ``'correlation'``
        (PyTorch's ``conv_transpose2d``) the kernel as it is.
    names : (str, str, str)
        Symbols of input, kernel and output, for the drawings.

    Returns
    -------
    TransposeScatter
        ``output`` equals the single-channel
        ``conv_transpose_forward(x, kernel, None, ...)`` with the same options.

    Examples
    --------
    >>> ts = transpose_scatter([[1, 10]], [[1, 2, 3]], stride=2)
    >>> ts.output
    array([[ 3.,  2., 31., 20., 10.]])
    >>> ts.frames[0].products, ts.frames[1].cells[0, :, 1]
    (array([[3., 2., 1.]]), array([2, 3, 4]))
    """
    x = as_map(x, "x")
    ker = as_map(kernel, "kernel")
    check_flag(convention, "convention", CONVENTIONS)
    (sH, sW), (ph, pw), op, (dH, dW), full, out = _geometry(
        x.shape, ker.shape, stride, padding, output_padding, dilation
    )
    kH, kW = ker.shape
    laid = ker[::-1, ::-1].copy() if convention == "convolution" else ker.copy()
    Hc, Wc = max(full[0], ph + out[0]), max(full[1], pw + out[1])
    check_size(x.size, Hc * Wc + x.size + ker.size, "this transpose_scatter")
    # the scatter view of the window engine: input pixel (i, j) is the
    # window of output (i, j) of a convolution over the canvas
    cells = windows((Hc, Wc), (kH, kW), (sH, sW), (dH, dW))[
        : x.shape[0], : x.shape[1]
    ]
    canvas = np.zeros((Hc, Wc))
    frames = []
    for i, j in np.ndindex(x.shape):
        products = x[i, j] * laid
        np.add.at(canvas, (cells[i, j, ..., 0], cells[i, j, ..., 1]), products)
        frames.append(
            ScatterFrame(
                (i, j), float(x[i, j]), cells[i, j], products, canvas.copy()
            )
        )
    kept = np.zeros((Hc, Wc), bool)
    kept[ph : ph + out[0], pw : pw + out[1]] = True
    output = canvas[ph : ph + out[0], pw : pw + out[1]].copy()
    return TransposeScatter(
        x,
        ker,
        laid,
        (sH, sW),
        (ph, pw),
        op,
        (dH, dW),
        convention,
        canvas,
        kept,
        output,
        tuple(frames),
        tuple(names),
    )


def coverage(
    input_shape,
    kernel_shape,
    stride,
    *,
    padding=0,
    output_padding=0,
    dilation=1,
):
    """How many kernel copies reach each output pixel of a transposed convolution.

    The count is the transposed convolution of an input of ones with a
    kernel of ones: for each output pixel, the number of (input pixel, tap)
    pairs that land on it. Computed with :func:`transpose_scatter`.

    Parameters
    ----------
    input_shape : (int, int)
        ``(H, W)``, the input's size.
    kernel_shape : (int, int)
        ``(kH, kW)``.
    stride, padding, output_padding, dilation : int or (int, int)

    Returns
    -------
    counts : ndarray of int, shape (H_out, W_out)

    Examples
    --------
    >>> coverage((1, 4), (1, 3), 2)
    array([[1, 1, 2, 1, 2, 1, 2, 1, 1]])
    """
    shapes = []
    for value, name in (
        (input_shape, "input_shape"),
        (kernel_shape, "kernel_shape"),
    ):
        if (
            not isinstance(value, (tuple, list))
            or len(value) != 2
            or not all(
                isinstance(v, (int, np.integer))
                and not isinstance(v, bool)
                and v >= 1
                for v in value
            )
        ):
            raise TypeError(
                f"{name} must be a pair of positive ints, got {value!r}"
            )
        shapes.append((int(value[0]), int(value[1])))
    ts = transpose_scatter(
        np.ones(shapes[0]),
        np.ones(shapes[1]),
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        dilation=dilation,
    )
    return np.rint(ts.output).astype(int)


def _caption(ts, f):
    i, j = f.pixel
    (r0, c0), (r1, c1) = f.cells[0, 0], f.cells[-1, -1]
    xname, wname, _ = ts.names
    laid = f"rot180({wname})" if ts.convention == "convolution" else wname
    return (
        f"{xname}[{i}, {j}] = {fmt_value(f.value)}:  {fmt_value(f.value)} \u00b7 {laid} "
        f"added to rows {r0}\u2013{r1}, columns {c0}\u2013{c1}"
    )


def _draw_canvas(ax, ts, k, *, title=None, fontsize=None):
    """The canvas after frame k, the copy of frame k outlined, the cut greyed."""
    f = ts.frames[k]
    reached = np.zeros(ts.canvas.shape, bool)
    for g in ts.frames[: k + 1]:
        reached[g.cells[..., 0], g.cells[..., 1]] = True
    shown = np.where(reached, f.canvas, np.nan)
    if (
        k == len(ts.frames) - 1
    ):  # the output is complete: cells no copy reached hold 0
        shown[ts.kept & ~reached] = 0.0
    current = np.zeros(ts.canvas.shape, bool)
    current[f.cells[..., 0], f.cells[..., 1]] = True
    draw_array(
        ax,
        shown,
        "grad",
        padding=~ts.kept,
        index=True,
        title=title,
        shade=current & ts.kept,
        fontsize=fontsize,
    )
    dense = ts.dilation == (1, 1)
    kH, kW = ts.kernel.shape
    draw_window(
        ax,
        f.cells[0, 0, 0],
        f.cells[0, 0, 1],
        kH,
        kW,
        "w",
        cells=None if dense else f.cells,
    )


def _layout(ts):
    Hc, Wc = ts.canvas.shape
    H, W = ts.x.shape
    kH, kW = ts.kernel.shape
    widths = [W + 0.8, kW + 0.8, Wc + 0.8]
    height = max(Hc, H, kH)
    fig, axes = panels_over_strip(
        widths,
        height,
        extra=2.5,
        min_width=6.0,
        title_rows=1.6,
        strip=0.7,
        wspace=0.2,
        margins=(0.02, 0.98, 0.97),
    )
    return fig, axes


def _draw(axes, ts, k):
    f = ts.frames[k]
    ax_x, ax_w, ax_y, ax_t = axes
    xname, wname, yname = ts.names
    height = max(ts.canvas.shape[0], ts.x.shape[0], ts.kernel.shape[0])
    here = np.zeros(ts.x.shape, bool)
    here[f.pixel] = True
    draw_array(ax_x, ts.x, "delta", index=True, title=xname, shade=here)
    draw_window(ax_x, f.pixel[0], f.pixel[1], 1, 1, "delta")
    title = f"rot180({wname})" if ts.convention == "convolution" else wname
    draw_array(ax_w, ts.laid, "w", index=True, title=title + ", as laid")
    cut = " (grey: cut by padding)" if (~ts.kept).any() else ""
    _draw_canvas(ax_y, ts, k, title=f"{yname} so far{cut}")
    for ax, width in (
        (ax_x, ts.x.shape[1]),
        (ax_w, ts.kernel.shape[1]),
        (ax_y, ts.canvas.shape[1]),
    ):
        ax.set_xlim(-0.8, width + 0.1)
        ax.set_ylim(height + 0.1, -1.4)
    caption_strip(ax_t, _caption(ts, f), role_colour("grad"))


def _draw_output(ax, ts):
    """The canvas (red), the cut cells grey and dashed, the output outlined."""
    (ph, pw), (Ho, Wo) = ts.padding, ts.output.shape
    title = f"output_padding {ts.output_padding[0]}: {Ho}\u00d7{Wo}"
    draw_array(ax, ts.canvas, "grad", padding=~ts.kept, index=True, title=title)
    draw_window(ax, ph, pw, Ho, Wo, "grad", lw=2.5)


@dataclass(frozen=True)
class CountGrid(Picture):
    """Counts (e.g. from :func:`coverage`) shaded by count, with a title."""

    counts: np.ndarray
    title: object = None

    frames = property(lambda self: (self,))

    def cost(self):
        return 1, self.counts.size

    @property
    def panel_size(self):
        H, W = self.counts.shape
        return 0.45 * (W + 1.5), 0.45 * (H + 2.2)

    def panel(self, ax, k):
        """The counts written in the cells (red): the smallest in the light
        colour, the largest in the strong one, those between in between."""
        _draw_counts(ax, self.counts, self.title)

    def overview(self):
        fig, ax = plt.subplots(figsize=self.panel_size, dpi=DPI)
        self.panel(ax, None)
        return fig


def count_grid(counts, title=None):
    """A picture of counts, e.g. the coverage of a transposed convolution.

    Parameters
    ----------
    counts : array_like, shape (H, W)
    title : str, optional

    Returns
    -------
    CountGrid
        Shown with :func:`cnnlit.plot.show`, or several side by side with
        :func:`cnnlit.plot.multiples`.
    """
    a = as_map(counts, "counts")
    check_size(1, a.size, "this count_grid")
    return CountGrid(a, title)


def _draw_counts(ax, a, title):
    draw_array(
        ax,
        a,
        "grad",
        index=True,
        title=title,
        shade=a == a.max(),
        fontsize=10,
    )
    low, high = a.min(), a.max()
    for (r, c), v in np.ndenumerate(a):  # in between: a paler shade, by count
        if low < v < high:
            ax.add_patch(
                Rectangle(
                    (c, r),
                    1,
                    1,
                    facecolor=role_colour("grad"),
                    alpha=0.25 + 0.45 * (v - low) / (high - low),
                    linewidth=0,
                    zorder=1.5,
                )
            )
    ax.set_xlim(-0.8, a.shape[1] + 0.1)
    ax.set_ylim(a.shape[0] + 0.1, -1.6)
