r"""Activation functions *a* and their derivatives *a'*.

Applied pixel by pixel to the complete input: ``o = a(c)`` (see chapter
"Feed-forward"); the derivative enters every delta (see chapter "Deltas"). Each
``*_prime`` takes the same ``c`` as its activation. All are stable for large
``|c|``: no overflow warning at ``|c| = 1000``.
"""

import numpy as np

from ._checks import as_real_array

__all__ = [
    "sigmoid",
    "sigmoid_prime",
    "tanh",
    "tanh_prime",
    "relu",
    "relu_prime",
]


def sigmoid(c):
    r"""Logistic function ``a(c) = 1 / (1 + e^{-c})``, elementwise.

    Computed from ``e^{-|c|}``, which never overflows. One choice of the
    activation *a* in chapter "Feed-forward".

    Parameters
    ----------
    c : array_like, any shape

    Returns
    -------
    ndarray, shape of ``c``

    Examples
    --------
    >>> import numpy as np
    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    array([0. , 0.5, 1. ])
    """
    c = as_real_array(c, "c")
    with np.errstate(under="ignore"):  # exp(-1000) is 0 on purpose
        e = np.exp(-np.abs(c))
    return np.where(c >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_prime(c):
    r"""Derivative of the sigmoid, ``a'(c) = a(c) (1 - a(c))``.

    The factor ``a'(c^l_m)`` of every delta, see chapter "Deltas".

    Parameters
    ----------
    c : array_like, any shape

    Returns
    -------
    ndarray, shape of ``c``

    Examples
    --------
    >>> import numpy as np
    >>> sigmoid_prime(np.array([0.0, 1000.0]))
    array([0.25, 0.  ])
    """
    c = as_real_array(c, "c")
    with np.errstate(under="ignore"):  # exp(-1000) is 0 on purpose
        e = np.exp(-np.abs(c))
    return e / (1 + e) ** 2


def tanh(c):
    r"""Hyperbolic tangent, elementwise.

    One choice of the activation *a* in chapter "Feed-forward".

    Parameters
    ----------
    c : array_like, any shape

    Returns
    -------
    ndarray, shape of ``c``

    Examples
    --------
    >>> import numpy as np
    >>> tanh(np.array([-1000.0, 0.0]))
    array([-1.,  0.])
    """
    return np.tanh(as_real_array(c, "c"))


def tanh_prime(c):
    r"""Derivative of tanh, ``1 - tanh^2(c)``.

    The factor ``a'(c^l_m)`` of every delta, see chapter "Deltas".

    Parameters
    ----------
    c : array_like, any shape

    Returns
    -------
    ndarray, shape of ``c``

    Examples
    --------
    >>> import numpy as np
    >>> tanh_prime(np.array([0.0, 1000.0]))
    array([1., 0.])
    """
    t = np.tanh(as_real_array(c, "c"))
    return 1 - t * t


def relu(c):
    r"""Rectified linear unit ``max(c, 0)``, elementwise.

    One choice of the activation *a* in chapter "Feed-forward".

    Parameters
    ----------
    c : array_like, any shape

    Returns
    -------
    ndarray, shape of ``c``

    Examples
    --------
    >>> import numpy as np
    >>> relu(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 3.])
    """
    c = as_real_array(c, "c")
    return np.maximum(c, 0)


def relu_prime(c):
    r"""Derivative of the ReLU: 1 where ``c > 0``, else 0 (0 at the kink).

    The factor ``a'(c^l_m)`` of every delta, see chapter "Deltas".

    Parameters
    ----------
    c : array_like, any shape

    Returns
    -------
    ndarray, shape of ``c``

    Examples
    --------
    >>> import numpy as np
    >>> relu_prime(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 1.])
    """
    c = as_real_array(c, "c")
    return (c > 0).astype(c.dtype)
