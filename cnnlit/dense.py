r"""Fully connected (dense) layers: the flat network after the convolutions.

Derived in chapter "The whole network". Weights are ``(D_out, D_in)``, output
first, like the convolution kernels.
"""

from ._checks import as_real_array, check_ndim, result_dtype

__all__ = ["dense_forward", "dense_backward"]


def _check(x, w, name_x="x"):
    x = as_real_array(x, name_x)
    w = as_real_array(w, "w")
    check_ndim(x, name_x, (2,), "(N, D_in)")
    check_ndim(w, "w", (2,), "(D_out, D_in)")
    if w.shape[1] != x.shape[1]:
        raise ValueError(
            f"w has D_in={w.shape[1]} (w.shape {w.shape}) but {name_x} has D_in={x.shape[1]} ({name_x}.shape {x.shape})"
        )
    return x, w


def dense_forward(x, w, b):
    r"""Complete input of a dense layer, ``c = x wᵀ + b``.

    Derived in chapter "The whole network".

    Parameters
    ----------
    x : array_like, shape (N, D_in)
    w : array_like, shape (D_out, D_in)
    b : array_like, shape (D_out,), or None
        ``None`` for no bias (as in PyTorch): zeros of the input's dtype.

    Returns
    -------
    c : ndarray, shape (N, D_out)

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0, 2.0]])
    >>> w = np.array([[1.0, 0.0], [1.0, 1.0]])
    >>> dense_forward(x, w, np.array([0.5, 0.0]))
    array([[1.5, 3. ]])
    """
    x, w = _check(x, w)
    if b is None:
        return (x @ w.T).astype(result_dtype(x, w), copy=False)
    b = as_real_array(b, "b")
    if b.shape != (w.shape[0],):
        raise ValueError(
            f"b must have shape (D_out,) = ({w.shape[0]},), got shape {b.shape}"
        )
    dtype = result_dtype(x, w, b)
    return (x @ w.T + b).astype(dtype, copy=False)


def dense_backward(delta, x, w):
    r"""Gradients of a dense layer from ``δ = ∂E/∂c``.

    Derived in chapter "The whole network".

    .. math:: \frac{\partial E}{\partial w} = \delta^\top x,\quad
              \frac{\partial E}{\partial b} = \sum_i \delta_i,\quad
              \frac{\partial E}{\partial x} = \delta\, w

    Parameters
    ----------
    delta : array_like, shape (N, D_out)
    x : array_like, shape (N, D_in)
        The forward pass's input.
    w : array_like, shape (D_out, D_in)

    Returns
    -------
    dE_dw : ndarray, shape (D_out, D_in)
    dE_db : ndarray, shape (D_out,)
    dE_dx : ndarray, shape (N, D_in)

    Examples
    --------
    >>> import numpy as np
    >>> delta, x = np.array([[1.0, -1.0]]), np.array([[1.0, 2.0]])
    >>> dE_dw, dE_db, dE_dx = dense_backward(delta, x, np.eye(2))
    >>> dE_dw
    array([[ 1.,  2.],
           [-1., -2.]])
    >>> dE_dx
    array([[ 1., -1.]])
    """
    x, w = _check(x, w)
    delta = as_real_array(delta, "delta")
    if delta.shape != (x.shape[0], w.shape[0]):
        raise ValueError(
            "delta must have shape (N, D_out) = "
            f"{(x.shape[0], w.shape[0])}, got shape {delta.shape}"
        )
    dtype = result_dtype(x, w, delta)
    return (
        (delta.T @ x).astype(dtype, copy=False),
        delta.sum(axis=0).astype(dtype, copy=False),
        (delta @ w).astype(dtype, copy=False),
    )
