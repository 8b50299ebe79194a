"""cnnlit: backpropagation through convolutional networks, derived and tested.

Every function here is derived in a chapter of the cnnlit book (start at the
introduction; the symbols are on the notation page) and checked there against
an independent computation. Arrays are channels-first: a batch is
``(N, C, H, W)``, kernels are ``(C_out, C_in, kH, kW)``.

The submodules are attributes, imported on first use: ``cnnlit.data``,
``cnnlit.fitting`` (``fit``, ``evaluate``), ``cnnlit.train`` (the digits
command), ``cnnlit.saving``, ``cnnlit.plot`` (needs
``pip install "cnnlit[plot]"``), ``cnnlit.reference``, ``cnnlit.exercises``.
``cnnlit.fit``, ``cnnlit.evaluate`` and ``cnnlit.accuracy`` are those of
``cnnlit.fitting``.
"""

import importlib
import sys
import types
from typing import Any

from .activations import (
    relu,
    relu_prime,
    sigmoid,
    sigmoid_prime,
    tanh,
    tanh_prime,
)
from .conv import conv_backward, conv_forward, conv_output_shape
from .conv_transpose import conv_transpose_backward, conv_transpose_forward
from .dense import dense_backward, dense_forward
from .gradcheck import numerical_gradient, relative_error
from .losses import (
    half_squared_error,
    half_squared_error_grad,
    loss_and_grad,
    one_hot,
    softmax,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
)
from .network import (
    Activation,
    Conv2D,
    Dense,
    Flatten,
    Layer,
    Network,
    Pool,
    check_gradients,
)
from .optim import SGD
from .pool import pool_backward, pool_forward
from .signal2d import convolve2d, correlate2d, rot180

# The one place the version is written: pyproject.toml reads it from here.
__version__ = "0.1.0"

__all__ = [
    "convolve2d",
    "correlate2d",
    "rot180",
    "conv_forward",
    "conv_backward",
    "conv_output_shape",
    "conv_transpose_forward",
    "conv_transpose_backward",
    "pool_forward",
    "pool_backward",
    "sigmoid",
    "sigmoid_prime",
    "tanh",
    "tanh_prime",
    "relu",
    "relu_prime",
    "half_squared_error",
    "half_squared_error_grad",
    "softmax",
    "softmax_cross_entropy",
    "softmax_cross_entropy_grad",
    "dense_forward",
    "dense_backward",
    "numerical_gradient",
    "relative_error",
    "Layer",
    "Conv2D",
    "Activation",
    "Pool",
    "Flatten",
    "Dense",
    "Network",
    "check_gradients",
    "SGD",
    "loss_and_grad",
    "one_hot",
]

# Submodules reached as attributes (``cnnlit.data``) are imported on first use,
# so that ``import cnnlit`` stays fast and never imports matplotlib or
# scikit-learn.
_SUBMODULES = (
    "activations",
    "base_layer",
    "conv",
    "conv_transpose",
    "data",
    "dense",
    "exercises",
    "fitting",
    "gradcheck",
    "layers",
    "losses",
    "network",
    "optim",
    "padding",
    "plot",
    "pool",
    "reference",
    "saving",
    "signal2d",
    "train",
)
_FROM_FITTING = ("fit", "evaluate", "accuracy")


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _FROM_FITTING:
        return getattr(importlib.import_module(".fitting", __name__), name)
    raise AttributeError(f"module 'cnnlit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_SUBMODULES) | set(_FROM_FITTING))


class _NamedModule(types.ModuleType):
    """A submodule whose name is also a function's: calling it says which function to call."""

    _hint = ""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(
            f"{self.__name__} is a module, not a function: {self._hint}"
        )


_HINTS = {
    "gradcheck": "for a whole network call cnnlit.check_gradients(network, x); "
    "for a function, cnnlit.numerical_gradient(f, x) and cnnlit.relative_error(a, b)",
    "conv_transpose": "call cnnlit.conv_transpose_forward(...) or cnnlit.conv_transpose_backward(...)",
}
for _name, _hint in _HINTS.items():
    _module = sys.modules[f"{__name__}.{_name}"]
    _module.__class__ = _NamedModule
    _module._hint = _hint  # type: ignore[attr-defined]
del _name, _hint, _module
