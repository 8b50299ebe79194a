"""A window sliding over a grid of numbers: data, frames and drawings.

One picture serves the whole derivation. A kernel (or, in the weight update, a
delta map) is laid over a grid (the input, or the padded deltas) at one
position per output pixel; the numbers under it are multiplied with the
kernel's values *as they are laid* (rotated by 180 degrees for a convolution,
as they are for a correlation), and the sum lands in one output pixel.

:func:`slide` computes exactly those numbers, frame by frame, over the
windows of :func:`windows` (the one window engine of the pictures); a chapter
asserts them against the package and then shows them with
:func:`cnnlit.plot.show`, :func:`cnnlit.plot.animate` or
:func:`cnnlit.plot.multiples`.
"""

from dataclasses import dataclass

import numpy as np

from .._checks import (
    BOUNDARIES,
    CONVENTIONS,
    MODES,
    check_flag,
    pair,
)
from ..conv import conv_output_shape
from ..padding import pad
from ._core import Picture, as_map, check_size
from ._style import (
    caption_strip,
    draw_array,
    draw_window,
    fmt_value,
    panels_over_strip,
    role_colour,
    sum_caption,
)

__all__ = ["WindowFrame", "Slide", "slide"]


@dataclass(frozen=True)
class WindowFrame:
    """What one frame of a sliding window shows.

    Attributes
    ----------
    out : (int, int)
        The output pixel this frame computes.
    cells : ndarray of int, shape (kH, kW, 2)
        The grid cells under the kernel's taps (adjacent unless dilated).
    values : ndarray, shape (kH, kW)
        The grid's values in those cells.
    weights : ndarray, shape (kH, kW)
        The kernel's values laid on them (``rot180(kernel)`` for a convolution).
    products : ndarray, shape (kH, kW)
        ``values * weights``.
    total : float
        ``products.sum()``: the value that lands in ``output[out]``.
    """

    out: tuple
    cells: np.ndarray
    values: np.ndarray
    weights: np.ndarray
    products: np.ndarray
    total: float


@dataclass(frozen=True)
class Slide(Picture):
    """Every frame of a window sliding over a grid, and the output it builds.

    Attributes
    ----------
    image : ndarray, shape (H, W)
        The array given, before padding.
    grid : ndarray, shape (H + top + bottom, W + left + right)
        The array the window moves over: ``image`` with its padding.
    padding_mask : ndarray of bool, shape like ``grid``
        True on the padding cells.
    pads : (int, int, int, int)
        Padding added (top, bottom, left, right).
    kernel : ndarray, shape (kH, kW)
        The kernel given.
    laid : ndarray, shape (kH, kW)
        The kernel as laid over the grid: rotated by 180 degrees for
        ``convention="convolution"``, as given for ``"correlation"``.
    output : ndarray, shape (H_out, W_out)
        ``output[frame.out] = frame.total`` for every frame.
    frames : tuple of WindowFrame
        Row by row, one per output pixel.
    convention, boundary : str
    stride, dilation : (int, int)
    roles : (str, str, str)
        Colour roles (see :data:`cnnlit.plot.ROLES`) of grid, kernel, output.
    names : (str, str, str)
        Symbols written in the titles, e.g. ``("o", "w", "c")``.
    """

    image: np.ndarray
    grid: np.ndarray
    padding_mask: np.ndarray
    pads: tuple
    kernel: np.ndarray
    laid: np.ndarray
    output: np.ndarray
    frames: tuple
    convention: str
    boundary: str
    stride: tuple
    dilation: tuple
    roles: tuple
    names: tuple

    def layout(self):
        return _layout(self)

    def draw(self, axes, k):
        _draw(self, axes, k)

    def panel(self, ax, k):
        _panel(self, ax, k)

    def cost(self):
        return len(self.frames), self.grid.size + 2 * self.kernel.size

    @property
    def panel_size(self):
        H, W = self.grid.shape
        return 0.45 * W + 0.5, 0.45 * H + 0.9


def _mode_pads(mode, kH, kW, convention):
    """(top, bottom, left, right) that scipy's ``mode`` implies for a kernel.

    'full' pads k - 1 on every side. 'same' keeps the size; scipy centres it
    on the full output, which for an even kernel puts the extra row and
    column on the top/left for a convolution and on the bottom/right for a
    correlation.
    """
    if mode == "valid":
        return 0, 0, 0, 0
    if mode == "full":
        return kH - 1, kH - 1, kW - 1, kW - 1
    if convention == "convolution":
        return kH // 2, (kH - 1) // 2, kW // 2, (kW - 1) // 2
    return (kH - 1) // 2, kH // 2, (kW - 1) // 2, kW // 2


def pad_sides(a, pads, boundary, fillvalue=0.0):
    """``a`` padded by (top, bottom, left, right), with :func:`cnnlit.padding.pad`.

    The package pads the same amount on both sides; an uneven padding is the
    larger even one with the surplus rows and columns cut off (the padded
    values depend on the distance from the edge only).
    """
    top, bottom, left, right = pads
    ph, pw = max(top, bottom), max(left, right)
    grid = pad(np.asarray(a, float), ph, pw, boundary, fillvalue)
    H, W = grid.shape
    return grid[ph - top : H - ph + bottom, pw - left : W - pw + right].copy()


def windows(grid_shape, kernel_shape, stride=(1, 1), dilation=(1, 1)):
    """The window engine: the grid cells under every kernel tap, every position.

    Returns ``cells`` of shape ``(H_out, W_out, kH, kW, 2)``: ``cells[i, j, p,
    q]`` is the (row, column) of the grid under tap ``(p, q)`` when the window
    computes output pixel ``(i, j)`` (the *gather* view; the *scatter* view of
    an input cell is every ``(i, j, p, q)`` that lands on it). ``H_out, W_out``
    come from :func:`cnnlit.conv_output_shape`.
    """
    (kH, kW), (sH, sW), (dH, dW) = kernel_shape, stride, dilation
    Ho, Wo = conv_output_shape(
        *grid_shape, kH, kW, stride=(sH, sW), dilation=(dH, dW)
    )
    rows = sH * np.arange(Ho)[:, None] + dH * np.arange(kH)[None, :]
    cols = sW * np.arange(Wo)[:, None] + dW * np.arange(kW)[None, :]
    cells = np.empty((Ho, Wo, kH, kW, 2), int)
    cells[..., 0] = rows[:, None, :, None]
    cells[..., 1] = cols[None, :, None, :]
    return cells


def slide(
    image,
    kernel,
    *,
    convention="convolution",
    mode=None,
    padding=0,
    boundary="fill",
    fillvalue=0.0,
    stride=1,
    dilation=1,
    roles=("o", "w", "c"),
    names=("o", "w", "c"),
):
    """The frames of a kernel sliding over an image, one per output pixel.

    Parameters
    ----------
    image : array_like, shape (H, W)
        The grid the window slides over (e.g. one channel of ``o_prev``, or a
        delta map).
    kernel : array_like, shape (kH, kW)
        What is laid over it (a kernel ``w[m, n]``, or a delta map).
    convention : {'convolution', 'correlation'}
        Whether the kernel is rotated by 180 degrees before it is laid.
    mode : {'valid', 'same', 'full'} or None
        scipy's output modes (stride and dilation must then be 1). None: use
        ``padding`` on each side, as a layer does.
    padding : int or (int, int)
        Rows and columns added on each side when ``mode`` is None.
    boundary : {'fill', 'wrap', 'symm'}
        What the padding holds (zeros or ``fillvalue``, the image repeated,
        its mirror image).
    fillvalue : float
        The constant of ``boundary='fill'``.
    stride, dilation : int or (int, int)
        Step between output pixels; spacing between the kernel's taps.
    roles, names : (str, str, str)
        Colour roles and symbols of grid, kernel and output, for the drawings.

    Returns
    -------
    Slide
        A picture; ``slide(...).output`` equals ``convolve2d(image, kernel,
        mode)`` (or ``correlate2d``) for a scipy mode, and the single-channel
        ``conv_forward`` (without bias) for a layer's padding, stride and
        dilation.

    Examples
    --------
    >>> s = slide([[1, 2, 0], [0, 1, 3]], [[1, 0], [0, 2]])
    >>> s.output
    array([[3., 7.]])
    >>> f = s.frames[0]
    >>> f.values, f.weights, f.total
    (array([[1., 2.],
           [0., 1.]]), array([[2., 0.],
           [0., 1.]]), 3.0)
    """
    img, ker = as_map(image, "image"), as_map(kernel, "kernel")
    check_flag(convention, "convention", CONVENTIONS)
    check_flag(boundary, "boundary", BOUNDARIES)
    sH, sW = pair(stride, "stride", 1)
    dH, dW = pair(dilation, "dilation", 1)
    kH, kW = ker.shape
    if mode is not None:
        check_flag(mode, "mode", MODES)
        if (sH, sW, dH, dW) != (1, 1, 1, 1):
            raise ValueError(
                f"mode={mode!r} takes stride=1 and dilation=1; use padding=... for a layer's geometry"
            )
        if mode == "valid" and (kH > img.shape[0] or kW > img.shape[1]):
            raise ValueError(
                f"kernel {ker.shape} is larger than image {img.shape} in mode 'valid'"
            )
        pads = _mode_pads(mode, kH, kW, convention)
    else:
        ph, pw = pair(padding, "padding", 0)
        pads = (ph, ph, pw, pw)
    Hg, Wg = img.shape[0] + pads[0] + pads[1], img.shape[1] + pads[2] + pads[3]
    span_H, span_W = dH * (kH - 1) + 1, dW * (kW - 1) + 1
    if span_H > Hg or span_W > Wg:
        raise ValueError(
            f"the kernel {ker.shape} (dilation {(dH, dW)}) spans {(span_H, span_W)} cells, "
            f"more than the padded grid {(Hg, Wg)}"
        )
    n_out = ((Hg - span_H) // sH + 1) * ((Wg - span_W) // sW + 1)
    check_size(n_out, Hg * Wg + 2 * ker.size + n_out, "this slide")
    grid = pad_sides(img, pads, boundary, float(fillvalue))
    mask = np.ones(grid.shape, bool)
    mask[pads[0] : pads[0] + img.shape[0], pads[2] : pads[2] + img.shape[1]] = (
        False
    )
    cells = windows(grid.shape, ker.shape, (sH, sW), (dH, dW))
    laid = ker[::-1, ::-1].copy() if convention == "convolution" else ker.copy()
    values = grid[cells[..., 0], cells[..., 1]]
    products = values * laid
    output = products.sum(axis=(2, 3))
    frames = tuple(
        WindowFrame(
            (i, j),
            cells[i, j],
            values[i, j],
            laid.copy(),
            products[i, j],
            float(output[i, j]),
        )
        for i, j in np.ndindex(output.shape)
    )
    return Slide(
        img,
        grid,
        mask,
        pads,
        ker,
        laid,
        output,
        frames,
        convention,
        boundary,
        (sH, sW),
        (dH, dW),
        tuple(roles),
        tuple(names),
    )


def _layout(s):
    """A figure with grid, kernel and output panels above an equation strip."""
    widths = [s.grid.shape[1], s.kernel.shape[1], s.output.shape[1]]
    height = max(s.grid.shape[0], s.kernel.shape[0], s.output.shape[0])
    return panels_over_strip(widths, height)


def _draw(s, axes, k):
    f = s.frames[k]
    g, kname, oname = s.names
    ax_g, ax_k, ax_o, ax_t = axes
    draw_array(
        ax_g,
        s.grid,
        s.roles[0],
        padding=s.padding_mask,
        index=True,
        title=f"{g}" + (" (padded)" if s.padding_mask.any() else ""),
    )
    _window(s, ax_g, f)
    rotated = s.convention == "convolution"
    draw_array(
        ax_k,
        s.laid,
        s.roles[1],
        index=True,
        title=f"rot180({kname}), as laid" if rotated else kname,
    )
    shown = np.full(s.output.shape, np.nan)
    for frame in s.frames[: k + 1]:
        shown[frame.out] = frame.total
    current = np.zeros(s.output.shape, bool)
    current[f.out] = True
    draw_array(ax_o, shown, s.roles[2], index=True, title=oname, shade=current)
    draw_window(ax_o, f.out[0], f.out[1], 1, 1, s.roles[1])
    caption_strip(
        ax_t,
        f"{sum_caption(f.values, f.weights, f.total)}   \u2192   "
        f"{oname}[{f.out[0]}, {f.out[1]}]",
        role_colour(s.roles[2]),
    )


def _window(s, ax, f):
    """The kernel's window on the grid, the laid weights written in it."""
    kH, kW = s.kernel.shape
    draw_window(
        ax,
        f.cells[0, 0, 0],
        f.cells[0, 0, 1],
        kH,
        kW,
        s.roles[1],
        weights=f.weights,
        cells=None if s.dilation == (1, 1) else f.cells,
    )


def _panel(s, ax, k):
    f = s.frames[-1 if k is None else k]
    draw_array(
        ax,
        s.grid,
        s.roles[0],
        padding=s.padding_mask,
        title=f"{s.names[2]}[{f.out[0]}, {f.out[1]}] = {fmt_value(f.total)}",
    )
    _window(s, ax, f)
