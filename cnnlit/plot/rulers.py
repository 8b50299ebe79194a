"""Index rulers of a 1-D convolution: row ``x`` (output ``x``) holds, under
each input its window reads, the kernel index that multiplies it; a column,
the outputs one input reaches (backward: with ``kH - 1`` padding rows)."""

from dataclasses import dataclass

import numpy as np
from matplotlib import pyplot as plt

from .._checks import CONVENTIONS, check_flag
from ..conv import conv_output_shape
from ._core import DPI, Picture
from ._style import draw_array, draw_window

__all__ = ["IndexRulers", "index_rulers"]
_NAMES = {
    "forward": ("o", "c", "o", "c", "c\\o"),
    "backward": ("grad", "delta", "δ", "dE/do", "δ\\o"),
}


@dataclass(frozen=True)
class IndexRulers(Picture):
    """``meet[x, k]`` (H_out, kH): the input index output ``x`` reads through
    kernel index ``k``; ``reach[x, k]`` (H, kH): the output index input ``x``
    reaches by ``k`` (padding outside ``0 .. H_out - 1``); ``rows``: outputs
    drawn; ``frames``: output (forward) or input (backward) indices."""

    H: int
    kH: int
    H_out: int
    view: str
    convention: str
    meet: np.ndarray
    reach: np.ndarray
    rows: np.ndarray
    frames: tuple

    def cost(self):
        return len(self.frames), (len(self.rows) + 1) * (self.H + 1)

    @property
    def panel_size(self):
        return 0.5 * max(self.H + 1.5, 9.6), 0.5 * (len(self.rows) + 2.6)

    def layout(self):
        fig, ax = plt.subplots(figsize=self.panel_size, dpi=DPI)
        fig.subplots_adjust(0.01, 0.01, 0.99, 0.99)
        return fig, ax

    def panel(self, ax, k):
        """Frame ``k`` (None: no frame) on ``ax``: rulers, cells, the sum."""
        fwd, n, hot_cells = self.view == "forward", len(self.rows), []
        o, c, on, cn, corner = _NAMES[self.view]
        ax.text(0.5, 0.5, corner, ha="center", va="center", fontsize=13)
        for x in range(self.H):
            _cell(ax, x, o, 0, 1.5 + x, hot=not fwd and x == k)
        for i, X in enumerate(self.rows):
            pad = not 0 <= X < self.H_out
            lit = X == k if fwd else k is not None and X in self.reach[k]
            _cell(ax, X, c, 1.3 + i, 0, pad, lit)
            for j, x in enumerate(X + self.meet[0]):
                if 0 <= x < self.H:
                    hot = X == k if fwd else x == k
                    hot_cells += _cell(ax, j, "w", 1.3 + i, 1.5 + x, pad, hot)
        text = f"cells: the kernel index ({self.convention})"
        if k is not None:
            (r0, c0), (r1, c1) = min(hot_cells), max(hot_cells)
            draw_window(ax, r0, c0, r1 - r0 + 1, c1 - c0 + 1, "w", lw=2.5)
            pairs = enumerate(self.meet[k] if fwd else self.reach[k])
            terms = [f"{on}({a})·w({j})" for j, a in pairs]
            text = f"{cn}({k}) = " + " + ".join(terms)
        ax.text(0, 1.6 + n, text, va="top", fontsize=13)
        ax.set_xlim(-0.1, max(self.H + 1.6, 9.5))
        ax.set_ylim(2.5 + n, -0.1)

    draw = panel


def _cell(ax, v, role, r, q, pad=False, hot=False):
    style = {"padding": [[pad]], "shade": [[hot]], "fontsize": 14}
    draw_array(ax, [[v]], role, origin=(r, q), **style)
    return [(r, q)] * int(hot)


def index_rulers(H, kH, *, view="forward", convention="convolution"):
    """The aligned index rulers of a 1-D stride-1 valid convolution.

    Parameters
    ----------
    H, kH : int
        Input and kernel length (``kH <= H``).
    view : {'forward', 'backward'}
        A frame per output (a row) or input (a column, padded deltas).
    convention : {'convolution', 'correlation'}

    Returns
    -------
    IndexRulers

    Examples
    --------
    >>> index_rulers(4, 2).meet.tolist()
    [[1, 0], [2, 1], [3, 2]]
    """
    check_flag(view, "view", ("forward", "backward"))
    check_flag(convention, "convention", CONVENTIONS)
    H_out = conv_output_shape(H, 1, kH, 1)[0]
    H, kH, k = int(H), int(kH), np.arange(kH)
    # output x reads input x + kH - 1 - k through kernel index k (x + k
    # under "correlation"); input x reaches output x - (that offset)
    offset = kH - 1 - k if convention == "convolution" else k
    meet = np.arange(H_out)[:, None] + offset
    reach = np.arange(H)[:, None] - offset
    pad = 0 if view == "forward" else kH - 1
    rows = np.arange(-pad, H_out + pad)
    frames = tuple(range(H_out if view == "forward" else H))
    return IndexRulers(
        H, kH, H_out, view, convention, meet, reach, rows, frames
    )
