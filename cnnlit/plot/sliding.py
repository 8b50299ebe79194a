"""The window engine of the pictures: a kernel laid over a grid at one position
per output pixel (rotated by 180 degrees for a convolution), frame by frame."""

from dataclasses import dataclass

import numpy as np

from .._checks import BOUNDARIES, CONVENTIONS, MODES, check_flag, pair
from ..conv import conv_output_shape
from ..padding import pad
from . import _style
from ._core import Picture, as_map, check_size
from ._style import draw_array, draw_window, fmt_value, sum_caption

__all__ = ["WindowFrame", "Slide", "slide"]


@dataclass(frozen=True)
class WindowFrame:
    """One frame: pixel ``out`` is ``total`` = ``products.sum()``, the grid's
    ``values`` in ``cells`` (kH, kW, 2) times the ``weights`` laid (kH, kW)."""

    out: tuple
    cells: np.ndarray
    values: np.ndarray
    weights: np.ndarray
    products: np.ndarray
    total: float


@dataclass(frozen=True)
class Slide(Picture):
    """Every frame of a window sliding over a grid (see :func:`slide`)."""

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
        shapes = np.array(
            [self.grid.shape, self.kernel.shape, self.output.shape]
        )
        return _style.panels_over_strip(list(shapes[:, 1]), shapes[:, 0].max())

    def draw(self, axes, k):
        f, (g, kname, oname), r = self.frames[k], self.names, self.roles
        ax_g, ax_k, ax_o, ax_t = axes
        padded = " (padded)" if self.padding_mask.any() else ""
        on_grid(ax_g, self, f, title=g + padded, index=True)
        conv = self.convention == "convolution"
        title = f"rot180({kname}), as laid" if conv else kname
        draw_array(ax_k, self.laid, r[1], index=True, title=title)
        shown, current = filled(self, k)
        draw_array(ax_o, shown, r[2], index=True, title=oname, shade=current)
        draw_window(ax_o, *f.out, 1, 1, r[1])
        caption = sum_caption(f.values, f.weights, f.total)
        text = f"{caption}   \u2192   {pixel(self, f)}"
        _style.caption_strip(ax_t, text, _style.role_colour(r[2]))

    def panel(self, ax, k):
        f = self.frames[-1 if k is None else k]
        on_grid(ax, self, f, title=pixel(self, f, value=True))

    def cost(self):
        return len(self.frames), self.grid.size + 2 * self.kernel.size

    @property
    def panel_size(self):
        H, W = self.grid.shape
        return 0.45 * W + 0.5, 0.45 * H + 0.9


def pad_sides(a, pads, boundary, fillvalue=0.0):
    """``a`` padded by (top, bottom, left, right): :func:`cnnlit.padding.pad`, cut."""
    top, bottom, left, right = pads
    ph, pw = max(top, bottom), max(left, right)
    grid = pad(np.asarray(a, float), ph, pw, boundary, fillvalue)
    H, W = grid.shape
    return grid[ph - top : H - ph + bottom, pw - left : W - pw + right].copy()


def windows(grid_shape, kernel_shape, stride=(1, 1), dilation=(1, 1)):
    """The window engine: ``cells[i, j, p, q]`` (shape (H_out, W_out, kH, kW,
    2)) is the grid cell under tap ``(p, q)`` for output pixel ``(i, j)``."""
    (kH, kW), (sH, sW), (dH, dW) = kernel_shape, stride, dilation
    Ho, Wo = conv_output_shape(
        *grid_shape, kH, kW, stride=(sH, sW), dilation=(dH, dW)
    )
    i, j, p, q = np.ogrid[:Ho, :Wo, :kH, :kW]
    return np.stack(np.broadcast_arrays(sH * i + dH * p, sW * j + dW * q), -1)


def _pads(shape, kshape, mode, padding, steps, convention):
    """(top, bottom, left, right): ``padding`` on each side, or scipy's mode
    (an even kernel's extra row before for a convolution, else after)."""
    if mode is None:
        return tuple(np.repeat(pair(padding, "padding", 0), 2).tolist())
    check_flag(mode, "mode", MODES)
    if steps != (1, 1, 1, 1):
        raise ValueError(f"mode={mode!r} takes stride=1 and dilation=1")
    if mode == "valid" and (np.array(kshape) > shape).any():
        raise ValueError(f"kernel {kshape} larger than image {shape}")
    t = (np.array(kshape) - 1) * {"valid": 0, "same": 1, "full": 2}[mode]
    a = (t + (convention == "convolution")) // 2  # rows, columns before
    return tuple(np.stack([a, t - a], axis=1).ravel().tolist())


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
    image, kernel : array_like, shapes (H, W) and (kH, kW)
    convention : {'convolution', 'correlation'}
    mode : {'valid', 'same', 'full'} or None
        scipy's modes (stride and dilation 1); None: ``padding``.
    padding, stride, dilation : int or (int, int)
    boundary, fillvalue
        As in :func:`cnnlit.padding.pad`.
    roles, names : (str, str, str)
        Colour roles and symbols of grid, kernel and output.

    Returns
    -------
    Slide
        ``image`` padded by ``pads`` (top, bottom, left, right) is ``grid``,
        ``padding_mask`` its padding; ``laid`` the kernel as laid; a
        :class:`WindowFrame` per pixel of ``output`` (``convolve2d(image,
        kernel, mode)``, or the one-channel ``conv_forward``) in ``frames``.
    """
    img, ker = as_map(image, "image"), as_map(kernel, "kernel")
    check_flag(convention, "convention", CONVENTIONS)
    check_flag(boundary, "boundary", BOUNDARIES)
    st, dil = pair(stride, "stride", 1), pair(dilation, "dilation", 1)
    pads = _pads(img.shape, ker.shape, mode, padding, st + dil, convention)
    Hg, Wg = img.shape[0] + pads[0] + pads[1], img.shape[1] + pads[2] + pads[3]
    Ho, Wo = conv_output_shape(Hg, Wg, *ker.shape, stride=st, dilation=dil)
    check_size(Ho * Wo, Hg * Wg + 2 * ker.size + Ho * Wo, "this slide")
    grid = pad_sides(img, pads, boundary, float(fillvalue))
    mask = pad_sides(np.zeros(img.shape), pads, "fill", 1.0) == 1
    cells = windows(grid.shape, ker.shape, st, dil)
    laid = (ker[::-1, ::-1] if convention == "convolution" else ker).copy()
    values = grid[cells[..., 0], cells[..., 1]]
    products = values * laid
    output = products.sum(axis=(2, 3))
    frames = tuple(
        WindowFrame(o, cells[o], values[o], laid.copy(), products[o], float(t))
        for o, t in np.ndenumerate(output)
    )
    data = (img, grid, mask, pads, ker, laid, output, frames, convention)
    return Slide(*data, boundary, st, dil, tuple(roles), tuple(names))


def pixel(s, f, value=False):
    """'c[i, j]', the output pixel of frame ``f``, with ' = total' if ``value``."""
    name = f"{s.names[2]}[{f.out[0]}, {f.out[1]}]"
    return f"{name} = {fmt_value(f.total)}" if value else name


def filled(s, k):
    """The output as far as frame ``k`` (NaN after), and frame ``k``'s pixel."""
    shown = np.full(s.output.shape, np.nan)
    for f in s.frames[: k + 1]:
        shown[f.out] = f.total
    current = np.zeros(s.output.shape, bool)
    current[s.frames[k].out] = True
    return shown, current


def on_grid(ax, s, f, *, weights=True, **kw):
    """The padded grid of ``s`` with frame ``f``'s window; ``kw`` to draw_array."""
    draw_array(ax, s.grid, s.roles[0], padding=s.padding_mask, **kw)
    w, o = (f.weights if weights else None), kw.get("origin", (0, 0))
    cells = None if s.dilation == (1, 1) else f.cells  # dilated: tap by tap
    args = (ax, *f.cells[0, 0], *s.kernel.shape, s.roles[1])
    draw_window(*args, origin=o, weights=w, cells=cells)
