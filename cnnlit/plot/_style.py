"""The book's visual vocabulary: one colour per role, arrays as grids of numbers.

Every picture of the book is drawn with these few functions, so that the input
:math:`o` is always blue, a kernel :math:`w` always orange, a complete input
:math:`c` always green, a delta :math:`\\delta` always purple and a gradient
always red, and padding is always a grey cell with a dashed edge. The notation
page (:ref:`notation`) shows the legend.
"""

import numpy as np
from matplotlib import pyplot as plt
from matplotlib.patches import Rectangle

__all__ = ["ROLES", "role_colour", "draw_array", "draw_window", "legend_figure"]

#: Role -> (edge colour, fill colour, short label). The edge colours are
#: seaborn's "deep" palette, which stays distinguishable for the common forms
#: of colour blindness; the fills are the same hues, light enough for black text.
ROLES = {
    "o": ("#4C72B0", "#DCE6F3", "input o"),
    "w": ("#DD8452", "#FAE1CF", "kernel w"),
    "c": ("#55A868", "#DAEFDF", "complete input c"),
    "delta": ("#8172B3", "#E4DFF1", "delta dE/dc"),
    "grad": ("#C44E52", "#F4D5D6", "gradient"),
    "b": ("#937860", "#EEE5DC", "bias, activation"),
    "pad": ("#8C8C8C", "#F0F0F0", "padding"),
}


def role_colour(role, light=False):
    """The edge colour of ``role`` (the fill colour with ``light=True``)."""
    if role not in ROLES:
        raise ValueError(
            f"role must be one of {', '.join(map(repr, ROLES))}; got {role!r}"
        )
    return ROLES[role][1 if light else 0]


def fmt_value(v, decimals=2):
    """A cell's number as text: integers without a point, others rounded.

    >>> fmt_value(3.0), fmt_value(-0.0), fmt_value(0.125), fmt_value(2.5)
    ('3', '0', '0.12', '2.5')
    """
    v = float(v)
    if not np.isfinite(v):
        return str(v)
    r = round(v, decimals)
    if r == 0:
        return "0"
    if r == int(r):
        return str(int(r))
    return f"{r:.{decimals}f}".rstrip("0")


def signed(v):
    """A factor as written in a product: negative numbers in parentheses."""
    text = fmt_value(v)
    return f"({text})" if text.startswith("-") else text


def sum_caption(values, weights, total, max_terms=9):
    """The caption of every sum of products: '3·1 + 1·(-2) = 1'.

    One rule for negative factors (in parentheses, see :func:`signed`);
    past ``max_terms`` products the sum is shortened.

    >>> sum_caption([3, 1], [1, -2], 1)
    '3·1 + 1·(-2) = 1'
    """
    terms = [
        f"{signed(v)}\u00b7{signed(w)}"
        for v, w in zip(np.ravel(values), np.ravel(weights), strict=True)
    ]
    if len(terms) > max_terms:
        terms = terms[:4] + [f"\u2026 ({len(terms)} products)"]
    return f"{' + '.join(terms)} = {fmt_value(total)}"


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
    decimals=2,
    shade=None,
):
    """Draw a 2-D array as a grid of cells with its values written in them.

    Parameters
    ----------
    ax : matplotlib Axes
    a : array_like, shape (H, W)
        The values; ``a[x, y]`` is drawn in row ``x`` (going down), column ``y``.
        NaN cells are drawn empty (a value not computed yet).
    role : str
        A key of :data:`ROLES`: the cells' fill colour.
    origin : (int, int)
        Where cell ``[0, 0]`` is drawn, in cell units (row, column).
    padding : array_like of bool, shape (H, W), optional
        Cells that are padding: drawn grey with a dashed edge.
    title : str, optional
        Written above the grid.
    index : bool
        Write the row and column indices along the top and left edges.
    shade : array_like of bool, shape (H, W), optional
        Cells drawn in the role's strong colour (e.g. the pixels already
        computed), the others in its light colour.
    """
    a = np.asarray(a, dtype=float)
    if a.ndim != 2:
        raise ValueError(f"a must be a 2-D array, got shape {a.shape}")
    H, W = a.shape
    x0, y0 = origin
    pad = (
        np.zeros(a.shape, bool)
        if padding is None
        else np.asarray(padding, bool)
    )
    if pad.shape != a.shape:
        raise ValueError(
            f"padding must have the shape of a, {a.shape}; got {pad.shape}"
        )
    strong = (
        np.zeros(a.shape, bool) if shade is None else np.asarray(shade, bool)
    )
    if fontsize is None:
        fontsize = 12 if max(H, W) <= 9 else 11
    edge, light = role_colour(role), role_colour(role, light=True)
    for (x, y), v in np.ndenumerate(a):
        if pad[x, y]:
            face, ec, ls = ROLES["pad"][1], ROLES["pad"][0], "--"
        else:
            face, ec, ls = (edge if strong[x, y] else light), edge, "-"
        ax.add_patch(
            Rectangle(
                (y0 + y, x0 + x),
                1,
                1,
                facecolor=face,
                edgecolor=ec,
                linestyle=ls,
                linewidth=1,
            )
        )
        if not np.isnan(v):
            colour = "white" if strong[x, y] and not pad[x, y] else "black"
            ax.text(
                y0 + y + 0.5,
                x0 + x + 0.5,
                fmt_value(v, decimals),
                ha="center",
                va="center",
                fontsize=fontsize,
                color=colour,
            )
    if index:
        index_labels(ax, H, W, origin=origin, fontsize=fontsize - 2)
    if title is not None:
        ax.text(
            y0 + W / 2,
            x0 - (0.55 if index else 0.2),
            title,
            ha="center",
            va="bottom",
            fontsize=fontsize,
        )
    _frame(ax)


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
    fontsize=None,
    decimals=2,
    cells=None,
):
    """Outline a window over a grid drawn by :func:`draw_array`.

    ``weights`` (shape ``(height, width)``), if given, are written small in the
    bottom-right corner of each covered cell ("times w"). ``cells`` (shape
    ``(height, width, 2)``), if given, are the grid cells the taps sit on
    (for a dilated kernel they are not adjacent); each is outlined.
    """
    x0, y0 = origin
    colour = role_colour(role)
    if cells is None:
        rows = np.arange(top, top + height)
        cols = np.arange(left, left + width)
        cells = np.stack(np.meshgrid(rows, cols, indexing="ij"), axis=-1)
        ax.add_patch(
            Rectangle(
                (y0 + left, x0 + top),
                width,
                height,
                fill=False,
                edgecolor=colour,
                linewidth=lw,
                zorder=5,
            )
        )
    else:
        cells = np.asarray(cells)
        for r, c in cells.reshape(-1, 2):
            ax.add_patch(
                Rectangle(
                    (y0 + c, x0 + r),
                    1,
                    1,
                    fill=False,
                    edgecolor=colour,
                    linewidth=lw,
                    zorder=5,
                )
            )
    if weights is not None:
        weights = np.asarray(weights, dtype=float)
        if fontsize is None:
            fontsize = 10
        for (p, q), v in np.ndenumerate(weights):
            r, c = cells[p, q]
            ax.text(
                y0 + c + 0.95,
                x0 + r + 0.95,
                "\u00d7" + fmt_value(v, decimals),
                ha="right",
                va="bottom",
                fontsize=fontsize,
                color=colour,
                fontweight="bold",
                zorder=6,
            )


def index_labels(
    ax, n_rows, n_cols, first=(0, 0), *, origin=(0, 0), fontsize=10
):
    """Row and column labels ``first + k`` along the top and left edges of a
    grid drawn at ``origin`` (the one way every picture labels indices)."""
    x0, y0 = origin
    for x in range(n_rows):
        ax.text(
            y0 - 0.15,
            x0 + x + 0.5,
            str(first[0] + x),
            ha="right",
            va="center",
            fontsize=fontsize,
            color="0.4",
        )
    for y in range(n_cols):
        ax.text(
            y0 + y + 0.5,
            x0 - 0.1,
            str(first[1] + y),
            ha="center",
            va="bottom",
            fontsize=fontsize,
            color="0.4",
        )


def hatch(ax, mask, origin=(0, 0)):
    """Hatch the cells of ``mask`` (undefined pixels, unreached borders)."""
    for (x, y), m in np.ndenumerate(np.asarray(mask, bool)):
        if m:
            patch = Rectangle(
                (origin[1] + y, origin[0] + x),
                1,
                1,
                fill=False,
                hatch="//",
                edgecolor=ROLES["pad"][0],
                linewidth=0,
                zorder=3,
            )
            patch.set_hatch_linewidth(0.6)
            ax.add_patch(patch)


def _frame(ax):
    """Cells are squares, row 0 on top, no axes drawn."""
    ax.set_aspect("equal")
    ax.autoscale_view()
    if not ax.yaxis_inverted():
        ax.invert_yaxis()
    ax.set_axis_off()


def legend_figure(roles=("o", "w", "c", "delta", "grad", "b", "pad")):
    """A figure naming the colour of each role (the book's legend), in two rows."""
    roles = list(roles)
    for role in roles:
        role_colour(role)
    per_row = -(-len(roles) // 2) if len(roles) > 4 else len(roles)
    fig, ax = plt.subplots(
        figsize=(2.3 * per_row, 0.75 * -(-len(roles) // per_row))
    )
    for k, role in enumerate(roles):
        x, y = divmod(k, per_row)
        draw_array(
            ax,
            [[np.nan]],
            role,
            origin=(1.4 * x, 4.0 * y),
            padding=[[role == "pad"]],
        )
        ax.text(
            4.0 * y + 1.25,
            1.4 * x + 0.5,
            ROLES[role][2],
            va="center",
            fontsize=10,
        )
    ax.set_xlim(-0.1, 4.0 * per_row)
    ax.set_ylim(1.4 * -(-len(roles) // per_row), -0.1)
    return fig


def panels_over_strip(
    widths,
    height,
    *,
    cell=0.6,
    extra=4.0,
    min_width=6.0,
    title_rows=1.4,
    strip=0.8,
    wspace=0.25,
    margins=(0.03, 0.97, 0.98),
):
    """A row of panels as wide as the arrays they show, above a text strip.

    The layout of every frame of an animation: panel ``c`` is ``widths[c]``
    cells wide, all are ``height`` cells (plus ``title_rows`` for titles and
    indices) high, and a strip as wide as the figure holds the frame's sum.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : list of Axes
        One per panel, then the strip.
    """
    left, right, top = margins
    fig = plt.figure(
        figsize=(
            max(min_width, cell * (sum(widths) + extra)),
            cell * (height + title_rows) + strip,
        )
    )
    gs = fig.add_gridspec(
        2,
        len(widths),
        width_ratios=widths,
        height_ratios=[height + title_rows, strip],
        wspace=wspace,
        hspace=0.05,
        left=left,
        right=right,
        top=top,
        bottom=0.02,
    )
    axes = [fig.add_subplot(gs[0, c]) for c in range(len(widths))]
    axes.append(fig.add_subplot(gs[1, :]))
    return fig, axes


def caption_strip(ax, text, colour, *, fontsize=12):
    """Write ``text`` centred in ``ax``, the strip under the panels of
    :func:`panels_over_strip` (or any axes used for a caption), in ``colour``."""
    ax.set_axis_off()
    ax.text(
        0.5,
        0.5,
        text,
        ha="center",
        va="center",
        fontsize=fontsize,
        color=colour,
        transform=ax.transAxes,
    )
