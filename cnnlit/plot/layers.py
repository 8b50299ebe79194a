"""Pictures of whole layers: feed-forward, pooling, receptive fields.

Three pictures, each a :class:`cnnlit.plot.Picture` whose numbers come from
the window engine (:func:`cnnlit.plot.sliding.windows`) and the package's
geometry (so that a chapter can assert them against the package):

- :func:`feedforward`: several input units, each convolved with its own kernel,
  the single inputs summed with the bias into one complete input, and the
  activation applied (:ref:`feedforward`); one frame per output pixel.
- :func:`pool_route`: the backward pass of max or mean pooling window by
  window: each window's delta routed to its first maximum (max) or spread
  evenly (mean), and the input gradient accumulating where windows overlap
  (:ref:`pooling`); one frame per window.
- :func:`receptive_field`: the input pixels that one output pixel sees
  through a stack of convolutions and pooling layers, found by sending a
  one-hot delta backwards (:ref:`pooling`).
"""

import numbers
from dataclasses import dataclass

import numpy as np
from matplotlib import pyplot as plt
from matplotlib.patches import Rectangle

from .._checks import POOL_MODES, as_real_array, check_flag, pair
from ..conv import conv_output_shape
from ._core import DPI, Picture, as_map, check_size
from ._style import (
    caption_strip,
    draw_array,
    draw_window,
    fmt_value,
    panels_over_strip,
    role_colour,
)
from .sliding import slide, windows

__all__ = ["feedforward", "pool_route", "receptive_field"]


def _sigmoid(c):
    with np.errstate(over="ignore"):  # exp(1000) is inf on purpose: 1 / inf = 0
        return 1.0 / (1.0 + np.exp(-c))


#: Activation name -> its closed form, written here from the textbook formula
#: (not taken from :mod:`cnnlit.activations`, which the pictures are checked
#: against).
ACTIVATIONS = {
    "sigmoid": _sigmoid,
    "tanh": lambda c: (1.0 - np.exp(-2.0 * c)) / (1.0 + np.exp(-2.0 * c)),
    "relu": lambda c: np.where(c > 0, c, 0.0),
    "identity": lambda c: c.copy(),
}


def _check_int_index(value, name, n):
    if (
        not isinstance(value, numbers.Integral)
        or isinstance(value, bool)
        or not 0 <= value < n
    ):
        raise ValueError(f"{name} must be an int in [0, {n}), got {value!r}")
    return int(value)


def _check_pixel(pixel, shape, name="pixel"):
    ok = (
        isinstance(pixel, (tuple, list))
        and len(pixel) == 2
        and all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool)
            for v in pixel
        )
    )
    if not ok or not (0 <= pixel[0] < shape[0] and 0 <= pixel[1] < shape[1]):
        raise ValueError(
            f"{name} must be a pair of ints (x, y) inside the map of shape {shape}, got {pixel!r}"
        )
    return int(pixel[0]), int(pixel[1])


# --------------------------------------------------------------------------
# Feed-forward: single inputs, their sum, the bias and the activation
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedForward(Picture):
    """What the feed-forward picture of one output unit ``m`` shows.

    Attributes
    ----------
    o_prev : ndarray, shape (C_in, H, W)
        The input units :math:`o^{l-1}_n`.
    w : ndarray, shape (C_in, kH, kW)
        The kernels into unit ``m``: ``w[n]`` is the source post's :math:`w^l_{n,m}`
        (the layer's ``w[m, n]``).
    m : int
        The output unit drawn.
    slides : tuple of Slide
        ``slides[n]``: kernel ``w[n]`` sliding over ``o_prev[n]``, frame by
        frame (see :func:`cnnlit.plot.slide`).
    single : ndarray, shape (C_in, H_out, W_out)
        The single inputs :math:`i^l_{n,m}`: ``single[n] = slides[n].output``.
    total : ndarray, shape (H_out, W_out)
        :math:`\\sum_n i^l_{n,m}`.
    bias : float
        :math:`b^l_m`.
    c : ndarray, shape (H_out, W_out)
        The complete input :math:`c^l_m` = ``total + bias``.
    o : ndarray, shape (H_out, W_out)
        The output :math:`o^l_m = a(c^l_m)`.
    activation : str
        A key of :data:`ACTIVATIONS`.
    """

    o_prev: np.ndarray
    w: np.ndarray
    m: int
    slides: tuple
    single: np.ndarray
    total: np.ndarray
    bias: float
    c: np.ndarray
    o: np.ndarray
    activation: str

    @property
    def pixels(self):
        """The output pixels ``(x, y)`` in frame order (row by row)."""
        return [f.out for f in self.slides[0].frames]

    frames = property(lambda self: self.slides[0].frames)

    def cost(self):
        return len(self.frames), sum(s.cost()[1] for s in self.slides)

    def layout(self):
        g = _ff_geometry(self)
        cell = 0.42
        fig = plt.figure(
            figsize=(cell * (g["width"] + 0.6), cell * (g["height"] + 3.2)),
            dpi=DPI,
        )
        return fig, fig.add_axes((0, 0, 1, 1))

    def draw(self, ax, k):
        """One row per input unit: :math:`o^{l-1}_n` (blue) with the window
        and the weights laid on it, the kernel :math:`w^l_{n,m}` (orange), the
        single input :math:`i^l_{n,m}` (green); arrows into the complete input
        :math:`c^l_m` from each single input and the bias (brown), and the
        activation into :math:`o^l_m`. Below: the sum and the activation for
        output pixel ``k``; values of the pixels up to ``k`` only."""
        _draw_ff(ax, self, k, False)

    def overview(self):
        """The picture at the first pixel, every value written."""
        fig, ax = self.layout()
        _draw_ff(ax, self, 0, True)
        return fig

    @property
    def panel_size(self):
        (Hg, Wg), C_in = self.slides[0].grid.shape, self.o_prev.shape[0]
        return 0.45 * (Wg + 3.5) + 0.2, 0.45 * C_in * (Hg + 0.8) + 0.8

    def panel(self, ax, k):
        """The input units stacked, each with the window at pixel ``k``,
        titled with the pixel's sum ``i + ... + b = c`` and its activation."""
        _ff_panel(self, ax, 0 if k is None else k)


def feedforward(
    o_prev,
    w,
    b,
    m=0,
    *,
    activation="sigmoid",
    convention="convolution",
    stride=1,
    padding=0,
    boundary="fill",
    dilation=1,
):
    r"""The numbers of one unit's forward pass, computed with loops.

    .. math:: c^l_m = \sum_n o^{l-1}_n \ast w^l_{n,m} + b^l_m, \qquad o^l_m = a(c^l_m)

    Parameters
    ----------
    o_prev : array_like, shape (C_in, H, W)
        One example's input units.
    w : array_like, shape (C_out, C_in, kH, kW)
        The layer's kernels (``w[m, n]`` is :math:`w^l_{n,m}`).
    b : array_like, shape (C_out,), or None
        The biases (None: no bias, drawn as 0).
    m : int
        Which output unit to compute, in ``[0, C_out)``.
    activation : {'sigmoid', 'tanh', 'relu', 'identity'}
        The activation :math:`a`, computed from its closed form.
    convention, stride, padding, boundary, dilation
        As for :func:`cnnlit.conv_forward`.

    Returns
    -------
    FeedForward
        ``c`` equals ``cnnlit.conv_forward(o_prev, w, b, ...)[m]`` and ``o``
        the activation of it.

    Examples
    --------
    >>> o_prev = [[[1, 2], [0, 1]], [[0, 1], [1, 0]]]
    >>> w = [[[[1, 0], [0, -1]], [[2, 1], [0, 0]]]]
    >>> ff = feedforward(o_prev, w, [0.5])
    >>> ff.single[:, 0, 0], float(ff.total[0, 0]), float(ff.c[0, 0])
    (array([0., 1.]), 1.0, 1.5)
    >>> round(float(ff.o[0, 0]), 4)
    0.8176
    """
    o_prev = as_real_array(o_prev, "o_prev").astype(float)
    w = as_real_array(w, "w").astype(float)
    if o_prev.ndim != 3 or 0 in o_prev.shape:
        raise ValueError(
            f"o_prev must have shape (C_in, H, W), one example, got shape {o_prev.shape}"
        )
    if w.ndim != 4 or 0 in w.shape:
        raise ValueError(
            f"w must have shape (C_out, C_in, kH, kW), got shape {w.shape}"
        )
    C_out, C_in, kH, kW = w.shape
    if C_in != o_prev.shape[0]:
        raise ValueError(
            f"w must have C_in = {o_prev.shape[0]} (o_prev's first axis) on its second axis, "
            f"got w of shape {w.shape}"
        )
    if b is None:
        b = np.zeros(C_out)
    b = as_real_array(b, "b").astype(float)
    if b.shape != (C_out,):
        raise ValueError(
            f"b must have shape (C_out,) = {(C_out,)}, got shape {b.shape}"
        )
    m = _check_int_index(m, "m", C_out)
    check_flag(activation, "activation", tuple(ACTIVATIONS))
    slides = tuple(
        slide(
            o_prev[n],
            w[m, n],
            convention=convention,
            padding=padding,
            boundary=boundary,
            stride=stride,
            dilation=dilation,
            roles=("o", "w", "c"),
            names=(f"o_{n}", f"w_{n},{m}", f"i_{n},{m}"),
        )
        for n in range(C_in)
    )
    single = np.stack([s.output for s in slides])
    total = np.zeros(single.shape[1:])
    for n in range(C_in):  # the sum over the input units, one at a time
        total += single[n]
    c = total + b[m]
    o = ACTIVATIONS[activation](c)
    return FeedForward(
        o_prev,
        w[m].copy(),
        m,
        slides,
        single,
        total,
        float(b[m]),
        c,
        o,
        activation,
    )


def _ff_geometry(ff):
    """Where each array sits on the one canvas, in cell units (row, column)."""
    C_in = ff.o_prev.shape[0]
    Hg, Wg = ff.slides[0].grid.shape
    kH, kW = ff.w.shape[1:]
    Ho, Wo = ff.c.shape
    block = max(Hg, kH, Ho) + 1.6
    col_o, col_w = 0.0, Wg + 1.3
    col_i = col_w + kW + 1.3
    col_b = col_i + Wo + 1.8
    col_c = col_b + 2.4
    col_out = col_c + Wo + 2.6
    height = C_in * block - 1.6
    mid = height / 2
    rows = [n * block for n in range(C_in)]
    return dict(
        C_in=C_in,
        Hg=Hg,
        Wg=Wg,
        kH=kH,
        kW=kW,
        Ho=Ho,
        Wo=Wo,
        rows=rows,
        col_o=col_o,
        col_w=col_w,
        col_i=col_i,
        col_b=col_b,
        col_c=col_c,
        col_out=col_out,
        width=col_out + Wo,
        height=height,
        mid=mid,
        block=block,
    )


def _sub(n, m=None):
    return f"{n}" if m is None else f"{{{n},{m}}}"


def _ff_equation(ff, k):
    x, y = ff.pixels[k]
    m = ff.m
    terms = " + ".join(
        fmt_value(ff.single[n, x, y]) for n in range(ff.single.shape[0])
    )
    sym = " + ".join(f"$i_{_sub(n, m)}$" for n in range(ff.single.shape[0]))
    line1 = (
        f"{sym} + $b_{m}$ = {terms} + {fmt_value(ff.bias)} = "
        f"{fmt_value(ff.c[x, y])}  \u2192  $c_{m}$[{x}, {y}]"
    )
    line2 = (
        f"a({fmt_value(ff.c[x, y])}) = {fmt_value(ff.o[x, y], 3)}  \u2192  $o_{m}$[{x}, {y}]"
        f"   (a = {ff.activation})"
    )
    return line1, line2


def _draw_ff(ax, ff, k, filled):
    """The whole diagram on one Axes, for output pixel ``ff.pixels[k]``."""
    g = _ff_geometry(ff)
    m = ff.m
    x, y = ff.pixels[k]
    conv = ff.slides[0].convention == "convolution"
    current = np.zeros(ff.c.shape, bool)
    current[x, y] = True
    done = np.zeros(ff.c.shape, bool)
    for p in ff.pixels[: k + 1]:
        done[p] = True
    shown = (lambda a: a) if filled else (lambda a: np.where(done, a, np.nan))
    c_cell = (g["mid"] - g["Ho"] / 2, g["col_c"])
    for n, s in enumerate(ff.slides):
        top = g["rows"][n]
        f = s.frames[k]
        draw_array(
            ax,
            s.grid,
            "o",
            origin=(top, g["col_o"]),
            padding=s.padding_mask,
            title=f"$o^{{l-1}}_{n}$",
            fontsize=11,
        )
        dense = s.dilation == (1, 1)
        draw_window(
            ax,
            f.cells[0, 0, 0],
            f.cells[0, 0, 1],
            g["kH"],
            g["kW"],
            "w",
            origin=(top, g["col_o"]),
            weights=f.weights,
            cells=None if dense else f.cells,
        )
        w_top = top + (g["Hg"] - g["kH"]) / 2
        draw_array(
            ax,
            ff.w[n],
            "w",
            origin=(w_top, g["col_w"]),
            title=f"$w^l_{_sub(n, m)}$",
            fontsize=11,
        )
        ax.text(
            g["col_w"] - 0.65,
            top + g["Hg"] / 2,
            "\u2217" if conv else "\u22c6",
            ha="center",
            va="center",
            fontsize=16,
        )
        i_top = top + (g["Hg"] - g["Ho"]) / 2
        ax.text(
            g["col_i"] - 0.65,
            top + g["Hg"] / 2,
            "=",
            ha="center",
            va="center",
            fontsize=16,
        )
        draw_array(
            ax,
            shown(ff.single[n]),
            "c",
            origin=(i_top, g["col_i"]),
            title=f"$i^l_{_sub(n, m)}$",
            shade=current,
            fontsize=11,
        )
        # the single input's pixel is one term of the complete input's pixel
        ax.annotate(
            "",
            xy=(c_cell[1] - 0.1, c_cell[0] + x + 0.5),
            xytext=(g["col_i"] + g["Wo"] + 0.1, i_top + x + 0.5),
            arrowprops=dict(
                arrowstyle="->",
                color=role_colour("c"),
                lw=1.4,
                shrinkA=0,
                shrinkB=0,
            ),
        )
    # the bias, added to every pixel
    b_top = g["mid"] + g["Ho"] / 2 + 0.6
    draw_array(ax, [[ff.bias]], "b", origin=(b_top, g["col_b"]), fontsize=11)
    ax.text(
        g["col_b"] + 0.5,
        b_top + 1.1,
        f"+ $b^l_{m}$",
        ha="center",
        va="top",
        fontsize=11,
        color=role_colour("b"),
    )
    ax.annotate(
        "",
        xy=(c_cell[1] - 0.1, c_cell[0] + x + 0.5),
        xytext=(g["col_b"] + 1.0, b_top + 0.5),
        arrowprops=dict(
            arrowstyle="->",
            color=role_colour("b"),
            lw=1.4,
            shrinkA=0,
            shrinkB=0,
        ),
    )
    draw_array(ax, shown(ff.c), "c", origin=c_cell, shade=current, fontsize=11)
    ax.text(
        g["col_c"] + g["Wo"] / 2,
        c_cell[0] - 0.2,
        f"$c^l_{m} = \\sum_n i^l_{{n,{m}}} + b^l_{m}$",
        ha="center",
        va="bottom",
        fontsize=11,
    )
    # the activation, pixel by pixel
    o_cell = (c_cell[0], g["col_out"])
    ax.annotate(
        "",
        xy=(g["col_out"] - 0.2, c_cell[0] + g["Ho"] / 2),
        xytext=(g["col_c"] + g["Wo"] + 0.2, c_cell[0] + g["Ho"] / 2),
        arrowprops=dict(arrowstyle="-|>", color=role_colour("b"), lw=2),
    )
    ax.text(
        g["col_c"] + g["Wo"] + 1.3,
        c_cell[0] + g["Ho"] / 2 - 0.25,
        "$a$",
        ha="center",
        va="bottom",
        fontsize=14,
        color=role_colour("b"),
    )
    draw_array(
        ax,
        shown(ff.o),
        "o",
        origin=o_cell,
        title=f"$o^l_{m} = a(c^l_{m})$",
        shade=current,
        fontsize=10,
    )
    line1, line2 = _ff_equation(ff, k)
    base = g["height"] + 0.6
    ax.text(
        0, base, line1, ha="left", va="top", fontsize=11, color=role_colour("c")
    )
    ax.text(
        0,
        base + 1.1,
        line2,
        ha="left",
        va="top",
        fontsize=11,
        color=role_colour("b"),
    )
    ax.set_xlim(-0.3, g["width"] + 0.3)
    ax.set_ylim(base + 2.1, -1.1)


def _ff_panel(ff, ax, k):
    """Output pixel ``k``: the input units stacked with their windows."""
    C_in = ff.o_prev.shape[0]
    Hg, Wg = ff.slides[0].grid.shape
    kH, kW = ff.w.shape[1:]
    gap = 0.8
    x, y = ff.pixels[k]
    for nn, s in enumerate(ff.slides):
        top = nn * (Hg + gap)
        f = s.frames[k]
        draw_array(
            ax,
            s.grid,
            "o",
            origin=(top, 0),
            padding=s.padding_mask,
            fontsize=11,
        )
        draw_window(
            ax,
            f.cells[0, 0, 0],
            f.cells[0, 0, 1],
            kH,
            kW,
            "w",
            origin=(top, 0),
            weights=f.weights,
            cells=None if s.dilation == (1, 1) else f.cells,
            fontsize=9,
        )
        ax.text(
            Wg + 0.35,
            top + Hg / 2,
            f"$i_{_sub(nn, ff.m)}$ = {fmt_value(ff.single[nn, x, y])}",
            ha="left",
            va="center",
            fontsize=11,
            color=role_colour("c"),
        )
    terms = " + ".join(fmt_value(v) for v in ff.single[:, x, y])
    ax.set_title(
        f"c[{x}, {y}] = {terms} + {fmt_value(ff.bias)} = {fmt_value(ff.c[x, y])}\n"
        f"o[{x}, {y}] = a({fmt_value(ff.c[x, y])}) = {fmt_value(ff.o[x, y], 3)}",
        fontsize=11,
    )
    ax.set_xlim(-0.1, Wg + 3.6)
    ax.set_ylim(C_in * (Hg + gap) - gap + 0.1, -0.1)


# --------------------------------------------------------------------------
# Pooling backward: every window's delta routed or spread, accumulating
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolFrame:
    """One window of the pooling backward pass.

    Attributes
    ----------
    out : (int, int)
        The output pixel ``(x, y)`` whose delta this frame routes.
    cells : ndarray of int, shape (kH, kW, 2)
        The input cells of its window.
    values : ndarray, shape (kH, kW)
        The input's values there.
    winner : (int, int) or None
        Max pooling: the input cell that takes the delta, the first maximum
        in row-major order. None for mean pooling.
    tied : tuple of (int, int)
        Max pooling: every input cell of the window holding the maximum (more
        than one on a tie; ``winner`` is the first). Empty for mean pooling.
    delta : float
        :math:`\\delta^l(x, y)`, the delta routed.
    share : float
        The fraction of the delta each receiving cell gets: 1 (max) or
        ``1 / (kH kW)`` (mean).
    routed : ndarray, shape (kH, kW)
        What each cell of the window receives from this frame.
    grad : ndarray, shape (H, W)
        The input gradient after this frame (the sum of the frames so far).
    """

    out: tuple
    cells: np.ndarray
    values: np.ndarray
    winner: tuple
    tied: tuple
    delta: float
    share: float
    routed: np.ndarray
    grad: np.ndarray


@dataclass(frozen=True)
class PoolRoute(Picture):
    """Every window of a pooling layer's backward pass, and what it builds.

    Attributes
    ----------
    o_prev : ndarray, shape (H, W)
        The pooling layer's input.
    delta : ndarray, shape (H_out, W_out)
        The deltas of the pooled output.
    output : ndarray, shape (H_out, W_out)
        The forward pass: each window's maximum or mean.
    size, stride : (int, int)
    mode : {'max', 'mean'}
    frames : tuple of PoolFrame
        Row by row, one per window.
    grad : ndarray, shape (H, W)
        :math:`\\partial E / \\partial o^{l-1}`: the last frame's ``grad``.
    contributions : tuple of tuple of tuple
        ``contributions[r][q]``: the ``(x, y, amount)`` each window added to
        input cell ``(r, q)``, in frame order; their amounts sum to
        ``grad[r, q]``.
    """

    o_prev: np.ndarray
    delta: np.ndarray
    output: np.ndarray
    size: tuple
    stride: tuple
    mode: str
    frames: tuple
    grad: np.ndarray
    contributions: tuple

    def cost(self):
        return len(self.frames), 2 * self.o_prev.size + self.delta.size

    def layout(self):
        H, W = self.o_prev.shape
        Ho, Wo = self.delta.shape
        return panels_over_strip([W, Wo, W], max(H, Ho), title_rows=1.6)

    def draw(self, axes, k):
        """The input with the window and the cell that receives, the deltas
        with the current one, the input gradient so far; the routing."""
        _draw_route(axes, self, k)

    @property
    def panel_size(self):
        H, W = self.o_prev.shape
        return 0.45 * (2 * W + 1.2) + 0.3, 0.45 * H + 0.8

    def panel(self, ax, k):
        """The input with the window and what the winner receives (left), the
        input gradient so far (right), titled with the delta's route."""
        _route_panel(self, ax, len(self.frames) - 1 if k is None else k)


def pool_route(delta, o_prev, size, *, stride=None, mode="max"):
    r"""The backward pass of pooling, window by window, computed with loops.

    Max pooling gives each window's delta whole to the window's first
    maximum in row-major order (strictly larger values replace the winner,
    equal ones do not); mean pooling gives every pixel of the window
    :math:`\delta / (k_H k_W)`. Where windows overlap (stride < size) a pixel
    receives from several windows and the contributions add up.

    Parameters
    ----------
    delta : array_like, shape (H_out, W_out)
        Deltas of the pooled map.
    o_prev : array_like, shape (H, W)
        The pooling layer's input (one unit of one example).
    size : int or (int, int)
        Window ``(kH, kW)``.
    stride : int or (int, int), optional
        Step between windows; defaults to ``size``.
    mode : {'max', 'mean'}

    Returns
    -------
    PoolRoute
        ``grad`` equals ``cnnlit.pool_backward(delta[None], o_prev[None],
        size, stride=stride, mode=mode)[0]``.

    Examples
    --------
    >>> r = pool_route([[8.0]], [[3, 1], [0, 3]], 2)
    >>> r.frames[0].tied, r.frames[0].winner
    (((0, 0), (1, 1)), (0, 0))
    >>> r.grad
    array([[8., 0.],
           [0., 0.]])
    """
    o_prev = as_map(o_prev, "o_prev")
    check_flag(mode, "mode", POOL_MODES)
    kH, kW = pair(size, "size", 1)
    sH, sW = (kH, kW) if stride is None else pair(stride, "stride", 1)
    H, W = o_prev.shape
    if kH > H or kW > W:
        raise ValueError(
            f"size {(kH, kW)} is larger than o_prev's (H, W) = {(H, W)}"
        )
    Ho, Wo = conv_output_shape(H, W, kH, kW, stride=(sH, sW))
    delta = as_real_array(delta, "delta").astype(float)
    if delta.shape != (Ho, Wo):
        raise ValueError(
            f"delta must have the pooled shape (H_out, W_out) = {(Ho, Wo)}, got shape {delta.shape}"
        )
    check_size(Ho * Wo, 2 * H * W + Ho * Wo, "this pool_route")
    cells = windows((H, W), (kH, kW), (sH, sW))
    values = o_prev[cells[..., 0], cells[..., 1]]
    grad = np.zeros((H, W))
    contributions = [[[] for _ in range(W)] for _ in range(H)]
    frames = []
    for x, y in np.ndindex(Ho, Wo):
        v, c, d = values[x, y], cells[x, y], float(delta[x, y])
        routed = np.zeros((kH, kW))
        if mode == "max":  # the first maximum in row-major order
            best = np.unravel_index(np.argmax(v), v.shape)
            tied = tuple(
                tuple(int(i) for i in c[t])
                for t in zip(*np.nonzero(v == v[best]), strict=True)
            )
            winner, share = tuple(int(i) for i in c[best]), 1.0
            routed[best] = d
        else:
            tied, winner, share = (), None, 1.0 / (kH * kW)
            routed[:, :] = d * share
        for p, q in zip(
            *np.nonzero(routed if mode == "max" else np.ones_like(routed)),
            strict=True,
        ):
            r, col = c[p, q]
            grad[r, col] += routed[p, q]
            contributions[r][col].append((x, y, float(routed[p, q])))
        frames.append(
            PoolFrame((x, y), c, v, winner, tied, d, share, routed, grad.copy())
        )
    output = (
        values.max(axis=(2, 3)) if mode == "max" else values.mean(axis=(2, 3))
    )
    contributions = tuple(
        tuple(tuple(cell) for cell in row) for row in contributions
    )
    return PoolRoute(
        o_prev,
        delta,
        output,
        (kH, kW),
        (sH, sW),
        mode,
        tuple(frames),
        grad.copy(),
        contributions,
    )


def _contribution_text(r, k, row, col):
    """'2\u22121+4' for a cell that has received from several windows up to frame k."""
    done = {tuple(f.out) for f in r.frames[: k + 1]}
    amounts = [a for (x, y, a) in r.contributions[row][col] if (x, y) in done]
    if len(amounts) < 2:
        return None
    text = fmt_value(amounts[0]).replace("-", "\u2212")
    for a in amounts[1:]:
        text += ("+" + fmt_value(a)) if a >= 0 else ("\u2212" + fmt_value(-a))
    return text


def _route_caption(r, f):
    x, y = f.out
    if r.mode == "mean":
        kH, kW = r.size
        return (
            f"\u03b4[{x}, {y}] = {fmt_value(f.delta)}:  {fmt_value(f.delta)} / {kH * kW} = "
            f"{fmt_value(f.delta * f.share)} to each pixel of the window"
        )
    if len(f.tied) > 1:
        cells = ", ".join(f"({a}, {b})" for a, b in f.tied)
        return (
            f"\u03b4[{x}, {y}] = {fmt_value(f.delta)}:  max {fmt_value(f.values.max())} tied at "
            f"{cells};  the first, ({f.winner[0]}, {f.winner[1]}), takes it"
        )
    return (
        f"\u03b4[{x}, {y}] = {fmt_value(f.delta)}  \u2192  the max, {fmt_value(f.values.max())} "
        f"at ({f.winner[0]}, {f.winner[1]})"
    )


def _draw_input_window(
    ax, r, f, origin=(0, 0), fontsize=None, small=8, index=False
):
    """The input with the window (purple), the winner (strong blue), the ties
    (dashed), and what each cell receives written small in red."""
    kH, kW = r.size
    strong = np.zeros(r.o_prev.shape, bool)
    if f.winner is not None:
        strong[f.winner] = True
    draw_array(
        ax,
        r.o_prev,
        "o",
        origin=origin,
        shade=strong,
        fontsize=fontsize,
        index=index,
    )
    x0, y0 = origin
    for a, b in f.tied:
        if (a, b) != f.winner:
            ax.add_patch(
                Rectangle(
                    (y0 + b + 0.1, x0 + a + 0.1),
                    0.8,
                    0.8,
                    fill=False,
                    edgecolor=role_colour("o"),
                    linestyle="--",
                    lw=1.2,
                    zorder=6,
                )
            )
            ax.text(
                y0 + b + 0.5,
                x0 + a + 0.88,
                "tie",
                ha="center",
                va="bottom",
                fontsize=small,
                color=role_colour("o"),
                zorder=6,
            )
    draw_window(
        ax, f.cells[0, 0, 0], f.cells[0, 0, 1], kH, kW, "delta", origin=origin
    )
    for p in range(kH):
        for q in range(kW):
            if (
                r.mode == "mean"
                or (int(f.cells[p, q, 0]), int(f.cells[p, q, 1])) == f.winner
            ):
                a, b = f.cells[p, q]
                v = f.routed[p, q]
                text = (
                    ("+" + fmt_value(v))
                    if v >= 0
                    else ("\u2212" + fmt_value(-v))
                )
                ax.text(
                    y0 + b + 0.97,
                    x0 + a + 0.97,
                    text,
                    ha="right",
                    va="bottom",
                    fontsize=small,
                    color=role_colour("grad"),
                    fontweight="bold",
                    zorder=7,
                    bbox=dict(
                        boxstyle="square,pad=0.08",
                        facecolor="white",
                        edgecolor="none",
                        alpha=0.9,
                    ),
                )


def _draw_grad(
    ax, r, k, origin=(0, 0), fontsize=None, small=7, title=None, index=False
):
    """The running gradient after frame k; cells just updated in strong red,
    cells fed by several windows with their contributions written small."""
    f = r.frames[k]
    kH, kW = r.size
    got = np.zeros(r.o_prev.shape, bool)
    for p in range(kH):
        for q in range(kW):
            if (
                r.mode == "mean"
                or (int(f.cells[p, q, 0]), int(f.cells[p, q, 1])) == f.winner
            ):
                got[tuple(f.cells[p, q])] = True
    draw_array(
        ax,
        f.grad,
        "grad",
        origin=origin,
        shade=got,
        fontsize=fontsize,
        title=title,
        index=index,
    )
    x0, y0 = origin
    H, W = r.o_prev.shape
    for row in range(H):
        for col in range(W):
            text = _contribution_text(r, k, row, col)
            if text is not None:
                ax.text(
                    y0 + col + 0.5,
                    x0 + row + 0.97,
                    text,
                    ha="center",
                    va="bottom",
                    fontsize=small,
                    color="white" if got[row, col] else role_colour("grad"),
                    zorder=6,
                )


def _draw_route(axes, r, k):
    f = r.frames[k]
    ax_i, ax_d, ax_g, ax_t = axes
    H, W = r.o_prev.shape
    Ho, Wo = r.delta.shape
    _draw_input_window(ax_i, r, f, index=True)
    ax_i.text(W / 2, -0.55, "$o^{l-1}$", ha="center", va="bottom", fontsize=12)
    cur = np.zeros(r.delta.shape, bool)
    cur[f.out] = True
    draw_array(
        ax_d, r.delta, "delta", shade=cur, title="$\\delta^l$", index=True
    )
    draw_window(ax_d, f.out[0], f.out[1], 1, 1, "delta")
    _draw_grad(
        ax_g, r, k, title="$\\partial E / \\partial o^{l-1}$ so far", index=True
    )
    height = max(H, Ho)
    for ax, width in ((ax_i, W), (ax_d, max(Wo, 2)), (ax_g, W)):
        ax.set_xlim(-0.6, width + 0.1)
        ax.set_ylim(height + 0.1, -1.3)
    caption_strip(ax_t, _route_caption(r, f), role_colour("delta"))


def _route_panel(r, ax, k):
    H, W = r.o_prev.shape
    gap = 1.2
    f = r.frames[k]
    _draw_input_window(ax, r, f, fontsize=10, small=7)
    ax.annotate(
        "",
        xy=(W + gap - 0.1, H / 2),
        xytext=(W + 0.1, H / 2),
        arrowprops=dict(arrowstyle="-|>", color=role_colour("grad"), lw=1.5),
    )
    _draw_grad(ax, r, k, origin=(0, W + gap), fontsize=10, small=6.5)
    x, y = f.out
    if r.mode == "mean":
        where = f"{fmt_value(f.delta * f.share)} each"
    else:
        where = f"({f.winner[0]}, {f.winner[1]})" + (
            " (tie)" if len(f.tied) > 1 else ""
        )
    ax.set_title(
        f"\u03b4[{x}, {y}] = {fmt_value(f.delta)} \u2192 {where}",
        fontsize=10,
        color=role_colour("delta"),
    )
    ax.set_xlim(-0.1, 2 * W + gap + 0.1)
    ax.set_ylim(H + 0.1, -0.2)


# --------------------------------------------------------------------------
# Receptive field: a one-hot delta sent backwards through a stack of layers
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceptiveField(Picture):
    """The receptive field of one output pixel, layer by layer.

    Maps are numbered from the input (0) to the output (``len(layers)``).

    Attributes
    ----------
    layers : tuple of (str, (int, int), (int, int))
        ``(kind, (kH, kW), (sH, sW))`` per layer, ``kind`` 'conv' or 'pool'.
    shapes : tuple of (int, int)
        The shape of every map, input first.
    pixel : (int, int)
        The output pixel.
    names : sequence of str, optional
        A title per map for the picture, input first (default ``o^0``,
        ``o^1``, ...).
    grads : tuple of ndarray
        ``grads[l]``, shape ``shapes[l]``: :math:`\\partial E / \\partial o^l`
        for a one-hot delta at ``pixel`` of the output, with every kernel
        entry 1 and mean pooling.
    masks : tuple of ndarray of bool
        ``grads[l] != 0``: the pixels of map ``l`` the output pixel sees.
    boxes : tuple of (int, int, int, int)
        ``(top, bottom, left, right)`` of each mask, inclusive.
    sizes : tuple of (int, int)
        Height and width of each box: the receptive field's size in map ``l``.
    """

    layers: tuple
    shapes: tuple
    pixel: tuple
    grads: tuple
    masks: tuple
    boxes: tuple
    sizes: tuple
    names: tuple | None = None

    frames = property(lambda self: (self,))

    def cost(self):
        return 1, sum(H * W for H, W in self.shapes)

    def overview(self):
        """The output map with the one-hot delta (purple), then every map below
        it with :math:`\\partial E / \\partial o` written in the field's cells
        (strong red; empty cells are 0), the field's box outlined, and the
        layer that leads to it named between the panels."""
        return _draw_receptive_field(self)


def _parse_layers(layers):
    if isinstance(layers, (str, bytes)) or not hasattr(layers, "__iter__"):
        raise TypeError(
            f"layers must be a sequence of ('conv' | 'pool', size[, stride]), got {layers!r}"
        )
    parsed = []
    for j, layer in enumerate(layers):
        if not isinstance(layer, (tuple, list)) or len(layer) not in (2, 3):
            raise ValueError(
                f"layers[{j}] must be ('conv' | 'pool', size[, stride]), got {layer!r}"
            )
        kind = check_flag(layer[0], f"layers[{j}][0]", ("conv", "pool"))
        k = pair(layer[1], f"layers[{j}] size", 1)
        if len(layer) == 3:
            s = pair(layer[2], f"layers[{j}] stride", 1)
        else:
            s = (1, 1) if kind == "conv" else k
        parsed.append((kind, k, s))
    if not parsed:
        raise ValueError(
            "layers must hold at least one layer, got an empty sequence"
        )
    return tuple(parsed)


def receptive_field(input_shape, layers, pixel, *, names=None):
    r"""The input pixels one output pixel depends on, by a backward pass.

    A one-hot delta at ``pixel`` of the last map is sent backwards through
    every layer: a convolution (all kernel entries 1, no padding) adds each
    pixel's value to every pixel of its window, a mean pooling adds
    :math:`1 / (k_H k_W)` of it. The nonzero pixels of each map are the
    receptive field there. (With real kernels and max pooling the values
    change, and max pooling sends a delta to one pixel only; which pixels
    *can* influence the output is still this field.)

    Parameters
    ----------
    input_shape : (int, int)
        ``(H, W)`` of the input map.
    layers : sequence of tuple
        ``('conv', size)`` or ``('conv', size, stride)`` (stride defaults to
        1), ``('pool', size)`` or ``('pool', size, stride)`` (stride defaults
        to the size); sizes and strides are ints or pairs.
    pixel : (int, int)
        The output pixel.

    Returns
    -------
    ReceptiveField

    Examples
    --------
    >>> rf = receptive_field((8, 8), [("conv", 3), ("conv", 3), ("pool", 2)], (1, 1))
    >>> rf.shapes
    ((8, 8), (6, 6), (4, 4), (2, 2))
    >>> rf.sizes
    ((6, 6), (4, 4), (2, 2), (1, 1))
    >>> rf.boxes[0]
    (2, 7, 2, 7)
    """
    if not isinstance(input_shape, (tuple, list)):
        raise TypeError(
            f"input_shape must be a pair of ints (H, W), got {input_shape!r}"
        )
    shape = pair(tuple(input_shape), "input_shape", 1)
    layers = _parse_layers(layers)
    shapes = [shape]
    for j, (_kind, (kH, kW), (sH, sW)) in enumerate(layers):
        H, W = shapes[-1]
        if kH > H or kW > W:
            raise ValueError(
                f"layers[{j}]: the window {(kH, kW)} is larger than its input map {(H, W)}"
            )
        shapes.append(conv_output_shape(H, W, kH, kW, stride=(sH, sW)))
    check_size(1, sum(H * W for H, W in shapes), "this receptive_field")
    pixel = _check_pixel(pixel, shapes[-1])
    grads = [None] * len(shapes)
    g = np.zeros(shapes[-1])
    g[pixel] = 1.0
    grads[-1] = g
    for j in range(len(layers) - 1, -1, -1):
        kind, (kH, kW), (sH, sW) = layers[j]
        below = np.zeros(shapes[j])
        weight = 1.0 if kind == "conv" else 1.0 / (kH * kW)
        # the scatter view: every window adds its delta to the cells it reads
        cells = windows(shapes[j], (kH, kW), (sH, sW))
        sent = np.broadcast_to(
            grads[j + 1][:, :, None, None] * weight, cells.shape[:-1]
        )
        np.add.at(below, (cells[..., 0], cells[..., 1]), sent)
        grads[j] = below
    masks = tuple(gr != 0 for gr in grads)
    boxes, sizes = [], []
    for mk in masks:
        rows, cols = (
            np.nonzero(mk.any(axis=1))[0],
            np.nonzero(mk.any(axis=0))[0],
        )
        boxes.append((int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])))
        sizes.append((int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)))
    L = len(layers)
    names = [f"$o^{{{j}}}$" for j in range(L + 1)] if names is None else names
    names = tuple(names)
    if len(names) != L + 1:
        raise ValueError(
            f"names must hold one title per map, {L + 1}, got {len(names)}"
        )
    return ReceptiveField(
        layers,
        tuple(shapes),
        pixel,
        tuple(grads),
        masks,
        tuple(boxes),
        tuple(sizes),
        names,
    )


def _draw_receptive_field(rf):
    """One panel per map, from the output pixel back to the input."""
    L, names = len(rf.layers), rf.names
    order = list(range(L, -1, -1))  # the output first, the input last
    widths = [rf.shapes[j][1] for j in order]
    height = max(s[0] for s in rf.shapes)
    cell = 0.42
    gap = 2.2
    fig = plt.figure(
        figsize=(cell * (sum(widths) + gap * L + 1), cell * (height + 3.2)),
        dpi=DPI,
    )
    ax = fig.add_axes((0, 0, 1, 1))
    col = 0.0
    for idx, j in enumerate(order):
        H, W = rf.shapes[j]
        top = (height - H) / 2
        values = np.where(rf.masks[j], rf.grads[j], np.nan)
        role = "delta" if j == L else "grad"
        draw_array(
            ax,
            values,
            role,
            origin=(top, col),
            shade=rf.masks[j],
            fontsize=9 if max(H, W) > 6 else 10,
        )
        t, b, lft, rgt = rf.boxes[j]
        draw_window(
            ax,
            top + t,
            col + lft,
            b - t + 1,
            rgt - lft + 1,
            role,
            origin=(0, 0),
            lw=2.5,
        )
        rH, rW = rf.sizes[j]
        ax.text(
            col + W / 2,
            top - 0.3,
            f"{names[j]}  ({H}\u00d7{W})",
            ha="center",
            va="bottom",
            fontsize=11,
        )
        ax.text(
            col + W / 2,
            top + H + 0.3,
            f"field {rH}\u00d7{rW}",
            ha="center",
            va="top",
            fontsize=11,
            color=role_colour(role),
        )
        if idx < L:
            kind, (kH, kW), (sH, sW) = rf.layers[j - 1]
            stride = f"{sH}" if sH == sW else f"({sH}, {sW})"
            label = f"{kind} {kH}\u00d7{kW}\nstride {stride}"
            mid = col + W + gap / 2
            ax.annotate(
                "",
                xy=(col + W + gap - 0.2, height / 2),
                xytext=(col + W + 0.2, height / 2),
                arrowprops=dict(
                    arrowstyle="-|>", color=role_colour("grad"), lw=2
                ),
            )
            ax.text(
                mid,
                height / 2 - 0.3,
                label,
                ha="center",
                va="bottom",
                fontsize=9,
            )
        col += W + gap
    ax.set_xlim(-0.4, col - gap + 0.4)
    ax.set_ylim(height + 1.6, -1.6)
    return fig
