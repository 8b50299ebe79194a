r"""The layers: convolution, fully connected, activation, pooling, flattening.

Each layer is a thin object around pure functions of the package
(``conv_forward`` / ``conv_backward``, the pooling pair, the activations,
``dense_forward`` / ``dense_backward``), built on ``Layer`` of
``cnnlit.base_layer``, which also holds the parameters and the
initialisation of ``Conv2D`` and ``Dense``. Every layer but ``Flatten``
takes one example (no batch axis) as well as a batch, like ``conv_forward``;
``Flatten`` reads the first axis as the batch. Derived in the chapter
"A whole network"; the network that chains them is ``cnnlit.network``.

Arrays are channels-first, a batch is ``(N, C, H, W)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from ._checks import (
    CONVENTIONS,
    POOL_MODES,
    as_real_array,
    check_flag,
    check_int,
    check_ndim,
    pair,
)
from .activations import (
    relu,
    relu_prime,
    sigmoid,
    sigmoid_prime,
    tanh,
    tanh_prime,
)
from .base_layer import Array, Layer, _example_shape, _Weighted
from .conv import conv_backward, conv_forward, conv_output_shape
from .dense import dense_backward, dense_forward
from .pool import pool_backward, pool_forward

__all__ = ["Conv2D", "Activation", "Pool", "Flatten", "Dense", "LAYERS"]

ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_prime),
    "tanh": (tanh, tanh_prime),
    "relu": (relu, relu_prime),
}


class Conv2D(_Weighted):
    r"""Convolutional layer: ``c = conv_forward(o_prev, w, b, ...)``.

    Parameters
    ----------
    C_in : int
        Number of input units (channels), indexed by n.
    C_out : int
        Number of output units (feature maps), indexed by m.
    k : int or (int, int)
        Kernel size ``(kH, kW)``.
    stride : int or (int, int)
        As in ``conv_forward``.
    padding : int, (int, int) or 'same'
        Zeros added on each side, or ``'same'``: the output has the input's
        height and width (stride 1 only). With ``'same'`` the dilated kernel
        spans ``d * (k - 1) + 1`` pixels and ``d * (k - 1)`` zeros are added,
        half before and the rest after (one more after when ``d * (k - 1)``
        is odd, PyTorch's rule).
    dilation : int or (int, int)
        Spacing of the kernel's taps (1: dense), as in ``conv_forward``.
    convention : {'convolution', 'correlation'}
        As in ``conv_forward`` (the boundary is zeros).
    bias : bool
        ``False``: no bias, the layer's only parameter is ``w`` (and ``b`` is ``None``).
    dtype : {float64, float32}
        Type of the parameters and of the computation (inputs are converted).
    init : {None, 'he', 'glorot', 'zeros'}
        How the kernels start: N(0, 2 / fan_in) (He), N(0, 2 / (fan_in +
        fan_out)) (Glorot) with fan_in = C_in kH kW and fan_out = C_out kH kW,
        or zeros. None (default): He's if a ReLU follows the layer in its
        Network, Glorot's otherwise. Biases start at zero.
    rng : numpy.random.Generator, int or None
        Draws the kernels (an int is a seed; None: fresh entropy).

    Attributes
    ----------
    w : ndarray, shape (C_out, C_in, kH, kW)
    b : ndarray, shape (C_out,), or None
    dE_dw : ndarray, shape (C_out, C_in, kH, kW)
    dE_db : ndarray, shape (C_out,), or None
        Gradients, filled by ``backward``.
    o_prev : ndarray, shape (N, C_in, H, W)
        Input of the last forward pass (the caller's array, not a copy, when
        it has the layer's dtype).
    delta : ndarray, shape (N, C_out, H_out, W_out)
        delta = dE/dc received by the last backward pass.

    Examples
    --------
    >>> layer = Conv2D(1, 4, 3, padding="same", rng=0)
    >>> layer.forward(np.zeros((2, 1, 5, 6))).shape
    (2, 4, 5, 6)
    >>> layer.forward(np.zeros((1, 5, 6))).shape  # one example
    (4, 5, 6)
    """

    example_ndim = 3

    def __init__(
        self,
        C_in: int,
        C_out: int,
        k: int | Sequence[int],
        *,
        stride: int | Sequence[int] = 1,
        padding: int | Sequence[int] | str = 0,
        dilation: int | Sequence[int] = 1,
        convention: str = "convolution",
        bias: bool = True,
        dtype: DTypeLike = np.float64,
        init: str | None = None,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        self.C_in = check_int(C_in, "C_in", 1)
        self.C_out = check_int(C_out, "C_out", 1)
        self.kH, self.kW = pair(k, "k", 1)
        self.stride = pair(stride, "stride", 1)
        self.dilation = pair(dilation, "dilation", 1)
        self.same = isinstance(padding, str)
        if self.same:
            check_flag(padding, "padding", ("same",))
            if self.stride != (1, 1):
                raise ValueError(
                    f"padding='same' needs stride 1 (the output keeps the input's size), got stride {self.stride}"
                )
            total = (
                self.dilation[0] * (self.kH - 1),
                self.dilation[1] * (self.kW - 1),
            )
            self.padding = (total[0] // 2, total[1] // 2)
            self._extra = (
                total[0] % 2,
                total[1] % 2,
            )  # one more after (output_shape)
        else:
            self.padding = pair(padding, "padding", 0)
            self._extra = (0, 0)
        self.convention = check_flag(convention, "convention", CONVENTIONS)
        shape = (self.C_out, self.C_in, self.kH, self.kW)
        area = self.kH * self.kW
        self._init_params(
            shape,
            self.C_in * area,
            self.C_out * area,
            rng,
            dtype,
            bias,
            init,
        )

    def _options(self) -> dict[str, Any]:
        return dict(
            stride=self.stride,
            padding="same" if self.same else self.padding,
            dilation=self.dilation,
            convention=self.convention,
        )

    def _check_input(self, x: Array) -> None:
        check_ndim(
            x,
            "x",
            (4,),
            f"(N, C_in, H, W) or (C_in, H, W) with C_in={self.C_in}",
        )
        if x.shape[1] != self.C_in:
            raise ValueError(
                f"x must have C_in={self.C_in} channels (shape (N, {self.C_in}, H, W)), got shape {x.shape}"
            )

    def _forward(self, x: Array) -> Array:
        return conv_forward(x, self.w, self._bias(), **self._options())

    def _backward(
        self, delta: Array, x: Array
    ) -> tuple[Array, Array | None, Array]:
        return conv_backward(delta, x, self.w, **self._options())

    def output_shape(self, shape: Sequence[int]) -> tuple[int, ...]:
        """``(C_out, H_out, W_out)`` from ``(C_in, H, W)``.

        Parameters
        ----------
        shape : tuple of 3 ints
            ``(C_in, H, W)``, one example's input.

        Returns
        -------
        tuple of 3 ints

        Raises
        ------
        ValueError
            Where ``forward`` would: a wrong number of channels, or a
            kernel larger than the padded input.
        """
        C, H, W = _example_shape(
            shape, "Conv2D", 3, f"(C_in, H, W) with C_in={self.C_in}"
        )
        if C != self.C_in:
            raise ValueError(
                f"input shape {(C, H, W)} does not have C_in={self.C_in} channels"
            )
        return (self.C_out,) + conv_output_shape(
            H + self._extra[0],
            W + self._extra[1],
            self.kH,
            self.kW,
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
        )

    def config(self) -> dict[str, Any]:
        return dict(
            C_in=self.C_in,
            C_out=self.C_out,
            k=[self.kH, self.kW],
            stride=list(self.stride),
            padding="same" if self.same else list(self.padding),
            dilation=list(self.dilation),
            convention=self.convention,
            **self._common_config(),
        )

    def _label(self) -> str:
        text = f"Conv2D({self.C_in}, {self.C_out}, {(self.kH, self.kW)}"
        if self.stride != (1, 1):
            text += f", stride={self.stride}"
        if self.same:
            text += ", padding='same'"
        elif self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.convention != "convolution":
            text += f", convention={self.convention!r}"
        return text + ("" if self.bias else ", bias=False") + ")"

    def __repr__(self) -> str:
        padding = "'same'" if self.same else str(self.padding)
        text = (
            f"Conv2D({self.C_in}, {self.C_out}, {(self.kH, self.kW)}, stride={self.stride}, "
            f"padding={padding}, convention={self.convention!r}"
        )
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        return text + ("" if self.bias else ", bias=False") + ")"


class Dense(_Weighted):
    r"""Fully connected layer, ``c = x w^T + b`` (``dense_forward``).

    Parameters
    ----------
    D_in, D_out : int
    bias : bool
        ``False``: no bias, the layer's only parameter is ``w`` (and ``b`` is ``None``).
    dtype : {float64, float32}
        Type of the parameters and of the computation (inputs are converted).
    init : {None, 'he', 'glorot', 'zeros'}
        As in ``Conv2D``, with fan_in = D_in and fan_out = D_out.
    rng : numpy.random.Generator, int or None
        Draws ``w`` (an int is a seed; None: fresh entropy); ``b`` starts at zero.

    Attributes
    ----------
    w : ndarray, shape (D_out, D_in)
    b : ndarray, shape (D_out,), or None
    dE_dw : ndarray, shape (D_out, D_in)
    dE_db : ndarray, shape (D_out,), or None
        Gradients, filled by ``backward``.
    o_prev : ndarray, shape (N, D_in)
        Input of the last forward pass.
    delta : ndarray, shape (N, D_out)
        dE/dc received by the last backward pass.
    """

    example_ndim = 1

    def __init__(
        self,
        D_in: int,
        D_out: int,
        *,
        bias: bool = True,
        dtype: DTypeLike = np.float64,
        init: str | None = None,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        self.D_in = check_int(D_in, "D_in", 1)
        self.D_out = check_int(D_out, "D_out", 1)
        self._init_params(
            (self.D_out, self.D_in),
            self.D_in,
            self.D_out,
            rng,
            dtype,
            bias,
            init,
        )

    def _check_input(self, x: Array) -> None:
        check_ndim(x, "x", (2,), f"(N, D_in) or (D_in,) with D_in={self.D_in}")
        if x.shape[1] != self.D_in:
            raise ValueError(
                f"x must have shape (N, {self.D_in}) (D_in={self.D_in}), got shape {x.shape}"
            )

    def _forward(self, x: Array) -> Array:
        return dense_forward(x, self.w, self._bias())

    def _backward(
        self, delta: Array, x: Array
    ) -> tuple[Array, Array | None, Array]:
        return dense_backward(delta, x, self.w)

    def output_shape(self, shape: Sequence[int]) -> tuple[int, ...]:
        """``(D_out,)`` from ``(D_in,)``.

        Parameters
        ----------
        shape : tuple of 1 int

        Returns
        -------
        tuple of 1 int
        """
        shape = _example_shape(shape, "Dense", 1, f"({self.D_in},)")
        if shape != (self.D_in,):
            raise ValueError(f"input shape {shape} is not ({self.D_in},)")
        return (self.D_out,)

    def config(self) -> dict[str, Any]:
        return dict(D_in=self.D_in, D_out=self.D_out, **self._common_config())

    def __repr__(self) -> str:
        return (
            f"Dense({self.D_in}, {self.D_out}"
            + ("" if self.bias else ", bias=False")
            + ")"
        )


class Activation(Layer):
    """Elementwise activation o = a(c); backward multiplies by a'(c).

    Parameters
    ----------
    name : {'sigmoid', 'tanh', 'relu'}

    Attributes
    ----------
    c : ndarray
        Input of the last forward pass (the caller's array, not a copy).
    """

    def __init__(self, name: str) -> None:
        self.name = check_flag(name, "name", tuple(ACTIVATIONS))
        self.a, self.a_prime = ACTIVATIONS[name]
        self.c: Array | None = None

    def forward(self, x: ArrayLike) -> Array:
        """``a(x)``; keeps ``x`` as ``c``.

        Parameters
        ----------
        x : array_like, any shape

        Returns
        -------
        o : ndarray, shape of ``x``
        """
        self.c = as_real_array(x, "x")
        return self.a(self.c)

    def backward(self, dE_do: ArrayLike) -> Array:
        """dE/dc = dE/do * a'(c).

        Parameters
        ----------
        dE_do : array_like, shape of the last forward input

        Returns
        -------
        dE_dc : ndarray, shape of the last forward input
        """
        c = self._require_cache("c")
        dE_do = as_real_array(dE_do, "dE_do")
        if dE_do.shape != c.shape:
            raise ValueError(
                f"dE_do must have the shape of the forward output, {c.shape}, got shape {dE_do.shape}"
            )
        return dE_do * self.a_prime(c)

    def config(self) -> dict[str, Any]:
        return dict(name=self.name)

    def __repr__(self) -> str:
        return f"Activation({self.name!r})"


class Pool(Layer):
    """Max or mean pooling: ``pool_forward`` / ``pool_backward``.

    Parameters
    ----------
    size : int or (int, int)
    stride : int or (int, int), optional
        Defaults to ``size``.
    mode : {'max', 'mean'}

    Attributes
    ----------
    o_prev : ndarray, shape (N, C, H, W) or (C, H, W)
        Input of the last forward pass (the caller's array, not a copy).
    """

    def __init__(
        self,
        size: int | Sequence[int],
        stride: int | Sequence[int] | None = None,
        mode: str = "max",
    ) -> None:
        self.size = pair(size, "size", 1)
        self.stride = self.size if stride is None else pair(stride, "stride", 1)
        self.mode = check_flag(mode, "mode", POOL_MODES)
        self.o_prev: Array | None = None

    def forward(self, x: ArrayLike) -> Array:
        """Pooled ``x``; keeps ``x`` for ``backward``.

        Parameters
        ----------
        x : array_like, shape (N, C, H, W) or one example (C, H, W)

        Returns
        -------
        o : ndarray, shape (N, C, H_out, W_out) or (C, H_out, W_out)
        """
        x = as_real_array(x, "x")
        check_ndim(x, "x", (3, 4), "(N, C, H, W) or (C, H, W)")
        self.o_prev = x
        return pool_forward(x, self.size, stride=self.stride, mode=self.mode)

    def backward(self, dE_do: ArrayLike) -> Array:
        """Gradient with respect to the input.

        Parameters
        ----------
        dE_do : array_like, shape of the last forward output

        Returns
        -------
        dE_do_prev : ndarray, shape of the last forward input
        """
        o_prev = self._require_cache("o_prev")
        return pool_backward(
            dE_do, o_prev, self.size, stride=self.stride, mode=self.mode
        )

    def output_shape(self, shape: Sequence[int]) -> tuple[int, ...]:
        """``(C, H_out, W_out)`` from ``(C, H, W)``, by ``conv_output_shape``'s formula.

        Parameters
        ----------
        shape : tuple of 3 ints

        Returns
        -------
        tuple of 3 ints

        Raises
        ------
        ValueError
            Where ``forward`` would: a window larger than the input.
        """
        C, H, W = _example_shape(shape, "Pool", 3, "(C, H, W)")
        return (C,) + conv_output_shape(H, W, *self.size, stride=self.stride)

    def config(self) -> dict[str, Any]:
        return dict(
            size=list(self.size), stride=list(self.stride), mode=self.mode
        )

    def _label(self) -> str:
        stride = "" if self.stride == self.size else f", stride={self.stride}"
        return f"Pool({self.size}{stride}, mode={self.mode!r})"

    def __repr__(self) -> str:
        return f"Pool({self.size}, stride={self.stride}, mode={self.mode!r})"


class Flatten(Layer):
    """Reshape ``(N, C, H, W)`` (or any ``(N, ...)``) to ``(N, C * H * W)``; backward reshapes back."""

    def __init__(self) -> None:
        self.shape: tuple[int, ...] | None = None

    def forward(self, x: ArrayLike) -> Array:
        """One row per example.

        Parameters
        ----------
        x : array_like, shape (N, ...), at least 2 dimensions

        Returns
        -------
        f : ndarray, shape (N, prod of the other sizes)
        """
        x = as_real_array(x, "x")
        check_ndim(x, "x", range(2, 65), "(N, ...) with at least 2 dimensions")
        self.shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dE_do: ArrayLike) -> Array:
        """The gradient reshaped to the forward input's shape.

        Parameters
        ----------
        dE_do : array_like, shape (N, D)

        Returns
        -------
        ndarray, shape of the last forward input
        """
        shape = self._require_cache("shape")
        dE_do = as_real_array(dE_do, "dE_do")
        if dE_do.size != math.prod(shape):
            raise ValueError(
                f"dE_do must have {math.prod(shape)} elements to reshape to {shape}, got shape {dE_do.shape}"
            )
        return dE_do.reshape(shape)

    def output_shape(self, shape: Sequence[int]) -> tuple[int, ...]:
        """``(prod(shape),)``.

        Parameters
        ----------
        shape : tuple of int

        Returns
        -------
        tuple of 1 int
        """
        if not isinstance(shape, (tuple, list)) or not shape:
            raise ValueError(
                f"Flatten takes one example of at least 1 dimension, got shape {shape!r}"
            )
        shape = _example_shape(
            shape, "Flatten", len(shape), "(...) with at least 1 dimension"
        )
        return (math.prod(shape),)


# The layer types a saved network may hold, by name.
LAYERS: dict[str, type[Layer]] = {
    cls.__name__: cls for cls in (Conv2D, Activation, Pool, Flatten, Dense)
}
