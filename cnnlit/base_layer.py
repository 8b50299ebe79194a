r"""The layer interface, and what the layers with weights share.

``Layer`` is the base class of every layer of ``cnnlit.layers``: ``forward``
keeps what the backward pass needs, ``backward`` turns the gradient with
respect to the layer's output into the one with respect to its input,
dE/do^{l-1}, and stores the gradients of the layer's parameters. Derived in
the chapter "A whole network".

Parameters are plain dicts: ``layer.params`` / ``layer.grads`` map ``"w"`` and
``"b"`` to the layer's arrays. Assigning ``layer.w = array`` copies the values
into the layer's dtype.

The layers with weights (``Conv2D``, ``Dense``) compute ``c = f(x; w) + b``
with one machinery, here: their parameters, one example or a batch, one
backward, and the initialisation. They initialise their weights by fan-in
when no ``init`` is given: He's N(0, 2 / fan_in) for a layer that a ReLU
follows in its Network, Glorot's N(0, 2 / (fan_in + fan_out)) otherwise;
``rng`` (a Generator or an int seed) makes the draw reproducible.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from ._checks import as_real_array, check_flag, check_float_dtype, check_int

__all__ = ["Layer", "INITS"]

Array = NDArray[np.floating[Any]]

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
