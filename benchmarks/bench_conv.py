"""Benchmark of cnnlit's convolutional layer as users meet it.

Every library runs in a process of its own, in its steady state: a few calls
to warm up, then back-to-back calls, of which the median counts. The processes
run one after the other, in alternating order over the rounds, and each row
keeps the better of its rounds' medians. Only ratios measured in one run mean
anything: the machine may be shared with other jobs.

    python benchmarks/bench_conv.py                 # the five parts below (15-60 minutes)
    python benchmarks/bench_conv.py --quick         # fewer sizes, two rounds
    python benchmarks/bench_conv.py --only suite    # or sweep, step, large, products,
                                                    # reference, signal, import, lock,
                                                    # floor, switch
    python benchmarks/bench_conv.py --old PATH      # also time the cnnlit under PATH

Parts (see benchmarks/README.md for the targets):

* ``suite``: conv_forward + conv_backward (``convention="correlation"``) on
  four layers in float32 and float64, against PyTorch's conv2d forward +
  backward and the textbook numpy im2col layer written below, on one thread,
  on two, and on two while another process keeps one core busy; and the
  layer's three matrix products alone (numpy's ``@`` on operands built
  beforehand), a yardstick for any layer built on numpy's matrix product.
* ``sweep``: one thread, time per multiply-add while the image size (32-2048
  px), the batch (1-2048), the kernel (1-21), the channels (1-128) and C_out
  (from 1) grow, float32 and float64, against PyTorch and scipy.signal; with
  ``--plot FILE`` a log-log picture of time against work.
* ``step``: one training step of the digits network on one thread.
* ``large``: ``conv_forward`` on large single images (2048 x 2048, 15 x 15),
  against scipy.signal.convolve2d, quiet and with one core busy.
* ``products``: numpy's matrix product of the layer's block shapes on one and
  two BLAS threads, quiet and busy (where the one-thread threshold comes from).

Run only when named: ``reference``, ``signal``, ``import``, ``lock`` (Python's
lock and numpy on two threads) and ``floor`` (one thread, against PyTorch, on
the suite's layers and three float32 rows of the sweep: numpy's three
products, whole, and in the layer's blocks with each block copied once, and
the whole layer in the frequency domain, in numpy.fft's single and double
precision) and ``switch`` (one output channel and a large kernel: the FFT's
time over im2col's, one thread, in this process).

PyTorch, scipy, scikit-learn and matplotlib are optional; without one of them
its columns are skipped.
"""

import argparse
import gc
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import time
import tracemalloc

import numpy as np

SUITE = [  # (N, C_in, C_out, H = W, k)
    (64, 1, 8, 28, 5),
    (64, 8, 16, 12, 5),
    (128, 16, 32, 16, 3),
    (32, 32, 64, 32, 3),
]
DTYPES = ("float32", "float64")
LARGE = [  # (N, C_in, C_out, H = W, k, dtype), conv_forward with padding k // 2
    (1, 1, 1, 2048, 15, "float64"),
    (1, 3, 1, 512, 15, "float64"),
    (1, 3, 1, 724, 15, "float64"),
]
TARGETS = {
    "one thread geomean": 0.8,
    "one thread row": 1.5,
    "two threads geomean": 1.2,
    "two threads row": 2.0,
    "busy / quiet one thread": 1.3,
    "per multiply-add / median": 2.0,
    "step": 1.0,
    "large / scipy": 1.0,
}
STEP_BATCH, STEP_LR, STEP_MOMENTUM, STEP_BATCHES = 32, 0.05, 0.9, 8


def sweep_cases(quick):
    """(group, (N, C_in, C_out, H, k), dtype): one thread, valid, stride 1."""
    pick = (lambda v: v[::2]) if quick else (lambda v: v)
    rows = []
    for H in pick([32, 64, 128, 256, 512, 1024, 2048]):
        rows.append(("image", (1, 3, 8, H, 3)))
    for H in pick([32, 64, 128, 256, 512, 1024, 2048]):
        rows.append(("image, 15x15, 3 -> 1", (1, 3, 1, H, 15)))
    for N in pick([1, 4, 16, 64, 256, 1024, 2048]):
        rows.append(("batch", (N, 8, 16, 16, 3)))
    for k in pick([1, 3, 5, 7, 11, 15, 21]):
        rows.append(("kernel", (8, 16, 16, 32, k)))
    for c in pick([1, 4, 16, 64, 128]):
        rows.append(("channels", (8, c, c, 32, 3)))
    for c in pick([1, 2, 8, 32, 128]):
        rows.append(("C_out", (8, 16, c, 32, 3)))
    return [(g, case, dt) for dt in DTYPES for g, case in rows]


def macs(N, C_in, C_out, H, k, pad=0, passes=3):
    """Multiply-adds of forward + weight gradient + input gradient, stride 1."""
    Ho = H + 2 * pad - k + 1
    return passes * N * C_out * Ho * Ho * C_in * k * k


def geomean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values))


# ---------------------------------------------------------------------------
# Worker side: one library in this process
# ---------------------------------------------------------------------------


def steady(f, min_time, max_calls=5000):
    """Median of back-to-back calls after a warm-up (the library's threads awake).

    Calls for ``min_time`` seconds, at least five and at most ``max_calls``
    (a cap of 200 calls timed the sweep's one-example rows, 0.1 ms a call,
    for 20 ms right after the warm-up: one run recorded 158 us for a row that
    took 115 to 135 us timed for 0.4 s). A call of more than a second is its own warm-up: three
    calls in all."""
    t0 = time.perf_counter()
    f()
    first = time.perf_counter() - t0
    if first < 0.5:
        f()
    times, start = [], time.perf_counter()
    while len(times) < 3 or (
        first < 1.0
        and len(times) < max_calls
        and (len(times) < 5 or time.perf_counter() - start < min_time)
    ):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
        if first >= 1.0 and len(times) >= 2:
            break
    return statistics.median(times)


def data(case, dtype, pad=0, seed=0):
    N, C_in, C_out, H, k = case
    rng = np.random.default_rng(seed)
    Ho = H + 2 * pad - k + 1
    x = rng.standard_normal((N, C_in, H, H)).astype(dtype)
    w = rng.standard_normal((C_out, C_in, k, k)).astype(dtype)
    b = rng.standard_normal(C_out).astype(dtype)
    d = rng.standard_normal((N, C_out, Ho, Ho)).astype(dtype)
    return x, w, b, d


def fingerprint(arrays):
    """Two numbers per array (a seeded random projection and its scale), to compare libraries."""
    out = []
    for i, a in enumerate(arrays):
        a = np.asarray(a, dtype=np.float64)
        r = np.random.default_rng(100 + i).standard_normal(a.shape)
        out.append([float((a * r).sum()), float(np.abs(a * r).sum())])
    return out


# ---------------------------------------------------------------------------
# Baseline: a plain numpy im2col implementation, the textbook way (as in the
# layers of "Deep Learning from Scratch"): the windows copied into a matrix
# with one rows-per-pixel layout, one matrix product, col2im by strided adds,
# the layer keeping its column matrix from the forward pass for the backward
# pass. Timed against cnnlit; not used by cnnlit.
# ---------------------------------------------------------------------------


def baseline_im2col(x, kH, kW, stride=1, pad=0):
    """Windows of ``x`` (N, C, H, W) as rows: shape (N * H_out * W_out, C * kH * kW)."""
    N, C, H, W = x.shape
    Ho = (H + 2 * pad - kH) // stride + 1
    Wo = (W + 2 * pad - kW) // stride + 1
    xp = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)]) if pad else x
    col = np.empty((N, C, kH, kW, Ho, Wo), dtype=x.dtype)
    for p in range(kH):
        for q in range(kW):
            col[:, :, p, q] = xp[
                :, :, p : p + stride * Ho : stride, q : q + stride * Wo : stride
            ]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * Ho * Wo, -1)


def baseline_col2im(col, shape, kH, kW, stride=1, pad=0):
    """The transpose of :func:`baseline_im2col`: rows added back onto their pixels."""
    N, C, H, W = shape
    Ho = (H + 2 * pad - kH) // stride + 1
    Wo = (W + 2 * pad - kW) // stride + 1
    col = col.reshape(N, Ho, Wo, C, kH, kW).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    for p in range(kH):
        for q in range(kW):
            img[
                :, :, p : p + stride * Ho : stride, q : q + stride * Wo : stride
            ] += col[:, :, p, q]
    return img[:, :, pad : pad + H, pad : pad + W]


class BaselineConv:
    """Convolutional layer, stride 1, cross-correlation (PyTorch's conv2d)."""

    def __init__(self, w, b, pad=0):
        self.w, self.b, self.pad = w, b, pad

    def forward(self, x):
        C_out, _, kH, kW = self.w.shape
        N, _, H, W = x.shape
        Ho, Wo = H + 2 * self.pad - kH + 1, W + 2 * self.pad - kW + 1
        self.x_shape = x.shape
        self.col = baseline_im2col(x, kH, kW, pad=self.pad)
        self.w_col = self.w.reshape(C_out, -1).T
        out = self.col @ self.w_col + self.b
        return out.reshape(N, Ho, Wo, C_out).transpose(0, 3, 1, 2)

    def backward(self, dout):
        C_out, _, kH, kW = self.w.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, C_out)
        self.db = dout.sum(axis=0)
        self.dw = (self.col.T @ dout).T.reshape(self.w.shape)
        dcol = dout @ self.w_col.T
        return baseline_col2im(dcol, self.x_shape, kH, kW, pad=self.pad)


class BaselineRelu:
    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dout = dout.copy()
        dout[self.mask] = 0
        return dout


class BaselineMaxPool:
    """Max pooling over ``size`` x ``size`` windows, stride ``size``, through im2col."""

    def __init__(self, size):
        self.size = size

    def forward(self, x):
        N, C, H, W = x.shape
        s = self.size
        Ho, Wo = H // s, W // s
        col = baseline_im2col(x, s, s, stride=s).reshape(-1, s * s)
        self.x_shape, self.arg_max = x.shape, np.argmax(col, axis=1)
        return np.max(col, axis=1).reshape(N, Ho, Wo, C).transpose(0, 3, 1, 2)

    def backward(self, dout):
        s = self.size
        dout = dout.transpose(0, 2, 3, 1)
        dmax = np.zeros((dout.size, s * s), dtype=dout.dtype)
        dmax[np.arange(self.arg_max.size), self.arg_max] = dout.ravel()
        dcol = dmax.reshape(dout.shape[0] * dout.shape[1] * dout.shape[2], -1)
        return baseline_col2im(dcol, self.x_shape, s, s, stride=s)


class BaselineFlatten:
    def forward(self, x):
        self.shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        return dout.reshape(self.shape)


class BaselineDense:
    def __init__(self, w, b):
        self.w, self.b = w, b

    def forward(self, x):
        self.x = x
        return x @ self.w.T + self.b

    def backward(self, dout):
        self.dw = dout.T @ self.x
        self.db = dout.sum(axis=0)
        return dout @ self.w


class BaselineNet:
    """The digits network in the baseline layers, softmax cross-entropy, SGD with momentum."""

    def __init__(self, params, lr, momentum):
        w1, b1, w2, b2, w3, b3 = (p.copy() for p in params)
        self.conv = BaselineConv(w1, b1, pad=1)
        self.dense1, self.dense2 = BaselineDense(w2, b2), BaselineDense(w3, b3)
        self.layers = [
            self.conv,
            BaselineRelu(),
            BaselineMaxPool(2),
            BaselineFlatten(),
            self.dense1,
            BaselineRelu(),
            self.dense2,
        ]
        self.lr, self.momentum = lr, momentum
        self.v = [np.zeros_like(p) for p in self.params()]

    def params(self):
        return [
            self.conv.w,
            self.conv.b,
            self.dense1.w,
            self.dense1.b,
            self.dense2.w,
            self.dense2.b,
        ]

    def grads(self):
        return [
            self.conv.dw,
            self.conv.db,
            self.dense1.dw,
            self.dense1.db,
            self.dense2.dw,
            self.dense2.db,
        ]

    def step(self, x, labels):
        for layer in self.layers:
            x = layer.forward(x)
        N = x.shape[0]
        z = x - x.max(axis=1, keepdims=True)
        e = np.exp(z)
        p = e / e.sum(axis=1, keepdims=True)
        loss = -np.log(p[np.arange(N), labels]).mean()
        g = p
        g[np.arange(N), labels] -= 1
        g /= N
        for layer in reversed(self.layers):
            g = layer.backward(g)
        for param, grad, v in zip(
            self.params(), self.grads(), self.v, strict=True
        ):
            v *= self.momentum
            v -= self.lr * grad
            param += v
        return loss


# ---------------------------------------------------------------------------
# The digits network for the training step
# ---------------------------------------------------------------------------


def digits_batches(rng):
    """STEP_BATCHES mini-batches of the digits (8x8, scaled to [0, 1]) and their labels."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        print(
            "   (scikit-learn is not installed: random 8x8 images stand in for the digits)",
            file=sys.stderr,
        )
        images = rng.random((STEP_BATCH * STEP_BATCHES, 8, 8)) * 16
        labels = rng.integers(0, 10, STEP_BATCH * STEP_BATCHES)
    else:
        digits = load_digits()
        images, labels = digits.images, digits.target
    idx = rng.permutation(len(labels))[: STEP_BATCH * STEP_BATCHES]
    x = (images[idx] / 16.0).astype(np.float32)[:, None]
    y = labels[idx].astype(np.intp)
    return [
        (x[i : i + STEP_BATCH], y[i : i + STEP_BATCH])
        for i in range(0, len(y), STEP_BATCH)
    ]


def torch_digits_net(params):
    """build_network's layers in torch, starting from ``params`` (cnnlit's convolution flipped)."""
    import torch

    w1, b1, w2, b2, w3, b3 = params
    net = torch.nn.Sequential(
        torch.nn.Conv2d(w1.shape[1], w1.shape[0], w1.shape[2], padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(w2.shape[1], w2.shape[0]),
        torch.nn.ReLU(),
        torch.nn.Linear(w3.shape[1], w3.shape[0]),
    )
    with torch.no_grad():
        for p, value in zip(net.parameters(), params, strict=True):
            p.copy_(torch.from_numpy(np.ascontiguousarray(value)))
    return net


def layer_cnnlit(x, w, b, d, pad, kind):
    import cnnlit

    if kind == "forward":
        return lambda: (cnnlit.conv_forward(x, w, b, padding=pad),)

    def f():
        c = cnnlit.conv_forward(x, w, b, convention="correlation")
        dw, db, dx = cnnlit.conv_backward(d, x, w, convention="correlation")
        return c, dw, db, dx

    return f


def layer_torch(x, w, b, d, pad, kind):
    import torch

    F = torch.nn.functional
    tb = torch.from_numpy(b)
    if kind == "forward":  # the seed's convolution: torch correlates
        tx = torch.from_numpy(x)
        tw = torch.from_numpy(w[:, :, ::-1, ::-1].copy())

        def forward():
            with torch.no_grad():
                return (F.conv2d(tx, tw, tb, padding=pad).numpy(),)

        return forward
    tx = torch.from_numpy(x).requires_grad_(True)
    tw = torch.from_numpy(w).requires_grad_(True)
    tb.requires_grad_(True)
    td = torch.from_numpy(d)

    def f():
        tx.grad = tw.grad = tb.grad = None
        out = F.conv2d(tx, tw, tb)
        out.backward(td)
        return out.detach().numpy(), tw.grad, tb.grad, tx.grad

    return f


def layer_scipy(x, w, b, d, pad, kind):
    import scipy.signal as ss

    N, C_in, _, _ = x.shape
    C_out = w.shape[0]
    if (
        kind == "forward"
    ):  # scipy.signal.convolve2d, mode 'same' = padding k // 2

        def forward():
            return (
                np.stack(
                    [
                        np.stack(
                            [
                                sum(
                                    ss.convolve2d(x[n, c], w[m, c], mode="same")
                                    for c in range(C_in)
                                )
                                + b[m]
                                for m in range(C_out)
                            ]
                        )
                        for n in range(N)
                    ]
                ),
            )

        return forward

    def f():  # the layer from scipy.signal.correlate / convolve (method 'auto')
        c = np.empty(d.shape, x.dtype)
        dw, dx = np.zeros_like(w), np.zeros_like(x)
        for n in range(N):
            for m in range(C_out):
                c[n, m] = b[m]
                for ch in range(C_in):
                    c[n, m] += ss.correlate(x[n, ch], w[m, ch], mode="valid")
                    dw[m, ch] += ss.correlate(x[n, ch], d[n, m], mode="valid")
                    dx[n, ch] += ss.convolve(d[n, m], w[m, ch], mode="full")
        return c, dw, d.sum(axis=(0, 2, 3)), dx

    return f


def layer_im2col(x, w, b, d, pad, kind):
    base = BaselineConv(w, b)

    def f():
        c = base.forward(x)
        dx = base.backward(d)
        return c, base.dw, base.db, dx

    return f


def layer_gemm(x, w, b, d, pad, kind):
    """Only the three matrix products of an im2col layer (forward, weight
    gradient, column gradient), one whole product each on operands built
    beforehand: a yardstick for numpy's products, not a floor (the products
    of cache-sized blocks can take less time, see :func:`layer_floor`)."""
    C_out, _, kH, kW = w.shape
    col = np.ascontiguousarray(baseline_im2col(x, kH, kW).T)  # (K, N Ho Wo)
    w2 = w.reshape(C_out, -1)
    d2 = np.ascontiguousarray(d.transpose(1, 0, 2, 3).reshape(C_out, -1))
    return lambda: (w2 @ col, d2 @ col.T, w2.T @ d2)


def layer_floor(x, w, b, d, pad, kind):
    """What cnnlit's layer on one thread cannot do without: for each of its
    blocks (cache-sized, its layout), one im2col copy into one reused buffer
    and the three products on it (forward, weight gradient, columns'
    gradient). The deltas are laid out in the blocks' columns beforehand; the
    layer's other work (the deltas' layout, adding the columns' gradient back
    onto the pixels, the output's copy, a second im2col copy in the backward
    pass) is left out."""
    from cnnlit._im2col import Geometry

    N, C_in, H, W = x.shape
    C_out, _, kH, kW = w.shape
    g = Geometry(N, C_in, H, W, C_out, kH, kW, H - kH + 1, W - kW + 1)
    Kc = C_in * kH * kW
    blocks, most, _ = g.plan(x.itemsize, C_out * (Kc + 1))
    W2 = np.empty((C_out, Kc + 1), x.dtype)
    W2[:, :Kc] = w.reshape(C_out, Kc)
    W2[:, Kc] = b
    Wt = np.ascontiguousarray(W2[:, :Kc].T)
    cols, out = (
        np.empty((Kc + 1) * most, x.dtype),
        np.empty(C_out * most, x.dtype),
    )
    dcols = np.empty(Kc * most, x.dtype)
    deltas = []
    for n0, n1, r0, r1 in blocks:
        n, span = n1 - n0, g.span(r0, r1)
        block = np.zeros((C_out, n * span), x.dtype)
        g.pixels(block, n, r0, r1)[...] = d[n0:n1, :, r0:r1]
        deltas.append(block)
    xp = np.ascontiguousarray(x)

    def f():
        dW = 0
        for (n0, n1, r0, r1), block in zip(blocks, deltas, strict=True):
            c = g.cols(xp, n0, n1, r0, r1, out=cols, ones=True)
            m = c.shape[1]
            np.dot(W2, c, out=out[: C_out * m].reshape(C_out, m))
            dW = dW + np.dot(c, block.T)
            np.dot(Wt, block, out=dcols[: Kc * m].reshape(Kc, m))
        return (dW,)

    return f


def layer_spectral(x, w, b, d, pad, kind, double=False):
    """The layer in the frequency domain (stride 1, valid): every map, kernel
    and delta map transformed once with numpy.fft (size H x W, enough for
    all three results), and each of the three products one small complex
    product per frequency. numpy.fft transforms float32 in single precision
    (complex64); with ``double``, in double precision (complex128), the
    results cast back to the input's dtype."""
    N, C_in, H, W = x.shape
    C_out, _, kH, kW = w.shape
    dtype = x.dtype

    def spectrum(a):  # (A, B, h, w) -> (frequencies, A, B)
        f = np.fft.rfft2(a.astype(np.float64) if double else a, s=(H, W))
        return f.reshape(a.shape[0], a.shape[1], -1).transpose(2, 0, 1)

    def maps(f, rows, cols):  # (frequencies, A, B) -> (A, B, rows, cols)
        f = f.transpose(1, 2, 0).reshape(*f.shape[1:], H, W // 2 + 1)
        f = np.fft.irfft2(f, s=(H, W))[:, :, :rows, :cols]
        return f.astype(dtype) if double else f

    def f():
        X, K, D = spectrum(x), spectrum(w), spectrum(d)
        c = maps(X @ K.conj().transpose(0, 2, 1), H - kH + 1, W - kW + 1)
        dw = maps(D.conj().transpose(0, 2, 1) @ X, kH, kW)
        dx = maps(D @ K, H, W)
        return c + b[:, None, None], dw, d.sum(axis=(0, 2, 3)), dx

    return f


def layer_spectral64(x, w, b, d, pad, kind):
    """:func:`layer_spectral` in double precision, whatever the input's dtype:
    the precision of cnnlit's own FFT path (:func:`cnnlit.correlate2d`),
    which bounds the transform's rounding error (it follows the largest
    numbers of a map) and checks each output against the bound."""
    return layer_spectral(x, w, b, d, pad, kind, double=True)


LAYERS = {
    "cnnlit": layer_cnnlit,
    "spectral": layer_spectral,
    "spectral64": layer_spectral64,
    "gemm": layer_gemm,
    "floor": layer_floor,
    "old": layer_cnnlit,
    "torch": layer_torch,
    "scipy": layer_scipy,
    "im2col": layer_im2col,
}


_CACHE = {}


def run_cases(lib, job):
    """Time each case of ``job``; the data and the first results of the last case are kept."""
    out = []
    for spec in job["cases"]:
        case, dtype = tuple(spec["case"]), spec["dtype"]
        pad, kind = spec.get("pad", 0), spec.get("kind", "train")
        N, C_in, C_out, H, k = case
        if (
            lib == "scipy"
            and (N * C_in * C_out > 64 or macs(*case, pad=pad) > 5e9)
        ) or (
            lib in ("old", "torch", "gemm")
            and "group" in spec
            and macs(*case) > 2e9
        ):
            # seconds to minutes per call: scipy's per channel pair, and the
            # old im2col of one output channel and a 15x15 kernel on 2048 px;
            # PyTorch's worker died there (its backward, 8e9 multiply-adds)
            out.append(None)
            continue
        key = (case, dtype, pad, kind)
        if key not in _CACHE:
            _CACHE.clear()
            x, w, b, d = data(case, dtype, pad)
            f = LAYERS[lib](x, w, b, d, pad, kind)
            _CACHE[key] = f, fingerprint(f())
        f, fp = _CACHE[key]
        out.append({"time": steady(f, job["min_time"]), "fp": fp})
    return out


def run_step(lib, job):
    if "step" not in _CACHE:
        _CACHE["step"] = make_step(lib)
    step, batches, losses = _CACHE["step"]
    t = steady(lambda: [step(x, y) for x, y in batches], job["min_time"])
    return {"time": t / len(batches), "losses": losses}


def make_step(lib):
    from cnnlit.train import build_network

    rng = np.random.default_rng(0)
    batches = digits_batches(rng)
    net = build_network(
        rng=np.random.default_rng(0),
        loss="softmax_cross_entropy",
        dtype=np.float32,
    )
    params = [p.copy() for p in net.params.values()]
    params[0] = params[0][:, :, ::-1, ::-1].copy()  # the correlation's kernel
    if lib in ("cnnlit", "old"):
        import cnnlit

        opt = cnnlit.SGD(STEP_LR, STEP_MOMENTUM)

        def step(x, y):
            o = net.forward(x)
            E, dE_do = cnnlit.loss_and_grad(o, y, "softmax_cross_entropy")
            net.backward(dE_do)
            opt.step(net)
            return E

    elif lib == "im2col":
        step = BaselineNet(params, STEP_LR, STEP_MOMENTUM).step
    else:
        import torch

        tnet = torch_digits_net(params)
        topt = torch.optim.SGD(
            tnet.parameters(), lr=STEP_LR, momentum=STEP_MOMENTUM
        )
        loss_fn = torch.nn.CrossEntropyLoss()
        tb = {
            id(x): (torch.from_numpy(x), torch.from_numpy(y))
            for x, y in batches
        }

        def step(x, y):
            tx, ty = tb[id(x)]
            topt.zero_grad()
            loss = loss_fn(tnet(tx), ty)
            loss.backward()
            topt.step()
            return loss.item()

    # the same starting weights: the first losses agree (checked by the parent)
    losses = [float(step(x, y)) for x, y in batches[:3]]
    return step, batches, losses


def run_products(lib, job):
    rng = np.random.default_rng(0)
    out = []
    for m, k, n, dtype in job["shapes"]:
        a = rng.standard_normal((m, k)).astype(dtype)
        b = rng.standard_normal((k, n)).astype(dtype)
        out.append({"time": steady(lambda a=a, b=b: a @ b, job["min_time"])})
    return out


def worker(lib, threads):
    """Answer the parent's jobs, one JSON line each, until stdin closes."""
    if lib == "torch":
        import torch

        torch.set_num_threads(threads)
    parts = {"step": run_step, "products": run_products, "cases": run_cases}
    for line in sys.stdin:
        job = json.loads(line)
        sys.stdout.write(json.dumps(parts[job["part"]](lib, job)) + "\n")
        sys.stdout.flush()


# ---------------------------------------------------------------------------
# Parent side: the processes, the rounds, the tables
# ---------------------------------------------------------------------------

AVAILABLE = {}


def available(lib):
    """Whether ``lib``'s worker can run (its packages import in this interpreter)."""
    if lib not in AVAILABLE:
        module = {"torch": "torch", "scipy": "scipy.signal"}.get(lib)
        try:
            if module:
                __import__(module)
            AVAILABLE[lib] = True
        except ImportError:
            AVAILABLE[lib] = False
            print(f"   ({module} is not installed: its column is skipped)")
    return AVAILABLE[lib]


class Workers:
    """One process per (library, threads), started once and kept; a spinner
    process pinned to the last core, stopped except while a busy contender runs."""

    def __init__(self, paths):
        self.paths, self.procs = paths, {}
        code = (
            "import os\n"
            "if hasattr(os, 'sched_setaffinity'):\n"
            "    os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})\n"
            "while True:\n    pass\n"
        )
        self.spinner = subprocess.Popen([sys.executable, "-c", code])
        self.spinner.send_signal(signal.SIGSTOP)

    def ask(self, lib, threads, busy, job):
        if (lib, threads) not in self.procs:
            env = dict(os.environ)
            for name in (
                "OPENBLAS_NUM_THREADS",
                "OMP_NUM_THREADS",
                "MKL_NUM_THREADS",
            ):
                env[name] = str(threads)
            env["PYTHONPATH"] = self.paths["old" if lib == "old" else "new"]
            self.procs[lib, threads] = subprocess.Popen(
                [sys.executable, os.path.abspath(__file__), "--worker", lib],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env=env,
            )  # fmt: skip
        proc = self.procs[lib, threads]
        if busy:
            self.spinner.send_signal(signal.SIGCONT)
            time.sleep(0.05)
        try:
            proc.stdin.write(json.dumps(job) + "\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
        finally:
            if busy:
                self.spinner.send_signal(signal.SIGSTOP)
        if not line:
            raise RuntimeError(f"worker {lib} ({threads} threads) failed")
        # let this library's worker threads stop spinning before the next one runs
        time.sleep(PAUSE)
        return json.loads(line)

    def close(self):
        for proc in self.procs.values():
            proc.stdin.close()
            proc.wait()
        self.spinner.send_signal(signal.SIGCONT)
        self.spinner.kill()
        self.spinner.wait()


PAUSE = 0.15  # s, longer than OpenBLAS's and OpenMP's spin before their threads sleep


def measure(pool, contenders, jobs, rounds):
    """{contender: [result per job]}: for each job the contenders take turns,
    in alternating order over the rounds, and the best median is kept.

    A contender is ``(lib, threads, busy)``."""
    contenders = [c for c in contenders if available(c[0])]
    best = {c: [] for c in contenders}
    for job in jobs:
        for c in contenders:
            best[c].append(None)
        for r in range(rounds):
            for c in contenders if r % 2 == 0 else contenders[::-1]:
                got = pool.ask(*c, job)
                got = got[0] if isinstance(got, list) else got
                now = best[c][-1]
                if got is not None and (
                    now is None or got["time"] < now["time"]
                ):
                    best[c][-1] = got
    return best


def check_same(results, cases):
    """Every library's numbers agree with cnnlit's (seeded random projections)."""
    ref = next(rows for c, rows in results.items() if c[0] == "cnnlit")
    for c, rows in results.items():
        if c[0] in ("gemm", "floor"):  # products: not the layer's results
            continue
        for spec, a, b in zip(cases, rows, ref, strict=True):
            if a is None or b is None:
                continue
            tol = 2e-3 if spec["dtype"] == "float32" else 1e-8
            for (p, s), (q, _) in zip(a["fp"], b["fp"], strict=True):
                assert abs(p - q) <= tol * max(s, 1e-300), (c, spec, p, q)


def suite_cases():
    return [
        {"case": list(case), "dtype": dt, "kind": "train"}
        for case in SUITE
        for dt in DTYPES
    ]


def print_table(head, rows):
    widths = [
        max(len(str(r[i])) for r in [head] + rows) for i in range(len(head))
    ]
    line = "  ".join(f"{h:>{w}}" for h, w in zip(head, widths, strict=True))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(f"{v:>{w}}" for v, w in zip(r, widths, strict=True)))


def ratio(a, b):
    return None if a is None or b is None else a["time"] / b["time"]


def fmt(v, spec=".2f"):
    return "-" if v is None else format(v, spec)


def jobs_of(cases, min_time):
    return [
        {"part": "cases", "cases": [c], "min_time": min_time} for c in cases
    ]


def column(res, lib, threads, busy, n):
    return res.get((lib, threads, busy), [None] * n)


MODES = (("one thread", 1, False), ("two threads", 2, False),
         ("two threads, one core busy", 2, True))  # fmt: skip


def bench_suite(args, pool, libs):
    print(
        "\n== suite: conv_forward + conv_backward (correlation, stride 1, no padding) =="
    )
    print(
        "   every contender in its own process; for each layer they take turns"
    )
    cases = suite_cases()
    contenders = [(lib, t, busy) for _, t, busy in MODES
                  for lib in libs + ["gemm"]
                  if not (busy and lib in ("im2col", "gemm"))]  # fmt: skip
    res = measure(pool, contenders, jobs_of(cases, args.min_time), args.rounds)
    check_same(res, cases)
    n, out = len(cases), {}
    for mode, threads, busy in MODES:
        print(f"\n-- {mode} --")
        rows, acc = [], {}
        c_col = column(res, "cnnlit", threads, busy, n)
        for i, spec in enumerate(cases):
            row = [
                str(tuple(spec["case"])),
                spec["dtype"],
                fmt(c_col[i]["time"] * 1e3),
            ]
            t = column(res, "torch", threads, busy, n)[i]
            row.append(fmt(t and t["time"] * 1e3))
            for lib in ("torch", "old", "im2col"):
                r = ratio(c_col[i], column(res, lib, threads, busy, n)[i])
                row.append(fmt(r))
                if r:
                    acc.setdefault(lib, []).append(r)
            g = column(res, "gemm", threads, busy, n)[i]
            r = ratio(g, column(res, "torch", threads, busy, n)[i])
            row.append(fmt(r))
            if r:
                acc.setdefault("products", []).append(r)
            rows.append(row)
        print_table(["layer (N,Cin,Cout,H,k)", "dtype", "cnnlit ms", "torch ms",
                     "/torch", "/old", "/im2col", "products/torch"],
                    rows)  # fmt: skip
        summary = {lib: (geomean(v), max(v)) for lib, v in acc.items()}
        for lib, (g, w) in summary.items():
            who = "numpy's products alone / torch" if lib == "products" else (
                f"cnnlit / {lib}")  # fmt: skip
            print(f"{who}: geometric mean {g:.2f}, worst row {w:.2f}")
        out[mode] = summary
    print(
        "\n-- one core busy: two threads busy / the same library's one thread quiet --"
    )
    rows, worst = [], {}
    for i, spec in enumerate(cases):
        row = [str(tuple(spec["case"])), spec["dtype"]]
        for lib in ("cnnlit", "old", "torch"):
            r = ratio(
                column(res, lib, 2, True, n)[i],
                column(res, lib, 1, False, n)[i],
            )
            row.append(fmt(r))
            if r:
                worst[lib] = max(worst.get(lib, 0), r)
        rows.append(row)
    print_table(["layer", "dtype", "cnnlit", "old", "torch"], rows)
    for lib, w in worst.items():
        print(f"{lib}: worst busy / quiet one thread {w:.2f}")
    out["busy worst"] = worst
    out["results"] = {" ".join(map(str, k)): v for k, v in res.items()}
    return out


FLOOR_KERNELS = (5, 7, 11)  # (8, 16, 16, 32, k) float32, group "kernel"


def bench_floor(args, pool, libs):
    """One thread: the layer, numpy's three products alone (whole, as in the
    suite's column), the products of cnnlit's blocks with one im2col copy
    each (:func:`layer_floor`) and the layer in the frequency domain
    (:func:`layer_spectral`, :func:`layer_spectral64`), each over PyTorch's
    time, all in their own processes taking turns; on the suite and the
    sweep's rows of :data:`FLOOR_KERNELS`."""
    print(
        "\n== what numpy allows, one thread: the products whole, in cnnlit's "
        "blocks with one im2col copy, and the FFT / torch =="
    )
    if not available("torch"):
        return {}
    cases = suite_cases() + [
        {"case": [8, 16, 16, 32, k], "dtype": "float32", "kind": "train"}
        for k in FLOOR_KERNELS
    ]
    mine = ("cnnlit", "gemm", "floor", "spectral", "spectral64")
    contenders = [(lib, 1, False) for lib in ("torch", *mine)]
    res = measure(pool, contenders, jobs_of(cases, args.min_time), args.rounds)
    check_same(res, cases)
    n, rows, acc = len(cases), [], {}
    for i, spec in enumerate(cases):
        t = column(res, "torch", 1, False, n)[i]
        row = [str(tuple(spec["case"])), spec["dtype"], fmt(t["time"] * 1e3)]
        for lib in mine:
            r = ratio(column(res, lib, 1, False, n)[i], t)
            row.append(fmt(r))
            acc.setdefault(lib, []).append(r)
        rows.append(row)
    print_table(["layer (N,Cin,Cout,H,k)", "dtype", "torch ms", "cnnlit/torch",
                 "products/torch", "blocks/torch", "fft/torch",
                 "fft64/torch"], rows)  # fmt: skip
    names = {
        "cnnlit": "cnnlit / torch",
        "gemm": "numpy's products alone / torch",
        "floor": "the products of cnnlit's blocks and one copy / torch",
        "spectral": "the layer in the frequency domain / torch",
        "spectral64": "the same in double precision / torch",
    }
    out, m = {}, len(suite_cases())
    for lib, v in acc.items():
        out[lib] = (geomean(v[:m]), max(v[:m]), min(v[m:]), max(v[m:]))
        print(f"{names[lib]}: suite geometric mean {out[lib][0]:.2f}, worst "
              f"row {out[lib][1]:.2f}; the sweep's rows "
              f"{out[lib][2]:.2f} to {out[lib][3]:.2f}")  # fmt: skip
    return out


def bench_sweep(args, pool, libs):
    print(
        "\n== sweep: one thread, forward + both gradients, ns per multiply-add =="
    )
    cases = [
        {"case": list(case), "dtype": dt, "group": g, "kind": "train"}
        for g, case, dt in sweep_cases(args.quick)
    ]
    use = [lib for lib in libs if lib != "im2col"] + ["scipy", "gemm"]
    res = measure(pool, [(lib, 1, False) for lib in use],
                  jobs_of(cases, args.min_time / 2), args.rounds)  # fmt: skip
    check_same(res, cases)
    n = len(cases)
    per = {lib: [None if r is None else r["time"] / macs(*s["case"]) * 1e9
                 for r, s in zip(column(res, lib, 1, False, n), cases, strict=True)]
           for lib in use}  # fmt: skip
    medians = {}
    for key in {(s["group"], s["dtype"]) for s in cases}:
        medians[key] = statistics.median(
            p for p, s in zip(per["cnnlit"], cases, strict=True)
            if (s["group"], s["dtype"]) == key
        )  # fmt: skip
    rows, worst_torch, worst_spread, over = [], 0.0, 0.0, []
    for i, s in enumerate(cases):
        c, t, o, sp, g = (per[lib][i] if lib in per else None
                          for lib in ("cnnlit", "torch", "old", "scipy", "gemm"))  # fmt: skip
        spread = c / medians[(s["group"], s["dtype"])]
        if s["group"] in ("image", "batch"):
            worst_spread = max(worst_spread, spread, 1 / spread)
        if t:
            worst_torch = max(worst_torch, c / t)
            if c / t > 1.5:
                over.append(g and g / t)
        rows.append([s["group"], str(tuple(s["case"])), s["dtype"], f"{macs(*s['case']):.1e}",
                     fmt(c, ".3f"), fmt(t, ".3f"), fmt(sp, ".3f"), fmt(t and c / t),
                     fmt(o and c / o), fmt(spread), fmt(t and g and g / t)])  # fmt: skip
    print_table(["group", "(N,Cin,Cout,H,k)", "dtype", "MACs", "cnnlit", "torch", "scipy",
                 "/torch", "/old", "/median", "products/torch"], rows)  # fmt: skip
    print(f"worst cnnlit / torch {worst_torch:.2f}; worst spread from the group's median "
          f"where only the work grows (image, batch) {worst_spread:.2f}")  # fmt: skip
    print(f"rows above 1.5 x torch: {len(over)}; numpy's products alone / torch "
          f"on them: {', '.join(fmt(v) for v in over)}")  # fmt: skip
    if args.plot:
        plot_sweep(
            args.plot,
            cases,
            {lib: column(res, lib, 1, False, n) for lib in use},
        )
    return {"cases": cases, "per": per, "worst torch": worst_torch,
            "worst spread": worst_spread}  # fmt: skip


def plot_sweep(path, cases, res):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("   (matplotlib is not installed: no picture)")
        return
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), sharey=True)
    styles = {"cnnlit": ("o", "C0"), "torch": ("s", "C1"), "scipy": ("^", "C2")}
    for ax, dt in zip(axes, DTYPES, strict=True):
        for lib, (marker, colour) in styles.items():
            pts = [(macs(*s["case"]), r["time"]) for s, r in zip(cases, res.get(lib, []), strict=True)
                   if r is not None and s["dtype"] == dt]  # fmt: skip
            if pts:
                x, y = zip(*sorted(pts), strict=True)
                ax.loglog(
                    x, y, marker, color=colour, label=lib, alpha=0.75, ms=5
                )
        lo = min(macs(*s["case"]) for s in cases)
        hi = max(macs(*s["case"]) for s in cases)
        for rate in (
            1e9,
            1e10,
            1e11,
        ):  # lines of constant multiply-adds per second
            ax.loglog(
                [lo, hi], [lo / rate, hi / rate], ":", color="0.6", lw=0.8
            )
            ax.text(
                hi,
                hi / rate,
                f"{rate:.0e}/s",
                fontsize=7,
                color="0.4",
                ha="right",
            )
        ax.set_title(f"{dt}, one thread")
        ax.set_xlabel("multiply-adds (forward + both gradients)")
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel("seconds")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    print(f"   picture saved to {path}")


def bench_step(args, pool, libs):
    print("\n== one training step of the digits network, one thread (batch 32, "
          "softmax cross-entropy, SGD with momentum) ==")  # fmt: skip
    use = [(lib, 1, False) for lib in libs]
    job = {"part": "step", "min_time": args.min_time * 2}
    res = measure(pool, use, [job] * 2, args.rounds)
    ref = res["cnnlit", 1, False][0]
    out = {}
    for (lib, _, _), rows in res.items():
        r = min(rows, key=lambda v: v["time"])
        assert np.allclose(r["losses"], ref["losses"], rtol=1e-3), (lib, r, ref)
        line = f"{lib:8s} {r['time'] * 1e6:8.0f} us per step"
        if lib != "cnnlit":
            c = min(res["cnnlit", 1, False], key=lambda v: v["time"])
            out[lib] = c["time"] / r["time"]
            line += f"   cnnlit / {lib} = {out[lib]:.2f}"
        print(line)
    return out


def bench_large(args, pool, libs):
    print("\n== large images: conv_forward, padding k // 2, two threads ==")
    cases = [{"case": list(c[:5]), "dtype": c[5], "pad": c[4] // 2, "kind": "forward"}
             for c in LARGE]  # fmt: skip
    use = [lib for lib in libs if lib != "im2col"] + ["scipy"]
    contenders = [(lib, 2, busy) for busy in (False, True) for lib in use]
    res = measure(pool, contenders, jobs_of(cases, args.min_time), args.rounds)
    check_same(res, cases)
    n, rows, worst = len(cases), [], {}
    for busy in (False, True):
        for i, s in enumerate(cases):
            c = column(res, "cnnlit", 2, busy, n)[i]
            row = [
                str(tuple(s["case"])),
                "busy" if busy else "quiet",
                fmt(c["time"] * 1e3, ".1f"),
            ]
            for lib in ("old", "torch", "scipy"):
                r = column(res, lib, 2, busy, n)[i]
                row += [fmt(r and r["time"] * 1e3, ".1f"), fmt(ratio(c, r))]
                if r and lib == "scipy":
                    worst[busy] = max(worst.get(busy, 0), ratio(c, r))
            rows.append(row)
    print_table(["image (N,Cin,Cout,H,k)", "machine", "cnnlit ms", "old ms", "/old",
                 "torch ms", "/torch", "scipy ms", "/scipy"], rows)  # fmt: skip
    return {"worst / scipy": worst}


PRODUCT_SHAPES = [  # (C_out, C_in kH kW + 1, columns): 0.4 to 8 MiB of float32 columns
    (8, 26, 4096), (16, 201, 2600), (32, 145, 3600), (64, 289, 1800),
    (64, 289, 7200), (256, 289, 1800), (512, 577, 900),
]  # fmt: skip


def bench_products(args, pool, libs):
    print(
        "\n== the products of one block: numpy's matmul, two BLAS threads / one =="
    )
    shapes = [(m, k, n, dt) for dt in DTYPES for m, k, n in PRODUCT_SHAPES]
    jobs = [
        {"part": "products", "shapes": [s], "min_time": args.min_time / 2}
        for s in shapes
    ]
    modes = [("cnnlit", 1, False), ("cnnlit", 2, False), ("cnnlit", 2, True)]
    res = measure(pool, modes, jobs, args.rounds)
    one, two, busy = (res[m] for m in modes)
    rows = [[str((m, k, n)), dt, f"{m * k * n:.1e}", fmt(one[i]["time"] * 1e6, ".0f"),
             fmt(ratio(two[i], one[i])), fmt(ratio(busy[i], one[i]))]
            for i, (m, k, n, dt) in enumerate(shapes)]  # fmt: skip
    print_table(
        [
            "(M, K, N)",
            "dtype",
            "MACs",
            "one thread us",
            "two / one",
            "two busy / one",
        ],
        rows,
    )
    return {"shapes": shapes, "two / one": [ratio(a, b) for a, b in zip(two, one, strict=True)],
            "busy / one": [ratio(a, b) for a, b in zip(busy, one, strict=True)]}  # fmt: skip


# ---------------------------------------------------------------------------
# Optional parts, in this process (--only reference, signal, import)
# ---------------------------------------------------------------------------

TARGET_SCIPY = 1.0  # 2048 x 2048 images: correlate2d / convolve2d vs scipy
TARGET_MEMORY = 2.2  # their peak memory / (input + output)
TARGET_IMPORT = 0.3  # s


def interleaved(funcs, repeat, warmup=1, clock=time.perf_counter, pause=0.0):
    """Best time of each function, calling them in turn ``repeat`` times.

    The minimum, not the mean: on a shared machine the other processes only
    ever add time, so the fastest round is the closest to the code's own cost.
    With everything on one thread, ``clock=time.process_time`` (the CPU time
    of this process) does not count the time the process waits for a core.
    ``pause`` seconds of sleep before each call let the worker threads of the
    previous call's library (OpenBLAS's, torch's OpenMP) stop spinning: they
    keep a core busy for up to about 0.1 s after their last task.
    """
    for _ in range(warmup):
        for f in funcs:
            f()
    times = [[] for _ in funcs]
    for _ in range(repeat):
        for i, f in enumerate(funcs):
            if pause:
                time.sleep(pause)
            t0 = clock()
            f()
            times[i].append(clock() - t0)
    return [min(t) for t in times]


def bench_reference(repeat):
    print(
        "\n== cnnlit.reference (loops) vs cnnlit (vectorized), forward + backward =="
    )
    rng = np.random.default_rng(1)
    N, C_in, C_out, H, k = 4, 3, 4, 16, 3
    x = rng.standard_normal((N, C_in, H, H))
    w = rng.standard_normal((C_out, C_in, k, k))
    b = rng.standard_normal(C_out)
    d = rng.standard_normal((N, C_out, H - k + 1, H - k + 1))

    def fast():
        return cnnlit.conv_forward(x, w, b), cnnlit.conv_backward(d, x, w)

    def slow():
        return reference.conv_forward(x, w, b), reference.conv_backward(d, x, w)

    (c1, g1), (c2, g2) = fast(), slow()
    assert np.allclose(c1, c2) and all(
        np.allclose(a, b_) for a, b_ in zip(g1, g2, strict=True)
    )
    t_fast, t_slow = interleaved([fast, slow], max(3, repeat // 3))
    print(
        f"case {(N, C_in, C_out, H, k)} float64: reference {t_slow * 1e3:.1f} ms, "
        f"cnnlit {t_fast * 1e3:.3f} ms, speedup {t_slow / t_fast:.0f}x"
    )


def peak_bytes(f):
    """Peak bytes traced (numpy registers its buffers with tracemalloc) while f runs."""
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    out = f()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    del out
    return peak


def bench_signal(repeat):
    print("\n== 2-D primitives vs scipy.signal (float64) ==")
    if ss is None:
        print("   (scipy is not installed: skipped)")
        return None
    rng = np.random.default_rng(2)
    head = (
        f"{'function':12s} {'image':>10s} {'kernel':>7s} {'mode':5s} {'boundary':8s} {'cnnlit ms':>10s} "
        f"{'scipy ms':>9s} {'ratio':>6s} {'peak/(in+out)':>14s} {'scipy':>6s}"
    )
    print(head)
    print("-" * len(head))
    worst_ratio = worst_mem = 0.0
    cases = []
    for name in ("correlate2d", "convolve2d"):
        for mode in ("full", "same", "valid"):
            cases.append((name, 2048, 15, mode, "fill"))
    cases += [
        ("correlate2d", 2048, 15, "same", "symm"),
        ("convolve2d", 2048, 15, "same", "wrap"),
    ]
    for size, ks in ((64, 3), (256, 7)):
        for mode in ("full", "same", "valid"):
            cases.append(("correlate2d", size, ks, mode, "fill"))
    for name, size, ks, mode, boundary in cases:
        img = rng.standard_normal((size, size))
        ker = rng.standard_normal((ks, ks))
        ours, theirs = getattr(cnnlit, name), getattr(ss, name)

        def f_ours():
            return ours(img, ker, mode=mode, boundary=boundary)

        def f_theirs():
            return theirs(img, ker, mode=mode, boundary=boundary)

        a, b_ = f_ours(), f_theirs()
        assert a.shape == b_.shape and np.allclose(
            a, b_, atol=1e-9 * np.abs(b_).max()
        ), (name, mode)
        if size >= 2048:  # scipy takes seconds here: three rounds, no warm-up
            t_ours, t_theirs = interleaved([f_ours, f_theirs], 3, warmup=0)
        else:
            t_ours, t_theirs = interleaved([f_ours, f_theirs], repeat)
        io = img.nbytes + ker.nbytes + a.nbytes
        m_ours, m_theirs = peak_bytes(f_ours) / io, peak_bytes(f_theirs) / io
        if size >= 2048:
            worst_ratio = max(worst_ratio, t_ours / t_theirs)
            worst_mem = max(worst_mem, m_ours)
        print(
            f"{name:12s} {f'{size}x{size}':>10s} {f'{ks}x{ks}':>7s} {mode:5s} {boundary:8s} "
            f"{t_ours * 1e3:10.2f} {t_theirs * 1e3:9.2f} {t_ours / t_theirs:6.2f} {m_ours:14.2f} {m_theirs:6.2f}"
        )
    print(
        f"2048x2048, 15x15: worst time ratio cnnlit/scipy {worst_ratio:.2f} (target < {TARGET_SCIPY}), "
        f"worst peak memory {worst_mem:.2f} x (input + output) (target <= {TARGET_MEMORY})"
    )
    return worst_ratio, worst_mem


def bench_import(repeat=7):
    code = "import time; t = time.perf_counter(); import cnnlit; print(time.perf_counter() - t)"
    times = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
        )
        times.append(float(out.stdout))
    t = statistics.median(times)
    print(
        f"\n== import cnnlit in a fresh interpreter: median {t * 1e3:.0f} ms, min {min(times) * 1e3:.0f} ms "
        f"(target < {TARGET_IMPORT * 1e3:.0f} ms)"
    )
    return t


def bench_lock(repeat):
    """Python's lock and numpy: two threads against one making the same calls.

    Each row times ``2 n`` calls on one thread and ``n`` calls on each of two
    threads at once (best of ``repeat``, in this process, OpenBLAS limited to
    one thread), and prints two threads' time over one thread's: 0.5 where
    the calls run side by side, 1 or more where they wait for each other.
    Every thread has arrays of its own, inputs and outputs: two threads
    writing into the same array would wait for each other's cache lines, not
    for the lock. The last row is a whole layer, ``conv_forward`` and
    ``conv_backward`` of (64, 8, 16, 12, 5) float32 (many short numpy
    calls), each thread running a layer of its own: once in the blocks of a
    layer on one thread (cnnlit._im2col.CACHE_BLOCK, 13 a pass), once in
    blocks of up to the 2 MiB budget (3 a pass), the size of the blocks two
    threads share out.
    """
    import contextlib
    import threading

    from cnnlit import _im2col, conv_backward, conv_forward
    from cnnlit import conv as conv_module

    @contextlib.contextmanager
    def blocks_up_to(nbytes):
        # one thread's blocks of up to nbytes: the geometries kept by earlier
        # calls (and their plans of blocks) are dropped before and after
        kept = _im2col.CACHE_BLOCK
        conv_module._GEOMETRIES.clear()
        _im2col.CACHE_BLOCK = nbytes
        try:
            yield
        finally:
            _im2col.CACHE_BLOCK = kept
            conv_module._GEOMETRIES.clear()

    rng = np.random.default_rng(0)

    def product(f):
        def make():
            a = rng.standard_normal((26, 10000)).astype(np.float32)
            b = rng.standard_normal((10000, 8)).astype(np.float32)
            out = np.empty((26, 8), np.float32)
            return lambda: f(a, b, out)

        return make

    def ufunc(size):
        def make():
            x = rng.standard_normal(size).astype(np.float32)
            y = np.empty_like(x)
            return lambda: np.exp(x, out=y)

        return make

    def strided(f):
        def make():
            z = rng.standard_normal(2 * 10**5).astype(np.float32)
            y = np.empty(10**5, np.float32)
            return lambda: f(z[::2], y)

        return make

    def filling():
        y = np.empty(10**5, np.float32)
        return lambda: y.fill(0)

    def layer():
        x, w, b, d = data((64, 8, 16, 12, 5), "float32")
        opts = dict(convention="correlation")
        return lambda: (
            conv_forward(x, w, b, **opts),
            conv_backward(d, x, w, **opts),
        )

    makers = {
        "np.matmul, (26, 10000) @ (10000, 8) float32": product(
            lambda a, b, out: a @ b
        ),
        "np.dot, the same, into an output array": product(
            lambda a, b, out: np.dot(a, b, out=out)
        ),
    }
    for size in (10**4, 10**5, 10**6):
        makers[f"np.exp of {size:.0e} float32"] = ufunc(size)
    makers["np.copyto of 1e+05 float32, every other"] = strided(
        lambda src, dst: np.copyto(dst, src)
    )
    makers["np.positive, the same copy as a ufunc"] = strided(
        lambda src, dst: np.positive(src, out=dst)
    )
    makers["y.fill(0), 1e+05 float32"] = filling
    makers["a layer, (64, 8, 16, 12, 5) float32"] = layer
    makers["the same layer in blocks of up to 2 MiB"] = layer
    # the rows timed with something changed meanwhile (default: nothing)
    settings = {
        "the same layer in blocks of up to 2 MiB": lambda: blocks_up_to(
            _im2col.BUDGET
        )
    }

    def both(fs, n):
        def run(f):
            for _ in range(n):
                f()

        threads = [threading.Thread(target=run, args=(f,)) for f in fs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    print("\n== Python's lock: n calls on each of two threads / 2 n on one ==")
    print("   every thread with arrays of its own")
    rows, out_ = [], {}
    with blas_one_thread():
        for name, make in makers.items():
            with settings.get(name, contextlib.nullcontext)():
                f, fs = make(), [make(), make()]
                for g in (f, *fs):
                    g()
                t0 = time.perf_counter()
                f()
                n = max(10, int(0.02 / max(time.perf_counter() - t0, 1e-6)))
                one = min(timed(lambda: [f() for _ in range(2 * n)])
                          for _ in range(repeat))  # fmt: skip
                two = min(timed(lambda: both(fs, n)) for _ in range(repeat))
                per = one / (2 * n) * 1e6
            rows.append([name, f"{per:.0f}", f"{two / one:.2f}"])
            out_[name] = (per, two / one)
    print_table(["calls", "us per call", "two threads / one"], rows)
    return out_


SWITCH_KERNELS = (9, 11, 13, 15, 21)
SWITCH_SIZES = (48, 64, 96, 128, 256, 512, 1024)
SWITCH_BATCHES = ((1, 1), (1, 3), (4, 3))  # (N, C_in); 1024 px: (1, C_in)


def bench_switch(repeat):
    """One output channel and a large kernel: the FFT against im2col.

    The two engines of ``cnnlit.conv`` on the same layer, forward and both
    gradients (correlation, stride 1, no padding), taking turns in this
    process on one thread (best of ``repeat``): the time of the FFT (each
    channel pair through correlate2d and convolve2d) over that of im2col,
    and the engine ``conv_forward`` picks (``*``: the FFT). The numbers behind
    ``cnnlit.conv._FFT_MIN_TAPS`` and ``_FFT_MIN_PIXELS``.
    """
    from cnnlit import _im2col
    from cnnlit import conv as conv_module

    print("\n== one output channel: the FFT's time / im2col's, one thread ==")
    print("   * where conv_forward takes the FFT; (N, C_in) " + ", ".join(
        str(b) for b in SWITCH_BATCHES))  # fmt: skip
    rng = np.random.default_rng(2)
    out, rows = {}, []
    with blas_one_thread():
        for dtype in DTYPES:
            for k in SWITCH_KERNELS:
                row = [dtype, f"{k} x {k}"]
                for size in SWITCH_SIZES:
                    cells = []
                    for N, C_in in SWITCH_BATCHES:
                        if size >= 1024 and N > 1:
                            continue
                        x = rng.standard_normal((N, C_in, size, size))
                        w = rng.standard_normal((1, C_in, k, k))
                        d = rng.standard_normal((N, 1, size - k + 1,
                                                 size - k + 1))  # fmt: skip
                        x, w, d = (a.astype(dtype) for a in (x, w, d))
                        b = np.zeros(1, dtype)
                        g, xp, K, *_ = conv_module._validate(
                            x, w, delta=d, convention="correlation"
                        )
                        im2col, fft = interleaved(
                            [
                                lambda: (
                                    _im2col.forward(g, xp, K, b),
                                    _im2col.backward(g, xp, K, d),
                                ),
                                lambda: (
                                    conv_module._fft_forward(g, xp, K, b),
                                    conv_module._fft_backward(g, xp, K, d),
                                ),
                            ],
                            repeat,
                        )
                        picked = conv_module._fft_wins(g, xp.itemsize)
                        out[f"{dtype} {k} {size} {N} {C_in}"] = (
                            fft / im2col, picked
                        )  # fmt: skip
                        cells.append(f"{fft / im2col:.2f}" + "*" * picked)
                    row.append(" ".join(cells))
                rows.append(row)
    print_table(["dtype", "kernel", *(f"{s} px" for s in SWITCH_SIZES)], rows)
    return out


def timed(f):
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


def blas_one_thread():
    """numpy's OpenBLAS on one thread meanwhile (cnnlit's own switch)."""
    from cnnlit import _im2col

    return _im2col.blas_threads(0)


# the parts that run in the benchmark's own process, only when named
IN_PROCESS = ("reference", "signal", "import", "lock", "switch")


def bench_optional(part, args):
    repeat = 5 if args.quick else 15
    global cnnlit, reference, ss
    import cnnlit
    from cnnlit import reference

    try:
        import scipy.signal as ss
    except ImportError:
        ss = None
    if part == "reference":
        return bench_reference(repeat)
    if part == "signal":
        return bench_signal(repeat)
    if part == "lock":
        return bench_lock(repeat)
    if part == "switch":  # seconds a call on the largest images: fewer rounds
        return bench_switch(2 if args.quick else 3)
    return bench_import()


def targets(results):
    checks = []
    suite = results.get("suite")
    sweep = results.get("sweep")
    if suite and "torch" in suite["one thread"]:
        g, w = suite["one thread"]["torch"]
        if sweep:
            w = max(w, sweep["worst torch"])
        checks.append(
            (
                "one thread: geometric mean / torch",
                g,
                TARGETS["one thread geomean"],
            )
        )
        checks.append(
            (
                "one thread: worst row / torch (suite and sweep)",
                w,
                TARGETS["one thread row"],
            )
        )
        g, w = suite["two threads"]["torch"]
        checks.append(
            (
                "two threads: geometric mean / torch",
                g,
                TARGETS["two threads geomean"],
            )
        )
        checks.append(
            ("two threads: worst row / torch", w, TARGETS["two threads row"])
        )
    if suite:
        checks.append(("one core busy: worst row / quiet one thread",
                       suite["busy worst"]["cnnlit"], TARGETS["busy / quiet one thread"]))  # fmt: skip
    if sweep:
        checks.append(("sweep: per multiply-add / group median (image, batch)",
                       sweep["worst spread"], TARGETS["per multiply-add / median"]))  # fmt: skip
    step = results.get("step")
    if step and "torch" in step:
        checks.append(("training step / torch", step["torch"], TARGETS["step"]))
    large = results.get("large")
    if large and True in large["worst / scipy"]:
        checks.append(
            (
                "large images, one core busy: / scipy",
                large["worst / scipy"][True],
                TARGETS["large / scipy"],
            )
        )
    print("\n== targets ==")
    for text, value, limit in checks:
        print(
            f"{text}: {value:.2f} (<= {limit}) {'met' if value <= limit else 'MISSED'}"
        )
    return all(v <= limit for _, v, limit in checks)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument(
        "--quick", action="store_true", help="fewer sizes, two rounds"
    )
    parser.add_argument(
        "--only",
        choices=(
            *("suite", "sweep", "step", "large", "products", "floor"),
            *IN_PROCESS,
        ),
        action="append",
        help="run this part (repeatable); reference, signal, import, lock, "
        "floor and switch run only when named",
    )
    parser.add_argument(
        "--old", help="directory holding another cnnlit to time alongside"
    )
    parser.add_argument(
        "--plot", help="save the sweep's log-log picture to this file"
    )
    parser.add_argument("--json", help="save every measurement to this file")
    args = parser.parse_args()
    if args.worker:
        threads = int(os.environ.get("OPENBLAS_NUM_THREADS", "1"))
        return worker(args.worker, threads)
    args.rounds = 2 if args.quick else 3
    args.min_time = 0.05 if args.quick else 0.15
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    # the parts run in this process (IN_PROCESS) import cnnlit here: the
    # checkout's, as the workers do
    sys.path.insert(0, root)
    paths = {
        "new": root,
        "old": os.path.abspath(args.old) if args.old else root,
    }
    libs = ["cnnlit"] + (["old"] if args.old else []) + ["torch", "im2col"]
    import platform

    print(f"numpy {np.__version__}, python {platform.python_version()}, "
          f"{os.cpu_count()} cores; cnnlit from the checkout"
          + (", old: the cnnlit of --old" if args.old else ""))  # fmt: skip
    if available("torch"):
        import torch

        print(f"torch {torch.__version__}")
    results = {}
    parts = args.only or ["products", "suite", "sweep", "step", "large"]
    # a SIGTERM ends the run through the finally below: no spinner left behind
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    pool = Workers(paths)
    try:
        for part in parts:
            if part in IN_PROCESS:
                results[part] = bench_optional(part, args)
            else:
                results[part] = globals()[f"bench_{part}"](args, pool, libs)
    finally:
        pool.close()
    met = targets(results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, default=str)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
