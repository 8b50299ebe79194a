r"""Pictures of the backward pass, frames of :func:`cnnlit.plot.slide`: the
deltas over the input give dE/dw, the kernel over the dilated, padded deltas
dE/do (:func:`fan_in` reads one frame backwards). Derived in
:ref:`weight-update`, :ref:`deltas` and :ref:`conventions`."""

from dataclasses import dataclass, replace

import numpy as np
from matplotlib import pyplot as plt
from matplotlib.patches import ConnectionPatch, Rectangle

from .._checks import CONVENTIONS, check_flag, check_int, pair
from ..conv import conv_output_shape
from . import _style as st
from ._core import DPI, Picture, as_map
from .sliding import Slide, slide

__all__ = ["weight_update", "bias_gradient", "delta_backprop", "fan_in"]
RED = st.role_colour("grad")
_DELTAS = ("$\\delta^{l+1}$", "$w^{l+1}$", "$\\partial E/\\partial o^l$")
_THIN = dict(
    mutation_scale=10, lw=1, alpha=0.75, connectionstyle="arc3,rad=0.12"
)
_WEIGHTS = ("$o^{l-1}$", "$\\delta^l$", "$o^{l-1} \\star \\delta^l$")


class _OverSlide(Picture):
    """A picture whose frames are those of its ``slide``."""

    slide: Slide
    frames = property(lambda self: self.slide.frames)
    margins = (0.5, 0.9)  # inches around a panel's grid

    @property
    def panel_size(self):
        (H, W), (dx, dy) = self.slide.grid.shape, self.margins
        return 0.5 * W + dx, 0.5 * H + dy

    def cost(self):
        return self.slide.cost()


def _filled(shape, cells_values):
    """NaN (not computed yet) but the values at their cells; the last cell."""
    shown, now = np.full(shape, np.nan), np.zeros(shape, bool)
    for c, v in cells_values:
        shown[tuple(c)] = v
    now[tuple(c)] = True
    return shown, now


def _tag(ax, x, y, text, colour, y0=0):
    """A small bold label in the top-left corner of cell (x, y)."""
    style = dict(ha="left", va="top", fontsize=8, fontweight="bold", zorder=6)
    ax.text(y0 + y + 0.07, x + 0.07, text, color=colour, **style)


def _right_index(ax, H, W, title, y0=0):
    """Column indices on top, row indices on the right, and a title."""
    grey = dict(fontsize=9, color="0.4")
    for x in range(H):
        ax.text(y0 + W + 0.15, x + 0.5, str(x), va="center", **grey)
    for y in range(W):
        ax.text(y0 + y + 0.5, -0.1, str(y), ha="center", va="bottom", **grey)
    ax.text(y0 + W / 2, -0.55, title, ha="center", va="bottom", fontsize=12)


def _arrow(ax_a, ax_b, xy_a, xy_b, label="", **kw):
    """An arrow from ``xy_a`` in ``ax_a`` to ``xy_b`` in ``ax_b``, labelled."""
    style = dict(arrowstyle="-|>", mutation_scale=14, color=RED, lw=2)
    style |= dict(zorder=7) | kw
    arrow = ConnectionPatch(xy_a, xy_b, "data", axesA=ax_a, axesB=ax_b)
    arrow.set(annotation_clip=False, **style)  # drawn outside the axes too
    ax_b.add_artist(arrow)
    for ax in (ax_a, ax_b):
        ax.apply_aspect()
    # the gap's middle, in figure fractions (which do not depend on the dpi)
    to_fig = ax_b.figure.transFigure.inverted()
    right = to_fig.transform(ax_a.transData.transform((xy_a[0], 0)))[0]
    left, top = to_fig.transform(ax_b.transData.transform((xy_b[0], -0.2)))
    middle, colour = (left + right) / 2, style["color"]
    ax_b.figure.text(middle, top, label, ha="center", va="bottom", color=colour)


def _limits(axes, widths, height, top=1.3, left=0.6):
    """Every panel of a frame on one vertical scale."""
    for ax, width in zip(axes, widths, strict=False):
        ax.set_xlim(-left, max(width, 2) + 0.1)
        ax.set_ylim(height + 0.1, -top)


def _layout(arrays, **kw):
    """The grid, the other arrays (at least 2 wide), a strip under them."""
    widths = [arrays[0].shape[1]] + [max(a.shape[1], 2) for a in arrays[1:]]
    return st.panels_over_strip(widths, max(a.shape[0] for a in arrays), **kw)


def _grid(ax, s, f, title, index=True):
    """The grid a slide moves over, with frame ``f``'s window on it."""
    role, mask = s.roles[0], s.padding_mask
    st.draw_array(ax, s.grid, role, padding=mask, index=index, title=title)
    cells = None if s.dilation == (1, 1) else f.cells  # the taps one by one
    (top, left), (kH, kW) = f.cells[0, 0], s.kernel.shape
    window = dict(weights=f.weights, cells=cells)
    st.draw_window(ax, top, left, kH, kW, s.roles[1], **window)


def _frame(axes, s, k, title, laid_title, tail=""):
    """Frame k: grid and window, kernel as laid, output so far, the sum."""
    f = s.frames[k]
    _grid(axes[0], s, f, title)
    st.draw_array(axes[1], s.laid, s.roles[1], index=True, title=laid_title)
    done = [(g.out, g.total) for g in s.frames[: k + 1]]
    shown, now = _filled(s.output.shape, done)
    out = dict(index=True, title=s.names[2], shade=now)
    st.draw_array(axes[2], shown, "grad", **out)
    arrays = (s.grid, s.laid, shown)
    height = max(a.shape[0] for a in arrays)
    _limits(axes, [a.shape[1] for a in arrays], height)
    text = st.sum_caption(f.values, f.weights, f.total)
    text += f"   \u2192   {s.names[2]}[{f.out[0]}, {f.out[1]}]{tail}"
    st.caption_strip(axes[-1], text, RED)
    return shown


def _wu_draw(wu, axes, k):
    """The frame of ``_frame``, then dE/dw so far and where the sum goes."""
    s, t, (kH, kW) = wu.slide, wu.targets[k], wu.corr.shape
    title = wu.names[0] + (" (padded)" if s.padding_mask.any() else "")
    tail = f" = {wu.names[3]}[{t[0]}, {t[1]}]"
    _frame(axes, s, k, title, wu.names[1], tail)
    totals = [g.total for g in s.frames[: k + 1]]
    done, now = _filled((kH, kW), zip(wu.targets, totals, strict=False))
    st.draw_array(axes[3], done, "grad", shade=now)
    _right_index(axes[3], kH, kW, wu.names[3])
    height = max(s.grid.shape[0], wu.delta.shape[0], kH)
    _limits([axes[3]], [max(kW, 2) + 0.5], height, left=0.1)
    rot = "rot180" if wu.convention == "convolution" else "as it is"
    x = s.frames[k].out[0]
    _arrow(axes[2], axes[3], (kW + 0.05, x + 0.5), (-0.05, t[0] + 0.5), rot)


def _weight_map(wu):
    """The correlation, arrows from each cell to its entry of dE/dw."""
    (kH, kW), right = wu.corr.shape, wu.corr.shape[1] + 2.2
    size = (0.6 * (2 * kW + 2.2) + 1.2, 0.6 * kH + 1.0)
    fig, ax = plt.subplots(figsize=size, dpi=DPI)
    st.draw_array(ax, wu.corr, "grad", title=wu.names[2], index=True)
    st.draw_array(ax, wu.dE_dw, "grad", origin=(0, right))
    _right_index(ax, kH, kW, wu.names[3], right)
    for k, (f, t) in enumerate(zip(wu.slide.frames, wu.targets, strict=True)):
        _tag(ax, *f.out, str(k + 1), RED)
        _tag(ax, *t, str(k + 1), RED, right)
        # low in the cells, clear of the numbers and the tags
        start, end = (f.out[1] + 0.85, f.out[0] + 0.82), (right + t[1] + 0.2,)
        _arrow(ax, ax, start, end + (t[0] + 0.82,), **_THIN)
    rot = "rot180" if wu.convention == "convolution" else "as it is"
    ax.text(right - 1.1, -0.35, rot, ha="center", va="bottom", color=RED)
    ax.set(xlim=(-0.6, right + kW + 0.6), ylim=(kH + 0.1, -1.3))
    fig.tight_layout()
    return fig


@dataclass(frozen=True)
class WeightUpdate(_OverSlide):
    """The weight update: ``corr`` (kH, kW) holds the frames' sums, the
    entries of ``dE_dw`` given in ``targets`` (rotated for a convolution)."""

    slide: Slide
    delta: np.ndarray
    corr: np.ndarray
    targets: tuple
    dE_dw: np.ndarray
    convention: str
    names: tuple
    margins = (0.8, 1.3)

    def layout(self):
        arrays = (self.slide.grid, self.delta, self.corr, self.corr)
        style = dict(extra=6, min_width=7.0, title_rows=1.6, wspace=0.45)
        return _layout(arrays, **style)

    draw, overview = _wu_draw, _weight_map

    def panel(self, ax, k):
        s, k = self.slide, len(self.frames) - 1 if k is None else k
        (x, y), t = s.frames[k].out, self.targets[k]
        title = f"{self.names[2]}[{x}, {y}] = "
        title += (
            f"{st.fmt_value(s.frames[k].total)}\n= {self.names[3]}{list(t)}"
        )
        _grid(ax, s, s.frames[k], title, index=False)
        ax.set_ylim(s.grid.shape[0] + 0.1, -1.5)


def weight_update(
    o_prev,
    delta,
    kernel_shape=None,
    *,
    convention="convolution",
    stride=1,
    padding=0,
    boundary="fill",
    dilation=1,
    names=_WEIGHTS + ("$\\partial E/\\partial w^l$",),
):
    r"""The deltas laid over the input, one frame per kernel offset (x', y').

    Parameters
    ----------
    o_prev, delta : array_like, shape (H, W) and (H_out, W_out)
        One input unit of the layer, one output unit's deltas.
    kernel_shape : (int, int), default: the largest giving delta's shape
    convention, stride, padding, boundary, dilation : as for conv_forward
    names : (str, str, str, str)
        Symbols of input, deltas, correlation and gradient.

    Returns
    -------
    WeightUpdate
        ``.dE_dw`` (kH, kW) is ``conv_backward(...)[0]`` of one unit.

    Examples
    --------
    >>> weight_update(np.arange(9.0).reshape(3, 3), np.eye(2)).dE_dw.ravel()
    array([12., 10.,  6.,  4.])
    """
    o, d = as_map(o_prev, "o_prev"), as_map(delta, "delta")
    check_flag(convention, "convention", CONVENTIONS)
    steps, pads = pair(stride, "stride", 1), pair(padding, "padding", 0)
    dils = pair(dilation, "dilation", 1)
    geometry = dict(stride=steps, padding=pads, dilation=dils)
    span = np.multiply(steps, np.subtract(d.shape, 1)) + 1  # of the deltas
    if (span > np.add(o.shape, np.multiply(pads, 2))).any():
        raise ValueError(f"delta {d.shape} is too large for o_prev {o.shape}")
    # the deltas as the window: taps a stride apart, moved by the dilation
    s = slide(
        o, d, convention="correlation", padding=pads, boundary=boundary,
        stride=dils, dilation=steps, roles=("o", "delta", "grad"),
        names=names[:3],
    )  # fmt: skip
    kernel_shape = s.output.shape if kernel_shape is None else kernel_shape
    kH, kW = pair(kernel_shape, "kernel_shape", 1)
    if d.shape != (out := conv_output_shape(*o.shape, kH, kW, **geometry)):
        raise ValueError(
            f"delta must have the output's shape {out}, got {d.shape}"
        )
    frames = tuple(f for f in s.frames if f.out[0] < kH and f.out[1] < kW)
    corr, flip = s.output[:kH, :kW].copy(), convention == "convolution"
    outs = tuple(f.out for f in frames)  # (x', y'), row by row
    targets = tuple((kH - 1 - x, kW - 1 - y) for x, y in outs) if flip else outs
    dE_dw, names = (corr[::-1, ::-1] if flip else corr).copy(), tuple(names)
    s = replace(s, frames=frames, output=corr.copy())
    return WeightUpdate(s, d, corr, targets, dE_dw, convention, names)


def _draw_bias_gradient(bg):
    """The deltas (purple), an arrow, their sum (red), the sum written."""
    H, W = bg.delta.shape
    fig, ax = plt.subplots(figsize=(0.6 * W + 3.3, 0.6 * H + 1.2), dpi=DPI)
    st.draw_array(ax, bg.delta, "delta", index=True, title=bg.names[0])
    st.draw_window(ax, 0, 0, H, W, "delta", lw=2)
    _arrow(ax, ax, (W + 0.2, H / 2), (W + 2.2, H / 2), lw=1.5, zorder=1)
    ax.text(W + 1.2, H / 2 - 0.15, "sum", ha="center", va="bottom", color=RED)
    at = (H / 2 - 0.5, W + 2.4)
    st.draw_array(
        ax, [[bg.total]], "grad", origin=at, title=bg.names[1], shade=[[1]]
    )
    terms = " + ".join(st.signed(v) for v in bg.delta.ravel())
    if bg.delta.size > 12:
        terms = f"sum of {bg.delta.size} deltas"
    text = f"{terms} = {st.fmt_value(bg.total)}"
    style = dict(ha="center", va="top", fontsize=11, color=RED)
    ax.text((W + 3.4) / 2, H + 0.35, text, **style)
    ax.set(xlim=(-0.6, W + 3.6), ylim=(H + 1.1, -1.0))
    fig.tight_layout()
    return fig


@dataclass(frozen=True)
class BiasGradient(Picture):
    """One unit's ``delta``, their sum ``total`` and the two ``names``."""

    delta: np.ndarray
    total: float
    names: tuple
    frames = property(lambda self: (self,))
    overview = _draw_bias_gradient


def bias_gradient(delta, *, names=(_WEIGHTS[1], "$\\partial E/\\partial b^l$")):
    r"""The sum of one unit's deltas (H_out, W_out), the gradient of its
    bias; ``names``: symbols of both.

    >>> bias_gradient([[1, -1], [2, 0]]).total  # conv_backward(...)[1]
    2.0
    """
    d = as_map(delta, "delta")
    return BiasGradient(d, float(d.sum()), tuple(names))


def _over_deltas(delta, w, shape, convention, stride, dilation, padding=0):
    """The kernel over the deltas dilated by the stride and padded (every
    cell but the deltas is padding); ``box``: first delta to last."""
    check_flag(convention, "convention", CONVENTIONS)
    stride, dilation = pair(stride, "stride", 1), pair(dilation, "dilation", 1)
    kH, kW = w.shape
    if shape is None:  # the smallest input: the last window ends there
        shape = np.multiply(stride, np.subtract(delta.shape, 1))
        shape = list(shape + np.multiply(dilation, (kH - 1, kW - 1)) + 1)
    H, W = pair(shape, "shape", 1)
    geometry = dict(stride=stride, padding=padding, dilation=dilation)
    if delta.shape != (out := conv_output_shape(H, W, kH, kW, **geometry)):
        raise ValueError(
            f"delta must have the output shape {out} of a {(H, W)} input "
            f"with kernel {w.shape}, {geometry}; got shape {delta.shape}"
        )
    geometry["stride"] = 1  # every window of the stride-1 pass
    image = np.zeros(conv_output_shape(H, W, kH, kW, **geometry))
    image[:: stride[0], :: stride[1]] = delta
    span = (dilation[0] * (kH - 1), dilation[1] * (kW - 1))
    back = "correlation" if convention == "convolution" else "convolution"
    s = slide(
        image, w, convention=back, padding=span, dilation=dilation,
        roles=("delta", "w", "grad"), names=("\u03b4 dilated", "w", "dE/do"),
    )  # fmt: skip
    at, box = np.zeros(s.grid.shape, bool), np.zeros(s.grid.shape, bool)
    at[span[0] :: stride[0], span[1] :: stride[1]][: out[0], : out[1]] = True
    (x, y), (x1, y1) = span, np.argwhere(at)[-1] + 1
    box[x:x1, y:y1] = True
    return replace(s, padding_mask=~at), box


def _local_gradient(bp):
    """dE/do (the border hatched) times a'(c) gives the deltas below."""
    if bp.a_prime is None:
        raise ValueError("bp has no a_prime: pass a_prime= to delta_backprop")
    (H, W), step = bp.dE_do.shape, bp.dE_do.shape[1] + 2.5
    size = (0.6 * (3 * W + 5) + 0.5, 0.6 * H + 1.2)
    fig, ax = plt.subplots(figsize=size, dpi=DPI)
    arrays = ((bp.dE_do, "grad"), (bp.a_prime, "b"), (bp.delta_prev, "delta"))
    for j, (a, role) in enumerate(arrays):
        title = bp.names[2 + j]
        st.draw_array(
            ax, a, role, origin=(0, j * step), index=True, title=title
        )
    st.hatch(ax, bp.border)
    style = dict(ha="center", va="center", fontsize=20)
    for j, sym in ((1, "\u2299"), (2, "=")):
        ax.text(j * step - 1.25, H / 2, sym, **style)
    ax.set(xlim=(-0.6, 2 * step + W + 0.1), ylim=(H + 0.1, -1.3))
    fig.tight_layout()
    return fig


def _bp_draw(bp, axes, k):
    """The frame of ``_frame``, the border pixels so far hatched."""
    f, wn = bp.slide.frames[k], bp.names[1]
    laid = f"{wn}, laid as it is"
    if bp.convention == "correlation":
        laid = f"rot180({wn}), as laid"
    tail = "  (window reaches the padding)" * bool(bp.border[f.out])
    title = bp.names[0] + " padded"
    shown = _frame(axes, bp.slide, k, title, laid, tail)
    st.hatch(axes[2], bp.border & ~np.isnan(shown))
    st.draw_window(axes[2], *f.out, 1, 1, "w")


@dataclass(frozen=True)
class DeltaBackprop(_OverSlide):
    """The backpropagated error, as :func:`delta_backprop` says."""

    slide: Slide
    padding: np.ndarray
    border: np.ndarray
    dE_do: np.ndarray
    a_prime: np.ndarray | None
    delta_prev: np.ndarray | None
    convention: str
    names: tuple

    def layout(self):
        arrays = (self.slide.grid, self.slide.kernel, self.dE_do)
        return _layout(arrays, min_width=6.5, wspace=0.3)

    draw, overview = _bp_draw, _local_gradient

    def panel(self, ax, k):
        # a red frame around the windows that stay inside the deltas
        s, k = self.slide, len(self.frames) - 1 if k is None else k
        f, (H, W) = s.frames[k], s.grid.shape
        title = f"{self.names[2]}[{f.out[0]}, {f.out[1]}] = "
        _grid(ax, s, f, title + st.fmt_value(f.total), index=False)
        ax.set(ylim=(H + 0.1, -0.9), xlim=(-0.1, W + 0.1))
        if not self.border[f.out]:
            frame = Rectangle((-0.08, -0.08), W + 0.16, H + 0.16, fill=False)
            ax.add_patch(frame).set(edgecolor=RED, linewidth=2.5, zorder=8)


def delta_backprop(
    delta,
    w,
    *,
    convention="convolution",
    stride=1,
    dilation=1,
    shape=None,
    a_prime=None,
    names=_DELTAS + ("$a'(c^l)$", "$\\delta^l$"),
):
    r"""The kernel over the deltas (spread out by the stride) padded by
    :math:`N_w - 1` zeros, one frame per input pixel: a full correlation (a
    full convolution for a correlation layer).

    Parameters
    ----------
    delta, w : array_like, shape (H_out, W_out) and (kH, kW)
        One unit's deltas of the layer above; the forward pass's kernel.
    convention, stride, dilation
        The forward layer's (no padding).
    shape : (int, int), optional
        The input's ``(H, W)``, default the smallest that gives ``delta``.
    a_prime : array_like, shape (H, W), optional
        :math:`a'(c^l)`.
    names : (str, str, str, str, str)
        Symbols of delta, kernel, dE/do, a'(c) and the new delta.

    Returns
    -------
    DeltaBackprop
        ``.padding`` (like the grid): the zeros around the deltas;
        ``.border`` (H, W): the windows that reach them; ``.dE_do`` (H, W):
        ``conv_backward(...)[2]``; ``.delta_prev = dE_do * a_prime``.

    Examples
    --------
    >>> delta_backprop([[1, -1], [2, 0]], [[1, 2], [3, 4]]).dE_do
    array([[ 4., -1., -3.],
           [10.,  5., -1.],
           [ 4.,  2.,  0.]])
    """
    d, k = as_map(delta, "delta"), as_map(w, "w")
    s, box = _over_deltas(d, k, shape, convention, stride, dilation)
    s, dE_do = replace(s, names=tuple(names[:3])), s.output.copy()
    cells = np.array([f.cells for f in s.frames])
    border = (~box)[cells[..., 0], cells[..., 1]].any(axis=(1, 2))
    ap = None if a_prime is None else as_map(a_prime, "a_prime")
    if ap is not None and ap.shape != dE_do.shape:
        raise ValueError(
            f"a_prime must have the input's shape {dE_do.shape}, "
            f"got shape {ap.shape}"
        )
    dp = None if ap is None else dE_do * ap
    border, names = border.reshape(dE_do.shape), tuple(names)
    return DeltaBackprop(s, ~box, border, dE_do, ap, dp, convention, names)


def _fan_panel(fi, ax, k=None):
    """The deltas and the taps that reach the pixel, numbered; the sum."""
    dn, wn, on = fi.names
    (Ho, Wo), (kH, kW), (H, W) = fi.delta.shape, fi.w.shape, fi.shape
    col_k, col_o = Wo + 1.2, Wo + kW + 2.4
    st.draw_array(ax, fi.delta, "delta", index=True, title=dn, shade=fi.reached)
    st.draw_array(
        ax, fi.w, "w", index=True, title=wn, shade=fi.tapped, origin=(0, col_k)
    )
    for n, (c, t) in enumerate(zip(fi.delta_cells, fi.taps, strict=True)):
        _tag(ax, *c, str(n + 1), "white")
        _tag(ax, *t, str(n + 1), "white", col_k)
    shown, now = _filled(fi.shape, [(fi.pixel, fi.total)])
    title = f"{on}[{fi.pixel[0]}, {fi.pixel[1]}]"
    st.draw_array(
        ax, shown, "grad", index=True, title=title, shade=now, origin=(0, col_o)
    )
    text = "no delta reaches this pixel: 0"
    if len(fi.products):
        text = st.sum_caption(fi.delta_values, fi.weights, fi.total)
    height, style = max(Ho, kH, H), dict(ha="center", va="top", fontsize=12)
    ax.text((col_o + W) / 2, height + 0.3, text, color=RED, **style)
    ax.set_ylim(height + 1.2, -1.3)


@dataclass(frozen=True)
class FanIn(Picture):
    """The terms that reach one pixel, as :func:`fan_in` says."""

    pixel: tuple
    delta: np.ndarray
    w: np.ndarray
    shape: tuple
    delta_cells: np.ndarray
    taps: np.ndarray
    delta_values: np.ndarray
    weights: np.ndarray
    products: np.ndarray
    total: float
    reached: np.ndarray
    tapped: np.ndarray
    names: tuple
    frames = property(lambda self: (self,))

    @property
    def panel_size(self):
        (Ho, Wo), (kH, kW), (H, W) = self.delta.shape, self.w.shape, self.shape
        return 0.5 * (Wo + kW + W + 3.5), 0.5 * max(Ho, kH, H) + 1.4

    def layout(self):
        return plt.subplots(figsize=self.panel_size, dpi=DPI)

    draw = panel = _fan_panel


def fan_in(delta, w, pixel, *, shape=None, names=_DELTAS, **geometry):
    r"""Every term of the forward sum that reads one input pixel.

    The frame of :func:`delta_backprop` at ``pixel`` (x, y), read backwards:
    each delta under the window times the kernel entry on it is a term
    :math:`\delta(X, Y)\, w(x', y')` of :math:`\partial E/\partial o(x, y)`.
    ``shape`` and the ``convention``, ``stride`` and ``dilation`` given as
    keywords are those of :func:`delta_backprop`.

    Returns
    -------
    FanIn
        ``.delta_cells``, ``.taps`` (n, 2), as maps ``.reached``,
        ``.tapped``: the deltas whose window read the pixel and the kernel
        entries that met it; ``.delta_values``, ``.weights``, ``.products``
        (n,); ``.total``: ``conv_backward(...)[2]`` at the pixel.
    """
    s = delta_backprop(delta, w, shape=shape, **geometry).slide
    (x, y), (H, W) = pair(pixel, "pixel", 0), s.output.shape
    x, y = (
        check_int(x, "pixel[0]", 0, H - 1),
        check_int(y, "pixel[1]", 0, W - 1),
    )
    f, step = s.frames[x * W + y], pair(geometry.get("stride", 1), "stride", 1)
    on = ~s.padding_mask[f.cells[..., 0], f.cells[..., 1]]  # on a delta
    cells = (f.cells[on] - [s.pads[0], s.pads[2]]) // step
    taps = np.argwhere(on)
    if s.convention == "convolution":  # the kernel was laid rotated
        taps = np.subtract(s.kernel.shape, 1) - taps
    d = s.image[:: step[0], :: step[1]]
    reached, tapped = np.zeros(d.shape, bool), np.zeros(s.kernel.shape, bool)
    reached[tuple(cells.T)] = tapped[tuple(taps.T)] = True
    return FanIn(
        (x, y), d, s.kernel, (H, W), cells, taps, f.values[on], f.weights[on],
        f.products[on], f.total, reached, tapped, tuple(names),
    )  # fmt: skip


def _draw_dilation(sb):
    """The deltas, the same dilated (the inserted zeros as padding), and
    that padded by ``k - 1`` for the full pass, arrows between them."""
    (zH, zW), s = (sb.stride[0] - 1, sb.stride[1] - 1), sb.slide
    zeros = f"{zH} zero{'s' * (zH != 1)} between "
    zeros += "pixels" if zH == zW else f"rows, {zW} between columns"
    (H1, W1), top, left = sb.dilated.shape, s.pads[0], s.pads[2]
    panels = [
        (sb.delta, None, "\u03b4  {}\u00d7{}".format(*sb.delta.shape)),
        (sb.dilated, s.padding_mask[top : top + H1, left : left + W1], zeros),
        (s.grid, s.padding_mask, "padded by k - 1 for the full pass"),
    ]
    widths = [p[0].shape[1] + 0.9 for p in panels]
    height = max(p[0].shape[0] for p in panels)
    size = (0.42 * (sum(widths) + 7), 0.42 * (height + 2.2))
    grid = dict(width_ratios=widths, wspace=0.35)
    fig, axes = plt.subplots(1, 3, figsize=size, dpi=DPI, gridspec_kw=grid)
    for ax, (a, pad, title) in zip(axes, panels, strict=True):
        style = dict(title=title, index=True, fontsize=11)
        st.draw_array(ax, a, "delta", padding=pad, **style)
        ax.set(xlim=(-0.7, a.shape[1] + 0.2), ylim=(height + 0.2, -1.5))
    colour = st.role_colour("delta")
    for j, (a, _, _) in enumerate(panels[:2]):
        y = a.shape[0] / 2  # level with the middle of the left array
        ends = (a.shape[1] + 0.3, y), (-0.8, y)
        style = dict(arrowstyle="->", mutation_scale=18, lw=1.5, color=colour)
        _arrow(axes[j], axes[j + 1], *ends, **style)
    return fig


@dataclass(frozen=True)
class StridedBackward(_OverSlide):
    """The input gradient of a strided layer, as :func:`strided_backward`
    says; its frames, panels and layout are its ``slide``'s."""

    delta: np.ndarray
    stride: tuple
    padding: tuple
    dilated: np.ndarray
    slide: Slide
    dE_do: np.ndarray
    panel_size = property(lambda self: self.slide.panel_size)
    layout = property(lambda self: self.slide.layout)
    draw = property(lambda self: self.slide.draw)
    panel = property(lambda self: self.slide.panel)
    overview = _draw_dilation


def strided_backward(
    delta, kernel, stride, input_shape, *, padding=0, convention="convolution"
):
    """dE/do of a strided, zero-padded layer (``input_shape`` (H, W)): the
    kernel over the deltas with ``stride - 1`` zeros between them.

    Returns
    -------
    StridedBackward
        ``.dilated``: the deltas spread out (the stride-1 output's shape);
        ``.slide``: the kernel over them; ``.dE_do`` (H, W):
        ``conv_backward(...)[2]``.

    Examples
    --------
    >>> strided_backward([[1, 2], [3, 4]], [[1, 0], [0, 1]], 2, (4, 4)).dE_do
    array([[1., 0., 2., 0.],
           [0., 1., 0., 2.],
           [3., 0., 4., 0.],
           [0., 3., 0., 4.]])
    """
    d, k = as_map(delta, "delta"), as_map(kernel, "kernel")
    (H, W), step = (
        pair(input_shape, "input_shape", 1),
        pair(stride, "stride", 1),
    )
    s, _ = _over_deltas(d, k, (H, W), convention, step, 1, padding)
    (ph, pw), dilated = pair(padding, "padding", 0), s.image
    dE_do = s.output[ph : ph + H, pw : pw + W].copy()
    return StridedBackward(d, step, (ph, pw), dilated, s, dE_do)
