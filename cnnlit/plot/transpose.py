"""Pictures of the transposed convolution (:ref:`adjoint`): each input pixel
scatters a copy of the kernel, overlapping copies add up
(:func:`transpose_scatter`); :func:`coverage` counts the copies per output
pixel, :func:`count_grid` draws such counts.
"""

from collections import namedtuple

import numpy as np
from matplotlib import pyplot as plt
from matplotlib.patches import Rectangle

from .._checks import pair
from ..conv_transpose import conv_transpose_forward
from ._core import DPI, Picture, as_map, check_size
from ._style import caption_strip, draw_array, draw_window, fmt_value
from ._style import panels_over_strip as strip
from ._style import role_colour as colour
from .layers import _one
from .sliding import windows

__all__ = ["transpose_scatter", "coverage", "count_grid"]

#: One input pixel's copy of the kernel (see :class:`TransposeScatter`).
ScatterFrame = namedtuple("ScatterFrame", "pixel value cells products canvas")
#: The geometry options of a transposed convolution, with their least values.
_LEAST = (("stride", 1), ("padding", 0), ("output_padding", 0), ("dilation", 1))


class TransposeScatter(
    namedtuple(
        "TS",
        "x kernel laid stride padding output_padding dilation convention canvas"
        " kept output frames names",
    ),
    Picture,
):
    """Every copy of a transposed convolution's scatter, a frame each.

    Attributes: ``x`` (H, W); ``kernel`` and ``laid`` (kH, kW), as each copy
    lays it (rotated for the convolution); ``stride``, ``padding``,
    ``output_padding``, ``dilation``, ``convention``; ``canvas`` (H_c, W_c),
    the copies added up before ``padding`` cuts; ``kept``, the output's cells;
    ``output`` (H_out, W_out); ``frames``, one per input pixel: ``pixel``,
    ``value``, ``cells`` (kH, kW, 2), ``products`` (kH, kW), ``canvas`` so
    far; ``names`` of input, kernel and output.
    """

    def cost(self):
        return len(self.frames), self.canvas.size + 2 * self.kernel.size

    def layout(self):
        opts = dict(extra=2.5, title_rows=1.6, strip=0.7, wspace=0.2)
        shapes = [a.shape for a in (self.x, self.laid, self.canvas)]
        widths = [W + 0.8 for _, W in shapes]
        opts.update(margins=(0.02, 0.98, 0.97))
        return strip(widths, max(H for H, _ in shapes), **opts)

    def draw(self, axes, k):
        """The input pixel ``k``, the kernel as laid, the output so far."""
        (ax_x, ax_w, ax_y, ax_t), (x, w, y) = axes, self.names
        f = self.frames[k]
        here = _one(self.x.shape, f.pixel)
        draw_array(ax_x, self.x, "delta", index=True, title=x, shade=here)
        draw_window(ax_x, *f.pixel, 1, 1, "delta")
        w = f"rot180({w})" if self.convention == "convolution" else w
        draw_array(ax_w, self.laid, "w", index=True, title=f"{w}, as laid")
        cut = " (grey: cut by padding)" if (~self.kept).any() else ""
        _draw_canvas(ax_y, self, k, title=f"{y} so far{cut}")
        height = max(self.canvas.shape[0], self.x.shape[0], self.laid.shape[0])
        for ax, a in ((ax_x, self.x), (ax_w, self.laid), (ax_y, self.canvas)):
            ax.set(xlim=(-0.8, a.shape[1] + 0.1), ylim=(height + 0.1, -1.4))
        (r0, c0), (r1, c1) = f.cells[0, 0], f.cells[-1, -1]
        v, (i, j) = fmt_value(f.value), f.pixel
        where = f"added to rows {r0}\u2013{r1}, columns {c0}\u2013{c1}"
        text = f"{x}[{i}, {j}] = {v}:  {v} \u00b7 {w} {where}"
        caption_strip(ax_t, text, colour("grad"))

    @property
    def panel_size(self):
        side = 0.5 * max(self.canvas.shape) + 0.8
        return side, side + 0.3

    def panel(self, ax, k):
        """The output after frame ``k``; ``k=None``: the whole canvas, the
        cut cells grey, the output outlined."""
        if k is None:
            (ph, pw), (Ho, Wo) = self.padding, self.output.shape
            title = f"output_padding {self.output_padding[0]}: {Ho}\u00d7{Wo}"
            cut = dict(padding=~self.kept, index=True, title=title)
            draw_array(ax, self.canvas, "grad", **cut)
            draw_window(ax, ph, pw, Ho, Wo, "grad", lw=2.5)
            return
        (i, j), v = self.frames[k].pixel, fmt_value(self.frames[k].value)
        title = f"+ {self.names[0]}[{i}, {j}] = {v} \u00b7 copy"
        _draw_canvas(ax, self, k, title=title)
        ax.set_ylim(self.canvas.shape[0] + 0.1, -1.3)


def _draw_canvas(ax, ts, k, **kw):
    """The canvas after frame ``k``, its copy outlined, the cut greyed."""
    f, (kH, kW) = ts.frames[k], ts.laid.shape
    reached = np.zeros(ts.canvas.shape, bool)
    for g in ts.frames[: k + 1]:
        reached[g.cells[..., 0], g.cells[..., 1]] = True
    shown = np.where(reached, f.canvas, np.nan)
    if k == len(ts.frames) - 1:  # the output is complete: unreached cells are 0
        shown[ts.kept & ~reached] = 0.0
    copy = _one(ts.canvas.shape, (f.cells[..., 0], f.cells[..., 1])) & ts.kept
    opts = dict(padding=~ts.kept, index=True, shade=copy)
    draw_array(ax, shown, "grad", **opts, **kw)
    cells = None if ts.dilation == (1, 1) else f.cells
    draw_window(ax, *f.cells[0, 0], kH, kW, "w", cells=cells)


def transpose_scatter(x, kernel, *, names=("x", "w", "y"), **opts):
    """A transposed convolution, one input pixel's copy of the kernel at a time.

    Parameters
    ----------
    x, kernel : array_like, shapes (H, W) and (kH, kW)
    names : (str, str, str)
        Symbols of input, kernel and output, for the drawings.
    **opts
        ``stride, padding, output_padding, dilation, convention`` as for
        :func:`cnnlit.conv_transpose_forward`, which ``output`` equals.

    Returns
    -------
    TransposeScatter
    """
    x, ker = as_map(x, "x"), as_map(kernel, "kernel")
    y = conv_transpose_forward(x[None], ker[None, None], None, **opts)
    Ho, Wo = y.shape[1:]
    s, p, op, d = (pair(opts.get(key, m), key, m) for key, m in _LEAST)
    sizes = zip(p, (Ho, Wo), op, strict=True)  # the canvas: the output and
    Hc, Wc = (a + n + max(a - b, 0) for a, n, b in sizes)  # what is cut
    check_size(x.size, Hc * Wc + 2 * ker.size, "this transpose_scatter")
    convention = opts.get("convention", "convolution")
    laid = ker[::-1, ::-1].copy() if convention == "convolution" else ker.copy()
    # the scatter view: input pixel (i, j) writes where output pixel (i, j)
    # of a convolution over the canvas reads
    cells = windows((Hc, Wc), ker.shape, s, d)[: x.shape[0], : x.shape[1]]
    canvas, frames = np.zeros((Hc, Wc)), []
    for (i, j), v in np.ndenumerate(x):
        canvas[cells[i, j, ..., 0], cells[i, j, ..., 1]] += v * laid
        copy = (float(v), cells[i, j], v * laid, canvas.copy())
        frames.append(ScatterFrame((i, j), *copy))
    kept = _one(canvas.shape, np.s_[p[0] : p[0] + Ho, p[1] : p[1] + Wo])
    ts = (x, ker, laid, s, p, op, d, convention, canvas, kept)
    out = canvas[kept].reshape(Ho, Wo)
    return TransposeScatter(*ts, out, tuple(frames), tuple(names))


def coverage(input_shape, kernel_shape, stride, **opts):
    """How many kernel copies reach each pixel of a transposed convolution.

    Parameters
    ----------
    input_shape, kernel_shape, stride : int or (int, int)
    **opts
        ``padding, output_padding, dilation``.

    Returns
    -------
    ndarray of int, shape (H_out, W_out)
        The transposed convolution of ones with a kernel of ones.
    """
    x = np.ones(pair(input_shape, "input_shape", 1))
    w = np.ones(pair(kernel_shape, "kernel_shape", 1))
    ts = transpose_scatter(x, w, stride=stride, **opts)
    return np.rint(ts.output).astype(int)


class CountGrid(namedtuple("CountGrid", "counts title"), Picture):
    """Counts (e.g. from :func:`coverage`) shaded by count, with a title."""

    frames = property(lambda self: (self,))

    def cost(self):
        return 1, self.counts.size

    @property
    def panel_size(self):
        H, W = self.counts.shape
        return 0.45 * (W + 1.5), 0.45 * (H + 2.2)

    def panel(self, ax, k):
        """The counts: the largest strong, the smallest light, those between
        in between."""
        a, low, high = self.counts, self.counts.min(), self.counts.max()
        opts = dict(index=True, title=self.title, shade=a == high)
        draw_array(ax, a, "grad", fontsize=10, **opts)
        for (r, c), v in np.ndenumerate(a):
            if low < v < high:
                alpha = 0.25 + 0.45 * (v - low) / (high - low)
                fill = dict(fc=colour("grad"), alpha=alpha, lw=0, zorder=1.5)
                ax.add_patch(Rectangle((c, r), 1, 1, **fill))
        ax.set(xlim=(-0.8, a.shape[1] + 0.1), ylim=(a.shape[0] + 0.1, -1.6))

    def overview(self):
        fig, ax = plt.subplots(figsize=self.panel_size, dpi=DPI)
        self.panel(ax, None)
        return fig


def count_grid(counts, title=None):
    """A picture of ``counts`` (H, W), e.g. a :func:`coverage`, titled."""
    return CountGrid(as_map(counts, "counts"), title)
