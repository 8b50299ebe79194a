"""Pictures of the forward pass: convolution, correlation and padding.

Four pictures, each a *data* function (the numbers the picture shows, taken
frame by frame from :func:`cnnlit.plot.slide` or computed with plain loops
from the definitions) and drawing functions that draw that data and nothing
else:

- :func:`pixel_sum`: one output pixel of the source post's
  convolution :math:`v(x, y)` or correlation :math:`l(x, y)`: the window over
  the image, the kernel as it is laid on it (rotated by 180 degrees for a
  convolution), the products and their sum. :func:`conventions_at` puts convolution and correlation over the same
  window side by side.
- :func:`full_valid`: the full output in the source post's coordinates,
  its undefined pixels (the window lies partly on padding) and the valid block,
  which a convolution stores shifted by :math:`N_k - 1`.
- :func:`padding_picture`: the border that ``'fill'``,
  ``'wrap'`` and ``'symm'`` add around an image, and which image pixel each
  padding cell copies.
- :func:`same_sides`: where each pixel of mode ``'same'`` takes its
  window, for a convolution and a correlation side by side (an even kernel
  pads one side only, top/left for the one, bottom/right for the other).

Each returns a :class:`cnnlit.plot.Picture`, shown with
:func:`cnnlit.plot.show`, :func:`cnnlit.plot.animate` and
:func:`cnnlit.plot.multiples`. The chapters :ref:`convolution`,
:ref:`correlation` and :ref:`padding` assert these numbers against the package
and then draw them.
"""

from dataclasses import dataclass

import numpy as np
from matplotlib import pyplot as plt
from matplotlib.patches import Rectangle

from .._checks import BOUNDARIES, CONVENTIONS, check_flag
from ._core import DPI, Picture, as_map, check_size
from ._style import (
    caption_strip,
    draw_array,
    draw_window,
    fmt_value,
    hatch,
    index_labels,
    role_colour,
    signed,
    sum_caption,
)
from .sliding import Slide, pad_sides, slide

__all__ = [
    "pixel_sum",
    "conventions_at",
    "full_valid",
    "padding_picture",
    "same_sides",
]

_SEED_NAMES = {"convolution": ("i", "k", "v"), "correlation": ("i", "k", "l")}


# ---------------------------------------------------------------- checks


def _image_kernel(image, kernel):
    return as_map(image, "image"), as_map(kernel, "kernel")


def _names(names, convention):
    return _SEED_NAMES[convention] if names is None else tuple(names)


def _integer(value, name):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got {value!r}")
    return int(value)


# ------------------------------------------------------- one output pixel


@dataclass(frozen=True)
class PixelSum(Picture):
    """The numbers of one output pixel of the source post's convolution or correlation.

    Attributes
    ----------
    image : ndarray, shape (H, W)
        The image :math:`i`.
    kernel : ndarray, shape (kH, kW)
        The kernel :math:`k`, as given.
    convention : {'convolution', 'correlation'}
    at : (int, int)
        The pixel ``(x, y)`` in the source post's coordinates: :math:`v(x, y)` or
        :math:`l(x, y)` (the index of the full output of ``convolve2d``; for
        ``correlate2d`` the full output's index is ``at + (kH - 1, kW - 1)``).
    cells : ndarray of int, shape (kH, kW, 2)
        The image pixels under the window, row by row (they may lie outside
        the image, at negative indices or past its last row and column).
    taps : ndarray of int, shape (kH, kW, 2)
        ``taps[p, q]`` is the index ``(x_k, y_k)`` of the kernel entry laid on
        ``cells[p, q]``: ``(kH - 1 - p, kW - 1 - q)`` for a convolution (the
        kernel rotated by 180 degrees), ``(p, q)`` for a correlation.
    values : ndarray, shape (kH, kW)
        The image's values in ``cells`` (the boundary's value outside it).
    weights : ndarray, shape (kH, kW)
        ``kernel[taps]``: the kernel as laid over the window.
    products : ndarray, shape (kH, kW)
        ``values * weights``.
    total : float
        ``products.sum()``, the pixel's value.
    inside : ndarray of bool, shape (kH, kW)
        True where ``cells`` lies in the image.
    terms : tuple of (int, int, int, int, float, float, float)
        The source post's sum term by term, in the order of the kernel index:
        ``(x_k, y_k, row, col, value, weight, product)``.
    names : (str, str, str)
        Symbols of image, kernel and output (``('i', 'k', 'v')``).
    """

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
    names: tuple

    @property
    def defined(self):
        """True when the whole window lies in the image."""
        return bool(self.inside.all())

    frames = property(lambda self: (self,))

    def overview(self):
        """Window, kernel, kernel as laid, products, sum; the source post's sum."""
        return _pixel_figure(self)


def pixel_sum(
    image, kernel, at, *, convention="convolution", boundary="fill", names=None
):
    r"""One pixel of the source post's convolution or correlation, term by term.

    Parameters
    ----------
    image : array_like, shape (H, W)
        The image :math:`i`.
    kernel : array_like, shape (kH, kW)
        The kernel :math:`k`.
    at : (int, int)
        The pixel ``(x, y)`` in the source post's coordinates, anywhere the kernel
        touches the image: :math:`0 \le x \le H + k_H - 2` for a convolution
        :math:`v(x, y) = \sum i(x - x_k, y - y_k)\, k(x_k, y_k)`, and
        :math:`-(k_H - 1) \le x \le H - 1` for a correlation
        :math:`l(x, y) = \sum i(x + x_k, y + y_k)\, k(x_k, y_k)`.
    convention : {'convolution', 'correlation'}
    boundary : {'fill', 'wrap', 'symm'}
        What the image holds outside its edges (zeros, itself repeated, its
        mirror image).
    names : (str, str, str), optional
        Symbols of image, kernel and output; ``('i', 'k', 'v')`` for a
        convolution, ``('i', 'k', 'l')`` for a correlation.

    Returns
    -------
    PixelSum
        Taken from the frame of :func:`cnnlit.plot.slide` (mode ``'full'``)
        that computes the pixel; ``total`` equals
        ``convolve2d(image, kernel)[x, y]`` (or
        ``correlate2d(image, kernel)[x + kH - 1, y + kW - 1]``).

    Examples
    --------
    >>> i = [[3, 1, 0, 2], [1, 4, 2, 0], [0, 2, 5, 1], [2, 0, 1, 3]]
    >>> p = pixel_sum(i, [[1, 2], [-1, 0]], (1, 1))
    >>> p.weights, p.total
    (array([[ 0., -1.],
           [ 2.,  1.]]), 5.0)
    >>> p.terms[0]  # i(1, 1) k(0, 0)
    (0, 0, 1, 1, 4.0, 1.0, 4.0)
    """
    img, ker = _image_kernel(image, kernel)
    check_flag(convention, "convention", CONVENTIONS)
    check_flag(boundary, "boundary", BOUNDARIES)
    names = _names(names, convention)
    if not isinstance(at, (tuple, list)) or len(at) != 2:
        raise TypeError(f"at must be a pair of ints (x, y), got {at!r}")
    x, y = (_integer(v, "at") for v in at)
    (H, W), (kH, kW) = img.shape, ker.shape
    lo = (0, 0) if convention == "convolution" else (-(kH - 1), -(kW - 1))
    hi = (lo[0] + H + kH - 2, lo[1] + W + kW - 2)
    if not (lo[0] <= x <= hi[0] and lo[1] <= y <= hi[1]):
        raise ValueError(
            f"at must lie where the kernel touches the image, x in "
            f"[{lo[0]}, {hi[0]}] and y in [{lo[1]}, {hi[1]}] for a "
            f"{convention} of {img.shape} with {ker.shape}; got {(x, y)}"
        )
    s = slide(img, ker, convention=convention, mode="full", boundary=boundary)
    f = s.frames[(x - lo[0]) * s.output.shape[1] + (y - lo[1])]
    cells = f.cells - np.array([s.pads[0], s.pads[2]])
    taps = np.zeros((kH, kW, 2), dtype=int)
    for p in range(kH):
        for q in range(kW):
            taps[p, q] = (
                (kH - 1 - p, kW - 1 - q)
                if convention == "convolution"
                else (p, q)
            )
    inside = (
        (cells[..., 0] >= 0)
        & (cells[..., 0] < H)
        & (cells[..., 1] >= 0)
        & (cells[..., 1] < W)
    )
    terms = []
    for xk in range(kH):
        for yk in range(kW):
            p, q = (
                (kH - 1 - xk, kW - 1 - yk)
                if convention == "convolution"
                else (xk, yk)
            )
            r, c = (int(v) for v in cells[p, q])
            terms.append(
                (
                    xk,
                    yk,
                    r,
                    c,
                    float(f.values[p, q]),
                    float(f.weights[p, q]),
                    float(f.products[p, q]),
                )
            )
    return PixelSum(
        img,
        ker,
        convention,
        (x, y),
        cells,
        taps,
        f.values.copy(),
        f.weights.copy(),
        f.products.copy(),
        f.total,
        inside,
        tuple(terms),
        names,
    )


def _pixel_label(ps):
    return f"{ps.names[2]}({ps.at[0]}, {ps.at[1]})"


def _pixel_equations(ps):
    """The source post's sum for this pixel: symbols (short kernels only), numbers."""
    g, kname, _ = ps.names
    numbers = " + ".join(
        f"{fmt_value(t[4])}\u00b7{signed(t[5])}" for t in ps.terms
    )
    numbers = f"{numbers} = {fmt_value(ps.total)}"
    if len(ps.terms) > 4:
        return [f"{_pixel_label(ps)} = {numbers}"]
    symbols = " + ".join(
        f"{g}({t[2]}, {t[3]})\u00b7{kname}({t[0]}, {t[1]})" for t in ps.terms
    )
    return [f"{_pixel_label(ps)} = {symbols}", f"= {numbers}"]


def _pixel_axes(fig, spec, ps):
    """Five panels in ``spec``: image, kernel, kernel as laid, products, sum."""
    W, kW = ps.image.shape[1], ps.kernel.shape[1]
    cols = np.concatenate([[0, W - 1], ps.cells[..., 1].ravel()])
    width = cols.max() - cols.min() + 1
    gs = spec.subgridspec(
        1, 5, width_ratios=[width + 1, kW + 1, kW + 1, kW + 1, 2.2], wspace=0.15
    )
    return [fig.add_subplot(gs[0, c]) for c in range(5)]


def _draw_pixel(axes, ps, *, fontsize=None):
    """Draw ``ps`` on five axes (see :meth:`PixelSum.overview`)."""
    ax_i, ax_k, ax_l, ax_p, ax_s = axes
    g, kname, _ = ps.names
    (H, W), (kH, kW) = ps.image.shape, ps.kernel.shape
    wc = role_colour("w")
    # the image, with the window's cells outside it drawn as padding
    draw_array(ax_i, ps.image, "o", index=True, title=g, fontsize=fontsize)
    for (p, q), inside in np.ndenumerate(ps.inside):
        if not inside:
            r, c = ps.cells[p, q]
            draw_array(
                ax_i,
                [[ps.values[p, q]]],
                "o",
                origin=(r, c),
                padding=[[True]],
                fontsize=fontsize,
            )
    top, left = ps.cells[0, 0]
    draw_window(ax_i, top, left, kH, kW, "w", weights=ps.weights)
    r0 = min(0, ps.cells[..., 0].min())
    r1 = max(H, ps.cells[..., 0].max() + 1)
    c0 = min(0, ps.cells[..., 1].min())
    c1 = max(W, ps.cells[..., 1].max() + 1)
    ax_i.set_xlim(c0 - 0.6, c1 + 0.1)
    ax_i.set_ylim(r1 + 0.1, r0 - 1.3)
    # the kernel as given, and as laid on the window
    draw_array(ax_k, ps.kernel, "w", index=True, title=kname, fontsize=fontsize)
    how = "rotated 180\u00b0" if ps.convention == "convolution" else "as it is"
    draw_array(
        ax_l, ps.weights, "w", title=f"{kname} laid, {how}", fontsize=fontsize
    )
    for (p, q), _ in np.ndenumerate(ps.weights):
        xk, yk = ps.taps[p, q]
        ax_l.text(
            q + 0.5,
            p + 0.95,
            f"{kname}({xk},{yk})",
            ha="center",
            va="bottom",
            fontsize=7,
            color=wc,
        )
    # the products and their sum
    draw_array(ax_p, ps.products, "c", title="products", fontsize=fontsize)
    for (p, q), v in np.ndenumerate(ps.values):
        ax_p.text(
            q + 0.5,
            p + 0.95,
            f"{fmt_value(v)}\u00b7{signed(ps.weights[p, q])}",
            ha="center",
            va="bottom",
            fontsize=7,
            color=role_colour("c"),
        )
    draw_array(
        ax_s,
        [[ps.total]],
        "c",
        title="sum",
        shade=[[True]],
        fontsize=fontsize,
        origin=((kH - 1) / 2, 0.5),
    )
    ax_s.text(
        1.0,
        (kH - 1) / 2 + 1.15,
        _pixel_label(ps),
        ha="center",
        va="top",
        fontsize=11,
        color=role_colour("c"),
    )
    for ax in (ax_k, ax_l, ax_p):
        ax.set_xlim(-0.6, kW + 0.3)
        ax.set_ylim(max(r1 - r0, kH) + 0.1, -1.3)
    ax_s.set_xlim(0, 2.2)
    ax_s.set_ylim(max(r1 - r0, kH) + 0.1, -1.3)


def _pixel_figure(ps):
    """Five panels: the image (blue) with the orange window and the laid
    kernel's values written small in its cells (window cells outside the
    image drawn as grey padding); the kernel; the kernel as laid, each cell
    labelled with the kernel entry it holds; the products, each labelled with
    its two factors; the sum. Under them the source post's sum, term by term."""
    (H, W), (kH, kW) = ps.image.shape, ps.kernel.shape
    span_r = max(H, ps.cells[..., 0].max() + 1) - min(0, ps.cells[..., 0].min())
    span_c = max(W, ps.cells[..., 1].max() + 1) - min(0, ps.cells[..., 1].min())
    lines = _pixel_equations(ps)
    cell = 0.42
    height = cell * (max(span_r, kH) + 1.4)
    fig = plt.figure(
        figsize=(
            max(6.8, cell * 1.15 * (span_c + 3 * kW + 7.2)),
            height + 0.35 * len(lines) + 0.2,
        ),
        dpi=DPI,
    )
    top = 1 - 0.05 / (height + 0.35 * len(lines))
    gs = fig.add_gridspec(
        2,
        1,
        height_ratios=[height, 0.35 * len(lines)],
        left=0.02,
        right=0.98,
        top=top,
        bottom=0.02,
        hspace=0.05,
    )
    axes = _pixel_axes(fig, gs[0, 0], ps)
    _draw_pixel(axes, ps)
    ax_t = fig.add_subplot(gs[1, 0])
    ax_t.set_axis_off()
    for n, line in enumerate(lines):
        ax_t.text(
            0.5,
            1 - (n + 0.5) / len(lines),
            line,
            ha="center",
            va="center",
            fontsize=11,
            color=role_colour("c"),
            transform=ax_t.transAxes,
        )
    return fig


def conventions_at(image, kernel, top, left, *, boundary="fill"):
    """Convolution and correlation over the same window, for comparison.

    Parameters
    ----------
    image : array_like, shape (H, W)
    kernel : array_like, shape (kH, kW)
    top, left : int
        The image pixel under the window's top-left cell.
    boundary : {'fill', 'wrap', 'symm'}

    Returns
    -------
    Conventions
        A picture of three :class:`PixelSum` (it unpacks into them): the
        convolution with ``kernel`` (pixel ``v(top + kH - 1, left + kW
        - 1)``), the correlation with ``kernel`` (pixel ``l(top, left)``) and
        the correlation with the kernel rotated by 180 degrees, named ``k'``
        (pixel ``l'(top, left)``). The first and the last lay the same
        weights on the window and have the same sum; the middle one lays
        the kernel turned around.

    Examples
    --------
    >>> i = [[3, 1, 0, 2], [1, 4, 2, 0], [0, 2, 5, 1], [2, 0, 1, 3]]
    >>> conv, corr, corr_rot = conventions_at(i, [[1, 2], [-1, 0]], 0, 0)
    >>> conv.at, conv.total, corr.at, corr.total, corr_rot.total
    ((1, 1), 5.0, (0, 0), 4.0, 5.0)
    """
    img, ker = _image_kernel(image, kernel)
    top, left = _integer(top, "top"), _integer(left, "left")
    kH, kW = ker.shape
    conv = pixel_sum(
        img,
        ker,
        (top + kH - 1, left + kW - 1),
        convention="convolution",
        boundary=boundary,
    )
    corr = pixel_sum(
        img, ker, (top, left), convention="correlation", boundary=boundary
    )
    turned = ker[::-1, ::-1].copy()
    corr_rot = pixel_sum(
        img,
        turned,
        (top, left),
        convention="correlation",
        boundary=boundary,
        names=("i", "k'", "l'"),
    )
    return Conventions((conv, corr, corr_rot))


@dataclass(frozen=True)
class Conventions(Picture):
    """Pixels of :func:`pixel_sum` drawn one under the other, titled.

    Attributes
    ----------
    pixels : tuple of PixelSum
    """

    pixels: tuple

    frames = property(lambda self: (self,))

    def __iter__(self):
        return iter(self.pixels)

    def overview(self):
        """One row per pixel (image and window, kernel, kernel as laid,
        products, sum), each titled with its operation and its sum."""
        return _conventions_figure(self.pixels)


def _conventions_figure(pixels):
    cell = 0.42
    spans, kws = [], []
    for ps in pixels:
        (H, W), kW = ps.image.shape, ps.kernel.shape[1]
        spans.append(
            max(H, ps.cells[..., 0].max() + 1) - min(0, ps.cells[..., 0].min())
        )
        kws.append(
            max(W, ps.cells[..., 1].max() + 1)
            - min(0, ps.cells[..., 1].min())
            + 3 * kW
        )
    row_h = cell * (max(spans) + 1.4)
    gap = 0.5
    height = (row_h + gap) * len(pixels)
    fig = plt.figure(
        figsize=(max(6.8, cell * 1.15 * (max(kws) + 7.2)), height), dpi=DPI
    )
    gs = fig.add_gridspec(
        len(pixels),
        1,
        left=0.02,
        right=0.98,
        top=1 - gap / height,
        bottom=0.01,
        hspace=gap / row_h,
    )
    for n, ps in enumerate(pixels):
        axes = _pixel_axes(fig, gs[n, 0], ps)
        _draw_pixel(axes, ps)
        what = ps.convention + f" of {ps.names[0]} with {ps.names[1]}"
        eq = sum_caption(
            [t[4] for t in ps.terms], [t[5] for t in ps.terms], ps.total
        )
        axes[0].set_title(
            f"{what}:  {_pixel_label(ps)} = {eq}",
            loc="left",
            fontsize=11,
            color=role_colour("c"),
            pad=18,
        )
    return fig


# ----------------------------------------------- full output, valid block


@dataclass(frozen=True)
class FullValid(Picture):
    """The full output in the source post's coordinates and its valid block.

    Attributes
    ----------
    slide : Slide
        Every frame of the kernel sliding over the image padded by
        ``(kH - 1, kW - 1)`` on each side (mode ``'full'``), row by row.
    origin : (int, int)
        The full index of the source post's pixel ``(0, 0)``: ``(0, 0)`` for a
        convolution, ``(kH - 1, kW - 1)`` for a correlation (whose full output
        starts at ``x = -(kH - 1)``).
    undefined : ndarray of bool, shape (H + kH - 1, W + kW - 1)
        True where the window lies partly on the padding: the pixel needs
        image values that do not exist.
    valid : ndarray, shape (H - kH + 1, W - kW + 1)
        The pixels computed from the image alone, what mode ``'valid'``
        returns. ``valid[0, 0]`` is the full output's ``[kH - 1, kW - 1]``,
        the source post's pixel ``(kH - 1, kW - 1) - origin``.
    valid_start : (int, int)
        ``(kH - 1, kW - 1)``, the full index of ``valid[0, 0]``.
    at : tuple of (int, int)
        Pixels (the source post's coordinates) whose windows the finished picture draws.
    """

    slide: Slide
    origin: tuple
    undefined: np.ndarray
    valid: np.ndarray
    valid_start: tuple
    at: tuple = ()

    frames = property(lambda self: self.slide.frames)

    def cost(self):
        return self.slide.cost()

    def layout(self):
        return _fv_layout(self, with_strip=True)

    def draw(self, axes, k):
        """The window on the padded image, the full output filled so far
        (undefined pixels hatched), the valid output, the pixel's sum."""
        done = np.zeros(self.slide.output.shape, bool)
        for f in self.slide.frames[: k + 1]:
            done[f.out] = True
        _draw_fv(axes, self, [k], done)
        caption_strip(axes[3], _fv_caption(self, k), role_colour("c"))

    def panel(self, ax, k):
        _fv_panel(self, ax, k)

    @property
    def panel_size(self):
        side = 0.3 * max(self.slide.grid.shape) + 0.1
        return side + 0.2, side + 0.5

    def overview(self):
        """The padded image with the windows of ``at``; the full output,
        labelled with the source post's coordinates, undefined pixels hatched and
        the valid block outlined in green; the valid output."""
        fig, axes = _fv_layout(self, with_strip=False)
        _draw_fv(axes, self, [_frame_of(self, a) for a in self.at], None)
        return fig

    @property
    def shift(self):
        """The source post's coordinates of ``valid[0, 0]`` (the hidden shift)."""
        return (
            self.valid_start[0] - self.origin[0],
            self.valid_start[1] - self.origin[1],
        )

    def seed(self, out):
        """The source post's coordinates of full index ``out``."""
        return (out[0] - self.origin[0], out[1] - self.origin[1])


def full_valid(image, kernel, *, convention="convolution", names=None, at=()):
    """The full output, its undefined pixels and the valid block, frame by frame.

    Parameters
    ----------
    image : array_like, shape (H, W)
    kernel : array_like, shape (kH, kW)
        At most as large as the image along each axis.
    convention : {'convolution', 'correlation'}
    names : (str, str, str), optional
        Symbols of image, kernel and output (``('i', 'k', 'v')`` or
        ``('i', 'k', 'l')``).
    at : sequence of (int, int)
        Pixels in the source post's coordinates whose windows the finished picture
        (:func:`cnnlit.plot.show` with no frame) draws.

    Returns
    -------
    FullValid
        ``slide.output`` equals ``convolve2d(image, kernel, 'full')`` (or
        ``correlate2d``), ``valid`` the mode ``'valid'`` output, and
        ``undefined`` is False exactly on the valid block.

    Examples
    --------
    >>> i = [[3, 1, 0, 2], [1, 4, 2, 0], [0, 2, 5, 1], [2, 0, 1, 3]]
    >>> fv = full_valid(i, [[1, 2], [-1, 0]])
    >>> float(fv.valid[0, 0]), fv.shift, int(fv.undefined.sum())
    (5.0, (1, 1), 16)
    """
    img, ker = _image_kernel(image, kernel)
    check_flag(convention, "convention", CONVENTIONS)
    names = _names(names, convention)
    (H, W), (kH, kW) = img.shape, ker.shape
    if kH > H or kW > W:
        raise ValueError(
            f"kernel must fit in the image for a valid block; got kernel "
            f"{ker.shape} and image {img.shape}"
        )
    s = slide(img, ker, convention=convention, mode="full", names=names)
    undefined = np.zeros(s.output.shape, bool)
    for f in s.frames:
        undefined[f.out] = bool(
            s.padding_mask[f.cells[..., 0], f.cells[..., 1]].any()
        )
    valid = s.output[kH - 1 : H, kW - 1 : W].copy()
    origin = (0, 0) if convention == "convolution" else (kH - 1, kW - 1)
    Hf, Wf = s.output.shape
    pixels = []
    for a in at:
        if (
            not isinstance(a, (tuple, list))
            or len(a) != 2
            or not all(isinstance(v, (int, np.integer)) for v in a)
        ):
            raise TypeError(f"at must hold pairs of ints (x, y), got {a!r}")
        if not (0 <= a[0] + origin[0] < Hf and 0 <= a[1] + origin[1] < Wf):
            raise ValueError(f"at: pixel {tuple(a)} is outside the full output")
        pixels.append((int(a[0]), int(a[1])))
    return FullValid(
        s, origin, undefined, valid, (kH - 1, kW - 1), tuple(pixels)
    )


def _title(ax, text, width, fontsize=12, top=0):
    """A title above the index labels of :func:`_seed_indices` (grid row ``top``)."""
    ax.text(
        width / 2, top - 0.65, text, ha="center", va="bottom", fontsize=fontsize
    )


def _outline(ax, top, left, height, width, colour, *, ls="-", lw=2.5):
    # matplotlib's Rectangle takes (x, y) = (column, row), then width, height
    ax.add_patch(
        Rectangle(
            (left, top),
            width,
            height,
            fill=False,
            edgecolor=colour,
            linestyle=ls,
            linewidth=lw,
            zorder=4,
        )
    )


def _fv_layout(fv, *, with_strip):
    s = fv.slide
    Wg = s.grid.shape[1]
    Hg = s.grid.shape[0]
    Wf = s.output.shape[1]
    Wv = fv.valid.shape[1]
    cell = 0.42
    widths = [Wg + 1, Wf + 1, max(Wv, 3) + 1]
    height = Hg + 1.6
    strip = 0.55 if with_strip else 0.0
    fig = plt.figure(
        figsize=(cell * (sum(widths) + 2), cell * height + strip + 0.1),
        dpi=DPI,
    )
    gs = fig.add_gridspec(
        2 if with_strip else 1,
        3,
        width_ratios=widths,
        height_ratios=[cell * height, strip] if with_strip else None,
        wspace=0.12,
        hspace=0.02,
        left=0.01,
        right=0.99,
        top=0.99,
        bottom=0.01,
    )
    axes = [fig.add_subplot(gs[0, c]) for c in range(3)]
    if with_strip:
        axes.append(fig.add_subplot(gs[1, :]))
    return fig, axes


def _draw_fv(axes, fv, frames, done):
    """Grid with the windows of ``frames``; full output (``done`` pixels,
    all if None); valid output."""
    s = fv.slide
    if done is None:
        done = np.ones(s.output.shape, bool)
    g, _, oname = s.names
    Hg, Wg = s.grid.shape
    Hf, Wf = s.output.shape
    Hv, Wv = fv.valid.shape
    kH, kW = s.kernel.shape
    ax_g, ax_f, ax_v = axes[:3]
    cc = role_colour("c")
    # the padded image, in the image's coordinates
    draw_array(ax_g, s.grid, "o", padding=s.padding_mask)
    _title(ax_g, f"{g}, zeros around it", Wg)
    index_labels(ax_g, Hg, Wg, (-(kH - 1), -(kW - 1)))
    for k in frames:
        f = s.frames[k]
        draw_window(
            ax_g,
            f.cells[0, 0, 0],
            f.cells[0, 0, 1],
            kH,
            kW,
            "w",
            weights=f.weights,
        )
    # the full output, in the source post's coordinates
    shown = np.where(done, s.output, np.nan)
    current = np.zeros(done.shape, bool)
    for k in frames:
        current[s.frames[k].out] = True
    draw_array(ax_f, shown, "c", shade=current)
    _title(ax_f, f"full output {oname}(x, y)", Wf)
    hatch(ax_f, fv.undefined & done)
    index_labels(ax_f, Hf, Wf, (-fv.origin[0], -fv.origin[1]))
    H, W = s.image.shape
    _outline(ax_f, fv.origin[0], fv.origin[1], H, W, "black", ls="--", lw=1.5)
    _outline(ax_f, fv.valid_start[0], fv.valid_start[1], Hv, Wv, cc, lw=3)
    # the valid output, stored from index 0
    vdone = done[
        fv.valid_start[0] : fv.valid_start[0] + Hv,
        fv.valid_start[1] : fv.valid_start[1] + Wv,
    ]
    vcur = current[
        fv.valid_start[0] : fv.valid_start[0] + Hv,
        fv.valid_start[1] : fv.valid_start[1] + Wv,
    ]
    draw_array(
        ax_v,
        np.where(vdone, fv.valid, np.nan),
        "c",
        shade=vcur,
        index=True,
        title=f"{oname}_valid",
    )
    _outline(ax_v, 0, 0, Hv, Wv, cc, lw=3)
    for ax in (ax_g, ax_f, ax_v):
        ax.set_ylim(Hg + 0.1, -1.5)
    ax_g.set_xlim(-0.7, Wg + 0.3)
    ax_f.set_xlim(-0.7, Wf + 0.3)
    ax_v.set_xlim(-0.7, max(Wv, 3) + 0.3)


def _fv_caption(fv, k):
    s = fv.slide
    f = s.frames[k]
    x, y = fv.seed(f.out)
    oname = s.names[2]
    head = f"{oname}({x}, {y}) = {sum_caption(f.values, f.weights, f.total)}"
    if fv.undefined[f.out]:
        return head + "   (window on padding: undefined)"
    vx, vy = f.out[0] - fv.valid_start[0], f.out[1] - fv.valid_start[1]
    return head + f"   \u2192   {oname}_valid[{vx}, {vy}]"


def _frame_of(fv, at):
    """The frame index of the source post's pixel ``at``."""
    Wf = fv.slide.output.shape[1]
    return (at[0] + fv.origin[0]) * Wf + at[1] + fv.origin[1]


def _fv_panel(fv, ax, k):
    """The padded image with one window, titled with the pixel's value:
    green with the valid index it is stored at, grey with "undefined"."""
    s = fv.slide
    f = s.frames[-1 if k is None else k]
    x, y = fv.seed(f.out)
    oname = s.names[2]
    title = f"{oname}({x}, {y}) = {fmt_value(f.total)}"
    if fv.undefined[f.out]:
        title, colour = title + ", undefined", "0.45"
    else:
        vx, vy = f.out[0] - fv.valid_start[0], f.out[1] - fv.valid_start[1]
        title, colour = (
            title + f"\n= {oname}_valid[{vx}, {vy}]",
            role_colour("c"),
        )
    draw_array(ax, s.grid, "o", padding=s.padding_mask, fontsize=11)
    kH, kW = s.kernel.shape
    draw_window(ax, f.cells[0, 0, 0], f.cells[0, 0, 1], kH, kW, "w", lw=2.5)
    ax.set_title(title, fontsize=11, color=colour, pad=3)


# ------------------------------------------------------------- padding


@dataclass(frozen=True)
class PaddingPicture(Picture):
    """An image with the border a boundary rule adds, and where it comes from.

    Attributes
    ----------
    image : ndarray, shape (H, W)
    boundary : {'fill', 'wrap', 'symm'}
    pads : (int, int, int, int)
        Rows and columns added (top, bottom, left, right).
    grid : ndarray, shape (H + top + bottom, W + left + right)
        The padded image; ``grid[top + x, left + y]`` is the image extended
        to pixel ``(x, y)``.
    mask : ndarray of bool, shape like ``grid``
        True on the padding cells.
    source : ndarray of int, shape grid.shape + (2,)
        For each cell, the image pixel it holds: itself inside the image, the
        pixel a ``'wrap'`` or ``'symm'`` padding cell copies, ``(-1, -1)`` for
        a ``'fill'`` padding cell (a constant, copied from nowhere).
    fillvalue : float
    window : PixelSum or None
        A pixel whose window the picture draws.
    """

    image: np.ndarray
    boundary: str
    pads: tuple
    grid: np.ndarray
    mask: np.ndarray
    source: np.ndarray
    fillvalue: float
    window: object = None

    frames = property(lambda self: (self,))

    def cost(self):
        return 1, self.grid.size

    @property
    def panel_size(self):
        H, W = self.grid.shape
        return 0.4 * (W + 1.0), 0.4 * (H + 1.6)

    def panel(self, ax, k):
        """The image (blue, outlined) in its padding (grey, dashed), rows and
        columns labelled with the image's coordinates, each copied padding
        cell labelled with the pixel it copies; the window, if any."""
        _draw_padding_panel(ax, self)

    def overview(self):
        fig, ax = plt.subplots(figsize=self.panel_size, dpi=DPI)
        self.panel(ax, None)
        return fig


def _pads4(pads):
    if isinstance(pads, (int, np.integer)) and not isinstance(pads, bool):
        p = (int(pads),) * 4
    elif (
        isinstance(pads, (tuple, list))
        and len(pads) in (2, 4)
        and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool)
            for v in pads
        )
    ):
        p = tuple(int(v) for v in pads)
        if len(p) == 2:
            p = (p[0], p[0], p[1], p[1])
    else:
        raise TypeError(
            "pads must be an int, (rows, cols) or (top, bottom, left, right), "
            f"got {pads!r}"
        )
    if min(p) < 0:
        raise ValueError(f"pads must be >= 0, got {pads!r}")
    return p


def padding_picture(image, boundary, pads, *, fillvalue=0.0, window=None):
    """The image with its padding, and the image pixel each padding cell copies.

    Parameters
    ----------
    image : array_like, shape (H, W)
    boundary : {'fill', 'wrap', 'symm'}
        ``'fill'``: the constant ``fillvalue``; ``'wrap'``: the image repeated
        periodically, pixel ``(x mod H, y mod W)``; ``'symm'``: the image
        mirrored with its edge pixel repeated (period ``2H``).
    pads : int, (int, int) or (int, int, int, int)
        Rows and columns added on each side, ``(rows, cols)`` on both sides,
        or ``(top, bottom, left, right)``.
    fillvalue : float
        The constant of ``'fill'``.
    window : PixelSum, optional
        From :func:`pixel_sum` on the same image with the same boundary: its
        window is drawn with the kernel's laid values, the image pixels that
        its padding cells copy are outlined dotted, and its value is written
        in the title.

    Returns
    -------
    PaddingPicture
        Padded by :func:`cnnlit.padding.pad`; ``grid`` equals
        ``np.pad(image, ((top, bottom), (left, right)), mode)`` with mode
        ``'constant'``, ``'wrap'`` or ``'symmetric'``.

    Examples
    --------
    >>> pp = padding_picture([[1, 2, 3]], "symm", (0, 0, 2, 1))
    >>> pp.grid
    array([[2., 1., 1., 2., 3., 3.]])
    >>> pp.source[0, 0], pp.source[0, 5]
    (array([0, 1]), array([0, 2]))
    """
    img = as_map(image, "image")
    check_flag(boundary, "boundary", BOUNDARIES)
    top, bottom, left, right = _pads4(pads)
    H, W = img.shape
    if boundary == "wrap" and (max(top, bottom) > H or max(left, right) > W):
        raise ValueError(
            f"pads must be at most the image's size {img.shape} for 'wrap' "
            f"(as in scipy), got {(top, bottom, left, right)}"
        )
    check_size(1, (H + top + bottom) * (W + left + right), "this padding")
    pads = (top, bottom, left, right)
    grid = pad_sides(img, pads, boundary, float(fillvalue))
    mask = pad_sides(np.zeros((H, W)), pads, "fill", 1.0) == 1
    # the pixel each cell copies: the indices, padded by the same rule
    rows, cols = np.indices((H, W))
    source = np.stack(
        [
            pad_sides(rows, pads, boundary, -1),
            pad_sides(cols, pads, boundary, -1),
        ],
        axis=-1,
    ).astype(int)
    if window is not None:
        _check_window(window, img, grid, pads, boundary)
    return PaddingPicture(
        img,
        boundary,
        (top, bottom, left, right),
        grid,
        mask,
        source,
        float(fillvalue),
        window,
    )


def _check_window(ps, img, grid, pads, boundary):
    if not isinstance(ps, PixelSum):
        raise TypeError(f"window must be a PixelSum, got {type(ps).__name__}")
    r0, c0 = ps.cells[0, 0] + (pads[0], pads[2])
    r1, c1 = ps.cells[-1, -1] + (pads[0], pads[2])
    if not np.array_equal(ps.image, img):
        raise ValueError("window must be taken on the same image")
    if r0 < 0 or c0 < 0 or r1 >= grid.shape[0] or c1 >= grid.shape[1]:
        raise ValueError(
            f"window: {_pixel_label(ps)} leaves the padded grid of "
            f"boundary={boundary!r}"
        )
    if not np.array_equal(ps.values, grid[r0 : r1 + 1, c0 : c1 + 1]):
        raise ValueError(
            f"window: {_pixel_label(ps)} was not taken with boundary="
            f"{boundary!r} (its window holds other values)"
        )


def _draw_padding_panel(ax, pp):
    """One picture, its image's pixel (0, 0) drawn at cell (top, left)."""
    ps = pp.window
    top, _, left, _ = pp.pads
    origin, size = (top, left), pp.grid.shape
    H, W = pp.image.shape
    Hp, Wp = pp.grid.shape
    r0, c0 = origin[0] - top, origin[1] - left  # where grid[0, 0] is drawn
    draw_array(ax, pp.grid, "o", padding=pp.mask, fontsize=11, origin=(r0, c0))
    index_labels(ax, Hp, Wp, (-top, -left), fontsize=8, origin=(r0, c0))
    _outline(ax, origin[0], origin[1], H, W, role_colour("o"), lw=2.5)
    for (r, c), m in np.ndenumerate(pp.mask):
        if m and pp.source[r, c, 0] >= 0:
            sx, sy = pp.source[r, c]
            ax.text(
                c0 + c + 0.07,
                r0 + r + 0.05,
                f"{sx},{sy}",
                ha="left",
                va="top",
                fontsize=9,
                color="0.3",
            )
    title = f"boundary='{pp.boundary}'" if any(pp.pads) else "the image"
    if ps is not None:
        kH, kW = ps.kernel.shape
        wr, wc = ps.cells[0, 0]
        draw_window(
            ax, origin[0] + wr, origin[1] + wc, kH, kW, "w", weights=ps.weights
        )
        # the image pixels that the window's padding cells copy, dotted
        for (p, q), inside in np.ndenumerate(ps.inside):
            r, c = ps.cells[p, q] + (top, left)
            sx, sy = pp.source[r, c]
            if not inside and sx >= 0:
                ax.add_patch(
                    Rectangle(
                        (origin[1] + sy + 0.08, origin[0] + sx + 0.08),
                        0.84,
                        0.84,
                        fill=False,
                        edgecolor=role_colour("w"),
                        linewidth=1.8,
                        linestyle=":",
                        zorder=5,
                    )
                )
        title += f":  {_pixel_label(ps)} = {fmt_value(ps.total)}"
    _title(ax, title, size[1], fontsize=11, top=r0)
    ax.set_xlim(-0.8, size[1] + 0.1)
    ax.set_ylim(size[0] + 0.1, -1.2)


# ------------------------------------------------- 'same': which side


@dataclass(frozen=True)
class SameSides(Picture):
    """Mode ``'same'`` of a convolution and a correlation with one kernel.

    Attributes
    ----------
    convolution, correlation : Slide
        The frames of :func:`cnnlit.plot.slide` with ``mode='same'``. For a
        kernel of even size the padding differs: ``convolution.pads`` puts
        the extra row and column on the top and left, ``correlation.pads``
        on the bottom and right.
    """

    convolution: Slide
    correlation: Slide

    frames = property(lambda self: self.convolution.frames)

    def cost(self):
        return len(self.frames), 2 * self.convolution.cost()[1]

    def layout(self):
        return _same_layout(self)

    def draw(self, axes, k):
        """Both conventions at output pixel ``k``: the padded image with the
        window, the 'same' output filled so far, the sum under each."""
        size = _same_size(self)
        _draw_same(axes[0], axes[1], self.convolution, k, size)
        _draw_same(axes[2], axes[3], self.correlation, k, size)
        for ax, s in ((axes[4], self.convolution), (axes[5], self.correlation)):
            caption = sum_caption(
                s.frames[k].values, s.frames[k].weights, s.frames[k].total
            )
            out = s.frames[k].out
            caption_strip(
                ax,
                f"{caption}  \u2192  {s.names[2]}[{out[0]}, {out[1]}]",
                role_colour("c"),
            )

    @property
    def panel_size(self):
        Hg, Wg = _same_size(self)
        return 0.4 * (2 * Wg + 1.5), 0.4 * (Hg + 2.5)

    def panel(self, ax, k):
        """The two padded grids side by side with their windows, titled with
        the pixel's value under each convention."""
        size = _same_size(self)
        for n, s in enumerate((self.convolution, self.correlation)):
            f = s.frames[-1 if k is None else k]
            y0 = n * (size[1] + 1.5)
            draw_array(ax, s.grid, "o", padding=s.padding_mask, origin=(0, y0))
            kH, kW = s.kernel.shape
            draw_window(
                ax,
                f.cells[0, 0, 0],
                y0 + f.cells[0, 0, 1],
                kH,
                kW,
                "w",
                weights=f.weights,
            )
            ax.text(
                y0 + s.grid.shape[1] / 2,
                -0.3,
                f"{s.convention}:\n{s.names[2]}[{f.out[0]}, {f.out[1]}] = {fmt_value(f.total)}",
                ha="center",
                va="bottom",
                fontsize=11,
            )
        ax.set_ylim(size[0] + 0.1, -1.9)


def same_sides(image, kernel, *, boundary="fill"):
    """Where each pixel of mode 'same' takes its window, for both conventions.

    Parameters
    ----------
    image : array_like, shape (H, W)
    kernel : array_like, shape (kH, kW)
    boundary : {'fill', 'wrap', 'symm'}

    Returns
    -------
    SameSides
        ``convolution.output`` equals ``convolve2d(image, kernel, 'same',
        boundary)``, ``correlation.output`` equals ``correlate2d(...)``.

    Examples
    --------
    >>> ss = same_sides([[1, 2], [3, 4]], [[1, 1], [0, 1]])
    >>> ss.convolution.pads, ss.correlation.pads
    ((1, 0, 1, 0), (0, 1, 0, 1))
    """
    img, ker = _image_kernel(image, kernel)
    check_flag(boundary, "boundary", BOUNDARIES)
    conv = slide(
        img,
        ker,
        convention="convolution",
        mode="same",
        boundary=boundary,
        names=("i", "k", "v"),
    )
    corr = slide(
        img,
        ker,
        convention="correlation",
        mode="same",
        boundary=boundary,
        names=("i", "k", "l"),
    )
    return SameSides(conv, corr)


def _sides(pads):
    top, bottom, left, right = pads
    parts = [
        f"{n} {side}"
        for n, side in (
            (top, "top"),
            (bottom, "bottom"),
            (left, "left"),
            (right, "right"),
        )
        if n
    ]
    return "padded " + (", ".join(parts) if parts else "nowhere")


def _same_size(ss):
    c, d = ss.convolution.grid.shape, ss.correlation.grid.shape
    return max(c[0], d[0]), max(c[1], d[1])


def _same_layout(ss, with_strip=True):
    Hg, Wg = _same_size(ss)
    Wo = ss.convolution.output.shape[1]
    cell = 0.42
    widths = [Wg + 1, Wo + 1, Wg + 1, Wo + 1]
    strip = 0.5 if with_strip else 0.0
    height = cell * (Hg + 1.7)
    fig = plt.figure(
        figsize=(cell * (sum(widths) + 2.5), height + strip + 0.1), dpi=DPI
    )
    gs = fig.add_gridspec(
        2 if with_strip else 1,
        4,
        width_ratios=widths,
        height_ratios=[height, strip] if with_strip else None,
        wspace=0.12,
        hspace=0.02,
        left=0.01,
        right=0.99,
        top=0.99,
        bottom=0.01,
    )
    axes = [fig.add_subplot(gs[0, k]) for k in range(4)]
    if with_strip:
        axes += [fig.add_subplot(gs[1, 0:2]), fig.add_subplot(gs[1, 2:4])]
    return fig, axes


def _draw_same(ax_g, ax_o, s, k, size):
    f = s.frames[k]
    oname = s.names[2]
    kH, kW = s.kernel.shape
    top, _, left, _ = s.pads
    draw_array(ax_g, s.grid, "o", padding=s.padding_mask)
    _title(ax_g, f"{s.convention}: {_sides(s.pads)}", s.grid.shape[1])
    index_labels(ax_g, *s.grid.shape, (-top, -left))
    draw_window(
        ax_g, f.cells[0, 0, 0], f.cells[0, 0, 1], kH, kW, "w", weights=f.weights
    )
    shown = np.full(s.output.shape, np.nan)
    for frame in s.frames[: k + 1]:
        shown[frame.out] = frame.total
    current = np.zeros(s.output.shape, bool)
    current[f.out] = True
    draw_array(
        ax_o, shown, "c", shade=current, index=True, title=f"{oname} 'same'"
    )
    Hg, Wg = size
    for ax, w in ((ax_g, Wg), (ax_o, s.output.shape[1])):
        ax.set_ylim(Hg + 0.1, -1.5)
        ax.set_xlim(-0.7, w + 0.3)
