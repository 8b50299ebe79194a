"""Pictures of the forward pass, frames of :func:`cnnlit.plot.slide`: one
pixel term by term, full and valid outputs, padding, mode 'same'."""

from dataclasses import dataclass

import numpy as np
from matplotlib import pyplot as plt
from matplotlib.patches import Rectangle

from .._checks import BOUNDARIES, CONVENTIONS, check_flag, check_int, pair
from ..padding import pad
from . import _style
from ._core import DPI, Picture, as_map, check_size
from ._style import draw_array, draw_window, role_colour, sum_caption
from .sliding import Slide, filled, on_grid, pixel, slide, windows

_NAMES = {"convolution": ("i", "k", "v"), "correlation": ("i", "k", "l")}
_GREEN = role_colour("c")


def _point(at, lo, hi, names=("at[0]", "at[1]")):
    """``at`` as a pair of ints, ``lo <= at <= hi`` along both axes."""
    if not isinstance(at, (tuple, list)) or len(at) != 2:
        raise TypeError(f"at must be a pair of ints (x, y), got {at!r}")
    return tuple(check_int(at[n], names[n], lo[n], hi[n]) for n in (0, 1))


def _layout(widths, rows, strips=(), extra=2.0, strip=0.55):
    """Panels ``widths`` cells wide and ``rows`` high (0.42 inch a cell), over
    caption strips, each spanning the panels it lists."""
    n, h, k, m = len(widths), 0.42 * rows, 1 + bool(strips), 0.01
    mosaic = [list(range(n)), [n + j for j, p in enumerate(strips) for _ in p]]
    size = (0.42 * (sum(widths) + extra), h + strip * (k - 1) + 0.1)
    g = dict(wspace=0.12, hspace=0.02, left=m, right=1 - m, top=1 - m, bottom=m)
    kw = dict(figsize=size, dpi=DPI, width_ratios=widths, gridspec_kw=g)
    fig, ax = plt.subplot_mosaic(mosaic[:k], height_ratios=[h, strip][:k], **kw)
    return fig, [ax[i] for i in sorted(ax)]


def _text(ax, x, y, text, size=12, colour="black", **kw):
    kw = dict(ha="center", va="center", fontsize=size, color=colour) | kw
    ax.text(x, y, text, **kw)


def _labels(ax, shape, first, title, origin=(0, 0), size=12):
    """Rows and columns numbered from ``first``, ``title`` above them."""
    _style.index_labels(ax, *shape, first, origin=origin, fontsize=size - 2)
    x, y = origin[1] + shape[1] / 2, origin[0] - 0.6
    _text(ax, x, y, title, size, va="bottom")


def _size(grid, w, h, n=1, cell=0.4):
    """(width, height) in inches of a panel of ``n`` of ``grid`` side by side."""
    return cell * (n * grid.shape[1] + w), cell * (grid.shape[0] + h)


def _box(ax, at, shape, colour, **kw):
    """Outline ``shape`` (rows, columns) of cells from cell ``at``."""
    kw = {"zorder": 4, "lw": 2.5} | kw
    ax.add_patch(Rectangle(at[::-1], *shape[::-1], fill=False, ec=colour, **kw))


@dataclass(frozen=True)
class PixelSum(Picture):
    """One output pixel, term by term (see :func:`pixel_sum`)."""

    image: np.ndarray
    kernel: np.ndarray
    convention: str
    at: tuple
    cells: np.ndarray
    taps: np.ndarray
    values: np.ndarray
    weights: np.ndarray
    products: np.ndarray
    total: float
    inside: np.ndarray
    terms: tuple
    numbers: str
    names: tuple

    frames = property(lambda self: (self,))
    label = property(lambda self: f"{self.names[2]}{tuple(self.at)}")

    def overview(self):
        return _pixel_rows([self])


def pixel_sum(
    image, kernel, at, *, convention="convolution", boundary="fill", names=None
):
    """One pixel of the source post's convolution or correlation, term by term.

    Parameters
    ----------
    image, kernel : array_like, shapes (H, W) and (kH, kW)
    at : (int, int)
        ``(x, y)``, 0 <= x <= H + kH - 2 (a correlation: 1 - kH <= x <= H - 1).
    convention : {'convolution', 'correlation'}
    boundary : {'fill', 'wrap', 'symm'}
    names : (str, str, str), optional
        Default ``('i', 'k', 'v')``, or ``('i', 'k', 'l')``.

    Returns
    -------
    PixelSum
        A frame of mode 'full': ``cells`` (kH, kW, 2) under the window (in the
        image where ``inside``), ``taps`` (kH, kW, 2) the kernel index laid on
        each, ``values``, ``weights``, ``products``, ``total`` (its value),
        ``terms`` (x_k, y_k, row, col, value, weight, product) and ``numbers``
        (their sum written out, '4·1 + 1·2 = 6').
    """
    img, ker = as_map(image, "image"), as_map(kernel, "kernel")
    check_flag(convention, "convention", CONVENTIONS)
    (H, W), (kH, kW) = img.shape, ker.shape
    lo = (0, 0) if convention == "convolution" else (1 - kH, 1 - kW)
    x, y = _point(at, lo, (lo[0] + H + kH - 2, lo[1] + W + kW - 2))
    s = slide(img, ker, convention=convention, mode="full", boundary=boundary)
    f = s.frames[(x - lo[0]) * s.output.shape[1] + y - lo[1]]
    cells = f.cells - (s.pads[0], s.pads[2])
    inside = ((cells >= 0) & (cells < (H, W))).all(axis=-1)
    t = slice(None, None, -1 if convention == "convolution" else 1)
    taps = np.indices((kH, kW)).transpose(1, 2, 0)[t, t]
    c, v, w, p = (a[t, t] for a in (cells, f.values, f.weights, f.products))
    terms = tuple(
        (a, b, *map(int, c[a, b]), *map(float, (v[a, b], w[a, b], p[a, b])))
        for a, b in np.ndindex(kH, kW)
    )
    names = _NAMES[convention] if names is None else tuple(names)
    data = (cells, taps, f.values, f.weights, f.products, f.total, inside)
    numbers = sum_caption(v, w, f.total)  # in the order of the terms
    return PixelSum(img, ker, convention, (x, y), *data, terms, numbers, names)


def _extent(ps):
    """The first (row, column) and the size of the image with the window."""
    lo = np.minimum(ps.cells.min(axis=(0, 1)), 0)
    return lo, np.maximum(ps.cells.max(axis=(0, 1)) + 1, ps.image.shape) - lo


def _pixel_row(axes, ps):
    """The image with the window, kernel, kernel laid, products, sum."""
    (kH, kW), (g, kname) = ps.kernel.shape, ps.names[:2]
    (lo, span), ax = _extent(ps), axes[0]
    draw_array(ax, ps.image, "o")
    outside = np.where(ps.inside, np.nan, ps.values)  # drawn as padding
    draw_array(ax, outside, "o", origin=ps.cells[0, 0], padding=~ps.inside)
    draw_window(ax, *ps.cells[0, 0], kH, kW, "w", weights=ps.weights)
    _labels(ax, span, tuple(lo), g, origin=tuple(lo))
    (r0, c0), (r1, c1) = lo, lo + span
    ax.set(xlim=(c0 - 0.6, c1 + 0.1), ylim=(r1 + 0.1, r0 - 1.3))
    how = "rotated 180\u00b0" if ps.convention == "convolution" else "as it is"
    taps = [f"{kname}({a},{b})" for a, b in ps.taps.reshape(-1, 2)]
    pairs = zip(ps.values.ravel(), ps.weights.ravel(), strict=True)
    factors = [f"{_style.signed(a)}\u00b7{_style.signed(b)}" for a, b in pairs]
    for ax, a, role, title, small in [
        (axes[1], ps.kernel, "w", kname, []),
        (axes[2], ps.weights, "w", f"{kname} laid, {how}", taps),
        (axes[3], ps.products, "c", "products", factors),
    ]:
        draw_array(ax, a, role, index=not small, title=title)
        for (p, q), text in zip(np.ndindex(kH, kW), small, strict=False):
            at = (q + 0.5, p + 0.95)
            _text(ax, *at, text, 7, role_colour(role), va="bottom")
        ax.set(xlim=(-0.6, kW + 0.3), ylim=(span[0] + 0.1, -1.3))
    mid, ax = (kH - 1) / 2, axes[4]
    kw = {"origin": (mid, 0.5), "shade": [[1]], "title": "sum"}
    draw_array(ax, [[ps.total]], "c", **kw)
    _text(ax, 1.0, mid + 1.15, ps.label, 11, _GREEN, va="top")
    ax.set(xlim=(0, 2.2), ylim=(span[0] + 0.1, -1.3))


def _pixel_rows(pixels, titled=False):
    """Rows of :func:`_pixel_row`, each titled with its sum, or one row over
    its sum written out (in symbols too for four terms at most)."""
    (ps, *_), n = pixels, len(pixels)
    spans = np.array([_extent(p)[1] for p in pixels])
    widths = spans[:, 1] + [3 * p.kernel.shape[1] for p in pixels]
    row_h, lines = 0.42 * (spans[:, 0].max() + 1.4), []
    if not titled:
        (g, k), t = ps.names[:2], ps.terms
        sym = " + ".join(f"{g}{a[2:4]}\u00b7{k}{a[:2]}" for a in t)
        lines = [f"{ps.label} = {sym}", f"= {ps.numbers}"]
        lines = lines if len(t) <= 4 else [f"{ps.label} = {ps.numbers}"]
    height = (row_h + 0.5) * n if titled else row_h + 0.35 * len(lines) + 0.2
    width = max(6.8, 0.42 * 1.15 * (widths.max() + 7.2))
    fig = plt.figure(figsize=(width, height), dpi=DPI)
    hr = [row_h] * n + [0.35 * len(lines)] * bool(lines)
    gap = (0.5, 0.5 / row_h) if titled else (0.05, 0.05)
    kw = dict(left=0.02, right=0.98, top=1 - gap[0] / height, bottom=0.02)
    gs = fig.add_gridspec(len(hr), 1, height_ratios=hr, hspace=gap[1], **kw)
    for r, p in enumerate(pixels):
        ratios = [spans[r, 1] + 1] + [p.kernel.shape[1] + 1] * 3 + [2.2]
        sub = gs[r, 0].subgridspec(1, 5, width_ratios=ratios, wspace=0.15)
        axes = [fig.add_subplot(sub[0, c]) for c in range(5)]
        _pixel_row(axes, p)
        what = f"{p.convention} of {p.names[0]} with {p.names[1]}:  "
        title = f"{what}{p.label} = {p.numbers}" if titled else ""
        axes[0].set_title(title, loc="left", fontsize=11, color=_GREEN, pad=18)
    if lines:
        ax, text = fig.add_subplot(gs[-1, 0]), "\n".join(lines)
        _style.caption_strip(ax, text, _GREEN, fontsize=11)
    return fig


def conventions_at(image, kernel, top, left):
    """Convolution and correlation over one window, for comparison.

    Parameters
    ----------
    image, kernel : array_like, shapes (H, W) and (kH, kW)
    top, left : int
        The image pixel under the window's top-left cell.

    Returns
    -------
    Conventions
        :class:`PixelSum` of ``v(top + kH - 1, left + kW - 1)``, ``l(top, left)``
        and ``l'(top, left)`` with ``k' = rot180(k)``.
    """
    img, ker = as_map(image, "image"), as_map(kernel, "kernel")
    (H, W), (kH, kW) = img.shape, ker.shape
    at = _point((top, left), (1 - kH, 1 - kW), (H - 1, W - 1), ("top", "left"))
    conv = pixel_sum(img, ker, (at[0] + kH - 1, at[1] + kW - 1))
    corr = pixel_sum(img, ker, at, convention="correlation")
    rot = {"convention": "correlation", "names": ("i", "k'", "l'")}
    return Conventions((conv, corr, pixel_sum(img, ker[::-1, ::-1], at, **rot)))


class Conventions(tuple, Picture):
    """Pixels of :func:`pixel_sum`, drawn one under the other, titled."""

    frames = property(lambda self: (self,))

    def overview(self):
        return _pixel_rows(self, titled=True)


@dataclass(frozen=True)
class FullValid(Picture):
    """The full output and its valid block (see :func:`full_valid`)."""

    slide: Slide
    origin: tuple
    undefined: np.ndarray
    valid: np.ndarray
    valid_start: tuple
    at: tuple = ()

    frames = property(lambda self: self.slide.frames)
    shift = property(lambda self: self.seed(self.valid_start))
    cost = property(lambda self: self.slide.cost)
    panel_size = property(lambda p: _size(p.slide.grid, 1, 2, 1, 0.3))

    def seed(self, out):
        """The source post's coordinates of the full output's index ``out``."""
        return (out[0] - self.origin[0], out[1] - self.origin[1])

    def where(self, f, sep, undefined=", undefined"):
        """``undefined``, or ``sep`` and the valid pixel frame ``f`` fills."""
        if self.undefined[f.out]:
            return undefined
        x, y = np.subtract(f.out, self.valid_start)
        return f"{sep}{self.slide.names[2]}_valid[{x}, {y}]"

    def layout(self, strip=True):
        s, Wv = self.slide, self.valid.shape[1]
        widths = [s.grid.shape[1] + 1, s.output.shape[1] + 1, max(Wv, 3) + 1]
        return _layout(widths, s.grid.shape[0] + 1.6, [[0, 1, 2]] * strip)

    def draw(self, axes, k):
        f, off = self.frames[k], "   (window on padding: undefined)"
        text = f"{self.slide.names[2]}{self.seed(f.out)} = "
        text += sum_caption(f.values, f.weights, f.total)
        _draw_fv(axes, self, [k], text + self.where(f, "   \u2192   ", off))

    def panel(self, ax, k):
        """The padded image with one window, titled with the pixel's value."""
        f = self.frames[-1 if k is None else k]
        title = f"{self.slide.names[2]}{self.seed(f.out)} = {_style.fmt_value(f.total)}"
        title, bad = title + self.where(f, "\n= "), self.undefined[f.out]
        on_grid(ax, self.slide, f, weights=False, fontsize=11)
        ax.set_title(title, fontsize=11, color="0.45" if bad else _GREEN, pad=3)

    def overview(self):
        (x0, y0), Wf = self.origin, self.slide.output.shape[1]
        ks = [(x + x0) * Wf + y + y0 for x, y in self.at]
        return _draw_fv(self.layout(strip=False)[1], self, ks, None)


def full_valid(image, kernel, *, convention="convolution", at=()):
    """The full output, its undefined pixels and the valid block, frame by frame.

    Parameters
    ----------
    image, kernel : array_like, shapes (H, W) and (kH, kW), kH <= H, kW <= W
    convention : {'convolution', 'correlation'}
    at : sequence of (int, int)
        Pixels whose windows the finished picture draws.

    Returns
    -------
    FullValid
        ``slide`` of mode 'full'; ``origin``, the full index of pixel (0, 0);
        ``undefined`` (H + kH - 1, W + kW - 1), the window partly on padding;
        ``valid`` (H - kH + 1, W - kW + 1), from full index ``valid_start``.
    """
    img, ker = as_map(image, "image"), as_map(kernel, "kernel")
    check_flag(convention, "convention", CONVENTIONS)
    (H, W), (kH, kW) = img.shape, ker.shape
    if kH > H or kW > W:
        raise ValueError(f"kernel {ker.shape} must fit in image {img.shape}")
    names = _NAMES[convention]
    s = slide(img, ker, convention=convention, mode="full", names=names)
    cells = windows(s.grid.shape, ker.shape)
    undefined = s.padding_mask[cells[..., 0], cells[..., 1]].any(axis=(2, 3))
    o = (0, 0) if convention == "convolution" else (kH - 1, kW - 1)
    last = (H + kH - 2 - o[0], W + kW - 2 - o[1])
    at = tuple(_point(a, (-o[0], -o[1]), last) for a in at)
    valid = s.output[kH - 1 : H, kW - 1 : W].copy()
    return FullValid(s, o, undefined, valid, (kH - 1, kW - 1), at)


def _draw_fv(axes, fv, ks, caption):
    """The padded image with windows ``ks``; the full output; the valid block."""
    s, (ax_g, ax_f, ax_v) = fv.slide, axes[:3]
    (Hg, Wg), (Hf, Wf), (Hv, Wv) = s.grid.shape, s.output.shape, fv.valid.shape
    kH, kW = s.kernel.shape
    draw_array(ax_g, s.grid, "o", padding=s.padding_mask)
    _labels(ax_g, (Hg, Wg), (1 - kH, 1 - kW), f"{s.names[0]}, zeros around it")
    shown, current = filled(s, ks[0] if caption else len(s.frames) - 1)
    current[:] = False
    for f in (s.frames[k] for k in ks):
        draw_window(ax_g, *f.cells[0, 0], kH, kW, "w", weights=f.weights)
        current[f.out] = True
    v0 = fv.valid_start
    draw_array(ax_f, shown, "c", shade=current)
    name = f"full output {s.names[2]}(x, y)"
    _labels(ax_f, (Hf, Wf), (-fv.origin[0], -fv.origin[1]), name)
    _style.hatch(ax_f, fv.undefined & ~np.isnan(shown))
    _box(ax_f, fv.origin, s.image.shape, "black", ls="--", lw=1.5)
    _box(ax_f, v0, (Hv, Wv), _GREEN, lw=3)
    block = slice(v0[0], v0[0] + Hv), slice(v0[1], v0[1] + Wv)
    title = f"{s.names[2]}_valid"
    opts = {"shade": current[block], "index": True, "title": title}
    draw_array(ax_v, shown[block], "c", **opts)
    _box(ax_v, (0, 0), (Hv, Wv), _GREEN, lw=3)
    for ax, w in ((ax_g, Wg), (ax_f, Wf), (ax_v, max(Wv, 3))):
        ax.set(xlim=(-0.7, w + 0.3), ylim=(Hg + 0.1, -1.5))
    if caption:
        _style.caption_strip(axes[3], caption, _GREEN)
    return ax_g.figure


@dataclass(frozen=True)
class PaddingPicture(Picture):
    """A padded image and where its cells come from (see :func:`padding_picture`)."""

    image: np.ndarray
    boundary: str
    pads: tuple
    grid: np.ndarray
    mask: np.ndarray
    source: np.ndarray
    window: object = None

    frames = property(lambda self: (self,))
    panel_size = property(lambda p: _size(p.grid, 1.0, 1.6))

    def cost(self):
        return 1, self.grid.size

    def panel(self, ax, k):
        """The padded image, each copy labelled with its source; the window."""
        (top, _, left, _), ps = self.pads, self.window
        draw_array(ax, self.grid, "o", padding=self.mask, fontsize=11)
        _box(ax, (top, left), self.image.shape, role_colour("o"))
        for r, c in np.argwhere(self.mask & (self.source[..., 0] >= 0)):
            text = "{},{}".format(*self.source[r, c])
            _text(ax, c + 0.07, r + 0.05, text, 9, "0.3", ha="left", va="top")
        title = f"boundary='{self.boundary}'" if any(self.pads) else "the image"
        if ps is not None:
            cells = ps.cells + (top, left)
            draw_window(ax, *cells[0, 0], *ps.kernel.shape, weights=ps.weights)
            for sx, sy in self.source[tuple(cells[~ps.inside].T)]:
                at = (top + sx + 0.08, left + sy + 0.08)
                if sx >= 0:  # the pixel a padding cell copies: dotted
                    _box(ax, at, (0.84, 0.84), role_colour("w"), lw=1.8, ls=":")
            title += f":  {ps.label} = {_style.fmt_value(ps.total)}"
        _labels(ax, self.grid.shape, (-top, -left), title, size=11)
        H, W = self.grid.shape
        ax.set(xlim=(-0.8, W + 0.1), ylim=(H + 0.1, -1.2))


def padding_picture(image, boundary, pads, *, window=None):
    """The image with its padding, and the image pixel each padding cell copies.

    Parameters
    ----------
    image : array_like, shape (H, W)
    boundary : {'fill', 'wrap', 'symm'}
    pads : int or (int, int)
        Rows and columns added on each side.
    window : PixelSum, optional
        From :func:`pixel_sum` on this image with this boundary.

    Returns
    -------
    PaddingPicture
        ``grid`` (H + 2 ph, W + 2 pw) as ``np.pad`` pads, ``mask`` its
        padding, ``pads`` (top, bottom, left, right), ``source`` (grid.shape
        + (2,)) the image pixel each cell holds, (-1, -1) for 'fill'.
    """
    img = as_map(image, "image")
    check_flag(boundary, "boundary", BOUNDARIES)
    (H, W), (ph, pw) = img.shape, pair(pads, "pads", 0)
    check_size(1, (H + 2 * ph) * (W + 2 * pw), "this padding")
    grid = pad(img, ph, pw, boundary)
    mask = pad(np.zeros((H, W)), ph, pw, "fill", 1.0) == 1
    source = np.moveaxis(pad(np.indices((H, W)), ph, pw, boundary, -1), 0, -1)
    if (ps := window) is not None:
        if not isinstance(ps, PixelSum):
            raise TypeError(f"window must be a PixelSum, got {type(ps)}")
        cells = ps.cells + (ph, pw)
        fits = ((cells >= 0) & (cells < grid.shape)).all()
        if not (fits and np.array_equal(ps.values, grid[tuple(cells.T)].T)):
            msg = f"a pixel_sum of this image with {boundary=} in the grid"
            raise ValueError(f"window must be {msg}, got {ps.label}")
    pads = (ph, ph, pw, pw)
    return PaddingPicture(img, boundary, pads, grid, mask, source, window)


@dataclass(frozen=True)
class SameSides(Picture):
    """Mode 'same' of both conventions (see :func:`same_sides`)."""

    convolution: Slide
    correlation: Slide

    frames = property(lambda self: self.convolution.frames)
    panel_size = property(lambda p: _size(p.convolution.grid, 1.5, 2.5, 2))

    def cost(self):
        return len(self.frames), 2 * self.convolution.cost()[1]

    def layout(self):
        s = self.convolution
        widths = [s.grid.shape[1] + 1, s.output.shape[1] + 1] * 2
        rows = s.grid.shape[0] + 1.7
        return _layout(widths, rows, [[0, 1], [2, 3]], 2.5, 0.5)

    def draw(self, axes, k):
        """Both at output pixel ``k``: window, output so far, sum."""
        for j, s in enumerate((self.convolution, self.correlation)):
            a_g, a_o, a_t = axes[2 * j], axes[2 * j + 1], axes[4 + j]
            f, (Hg, Wg), Wo = s.frames[k], s.grid.shape, s.output.shape[1]
            on_grid(a_g, s, f)
            sides = zip(s.pads, ("top", "bottom", "left", "right"), strict=True)
            sides = ", ".join(f"{n} {side}" for n, side in sides if n)
            title = f"{s.convention}: padded {sides or 'nowhere'}"
            _labels(a_g, (Hg, Wg), (-s.pads[0], -s.pads[2]), title)
            shown, current = filled(s, k)
            title = f"{s.names[2]} 'same'"
            draw_array(a_o, shown, "c", shade=current, index=True, title=title)
            caption = sum_caption(f.values, f.weights, f.total)
            caption = f"{caption}  \u2192  {pixel(s, f)}"
            _style.caption_strip(a_t, caption, _GREEN)
            for ax, w in ((a_g, Wg), (a_o, Wo)):
                ax.set(xlim=(-0.7, w + 0.3), ylim=(Hg + 0.1, -1.5))

    def panel(self, ax, k):
        """The two padded grids with their windows, each pixel's value."""
        Hg, Wg = self.convolution.grid.shape
        for n, s in enumerate((self.convolution, self.correlation)):
            f, x = s.frames[-1 if k is None else k], n * (Wg + 1.5)
            on_grid(ax, s, f, origin=(0, x))
            text = f"{s.convention}:\n{pixel(s, f, True)}"
            _text(ax, x + Wg / 2, -0.3, text, 11, va="bottom")
        ax.set_ylim(Hg + 0.1, -1.9)


def same_sides(image, kernel):
    """Where each pixel of mode 'same' takes its window, for both conventions.

    Parameters
    ----------
    image, kernel : array_like, shapes (H, W) and (kH, kW)

    Returns
    -------
    SameSides
        ``convolution`` and ``correlation``: :func:`cnnlit.plot.slide`, mode
        'same' (even kernels: padded top/left, bottom/right).
    """
    same = [
        slide(image, kernel, mode="same", convention=c, names=n)
        for c, n in _NAMES.items()
    ]
    return SameSides(*same)
