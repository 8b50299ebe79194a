r"""A small sequential network: layers applied in order, backward in reverse.

``Network`` chains the layers of ``cnnlit.layers`` (``Conv2D``, ``Activation``,
``Pool``, ``Flatten``, ``Dense``; their base ``Layer`` is in
``cnnlit.base_layer``): ``forward`` runs them in order, each keeping what its
backward pass needs, ``backward`` runs them in reverse and fills every
layer's gradients. ``check_gradients`` compares that backward pass with
finite differences in one call, ``Network.summary`` tabulates the layers.
Derived in the chapter "A whole network", trained in the chapter "Training
on digits".

Parameters are plain dicts: ``network.params`` / ``network.grads`` map
``"0.w"`` (layer 0's kernel), ``"0.b"``, ... to the layers' own arrays. A
network takes one example (no batch axis) as well as a batch, and decides
the default initialisation of its layers: He's before a ReLU, Glorot's
otherwise.

The layers (and ``LAYERS``, ``INITS``) are importable from here too. Arrays
are channels-first, a batch is ``(N, C, H, W)``. Saving and loading are in
``cnnlit.saving``; training in ``cnnlit.fitting`` (``Network.fit``).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from ._checks import (
    as_real_array,
    check_float_dtype,
    check_int,
    check_ndim,
    check_real,
)
from .base_layer import INITS, Array, Layer, _digest, _Weighted, as_rng
from .gradcheck import numerical_gradient
from .layers import ACTIVATIONS as ACTIVATIONS  # importable from here too
from .layers import (
    LAYERS,
    Activation,
    Conv2D,
    Dense,
    Flatten,
    Pool,
)

if TYPE_CHECKING:  # pragma: no cover
    from .fitting import History

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
        list of str, or one name for one example; without names, what
        ``predict`` returns (an ndarray of int, or one int)
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
        """Train the network on ``(x, y)``: ``cnnlit.fitting.fit(self, x, y, **options)``."""
        from .fitting import fit

        return fit(self, x, y, **options)

    def evaluate(
        self, x: ArrayLike, y: ArrayLike, **options: Any
    ) -> dict[str, float]:
        """Loss and accuracy on ``(x, y)``: ``cnnlit.fitting.evaluate(self, x, y, **options)``."""
        from .fitting import evaluate

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
    network (the network itself is not changed). It costs two forward passes
    per entry (central differences): meant for small networks and a few
    examples.

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
