r"""A small sequential network built from the package's forward/backward pairs.

Each layer is a thin object around pure functions of the package
(:func:`~cnnlit.conv_forward` / :func:`~cnnlit.conv_backward`, the pooling
pair, the activations, :func:`~cnnlit.dense_forward` /
:func:`~cnnlit.dense_backward`): ``forward`` keeps what the backward pass
needs, ``backward`` turns :math:`\partial E/\partial o` (the gradient with
respect to the layer's output) into :math:`\partial E/\partial o^{l-1}` and
stores the gradients of the layer's parameters. Trained in :ref:`training`.

Arrays are channels-first, a batch is ``(N, C, H, W)``. The losses of
:mod:`cnnlit.losses` are sums over the batch; :func:`loss_and_grad` divides by
the batch size, so a gradient step uses the mean gradient.
"""

import numbers

import numpy as np

from ._checks import as_real_array, check_flag, check_int, pair
from .activations import relu, relu_prime, sigmoid, sigmoid_prime, tanh, tanh_prime
from .conv import conv_backward, conv_forward, conv_output_shape
from .dense import dense_backward, dense_forward
from .losses import (
    half_squared_error,
    half_squared_error_grad,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
)
from .pool import pool_backward, pool_forward

__all__ = [
    "Layer",
    "Conv2D",
    "Activation",
    "Pool",
    "Flatten",
    "Dense",
    "Network",
    "SGD",
    "LOSSES",
    "one_hot",
    "loss_and_grad",
]

LOSSES = ("half_squared_error", "softmax_cross_entropy")
ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_prime),
    "tanh": (tanh, tanh_prime),
    "relu": (relu, relu_prime),
}
DTYPES = (np.float32, np.float64)


def _check_rng(rng):
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator (e.g. np.random.default_rng(0)), got {type(rng).__name__}"
        )
    return rng


def _check_dtype(dtype):
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be float32 or float64, got {dtype!r}") from None
    if dt not in DTYPES:
        raise ValueError(f"dtype must be float32 or float64, got {dt}")
    return dt


def _check_input(x, name, ndim, described):
    x = as_real_array(x, name)
    if x.ndim != ndim:
        raise ValueError(f"{name} must have shape {described}, got shape {x.shape}")
    return x


class Layer:
    """Base class: a layer with no parameters that passes its input through.

    Subclasses override :meth:`forward`, :meth:`backward` and
    :meth:`output_shape`; layers with parameters keep them in ``params`` and
    their gradients, after :meth:`backward`, in ``grads`` (same order, same
    shapes).
    """

    def __init__(self):
        self.params = []
        self.grads = []

    def forward(self, x):
        """Output of the layer for the batch ``x``; caches what backward needs."""
        return x

    def backward(self, dE_do):
        """Gradient with respect to the layer's input, from the one with respect to its output."""
        return dE_do

    def output_shape(self, shape):
        """Shape of one example's output, from the shape of one example's input (no batch axis)."""
        return tuple(shape)

    def _set_params(self, w, fan_in, dtype):
        """Kernels or weights ``w`` scaled by sqrt(2 / fan_in) (He), zero biases, zeroed gradients."""
        self.w = (w * np.sqrt(2.0 / fan_in)).astype(dtype)
        self.b = np.zeros(w.shape[0], dtype=dtype)
        self.dE_dw = np.zeros_like(self.w)
        self.dE_db = np.zeros_like(self.b)
        self.params = [self.w, self.b]
        self.grads = [self.dE_dw, self.dE_db]
        self.o_prev = None
        self.delta = None

    def _require_cache(self, attr):
        if getattr(self, attr, None) is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
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
    dtype : {float64, float32}
        Type of the parameters.

    Attributes
    ----------
    w : ndarray, shape (C_out, C_in, kH, kW)
    b : ndarray, shape (C_out,)
    dE_dw, dE_db : ndarray
        Gradients, filled by :meth:`backward`.
    o_prev : ndarray, shape (N, C_in, H, W)
        Input of the last forward pass.
    delta : ndarray, shape (N, C_out, H_out, W_out)
        :math:`\delta = \partial E / \partial c` received by the last backward pass.
    """

    def __init__(self, C_in, C_out, k, *, rng, stride=1, padding=0, convention="convolution", dtype=np.float64):
        super().__init__()
        self.C_in = check_int(C_in, "C_in", 1)
        self.C_out = check_int(C_out, "C_out", 1)
        self.kH, self.kW = pair(k, "k", 1)
        self.stride = pair(stride, "stride", 1)
        self.padding = pair(padding, "padding", 0)
        self.convention = check_flag(convention, "convention", ("convolution", "correlation"))
        dtype = _check_dtype(dtype)
        rng = _check_rng(rng)
        w = rng.standard_normal((self.C_out, self.C_in, self.kH, self.kW))
        self._set_params(w, self.C_in * self.kH * self.kW, dtype)

    def _options(self):
        return dict(stride=self.stride, padding=self.padding, convention=self.convention)

    def forward(self, x):
        """Complete input ``c``.

        Parameters
        ----------
        x : ndarray, shape (N, C_in, H, W)

        Returns
        -------
        c : ndarray, shape (N, C_out, H_out, W_out)
        """
        x = _check_input(x, "x", 4, f"(N, C_in, H, W) with C_in={self.C_in}")
        if x.shape[1] != self.C_in:
            raise ValueError(f"x must have C_in={self.C_in} channels (shape (N, {self.C_in}, H, W)), got shape {x.shape}")
        self.o_prev = x
        return conv_forward(x, self.w, self.b, **self._options())

    def backward(self, dE_do):
        r"""Store :math:`\partial E/\partial w`, :math:`\partial E/\partial b`; return :math:`\partial E/\partial o^{l-1}`.

        Parameters
        ----------
        dE_do : ndarray, shape (N, C_out, H_out, W_out)
            The deltas :math:`\delta = \partial E / \partial c` of this layer.

        Returns
        -------
        dE_do_prev : ndarray, shape (N, C_in, H, W)
        """
        o_prev = self._require_cache("o_prev")
        dE_dw, dE_db, dE_do_prev = conv_backward(dE_do, o_prev, self.w, **self._options())
        self.delta = dE_do
        self.dE_dw[...] = dE_dw
        self.dE_db[...] = dE_db
        return dE_do_prev

    def output_shape(self, shape):
        C, H, W = shape
        if C != self.C_in:
            raise ValueError(f"input shape {tuple(shape)} does not have C_in={self.C_in} channels")
        return (self.C_out,) + conv_output_shape(H, W, self.kH, self.kW, stride=self.stride, padding=self.padding)

    def __repr__(self):
        return (
            f"Conv2D({self.C_in}, {self.C_out}, {(self.kH, self.kW)}, stride={self.stride}, "
            f"padding={self.padding}, convention={self.convention!r})"
        )


class Activation(Layer):
    r"""Elementwise activation :math:`o = a(c)`; backward multiplies by :math:`a'(c)`.

    Parameters
    ----------
    name : {'sigmoid', 'tanh', 'relu'}

    Attributes
    ----------
    c : ndarray
        Input of the last forward pass.
    """

    def __init__(self, name):
        super().__init__()
        self.name = check_flag(name, "name", tuple(ACTIVATIONS))
        self.a, self.a_prime = ACTIVATIONS[name]
        self.c = None

    def forward(self, x):
        """``a(x)``, any shape."""
        self.c = as_real_array(x, "x")
        return self.a(self.c)

    def backward(self, dE_do):
        r""":math:`\partial E/\partial c = \partial E/\partial o \cdot a'(c)`, shaped like the input."""
        c = self._require_cache("c")
        dE_do = as_real_array(dE_do, "dE_do")
        if dE_do.shape != c.shape:
            raise ValueError(f"dE_do must have the shape of the forward output, {c.shape}, got shape {dE_do.shape}")
        return dE_do * self.a_prime(c)

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
    """

    def __init__(self, size, stride=None, mode="max"):
        super().__init__()
        self.size = pair(size, "size", 1)
        self.stride = self.size if stride is None else pair(stride, "stride", 1)
        self.mode = check_flag(mode, "mode", ("max", "mean"))
        self.o_prev = None

    def forward(self, x):
        """Pooled ``x``: shape (N, C, H, W) -> (N, C, H_out, W_out)."""
        x = _check_input(x, "x", 4, "(N, C, H, W)")
        self.o_prev = x
        return pool_forward(x, self.size, stride=self.stride, mode=self.mode)

    def backward(self, dE_do):
        """Gradient with respect to the input, shape (N, C, H, W)."""
        o_prev = self._require_cache("o_prev")
        return pool_backward(dE_do, o_prev, self.size, stride=self.stride, mode=self.mode)

    def output_shape(self, shape):
        C, H, W = shape
        (kH, kW), (sH, sW) = self.size, self.stride
        return (C, (H - kH) // sH + 1, (W - kW) // sW + 1)

    def __repr__(self):
        return f"Pool({self.size}, stride={self.stride}, mode={self.mode!r})"


class Flatten(Layer):
    """Reshape ``(N, C, H, W)`` (or any ``(N, ...)``) to ``(N, C * H * W)``; backward reshapes back."""

    def __init__(self):
        super().__init__()
        self.shape = None

    def forward(self, x):
        x = as_real_array(x, "x")
        if x.ndim < 2:
            raise ValueError(f"x must have shape (N, ...) with at least 2 dimensions, got shape {x.shape}")
        self.shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dE_do):
        shape = self._require_cache("shape")
        dE_do = as_real_array(dE_do, "dE_do")
        if dE_do.size != int(np.prod(shape)):
            raise ValueError(f"dE_do must have {int(np.prod(shape))} elements to reshape to {shape}, got shape {dE_do.shape}")
        return dE_do.reshape(shape)

    def output_shape(self, shape):
        return (int(np.prod(shape)),)


class Dense(Layer):
    r"""Fully connected layer, ``c = x w^T + b`` (:func:`~cnnlit.dense_forward`).

    Parameters
    ----------
    D_in, D_out : int
    rng : numpy.random.Generator
        Draws ``w`` from :math:`\mathcal N(0, 2 / D_{in})` (He); ``b`` starts at zero.
    dtype : {float64, float32}

    Attributes
    ----------
    w : ndarray, shape (D_out, D_in)
    b : ndarray, shape (D_out,)
    dE_dw, dE_db : ndarray
        Gradients, filled by :meth:`backward`.
    o_prev : ndarray, shape (N, D_in)
        Input of the last forward pass.
    delta : ndarray, shape (N, D_out)
        :math:`\partial E/\partial c` received by the last backward pass.
    """

    def __init__(self, D_in, D_out, *, rng, dtype=np.float64):
        super().__init__()
        self.D_in = check_int(D_in, "D_in", 1)
        self.D_out = check_int(D_out, "D_out", 1)
        dtype = _check_dtype(dtype)
        rng = _check_rng(rng)
        self._set_params(rng.standard_normal((self.D_out, self.D_in)), self.D_in, dtype)

    def forward(self, x):
        """``c``, shape (N, D_out), from ``x``, shape (N, D_in)."""
        x = _check_input(x, "x", 2, f"(N, D_in) with D_in={self.D_in}")
        if x.shape[1] != self.D_in:
            raise ValueError(f"x must have shape (N, {self.D_in}) (D_in={self.D_in}), got shape {x.shape}")
        self.o_prev = x
        return dense_forward(x, self.w, self.b)

    def backward(self, dE_do):
        """Store the parameter gradients; return ``dE/dx``, shape (N, D_in)."""
        o_prev = self._require_cache("o_prev")
        dE_dw, dE_db, dE_dx = dense_backward(dE_do, o_prev, self.w)
        self.delta = dE_do
        self.dE_dw[...] = dE_dw
        self.dE_db[...] = dE_db
        return dE_dx

    def output_shape(self, shape):
        if tuple(shape) != (self.D_in,):
            raise ValueError(f"input shape {tuple(shape)} is not ({self.D_in},)")
        return (self.D_out,)

    def __repr__(self):
        return f"Dense({self.D_in}, {self.D_out})"


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
            raise ValueError("layers must be a non-empty list of Layer objects, got an empty list")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layers[{i}] must be a Layer (Conv2D, Activation, Pool, Flatten, Dense), got {type(layer).__name__}")
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
        """Every parameter array (the layers' own arrays, updated in place by :class:`SGD`)."""
        return [p for layer in self.layers for p in layer.params]

    def grads(self):
        """Every gradient array, in the order of :meth:`params`."""
        return [g for layer in self.layers for g in layer.grads]

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
        if x.ndim < 2:
            raise ValueError(f"x must be a batch, shape (N, ...), got shape {x.shape}")
        out = [np.argmax(self.forward(x[i : i + batch_size]), axis=1) for i in range(0, len(x), batch_size)]
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
        """
        shape = tuple(input_shape)
        rows = []
        for layer in self.layers:
            shape = layer.output_shape(shape)
            rows.append((repr(layer), shape, int(sum(p.size for p in layer.params))))
        return rows


class SGD:
    r"""Stochastic gradient descent with (heavy-ball) momentum.

    .. math:: v \leftarrow \mu v - \eta\, (\nabla E + \lambda \theta), \qquad \theta \leftarrow \theta + v

    Parameters
    ----------
    lr : float
        Learning rate :math:`\eta > 0`.
    momentum : float
        :math:`\mu \in [0, 1)`; 0 is plain gradient descent.
    weight_decay : float
        :math:`\lambda \ge 0`, the gradient of :math:`\frac{\lambda}{2}\|w\|^2` added
        for the weights (not for the biases); 0 turns it off.
    """

    def __init__(self, lr, momentum=0.0, weight_decay=0.0):
        for name, value in (("lr", lr), ("momentum", momentum), ("weight_decay", weight_decay)):
            if not isinstance(value, numbers.Real) or isinstance(value, bool):
                raise TypeError(f"{name} must be a real number, got {value!r}")
        if not lr > 0:
            raise ValueError(f"lr must be > 0, got {lr!r}")
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        if not weight_decay >= 0:
            raise ValueError(f"weight_decay must be >= 0, got {weight_decay!r}")
        self.lr = float(lr)
        self.momentum = float(momentum)
        self.weight_decay = float(weight_decay)
        self._velocity = {}

    def step(self, network):
        """Update ``network``'s parameters in place from its current gradients."""
        if not isinstance(network, Network):
            raise TypeError(f"network must be a Network, got {type(network).__name__}")
        for p, g in zip(network.params(), network.grads()):
            if self.weight_decay and p.ndim > 1:
                g = g + self.weight_decay * p
            if self.momentum:
                # keyed by the array's id; the array is kept with it, so the id cannot be reused
                entry = self._velocity.get(id(p))
                if entry is None:
                    entry = self._velocity[id(p)] = (p, np.zeros_like(p))
                v = entry[1]
                v *= self.momentum
                v -= self.lr * g
                p += v
            else:
                p -= self.lr * g


def one_hot(labels, K, dtype=np.float64):
    """Targets ``t`` with ``t[i, labels[i]] = 1`` and zeros elsewhere.

    Parameters
    ----------
    labels : array_like of int, shape (N,)
    K : int
        Number of classes.

    Returns
    -------
    ndarray, shape (N, K)

    Examples
    --------
    >>> one_hot([2, 0], 3)
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """
    K = check_int(K, "K", 1)
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"labels must be integer class indices, got dtype {labels.dtype}")
    if labels.ndim != 1:
        raise ValueError(f"labels must have shape (N,), got shape {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= K):
        raise ValueError(f"labels must lie in [0, {K - 1}], got values from {labels.min()} to {labels.max()}")
    t = np.zeros((labels.size, K), dtype=_check_dtype(dtype))
    t[np.arange(labels.size), labels] = 1
    return t


def loss_and_grad(o, labels, loss="half_squared_error"):
    r"""Mean loss over the batch and its gradient with respect to the network's output.

    ``"half_squared_error"``: the source's :math:`E = \frac12 \sum (t - o^L)^2`
    against one-hot targets ``t``; ``"softmax_cross_entropy"``: ``o`` are
    logits. Both package losses are sums, so value and gradient are divided by
    the batch size ``N``.

    Parameters
    ----------
    o : array_like, shape (N, K)
        Output of the network.
    labels : array_like of int, shape (N,)
    loss : {'half_squared_error', 'softmax_cross_entropy'}

    Returns
    -------
    E : float
        Loss per example.
    dE_do : ndarray, shape (N, K)
        Gradient of ``E`` (the mean) with respect to ``o``.

    Examples
    --------
    >>> import numpy as np
    >>> E, g = loss_and_grad(np.array([[0.5, 0.5]]), [1])
    >>> E, g
    (0.25, array([[ 0.5, -0.5]]))
    """
    check_flag(loss, "loss", LOSSES)
    o = _check_input(o, "o", 2, "(N, K)")
    N, K = o.shape
    if loss == "half_squared_error":
        t = one_hot(labels, K, dtype=o.dtype)
        if t.shape[0] != N:
            raise ValueError(f"labels must have shape (N,) = ({N},), got shape {np.shape(labels)}")
        return half_squared_error(o, t) / N, half_squared_error_grad(o, t) / N
    return softmax_cross_entropy(o, labels) / N, softmax_cross_entropy_grad(o, labels) / N
