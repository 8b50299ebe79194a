"""The pictures' style: one colour per role, arrays as grids of numbers, and
one of each helper (caption, index labels, hatching) that every picture uses.
"""

import numpy as np
from matplotlib import pyplot as plt
from matplotlib.patches import Rectangle

#: Role -> (edge colour, fill colour, label): seaborn's "deep" palette (told
#: apart in the common colour blindnesses), fills light enough for black text.
ROLES = {
    "o": ("#4C72B0", "#DCE6F3", "input o"),
    "w": ("#DD8452", "#FAE1CF", "kernel w"),
    "c": ("#55A868", "#DAEFDF", "complete input c"),
    "delta": ("#8172B3", "#E4DFF1", "delta dE/dc"),
    "grad": ("#C44E52", "#F4D5D6", "gradient"),
    "b": ("#937860", "#EEE5DC", "bias, activation"),
    "pad": ("#8C8C8C", "#F0F0F0", "padding"),
}
_CENTRE, _ABOVE = dict(ha="center", va="center"), dict(ha="center", va="bottom")
_HATCH = dict(fill=False, hatch="//", ec=ROLES["pad"][0], lw=0, zorder=3)


def role_colour(role, light=False):
    """The edge colour of ``role``, a key of :data:`ROLES` (``light=True``: its fill)."""
    return ROLES[role][1 if light else 0]


def fmt_value(v, decimals=2):
    """A cell's number as text: '3' for 3.0, '0' for -0.001, '0.12' for 0.125."""
    r = round(float(v), decimals)
    if np.isfinite(r) and r == int(r):
        return str(int(r))
    return f"{r:.{decimals}f}".rstrip("0") if np.isfinite(r) else str(r)


def signed(v):
    """A factor as written in a product: negative numbers in parentheses."""
    text = fmt_value(v)
    return f"({text})" if text.startswith("-") else text


def sum_caption(values, weights, total):
    """Every sum of products, written one way: '3·1 + 1·(-2) = 1' (past 9
    products, the first 4 and their number)."""
    terms = [
        f"{signed(v)}\u00b7{signed(w)}"
        for v, w in zip(np.ravel(values), np.ravel(weights), strict=True)
    ]
    if len(terms) > 9:
        terms = terms[:4] + [f"\u2026 ({len(terms)} products)"]
    return f"{' + '.join(terms)} = {fmt_value(total)}"


def _cell(ax, x, y, **style):
    """Add a unit square at row ``x``, column ``y``; return the patch."""
    return ax.add_patch(Rectangle((y, x), 1, 1, **style))


def draw_array(
    ax,
    a,
    role="o",
    *,
    origin=(0, 0),
    padding=None,
    title=None,
    index=False,
    fontsize=None,
    shade=None,
):
    """Draw a 2-D array as a grid of cells with its values written in them.

    Parameters
    ----------
    ax : matplotlib Axes
    a : array_like, shape (H, W)
        ``a[x, y]`` in row ``x`` (down), column ``y``; NaN: an empty cell.
    role : str
        A key of :data:`ROLES`: the colour of the cells.
    origin : (int, int)
        Row and column of cell ``[0, 0]``.
    padding, shade : array_like of bool, shape (H, W), optional
        Padding cells (grey, dashed); cells in the role's strong colour.
    title, index, fontsize : optional
        A title; row and column indices; the values' size (12, 11 past 9).
    """
    a = np.asarray(a, dtype=float)
    (H, W), (x0, y0) = a.shape, origin
    no = np.zeros(a.shape, bool)
    pad = no if padding is None else np.asarray(padding, bool)
    strong = (no if shade is None else np.asarray(shade, bool)) & ~pad
    if fontsize is None:
        fontsize = 12 if max(H, W) <= 9 else 11
    style = dict(_CENTRE, fontsize=fontsize)
    for (x, y), v in np.ndenumerate(a):
        X, Y = x0 + x, y0 + y
        edge, face, _ = ROLES["pad" if pad[x, y] else role]
        face, ls = (edge if strong[x, y] else face), "--" if pad[x, y] else "-"
        _cell(ax, X, Y, fc=face, ec=edge, ls=ls, lw=1)
        if not np.isnan(v):
            colour = "white" if strong[x, y] else "black"
            ax.text(Y + 0.5, X + 0.5, fmt_value(v), color=colour, **style)
    if index:
        index_labels(ax, H, W, origin=origin, fontsize=fontsize - 2)
    if title is not None:
        top = x0 - (0.55 if index else 0.2)
        ax.text(y0 + W / 2, top, title, **_ABOVE, fontsize=fontsize)
    ax.set_aspect("equal")
    ax.autoscale_view()
    ax.yaxis.set_inverted(True)
    ax.set_axis_off()


def draw_window(
    ax,
    top,
    left,
    height,
    width,
    role="w",
    *,
    origin=(0, 0),
    weights=None,
    lw=3,
    fontsize=10,
    cells=None,
):
    """Outline a window over a grid drawn by :func:`draw_array`.

    Parameters
    ----------
    top, left, height, width : int
        The window, in cells of the grid drawn at ``origin``.
    role : str
        A key of :data:`ROLES`: the colour of the outline (``lw`` wide).
    weights : array_like, shape (height, width), optional
        Written small (``fontsize``) in the corner of each covered cell.
    cells : array_like of int, shape (height, width, 2), optional
        The cells under the taps (apart for a dilated kernel), each outlined.
    """
    (x0, y0), colour = origin, ROLES[role][0]
    line = dict(fill=False, ec=colour, lw=lw, zorder=5)
    if cells is None:
        ax.add_patch(Rectangle((y0 + left, x0 + top), width, height, **line))
    else:
        cells = np.asarray(cells)
        for r, c in cells.reshape(-1, 2):
            _cell(ax, x0 + r, y0 + c, **line)
    if weights is None:
        return
    if cells is None:  # the window's own cells, in whole cells
        cells = np.moveaxis(np.indices((height, width)), 0, -1) + (top, left)
    style = dict(ha="right", va="bottom", fontsize=fontsize, color=colour)
    for (p, q), v in np.ndenumerate(np.asarray(weights, dtype=float)):
        x, y = cells[p, q] + origin + 0.95
        text = "\u00d7" + fmt_value(v)
        ax.text(y, x, text, fontweight="bold", zorder=6, **style)


def index_labels(ax, rows, cols, first=(0, 0), *, origin=(0, 0), fontsize=10):
    """Row and column labels ``first + k`` along the left and top edges of a
    grid drawn at ``origin``."""
    (x0, y0), grey = origin, dict(fontsize=fontsize, color="0.4")
    for x in range(rows):
        label = str(first[0] + x)
        ax.text(y0 - 0.15, x0 + x + 0.5, label, ha="right", va="center", **grey)
    for y in range(cols):
        ax.text(y0 + y + 0.5, x0 - 0.1, str(first[1] + y), **_ABOVE, **grey)


def hatch(ax, mask):
    """Hatch the cells of ``mask`` (undefined pixels, unreached borders)."""
    for x, y in np.argwhere(mask):
        _cell(ax, x, y, **_HATCH).set_hatch_linewidth(0.6)


def legend_figure():
    """A figure naming the colour of each role of :data:`ROLES`, in two rows."""
    per_row = -(-len(ROLES) // 2)
    fig, ax = plt.subplots(figsize=(2.3 * per_row, 1.5))
    for k, (role, (_, _, label)) in enumerate(ROLES.items()):
        x, y = 1.4 * (k // per_row), 4.0 * (k % per_row)
        pad = [[role == "pad"]]
        draw_array(ax, [[np.nan]], role, origin=(x, y), padding=pad)
        ax.text(y + 1.25, x + 0.5, label, va="center", fontsize=10)
    ax.set_xlim(-0.1, 4.0 * per_row)
    ax.set_ylim(2.8, -0.1)
    return fig


def panels_over_strip(
    widths,
    height,
    *,
    extra=4.0,
    min_width=6.0,
    title_rows=1.4,
    strip=0.8,
    wspace=0.25,
    margins=(0.03, 0.97, 0.98),
):
    """A figure, and axes for a row of panels ``widths`` cells wide and
    ``height`` (+ ``title_rows``) high and for a caption strip below them."""
    n, rows = len(widths), [height + title_rows, strip]
    width = max(min_width, 0.6 * (sum(widths) + extra))
    fig = plt.figure(figsize=(width, 0.6 * rows[0] + strip))
    gs = fig.add_gridspec(2, n, width_ratios=widths, height_ratios=rows)
    gs.update(left=margins[0], right=margins[1], top=margins[2], bottom=0.02)
    gs.update(wspace=wspace, hspace=0.05)
    axes = [fig.add_subplot(gs[0, c]) for c in range(n)]
    return fig, [*axes, fig.add_subplot(gs[1, :])]


def caption_strip(ax, text, colour, fontsize=12):
    """Write ``text`` in ``colour`` centred in ``ax`` (a caption strip)."""
    ax.set_axis_off()
    style = dict(_CENTRE, fontsize=fontsize, color=colour)
    ax.text(0.5, 0.5, text, transform=ax.transAxes, **style)
