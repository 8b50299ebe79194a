r"""Pictures of the backward pass: the weight update and the deltas.

Each data function returns a :class:`cnnlit.plot.Picture` whose numbers come
from the window engine of :func:`cnnlit.plot.slide` (never from the package
function a chapter checks them against); :func:`cnnlit.plot.show`,
:func:`cnnlit.plot.animate` and :func:`cnnlit.plot.multiples` draw it.

- :func:`weight_update`: the deltas :math:`\delta_m` laid over the layer's
  input :math:`o_n` at each kernel offset, one frame per kernel entry; each
  frame's sum of products is one entry of the valid correlation
  :math:`o_n \star \delta_m`, and that entry is :math:`\partial E/\partial w`
  at the rotated position (convolution) or at the same one (correlation).
  :func:`bias_gradient` is the sum of the deltas, :math:`\partial E/\partial b`.
- :func:`delta_backprop`: the deltas of a layer padded with :math:`N_w - 1`
  zeros (and, for a stride, spread out with zeros between them) and the
  kernel sliding over them, one frame per pixel of :math:`\partial E/\partial
  o`; the pixels whose window reaches into the padding are marked; times
  :math:`a'(c)` this gives the deltas of the layer below.
- :func:`fan_in`: for one pixel of :math:`\partial E/\partial o`, which
  deltas and which kernel taps reach it, read off the forward sum.

The first two build on :func:`cnnlit.plot.slide`. Derived in
:ref:`weight-update` and :ref:`deltas`.
"""

from dataclasses import dataclass, replace

import numpy as np
from matplotlib import pyplot as plt
from matplotlib.patches import ConnectionPatch, FancyArrowPatch, Rectangle

from .._checks import BOUNDARIES, CONVENTIONS, check_flag, pair
from ._core import DPI, Picture, as_map
from ._style import (
    caption_strip,
    draw_array,
    draw_window,
    fmt_value,
    hatch,
    panels_over_strip,
    role_colour,
    signed,
    sum_caption,
)
from .sliding import Slide, slide

__all__ = ["weight_update", "bias_gradient", "delta_backprop", "fan_in"]


# --------------------------------------------------------------------------
# shared helpers


def _shape2(value, name):
    """A pair of positive ints (an array shape), or a clear error."""
    if (
        not isinstance(value, (tuple, list))
        or len(value) != 2
        or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool)
            for v in value
        )
        or min(value) < 1
    ):
        raise TypeError(
            f"{name} must be a pair of positive ints, got {value!r}"
        )
    return int(value[0]), int(value[1])


def _tag(ax, x, y, text, colour, origin=(0, 0), fontsize=8):
    """A small label in the top-left corner of cell (x, y)."""
    x0, y0 = origin
    ax.text(
        y0 + y + 0.07,
        x0 + x + 0.07,
        text,
        ha="left",
        va="top",
        fontsize=fontsize,
        color=colour,
        fontweight="bold",
        zorder=6,
    )


def _right_index(ax, H, W, title, fontsize=12):
    """Column indices on top, row indices on the right, and a title.

    (The row indices go right so that an arrow can come in from the left.)
    """
    _right_index_at(ax, H, W, title, 0, fontsize)


def _right_index_at(ax, H, W, title, y0, fontsize=12):
    for x in range(H):
        ax.text(
            y0 + W + 0.15,
            x + 0.5,
            str(x),
            ha="left",
            va="center",
            fontsize=fontsize - 3,
            color="0.4",
        )
    for y in range(W):
        ax.text(
            y0 + y + 0.5,
            -0.1,
            str(y),
            ha="center",
            va="bottom",
            fontsize=fontsize - 3,
            color="0.4",
        )
    ax.text(
        y0 + W / 2, -0.55, title, ha="center", va="bottom", fontsize=fontsize
    )


def _arrow_between(ax_a, ax_b, xy_a, xy_b, label):
    """A red arrow from a point of ``ax_a`` to one of ``ax_b`` (data
    coordinates, (column, row)), labelled in the gap between the axes."""
    colour = role_colour("grad")
    ax_b.add_artist(
        ConnectionPatch(
            xyA=(xy_a[0] + 0.05, xy_a[1]),
            coordsA="data",
            axesA=ax_a,
            xyB=(xy_b[0] - 0.05, xy_b[1]),
            coordsB="data",
            axesB=ax_b,
            arrowstyle="-|>",
            mutation_scale=14,
            color=colour,
            lw=2,
            zorder=7,
        )
    )
    for ax in (ax_a, ax_b):
        ax.apply_aspect()
    # the gap's middle, in figure fractions (which do not depend on the dpi)
    to_fig = ax_b.figure.transFigure.inverted()
    right = to_fig.transform(ax_a.transData.transform((xy_a[0], 0)))[0]
    left, top = to_fig.transform(ax_b.transData.transform((xy_b[0], -0.2)))
    ax_b.text(
        0.5 * (left + right),
        top,
        label,
        ha="center",
        va="bottom",
        fontsize=10,
        color=colour,
        transform=ax_b.figure.transFigure,
        clip_on=False,
    )


def _limits(ax, H, W, top=1.3, left=0.6):
    ax.set_xlim(-left, W + 0.1)
    ax.set_ylim(H + 0.1, -top)


# --------------------------------------------------------------------------
# the weight update


@dataclass(frozen=True)
class WeightUpdate(Picture):
    r"""The frames of the weight update of one connection n -> m.

    Attributes
    ----------
    slide : Slide
        The deltas laid over the (padded) input: ``slide.grid`` is ``o_prev``
        with the layer's padding, ``slide.kernel`` is ``delta`` (laid as it
        is: a correlation), its taps ``stride`` apart; one frame per kernel
        entry, row by row over the window offsets ``(x', y')``.
    o_prev : ndarray, shape (H, W)
        The layer's input :math:`o^{l-1}_n`.
    delta : ndarray, shape (H_out, W_out)
        The deltas :math:`\delta^l_m`.
    corr : ndarray, shape (kH, kW)
        The correlation :math:`o \star \delta`: ``corr[x', y']`` is the sum of
        the frame at offset ``(x', y')``.
    targets : tuple of (int, int)
        For each frame, the entry of :math:`\partial E/\partial w` its sum is:
        ``(kH - 1 - x', kW - 1 - y')`` for a convolution, ``(x', y')`` for a
        correlation.
    dE_dw : ndarray, shape (kH, kW)
        ``dE_dw[targets[k]] = slide.frames[k].total``: ``rot180(corr)`` for a
        convolution, ``corr`` for a correlation.
    convention, boundary : str
    stride, dilation, padding : (int, int)
        The forward layer's geometry.
    names : (str, str, str, str)
        Symbols of input, deltas, correlation and gradient in the drawings.
    """

    slide: Slide
    o_prev: np.ndarray
    delta: np.ndarray
    corr: np.ndarray
    targets: tuple
    dE_dw: np.ndarray
    convention: str
    boundary: str
    stride: tuple
    dilation: tuple
    padding: tuple
    names: tuple

    frames = property(lambda self: self.slide.frames)

    def cost(self):
        return self.slide.cost()

    def layout(self):
        return _wu_layout(self)

    def draw(self, axes, k):
        """The deltas laid on the input at kernel offset ``k``; the
        correlation and :math:`\\partial E/\\partial w` filled so far."""
        _wu_draw(axes, self, k)

    panel_size = property(
        lambda self: (
            (0.5 * self.slide.grid.shape[1] + 0.8,)
            + (0.5 * self.slide.grid.shape[0] + 1.3,)
        )
    )

    def panel(self, ax, k):
        """The input with the deltas' window at one offset, titled with its
        sum and the entry of :math:`\\partial E/\\partial w` it is."""
        _wu_panel(self, ax, len(self.frames) - 1 if k is None else k)

    def overview(self):
        """The correlation and :math:`\\partial E/\\partial w` side by side,
        each cell numbered by its frame, arrows from one to the other."""
        return _weight_map(self)


_WU_NAMES = (
    "$o^{l-1}$",
    "$\\delta^l$",
    "$o^{l-1} \\star \\delta^l$",
    "$\\partial E/\\partial w^l$",
)


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
    names=_WU_NAMES,
):
    r"""The deltas laid over the input at each kernel offset, with loops.

    For one input unit n and one output unit m of a layer,

    .. math:: (o \star \delta)(x', y') = \sum_{x, y} o(x' + x, y' + y)\,
              \delta(x, y)

    is the sum of the products of the frame at offset ``(x', y')``, and
    :math:`\partial E/\partial w = \operatorname{rot}_{180}(o \star \delta)`
    for the source post's convolution (no rotation for a correlation). With a
    stride s the deltas' taps sit s pixels apart on the input (the deltas
    dilated by s - 1 zeros); with a dilation d the window moves d pixels per
    kernel entry.

    Parameters
    ----------
    o_prev : array_like, shape (H, W)
        The layer's input, one unit ``o_prev[n]``.
    delta : array_like, shape (H_out, W_out)
        The deltas of one unit ``delta[m]``, shaped like the layer's output.
    kernel_shape : (int, int), optional
        ``(kH, kW)``. Default: the largest kernel that gives ``delta``'s shape
        (the only one when stride is 1).
    convention : {'convolution', 'correlation'}
        The forward pass's convention.
    stride, padding, dilation : int or (int, int)
        The forward layer's geometry.
    boundary : {'fill', 'wrap', 'symm'}
        What the forward pass's padding holds.
    names : (str, str, str, str)
        Symbols of input, deltas, correlation and gradient for the drawings.

    Returns
    -------
    WeightUpdate
        ``.dE_dw`` equals ``conv_backward(delta[None], o_prev[None],
        w[None, None], ...)[0][0, 0]`` for any ``w`` of ``kernel_shape``.

    Examples
    --------
    >>> wu = weight_update(np.arange(9.0).reshape(3, 3), [[1, -1], [2, 0]])
    >>> wu.corr
    array([[ 5.,  7.],
           [11., 13.]])
    >>> wu.targets
    ((1, 1), (1, 0), (0, 1), (0, 0))
    >>> wu.dE_dw
    array([[13., 11.],
           [ 7.,  5.]])
    """
    o = as_map(o_prev, "o_prev")
    d = as_map(delta, "delta")
    check_flag(convention, "convention", CONVENTIONS)
    check_flag(boundary, "boundary", BOUNDARIES)
    sH, sW = pair(stride, "stride", 1)
    dH, dW = pair(dilation, "dilation", 1)
    ph, pw = pair(padding, "padding", 0)
    Hp, Wp = o.shape[0] + 2 * ph, o.shape[1] + 2 * pw
    Ho, Wo = d.shape
    if kernel_shape is None:
        kH = (Hp - sH * (Ho - 1) - 1) // dH + 1
        kW = (Wp - sW * (Wo - 1) - 1) // dW + 1
        if kH < 1 or kW < 1:
            raise ValueError(
                f"delta {d.shape} is too large for o_prev {o.shape} with "
                f"stride {(sH, sW)} and padding {(ph, pw)}"
            )
    else:
        kH, kW = _shape2(kernel_shape, "kernel_shape")
    spanH, spanW = dH * (kH - 1) + 1, dW * (kW - 1) + 1
    if spanH > Hp or spanW > Wp:
        raise ValueError(
            f"kernel_shape {(kH, kW)} (dilation {(dH, dW)}) spans "
            f"{(spanH, spanW)} cells, more than the padded input {(Hp, Wp)}"
        )
    expected = ((Hp - spanH) // sH + 1, (Wp - spanW) // sW + 1)
    if d.shape != expected:
        raise ValueError(
            f"delta must have the shape of the layer's output, {expected} for "
            f"o_prev {o.shape}, kernel {(kH, kW)}, stride {(sH, sW)}, padding "
            f"{(ph, pw)}, dilation {(dH, dW)}; got shape {d.shape}"
        )
    # The deltas are the window (laid as they are), their taps a stride
    # apart; the window moves by the dilation from one kernel entry to the
    # next. Offsets past the kernel's size are never used by the forward pass.
    s = slide(
        o,
        d,
        convention="correlation",
        padding=(ph, pw),
        boundary=boundary,
        stride=(dH, dW),
        dilation=(sH, sW),
        roles=("o", "delta", "grad"),
        names=names[:3],
    )
    frames = tuple(f for f in s.frames if f.out[0] < kH and f.out[1] < kW)
    corr = s.output[:kH, :kW].copy()
    s = replace(s, frames=frames, output=corr.copy())
    if convention == "convolution":
        targets = tuple((kH - 1 - f.out[0], kW - 1 - f.out[1]) for f in frames)
    else:
        targets = tuple(f.out for f in frames)
    dE_dw = np.zeros((kH, kW))
    for f, t in zip(frames, targets, strict=True):
        dE_dw[t] = f.total
    return WeightUpdate(
        s,
        o,
        d,
        corr,
        targets,
        dE_dw,
        convention,
        boundary,
        (sH, sW),
        (dH, dW),
        (ph, pw),
        tuple(names),
    )


def _wu_layout(wu):
    g, d = wu.slide.grid, wu.delta
    kH, kW = wu.corr.shape
    widths = [g.shape[1], max(d.shape[1], 2), max(kW, 2), max(kW, 2)]
    height = max(g.shape[0], d.shape[0], kH)
    return panels_over_strip(
        widths, height, extra=6, min_width=7.0, title_rows=1.6, wspace=0.45
    )


def _so_far(shape, cells, values):
    shown = np.full(shape, np.nan)
    for c, v in zip(cells, values, strict=True):
        shown[c] = v
    return shown


def _wu_draw(axes, wu, k):
    s = wu.slide
    f = s.frames[k]
    t = wu.targets[k]
    on, dn, cn, gn = wu.names
    ax_o, ax_d, ax_c, ax_w, ax_t = axes
    kH, kW = wu.corr.shape
    height = max(s.grid.shape[0], wu.delta.shape[0], kH)
    dense = wu.stride == (1, 1)
    draw_array(
        ax_o,
        s.grid,
        "o",
        padding=s.padding_mask,
        index=True,
        title=on + (" (padded)" if s.padding_mask.any() else ""),
    )
    dh, dw = wu.delta.shape
    draw_window(
        ax_o,
        f.cells[0, 0, 0],
        f.cells[0, 0, 1],
        dh,
        dw,
        "delta",
        weights=f.weights,
        cells=None if dense else f.cells,
    )
    draw_array(ax_d, wu.delta, "delta", index=True, title=dn)
    done = [fr.out for fr in s.frames[: k + 1]]
    totals = [fr.total for fr in s.frames[: k + 1]]
    now = np.zeros((kH, kW), bool)
    now[f.out] = True
    draw_array(
        ax_c,
        _so_far((kH, kW), done, totals),
        "grad",
        index=True,
        title=cn,
        shade=now,
    )
    now_w = np.zeros((kH, kW), bool)
    now_w[t] = True
    draw_array(
        ax_w,
        _so_far((kH, kW), wu.targets[: k + 1], totals),
        "grad",
        shade=now_w,
    )
    _right_index(ax_w, kH, kW, gn)
    for ax, (_H, W) in (
        (ax_o, s.grid.shape),
        (ax_d, wu.delta.shape),
        (ax_c, (kH, kW)),
    ):
        _limits(ax, height, max(W, 2))
    _limits(ax_w, height, max(kW, 2) + 0.5, left=0.1)
    _arrow_between(
        ax_c,
        ax_w,
        (kW, f.out[0] + 0.5),
        (0, t[0] + 0.5),
        "rot180" if wu.convention == "convolution" else "as it is",
    )
    text = (
        f"{sum_caption(f.values, f.weights, f.total)}   \u2192   "
        f"{cn}[{f.out[0]}, {f.out[1]}] = {gn}[{t[0]}, {t[1]}]"
    )
    caption_strip(ax_t, text, role_colour("grad"))


def _wu_panel(wu, ax, k):
    s = wu.slide
    dh, dw = wu.delta.shape
    cn, gn = wu.names[2], wu.names[3]
    f, t = s.frames[k], wu.targets[k]
    draw_array(
        ax,
        s.grid,
        "o",
        padding=s.padding_mask,
        title=f"{cn}[{f.out[0]}, {f.out[1]}] = {fmt_value(f.total)}"
        f"\n= {gn}[{t[0]}, {t[1]}]",
    )
    draw_window(
        ax,
        f.cells[0, 0, 0],
        f.cells[0, 0, 1],
        dh,
        dw,
        "delta",
        weights=f.weights,
        cells=None if wu.stride == (1, 1) else f.cells,
    )
    ax.set_ylim(s.grid.shape[0] + 0.1, -1.5)


def _weight_map(wu):
    """Each cell of :math:`o \\star \\delta` carries the number of its frame
    (top left) and an arrow to the entry of :math:`\\partial E/\\partial w`
    it becomes: rot180 for a convolution, the same place for a correlation."""
    kH, kW = wu.corr.shape
    gap = 2.2
    colour = role_colour("grad")
    fig, ax = plt.subplots(
        figsize=(0.6 * (2 * kW + gap) + 1.2, 0.6 * kH + 1.0), dpi=DPI
    )
    draw_array(ax, wu.corr, "grad", title=wu.names[2], index=True)
    right = kW + gap
    draw_array(ax, wu.dE_dw, "grad", origin=(0, right))
    _right_index_at(ax, kH, kW, wu.names[3], right)
    for k, (f, t) in enumerate(zip(wu.slide.frames, wu.targets, strict=True)):
        _tag(ax, *f.out, str(k + 1), colour)
        _tag(ax, *t, str(k + 1), colour, origin=(0, right))
        # from low in the source cell to low in the target cell, clear of
        # the numbers (centred) and the tags (top left)
        ax.add_patch(
            FancyArrowPatch(
                (f.out[1] + 0.85, f.out[0] + 0.82),
                (right + t[1] + 0.2, t[0] + 0.82),
                arrowstyle="-|>",
                mutation_scale=10,
                color=colour,
                lw=1,
                alpha=0.75,
                zorder=7,
                connectionstyle="arc3,rad=0.12",
            )
        )
    rot = "rot180" if wu.convention == "convolution" else "as it is"
    ax.text(
        kW + gap / 2,
        -0.35,
        rot,
        ha="center",
        va="bottom",
        fontsize=10,
        color=colour,
    )
    ax.set_xlim(-0.6, right + kW + 0.6)
    ax.set_ylim(kH + 0.1, -1.3)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------
# the bias


@dataclass(frozen=True)
class BiasGradient(Picture):
    r"""The bias gradient of one unit: every delta times 1, summed.

    Attributes
    ----------
    delta : ndarray, shape (H_out, W_out)
        The deltas :math:`\delta_m`.
    total : float
        :math:`\partial E/\partial b_m = \sum_{x,y} \delta_m(x, y)`.
    names : (str, str)
        Symbols of the deltas and the gradient.
    """

    delta: np.ndarray
    total: float
    names: tuple

    frames = property(lambda self: (self,))

    def overview(self):
        """The deltas (purple), all of them summed into the bias gradient."""
        return _draw_bias_gradient(self)


def bias_gradient(
    delta, *, names=("$\\delta^l$", "$\\partial E/\\partial b^l$")
):
    r"""The sum of one unit's deltas, the gradient of its bias (a loop).

    Parameters
    ----------
    delta : array_like, shape (H_out, W_out)
        One unit's deltas ``delta[m]``.
    names : (str, str)
        Symbols of the deltas and the gradient for the drawing.

    Returns
    -------
    BiasGradient
        ``.total`` equals ``conv_backward(...)[1][m]``.

    Examples
    --------
    >>> bias_gradient([[1, -1], [2, 0]]).total
    2.0
    """
    d = as_map(delta, "delta")
    return BiasGradient(d, float(d.sum()), tuple(names))


def _draw_bias_gradient(bg):
    H, W = bg.delta.shape
    fig, ax = plt.subplots(
        figsize=(0.6 * (W + 4.5) + 0.6, 0.6 * H + 1.2), dpi=DPI
    )
    draw_array(ax, bg.delta, "delta", index=True, title=bg.names[0])
    draw_window(ax, 0, 0, H, W, "delta", lw=2)
    x_mid = H / 2 - 0.5
    colour = role_colour("grad")
    ax.add_patch(
        FancyArrowPatch(
            (W + 0.2, H / 2),
            (W + 2.2, H / 2),
            arrowstyle="-|>",
            mutation_scale=14,
            color=colour,
            lw=1.5,
        )
    )
    ax.text(
        W + 1.2,
        H / 2 - 0.15,
        "sum",
        ha="center",
        va="bottom",
        fontsize=10,
        color=colour,
    )
    draw_array(
        ax,
        [[bg.total]],
        "grad",
        origin=(x_mid, W + 2.4),
        title=bg.names[1],
        shade=[[True]],
    )
    terms = " + ".join(signed(v) for v in bg.delta.ravel())
    if bg.delta.size > 12:
        terms = f"sum of {bg.delta.size} deltas"
    ax.text(
        (W + 3.4) / 2,
        H + 0.35,
        f"{terms} = {fmt_value(bg.total)}",
        ha="center",
        va="top",
        fontsize=11,
        color=colour,
    )
    ax.set_xlim(-0.6, W + 3.6)
    ax.set_ylim(H + 1.1, -1.0)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------
# the deltas


@dataclass(frozen=True)
class DeltaBackprop(Picture):
    r"""The frames of the backpropagated error of one connection m -> r.

    Attributes
    ----------
    slide : Slide
        The kernel over the deltas: ``slide.grid`` is ``delta`` (spread out
        by the stride) with ``span - 1`` cells of zeros on every side
        (``span = dilation * (k - 1) + 1``, that is :math:`N_w - 1` when
        dense), and at the bottom and right as many more as the input has
        rows and columns no window reached; ``slide.padding_mask`` marks every
        cell that is not a delta. One frame per pixel of the input, row by
        row; the kernel is laid as it is for a convolution forward pass (a
        full correlation), rotated for a correlation (a full convolution).
    delta : ndarray, shape (H_out, W_out)
        The deltas of the layer above, :math:`\delta^{l+1}_r`.
    w : ndarray, shape (kH, kW)
        The kernel ``w[r, m]``.
    dilated : ndarray, shape (s (H_out - 1) + 1, s (W_out - 1) + 1)
        ``delta`` with ``s - 1`` zeros between neighbours (``delta`` for s=1).
    inserted : ndarray of bool, shape like ``slide.grid``
        The zeros put between the deltas (stride > 1).
    padding : ndarray of bool, shape like ``slide.grid``
        The zeros put around them.
    border : ndarray of bool, shape (H, W)
        The input pixels whose window reaches into ``padding``: exactly the
        pixels a valid correlation of ``dilated`` would leave out.
    dE_do : ndarray, shape (H, W)
        :math:`\partial E/\partial o^l` from this connection:
        ``slide.output``.
    a_prime : ndarray, shape (H, W), or None
        :math:`a'(c^l)`, if given.
    delta_prev : ndarray, shape (H, W), or None
        ``dE_do * a_prime``: the deltas :math:`\delta^l` of the layer below.
    convention : str
    stride, dilation : (int, int)
    names : (str, str, str, str, str)
        Symbols of delta, kernel, dE/do, a'(c) and the new delta.
    """

    slide: Slide
    delta: np.ndarray
    w: np.ndarray
    dilated: np.ndarray
    inserted: np.ndarray
    padding: np.ndarray
    border: np.ndarray
    dE_do: np.ndarray
    a_prime: object
    delta_prev: object
    convention: str
    stride: tuple
    dilation: tuple
    names: tuple

    frames = property(lambda self: self.slide.frames)

    def cost(self):
        return self.slide.cost()

    def layout(self):
        return _bp_layout(self)

    def draw(self, axes, k):
        """The kernel on the padded deltas at input pixel ``k``; the
        gradient filled so far, the border pixels hatched."""
        _bp_draw(axes, self, k)

    panel_size = property(
        lambda self: (
            (0.5 * self.slide.grid.shape[1] + 0.5,)
            + (0.5 * self.slide.grid.shape[0] + 0.9,)
        )
    )

    def panel(self, ax, k):
        """The padded deltas with the kernel's window, titled with the pixel
        it gives; a red frame around the windows inside the deltas."""
        _bp_panel(self, ax, len(self.frames) - 1 if k is None else k)

    def overview(self):
        """:math:`\\partial E/\\partial o` (border hatched), times
        :math:`a'(c)`, gives the deltas of the layer below."""
        return _local_gradient(self)


_DELTA_NAMES = (
    "$\\delta^{l+1}$",
    "$w^{l+1}$",
    "$\\partial E/\\partial o^l$",
    "$a'(c^l)$",
    "$\\delta^l$",
)


def _input_shape(d_shape, k_shape, stride, dilation, shape, name="shape"):
    (Ho, Wo), (kH, kW), (sH, sW), (dH, dW) = d_shape, k_shape, stride, dilation
    spanH, spanW = dH * (kH - 1) + 1, dW * (kW - 1) + 1
    least = (sH * (Ho - 1) + spanH, sW * (Wo - 1) + spanW)
    if shape is None:
        return least
    H, W = _shape2(shape, name)
    if not (least[0] <= H < least[0] + sH and least[1] <= W < least[1] + sW):
        raise ValueError(
            f"{name} must be the input shape that gives delta {tuple(d_shape)}"
            f" with kernel {tuple(k_shape)}, stride {(sH, sW)} and dilation "
            f"{(dH, dW)}: from {least} to "
            f"{(least[0] + sH - 1, least[1] + sW - 1)}; got {(H, W)}"
        )
    return H, W


def delta_backprop(
    delta,
    w,
    *,
    convention="convolution",
    stride=1,
    dilation=1,
    shape=None,
    a_prime=None,
    names=_DELTA_NAMES,
):
    r"""The kernel sliding over the zero-padded deltas, with loops.

    For the source post's convolution forward pass,

    .. math:: \frac{\partial E}{\partial o^l}(x, y) = \sum_{x', y'}
              \delta^{l+1}(x + x', y + y')\, w(x', y')

    with :math:`\delta^{l+1}` padded by :math:`N_w - 1` zeros on every side
    (a full correlation, the kernel laid as it is); for a correlation forward
    pass the kernel is laid rotated (a full convolution). With a stride s the
    deltas are first spread out with s - 1 zeros between neighbours; with a
    dilation the kernel's taps sit that far apart. Times :math:`a'(c^l)` it
    gives :math:`\delta^l`.

    Parameters
    ----------
    delta : array_like, shape (H_out, W_out)
        One unit's deltas ``delta[r]`` of the layer above.
    w : array_like, shape (kH, kW)
        The kernel ``w[r, m]`` of the forward pass.
    convention : {'convolution', 'correlation'}
        The forward pass's convention.
    stride, dilation : int or (int, int)
        The forward layer's geometry (no padding).
    shape : (int, int), optional
        The input's shape ``(H, W)``; with a stride it may exceed the
        smallest input that gives ``delta``'s shape (rows and columns that no
        window reached, whose gradient is 0). Default: that smallest input.
    a_prime : array_like, shape (H, W), optional
        :math:`a'(c^l)`; if given, ``delta_prev = dE_do * a_prime``.
    names : (str, str, str, str, str)
        Symbols of delta, kernel, dE/do, a'(c) and the new delta.

    Returns
    -------
    DeltaBackprop
        ``.dE_do`` equals ``conv_backward(delta[None], o_prev[None],
        w[None, None], ...)[2][0]`` for any ``o_prev`` of ``shape``.

    Examples
    --------
    >>> bp = delta_backprop([[1, -1], [2, 0]], [[1, 2], [3, 4]])
    >>> bp.dE_do
    array([[ 4., -1., -3.],
           [10.,  5., -1.],
           [ 4.,  2.,  0.]])
    >>> bp.border.astype(int)
    array([[1, 1, 1],
           [1, 0, 1],
           [1, 1, 1]])
    """
    d = as_map(delta, "delta")
    k = as_map(w, "w")
    check_flag(convention, "convention", CONVENTIONS)
    sH, sW = pair(stride, "stride", 1)
    dH, dW = pair(dilation, "dilation", 1)
    H, W = _input_shape(d.shape, k.shape, (sH, sW), (dH, dW), shape)
    kH, kW = k.shape
    Ho, Wo = d.shape
    spanH, spanW = dH * (kH - 1) + 1, dW * (kW - 1) + 1
    # the deltas spread out by the stride, and the rows and columns past the
    # last window (reached by no delta) as zeros at the bottom and right
    dilated = np.zeros((sH * (Ho - 1) + 1, sW * (Wo - 1) + 1))
    inserted_small = np.ones(dilated.shape, bool)
    for x in range(Ho):
        for y in range(Wo):
            dilated[sH * x, sW * y] = d[x, y]
            inserted_small[sH * x, sW * y] = False
    eH = H - (sH * (Ho - 1) + spanH)
    eW = W - (sW * (Wo - 1) + spanW)
    image = np.zeros((dilated.shape[0] + eH, dilated.shape[1] + eW))
    image[: dilated.shape[0], : dilated.shape[1]] = dilated
    back = "correlation" if convention == "convolution" else "convolution"
    s = slide(
        image,
        k,
        convention=back,
        padding=(spanH - 1, spanW - 1),
        dilation=(dH, dW),
        roles=("delta", "w", "grad"),
        names=names[:3],
    )
    inserted = np.zeros(s.grid.shape, bool)
    inserted[
        spanH - 1 : spanH - 1 + dilated.shape[0],
        spanW - 1 : spanW - 1 + dilated.shape[1],
    ] = inserted_small
    padding = s.padding_mask.copy()
    padding[spanH - 1 + dilated.shape[0] :, :] = True
    padding[:, spanW - 1 + dilated.shape[1] :] = True
    s = replace(s, padding_mask=padding | inserted)
    border = np.zeros((H, W), bool)
    for f in s.frames:
        border[f.out] = bool(padding[f.cells[..., 0], f.cells[..., 1]].any())
    dE_do = s.output.copy()
    if dE_do.shape != (H, W):  # pragma: no cover - guaranteed by the sizes
        raise AssertionError((dE_do.shape, (H, W)))
    ap = dp = None
    if a_prime is not None:
        ap = as_map(a_prime, "a_prime")
        if ap.shape != (H, W):
            raise ValueError(
                f"a_prime must have the input's shape {(H, W)}, "
                f"got shape {ap.shape}"
            )
        dp = dE_do * ap
    return DeltaBackprop(
        s,
        d,
        k,
        dilated,
        inserted,
        padding,
        border,
        dE_do,
        ap,
        dp,
        convention,
        (sH, sW),
        (dH, dW),
        tuple(names),
    )


def _bp_layout(bp):
    g, k, o = bp.slide.grid, bp.w, bp.dE_do
    widths = [g.shape[1], max(k.shape[1], 2), max(o.shape[1], 2)]
    height = max(g.shape[0], k.shape[0], o.shape[0])
    return panels_over_strip(widths, height, min_width=6.5, wspace=0.3)


def _bp_window(ax, bp, f):
    kH, kW = bp.w.shape
    dense = bp.dilation == (1, 1)
    draw_window(
        ax,
        f.cells[0, 0, 0],
        f.cells[0, 0, 1],
        kH,
        kW,
        "w",
        weights=f.weights,
        cells=None if dense else f.cells,
    )


def _bp_draw(axes, bp, k):
    s = bp.slide
    f = s.frames[k]
    dn, wn, on = bp.names[:3]
    ax_g, ax_k, ax_o, ax_t = axes
    height = max(s.grid.shape[0], bp.w.shape[0], bp.dE_do.shape[0])
    draw_array(
        ax_g,
        s.grid,
        "delta",
        padding=s.padding_mask,
        index=True,
        title=dn + " padded",
    )
    _bp_window(ax_g, bp, f)
    laid = ", laid as it is" if bp.convention == "convolution" else ""
    title = wn + laid if laid else f"rot180({wn}), as laid"
    draw_array(ax_k, s.laid, "w", index=True, title=title)
    done = [fr.out for fr in s.frames[: k + 1]]
    shown = _so_far(
        bp.dE_do.shape, done, [fr.total for fr in s.frames[: k + 1]]
    )
    now = np.zeros(bp.dE_do.shape, bool)
    now[f.out] = True
    seen = np.zeros(bp.dE_do.shape, bool)
    for c in done:
        seen[c] = True
    draw_array(ax_o, shown, "grad", index=True, title=on, shade=now)
    hatch(ax_o, bp.border & seen)
    draw_window(ax_o, f.out[0], f.out[1], 1, 1, "w")
    for ax, (_H, W) in (
        (ax_g, s.grid.shape),
        (ax_k, bp.w.shape),
        (ax_o, bp.dE_do.shape),
    ):
        _limits(ax, height, max(W, 2))
    text = (
        f"{sum_caption(f.values, f.weights, f.total)}   \u2192   "
        f"{on}[{f.out[0]}, {f.out[1]}]"
    )
    if bp.border[f.out]:
        text += "  (window reaches the padding)"
    caption_strip(ax_t, text, role_colour("grad"))


def _bp_panel(bp, ax, k):
    s = bp.slide
    on = bp.names[2]
    f = s.frames[k]
    draw_array(
        ax,
        s.grid,
        "delta",
        padding=s.padding_mask,
        title=f"{on}[{f.out[0]}, {f.out[1]}] = {fmt_value(f.total)}",
    )
    _bp_window(ax, bp, f)
    ax.set_ylim(s.grid.shape[0] + 0.1, -0.9)
    ax.set_xlim(-0.1, s.grid.shape[1] + 0.1)
    if not bp.border[f.out]:
        H, W = s.grid.shape
        ax.add_patch(
            Rectangle(
                (-0.08, -0.08),
                W + 0.16,
                H + 0.16,
                fill=False,
                edgecolor=role_colour("grad"),
                linewidth=2.5,
                zorder=8,
            )
        )


def _local_gradient(bp):
    """Three arrays side by side: the backpropagated error (red, the border
    pixels hatched), the activation's derivative (brown) and their
    elementwise product, the deltas of the layer below (purple)."""
    if bp.a_prime is None:
        raise ValueError("bp has no a_prime: pass a_prime= to delta_backprop")
    H, W = bp.dE_do.shape
    on, an, nn = bp.names[2:]
    fig, ax = plt.subplots(
        figsize=(0.6 * (3 * W + 5) + 0.5, 0.6 * H + 1.2), dpi=DPI
    )
    step = W + 2.5
    draw_array(ax, bp.dE_do, "grad", index=True, title=on)
    hatch(ax, bp.border)
    draw_array(ax, bp.a_prime, "b", origin=(0, step), index=True, title=an)
    draw_array(
        ax, bp.delta_prev, "delta", origin=(0, 2 * step), index=True, title=nn
    )
    for j, sym in ((1, "\u2299"), (2, "=")):
        ax.text(
            j * step - 1.25, H / 2, sym, ha="center", va="center", fontsize=20
        )
    ax.set_xlim(-0.6, 2 * step + W + 0.1)
    ax.set_ylim(H + 0.1, -1.3)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------
# the fan-in of one pixel


@dataclass(frozen=True)
class FanIn(Picture):
    r"""Which deltas and kernel taps reach one pixel of :math:`\partial E/\partial o`.

    Attributes
    ----------
    pixel : (int, int)
        The input pixel ``(x, y)``.
    delta : ndarray, shape (H_out, W_out)
        The deltas of the layer above.
    w : ndarray, shape (kH, kW)
        The kernel.
    shape : (int, int)
        The input's shape ``(H, W)``.
    delta_cells : ndarray of int, shape (n, 2)
        The output pixels whose window read ``o[pixel]``, row by row.
    taps : ndarray of int, shape (n, 2)
        The kernel entry that multiplied ``o[pixel]`` in each of them.
    delta_values, weights, products : ndarray, shape (n,)
        The deltas there, the kernel entries, and their products.
    total : float
        ``products.sum()``: :math:`\partial E/\partial o` at ``pixel``.
    reached : ndarray of bool, shape (H_out, W_out)
        ``delta_cells`` as a map.
    tapped : ndarray of bool, shape (kH, kW)
        ``taps`` as a map.
    convention : str
    stride, dilation : (int, int)
    names : (str, str, str)
        Symbols of delta, kernel and dE/do.
    """

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
    convention: str
    stride: tuple
    dilation: tuple
    names: tuple

    frames = property(lambda self: (self,))

    @property
    def panel_size(self):
        (Ho, Wo), (kH, kW), (H, W) = self.delta.shape, self.w.shape, self.shape
        return 0.5 * (Wo + kW + W + 3.5), 0.5 * max(Ho, kH, H) + 1.4

    def panel(self, ax, k):
        """The deltas (purple) with those that reach the pixel shaded and
        numbered; the kernel (orange) with the taps that carry them given
        the same numbers; the input grid with the pixel (red); the sum."""
        _fan_panel(self, ax)

    def overview(self):
        fig, ax = plt.subplots(figsize=self.panel_size, dpi=DPI)
        self.panel(ax, None)
        return fig


def fan_in(
    delta,
    w,
    pixel,
    *,
    convention="convolution",
    stride=1,
    dilation=1,
    shape=None,
    names=_DELTA_NAMES[:3],
):
    r"""Every term of the forward sum that reads one input pixel, with loops.

    The forward pass computes
    :math:`c(X, Y) = \sum_{x', y'} o(sX + d\,p(x'), sY + d\,q(y'))\, w(x', y')`
    with :math:`p(x') = k_H - 1 - x'` for a convolution and :math:`x'` for a
    correlation. Every term that reads ``o[pixel]`` sends
    :math:`\delta(X, Y)\, w(x', y')` back to it; their sum is
    :math:`\partial E/\partial o` there.

    Parameters
    ----------
    delta : array_like, shape (H_out, W_out)
        One unit's deltas of the layer above.
    w : array_like, shape (kH, kW)
        The kernel of the forward pass.
    pixel : (int, int)
        The input pixel ``(x, y)``, ``0 <= x < H``, ``0 <= y < W``.
    convention : {'convolution', 'correlation'}
    stride, dilation : int or (int, int)
        The forward layer's geometry (no padding).
    shape : (int, int), optional
        The input's shape, as in :func:`delta_backprop`.
    names : (str, str, str)
        Symbols of delta, kernel and dE/do for the drawing.

    Returns
    -------
    FanIn
        ``.total`` equals ``conv_backward(...)[2]`` at ``pixel``.

    Examples
    --------
    >>> fi = fan_in([[1, -1], [2, 0]], [[1, 2], [3, 4]], (0, 0))
    >>> fi.delta_cells.tolist(), fi.taps.tolist(), fi.total
    ([[0, 0]], [[1, 1]], 4.0)
    """
    d = as_map(delta, "delta")
    k = as_map(w, "w")
    check_flag(convention, "convention", CONVENTIONS)
    sH, sW = pair(stride, "stride", 1)
    dH, dW = pair(dilation, "dilation", 1)
    H, W = _input_shape(d.shape, k.shape, (sH, sW), (dH, dW), shape)
    x, y = _pixel(pixel, H, W)
    kH, kW = k.shape
    cells, taps = [], []
    for X in range(d.shape[0]):
        for Y in range(d.shape[1]):
            for dx in range(kH):
                for dy in range(kW):
                    if convention == "convolution":
                        px, py = kH - 1 - dx, kW - 1 - dy
                    else:
                        px, py = dx, dy
                    if (sH * X + dH * px, sW * Y + dW * py) == (x, y):
                        cells.append((X, Y))
                        taps.append((dx, dy))
    cells = np.array(cells, dtype=int).reshape(-1, 2)
    taps = np.array(taps, dtype=int).reshape(-1, 2)
    dv = d[cells[:, 0], cells[:, 1]]
    wv = k[taps[:, 0], taps[:, 1]]
    products = dv * wv
    reached = np.zeros(d.shape, bool)
    reached[cells[:, 0], cells[:, 1]] = True
    tapped = np.zeros(k.shape, bool)
    tapped[taps[:, 0], taps[:, 1]] = True
    return FanIn(
        (x, y),
        d,
        k,
        (H, W),
        cells,
        taps,
        dv,
        wv,
        products,
        float(products.sum()),
        reached,
        tapped,
        convention,
        (sH, sW),
        (dH, dW),
        tuple(names),
    )


def _pixel(p, H, W):
    """``p`` as a pixel (x, y) of an H x W input, or a clear error."""
    if not (
        isinstance(p, (tuple, list))
        and len(p) == 2
        and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool)
            for v in p
        )
    ):
        raise TypeError(f"pixel must be a pair of ints (x, y), got {p!r}")
    if not (0 <= p[0] < H and 0 <= p[1] < W):
        raise ValueError(
            f"pixel must lie in the input of shape {(H, W)}, "
            f"got {tuple(int(v) for v in p)}"
        )
    return int(p[0]), int(p[1])


def _fan_panel(fi, ax):
    dn, wn, on = fi.names
    (Ho, Wo), (kH, kW) = fi.delta.shape, fi.w.shape
    col_k, col_o = Wo + 1.2, Wo + kW + 2.4
    draw_array(ax, fi.delta, "delta", index=True, title=dn, shade=fi.reached)
    draw_array(
        ax, fi.w, "w", index=True, title=wn, shade=fi.tapped, origin=(0, col_k)
    )
    for n, (c, t) in enumerate(zip(fi.delta_cells, fi.taps, strict=True)):
        _tag(ax, *c, str(n + 1), "white")
        _tag(ax, *t, str(n + 1), "white", origin=(0, col_k))
    shown = np.full(fi.shape, np.nan)
    shown[fi.pixel] = fi.total
    now = np.zeros(fi.shape, bool)
    now[fi.pixel] = True
    title = f"{on}[{fi.pixel[0]}, {fi.pixel[1]}]"
    draw_array(
        ax, shown, "grad", index=True, title=title, shade=now, origin=(0, col_o)
    )
    if len(fi.products):
        text = sum_caption(fi.delta_values, fi.weights, fi.total)
    else:
        text = "no delta reaches this pixel: 0"
    height = max(Ho, kH, fi.shape[0])
    ax.text(
        (col_o + fi.shape[1]) / 2,
        height + 0.3,
        text,
        ha="center",
        va="top",
        fontsize=12,
        color=role_colour("grad"),
    )
    ax.set_ylim(height + 1.2, -1.3)
