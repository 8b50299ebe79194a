r"""Two-dimensional convolution and cross-correlation of single images.

The same results as :func:`scipy.signal.convolve2d` and
:func:`scipy.signal.correlate2d` for real arrays, with numpy alone. Derived in
chapter "Convolution" and chapter "Cross-correlation"; padding modes in chapter
"Padding".

How it is computed: the output is a *valid* correlation of the boundary-padded
image with the (flipped, for convolution) kernel. Small kernels are summed
offset by offset (one multiply-add of a shifted view of the image per kernel
pixel, no copies of the image beyond one temporary); a small output is summed
pixel by pixel; large kernels on large images go through the FFT, in float64,
except for the outputs it cannot give as accurately as a direct sum (windows
holding a NaN or an infinity, outputs tiny beside the image's largest values),
which are summed directly. Memory stays a few times the size of the input and
output in every case; on the FFT path the peak, output included, is below
2.2 times input plus output for a finite float64 image (each transform in
place, the error bound's transform finished before the result's); a float32
image is copied to float64 first and an image holding NaN or infinity gets a
cleaned copy and a mask, up to about 6 and 3 times.
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ._checks import BOUNDARIES, MODES, as_real_array, check_flag, result_dtype
from .padding import NP_PAD_MODE

__all__ = ["convolve2d", "correlate2d", "rot180"]

# Above this many kernel pixels, and when the output is large too, the FFT is
# cheaper than summing shifted views: benchmarks/bench_signal2d.py measured the
# crossover between 49 and 100 taps on images from 128 x 128 to 2048 x 2048.
_DIRECT_MAX_TAPS = 64
# Where the FFT's error bound exceeds this fraction of an output's sum of
# absolute products, that output is summed directly (see _correlate_fft).
_FFT_RTOL = 1e-11
# Largest block of windows copied at once when outputs are summed directly,
# and of rows of |x| formed at once for the FFT of the error bound.
_GATHER_BYTES = 8 * 2**20


def rot180(a):
    """Rotate an array by 180 degrees in its last two axes.

    Parameters
    ----------
    a : array_like, shape (..., H, W)

    Returns
    -------
    ndarray, shape (..., H, W)
        ``a[..., ::-1, ::-1]``, a view: flipping both axes turns a convolution
        kernel into the correlation kernel that gives the same result (chapter
        "Cross-correlation"); the weight gradient is one (chapter "Weight
        update").

    Examples
    --------
    >>> import numpy as np
    >>> rot180(np.array([[1, 2], [3, 4]]))
    array([[4, 3],
           [2, 1]])
    """
    a = np.asarray(a)
    if a.ndim < 2:
        raise ValueError(
            f"a must have at least 2 dimensions (..., H, W), got shape {a.shape}"
        )
    return a[..., ::-1, ::-1]


def _next_fast_len(n):
    """Smallest 2-3-5-smooth integer >= n (sizes the FFT handles quickly)."""
    best = 1 << max(0, (n - 1).bit_length())
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            m = p35
            while m < n:
                m *= 2
            best = min(best, m)
            p35 *= 3
        p5 *= 5
    return best


def _correlate_valid(x, k, dtype):
    """Valid cross-correlation of 2-D ``x`` with a 2-D ``k`` no larger than it.

    ``out[i, j] = sum_{p, q} x[i + p, j + q] * k[p, q]`` for
    ``0 <= i <= H - kH``, ``0 <= j <= W - kW``.
    """
    H, W = x.shape
    kH, kW = k.shape
    Ho, Wo = H - kH + 1, W - kW + 1
    taps = kH * kW
    # inf - inf and inf * 0 give NaN and large products inf, silently, as in
    # scipy.signal
    with np.errstate(invalid="ignore", over="ignore"):
        if taps > _DIRECT_MAX_TAPS and Ho * Wo > taps:
            out = _correlate_fft(x, k)
            if out is not None:
                return out.astype(dtype, copy=False)
        return _correlate_direct(x, k, dtype)


def _correlate_direct(x, k, dtype):
    """:func:`_correlate_valid` by direct summation, the products scipy.signal forms."""
    H, W = x.shape
    kH, kW = k.shape
    Ho, Wo = H - kH + 1, W - kW + 1
    out = np.zeros((Ho, Wo), dtype=dtype)
    if kH * kW <= Ho * Wo:
        # Loop over kernel offsets: each step adds a shifted view of x.
        tmp = np.empty((Ho, Wo), dtype=dtype)
        for p in range(kH):
            for q in range(kW):
                np.multiply(x[p : p + Ho, q : q + Wo], k[p, q], out=tmp)
                out += tmp
    else:
        # Loop over output pixels: each is one dot product of a window with k.
        kf = k.ravel()
        for i in range(Ho):
            for j in range(Wo):
                out[i, j] = x[i : i + kH, j : j + kW].ravel() @ kf
    return out


def _windows(x, kH, kW):
    """Read-only view (H - kH + 1, W - kW + 1, kH, kW): the window under every valid output pixel."""
    sY, sX = x.strides
    return as_strided(
        x,
        (x.shape[0] - kH + 1, x.shape[1] - kW + 1, kH, kW),
        (sY, sX, sY, sX),
        writeable=False,
    )


def _fft_valid(x, k, shape, absolute=False):
    """Valid cross-correlation through the FFT, float64, without checks.

    With ``absolute``, of ``|x|`` and ``|k|``. Memory: two spectra of the
    transform's size at a time, each transform done in place, and ``|x|``
    formed a band of rows at a time, never whole.
    """
    H, W = x.shape
    kH, kW = k.shape
    spectrum = np.empty((shape[0], shape[1] // 2 + 1), dtype=np.complex128)
    rows = max(1, _GATHER_BYTES // (8 * W))
    for r0 in range(0, H, rows):
        band = x[r0 : r0 + rows]
        np.fft.rfft(
            np.abs(band) if absolute else band,
            n=shape[1],
            axis=1,
            out=spectrum[r0 : r0 + len(band)],
        )
    spectrum[H:] = 0
    np.fft.fft(spectrum, axis=0, out=spectrum)
    kernel = np.zeros_like(spectrum)
    k = np.abs(k) if absolute else k
    np.fft.rfft(k[::-1, ::-1], n=shape[1], axis=1, out=kernel[:kH])
    np.fft.fft(kernel, axis=0, out=kernel)
    spectrum *= kernel
    del kernel
    np.fft.ifft(spectrum, axis=0, out=spectrum)
    full = np.fft.irfft(spectrum, n=shape[1], axis=1)
    del spectrum
    return full[kH - 1 : H, kW - 1 : W].copy()


def _correlate_fft(x, k):
    """:func:`_correlate_valid` through the FFT, in float64, where that gives the direct sum's answer.

    Returns ``None`` when the direct method should do the whole job.

    The FFT's rounding error is spread over every output: at most about
    ``eps * log2(n) * max|x| * sum|k|`` (``n`` pixels in the transform;
    measured below a tenth of that in the tests), whatever the output's own size.
    Summed directly, an output's error is relative to
    ``S = sum_{p, q} |x[i + p, j + q]| |k[p, q]|``, its sum of absolute
    products. So the FFT result is kept only where that bound is at most
    ``_FFT_RTOL * S``; the other outputs (near a value far larger than their
    own, or sums of exact zeros) are summed directly, and so are all those
    whose window holds a NaN or an infinity, which the FFT would smear over
    the whole image. ``S`` itself comes from one more FFT of ``|x|`` and
    ``|k|``. When many outputs need the direct sum, or the kernel is not
    finite, everything is summed directly.
    """
    if not np.isfinite(k).all():
        return None
    x = x.astype(
        np.float64, copy=False
    )  # mixed float32/float64: float64 throughout
    k = k.astype(np.float64, copy=False)
    H, W = x.shape
    kH, kW = k.shape
    shape = (_next_fast_len(H), _next_fast_len(W))
    finite = np.isfinite(x)
    all_finite = bool(finite.all())
    x0 = x if all_finite else np.where(finite, x, 0.0)
    # The bound and S first, so that only the mask of outputs to redo is kept
    # while the result is transformed.
    with np.errstate(over="ignore", invalid="ignore"):
        bound = (
            np.finfo(np.float64).eps
            * np.log2(shape[0] * shape[1])
            * max(x0.max(), -x0.min())
            * np.abs(k).sum()
        )
        # S's own error is below ``bound`` too
        S = _fft_valid(x0, k, shape, absolute=True)
        redo = ~(
            S >= bound / _FFT_RTOL + bound
        )  # written so that NaN comparisons redo
    del S
    out = _fft_valid(x0, k, shape)
    redo |= ~np.isfinite(out)
    if not all_finite:
        redo |= _box_count(~finite, kH, kW) > 0
    n_redo = int(np.count_nonzero(redo))
    if 4 * n_redo > redo.size:
        return None
    if n_redo:
        i, j = np.nonzero(redo)
        win = _windows(x, kH, kW)
        kf = k.ravel()
        step = max(1, _GATHER_BYTES // (8 * kH * kW))
        for s0 in range(0, n_redo, step):
            ii, jj = i[s0 : s0 + step], j[s0 : s0 + step]
            out[ii, jj] = win[ii, jj].reshape(len(ii), -1) @ kf
    return out


def _box_count(mask, kH, kW):
    """Number of True pixels of ``mask`` under each valid kH x kW window (exact integers)."""
    cs = np.zeros((mask.shape[0] + 1, mask.shape[1] + 1), dtype=np.int64)
    np.cumsum(mask, axis=0, out=cs[1:, 1:])
    np.cumsum(cs[1:, 1:], axis=1, out=cs[1:, 1:])
    return cs[kH:, kW:] - cs[:-kH, kW:] - cs[kH:, :-kW] + cs[:-kH, :-kW]


def _check_pair(in1, in2, mode, boundary, fillvalue, who):
    in1 = as_real_array(in1, "in1")
    in2 = as_real_array(in2, "in2")
    for arr, name in ((in1, "in1"), (in2, "in2")):
        if arr.ndim != 2:
            raise ValueError(
                f"{who}: {name} must be a 2-D array (H, W), got shape {arr.shape}"
            )
        if arr.size == 0:
            raise ValueError(
                f"{who}: {name} must not be empty, got shape {arr.shape}"
            )
    check_flag(mode, "mode", MODES)
    check_flag(boundary, "boundary", BOUNDARIES)
    if (
        isinstance(fillvalue, (complex, np.complexfloating))
        or not np.isscalar(fillvalue)
        or isinstance(fillvalue, (str, bytes))
    ):
        raise TypeError(f"fillvalue must be a real scalar, got {fillvalue!r}")
    if mode == "valid":
        bigger1 = in1.shape[0] >= in2.shape[0] and in1.shape[1] >= in2.shape[1]
        bigger2 = in2.shape[0] >= in1.shape[0] and in2.shape[1] >= in1.shape[1]
        if not (bigger1 or bigger2):
            raise ValueError(
                f"{who}: in mode 'valid' one input must be at least as large as the other in every "
                f"dimension; got in1 {in1.shape} and in2 {in2.shape}"
            )
    return in1, in2


def _convolve(in1, in2, mode, boundary, fillvalue, same_start):
    """Convolution of in1 with kernel in2; ``same_start(k)`` is where mode 'same' starts in 'full'."""
    dtype = result_dtype(in1, in2)
    H1, W1 = in1.shape
    kH, kW = in2.shape
    if mode == "valid":
        if (
            kH > H1 or kW > W1
        ):  # convolution commutes: the larger one is the image
            in1, in2 = in2, in1
            H1, W1 = in1.shape
            kH, kW = in2.shape
        return _correlate_valid(in1, in2[::-1, ::-1], dtype)
    if mode == "full":
        top, left = kH - 1, kW - 1
        bottom, right = kH - 1, kW - 1
    else:  # same: rows s .. s + H1 - 1 of the full output
        sH, sW = same_start(kH), same_start(kW)
        top, left = kH - 1 - sH, kW - 1 - sW
        bottom, right = sH, sW
    width = ((top, bottom), (left, right))
    if boundary == "fill":
        padded = np.pad(
            in1.astype(dtype, copy=False),
            width,
            mode="constant",
            constant_values=fillvalue,
        )
    else:
        padded = np.pad(
            in1.astype(dtype, copy=False), width, mode=NP_PAD_MODE[boundary]
        )
    return _correlate_valid(padded, in2[::-1, ::-1], dtype)


def convolve2d(in1, in2, mode="full", boundary="fill", fillvalue=0):
    r"""Convolve two 2-D arrays, as :func:`scipy.signal.convolve2d` does.

    .. math::

        v(x, y) = \sum_{x_k=0}^{N_k-1} \sum_{y_k=0}^{N_k-1}
            i(x - x_k, y - y_k)\, k(x_k, y_k)

    Derived in chapter "Convolution".

    Parameters
    ----------
    in1 : array_like, shape (H, W)
        The image *i*. Real numbers.
    in2 : array_like, shape (kH, kW)
        The kernel *k*.
    mode : {'full', 'valid', 'same'}
        ``'full'`` gives every pixel the kernel touches, shape
        ``(H + kH - 1, W + kW - 1)``; ``'valid'`` only those computed without
        padding, shape ``(H - kH + 1, W - kW + 1)``; ``'same'`` the centre of
        ``'full'`` with the shape of ``in1``.
    boundary : {'fill', 'wrap', 'symm'}
        What stands outside ``in1``: ``fillvalue``, the image repeated
        periodically, or the image mirrored (edge pixel repeated).
    fillvalue : float
        The value outside ``in1`` when ``boundary='fill'``.

    Returns
    -------
    v : ndarray
        float32 when both inputs are float32, else float64. A NaN or an
        infinity in the inputs reaches exactly the outputs it reaches in
        scipy's direct sum.

    Examples
    --------
    >>> import numpy as np
    >>> i = np.arange(16).reshape(4, 4)
    >>> k = np.array([[1, 0], [0, -1]])
    >>> # i(x, y) - i(x - 1, y - 1), shifted to start at (0, 0):
    >>> convolve2d(i, k, mode="valid")
    array([[5., 5., 5.],
           [5., 5., 5.],
           [5., 5., 5.]])
    """
    in1, in2 = _check_pair(in1, in2, mode, boundary, fillvalue, "convolve2d")
    return _convolve(
        in1, in2, mode, boundary, fillvalue, lambda k: (k - 1) // 2
    )


def correlate2d(in1, in2, mode="full", boundary="fill", fillvalue=0):
    r"""Cross-correlate two 2-D arrays, as :func:`scipy.signal.correlate2d`.

    .. math::

        l(x, y) = \sum_{x_k=0}^{N_k-1} \sum_{y_k=0}^{N_k-1}
            i(x + x_k, y + y_k)\, k(x_k, y_k)

    The same as :func:`convolve2d` with the kernel rotated by 180 degrees
    (in mode ``'same'`` the centre of an even kernel is taken one pixel further
    on, as scipy does). Derived in chapter "Cross-correlation".

    Parameters
    ----------
    in1 : array_like, shape (H, W)
        The image.
    in2 : array_like, shape (kH, kW)
        The kernel.
    mode : {'full', 'valid', 'same'}
        As in :func:`convolve2d`.
    boundary : {'fill', 'wrap', 'symm'}
        As in :func:`convolve2d`.
    fillvalue : float
        As in :func:`convolve2d`.

    Returns
    -------
    l : ndarray
        float32 when both inputs are float32, else float64. NaN and
        infinities as in :func:`convolve2d`.

    Examples
    --------
    >>> import numpy as np
    >>> i = np.arange(16).reshape(4, 4)
    >>> k = np.array([[1, 0], [0, -1]])
    >>> correlate2d(i, k, mode="valid")
    array([[-5., -5., -5.],
           [-5., -5., -5.],
           [-5., -5., -5.]])
    >>> correlate2d(i, k, mode="full")[0]
    array([ 0., -1., -2., -3.,  0.])
    """
    in1, in2 = _check_pair(in1, in2, mode, boundary, fillvalue, "correlate2d")
    return _convolve(
        in1, in2[::-1, ::-1], mode, boundary, fillvalue, lambda k: k // 2
    )
