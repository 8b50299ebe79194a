"""cnnlit: backpropagation through convolutional networks, derived and tested.

Every function here is derived in a chapter of the cnnlit book (start at
:ref:`intro`; the symbols are in :ref:`notation`) and checked there against an
independent computation. Arrays are channels-first: a batch is
``(N, C, H, W)``, kernels are ``(C_out, C_in, kH, kW)``.
"""

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
from .network import Activation, Conv2D, Dense, Flatten, Layer, Network, Pool
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
    "SGD",
    "loss_and_grad",
    "one_hot",
]
