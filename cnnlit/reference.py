r"""The same functions as plain loops, written term by term from the sums.

Nothing here is fast; everything here is meant to be read beside the formulas
of the book and to serve as an oracle for the fast functions in the tests.
The signatures are those of the fast functions in :mod:`cnnlit`, but
``padding='same'`` is not understood here. Arguments are checked less
thoroughly than there: pass what those accept.

Indices follow the source post: ``n`` runs over the units (channels) of
layer l-1, ``m`` over the units of layer l, ``(x, y)`` over pixels (``x`` is
the first, row, axis) and ``(dx, dy)`` over kernel offsets (the source post's
``x', y'``).
The chapters compare the fast functions with these loops, from
chapter "Convolution" on.
"""

import numpy as np

__all__ = [
    "convolve2d",
    "correlate2d",
    "conv_forward",
    "conv_backward",
    "pool_forward",
    "pool_backward",
    "conv_transpose_forward",
    "conv_transpose_backward",
]


def _source(x, n, boundary):
    """The pixel of an axis of length ``n`` that position ``x`` holds, or None.

    Inside the image (``0 <= x < n``) a position holds its own pixel; outside,
    ``wrap`` repeats the image with period n, ``symm`` mirrors it with the
    edge pixel repeated (period 2n: the image, then its mirror image), and
    ``fill`` holds the constant (None here). The one map of a padded index to
    its source, used by the forward passes (read the pixel) and the backward
    (add the gradient onto it).
    """
    if 0 <= x < n:
        return x
    if boundary == "wrap":
        return x % n
    if boundary == "symm":
        r = x % (2 * n)
        return r if r < n else 2 * n - 1 - r
    return None


def _extend(i, x, y, boundary, fillvalue):
    """The image ``i`` at (x, y), extended past its edges as ``boundary`` says."""
    H, W = i.shape
    sx, sy = _source(x, H, boundary), _source(y, W, boundary)
    if sx is None or sy is None:
        return fillvalue
    return i[sx, sy]


def convolve2d(in1, in2, mode="full", boundary="fill", fillvalue=0):
    r"""Convolution as loops, from the sum in full-output coordinates.

    .. math:: v(x, y) = \sum_{x_k, y_k} i(x - x_k, y - y_k)\, k(x_k, y_k)

    Derived in chapter "Convolution".

    Parameters
    ----------
    in1 : array_like, shape (H, W)
        The image *i*.
    in2 : array_like, shape (kH, kW)
        The kernel *k*.
    mode, boundary, fillvalue
        As in :func:`cnnlit.convolve2d` (scipy's meaning).

    Returns
    -------
    v : ndarray
        Shaped as ``mode`` says: full ``(H + kH - 1, W + kW - 1)``, valid
        ``(H - kH + 1, W - kW + 1)``, same ``(H, W)``.
    """
    i = np.asarray(in1, dtype=float)
    k = np.asarray(in2, dtype=float)
    if mode == "valid" and (k.shape[0] > i.shape[0] or k.shape[1] > i.shape[1]):
        i, k = k, i  # convolution commutes
    H, W = i.shape
    kH, kW = k.shape
    full = np.zeros((H + kH - 1, W + kW - 1))
    for x in range(H + kH - 1):
        for y in range(W + kW - 1):
            total = 0.0
            for xk in range(kH):
                for yk in range(kW):
                    total += (
                        _extend(i, x - xk, y - yk, boundary, fillvalue)
                        * k[xk, yk]
                    )
            full[x, y] = total
    return _crop(
        full, (H, W), (kH, kW), mode, same_start=lambda n: (n - 1) // 2
    )


def correlate2d(in1, in2, mode="full", boundary="fill", fillvalue=0):
    r"""Correlation as loops; the full output starts at ``x = -(k_H - 1)``.

    .. math:: l(x, y) = \sum_{x_k, y_k} i(x + x_k, y + y_k)\, k(x_k, y_k)

    Derived in chapter "Cross-correlation".

    Parameters
    ----------
    in1 : array_like, shape (H, W)
        The image *i*.
    in2 : array_like, shape (kH, kW)
        The kernel *k*.
    mode, boundary, fillvalue
        As in :func:`cnnlit.correlate2d` (scipy's meaning).

    Returns
    -------
    l : ndarray
        Shaped as for :func:`convolve2d`.
    """
    i = np.asarray(in1, dtype=float)
    k = np.asarray(in2, dtype=float)
    swapped = mode == "valid" and (
        k.shape[0] > i.shape[0] or k.shape[1] > i.shape[1]
    )
    if swapped:
        i, k = k, i
    H, W = i.shape
    kH, kW = k.shape
    full = np.zeros((H + kH - 1, W + kW - 1))
    for x in range(H + kH - 1):
        for y in range(W + kW - 1):
            total = 0.0
            for xk in range(kH):
                for yk in range(kW):
                    total += (
                        _extend(
                            i,
                            x - (kH - 1) + xk,
                            y - (kW - 1) + yk,
                            boundary,
                            fillvalue,
                        )
                        * k[xk, yk]
                    )
            full[x, y] = total
    out = _crop(full, (H, W), (kH, kW), mode, same_start=lambda n: n // 2)
    return out[::-1, ::-1] if swapped else out


def _crop(full, shape, kshape, mode, same_start):
    (H, W), (kH, kW) = shape, kshape
    if mode == "full":
        return full
    if mode == "same":
        sH, sW = same_start(kH), same_start(kW)
        return full[sH : sH + H, sW : sW + W]
    return full[kH - 1 : H, kW - 1 : W]  # valid


def _two(v):
    """An int or a pair as a pair of Python ints (numpy integers would overflow in the index arithmetic)."""
    return (int(v), int(v)) if np.isscalar(v) else tuple(int(u) for u in v)


def _pairs(stride, padding, dilation):
    return _two(stride), _two(padding), _two(dilation)


def _padded(o_prev, ph, pw, boundary):
    """o_prev (N, C, H, W) with ph rows and pw columns added on each side, by explicit loops."""
    N, C, H, W = o_prev.shape
    out = np.zeros((N, C, H + 2 * ph, W + 2 * pw))
    for j in range(N):
        for n in range(C):
            for x in range(H + 2 * ph):
                for y in range(W + 2 * pw):
                    out[j, n, x, y] = _extend(
                        o_prev[j, n], x - ph, y - pw, boundary, 0.0
                    )
    return out


def conv_forward(
    o_prev,
    w,
    b,
    *,
    stride=1,
    padding=0,
    boundary="fill",
    convention="convolution",
    dilation=1,
):
    r"""Complete input as loops, the valid output moved to start at (0, 0).

    .. math::

        c_m(x, y) = \sum_n \sum_{x', y'}
            o_n(x + k_H - 1 - x', y + k_W - 1 - y')\, w_{n,m}(x', y') + b_m

    That is the source post's
    ``Σ_{n,x',y'} o_n(x - x', y - y') w_{n,m}(x', y')``
    without the implicit shift by ``N_k - 1``, then strided and dilated.
    With ``convention="correlation"`` the kernel index runs forwards:
    ``o_n(x + dx, y + dy) w_{n,m}(dx, dy)``. Derived in chapter "Feed-forward".

    Parameters
    ----------
    o_prev : array_like, shape (N, C_in, H, W) or (C_in, H, W)
    w : array_like, shape (C_out, C_in, kH, kW)
    b : array_like, shape (C_out,), or None
        None means no bias.
    stride, padding, boundary, convention, dilation
        As in :func:`cnnlit.conv_forward`.

    Returns
    -------
    c : ndarray, shape (N, C_out, H_out, W_out) or (C_out, H_out, W_out)
    """
    o_prev = np.asarray(o_prev, dtype=float)
    single = o_prev.ndim == 3
    if single:
        o_prev = o_prev[None]
    w = np.asarray(w, dtype=float)
    b = (
        np.zeros(w.shape[0]) if b is None else np.asarray(b, dtype=float)
    )  # None: no bias
    (sH, sW), (ph, pw), (dH, dW) = _pairs(stride, padding, dilation)
    o = _padded(o_prev, ph, pw, boundary)
    N, C_in, Hp, Wp = o.shape
    C_out, _, kH, kW = w.shape
    Ho = (Hp - dH * (kH - 1) - 1) // sH + 1
    Wo = (Wp - dW * (kW - 1) - 1) // sW + 1
    c = np.zeros((N, C_out, Ho, Wo))
    for j in range(N):
        for m in range(C_out):
            for x in range(Ho):
                for y in range(Wo):
                    total = b[m]
                    for n in range(C_in):
                        for dx in range(kH):
                            for dy in range(kW):
                                if convention == "convolution":
                                    px, py = kH - 1 - dx, kW - 1 - dy
                                else:
                                    px, py = dx, dy
                                total += (
                                    o[j, n, x * sH + px * dH, y * sW + py * dW]
                                    * w[m, n, dx, dy]
                                )
                    c[j, m, x, y] = total
    return c[0] if single else c


def conv_backward(
    delta,
    o_prev,
    w,
    *,
    stride=1,
    padding=0,
    boundary="fill",
    convention="convolution",
    dilation=1,
):
    r"""Accumulate every term of the chain rule, one product at a time.

    Each term ``o[x * sH + px * dH, ...] * w[m, n, dx, dy]`` of ``c_m(x, y)``
    contributes ``delta_m(x, y) * o[...]`` to ``dE/dw_{n,m}(dx, dy)`` and
    ``delta_m(x, y) * w_{n,m}(dx, dy)`` to ``dE/do`` at the padded position
    it read; padded positions are then folded back onto the pixels they
    copy. Derived in chapter "Weight update" and chapter "Deltas".

    Parameters
    ----------
    delta : array_like, shape (N, C_out, H_out, W_out) or (C_out, H_out, W_out)
    o_prev : array_like, shape (N, C_in, H, W) or (C_in, H, W)
    w : array_like, shape (C_out, C_in, kH, kW)
    stride, padding, boundary, convention, dilation
        As given to :func:`conv_forward`.

    Returns
    -------
    dE_dw : ndarray, shape (C_out, C_in, kH, kW)
    dE_db : ndarray, shape (C_out,)
    dE_do_prev : ndarray, shaped like ``o_prev``
    """
    o_prev = np.asarray(o_prev, dtype=float)
    delta = np.asarray(delta, dtype=float)
    single = o_prev.ndim == 3
    if single:
        o_prev, delta = o_prev[None], delta[None]
    w = np.asarray(w, dtype=float)
    (sH, sW), (ph, pw), (dH, dW) = _pairs(stride, padding, dilation)
    o = _padded(o_prev, ph, pw, boundary)
    N, C_in, Hp, Wp = o.shape
    C_out, _, kH, kW = w.shape
    _, _, Ho, Wo = delta.shape
    dE_dw = np.zeros(w.shape)
    dE_db = np.zeros(C_out)
    dE_do = np.zeros(o.shape)
    for j in range(N):
        for m in range(C_out):
            for x in range(Ho):
                for y in range(Wo):
                    dE_db[m] += delta[j, m, x, y]
                    for n in range(C_in):
                        for dx in range(kH):
                            for dy in range(kW):
                                if convention == "convolution":
                                    px, py = kH - 1 - dx, kW - 1 - dy
                                else:
                                    px, py = dx, dy
                                X, Y = x * sH + px * dH, y * sW + py * dW
                                dE_dw[m, n, dx, dy] += (
                                    delta[j, m, x, y] * o[j, n, X, Y]
                                )
                                dE_do[j, n, X, Y] += (
                                    delta[j, m, x, y] * w[m, n, dx, dy]
                                )
    H, W = o_prev.shape[2:]
    dE_do_prev = np.zeros(o_prev.shape)
    for j in range(N):
        for n in range(C_in):
            for X in range(Hp):
                for Y in range(Wp):
                    # the pixel the padded one copies (None: a constant)
                    x = _source(X - ph, H, boundary)
                    y = _source(Y - pw, W, boundary)
                    if x is not None and y is not None:
                        dE_do_prev[j, n, x, y] += dE_do[j, n, X, Y]
    if single:
        dE_do_prev = dE_do_prev[0]
    return dE_dw, dE_db, dE_do_prev


def _pool_geometry(shape, size, stride):
    kH, kW = _two(size)
    sH, sW = (kH, kW) if stride is None else _two(stride)
    H, W = shape[-2:]
    return kH, kW, sH, sW, (H - kH) // sH + 1, (W - kW) // sW + 1


def pool_forward(o_prev, size, *, stride=None, mode="max"):
    r"""Pooling as loops: the max (or mean) of each window.

    .. math:: o(x, y) = \max_{p < k_H,\ q < k_W} o^{l-1}(s_H x + p, s_W y + q)

    A window holding a NaN has the maximum NaN, as in
    :func:`cnnlit.pool_forward` (Python's ``max`` would skip a NaN that is not
    first). Derived in chapter "Pooling".

    Parameters
    ----------
    o_prev : array_like, shape (..., H, W)
    size, stride, mode
        As in :func:`cnnlit.pool_forward`.

    Returns
    -------
    o : ndarray, shape (..., H_out, W_out)
    """
    o_prev = np.asarray(o_prev, dtype=float)
    kH, kW, sH, sW, Ho, Wo = _pool_geometry(o_prev.shape, size, stride)
    lead = o_prev.shape[:-2]
    out = np.zeros(lead + (Ho, Wo))
    for idx in np.ndindex(*lead):
        for x in range(Ho):
            for y in range(Wo):
                if mode == "max":
                    out[idx + (x, y)] = o_prev[
                        idx + _first_max(o_prev[idx], x, y, kH, kW, sH, sW)
                    ]
                else:
                    values = [
                        o_prev[idx + (x * sH + p, y * sW + q)]
                        for p in range(kH)
                        for q in range(kW)
                    ]
                    out[idx + (x, y)] = sum(values) / len(values)
    return out


def _first_max(o, x, y, kH, kW, sH, sW):
    """Position of the window's first maximum in row-major order.

    A NaN beats every number, and a later NaN beats an earlier one: a window
    holding NaNs sends its delta to its last NaN, as PyTorch does.
    """
    best = (x * sH, y * sW)
    for p in range(kH):
        for q in range(kW):
            pos = (x * sH + p, y * sW + q)
            if np.isnan(o[pos]) or o[pos] > o[best]:
                best = pos
    return best


def pool_backward(delta, o_prev, size, *, stride=None, mode="max"):
    r"""Send each delta to its window's first maximum, or spread it evenly.

    ``mode="max"`` routes ``delta(x, y)`` to the first maximum of its window
    in row-major order (the last NaN, if any); ``mode="mean"`` adds
    ``delta(x, y) / (kH kW)`` to every pixel of the window. Overlapping
    windows add up. Derived in chapter "Pooling".

    Parameters
    ----------
    delta : array_like, shape (..., H_out, W_out)
    o_prev : array_like, shape (..., H, W)
    size, stride, mode
        As in :func:`cnnlit.pool_backward`.

    Returns
    -------
    dE_do_prev : ndarray, shaped like ``o_prev``
    """
    o_prev = np.asarray(o_prev, dtype=float)
    delta = np.asarray(delta, dtype=float)
    kH, kW, sH, sW, Ho, Wo = _pool_geometry(o_prev.shape, size, stride)
    grad = np.zeros(o_prev.shape)
    for idx in np.ndindex(*o_prev.shape[:-2]):
        for x in range(Ho):
            for y in range(Wo):
                if mode == "max":
                    best = _first_max(o_prev[idx], x, y, kH, kW, sH, sW)
                    grad[idx + best] += delta[idx + (x, y)]
                else:
                    for p in range(kH):
                        for q in range(kW):
                            grad[idx + (x * sH + p, y * sW + q)] += delta[
                                idx + (x, y)
                            ] / (kH * kW)
    return grad


def _transposed_geometry(x, w, stride, padding, output_padding, dilation):
    (sH, sW), (ph, pw), (dH, dW) = _pairs(stride, padding, dilation)
    opH, opW = _two(output_padding)
    _, _, H, W = x.shape
    _, _, kH, kW = w.shape
    H_out = (H - 1) * sH - 2 * ph + dH * (kH - 1) + opH + 1
    W_out = (W - 1) * sW - 2 * pw + dW * (kW - 1) + opW + 1
    return (sH, sW), (ph, pw), (dH, dW), (kH, kW), (H_out, W_out)


def conv_transpose_forward(
    x,
    w,
    b,
    *,
    stride=1,
    padding=0,
    output_padding=0,
    dilation=1,
    convention="convolution",
):
    r"""Transposed convolution as loops, in scatter form.

    Each input pixel ``x_c(X, Y)`` adds ``x_c(X, Y) w_{c,m}(x', y')``
    to the output ``y_m(s_H X - p_H + d_H x', s_W Y - p_W + d_W y')`` for
    every kernel offset ``(x', y')`` (``p, q`` in the loops; positions
    outside the output are dropped). With ``convention="convolution"`` the
    kernel is read flipped, ``w_{c,m}(k_H - 1 - x', k_W - 1 - y')``.
    Derived in chapter "The adjoint view".

    Parameters
    ----------
    x : array_like, shape (N, C_in, H, W) or (C_in, H, W)
    w : array_like, shape (C_in, C_out, kH, kW)
    b : array_like, shape (C_out,), or None
        None adds no bias.
    stride, padding, output_padding, dilation, convention
        As in :func:`cnnlit.conv_transpose_forward`.

    Returns
    -------
    y : ndarray, shape (N, C_out, H_out, W_out) or (C_out, H_out, W_out)
        ``H_out = (H - 1) sH - 2 ph + dH (kH - 1) + output_padding + 1``.
    """
    x = np.asarray(x, dtype=float)
    single = x.ndim == 3
    if single:
        x = x[None]
    w = np.asarray(w, dtype=float)
    (sH, sW), (ph, pw), (dH, dW), (kH, kW), (H_out, W_out) = (
        _transposed_geometry(x, w, stride, padding, output_padding, dilation)
    )
    N, C_in, H, W = x.shape
    C_out = w.shape[1]
    y = np.zeros((N, C_out, H_out, W_out))
    for j in range(N):
        for c in range(C_in):
            for X in range(H):
                for Y in range(W):
                    for m in range(C_out):
                        for p in range(kH):
                            for q in range(kW):
                                u, v = (
                                    X * sH - ph + p * dH,
                                    Y * sW - pw + q * dW,
                                )
                                if not (0 <= u < H_out and 0 <= v < W_out):
                                    continue
                                if convention == "convolution":
                                    tap = w[c, m, kH - 1 - p, kW - 1 - q]
                                else:
                                    tap = w[c, m, p, q]
                                y[j, m, u, v] += x[j, c, X, Y] * tap
    if b is not None:
        b = np.asarray(b, dtype=float)
        for j in range(N):
            for m in range(C_out):
                for u in range(H_out):
                    for v in range(W_out):
                        y[j, m, u, v] += b[m]
    return y[0] if single else y


def conv_transpose_backward(
    delta,
    x,
    w,
    *,
    stride=1,
    padding=0,
    output_padding=0,
    dilation=1,
    convention="convolution",
):
    r"""Accumulate every term of the chain rule of the scatter sum.

    Each term ``x[c, X, Y] * tap`` added to ``y_m(u, v)`` contributes
    ``delta_m(u, v) * tap`` to ``dE/dx_c(X, Y)`` and ``delta_m(u, v) * x_c(X,
    Y)`` to ``dE/dw`` at the tap it read; every output pixel adds its delta to
    ``dE/db_m``. Derived in chapter "The adjoint view".

    Parameters
    ----------
    delta : array_like, shaped like the output of :func:`conv_transpose_forward`
    x : array_like, shape (N, C_in, H, W) or (C_in, H, W)
    w : array_like, shape (C_in, C_out, kH, kW)
    stride, padding, output_padding, dilation, convention
        As given to :func:`conv_transpose_forward`.

    Returns
    -------
    dE_dw : ndarray, shape (C_in, C_out, kH, kW)
    dE_db : ndarray, shape (C_out,)
    dE_dx : ndarray, shaped like ``x``
    """
    x = np.asarray(x, dtype=float)
    delta = np.asarray(delta, dtype=float)
    single = x.ndim == 3
    if single:
        x, delta = x[None], delta[None]
    w = np.asarray(w, dtype=float)
    (sH, sW), (ph, pw), (dH, dW), (kH, kW), (H_out, W_out) = (
        _transposed_geometry(x, w, stride, padding, output_padding, dilation)
    )
    N, C_in, H, W = x.shape
    C_out = w.shape[1]
    dE_dw = np.zeros(w.shape)
    dE_db = np.zeros(C_out)
    dE_dx = np.zeros(x.shape)
    for j in range(N):
        for m in range(C_out):
            for u in range(H_out):
                for v in range(W_out):
                    dE_db[m] += delta[j, m, u, v]
    for j in range(N):
        for c in range(C_in):
            for X in range(H):
                for Y in range(W):
                    for m in range(C_out):
                        for p in range(kH):
                            for q in range(kW):
                                u, v = (
                                    X * sH - ph + p * dH,
                                    Y * sW - pw + q * dW,
                                )
                                if not (0 <= u < H_out and 0 <= v < W_out):
                                    continue
                                if convention == "convolution":
                                    tp, tq = kH - 1 - p, kW - 1 - q
                                else:
                                    tp, tq = p, q
                                dE_dx[j, c, X, Y] += (
                                    delta[j, m, u, v] * w[c, m, tp, tq]
                                )
                                dE_dw[c, m, tp, tq] += (
                                    delta[j, m, u, v] * x[j, c, X, Y]
                                )
    if single:
        dE_dx = dE_dx[0]
    return dE_dw, dE_db, dE_dx
