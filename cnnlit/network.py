r"""A small sequential network built from the package's forward/backward pairs.

Each layer is a thin object around pure functions of the package
(:func:`~cnnlit.conv_forward` / :func:`~cnnlit.conv_backward`, the pooling
pair, the activations, :func:`~cnnlit.dense_forward` /
:func:`~cnnlit.dense_backward`): ``forward`` keeps what the backward pass
needs, ``backward`` turns the gradient with respect to the layer's output into
the one with respect to its input, :math:`\partial E/\partial o^{l-1}`, and
stores the gradients of the layer's parameters. Trained in :ref:`training`.

A layer's parameters have names (``"w"`` and ``"b"``): :attr:`Layer.params`
and :attr:`Layer.grads` map each name to the layer's current array, read on
access, so assigning ``layer.w = array`` is seen by the optimiser
(:class:`~cnnlit.optim.SGD`), by :meth:`Network.save` and by
:meth:`Network.load`.

Arrays are channels-first, a batch is ``(N, C, H, W)``. The losses and
:func:`~cnnlit.losses.loss_and_grad` are in :mod:`cnnlit.losses`.
"""

import json
import math
import os
import zipfile

import numpy as np

from ._checks import (
    CONVENTIONS,
    POOL_MODES,
    as_real_array,
    check_flag,
    check_float_dtype,
    check_int,
    check_ndim,
    check_rng,
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
from .pool import pool_backward, pool_forward

__all__ = [
    "Layer",
    "Conv2D",
    "Activation",
    "Pool",
    "Flatten",
    "Dense",
    "Network",
    "LAYERS",
]

ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_prime),
    "tanh": (tanh, tanh_prime),
    "relu": (relu, relu_prime),
}

# What Network.save writes: an architecture in JSON beside the parameter arrays.
FILE_FORMAT = "cnnlit.Network"
FILE_VERSION = 1


def _example_shape(shape, layer, ndim, described):
    """``shape`` (one example's, no batch axis) as a tuple of ``ndim`` ints >= 1."""
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

    def __set_name__(self, owner, name):
        self.name = name
        self.slot = "_" + name

    def __get__(self, layer, owner=None):
        if layer is None:
            return self
        return layer.__dict__.get(self.slot)

    def __set__(self, layer, value):
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


class Layer:
    """Base class: a layer with no parameters that passes its input through.

    Subclasses override :meth:`forward`, :meth:`backward`, :meth:`output_shape`
    and :meth:`config`. A layer with parameters lists their names in
    ``param_names`` and their shapes in ``param_shapes``; :attr:`params` and
    :attr:`grads` map each name to the current arrays.

    A layer keeps a *reference* to its input (not a copy) from :meth:`forward`
    to :meth:`backward`: changing that array in place between the two passes
    changes the gradients that :meth:`backward` computes.
    """

    param_names = ()

    @property
    def params(self):
        """dict of str to ndarray: every parameter by name (``"w"``, ``"b"``), the layer's own arrays.

        Computed on access: after ``layer.w = array`` it holds the new array.
        """
        return {name: getattr(self, name) for name in self.param_names}

    @property
    def grads(self):
        """dict of str to ndarray: the gradient of every parameter (``dE_dw``, ``dE_db``), by name.

        Filled by :meth:`backward`; zeros before the first backward pass.
        """
        return {name: getattr(self, "dE_d" + name) for name in self.param_names}

    def forward(self, x):
        """Output of the layer for the batch ``x``; caches what :meth:`backward` needs.

        Parameters
        ----------
        x : ndarray, shape (N, ...)

        Returns
        -------
        ndarray, shape (N, ...)
            Here ``x`` itself.
        """
        return x

    def backward(self, dE_do):
        r"""Gradient with respect to the layer's input, from the one with respect to its output.

        Parameters
        ----------
        dE_do : ndarray, shape of the last :meth:`forward` output
            :math:`\partial E/\partial o`.

        Returns
        -------
        ndarray, shape of the last :meth:`forward` input
            Here ``dE_do`` itself.
        """
        return dE_do

    def output_shape(self, shape):
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

    def config(self):
        """The arguments that rebuild this layer (its parameters aside), as JSON-ready values.

        Returns
        -------
        dict
            ``type(layer)(**layer.config())`` (with ``rng=`` for a layer that
            draws its weights) builds the same layer.
        """
        return {}

    def _init_params(self, shape, fan_in, rng, dtype, bias):
        """Weights drawn as N(0, 2 / fan_in) (He), zero biases, zeroed gradients."""
        self.dtype = check_float_dtype(dtype)
        self.bias = bool(bias)
        self.param_names = ("w", "b") if self.bias else ("w",)
        self.param_shapes = {"w": shape, "b": shape[:1]}
        w = check_rng(rng).standard_normal(shape)
        self.w = w * np.sqrt(2.0 / fan_in)
        self.dE_dw = np.zeros(shape, dtype=self.dtype)
        self.dE_db = None
        if self.bias:
            self.b = np.zeros(shape[:1])
            self.dE_db = np.zeros(shape[:1], dtype=self.dtype)
        self.o_prev = None
        self.delta = None

    def _require_cache(self, attr):
        if getattr(self, attr, None) is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward called before forward"
            )
        return getattr(self, attr)

    def __repr__(self):
        return f"{type(self).__name__}()"


class Conv2D(Layer):
    r"""Convolutional layer: ``c = conv_forward(o_prev, w, b, ...)``.

    Parameters
    ----------
    C_in : int
        Number of input units (channels), indexed by :math:`n`.
    C_out : int
        Number of output units (feature maps), indexed by :math:`m`.
    k : int or (int, int)
        Kernel size ``(kH, kW)``.
    rng : numpy.random.Generator
        Draws the initial kernels from :math:`\mathcal N(0, 2 / (C_{in} k_H k_W))`
        (He initialisation, suited to ReLU); the biases start at zero.
    stride, padding, convention
        As in :func:`~cnnlit.conv_forward` (``boundary`` is ``'fill'``).
    bias : bool
        ``False``: no bias, the layer's only parameter is ``w`` (and ``b`` is ``None``).
    dtype : {float64, float32}
        Type of the parameters.

    Attributes
    ----------
    w : ndarray, shape (C_out, C_in, kH, kW)
    b : ndarray, shape (C_out,), or None
    dE_dw : ndarray, shape (C_out, C_in, kH, kW)
    dE_db : ndarray, shape (C_out,), or None
        Gradients, filled by :meth:`backward`.
    o_prev : ndarray, shape (N, C_in, H, W)
        Input of the last forward pass (the caller's array, not a copy).
    delta : ndarray, shape (N, C_out, H_out, W_out)
        :math:`\delta = \partial E / \partial c` received by the last backward pass.
    """

    def __init__(
        self,
        C_in,
        C_out,
        k,
        *,
        rng,
        stride=1,
        padding=0,
        convention="convolution",
        bias=True,
        dtype=np.float64,
    ):
        self.C_in = check_int(C_in, "C_in", 1)
        self.C_out = check_int(C_out, "C_out", 1)
        self.kH, self.kW = pair(k, "k", 1)
        self.stride = pair(stride, "stride", 1)
        self.padding = pair(padding, "padding", 0)
        self.convention = check_flag(convention, "convention", CONVENTIONS)
        shape = (self.C_out, self.C_in, self.kH, self.kW)
        self._init_params(
            shape, self.C_in * self.kH * self.kW, rng, dtype, bias
        )

    w = _Parameter()
    b = _Parameter()

    def _options(self):
        return dict(
            stride=self.stride, padding=self.padding, convention=self.convention
        )

    def forward(self, x):
        """Complete input ``c``; keeps ``x`` for :meth:`backward`.

        Parameters
        ----------
        x : array_like, shape (N, C_in, H, W)

        Returns
        -------
        c : ndarray, shape (N, C_out, H_out, W_out)
        """
        x = as_real_array(x, "x")
        check_ndim(x, "x", (4,), f"(N, C_in, H, W) with C_in={self.C_in}")
        if x.shape[1] != self.C_in:
            raise ValueError(
                f"x must have C_in={self.C_in} channels (shape (N, {self.C_in}, H, W)), got shape {x.shape}"
            )
        self.o_prev = x
        return conv_forward(
            x, self.w, self.b if self.bias else None, **self._options()
        )

    def backward(self, delta):
        r"""Store :math:`\partial E/\partial w` (and :math:`\partial E/\partial b`); return :math:`\partial E/\partial o^{l-1}`.

        Parameters
        ----------
        delta : array_like, shape (N, C_out, H_out, W_out)
            :math:`\delta = \partial E / \partial c`, the gradient with respect
            to this layer's output ``c``.

        Returns
        -------
        dE_do_prev : ndarray, shape (N, C_in, H, W)
        """
        o_prev = self._require_cache("o_prev")
        dE_dw, dE_db, dE_do_prev = conv_backward(
            delta, o_prev, self.w, **self._options()
        )
        self.delta = delta
        self.dE_dw = dE_dw
        if self.bias:
            self.dE_db = dE_db
        return dE_do_prev

    def output_shape(self, shape):
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
            Where :meth:`forward` would: a wrong number of channels, or a
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
            H, W, self.kH, self.kW, stride=self.stride, padding=self.padding
        )

    def config(self):
        return dict(
            C_in=self.C_in,
            C_out=self.C_out,
            k=[self.kH, self.kW],
            stride=list(self.stride),
            padding=list(self.padding),
            convention=self.convention,
            bias=self.bias,
            dtype=self.dtype.name,
        )

    def __repr__(self):
        return (
            f"Conv2D({self.C_in}, {self.C_out}, {(self.kH, self.kW)}, stride={self.stride}, "
            f"padding={self.padding}, convention={self.convention!r}"
            + ("" if self.bias else ", bias=False")
            + ")"
        )


class Activation(Layer):
    r"""Elementwise activation :math:`o = a(c)`; backward multiplies by :math:`a'(c)`.

    Parameters
    ----------
    name : {'sigmoid', 'tanh', 'relu'}

    Attributes
    ----------
    c : ndarray
        Input of the last forward pass (the caller's array, not a copy).
    """

    def __init__(self, name):
        self.name = check_flag(name, "name", tuple(ACTIVATIONS))
        self.a, self.a_prime = ACTIVATIONS[name]
        self.c = None

    def forward(self, x):
        """``a(x)``; keeps ``x`` as :attr:`c`.

        Parameters
        ----------
        x : array_like, any shape

        Returns
        -------
        o : ndarray, shape of ``x``
        """
        self.c = as_real_array(x, "x")
        return self.a(self.c)

    def backward(self, dE_do):
        r""":math:`\partial E/\partial c = \partial E/\partial o \cdot a'(c)`.

        Parameters
        ----------
        dE_do : array_like, shape of the last forward input
            :math:`\partial E/\partial o`.

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

    def config(self):
        return dict(name=self.name)

    def __repr__(self):
        return f"Activation({self.name!r})"


class Pool(Layer):
    """Max or mean pooling: :func:`~cnnlit.pool_forward` / :func:`~cnnlit.pool_backward`.

    Parameters
    ----------
    size : int or (int, int)
    stride : int or (int, int), optional
        Defaults to ``size``.
    mode : {'max', 'mean'}

    Attributes
    ----------
    o_prev : ndarray, shape (N, C, H, W)
        Input of the last forward pass (the caller's array, not a copy).
    """

    def __init__(self, size, stride=None, mode="max"):
        self.size = pair(size, "size", 1)
        self.stride = self.size if stride is None else pair(stride, "stride", 1)
        self.mode = check_flag(mode, "mode", POOL_MODES)
        self.o_prev = None

    def forward(self, x):
        """Pooled ``x``; keeps ``x`` for :meth:`backward`.

        Parameters
        ----------
        x : array_like, shape (N, C, H, W)

        Returns
        -------
        o : ndarray, shape (N, C, H_out, W_out)
        """
        x = as_real_array(x, "x")
        check_ndim(x, "x", (4,), "(N, C, H, W)")
        self.o_prev = x
        return pool_forward(x, self.size, stride=self.stride, mode=self.mode)

    def backward(self, dE_do):
        r"""Gradient with respect to the input.

        Parameters
        ----------
        dE_do : array_like, shape (N, C, H_out, W_out)
            :math:`\partial E/\partial o` of the pooled output.

        Returns
        -------
        dE_do_prev : ndarray, shape (N, C, H, W)
        """
        o_prev = self._require_cache("o_prev")
        return pool_backward(
            dE_do, o_prev, self.size, stride=self.stride, mode=self.mode
        )

    def output_shape(self, shape):
        """``(C, H_out, W_out)`` from ``(C, H, W)``, by the size formula of :func:`~cnnlit.conv_output_shape`.

        Parameters
        ----------
        shape : tuple of 3 ints

        Returns
        -------
        tuple of 3 ints

        Raises
        ------
        ValueError
            Where :meth:`forward` would: a window larger than the input.
        """
        C, H, W = _example_shape(shape, "Pool", 3, "(C, H, W)")
        return (C,) + conv_output_shape(H, W, *self.size, stride=self.stride)

    def config(self):
        return dict(
            size=list(self.size), stride=list(self.stride), mode=self.mode
        )

    def __repr__(self):
        return f"Pool({self.size}, stride={self.stride}, mode={self.mode!r})"


class Flatten(Layer):
    """Reshape ``(N, C, H, W)`` (or any ``(N, ...)``) to ``(N, C * H * W)``; backward reshapes back."""

    def __init__(self):
        self.shape = None

    def forward(self, x):
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

    def backward(self, dE_do):
        r"""The gradient reshaped to the forward input's shape.

        Parameters
        ----------
        dE_do : array_like, shape (N, D)
            Gradient with respect to the flat output.

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

    def output_shape(self, shape):
        """``(prod(shape),)``.

        Parameters
        ----------
        shape : tuple of int

        Returns
        -------
        tuple of 1 int
        """
        shape = _example_shape(
            shape,
            "Flatten",
            max(1, len(tuple(shape))),
            "(...) with at least 1 dimension",
        )
        return (math.prod(shape),)


class Dense(Layer):
    r"""Fully connected layer, ``c = x w^T + b`` (:func:`~cnnlit.dense_forward`).

    Parameters
    ----------
    D_in, D_out : int
    rng : numpy.random.Generator
        Draws ``w`` from :math:`\mathcal N(0, 2 / D_{in})` (He); ``b`` starts at zero.
    bias : bool
        ``False``: no bias, the layer's only parameter is ``w`` (and ``b`` is ``None``).
    dtype : {float64, float32}

    Attributes
    ----------
    w : ndarray, shape (D_out, D_in)
    b : ndarray, shape (D_out,), or None
    dE_dw : ndarray, shape (D_out, D_in)
    dE_db : ndarray, shape (D_out,), or None
        Gradients, filled by :meth:`backward`.
    o_prev : ndarray, shape (N, D_in)
        Input of the last forward pass (the caller's array, not a copy).
    delta : ndarray, shape (N, D_out)
        :math:`\partial E/\partial c` received by the last backward pass.
    """

    def __init__(self, D_in, D_out, *, rng, bias=True, dtype=np.float64):
        self.D_in = check_int(D_in, "D_in", 1)
        self.D_out = check_int(D_out, "D_out", 1)
        self._init_params((self.D_out, self.D_in), self.D_in, rng, dtype, bias)

    w = _Parameter()
    b = _Parameter()

    def forward(self, x):
        """Complete input ``c``; keeps ``x`` for :meth:`backward`.

        Parameters
        ----------
        x : array_like, shape (N, D_in)

        Returns
        -------
        c : ndarray, shape (N, D_out)
        """
        x = as_real_array(x, "x")
        check_ndim(x, "x", (2,), f"(N, D_in) with D_in={self.D_in}")
        if x.shape[1] != self.D_in:
            raise ValueError(
                f"x must have shape (N, {self.D_in}) (D_in={self.D_in}), got shape {x.shape}"
            )
        self.o_prev = x
        return dense_forward(x, self.w, self.b if self.bias else None)

    def backward(self, delta):
        r"""Store :math:`\partial E/\partial w` (and :math:`\partial E/\partial b`); return :math:`\partial E/\partial x`.

        Parameters
        ----------
        delta : array_like, shape (N, D_out)
            :math:`\delta = \partial E / \partial c`, the gradient with respect
            to this layer's output ``c``.

        Returns
        -------
        dE_dx : ndarray, shape (N, D_in)
        """
        o_prev = self._require_cache("o_prev")
        dE_dw, dE_db, dE_dx = dense_backward(delta, o_prev, self.w)
        self.delta = delta
        self.dE_dw = dE_dw
        if self.bias:
            self.dE_db = dE_db
        return dE_dx

    def output_shape(self, shape):
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

    def config(self):
        return dict(
            D_in=self.D_in,
            D_out=self.D_out,
            bias=self.bias,
            dtype=self.dtype.name,
        )

    def __repr__(self):
        return (
            f"Dense({self.D_in}, {self.D_out}"
            + ("" if self.bias else ", bias=False")
            + ")"
        )


# The layer types a saved network may hold, by name.
LAYERS = {
    cls.__name__: cls for cls in (Conv2D, Activation, Pool, Flatten, Dense)
}
_DRAWS_WEIGHTS = (Conv2D, Dense)


class Network:
    """Layers applied in order; backward runs them in reverse.

    Parameters
    ----------
    layers : list of Layer

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> net = Network([Conv2D(1, 2, 3, rng=rng, padding=1), Activation("relu"),
    ...                Pool(2), Flatten(), Dense(2 * 2 * 2, 3, rng=rng)])
    >>> net.forward(np.zeros((5, 1, 4, 4))).shape
    (5, 3)
    >>> net.backward(np.ones((5, 3))).shape
    (5, 1, 4, 4)
    >>> [g.shape for g in net.grads()]
    [(2, 1, 3, 3), (2,), (3, 8), (3,)]
    """

    def __init__(self, layers):
        layers = list(layers)
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

    def forward(self, x):
        """Output of the last layer for the batch ``x``; every layer caches its input.

        Parameters
        ----------
        x : array_like, shape (N, ...)
            Shaped as the first layer expects, e.g. (N, C, H, W) for a :class:`Conv2D`.

        Returns
        -------
        ndarray, shape (N, ...) of the last layer's output
        """
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dE_do):
        """Back-propagate ``dE/do`` of the last layer's output; fill every layer's grads.

        Parameters
        ----------
        dE_do : array_like, shape of the last :meth:`forward` output

        Returns
        -------
        dE_dx : ndarray, shape of the last :meth:`forward` input
        """
        for layer in reversed(self.layers):
            dE_do = layer.backward(dE_do)
        return dE_do

    def params(self):
        """Every parameter array, layer after layer and by name within a layer (the layers' own arrays).

        Returns
        -------
        list of ndarray
        """
        return [p for layer in self.layers for p in layer.params.values()]

    def grads(self):
        """Every gradient array, in the order of :meth:`params`.

        Returns
        -------
        list of ndarray
        """
        return [g for layer in self.layers for g in layer.grads.values()]

    def predict(self, x, batch_size=256):
        """Predicted class (argmax of the output) of every example, in batches.

        Parameters
        ----------
        x : array_like, shape (N, ...)
        batch_size : int

        Returns
        -------
        ndarray of int, shape (N,)
        """
        batch_size = check_int(batch_size, "batch_size", 1)
        x = as_real_array(x, "x")
        check_ndim(
            x, "x", range(2, 65), "(N, ...), a batch of at least 2 dimensions"
        )
        out = [
            np.argmax(self.forward(x[i : i + batch_size]), axis=1)
            for i in range(0, len(x), batch_size)
        ]
        return np.concatenate(out) if out else np.zeros(0, dtype=np.intp)

    def summary(self, input_shape):
        """Output shape and parameter count of every layer for one example.

        Parameters
        ----------
        input_shape : tuple of int
            Shape of one example, e.g. ``(1, 8, 8)``.

        Returns
        -------
        list of (str, tuple, int)
            ``(repr of the layer, output shape, number of parameters)``.

        Raises
        ------
        ValueError
            When a layer cannot take the shape it would receive (naming the layer).
        """
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
            rows.append(
                (
                    repr(layer),
                    shape,
                    int(sum(p.size for p in layer.params.values())),
                )
            )
        return rows

    def save(self, path):
        """Write the network to an ``.npz`` file: its architecture and its parameters.

        The architecture (each layer's type and :meth:`Layer.config`) is a JSON
        text stored as bytes (a uint8 array); parameter ``name`` of layer ``i``
        is the array ``"{i}.{name}"``. Nothing is pickled: :meth:`load` reads
        the file with ``allow_pickle=False``.

        Parameters
        ----------
        path : str or os.PathLike
            Written as given (no suffix is added).
        """
        for i, layer in enumerate(self.layers):
            if LAYERS.get(type(layer).__name__) is not type(layer):
                raise TypeError(
                    f"layers[{i}] is a {type(layer).__name__}, which a file cannot hold (only {', '.join(LAYERS)})"
                )
        architecture = dict(
            format=FILE_FORMAT,
            version=FILE_VERSION,
            layers=[
                dict(type=type(layer).__name__, config=layer.config())
                for layer in self.layers
            ],
        )
        arrays = {
            "architecture": np.frombuffer(
                json.dumps(architecture).encode("utf-8"), dtype=np.uint8
            )
        }
        for i, layer in enumerate(self.layers):
            for name, p in layer.params.items():
                arrays[f"{i}.{name}"] = p
        with open(os.fspath(path), "wb") as f:
            np.savez(f, **arrays)

    @classmethod
    def load(cls, path):
        """Rebuild a network written by :meth:`save`, without running any code from the file.

        Parameters
        ----------
        path : str or os.PathLike

        Returns
        -------
        Network

        Raises
        ------
        OSError
            The file cannot be opened or read.
        ValueError
            The file is not a network saved by :meth:`save`: not an ``.npz``
            archive, truncated, holding pickled objects, an unknown layer type,
            or parameters that do not fit the layers.
        """
        path = os.fspath(path)
        try:
            data = np.load(path, allow_pickle=False)
            if not isinstance(data, np.lib.npyio.NpzFile):
                raise ValueError("it holds a single array, not an .npz archive")
            with data:
                arrays = {key: data[key] for key in data.files}
        except (zipfile.BadZipFile, EOFError) as exc:
            raise ValueError(
                f"{path} is not a network saved by Network.save: truncated or corrupt ({exc})"
            ) from None
        except ValueError as exc:
            raise ValueError(
                f"{path} is not a network saved by Network.save: {exc}"
            ) from None
        return cls._from_arrays(arrays, path)

    @classmethod
    def _from_arrays(cls, arrays, path):
        def bad(message):
            return ValueError(
                f"{path} is not a network saved by Network.save: {message}"
            )

        raw = arrays.pop("architecture", None)
        if raw is None or raw.dtype != np.uint8 or raw.ndim != 1:
            raise bad(
                "it has no 'architecture' (a 1-D uint8 array of JSON text)"
            )
        try:
            architecture = json.loads(raw.tobytes().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise bad(f"its architecture is not JSON text: {exc}") from None
        if (
            not isinstance(architecture, dict)
            or architecture.get("format") != FILE_FORMAT
        ):
            raise bad(
                f"its architecture does not start with format {FILE_FORMAT!r}"
            )
        if architecture.get("version") != FILE_VERSION:
            raise bad(
                f"file version {architecture.get('version')!r}, this cnnlit reads version {FILE_VERSION}"
            )
        specs = architecture.get("layers")
        if not isinstance(specs, list) or not specs:
            raise bad("its architecture lists no layers")
        layers = []
        for i, spec in enumerate(specs):
            if not isinstance(spec, dict) or not isinstance(
                spec.get("config"), dict
            ):
                raise bad(
                    f"layer {i} is not an object with a 'type' and a 'config'"
                )
            kind = spec.get("type")
            if kind not in LAYERS:
                raise bad(
                    f"layer {i} has the unknown type {kind!r} (known: {', '.join(LAYERS)})"
                )
            layer_cls = LAYERS[kind]
            kwargs = dict(spec["config"])
            if layer_cls in _DRAWS_WEIGHTS:
                kwargs["rng"] = np.random.default_rng(
                    0
                )  # replaced by the saved parameters below
            try:
                layer = layer_cls(**kwargs)
            except (TypeError, ValueError) as exc:
                raise bad(
                    f"layer {i} ({kind}) cannot be built from {spec['config']}: {exc}"
                ) from None
            for name in layer.param_names:
                key = f"{i}.{name}"
                if key not in arrays:
                    raise bad(
                        f"the parameter {key!r} of layer {i} ({kind}) is missing"
                    )
                value = arrays.pop(key)
                if value.dtype != layer.dtype:
                    raise bad(
                        f"{key!r} has dtype {value.dtype}, the layer's is {layer.dtype}"
                    )
                try:
                    setattr(layer, name, value)
                except (TypeError, ValueError) as exc:
                    raise bad(f"{key!r}: {exc}") from None
            layers.append(layer)
        if arrays:
            raise bad(
                f"it holds arrays no layer takes: {', '.join(sorted(arrays))}"
            )
        return cls(layers)

    def __repr__(self):
        return (
            "Network([" + ", ".join(repr(layer) for layer in self.layers) + "])"
        )
