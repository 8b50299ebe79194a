r"""A small sequential network built from the package's forward/backward pairs.

Each layer is a thin object around pure functions of the package
(``conv_forward`` / ``conv_backward``, the pooling pair, the activations,
``dense_forward`` / ``dense_backward``): ``forward`` keeps what the backward
pass needs, ``backward`` turns the gradient with respect to the layer's output
into the one with respect to its input, dE/do^{l-1}, and stores the gradients
of the layer's parameters. Derived in the chapter "A whole network", trained in
the chapter "Training on digits".

Parameters are plain dicts: ``layer.params`` / ``layer.grads`` map ``"w"`` and
``"b"`` to the layer's arrays, ``network.params`` / ``network.grads`` map
``"0.w"`` (layer 0's kernel), ``"0.b"``, ... to the same arrays. Assigning
``layer.w = array`` copies the values into the layer's dtype.

Layers initialise their weights by fan-in when no ``init`` is given: He's
N(0, 2 / fan_in) for a layer that a ReLU follows in its Network, Glorot's
N(0, 2 / (fan_in + fan_out)) otherwise; ``rng`` (a Generator or an int seed)
makes the draw reproducible. Every layer and the network take one example
(no batch axis) as well as a batch, like ``conv_forward``.

Arrays are channels-first, a batch is ``(N, C, H, W)``. Saving and loading
are in ``cnnlit.saving``; training in ``cnnlit.train`` (``Network.fit``).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from ._checks import (
    CONVENTIONS,
    POOL_MODES,
    as_real_array,
    check_flag,
    check_float_dtype,
    check_int,
    check_ndim,
    check_real,
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
from .conv import conv_backward, conv_forward, conv_output_shape
from .dense import dense_backward, dense_forward
from .gradcheck import numerical_gradient
from .pool import pool_backward, pool_forward

if TYPE_CHECKING:  # pragma: no cover
    from .train import History

__all__ = [
    "Layer",
    "Conv2D",
    "Activation",
    "Pool",
    "Flatten",
    "Dense",
    "Network",
    "Summary",
    "GradientCheck",
    "check_gradients",
    "LAYERS",
    "INITS",
]

Array = NDArray[np.floating[Any]]

ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_prime),
    "tanh": (tanh, tanh_prime),
    "relu": (relu, relu_prime),
}

# How a layer's weights start: None = by fan-in, He before a ReLU, Glorot otherwise.
INITS = ("he", "glorot", "zeros")


def as_rng(rng: Any, name: str = "rng") -> np.random.Generator:
    """``rng`` as a Generator: a Generator itself, an int seed (>= 0), or None (fresh entropy)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        return np.random.default_rng(check_int(rng, name, 0))
    raise TypeError(
        f"{name} must be a numpy.random.Generator, an int seed or None, got {type(rng).__name__}"
    )


def _digest(a: ArrayLike) -> int:
    """A hash of the values of ``a``: tells whether they changed."""
    return hash(np.ascontiguousarray(a).tobytes())


def _example_shape(
    shape: Any, layer: str, ndim: int, described: str
) -> tuple[int, ...]:
    """``shape`` (one example's, no batch axis) as a tuple of ``ndim`` ints >= 1."""
    if not isinstance(shape, (tuple, list)):
        raise TypeError(
            f"{layer} takes the shape of one example as a tuple of ints, got {shape!r}"
        )
    shape = tuple(shape)
    if len(shape) != ndim:
        raise ValueError(
            f"{layer} takes one example of shape {described}, got shape {shape} ({len(shape)} dimensions)"
        )
    for size in shape:
        check_int(size, f"every size of the input shape {shape}", 1)
    return tuple(int(size) for size in shape)


class _Parameter:
    """A named parameter of a layer (``w`` or ``b``).

    Reading gives the layer's current array (``None`` for a bias the layer
    does not have). Assigning checks the shape and copies the values into a
    new array of the layer's dtype, so the caller's array is never changed by
    training.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.slot = "_" + name

    def __get__(self, layer: Any, owner: Any = None) -> Any:
        if layer is None:
            return self
        return layer.__dict__.get(self.slot)

    def __set__(self, layer: Any, value: ArrayLike) -> None:
        label = f"{type(layer).__name__}.{self.name}"
        if self.name not in layer.param_names:
            raise ValueError(
                f"{label} cannot be set: the layer has no parameter {self.name!r} (built with bias=False)"
            )
        value = as_real_array(value, label)
        shape = layer.param_shapes[self.name]
        if value.shape != shape:
            raise ValueError(
                f"{label} must have shape {shape}, got shape {value.shape}"
            )
        layer.__dict__[self.slot] = np.array(value, dtype=layer.dtype)
        layer._auto_init = None  # the caller chose the values


class Layer:
    """Base class: a layer with no parameters that passes its input through.

    Subclasses override ``forward``, ``backward``, ``output_shape`` and
    ``config``. A layer with parameters lists their names in ``param_names``
    and their shapes in ``param_shapes``; ``params`` and ``grads`` map each
    name to the current arrays.

    A layer keeps a *reference* to its input (not a copy) from ``forward`` to
    ``backward``: changing that array in place between the two passes changes
    the gradients that ``backward`` computes.
    """

    param_names: tuple[str, ...] = ()
    param_shapes: dict[str, tuple[int, ...]] = {}

    @property
    def params(self) -> dict[str, Array]:
        """dict of str to ndarray: every parameter by name (``"w"``, ``"b"``), the layer's own arrays.

        Computed on access: after ``layer.w = array`` it holds the new array.
        """
        return {name: getattr(self, name) for name in self.param_names}

    @property
    def grads(self) -> dict[str, Array]:
        """dict of str to ndarray: the gradient of every parameter (``dE_dw``, ``dE_db``), by name.

        Filled by ``backward``; zeros before the first backward pass.
        """
        return {name: getattr(self, "dE_d" + name) for name in self.param_names}

    def forward(self, x: ArrayLike) -> Array:
        """Output of the layer for the batch ``x``; caches what ``backward`` needs.

        Parameters
        ----------
        x : ndarray, shape (N, ...)

        Returns
        -------
        ndarray, shape (N, ...)
            Here ``x`` itself.
        """
        return x  # type: ignore[return-value]

    def backward(self, dE_do: ArrayLike) -> Array:
        """Gradient with respect to the layer's input, from the one with respect to its output.

        Parameters
        ----------
        dE_do : ndarray, shape of the last ``forward`` output
            dE/do.

        Returns
        -------
        ndarray, shape of the last ``forward`` input
            Here ``dE_do`` itself.
        """
        return dE_do  # type: ignore[return-value]

    def output_shape(self, shape: Sequence[int]) -> tuple[int, ...]:
        """Shape of one example's output, from the shape of one example's input.

        Parameters
        ----------
        shape : tuple of int
            One example's input shape (no batch axis).

        Returns
        -------
        tuple of int
            Here ``shape``.
        """
        return tuple(shape)

    def config(self) -> dict[str, Any]:
        """The arguments that rebuild this layer (its parameters aside), as JSON-ready values.

        Returns
        -------
        dict
            ``type(layer)(**layer.config())`` builds the same layer (with new
            weights).
        """
        return {}

    def _label(self) -> str:
        """The layer as ``summary`` shows it: its repr, without the arguments left at their defaults."""
        return repr(self)

    def _require_cache(self, attr: str) -> Any:
        if getattr(self, attr, None) is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward called before forward"
            )
        return getattr(self, attr)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class _Weighted(Layer):
    """A layer ``c = f(x; w) + b`` (Conv2D, Dense): parameters, initialisation, one backward.

    Subclasses set ``example_ndim`` (dimensions of one example) and define
    ``_forward(x)`` and ``_backward(delta, x)``, the latter returning
    ``(dE_dw, dE_db, dE_dx)`` as the package's backward functions do.
    """

    example_ndim = 0
    w = _Parameter()
    b = _Parameter()
    dtype: np.dtype[Any]
    bias: bool
    init: str | None
    _auto_init: int | None
    fan_in: int
    fan_out: int

    def _init_params(
        self,
        shape: tuple[int, ...],
        fan_in: int,
        fan_out: int,
        rng: Any,
        dtype: DTypeLike,
        bias: Any,
        init: str | None,
    ) -> None:
        """Weights by ``init``, zero biases, zeroed gradients."""
        self.dtype = check_float_dtype(dtype)
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"bias must be True or False, got {bias!r}")
        self.bias = bool(bias)
        if init is not None:
            check_flag(init, "init", INITS)
        self.init = init
        self.fan_in, self.fan_out = fan_in, fan_out
        self.param_names = ("w", "b") if self.bias else ("w",)
        self.param_shapes = {"w": shape, "b": shape[:1]}
        if init == "zeros":
            self.w = np.zeros(shape, dtype=self.dtype)
        else:
            z = as_rng(rng).standard_normal(shape)
            scale = 2.0 / (fan_in + fan_out if init == "glorot" else fan_in)
            self.w = z * np.sqrt(scale)
        self.dE_dw = np.zeros(shape, dtype=self.dtype)
        self.dE_db = None
        if self.bias:
            self.b = np.zeros(shape[:1], dtype=self.dtype)
            self.dE_db = np.zeros(shape[:1], dtype=self.dtype)
        self.o_prev: Array | None = None
        self.delta: Array | None = None
        self._single = False
        # init=None: drawn as He's; the Network that takes the layer makes them
        # Glorot's unless a ReLU follows, if they are still the values drawn
        # (their digest tells: an array changed in place is left alone).
        self._auto_init = _digest(self.w) if init is None else None

    def _batch(self, x: ArrayLike, name: str) -> tuple[Array, bool]:
        """``x`` in the layer's dtype with a batch axis, and whether it was one example."""
        x = as_real_array(x, name)
        single = x.ndim == self.example_ndim
        if single:
            x = x[None]
        return x.astype(self.dtype, copy=False), single

    def forward(self, x: ArrayLike) -> Array:
        """Complete input ``c`` in the layer's dtype; keeps ``x`` for ``backward``.

        Parameters
        ----------
        x : array_like, shape (N, ...) or one example (...)
            Converted to the layer's dtype.

        Returns
        -------
        c : ndarray, shape (N, ...) or (...)
        """
        xb, self._single = self._batch(x, "x")
        self._check_input(xb)
        self.o_prev = xb
        c = self._forward(xb)
        return c[0] if self._single else c

    def backward(self, delta: ArrayLike) -> Array:
        """Store dE/dw (and dE/db) for the last ``forward``; return dE/dx.

        Parameters
        ----------
        delta : array_like, shape of the last ``forward`` output
            delta = dE/dc, the gradient with respect to this layer's output ``c``.

        Returns
        -------
        dE_dx : ndarray, shape of the last ``forward`` input
        """
        o_prev = self._require_cache("o_prev")
        d = as_real_array(delta, "delta").astype(self.dtype, copy=False)
        if self._single:
            d = d[None]
        dE_dw, dE_db, dE_dx = self._backward(d, o_prev)
        self.delta = d
        self.dE_dw = dE_dw
        if self.bias:
            self.dE_db = dE_db
        return dE_dx[0] if self._single else dE_dx

    def _check_input(self, x: Array) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _forward(self, x: Array) -> Array:  # pragma: no cover - overridden
        raise NotImplementedError

    def _backward(
        self, delta: Array, x: Array
    ) -> tuple[Array, Array | None, Array]:  # pragma: no cover - overridden
        raise NotImplementedError

    def _bias(self) -> Array | None:
        return self.b if self.bias else None

    def _common_config(self) -> dict[str, Any]:
        return dict(bias=self.bias, dtype=self.dtype.name)


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
        half before and the rest after (one more after for an even kernel,
        PyTorch's rule).
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
            self._extra = (total[0] % 2, total[1] % 2)  # one more after
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
            padding=self.padding,
            dilation=self.dilation,
            convention=self.convention,
        )

    def _padded(self, x: Array) -> Array:
        """``x`` with the extra row/column after of an even 'same' kernel."""
        eh, ew = self._extra
        if eh or ew:
            return np.pad(x, ((0, 0), (0, 0), (0, eh), (0, ew)))
        return x

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
        return conv_forward(
            self._padded(x), self.w, self._bias(), **self._options()
        )

    def _backward(
        self, delta: Array, x: Array
    ) -> tuple[Array, Array | None, Array]:
        dE_dw, dE_db, dE_dx = conv_backward(
            delta, self._padded(x), self.w, **self._options()
        )
        H, W = x.shape[2:]
        return dE_dw, dE_db, dE_dx[:, :, :H, :W]

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


class SummaryRow(NamedTuple):
    """One line of ``Network.summary``."""

    layer: str
    output_shape: tuple[int, ...]
    params: int


class Summary(list[SummaryRow]):
    """The rows of ``Network.summary`` (``(layer, output shape, parameters)``), printed as a table.

    ``str(summary)`` (and its display in a REPL or notebook) is the table,
    ending with the total number of parameters, ``summary.total``.
    """

    def __init__(
        self, rows: Iterable[SummaryRow], input_shape: tuple[int, ...]
    ) -> None:
        super().__init__(rows)
        self.input_shape = input_shape

    @property
    def total(self) -> int:
        """int: the number of parameters of the whole network."""
        return sum(row.params for row in self)

    def __str__(self) -> str:
        cells = [("layer", "output shape", "parameters")]
        cells.append(("input", str(self.input_shape), ""))
        cells += [(r.layer, str(r.output_shape), f"{r.params:,}") for r in self]
        widths = [max(len(row[i]) for row in cells) for i in range(3)]
        lines = [
            f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:>{widths[2]}}"
            for a, b, c in cells
        ]
        rule = "-" * len(lines[0])
        total = f"total parameters: {self.total:,}"
        return "\n".join([lines[0], rule, *lines[1:], rule, total])

    __repr__ = __str__


class GradientCheck(dict[str, float]):
    """What ``check_gradients`` returns: parameter name -> worst relative error.

    Keys are ``"input"`` and the names of ``Network.params`` (``"0.w"``,
    ``"0.b"``, ...). ``worst`` is the largest error; ``str()`` is a table.
    """

    @property
    def worst(self) -> float:
        """float: the largest error of every parameter and the input."""
        return max(self.values())

    def __str__(self) -> str:
        width = max(len(name) for name in self)
        lines = [f"{name:<{width}}  {err:.1e}" for name, err in self.items()]
        return "\n".join(
            ["worst relative error per parameter (finite differences):"] + lines
        )

    __repr__ = __str__


class Network:
    """Layers applied in order; backward runs them in reverse.

    Parameters
    ----------
    layers : list of Layer
    input_shape : tuple of int, optional
        The shape of one example (e.g. ``(1, 8, 8)``): checked against the
        layers now, against inputs in ``forward``, and used by ``summary``.
    input_scale : float, optional
        Every input is multiplied by this number first (e.g. 1/16 for pixels
        0..16), in ``forward`` and so everywhere: the network takes its data
        as they come. Recorded by ``save``.
    classes : list of str or int, optional
        The name of every output class, returned by ``classify``.

    Attributes
    ----------
    params, grads : dict of str to ndarray
        Every parameter and its gradient, ``"0.w"`` for layer 0's ``w``.

    Examples
    --------
    >>> net = Network([Conv2D(1, 2, 3, padding="same", rng=0), Activation("relu"),
    ...                Pool(2), Flatten(), Dense(2 * 2 * 2, 3, rng=1)])
    >>> net.forward(np.zeros((5, 1, 4, 4))).shape
    (5, 3)
    >>> net.backward(np.ones((5, 3))).shape
    (5, 1, 4, 4)
    >>> {name: g.shape for name, g in net.grads.items()}
    {'0.w': (2, 1, 3, 3), '0.b': (2,), '4.w': (3, 8), '4.b': (3,)}
    """

    def __init__(
        self,
        layers: Iterable[Layer],
        *,
        input_shape: Sequence[int] | None = None,
        input_scale: float | None = None,
        classes: Sequence[str | int] | None = None,
    ) -> None:
        if isinstance(layers, Layer):
            raise TypeError(
                f"Network takes a list of layers, e.g. Network([{type(layers).__name__}(...), ...]); "
                f"got a single {type(layers).__name__}: put it in a list"
            )
        try:
            layers = list(layers)
        except TypeError:
            raise TypeError(
                f"layers must be a list of Layer objects, got {type(layers).__name__}"
            ) from None
        if not layers:
            raise ValueError(
                "layers must be a non-empty list of Layer objects, got an empty list"
            )
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(
                    f"layers[{i}] must be a Layer (Conv2D, Activation, Pool, Flatten, Dense), got {type(layer).__name__}"
                )
        self.layers = layers
        self._single = False
        self._decide_init()
        self.input_shape: tuple[int, ...] | None = None
        if input_shape is not None:
            if not isinstance(input_shape, (tuple, list)):
                raise TypeError(
                    f"input_shape must be a tuple of ints, e.g. (1, 8, 8), got {input_shape!r}"
                )
            self.input_shape = tuple(
                check_int(n, "every size of input_shape", 1)
                for n in input_shape
            )
            self.summary()  # the layers take it, or a ValueError says where not
        self.input_scale: float | None = None
        if input_scale is not None:
            self.input_scale = check_real(
                input_scale, "input_scale", low=0, low_open=True
            )
        self.classes: list[str | int] | None = None
        if classes is not None:
            if isinstance(classes, str) or not all(
                isinstance(c, (str, numbers.Integral))
                and not isinstance(c, bool)
                for c in classes
            ):
                raise TypeError(
                    f"classes must be a list of str or int, got {classes!r}"
                )
            self.classes = [
                c if isinstance(c, str) else int(c) for c in classes
            ]

    def _decide_init(self) -> None:
        """Layers left to their default initialisation: He's before a ReLU, else Glorot's."""
        for i, layer in enumerate(self.layers):
            digest = getattr(layer, "_auto_init", None)
            if digest is None:
                continue
            assert isinstance(layer, _Weighted)
            layer._auto_init = None
            if _digest(layer.w) != digest:  # changed in place since drawn
                continue
            after = self.layers[i + 1] if i + 1 < len(self.layers) else None
            if not (isinstance(after, Activation) and after.name == "relu"):
                w = layer.__dict__["_w"]
                w *= np.sqrt(layer.fan_in / (layer.fan_in + layer.fan_out))

    @property
    def dtype(self) -> np.dtype[Any]:
        """numpy.dtype: the type of the parameters (of the first layer that has any; float64 if none)."""
        for layer in self.layers:
            if isinstance(layer, _Weighted):
                return layer.dtype
        return np.dtype(np.float64)

    @property
    def params(self) -> dict[str, Array]:
        """dict of str to ndarray: every parameter, ``"{i}.{name}"`` for parameter ``name`` of layer ``i``.

        The layers' own arrays (an optimiser writes into them).
        """
        return {
            f"{i}.{name}": p
            for i, layer in enumerate(self.layers)
            for name, p in layer.params.items()
        }

    @property
    def grads(self) -> dict[str, Array]:
        """dict of str to ndarray: the gradient of every parameter, keyed as ``params``."""
        return {
            f"{i}.{name}": g
            for i, layer in enumerate(self.layers)
            for name, g in layer.grads.items()
        }

    def _example_ndim(self) -> int | None:
        if self.input_shape is not None:
            return len(self.input_shape)
        first = self.layers[0]
        if isinstance(first, (Conv2D, Pool)):
            return 3
        if isinstance(first, Dense):
            return 1
        return None

    def forward(self, x: ArrayLike) -> Array:
        """Output of the last layer for ``x``; every layer caches its input.

        Parameters
        ----------
        x : array_like, shape (N, ...) or one example (...)
            Shaped as the first layer expects, e.g. (N, C, H, W) or (C, H, W)
            for a ``Conv2D``; multiplied by ``input_scale`` first when set.

        Returns
        -------
        ndarray, shape (N, ...) (or one example's) of the last layer's output
        """
        x = as_real_array(x, "x")
        given = x.shape
        ndim = self._example_ndim()
        self._single = ndim is not None and x.ndim == ndim
        if self._single:
            x = x[None]
        if self.input_shape is not None and x.shape[1:] != self.input_shape:
            raise ValueError(
                f"x must have shape (N, {', '.join(map(str, self.input_shape))}) "
                f"or {self.input_shape} (the network's input_shape), got shape {given}"
            )
        if self.input_scale is not None:
            x = x.astype(self.dtype) * self.dtype.type(self.input_scale)
        for layer in self.layers:
            x = layer.forward(x)
        return x[0] if self._single else x

    def backward(self, dE_do: ArrayLike) -> Array:
        """Back-propagate dE/do of the last layer's output; fill every layer's grads.

        Parameters
        ----------
        dE_do : array_like, shape of the last ``forward`` output

        Returns
        -------
        dE_dx : ndarray, shape of the last ``forward`` input
        """
        d = as_real_array(dE_do, "dE_do").astype(self.dtype, copy=False)
        if self._single:
            d = d[None]
        for layer in reversed(self.layers):
            d = layer.backward(d)
        if self.input_scale is not None:
            d = d * d.dtype.type(self.input_scale)
        return d[0] if self._single else d

    def predict(self, x: ArrayLike, batch_size: int = 256) -> Any:
        """Predicted class (argmax of the output) of every example, in batches.

        Parameters
        ----------
        x : array_like, shape (N, ...) or one example (...)
        batch_size : int

        Returns
        -------
        ndarray of int, shape (N,), or an int for one example
        """
        batch_size = check_int(batch_size, "batch_size", 1)
        x = as_real_array(x, "x")
        ndim = self._example_ndim()
        if ndim is not None and x.ndim == ndim:
            return int(np.argmax(self.forward(x)))
        check_ndim(
            x, "x", range(2, 65), "(N, ...), a batch of at least 2 dimensions"
        )
        out = [
            np.argmax(self.forward(x[i : i + batch_size]), axis=1)
            for i in range(0, len(x), batch_size)
        ]
        return np.concatenate(out) if out else np.zeros(0, dtype=np.intp)

    def classify(self, x: ArrayLike, batch_size: int = 256) -> Any:
        """The class names (``classes``) of ``predict``'s classes; the indices if no names were given.

        Parameters
        ----------
        x : array_like, shape (N, ...) or one example (...)
        batch_size : int

        Returns
        -------
        list of str or int, or one name for one example
        """
        k = self.predict(x, batch_size)
        if self.classes is None:
            return k
        if isinstance(k, int):
            return self.classes[k]
        return [self.classes[i] for i in k]

    def summary(self, input_shape: Sequence[int] | None = None) -> Summary:
        """Output shape and parameter count of every layer for one example, and their total.

        Parameters
        ----------
        input_shape : tuple of int, optional
            Shape of one example, e.g. ``(1, 8, 8)``; default: the network's
            ``input_shape``.

        Returns
        -------
        Summary
            A list of ``(layer, output shape, parameters)`` rows that prints
            as a table; ``.total`` is the number of parameters.

        Raises
        ------
        ValueError
            When a layer cannot take the shape it would receive (naming the layer).
        """
        if input_shape is None:
            input_shape = self.input_shape
            if input_shape is None:
                raise TypeError(
                    "summary needs input_shape, the shape of one example, e.g. (1, 8, 8) "
                    "(or a network built with input_shape=)"
                )
        if not isinstance(input_shape, (tuple, list)):
            raise TypeError(
                f"input_shape must be a tuple of ints, e.g. (1, 8, 8), got {input_shape!r}"
            )
        shape = tuple(input_shape)
        rows = []
        for i, layer in enumerate(self.layers):
            try:
                shape = layer.output_shape(shape)
            except (ValueError, TypeError) as exc:
                raise type(exc)(
                    f"input_shape {tuple(input_shape)} does not fit the network: layer {i}, {layer!r}, "
                    f"receives shape {shape}: {exc}"
                ) from None
            count = int(sum(p.size for p in layer.params.values()))
            rows.append(SummaryRow(layer._label(), shape, count))
        return Summary(rows, tuple(input_shape))

    def check_gradients(
        self, x: ArrayLike, *, rng: Any = 0, eps: float = 1e-6
    ) -> GradientCheck:
        """Compare ``backward`` with finite differences for every parameter and the input.

        See ``check_gradients`` (the function) for the details.
        """
        return check_gradients(self, x, rng=rng, eps=eps)

    def astype(self, dtype: DTypeLike) -> Network:
        """A copy of the network whose parameters (and computation) have ``dtype``.

        Parameters
        ----------
        dtype : {float32, float64}

        Returns
        -------
        Network
        """
        dtype = check_float_dtype(dtype)
        layers = []
        for layer in self.layers:
            config = layer.config()
            if isinstance(layer, _Weighted):
                config.update(dtype=dtype.name, init="zeros")
            copy = type(layer)(**config)
            for name, p in layer.params.items():
                setattr(copy, name, p)
            layers.append(copy)
        return Network(
            layers,
            input_shape=self.input_shape,
            input_scale=self.input_scale,
            classes=self.classes,
        )

    def fit(self, x: ArrayLike, y: ArrayLike, **options: Any) -> History:
        """Train the network on ``(x, y)``: ``cnnlit.train.fit(self, x, y, **options)``."""
        from .train import fit

        return fit(self, x, y, **options)

    def evaluate(
        self, x: ArrayLike, y: ArrayLike, **options: Any
    ) -> dict[str, float]:
        """Loss and accuracy on ``(x, y)``: ``cnnlit.train.evaluate(self, x, y, **options)``."""
        from .train import evaluate

        return evaluate(self, x, y, **options)

    def save(self, path: Any) -> None:
        """Write the network to an ``.npz`` file (``cnnlit.saving.save``)."""
        from .saving import save

        save(self, path)

    @classmethod
    def load(cls, path: Any) -> Network:
        """Read a network written by ``save`` (``cnnlit.saving.load``)."""
        from .saving import load

        return load(path)

    def __repr__(self) -> str:
        return (
            "Network([" + ", ".join(repr(layer) for layer in self.layers) + "])"
        )


def _worst(a: Array, n: Array) -> float:
    """Largest entrywise |a - n| / max(|a|, |n|), entries below 1e-3 of the largest magnitude counted at that floor."""
    a, n = np.asarray(a, np.float64), np.asarray(n, np.float64)
    if a.size == 0:
        return 0.0
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(n))):
        return float("nan")
    scale = max(np.max(np.abs(a)), np.max(np.abs(n)))
    if scale == 0:
        return 0.0
    floor = 1e-3 * scale
    den = np.maximum(np.maximum(np.abs(a), np.abs(n)), floor)
    return float(np.max(np.abs(a - n) / den))


def check_gradients(
    network: Network, x: ArrayLike, *, rng: Any = 0, eps: float = 1e-6
) -> GradientCheck:
    """Check a whole network's backward pass against central differences, in one call.

    The scalar checked is ``L = sum(g * network.forward(x))`` with a random
    upstream gradient ``g`` (standard normal, drawn from ``rng``): its
    gradient with respect to the output is ``g``, so ``network.backward(g)``
    gives dL/dx and every parameter's dL/dtheta, compared entry by entry with
    ``numerical_gradient`` of L. The check runs on a float64 copy of the
    network (the network itself is not changed). Each forward pass costs one
    evaluation per entry: meant for small networks and a few examples.

    Parameters
    ----------
    network : Network
    x : array_like, shape (N, ...)
        The input; real values away from ReLU kinks and pooling ties (random
        normal values are).
    rng : numpy.random.Generator, int or None
        Draws the upstream gradient.
    eps : float
        The finite-difference step.

    Returns
    -------
    GradientCheck
        Parameter name (``"input"``, ``"0.w"``, ...) -> the worst entrywise
        relative error ``|a - n| / max(|a|, |n|)`` (entries smaller than
        1e-3 of the array's largest are measured against that floor, where
        the finite differences' rounding would dominate). About 1e-7 or less
        for a correct backward pass.

    Examples
    --------
    >>> net = Network([Conv2D(1, 2, 3, padding="same", rng=0), Activation("tanh"),
    ...                Flatten(), Dense(2 * 4 * 4, 3, rng=1)])
    >>> check = check_gradients(net, np.random.default_rng(2).normal(size=(2, 1, 4, 4)))
    >>> list(check), check.worst < 1e-5
    (['input', '0.w', '0.b', '3.w', '3.b'], True)
    """
    if not isinstance(network, Network):
        raise TypeError(
            f"network must be a Network, got {type(network).__name__}"
        )
    net = network.astype(np.float64)
    x64 = np.array(as_real_array(x, "x"), dtype=np.float64)
    g = as_rng(rng).standard_normal(np.shape(net.forward(x64)))

    def L(v: Array) -> float:
        return float(np.sum(g * net.forward(v)))

    net.forward(x64)
    analytic = {"input": net.backward(g)}
    analytic.update({k: v.copy() for k, v in net.grads.items()})
    numeric = {"input": numerical_gradient(L, x64, eps=eps)}
    for i, layer in enumerate(net.layers):
        for name in layer.param_names:
            saved = getattr(layer, name).copy()

            def L_p(v: Array, layer: Layer = layer, name: str = name) -> float:
                getattr(layer, name)[...] = v
                return L(x64)

            numeric[f"{i}.{name}"] = numerical_gradient(L_p, saved, eps=eps)
            getattr(layer, name)[...] = saved
    return GradientCheck(
        (key, _worst(analytic[key], numeric[key])) for key in analytic
    )
