"""A window sliding over a grid of numbers: data, frames and drawings.

One picture serves the whole derivation. A kernel (or, in the weight update, a
delta map) is laid over a grid (the input, or the padded deltas) at one
position per output pixel; the numbers under it are multiplied with the
kernel's values *as they are laid* (rotated by 180 degrees for a convolution,
as they are for a correlation), and the sum lands in one output pixel.

:func:`slide` computes exactly those numbers with plain loops, frame by frame;
a chapter asserts them against the package and then draws them with
:func:`animate_slide` (every frame) or
:func:`slide_multiples` (every frame side by side, for print).
"""

from dataclasses import dataclass

import numpy as np

from .._checks import (
    BOUNDARIES,
    CONVENTIONS,
    MODES,
    as_real_array,
    check_flag,
    pair,
)
from ..padding import NP_PAD_MODE
from ._style import (
    animate,
    caption_strip,
    check_picture,
    draw_array,
    draw_window,
    fmt_value,
    frame_index,
    panels_over_strip,
    role_colour,
    small_multiples,
)

__all__ = [
    "WindowFrame",
    "Slide",
    "slide",
    "animate_slide",
    "slide_multiples",
]


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
class Slide:
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


def _pad2(a, pads, boundary, fillvalue):
    top, bottom, left, right = pads
    width = ((top, bottom), (left, right))
    if boundary == "fill":
        return np.pad(a, width, mode="constant", constant_values=fillvalue)
    return np.pad(a, width, mode=NP_PAD_MODE[boundary])


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
    """The frames of a kernel sliding over an image, computed with loops.

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
        ``slide(...).output`` equals ``convolve2d(image, kernel, mode)`` (or
        ``correlate2d``) for a scipy mode, and the single-channel
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
    img = as_real_array(image, "image").astype(float)
    ker = as_real_array(kernel, "kernel").astype(float)
    for arr, name in ((img, "image"), (ker, "kernel")):
        if arr.ndim != 2 or 0 in arr.shape:
            raise ValueError(
                f"{name} must be a non-empty 2-D array, got shape {arr.shape}"
            )
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
    grid = _pad2(img, pads, boundary, float(fillvalue))
    mask = np.ones(grid.shape, bool)
    mask[pads[0] : pads[0] + img.shape[0], pads[2] : pads[2] + img.shape[1]] = (
        False
    )
    span_H, span_W = dH * (kH - 1) + 1, dW * (kW - 1) + 1
    if span_H > grid.shape[0] or span_W > grid.shape[1]:
        raise ValueError(
            f"the kernel {ker.shape} (dilation {(dH, dW)}) spans {(span_H, span_W)} cells, "
            f"more than the padded grid {grid.shape}"
        )
    Ho = (grid.shape[0] - span_H) // sH + 1
    Wo = (grid.shape[1] - span_W) // sW + 1
    laid = ker[::-1, ::-1].copy() if convention == "convolution" else ker.copy()
    output = np.zeros((Ho, Wo))
    frames = []
    for i in range(Ho):
        for j in range(Wo):
            cells = np.zeros((kH, kW, 2), dtype=int)
            values = np.zeros((kH, kW))
            for p in range(kH):
                for q in range(kW):
                    r, c = i * sH + p * dH, j * sW + q * dW
                    cells[p, q] = r, c
                    values[p, q] = grid[r, c]
            products = values * laid
            total = float(products.sum())
            output[i, j] = total
            frames.append(
                WindowFrame((i, j), cells, values, laid.copy(), products, total)
            )
    return Slide(
        img,
        grid,
        mask,
        pads,
        ker,
        laid,
        output,
        tuple(frames),
        convention,
        boundary,
        (sH, sW),
        (dH, dW),
        tuple(roles),
        tuple(names),
    )


def _equation(s, f, max_terms=9):
    """'3·1 + 1·2 + ... = 5  →  c[0, 0]' for a frame (shortened past max_terms)."""
    terms = [
        f"{fmt_value(v)}\u00b7{fmt_value(w) if w >= 0 else '(' + fmt_value(w) + ')'}"
        for v, w in zip(f.values.ravel(), f.weights.ravel(), strict=True)
    ]
    if len(terms) > max_terms:
        body = " + ".join(terms[:4]) + f" + \u2026 ({len(terms)} products)"
    else:
        body = " + ".join(terms)
    return f"{body} = {fmt_value(f.total)}   \u2192   {s.names[2]}[{f.out[0]}, {f.out[1]}]"


def _check_frame(s, k):
    check_picture(s, Slide, "s", "slide")
    return frame_index(k, len(s.frames))


def _layout(s):
    """A figure with grid, kernel and output panels above an equation strip."""
    widths = [s.grid.shape[1], s.kernel.shape[1], s.output.shape[1]]
    height = max(s.grid.shape[0], s.kernel.shape[0], s.output.shape[0])
    cell = 0.55 if max(s.grid.shape) <= 8 else 0.42
    fig, axes = panels_over_strip(
        widths,
        height,
        cell=cell,
        extra=4,
        min_width=6.0,
        title_rows=1.4,
        strip=0.8,
        wspace=0.25,
    )
    return fig, axes


def _draw(axes, s, k):
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
    top, left = f.cells[0, 0]
    kH, kW = s.kernel.shape
    dense = s.dilation == (1, 1)
    draw_window(
        ax_g,
        top,
        left,
        kH,
        kW,
        s.roles[1],
        weights=f.weights,
        cells=None if dense else f.cells,
    )
    flip = (
        " (rotated 180\u00b0 on the grid)"
        if s.convention == "convolution"
        else " (laid as it is)"
    )
    draw_array(
        ax_k,
        s.kernel,
        s.roles[1],
        index=True,
        title=kname + flip,
        fontsize=None,
    )
    shown = np.full(s.output.shape, np.nan)
    done = np.zeros(s.output.shape, bool)
    for frame in s.frames[: k + 1]:
        shown[frame.out] = frame.total
        done[frame.out] = True
    current = np.zeros(s.output.shape, bool)
    current[f.out] = True
    draw_array(ax_o, shown, s.roles[2], index=True, title=oname, shade=current)
    draw_window(ax_o, f.out[0], f.out[1], 1, 1, s.roles[1])
    for ax in (ax_g, ax_k, ax_o):
        ax.set_xlim(
            -0.6,
            max(s.grid.shape[1], s.kernel.shape[1], s.output.shape[1]) + 0.1,
        )
        ax.set_ylim(
            max(s.grid.shape[0], s.kernel.shape[0], s.output.shape[0]) + 0.1,
            -1.3,
        )
    ax_k.set_xlim(-0.6, max(s.kernel.shape[1], 2) + 0.1)
    ax_o.set_xlim(-0.6, max(s.output.shape[1], 2) + 0.1)
    caption_strip(ax_t, _equation(s, f), role_colour(s.roles[2]))
    ax_t.set_xlim(0, 1)


def animate_slide(s, *, interval=900):
    """Every frame of ``s`` as a :class:`matplotlib.animation.FuncAnimation`.

    Show it in a notebook with :func:`cnnlit.plot.animation_html`.
    """
    if not isinstance(s, Slide):
        raise TypeError(
            f"s must be a Slide (from cnnlit.plot.slide), got {type(s).__name__}"
        )
    fig, axes = _layout(s)
    return animate(
        fig, lambda k: _draw(axes, s, k), len(s.frames), interval=interval
    )


def slide_multiples(s, frames=None, *, ncols=4):
    """The frames side by side: the grid with the window, titled with its sum.

    The static twin of :func:`animate_slide`, from the same data.
    """
    if not isinstance(s, Slide):
        raise TypeError(
            f"s must be a Slide (from cnnlit.plot.slide), got {type(s).__name__}"
        )
    frames = (
        range(len(s.frames))
        if frames is None
        else [_check_frame(s, k) for k in frames]
    )
    kH, kW = s.kernel.shape

    def draw(ax, k):
        f = s.frames[k]
        draw_array(
            ax,
            s.grid,
            s.roles[0],
            padding=s.padding_mask,
            title=f"{s.names[2]}[{f.out[0]}, {f.out[1]}] = {fmt_value(f.total)}",
        )
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
        ax.set_ylim(s.grid.shape[0] + 0.1, -0.9)

    side = 0.5 * max(s.grid.shape) + 0.6
    return small_multiples(
        draw, frames, ncols=ncols, panel_size=(side, side + 0.3)
    )
