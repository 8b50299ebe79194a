r"""Finite differences: the independent check of every derivative in the book.

See :ref:`weight-update` for how they are used.
"""

import numpy as np

from ._checks import as_real_array

__all__ = ["numerical_gradient", "relative_error"]


def numerical_gradient(f, x, eps=1e-6):
    r"""Central-difference gradient of a scalar function.

    The independent check of the book's derivatives, first used in
    :ref:`weight-update`.

    .. math:: \frac{\partial f}{\partial x_i} \approx \frac{f(x + \epsilon e_i) - f(x - \epsilon e_i)}{2\epsilon}

    Parameters
    ----------
    f : callable
        Takes an array shaped like ``x`` and returns a real scalar.
    x : array_like, any shape
        The point. Computed in float64; ``x`` itself is never modified (``f``
        receives a perturbed copy).
    eps : float
        Step, > 0. The error is about ``eps**2`` times the third derivative
        plus rounding of order ``1e-16 / eps``.

    Returns
    -------
    ndarray, shape of ``x``, float64

    Examples
    --------
    >>> import numpy as np
    >>> g = numerical_gradient(lambda v: float(np.sum(v ** 3)), np.array([1.0, 2.0]))
    >>> np.round(g, 6)
    array([ 3., 12.])
    """
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    if not (np.isscalar(eps) and np.isreal(eps) and eps > 0):
        raise ValueError(f"eps must be a positive real number, got {eps!r}")
    x = np.array(as_real_array(x, "x"), dtype=np.float64)  # a private copy
    grad = np.empty_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        up = float(f(x.copy()))
        flat[i] = old - eps
        down = float(f(x.copy()))
        flat[i] = old
        gflat[i] = (up - down) / (2 * eps)
    return grad


def relative_error(a, b):
    r"""Relative difference of two arrays, :math:`\|a - b\| / \max(\|a\|, \|b\|)`.

    0 when both are zero; about 1e-8 or less for a correct analytic gradient
    against :func:`numerical_gradient` in float64. See :ref:`weight-update`.

    Parameters
    ----------
    a, b : array_like, the same shape

    Returns
    -------
    float

    Examples
    --------
    >>> relative_error([1.0, 2.0], [1.0, 2.0])
    0.0
    >>> round(relative_error([1.0, 0.0], [0.0, 1.0]), 4)
    1.4142
    """
    a = np.asarray(as_real_array(a, "a"), dtype=np.float64)
    b = np.asarray(as_real_array(b, "b"), dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    if scale == 0:
        return 0.0
    return float(np.linalg.norm(a - b) / scale)
