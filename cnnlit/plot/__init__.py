"""The book's pictures, drawn from the package's own numbers.

Each picture comes as a *data* function, which returns exactly the numbers the
picture shows (computed with plain loops, so that a chapter can assert them
against the package), and *drawing* functions, which draw that data and nothing
else: a static figure, an animation (one frame per step) and a static row of
the same frames for print.

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

from . import backward, forward, layers, stride, transpose
from ._style import (
    ROLES,
    animate,
    animation_html,
    draw_array,
    draw_window,
    fmt_value,
    legend_figure,
    panels_over_strip,
    role_colour,
    small_multiples,
)
from .backward import *  # noqa: F403  (the pictures of the weight update and the deltas)
from .forward import *  # noqa: F403  (the pictures of convolution, correlation, padding)
from .layers import *  # noqa: F403  (the pictures of feed-forward, pooling, receptive fields)
from .sliding import (
    Slide,
    WindowFrame,
    animate_slide,
    slide,
    slide_multiples,
)
from .stride import *  # noqa: F403  (the pictures of stride: skipped positions, dilated deltas)
from .transpose import *  # noqa: F403  (the transposed convolution: scatter, coverage)

__all__ = [
    "ROLES",
    "role_colour",
    "fmt_value",
    "draw_array",
    "draw_window",
    "legend_figure",
    "animate",
    "animation_html",
    "small_multiples",
    "panels_over_strip",
    "Slide",
    "WindowFrame",
    "slide",
    "animate_slide",
    "slide_multiples",
]
__all__ += (
    forward.__all__
    + backward.__all__
    + layers.__all__
    + stride.__all__
    + transpose.__all__
)
