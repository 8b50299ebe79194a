"""The book's pictures, drawn from the package's own numbers.

A picture is a sequence of frames whose numbers the package's geometry and one
window engine compute (a chapter asserts them against the package): a *data*
function (:func:`slide`, :func:`weight_update`, ...) returns a
:class:`Picture`, and one renderer draws any picture: :func:`show` one frame
(or the finished picture), :func:`animate` every frame (looping, for a
notebook), :func:`multiples` frames or pictures side by side. A picture too
large to draw in a few seconds is refused with a ``ValueError``.

One colour per role throughout (:data:`ROLES`): input o blue, kernel w orange,
complete input c green, delta purple, gradient red, bias and activation brown,
padding grey with dashed edges. The notation page (:ref:`notation`) shows the
legend.

This module needs matplotlib (``pip install cnnlit[plot]``); ``import cnnlit``
never imports it.
"""

try:
    import matplotlib  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "cnnlit.plot needs matplotlib; install it with: pip install cnnlit[plot]"
    ) from exc

from ._core import Picture, animate, multiples, show
from ._core import _retina as _retina
from ._explore import explore
from ._style import ROLES, draw_array, draw_window, legend_figure, role_colour
from .backward import bias_gradient, delta_backprop, fan_in, weight_update
from .channels import channel_sum
from .forward import (
    conventions_at,
    full_valid,
    padding_picture,
    pixel_sum,
    same_sides,
)
from .layers import feedforward, pool_route, receptive_field
from .sliding import slide
from .stride import strided_backward
from .transpose import count_grid, coverage, transpose_scatter

_retina()

__all__ = [
    # the mechanism: any picture, one frame, every frame, side by side
    "Picture",
    "show",
    "animate",
    "multiples",
    "explore",
    # the style: one colour per role, arrays as grids of numbers
    "ROLES",
    "role_colour",
    "legend_figure",
    "draw_array",
    "draw_window",
    # the pictures (data functions), in the book's order
    "pixel_sum",
    "slide",
    "full_valid",
    "conventions_at",
    "padding_picture",
    "same_sides",
    "feedforward",
    "channel_sum",
    "weight_update",
    "bias_gradient",
    "delta_backprop",
    "fan_in",
    "pool_route",
    "receptive_field",
    "strided_backward",
    "transpose_scatter",
    "coverage",
    "count_grid",
]
