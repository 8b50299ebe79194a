"""One kernel spans every input unit: a (C_in, H, W) input as C_in sheets in
depth, the kernel w[m] (C_in, kH, kW) as a matching stack over one window,
each sheet's part of the sum, and lines to the one pixel of map m they add up
to; frames step through map 0's pixels, then map 1's, ... (C_out kernels fill
C_out maps). Every number comes from :func:`cnnlit.conv_forward`."""

from collections import namedtuple

import numpy as np
from matplotlib import pyplot as plt
from matplotlib.patches import Polygon

from .._checks import as_real_array
from ..conv import conv_forward
from ._core import DPI, Picture, check_size
from ._style import fmt_value, signed
from ._style import role_colour as _c

__all__ = ["ChannelSum", "ChannelFrame", "channel_sum"]

SX, SY, GAP, INCH = 0.45, 0.62, 1.0, 0.34  # shear, row depth, gap, cell size
#: Pixel (x, y) of map m: ``window`` meets ``weights`` (w[m], turned 180° for
#: convolution); ``partial``: each unit's sum; ``total`` (with b[m]): c[m, x, y].
ChannelFrame = namedtuple("ChannelFrame", "m x y window weights partial total")


class ChannelSum(Picture):
    """``o_prev``, ``w``, ``b``, ``convention`` as given; ``c`` (C_out, H_out,
    W_out) from ``conv_forward``; ``single`` (C_out, C_in, H_out, W_out): unit
    n's part of map m, ``conv_forward`` of that connection alone; ``frames``."""

    def __init__(self, o_prev, w, b, convention, c):
        self.o_prev, self.w, self.b, self.convention = o_prev, w, b, convention
        C_out, C_in, kH, kW = w.shape
        self.c = c
        one = [(o_prev[n : n + 1], w[:, n : n + 1]) for n in range(C_in)]
        cv = {"convention": convention}
        self.single = np.stack([conv_forward(*a, None, **cv) for a in one], 1)
        met = w[:, :, ::-1, ::-1] if convention == "convolution" else w
        win = np.lib.stride_tricks.sliding_window_view(o_prev, (kH, kW), (1, 2))
        F, s, c = ChannelFrame, self.single, self.c
        self.frames = tuple(
            F(m, x, y, win[:, x, y], met[m], s[m, :, x, y], float(c[m, x, y]))
            for m, x, y in np.ndindex(c.shape)
        )
        (_, H, W), (_, Ho, Wo) = o_prev.shape, self.c.shape
        wide = W + SX * H + kW + SX * kH + Wo + SX * Ho + 8.2
        tall = max(C_in * (SY * H + GAP), C_out * (SY * Ho + GAP)) + 0.8
        self.panel_size = (INCH * wide, INCH * tall + 0.4)

    def cost(self):
        return len(self.frames), self.o_prev.size + self.w[0].size + self.c.size

    def layout(self):
        fig = plt.figure(figsize=self.panel_size, dpi=DPI)
        return fig, fig.add_axes((0.01, 0.01, 0.98, 0.89))

    def panel(self, ax, k):
        k = len(self.frames) - 1 if k is None else k
        f, (kH, kW) = self.frames[k], self.w.shape[2:]
        (C_in, H, W), (C_out, Ho, Wo) = self.o_prev.shape, self.c.shape
        step = SY * H + GAP
        x1, x2 = W + SX * H + 1.6, W + SX * H + kW + SX * kH + 4.4
        tx = x1 + kW + SX * kH + 0.3  # where the parts are written
        top = (C_in * step - GAP + C_out * (SY * Ho + GAP) - GAP) / 2
        y_out = [top - (m + 1) * SY * Ho - m * GAP for m in range(C_out)]
        px, py = _at(x2, y_out[f.m], Ho, f.x + 0.5, f.y + 0.5)
        for n in range(C_in):
            y0, ym = (C_in - 1 - n) * step, (C_in - 1 - n) * step + SY * H / 2
            _sheet(ax, self.o_prev[n], 0, y0, "o", f"$o_{n}$")
            _sheet(ax, f.weights[n], x1, y0 + SY * (H - kH) / 2, "w")
            win = _cell(0, y0, H, f.x, f.y, kH, kW)
            ax.add_patch(Polygon(win, fill=False, ec=_c("w"), lw=3, zorder=5))
            _text(ax, tx, ym, "→ " + fmt_value(f.partial[n]), _c("c"))
            ax.plot([tx + 1.6, px], [ym, py], color=_c("c"), lw=1, zorder=0)
        order = np.arange(self.c.size).reshape(self.c.shape)  # frame of a pixel
        for m, shown in enumerate(np.where(order <= k, self.c, np.nan)):
            hot = (f.x, f.y) if m == f.m else None
            _sheet(ax, shown, x2, y_out[m], "c", f"$c_{m}$", hot)
        turn = " turned 180°" if self.convention == "convolution" else ""
        y_head = C_in * step - GAP + 0.5
        _text(ax, 0, y_head, f"input o  {C_in}×{H}×{W}")
        _text(ax, x1, y_head, f"w[{f.m}]{turn}")
        _text(ax, x2, y_head, f"c  {C_out}×{Ho}×{Wo}")
        ax.set_title(_caption(self, k), fontsize=12, color=_c("c"))
        ax.set_aspect("equal")
        ax.autoscale_view()
        ax.set_axis_off()

    draw = panel  # one axes, the sum as its title


def _text(ax, x, y, s, colour="black", size=12, ha="left"):
    ax.text(x, y, s, ha=ha, va="center", fontsize=size, color=colour)


def _at(x0, y0, H, r, c):
    """Where grid point (row r, column c) of a sheet at (x0, y0) lands."""
    return x0 + c + SX * (H - r), y0 + SY * (H - r)


def _cell(x0, y0, H, r, c, h=1, w=1):
    corners = ((0, 0), (0, w), (h, w), (h, 0))
    return [_at(x0, y0, H, r + a, c + b) for a, b in corners]


def _sheet(ax, a, x0, y0, role, label=None, strong=None):
    """Draw the 2-D array ``a`` as a sheet in depth, numbers in its cells."""
    H = a.shape[0]
    for (r, c), v in np.ndenumerate(a):
        hot = strong == (r, c)
        face, ink = _c(role, not hot), "white" if hot else "black"
        ax.add_patch(Polygon(_cell(x0, y0, H, r, c), fc=face, ec=_c(role)))
        xy = _at(x0, y0, H, r + 0.5, c + 0.5)
        if not np.isnan(v):
            _text(ax, *xy, fmt_value(v), ink, size=11, ha="center")
    if label:
        _text(ax, x0 - 0.2, y0 + SY * H / 2, label, _c(role), ha="right")


def _caption(cs, k):
    f = cs.frames[k]
    sums = " + ".join(map(signed, [*f.partial, cs.b[f.m]]))
    return f"$c_{f.m}$({f.x}, {f.y}) = {sums} = {fmt_value(f.total)}"


def channel_sum(o_prev, w, b, *, convention="convolution"):
    """Frames of ``conv_forward(o_prev, w, b)``, one per output pixel.

    Parameters
    ----------
    o_prev : array_like, shape (C_in, H, W)
    w : array_like, shape (C_out, C_in, kH, kW)
    b : array_like, shape (C_out,)
    convention : {'convolution', 'correlation'}

    Returns
    -------
    ChannelSum
        Frame ``m H_out W_out + x W_out + y`` is pixel (x, y) of map m.
    """
    o, w, b = (
        as_real_array(a, s).astype(float)
        for a, s in ((o_prev, "o_prev"), (w, "w"), (b, "b"))
    )
    if o.ndim != 3:
        raise ValueError(f"o_prev must have shape (C_in, H, W), got {o.shape}")
    c = conv_forward(o, w, b, convention=convention)  # checks w, b, convention
    check_size(c.size, o.size + w[0].size + c.size, "channel_sum")
    return ChannelSum(o, w, b, convention, c)
