"""The book's pictures, drawn from the package's own numbers (needs matplotlib).

A data function (:func:`slide`, ...) returns a :class:`Picture`, its frames:
:func:`show` draws one, :func:`animate` all (looping), :func:`multiples` side
by side, :func:`explore` with sliders. One colour per role (:data:`ROLES`),
shown on the notation page.
"""

try:
    import matplotlib  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        'cnnlit.plot needs matplotlib: pip install "cnnlit[plot]"'
    ) from exc

from ._core import Picture, _retina, animate, multiples, show
from ._explore import explore
from ._style import ROLES, draw_array, draw_window, legend_figure, role_colour
from .backward import (
    bias_gradient,
    delta_backprop,
    fan_in,
    strided_backward,
    weight_update,
)
from .channels import channel_sum
from .forward import (
    conventions_at,
    full_valid,
    padding_picture,
    pixel_sum,
    same_sides,
)
from .layers import feedforward, pool_route, receptive_field
from .rulers import index_rulers
from .sliding import slide
from .transpose import count_grid, coverage, transpose_scatter

_retina()

# the mechanism: any picture, one frame, every frame, side by side
__all__ = ["Picture", "show", "animate", "multiples", "explore"]
# the style: one colour per role, arrays as grids of numbers
__all__ += ["ROLES", "role_colour", "legend_figure"]
__all__ += ["draw_array", "draw_window"]
# the pictures (data functions), in the book's order
__all__ += ["pixel_sum", "slide", "full_valid", "conventions_at"]
__all__ += ["padding_picture", "same_sides", "feedforward", "channel_sum"]
__all__ += ["index_rulers"]
__all__ += ["weight_update", "bias_gradient", "delta_backprop", "fan_in"]
__all__ += ["pool_route", "receptive_field", "strided_backward"]
__all__ += ["transpose_scatter", "coverage", "count_grid"]
