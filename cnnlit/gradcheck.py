r"""Finite differences: the independent check of every derivative in the book.

First used in chapter "Feed-forward" (the derivative of the error with respect
to the output), then for every gradient from chapter "Weight update" on.
"""

import math
import numbers

import numpy as np

from ._checks import _shown, as_real_array

__all__ = ["numerical_gradient", "relative_error"]


def numerical_gradient(f, x, eps=1e-6):
    r"""Central-difference gradient of a scalar function.

    The independent check of the book's derivatives, first used in
    chapter "Feed-forward".

    .. math:: \frac{\partial f}{\partial x_i} \approx \frac{f(x + \epsilon e_i) - f(x - \epsilon e_i)}{2\epsilon}

    Parameters
    ----------
    f : callable
        Takes an array shaped like ``x`` and returns a real scalar (a Python
        or numpy number, or an array of shape ``()``); anything else raises
        ``TypeError``.
    x : array_like, any shape
        The point: any memory layout (Fortran order, transposed or strided
        views), any real dtype. Computed in float64; ``x`` itself is never
        modified (``f`` receives a perturbed C-ordered copy).
    eps : float
        Step, finite and > 0. The error is about ``eps**2 / 6`` times the
        third derivative plus rounding of order ``1e-16 / eps``.

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
    if isinstance(eps, (bool, np.bool_)) or not isinstance(eps, numbers.Real):
        raise TypeError(
            f"eps must be a positive real number, got {eps!r} ({type(eps).__name__})"
        )
    try:
        step = float(eps)
    except OverflowError:  # an int beyond float's range, such as 10**400
        step = math.inf
    if not (math.isfinite(step) and step > 0):
        raise ValueError(
            f"eps must be a positive real number, got {_shown(eps)}: the step must be finite and > 0"
        )
    eps = step
    # A private C-ordered copy: its flat view below writes into the copy itself.
    x = np.array(as_real_array(x, "x"), dtype=np.float64, order="C")
    finite = np.abs(x[np.isfinite(x)])
    top = float(finite.max()) if finite.size else 0.0
    if not math.isfinite(top + 2 * eps):
        raise ValueError(
            f"eps={eps!r} is too large for x (largest finite magnitude {top!r}): "
            "x + eps and 2 eps must stay finite in float64"
        )
    grad = np.empty_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        up = _scalar(f(x.copy()))
        flat[i] = old - eps
        down = _scalar(f(x.copy()))
        flat[i] = old
        gflat[i] = (up - down) / (2 * eps)
    return grad


def _scalar(value):
    """``f``'s result as a float; a non-scalar or non-real result raises TypeError naming ``f``."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"f must return a real scalar, got a boolean {value!r}")
    if isinstance(value, numbers.Real):
        try:
            return float(value)
        except OverflowError:  # an int beyond float's range, such as 10**400
            raise ValueError(
                f"f must return a real scalar within float64's range, got {_shown(value)}"
            ) from None
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError):
        arr = None
    if arr is None or arr.dtype.kind not in "iuf":
        raise TypeError(
            f"f must return a real scalar, got {type(value).__name__} {value!r:.80}"
        )
    if arr.shape != ():
        raise TypeError(
            f"f must return a real scalar, got an array of shape {arr.shape}; "
            "reduce it to one number (for example np.sum(g * f(x)) with a fixed random g)"
        )
    return float(arr)


def relative_error(a, b):
    r"""Relative difference of two arrays, ``‖a - b‖ / max(‖a‖, ‖b‖)``.

    With the Euclidean norm over all entries,

    .. math::

        \operatorname{rel}(a, b) = \frac{\|a - b\|}{\max(\|a\|, \|b\|)}
        \le \frac{\|a\| + \|b\|}{\max(\|a\|, \|b\|)} \le 2

    (the triangle inequality, then each norm at most the larger one): 0 for
    equal arrays (and when both are zero), 1 when one of them is zero and the
    other is not, ``√2`` for orthogonal arrays of equal norm, and 2
    exactly when ``b = -a`` (not zero): the two disagree in every sign. About
    1e-8 or less for a correct analytic gradient against
    :func:`numerical_gradient` in float64, first in chapter "Feed-forward".

    Symmetric in ``a`` and ``b``, and computed on the arrays divided by their
    largest magnitude, so it neither underflows nor overflows:
    ``relative_error([1e-170], [0.0])`` is 1 and
    ``relative_error([1e200], [2e200])`` is 0.5.

    When either array holds a NaN or an infinity the result is ``nan``: such
    arrays agree with nothing, and ``nan`` fails every comparison, so a check
    ``relative_error(a, b) < tol`` fails.

    Parameters
    ----------
    a, b : array_like, the same shape

    Returns
    -------
    float
        In [0, 2] (or ``nan``, see above).

    Examples
    --------
    >>> relative_error([1.0, 2.0], [1.0, 2.0])
    0.0
    >>> round(relative_error([1.0, 0.0], [0.0, 1.0]), 4)
    1.4142
    >>> relative_error([1.0, 2.0], [-1.0, -2.0])
    2.0
    >>> relative_error([1.0, float("nan")], [1.0, 2.0])
    nan
    """
    a = np.asarray(as_real_array(a, "a"), dtype=np.float64)
    b = np.asarray(as_real_array(b, "b"), dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(
            f"a and b must have the same shape, got {a.shape} and {b.shape}"
        )
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return math.nan
    if a.size == 0:
        return 0.0
    top = max(np.abs(a).max(), np.abs(b).max())
    if top == 0:
        return 0.0
    a, b = (
        a / top,
        b / top,
    )  # largest magnitude 1: the squares below neither overflow nor vanish
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    return float(np.linalg.norm(a - b) / scale)
