"""Pictures of stride: the forward pass skips positions, the backward pass
dilates the deltas.

A layer with stride :math:`s` computes the stride-1 output and keeps every
:math:`s`-th row and column. Its backward pass is the stride-1 backward pass
of a delta that has :math:`s - 1` zeros inserted between its pixels (and, when
the floor of the output size dropped the last windows, zero rows and columns
appended): the input gradient is then the full correlation of that *dilated*
delta with the kernel (the full convolution for ``convention="correlation"``).

The forward picture needs nothing new: :func:`cnnlit.plot.slide` with
``stride=2`` already moves the window two cells at a time. For the backward
picture, :func:`strided_backward` builds the dilated delta and the frames of the kernel sliding over it, with plain
loops; a chapter asserts its output against ``conv_backward``'s
``dE_do_prev`` and shows it with :func:`cnnlit.plot.show` (the dilation, by default) or
:func:`cnnlit.plot.multiples` (the frames).
"""

import dataclasses
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from matplotlib import pyplot as plt
from matplotlib.patches import FancyArrowPatch

from .._checks import CONVENTIONS, check_flag, pair
from ._core import DPI, Picture, as_map
from ._style import draw_array, role_colour
from .sliding import Slide, slide

__all__ = [
    "StridedBackward",
    "strided_backward",
]


@dataclass(frozen=True)
class StridedBackward(Picture):
    """The input gradient of a strided layer, as a window over dilated deltas.

    Attributes
    ----------
    delta : ndarray, shape (H_out, W_out)
        The deltas given.
    stride : (int, int)
    padding : (int, int)
    dilated : ndarray, shape (H_1, W_1)
        ``delta`` with ``stride - 1`` zeros inserted between its pixels; ``H_1`` is
        the stride-1 output height of the padded input.
    inserted : ndarray of bool, shape (H_1, W_1)
        The inserted zeros.
    slide : Slide
        The kernel sliding over ``dilated`` padded by ``k - 1`` zeros on
        each side (a full correlation for ``convention="convolution"``, a full
        convolution for ``"correlation"``); its ``padding_mask`` marks the
        inserted zeros as well as the border, so both draw as padding.
    dE_do_padded : ndarray, shape (H + 2 p_H, W + 2 p_W)
        ``slide.output``: the gradient with respect to the padded input.
    dE_do : ndarray, shape (H, W)
        The gradient with respect to the input: ``dE_do_padded`` without its
        ``padding`` border (zero padding: the border holds no pixel).
    convention : str
        The forward pass's convention.
    """

    delta: np.ndarray
    stride: tuple
    padding: tuple
    dilated: np.ndarray
    inserted: np.ndarray
    slide: Slide
    dE_do_padded: np.ndarray
    dE_do: np.ndarray
    convention: str

    # the frames are those of the kernel sliding over the dilated deltas
    frames = property(lambda self: self.slide.frames)
    panel_size = property(lambda self: self.slide.panel_size)

    def layout(self):
        return self.slide.layout()

    def draw(self, axes, k):
        self.slide.draw(axes, k)

    def panel(self, ax, k):
        self.slide.panel(ax, k)

    def cost(self):
        return self.slide.cost()

    def overview(self):
        """The delta, the same delta dilated, and the grid the kernel slides
        over (padded by ``k - 1`` zeros on each side)."""
        return _draw_dilation(self)


def strided_backward(
    delta, kernel, stride, input_shape, *, padding=0, convention="convolution"
):
    """dE/do of a strided, zero-padded layer, frame by frame, with loops.

    Parameters
    ----------
    delta : array_like, shape (H_out, W_out)
        The deltas of the layer's output (one unit, one example).
    kernel : array_like, shape (kH, kW)
        The layer's kernel ``w[m, n]``.
    stride : int or (int, int)
    input_shape : (int, int)
        The shape ``(H, W)`` of the layer's input, which the output shape
        alone does not determine (with stride 2 and a 3x3 kernel both 7x7 and
        8x8 give a 3x3 output).
    padding : int or (int, int)
        Zero padding on each side in the forward pass (``boundary="fill"``).
    convention : {'convolution', 'correlation'}
        The forward pass's convention. The backward pass slides the kernel
        *as it is* for the source post's convolution (a full correlation) and
        rotated for ``"correlation"`` (a full convolution).

    Returns
    -------
    StridedBackward
        ``dE_do`` equals ``conv_backward(delta, o_prev, w, stride=stride,
        padding=padding, convention=convention)[2]`` for one unit.

    Examples
    --------
    >>> sb = strided_backward([[1, 2], [3, 4]], [[1, 0], [0, 1]], 2, (4, 4))
    >>> sb.dE_do
    array([[1., 0., 2., 0.],
           [0., 1., 0., 2.],
           [3., 0., 4., 0.],
           [0., 3., 0., 4.]])
    """
    delta = as_map(delta, "delta")
    kernel = as_map(kernel, "kernel")
    check_flag(convention, "convention", CONVENTIONS)
    sH, sW = pair(stride, "stride", 1)
    ph, pw = pair(padding, "padding", 0)
    if (
        not isinstance(input_shape, (tuple, list))
        or len(input_shape) != 2
        or not all(
            isinstance(v, (int, np.integer)) and v >= 1 for v in input_shape
        )
    ):
        raise TypeError(
            f"input_shape must be a pair of positive ints (H, W), got {input_shape!r}"
        )
    H, W = int(input_shape[0]), int(input_shape[1])
    kH, kW = kernel.shape
    Hp, Wp = H + 2 * ph, W + 2 * pw
    if kH > Hp or kW > Wp:
        raise ValueError(
            f"kernel {kernel.shape} does not fit the padded input {(Hp, Wp)}"
        )
    H1, W1 = Hp - kH + 1, Wp - kW + 1  # the stride-1 output
    expected = ((H1 - 1) // sH + 1, (W1 - 1) // sW + 1)
    if delta.shape != expected:
        raise ValueError(
            f"delta must have the output shape {expected} of a {(H, W)} input with kernel "
            f"{kernel.shape}, stride {(sH, sW)} and padding {(ph, pw)}; got shape {delta.shape}"
        )
    dilated = np.zeros((H1, W1))
    dilated[::sH, ::sW] = delta
    inserted = np.ones((H1, W1), bool)
    inserted[::sH, ::sW] = False
    backward = "correlation" if convention == "convolution" else "convolution"
    s = slide(
        dilated,
        kernel,
        convention=backward,
        mode="full",
        roles=("delta", "w", "grad"),
        names=("\u03b4 dilated", "w", "dE/do"),
    )
    mask = s.padding_mask.copy()
    mask[kH - 1 : kH - 1 + H1, kW - 1 : kW - 1 + W1] |= inserted
    s = dataclasses.replace(s, padding_mask=mask)
    dE_do = s.output[ph : ph + H, pw : pw + W].copy()
    return StridedBackward(
        delta,
        (sH, sW),
        (ph, pw),
        dilated,
        inserted,
        s,
        s.output.copy(),
        dE_do,
        convention,
    )


def _draw_dilation(sb):
    """Three panels: ``delta`` (purple), ``dilated`` with the inserted zeros
    drawn as grey dashed cells, and that array padded by ``k - 1`` zeros on
    each side for the full correlation."""
    s = sb.slide
    panels = [
        (
            sb.delta,
            None,
            f"\u03b4  {sb.delta.shape[0]}\u00d7{sb.delta.shape[1]}",
        ),
        (sb.dilated, sb.inserted, _zeros_title(sb.stride)),
        (s.grid, s.padding_mask, "padded by k - 1 for the full pass"),
    ]
    widths = [
        p[0].shape[1] + 0.9 for p in panels
    ]  # the x-limits below: one scale
    height = max(p[0].shape[0] for p in panels)
    cell = 0.42
    fig, axes = plt.subplots(
        1,
        3,
        figsize=(cell * (sum(widths) + 7), cell * (height + 2.2)),
        dpi=DPI,
        gridspec_kw={"width_ratios": widths, "wspace": 0.35},
    )
    for ax, (a, pad, title) in zip(axes, panels, strict=True):
        draw_array(
            ax, a, "delta", padding=pad, title=title, index=True, fontsize=11
        )
        ax.set_xlim(-0.7, a.shape[1] + 0.2)
        ax.set_ylim(height + 0.2, -1.5)
    fig.canvas.draw()  # fixes where the equal-aspect axes sit
    to_figure = fig.transFigure.inverted()
    for (left, right), (a, _, _) in zip(pairwise(axes), panels, strict=False):
        y = a.shape[0] / 2  # level with the middle of the smaller, left array
        start = to_figure.transform(
            left.transData.transform((a.shape[1] + 0.3, y))
        )
        end = to_figure.transform(right.transData.transform((-0.8, y)))
        fig.patches.append(
            FancyArrowPatch(
                start,
                end,
                transform=fig.transFigure,
                arrowstyle="->",
                mutation_scale=18,
                color=role_colour("delta"),
                lw=1.5,
            )
        )
    return fig


def _zeros_title(stride):
    """'1 zero between pixels', '2 zeros between rows, 1 between columns'."""
    zH, zW = stride[0] - 1, stride[1] - 1
    if zH == zW:
        return f"{zH} zero{'s' if zH != 1 else ''} between pixels"
    return (
        f"{zH} zero{'s' if zH != 1 else ''} between rows, {zW} between columns"
    )
