r"""Loss functions and their gradients with respect to the network's output.

The source post's error is ``E = ½ (t - o^L)^2``, summed over every
output element (chapter "Feed-forward"); softmax cross-entropy is the usual
alternative for classification (chapter "Training"). Both are *sums* over the
batch, so a gradient step on a batch of size N should be scaled by 1/N for a
mean.
"""

import numpy as np

from ._checks import (
    as_real_array,
    check_flag,
    check_float_dtype,
    check_int,
    check_labels,
    check_ndim,
    result_dtype,
)

__all__ = [
    "half_squared_error",
    "half_squared_error_grad",
    "softmax",
    "softmax_cross_entropy",
    "softmax_cross_entropy_grad",
    "LOSSES",
    "one_hot",
    "loss_and_grad",
]


def _pair(o, t):
    o = as_real_array(o, "o")
    t = as_real_array(t, "t")
    if o.shape != t.shape:
        raise ValueError(
            f"t must have the shape of o, {o.shape}, got shape {t.shape}"
        )
    return o, t


def half_squared_error(o, t):
    r"""The source post's error ``E = ½ Σ (t - o)^2``, summed over all elements.

    Defined in chapter "Feed-forward"; why it is half a sum and not a mean is
    checked in chapter "Errata".

    Parameters
    ----------
    o : array_like, any shape
        Output of the last layer, ``o^L``.
    t : array_like, shape of ``o``
        Target.

    Returns
    -------
    E : float

    Examples
    --------
    >>> half_squared_error([1.0, 2.0], [0.0, 4.0])
    2.5
    """
    o, t = _pair(o, t)
    return float(0.5 * np.sum((t - o) ** 2))


def half_squared_error_grad(o, t):
    r"""``∂E / ∂o^L = o^L - t`` for :func:`half_squared_error`.

    Derived in chapter "Feed-forward".

    Parameters
    ----------
    o : array_like, any shape
    t : array_like, shape of ``o``

    Returns
    -------
    ndarray, shape of ``o``

    Examples
    --------
    >>> half_squared_error_grad([1.0, 2.0], [0.0, 4.0])
    array([ 1., -2.])
    """
    o, t = _pair(o, t)
    return (o - t).astype(result_dtype(o, t), copy=False)


def _logits(z, labels):
    z = as_real_array(z, "z")
    check_ndim(z, "z", (2,), "(N, K) (a batch of class scores)")
    _check_classes(z)
    labels = check_labels(labels, N=z.shape[0], K=z.shape[1])
    return z, labels


def _check_classes(z):
    if z.shape[-1] == 0:
        raise ValueError(
            f"z must have at least one class along its last axis (K >= 1); got shape {z.shape}, "
            "and a softmax over no classes is undefined"
        )


def softmax(z):
    r"""Softmax over the last axis, ``e^{z_k} / Σ_j e^{z_j}``, shifted by the
    maximum for stability.

    Used in chapter "Training".

    Parameters
    ----------
    z : array_like, shape (..., K)
        At least one dimension, ``K >= 1``.

    Returns
    -------
    ndarray, shape of ``z``; each row sums to 1.

    Examples
    --------
    >>> softmax([[0.0, 0.0], [1000.0, 0.0]])
    array([[0.5, 0.5],
           [1. , 0. ]])
    """
    z = as_real_array(z, "z")
    if z.ndim == 0:
        raise ValueError(
            f"z must have shape (..., K) with at least one dimension, got a scalar {z}"
        )
    _check_classes(z)
    with np.errstate(under="ignore"):  # far-behind classes get probability 0
        e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_cross_entropy(z, labels):
    r"""Cross-entropy of softmax(z) against integer labels, summed over the batch.

    Used in chapter "Training".

    .. math:: E = -\sum_i \log \operatorname{softmax}(z_i)_{y_i}

    Parameters
    ----------
    z : array_like, shape (N, K)
        Class scores (logits).
    labels : array_like of int, shape (N,)
        The correct class of each example.

    Returns
    -------
    E : float

    Examples
    --------
    >>> import numpy as np
    >>> round(softmax_cross_entropy(np.zeros((2, 4)), [0, 3]), 4)  # 2 log 4
    2.7726
    """
    z, labels = _logits(z, labels)
    shifted = z - z.max(axis=1, keepdims=True)
    with np.errstate(under="ignore"):
        log_norm = np.log(np.exp(shifted).sum(axis=1))
    return float(np.sum(log_norm - shifted[np.arange(len(labels)), labels]))


def softmax_cross_entropy_grad(z, labels):
    r"""``∂E / ∂z = softmax(z) - onehot(y)``.

    Used in chapter "Training".

    Parameters
    ----------
    z : array_like, shape (N, K)
    labels : array_like of int, shape (N,)

    Returns
    -------
    ndarray, shape (N, K)

    Examples
    --------
    >>> import numpy as np
    >>> softmax_cross_entropy_grad(np.zeros((1, 4)), [2])
    array([[ 0.25,  0.25, -0.75,  0.25]])
    """
    z, labels = _logits(z, labels)
    g = softmax(z)
    g[np.arange(len(labels)), labels] -= 1
    return g


# ----- means over a batch, as training uses them ----------------------------------------------

LOSSES = ("half_squared_error", "softmax_cross_entropy")


def one_hot(labels, K, dtype=np.float64):
    """Targets ``t`` with ``t[i, labels[i]] = 1`` and zeros elsewhere.

    Parameters
    ----------
    labels : array_like of int, shape (N,)
        Class indices in ``[0, K - 1]``.
    K : int
        Number of classes.
    dtype : {float64, float32}

    Returns
    -------
    t : ndarray, shape (N, K)

    Examples
    --------
    >>> one_hot([2, 0], 3)
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """
    K = check_int(K, "K", 1)
    labels = check_labels(labels, K=K)
    t = np.zeros((labels.size, K), dtype=check_float_dtype(dtype))
    t[np.arange(labels.size), labels] = 1
    return t


def loss_and_grad(o, labels, loss="half_squared_error"):
    r"""Mean loss over the batch and its gradient with respect to the network's output.

    ``"half_squared_error"``: the source's ``E = ½ Σ (t - o^L)^2``
    against one-hot targets ``t``; ``"softmax_cross_entropy"``: ``o`` are
    logits. Both package losses are sums, so value and gradient are divided by
    the batch size ``N``. Used in chapter "Training".

    Parameters
    ----------
    o : array_like, shape (N, K)
        Output of the network, N >= 1.
    labels : array_like of int, shape (N,)
        Class indices in ``[0, K - 1]``.
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
    o = as_real_array(o, "o")
    check_ndim(o, "o", (2,), "(N, K)")
    N, K = o.shape
    if N == 0:
        raise ValueError(
            f"o must hold at least one example (a mean over an empty batch is undefined), got shape {o.shape}"
        )
    labels = check_labels(labels, N=N, K=K)
    if loss == "half_squared_error":
        t = one_hot(labels, K, dtype=o.dtype)
        return half_squared_error(o, t) / N, half_squared_error_grad(o, t) / N
    return softmax_cross_entropy(o, labels) / N, softmax_cross_entropy_grad(
        o, labels
    ) / N
