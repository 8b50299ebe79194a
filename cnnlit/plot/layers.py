"""Pictures of whole layers: one unit's forward pass (:func:`feedforward`),
pooling's backward pass (:func:`pool_route`) and receptive fields
(:func:`receptive_field`), with the numbers of :mod:`cnnlit.conv`,
:mod:`cnnlit.pool`, :mod:`cnnlit.activations` and :mod:`cnnlit.reference`.
"""

from collections import namedtuple
from functools import partial
from types import SimpleNamespace

import numpy as np
from matplotlib import pyplot as plt
from matplotlib.patches import Rectangle

from .. import reference
from .._checks import as_real_array, check_flag, check_int, check_ndim, pair
from ..activations import relu, sigmoid, tanh
from ..conv import conv_forward, conv_output_shape
from ..pool import pool_backward, pool_forward
from ._core import DPI, Picture, as_map, check_size
from ._style import caption_strip, draw_array, draw_window, fmt_value, signed
from ._style import panels_over_strip as strip
from ._style import role_colour as colour
from .sliding import slide, windows

__all__ = ["feedforward", "pool_route", "receptive_field"]

#: Activation name -> the package's function.
ACTIVATIONS = dict(sigmoid=sigmoid, tanh=tanh, relu=relu, identity=np.array)
#: One window of pooling's backward pass (see :class:`PoolRoute`).
PoolFrame = namedtuple(
    "PoolFrame", "out cells values winner tied delta share routed grad"
)


def _arrow(ax, start, end, role, style="->", lw=1.4):
    """An arrow from ``start`` to ``end`` ((column, row), in cells)."""
    gap = 0 if style == "->" else 2  # points: a closed head stops short
    props = dict(arrowstyle=style, color=colour(role), lw=lw, shrinkA=gap)
    ax.annotate("", end, start, arrowprops=dict(props, shrinkB=gap))


def _text(ax, x, y, s, role=None, size=11, **kw):
    """``s`` at column ``x``, row ``y``: centred above it unless told."""
    c = colour(role) if role else "black"
    kw = dict(ha="center", va="bottom", fontsize=size, color=c) | kw
    ax.text(x, y, s, **kw)


def _grid(ax, a, role, top, col, **kw):
    """``a`` drawn with its cell [0, 0] at row ``top``, column ``col``."""
    draw_array(ax, a, role, origin=(top, col), **kw)


def _one(shape, where):
    """A boolean map of ``shape``, True at ``where`` only."""
    mask = np.zeros(shape, bool)
    mask[where] = True
    return mask


class FeedForward(
    namedtuple("FF", "o_prev w m slides single total bias c o activation"),
    Picture,
):
    """The forward pass of output unit ``m``, a frame per output pixel.

    Attributes: ``o_prev`` (C_in, H, W); ``w`` (C_in, kH, kW), ``w[n]`` the
    kernel :math:`w^l_{n,m}`; ``m``; ``slides``, ``w[n]`` sliding over
    ``o_prev[n]``; ``single`` (C_in, H_out, W_out), :math:`i^l_{n,m}`;
    ``total``, ``c``, ``o`` (H_out, W_out); ``bias``; ``activation``.
    """

    frames = property(lambda self: self.slides[0].frames)
    pixels = property(lambda self: [f.out for f in self.frames])

    def cost(self):
        return len(self.frames), sum(s.cost()[1] for s in self.slides)

    def layout(self):
        g = self._columns()
        size = (0.42 * (g.width + 0.6), 0.42 * (g.height + 3.2))
        fig = plt.figure(figsize=size, dpi=DPI)
        return fig, fig.add_axes((0, 0, 1, 1))

    def overview(self):
        """The picture at the first pixel, every value written."""
        fig, ax = self.layout()
        self.draw(ax, 0, True)
        return fig

    @property
    def panel_size(self):
        (Hg, Wg), C_in = self.slides[0].grid.shape, len(self.slides)
        return 0.45 * (Wg + 3.5) + 0.2, 0.45 * C_in * (Hg + 0.8) + 0.8

    def panel(self, ax, k):
        """The input units stacked, each with its window at pixel ``k``."""
        (Hg, Wg), gap, k = self.slides[0].grid.shape, 0.8, k or 0
        (x, y), H = self.pixels[k], len(self.slides) * (Hg + gap) - gap
        for n in range(len(self.slides)):
            self._unit(ax, n, k, n * (Hg + gap), 9)
            i = f"$i_{{{n},{self.m}}}$ = {fmt_value(self.single[n, x, y])}"
            at = (Wg + 0.35, n * (Hg + gap) + Hg / 2)
            _text(ax, *at, i, "c", ha="left", va="center")
        o = f"a({fmt_value(self.c[x, y])}) = {fmt_value(self.o[x, y], 3)}"
        c = f"c[{x}, {y}] = {self._sum(x, y)}"
        ax.set_title(f"{c}\no[{x}, {y}] = {o}", fontsize=11)
        ax.set(xlim=(-0.1, Wg + 3.6), ylim=(H + 0.1, -0.1))

    def draw(self, ax, k, filled=False):
        """The whole diagram on one Axes, at pixel ``self.pixels[k]``."""
        g, m, (x, y) = self._columns(), self.m, self.pixels[k]
        Ho, Wo = self.c.shape
        done = filled | (np.arange(self.c.size).reshape(self.c.shape) <= k)
        for n in range(len(self.slides)):
            self._row(ax, n, k, g, done)
        top, mid, shade = g.top, g.top + Ho / 2, _one(self.c.shape, (x, y))
        _grid(ax, [[self.bias]], "b", top + Ho + 0.6, g.b, fontsize=11)
        _text(ax, g.b + 0.5, top + Ho + 1.7, f"+ $b^l_{m}$", "b", va="top")
        _arrow(ax, (g.b + 1.0, top + Ho + 1.1), (g.c - 0.1, top + x + 0.5), "b")
        c = np.where(done, self.c, np.nan)
        _grid(ax, c, "c", top, g.c, shade=shade, fontsize=11)
        sigma = f"$c^l_{m} = \\sum_n i^l_{{n,{m}}} + b^l_{m}$"
        _text(ax, g.c + Wo / 2, top - 0.2, sigma)
        _arrow(ax, (g.c + Wo + 0.2, mid), (g.out - 0.2, mid), "b", "-|>", 2)
        _text(ax, g.out - 1.3, mid - 0.25, "$a$", "b", 14)
        o, title = np.where(done, self.o, np.nan), f"$o^l_{m} = a(c^l_{m})$"
        _grid(ax, o, "o", top, g.out, title=title, shade=shade, fontsize=10)
        sym = " + ".join(f"$i_{{{n},{m}}}$" for n in range(len(self.slides)))
        a = f"a({fmt_value(self.c[x, y])}) = {fmt_value(self.o[x, y], 3)}"
        c_is = f"{sym} + $b_{m}$ = {self._sum(x, y)}  \u2192  $c_{m}$[{x}, {y}]"
        o_is = f"{a}  \u2192  $o_{m}$[{x}, {y}]   (a = {self.activation})"
        for j, (line, role) in enumerate(((c_is, "c"), (o_is, "b"))):
            y0 = g.height + 0.6 + 1.1 * j
            _text(ax, 0, y0, line, role, ha="left", va="top")
        ax.set(xlim=(-0.3, g.width + 0.3), ylim=(g.height + 2.7, -1.1))

    def _columns(self):
        """Where each array of the diagram sits, in cells."""
        (Hg, Wg), (kH, kW) = self.slides[0].grid.shape, self.w.shape[1:]
        Ho, Wo = self.c.shape
        g = SimpleNamespace(w=Wg + 1.3, i=Wg + kW + 2.6)
        g.block, g.c = max(Hg, kH, Ho) + 1.6, g.i + Wo + 4.2
        g.b, g.out, g.width = g.c - 2.4, g.c + Wo + 2.6, g.c + 2 * Wo + 2.6
        g.height = len(self.slides) * g.block - 1.6
        g.top = (g.height - Ho) / 2
        return g

    def _sum(self, x, y):
        """'0 + 1 + 0.5 = 1.5': the single inputs and the bias at (x, y)."""
        terms = " + ".join(map(signed, [*self.single[:, x, y], self.bias]))
        return f"{terms} = {fmt_value(self.c[x, y])}"

    def _unit(self, ax, n, k, top, size, **kw):
        """Input unit ``n`` at row ``top``, the window of frame ``k``."""
        s, f = self.slides[n], self.slides[n].frames[k]
        pad = s.padding_mask
        _grid(ax, s.grid, "o", top, 0, padding=pad, fontsize=11, **kw)
        cells = None if s.dilation == (1, 1) else f.cells
        opts = dict(origin=(top, 0), weights=f.weights, fontsize=size)
        draw_window(ax, *f.cells[0, 0], *s.kernel.shape, cells=cells, **opts)

    def _row(self, ax, n, k, g, done):
        """Row ``n``: o_n and its window, * w_{n,m} = i_{n,m}, arrow to c."""
        s, nm, top = self.slides[n], f"{{{n},{self.m}}}", n * g.block
        Hg, kH, (Ho, Wo) = s.grid.shape[0], self.w.shape[1], self.c.shape
        self._unit(ax, n, k, top, None, title=f"$o^{{l-1}}_{n}$")
        w_top, i_top = top + (Hg - kH) / 2, top + (Hg - Ho) / 2
        _grid(ax, self.w[n], "w", w_top, g.w, title=f"$w^l_{nm}$", fontsize=11)
        conv = "\u2217" if s.convention == "convolution" else "\u22c6"
        for col, sign in ((g.w, conv), (g.i, "=")):
            _text(ax, col - 0.65, top + Hg / 2, sign, size=16, va="center")
        i = np.where(done, self.single[n], np.nan)
        opts = dict(title=f"$i^l_{nm}$", shade=_one(done.shape, self.pixels[k]))
        _grid(ax, i, "c", i_top, g.i, fontsize=11, **opts)
        x = self.pixels[k][0] + 0.5
        _arrow(ax, (g.i + Wo + 0.1, i_top + x), (g.c - 0.1, g.top + x), "c")


def feedforward(o_prev, w, b, m=0, *, activation="sigmoid", example=0, **opts):
    """The forward pass of output unit ``m``, one frame per output pixel.

    Parameters
    ----------
    o_prev : array_like, shape (C_in, H, W), or (N, C_in, H, W): then
        example ``example`` is drawn.
    w, b : array_like, shapes (C_out, C_in, kH, kW) and (C_out,) or None
    activation : {'sigmoid', 'tanh', 'relu', 'identity'}
    **opts
        ``convention, stride, padding, boundary, dilation`` as for
        :func:`cnnlit.conv_forward`, whose ``[m]`` is ``c``.

    Returns
    -------
    FeedForward
    """
    o_prev = as_real_array(o_prev, "o_prev").astype(float)
    if o_prev.ndim == 4:
        o_prev = o_prev[check_int(example, "example", 0, len(o_prev) - 1)]
    check_ndim(o_prev, "o_prev", (3,), "(C_in, H, W) or (N, C_in, H, W)")
    a = ACTIVATIONS[check_flag(activation, "activation", tuple(ACTIVATIONS))]
    c = conv_forward(o_prev, w, b, **opts)
    w = as_real_array(w, "w").astype(float)
    m = check_int(m, "m", 0, len(w) - 1)
    slides = tuple(map(partial(slide, **opts), o_prev, w[m]))
    single = np.stack([s.output for s in slides])
    bias = 0.0 if b is None else float(np.ravel(b)[m])
    ff = (o_prev, w[m].copy(), m, slides, single, single.sum(0), bias, c[m])
    return FeedForward(*ff, a(c[m]), activation)


class PoolRoute(
    namedtuple("PoolRoute", "o_prev delta output size stride mode frames grad"),
    Picture,
):
    """Every window of a pooling layer's backward pass, a frame each.

    Attributes: ``o_prev`` and ``grad`` (H, W); ``delta`` and ``output``
    (H_out, W_out); ``size``, ``stride``, ``mode``; ``frames``, one per
    window: its ``out`` pixel, ``cells`` (kH, kW, 2), ``values`` (kH, kW),
    the ``winner`` (max) and ``tied`` cells, ``delta``, the ``share`` each
    receiving cell gets, ``routed`` (kH, kW), ``grad`` (H, W) so far.
    """

    def cost(self):
        return len(self.frames), 2 * self.o_prev.size + self.delta.size

    def layout(self):
        (H, W), (Ho, Wo) = self.o_prev.shape, self.delta.shape
        return strip([W, Wo, W], max(H, Ho), title_rows=1.6)

    def draw(self, axes, k):
        """The input with the window, the deltas, the gradient so far."""
        f, (ax_i, ax_d, ax_g, ax_t) = self.frames[k], axes
        (H, W), (Ho, Wo) = self.o_prev.shape, self.delta.shape
        _draw_input(ax_i, self, f, index=True)
        _text(ax_i, W / 2, -0.55, "$o^{l-1}$", size=12)
        shade, title = _one(self.delta.shape, f.out), "$\\delta^l$"
        opts = dict(shade=shade, title=title, index=True)
        draw_array(ax_d, self.delta, "delta", **opts)
        draw_window(ax_d, *f.out, 1, 1, "delta")
        title = "$\\partial E / \\partial o^{l-1}$ so far"
        _draw_grad(ax_g, self, k, title=title, index=True)
        for ax, width in ((ax_i, W), (ax_d, max(Wo, 2)), (ax_g, W)):
            ax.set(xlim=(-0.6, width + 0.1), ylim=(max(H, Ho) + 0.1, -1.3))
        caption_strip(ax_t, _route_caption(f), colour("delta"))

    @property
    def panel_size(self):
        H, W = self.o_prev.shape
        return 0.45 * (2 * W + 1.2) + 0.3, 0.45 * H + 0.8

    def panel(self, ax, k):
        """The input with the window (left), the gradient so far (right)."""
        k = len(self.frames) - 1 if k is None else k
        (H, W), f, gap = self.o_prev.shape, self.frames[k], 1.2
        _draw_input(ax, self, f, fontsize=10, small=7)
        _arrow(ax, (W + 0.1, H / 2), (W + gap - 0.1, H / 2), "grad", "-|>", 1.5)
        _draw_grad(ax, self, k, col=W + gap, fontsize=10, small=6.5)
        where = f"{fmt_value(f.delta * f.share)} each"
        if f.winner is not None:
            where = f"{f.winner}" + (" (tie)" if len(f.tied) > 1 else "")
        d = f"\u03b4[{f.out[0]}, {f.out[1]}] = {fmt_value(f.delta)}"
        ax.set_title(f"{d} \u2192 {where}", fontsize=10, color=colour("delta"))
        ax.set(xlim=(-0.1, 2 * W + gap + 0.1), ylim=(H + 0.1, -0.2))


def pool_route(delta, o_prev, size, *, stride=None, mode="max"):
    """Pooling's backward pass, window by window (:func:`cnnlit.pool_backward`).

    Parameters
    ----------
    delta, o_prev : array_like, shapes (H_out, W_out) and (H, W)
    size, stride, mode
        As for :func:`cnnlit.pool_backward`.

    Returns
    -------
    PoolRoute
    """
    o_prev, opts = as_map(o_prev, "o_prev"), dict(stride=stride, mode=mode)
    output = pool_forward(o_prev[None], size, **opts)[0]
    delta = as_real_array(delta, "delta").astype(float)
    grad = pool_backward(delta[None], o_prev[None], size, **opts)[0]
    k, s = pair(size, "size", 1), pair(stride or size, "stride", 1)
    n = delta.size
    check_size(n, 2 * o_prev.size + n, "this pool_route")
    one_hot = np.eye(n).reshape((n, 1) + delta.shape)  # a window each
    o_n = np.repeat(o_prev[None, None], n, axis=0)
    routes = pool_backward(one_hot, o_n, size, **opts)[:, 0]
    grads = np.cumsum(routes * delta.reshape(n, 1, 1), axis=0)
    cells = windows(o_prev.shape, k, s).reshape(n, *k, 2)
    frame = partial(_pool_frame, o_prev, delta, mode)
    frames = tuple(frame(j, cells[j], routes[j], grads[j]) for j in range(n))
    return PoolRoute(o_prev, delta, output, k, s, mode, frames, grad)


def _pool_frame(o_prev, delta, mode, j, cells, route, grad):
    """Window ``j``; ``route``: where the package sends its delta of 1."""
    out, (rows, cols) = divmod(j, delta.shape[1]), np.moveaxis(cells, -1, 0)
    values, d, share = o_prev[rows, cols], float(delta[out]), route.max()
    winner, tied, routed = None, (), d * route[rows, cols]
    if mode == "max":  # one winner takes the whole delta
        winner = tuple(int(i) for i in np.argwhere(route)[0])
        tied = tuple(map(tuple, cells[values == values.max()].tolist()))
    return PoolFrame(out, cells, values, winner, tied, d, share, routed, grad)


def _receiving(f):
    """The window's cells that get its delta: the winner, or all (mean)."""
    return (f.cells == (f.winner or f.cells)).all(axis=-1)


def _route_caption(f):
    (x, y), d, top = f.out, fmt_value(f.delta), fmt_value(f.values.max())
    head, win = f"\u03b4[{x}, {y}] = {d}", f"{f.winner}"
    if f.winner is None:
        each = f"{fmt_value(f.delta * f.share)} to each pixel of the window"
        return f"{head}:  {d} / {f.values.size} = {each}"
    if len(f.tied) > 1:
        tied = ", ".join(map(str, f.tied))
        return f"{head}:  max {top} tied at {tied};  the first, {win}, takes it"
    return f"{head}  \u2192  the max, {top} at {win}"


def _plus(v):
    """'+2' or '\u22122': a term of a running sum."""
    return ("+" if v >= 0 else "\u2212") + fmt_value(abs(v))


def _draw_input(ax, r, f, col=0, small=8, **kw):
    """The input with the window (purple), the winner (strong blue), the ties
    (dashed), and what each receiving cell gets, small in red."""
    shade = None if f.winner is None else _one(r.o_prev.shape, f.winner)
    _grid(ax, r.o_prev, "o", 0, col, shade=shade, **kw)
    dashed = dict(fill=False, ec=colour("o"), ls="--", lw=1.2, zorder=6)
    for t, q in sorted(set(f.tied) - {f.winner}):
        ax.add_patch(Rectangle((col + q + 0.1, t + 0.1), 0.8, 0.8, **dashed))
        _text(ax, col + q + 0.5, t + 0.88, "tie", "o", small, zorder=6)
    draw_window(ax, *f.cells[0, 0], *f.values.shape, "delta", origin=(0, col))
    box = dict(boxstyle="square,pad=0.08", fc="white", ec="none", alpha=0.9)
    bold = dict(ha="right", zorder=7, fontweight="bold", bbox=box)
    mask = _receiving(f)
    for (t, q), v in zip(f.cells[mask], f.routed[mask], strict=True):
        _text(ax, col + q + 0.97, t + 0.97, _plus(v), "grad", small, **bold)


def _draw_grad(ax, r, k, col=0, small=7, **kw):
    """The running gradient after frame ``k``, the cells just updated strong;
    cells fed by several windows with their contributions, small."""
    f, (H, W) = r.frames[k], r.o_prev.shape
    got = _one((H, W), tuple(f.cells[_receiving(f)].T))
    _grid(ax, f.grad, "grad", 0, col, shade=got, **kw)
    parts = {}
    for g in r.frames[: k + 1]:
        mask = _receiving(g)
        for (t, q), v in zip(g.cells[mask], g.routed[mask], strict=True):
            parts.setdefault((t, q), []).append(v)
    for (t, q), (first, *rest) in parts.items():
        if rest:
            text = fmt_value(first).replace("-", "\u2212")
            text += "".join(map(_plus, rest))
            c = "white" if got[t, q] else colour("grad")
            _text(ax, col + q + 0.5, t + 0.97, text, size=small, color=c)


class ReceptiveField(
    namedtuple("RF", "layers shapes pixel grads masks boxes sizes names"),
    Picture,
):
    """The receptive field of one output pixel, map by map, input first.

    Attributes: ``layers``, ``(kind, (kH, kW), (sH, sW))`` each; ``shapes``
    of the maps; the output ``pixel``; ``grads``, :math:`\\partial E /
    \\partial o^l` for a one-hot delta at ``pixel``; ``masks``, ``grads !=
    0``; ``boxes`` ``(top, bottom, left, right)`` and ``sizes`` of the
    fields; ``names``, a title per map.
    """

    frames = property(lambda self: (self,))

    def cost(self):
        return 1, sum(H * W for H, W in self.shapes)

    def overview(self):
        """The one-hot delta (purple), then each map below with the field's
        values (red; empty cells are 0) and box, the layers named."""
        L, gap, height = len(self.layers), 2.2, max(H for H, _ in self.shapes)
        width = sum(W for _, W in self.shapes) + gap * L + 1
        fig = plt.figure(figsize=(0.42 * width, 0.42 * (height + 3.2)), dpi=DPI)
        ax, col, mid = fig.add_axes((0, 0, 1, 1)), 0.0, height / 2
        for j in range(L, -1, -1):  # the output first, the input last
            self._map(ax, j, (height - self.shapes[j][0]) / 2, col)
            col += self.shapes[j][1] + gap
            if j > 0:
                kind, (kH, kW), (sH, sW) = self.layers[j - 1]
                stride = f"{sH}" if sH == sW else f"({sH}, {sW})"
                left, right = (col - gap + 0.2, mid), (col - 0.2, mid)
                _arrow(ax, left, right, "grad", "-|>", 2)
                label = f"{kind} {kH}\u00d7{kW}\nstride {stride}"
                _text(ax, col - gap / 2, mid - 0.3, label, size=9)
        ax.set(xlim=(-0.4, col - gap + 0.4), ylim=(height + 1.6, -1.6))
        return fig

    def _map(self, ax, j, top, col):
        """Map ``j`` at ``(top, col)``: the field's values and box, its size."""
        (H, W), (t, b, lf, r) = self.shapes[j], self.boxes[j]
        role = "delta" if j == len(self.layers) else "grad"
        size = 9 if max(H, W) > 6 else 10
        values = np.where(self.masks[j], self.grads[j], np.nan)
        _grid(ax, values, role, top, col, shade=self.masks[j], fontsize=size)
        draw_window(ax, top + t, col + lf, b - t + 1, r - lf + 1, role, lw=2.5)
        _text(ax, col + W / 2, top - 0.3, f"{self.names[j]}  ({H}\u00d7{W})")
        field = "field {}\u00d7{}".format(*self.sizes[j])
        _text(ax, col + W / 2, top + H + 0.3, field, role, va="top")


def _layer(layer, j):
    """``('conv' | 'pool', size[, stride])`` as ``(kind, k, s)``, pairs."""
    if not isinstance(layer, (tuple, list)) or len(layer) not in (2, 3):
        want = "('conv' | 'pool', size[, stride])"
        raise ValueError(f"layers[{j}] must be {want}, got {layer!r}")
    kind = check_flag(layer[0], f"layers[{j}][0]", ("conv", "pool"))
    k = pair(layer[1], f"layers[{j}] size", 1)
    s = layer[2] if len(layer) == 3 else 1 if kind == "conv" else k
    return kind, k, pair(s, f"layers[{j}] stride", 1)


def _pixel(pixel, shape):
    ok = isinstance(pixel, (tuple, list)) and len(pixel) == 2
    x, y = pair(pixel, "pixel", 0) if ok else (-1, -1)
    if not (0 <= x < shape[0] and 0 <= y < shape[1]):
        where = f"inside the map of shape {shape}, got {pixel!r}"
        raise ValueError(f"pixel must be a pair of ints (x, y) {where}")
    return x, y


def receptive_field(input_shape, layers, pixel, *, names=None):
    """The input pixels one output pixel depends on, by a backward pass.

    A one-hot delta at ``pixel`` of the last map goes down every layer with
    :func:`cnnlit.reference.conv_backward` (kernels of ones) and
    :func:`cnnlit.reference.pool_backward` (mean pooling).

    Parameters
    ----------
    input_shape : int or (int, int)
    layers : sequence of ``('conv' | 'pool', size[, stride])``
        Stride 1 for 'conv' and ``size`` for 'pool' by default.
    pixel : (int, int)
    names : sequence of str, optional
        A title per map, input first.

    Returns
    -------
    ReceptiveField
    """
    layers = tuple(_layer(layer, j) for j, layer in enumerate(layers))
    shapes = [pair(input_shape, "input_shape", 1)]
    for j, (_, k, s) in enumerate(layers):
        try:
            shapes.append(conv_output_shape(*shapes[-1], *k, stride=s))
        except ValueError as e:
            raise ValueError(f"layers[{j}]: {e}") from None
    if not layers:
        raise ValueError("layers must hold at least one layer, got none")
    check_size(1, sum(H * W for H, W in shapes), "this receptive_field")
    names = tuple(names or (f"$o^{{{j}}}$" for j in range(len(shapes))))
    if len(names) != len(shapes):
        n, got = len(shapes), len(names)
        raise ValueError(f"names must hold one title per map, {n}, got {got}")
    x, y = _pixel(pixel, shapes[-1])
    grads = [_one((1, 1) + shapes[-1], (0, 0, x, y)) * 1.0]
    for (kind, k, s), shape in zip(layers[::-1], shapes[-2::-1], strict=True):
        below = np.zeros((1, 1) + shape)  # never read: the layers are linear
        if kind == "conv":
            ones = np.ones((1, 1) + k)
            g = reference.conv_backward(grads[0], below, ones, stride=s)[2]
        else:
            opts = dict(stride=s, mode="mean")
            g = reference.pool_backward(grads[0], below, k, **opts)
        grads.insert(0, g)
    grads, boxes = tuple(g[0, 0] for g in grads), []
    for g in grads:
        rows, cols = np.flatnonzero(g.any(1)), np.flatnonzero(g.any(0))
        boxes.append((int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])))
    sizes = tuple((b - t + 1, r - lf + 1) for t, b, lf, r in boxes)
    masks = tuple(g != 0 for g in grads)
    rf = (layers, tuple(shapes), (x, y), grads, masks, tuple(boxes), sizes)
    return ReceptiveField(*rf, names)
