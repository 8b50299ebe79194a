"""Padding of the last two axes and its adjoint, shared by the layers.

Derived in chapter "Padding"; the adjoint (the transpose of padding, used by the
backward passes) in chapter "The adjoint view". The boundary flags are those of
``scipy.signal.convolve2d``: ``fill`` (a constant), ``wrap`` (periodic) and
``symm`` (mirrored including the edge pixel).
"""

import numpy as np

from ._checks import check_int, check_size

__all__ = ["NP_PAD_MODE", "pad", "pad_adjoint"]

# np.pad's names for the boundary flags (scipy.signal's vocabulary).
NP_PAD_MODE = {"fill": "constant", "wrap": "wrap", "symm": "symmetric"}


def pad(x, ph, pw, boundary, fillvalue=0.0):
    """Pad the last two axes of ``x`` by ``ph`` rows and ``pw`` columns on each side.

    Parameters
    ----------
    x : ndarray, shape (..., H, W)
    ph, pw : int
        Rows added above and below, columns added left and right (>= 0).
    boundary : {'fill', 'wrap', 'symm'}
        How the new pixels are filled.
    fillvalue : float
        The constant of ``boundary='fill'``.

    Returns
    -------
    ndarray, shape (..., H + 2 ph, W + 2 pw)
        ``x`` itself when nothing is added (do not write into it), else a new array.

    Examples
    --------
    >>> import numpy as np
    >>> pad(np.array([[1.0, 2.0]]), 0, 1, "wrap")
    array([[2., 1., 2., 1.]])
    """
    ph, pw = check_int(ph, "ph", 0), check_int(pw, "pw", 0)
    if ph == 0 and pw == 0:
        return x
    *rest, H, W = x.shape
    check_size(
        (*rest, H + 2 * ph, W + 2 * pw),
        x.dtype.itemsize,
        f"(ph, pw) = {(ph, pw)}",
        "a padded array",
    )
    width = [(0, 0)] * (x.ndim - 2) + [(ph, ph), (pw, pw)]
    if boundary == "fill":
        return np.pad(x, width, mode="constant", constant_values=fillvalue)
    return np.pad(x, width, mode=NP_PAD_MODE[boundary])


def pad_adjoint(g, ph, pw, boundary, H, W):
    """The transpose of :func:`pad`: fold a gradient of the padded array back.

    With ``fill`` the padding was a constant, so its gradient is dropped; with
    ``wrap`` and ``symm`` every padded pixel is a copy of an interior one, and
    its gradient is added onto that pixel.

    Parameters
    ----------
    g : ndarray, shape (..., H + 2 ph, W + 2 pw)
        Gradient with respect to the padded array.
    ph, pw : int
        The padding of the forward :func:`pad`.
    boundary : {'fill', 'wrap', 'symm'}
    H, W : int
        Height and width before padding.

    Returns
    -------
    ndarray, shape (..., H, W)
        ``g`` itself when nothing was added, else a new array.

    Examples
    --------
    >>> import numpy as np
    >>> pad_adjoint(np.array([[1.0, 10.0, 100.0, 1000.0]]), 0, 1, "wrap", 1, 2)
    array([[1010.,  101.]])
    """
    ph, pw = check_int(ph, "ph", 0), check_int(pw, "pw", 0)
    H, W = check_int(H, "H", 1), check_int(W, "W", 1)
    if ph == 0 and pw == 0:
        return g
    if boundary == "fill":
        return g[..., ph : ph + H, pw : pw + W].copy()
    mode = NP_PAD_MODE[boundary]
    rows = np.pad(np.arange(H), ph, mode=mode)
    cols = np.pad(np.arange(W), pw, mode=mode)
    # Rows first: out_r[..., r, :] = sum of g[..., i, :] over padded rows i with rows[i] == r.
    out_r = g[..., ph : ph + H, :].copy()
    for i in list(range(ph)) + list(range(ph + H, H + 2 * ph)):
        out_r[..., rows[i], :] += g[..., i, :]
    out = out_r[..., pw : pw + W].copy()
    for j in list(range(pw)) + list(range(pw + W, W + 2 * pw)):
        out[..., cols[j]] += out_r[..., j]
    return out
