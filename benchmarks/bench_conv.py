"""Benchmark of cnnlit's convolutional layer, a training step and the 2-D primitives.

Run from the repository root (PyTorch, scipy, threadpoolctl and scikit-learn
are optional; without one of them its columns are skipped with a note):

    python benchmarks/bench_conv.py                 # the whole benchmark
    python benchmarks/bench_conv.py --quick         # fewer repeats
    python benchmarks/bench_conv.py --threads 1     # the conv suite on one thread only

Every comparison is timed in one process, the contenders alternating, and the
best of the repeats is reported, so the ratios hold even on a busy machine (on
one thread the CPU time of the process is measured, which does not count the
time spent waiting for a core). Targets (checked at the end, not in the test
suite):

* conv_forward + conv_backward against PyTorch's CPU conv2d forward + backward,
  on each thread count of ``--threads`` (numpy's BLAS and torch alike): every
  row of the suite at most 1.5 x PyTorch's time, their geometric mean at most
  1.0 x;
* the largest float32 layer of the suite at least 50 % of the GFLOP/s that
  numpy's own 1024^3 float32 matrix product reaches;
* one training step of the digits network on one thread: at most 1.0 x the
  same network's step in PyTorch (one thread);
* correlate2d / convolve2d on a 2048 x 2048 float64 image with a 15 x 15
  kernel: faster than scipy.signal (ratio < 1), peak memory traced during
  the call (the output included) at most 2.2 x (input + output bytes);
* ``import cnnlit`` in a fresh interpreter: < 0.3 s.

The conv suite and the training step are also timed against a plain numpy
im2col implementation written below (``baseline_*``): the textbook way of
writing a convolutional layer in numpy, kept here as a point of comparison. It
is not cnnlit's code.
"""

import argparse
import gc
import math
import os
import statistics
import subprocess
import sys
import time
import tracemalloc

import numpy as np

import cnnlit
from cnnlit import reference

try:
    import torch
except ImportError:  # pragma: no cover - torch is optional
    torch = None
try:
    import scipy.signal as ss
except ImportError:  # pragma: no cover - scipy is optional
    ss = None
try:
    import threadpoolctl
except ImportError:  # pragma: no cover - threadpoolctl is optional
    threadpoolctl = None

SUITE = [  # (N, C_in, C_out, H = W, k)
    (64, 1, 8, 28, 5),
    (64, 8, 16, 12, 5),
    (128, 16, 32, 16, 3),
    (32, 32, 64, 32, 3),
]
DTYPES = (np.float32, np.float64)
TARGET_TORCH_ROW = 1.5  # every row of the suite, time(cnnlit) / time(torch)
TARGET_TORCH_GEOMEAN = 1.0
TARGET_MATMUL_SHARE = (
    0.5  # largest float32 layer, GFLOP/s / numpy matmul GFLOP/s
)
TARGET_STEP = 1.0  # training step, time(cnnlit) / time(torch)
TARGET_SCIPY = 1.0  # 2048 x 2048 images: keep the lead over scipy.signal
TARGET_MEMORY = 2.2
TARGET_IMPORT = 0.3

# The training step: build_network's default layers, the training command's
# batch size, softmax cross-entropy, its learning rate and momentum.
STEP_BATCH = 32
STEP_LR = 0.05
STEP_MOMENTUM = 0.9
STEP_BATCHES = 8  # distinct mini-batches per timed round


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


def clock_for(threads):
    """CPU time on one thread, wall time on several (a waiting thread's partner burns CPU time)."""
    return time.process_time if threads == 1 else time.perf_counter


def clock_name(threads):
    return (
        "CPU time of the process"
        if threads == 1
        else "wall time, 0.15 s pause before each call"
    )


def pause_for(threads):
    """Sleep before each timed call on several threads (see :func:`interleaved`)."""
    return 0.0 if threads == 1 else 0.15


def blas_limit(threads):
    """Context manager limiting numpy's BLAS to ``threads`` (a no-op without threadpoolctl)."""
    if threadpoolctl is None:
        import contextlib

        return contextlib.nullcontext()
    return threadpoolctl.threadpool_limits(limits=threads, user_api="blas")


def blas_description():
    if threadpoolctl is None:
        return "threadpoolctl not installed: BLAS library and kernel unknown"
    info = [
        i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"
    ]
    parts = [
        f"{i.get('internal_api')} {i.get('version')} kernel {i.get('architecture')}, num_threads={i.get('num_threads')}"
        for i in info
    ]
    env = [
        f"{name}={os.environ[name]}"
        for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
        if name in os.environ
    ]
    if env:
        parts.append("environment sets " + ", ".join(env))
    return "; ".join(parts)


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
# The convolutional layer against PyTorch and the baseline
# ---------------------------------------------------------------------------


def conv_flops(N, C_in, C_out, H, k):
    """Multiply-adds (x2) of forward + weight gradient + input gradient, valid, stride 1."""
    Ho = H - k + 1
    return 3 * 2 * N * C_out * Ho * Ho * C_in * k * k


def matmul_gflops(dtype, n=1024, repeat=5, clock=time.perf_counter):
    a = np.random.default_rng(0).standard_normal((n, n)).astype(dtype)
    b = a.T.copy()
    (t,) = interleaved([lambda: a @ b], repeat, clock=clock)
    return 2 * n**3 / t / 1e9


def bench_layer(repeat, threads):
    print(
        f"\n== conv_forward + conv_backward (convention='correlation', stride 1, no padding), "
        f"{threads} thread{'s' if threads > 1 else ''}, {clock_name(threads)} =="
    )
    clock = clock_for(threads)
    if torch is None:
        print("   (torch is not installed: the torch columns are skipped)")
    else:
        torch.set_num_threads(threads)
        print(
            f"   torch {torch.__version__}, torch.get_num_threads() = {torch.get_num_threads()}"
        )
    print(
        "   im2col: the plain numpy baseline layer of this script (forward caches its columns)"
    )
    with blas_limit(threads):
        print(f"   BLAS: {blas_description()}")
        ceiling = {dt: matmul_gflops(dt, clock=clock) for dt in DTYPES}
        print(
            "   numpy matmul ceiling (1024^3):",
            ", ".join(
                f"{np.dtype(dt).name} {g:.1f} GFLOP/s"
                for dt, g in ceiling.items()
            ),
        )
        head = (
            f"{'case (N,Cin,Cout,H,k)':22s} {'dtype':7s} {'cnnlit ms':>9s} {'GFLOP/s':>7s} {'torch ms':>9s} "
            f"{'GFLOP/s':>7s} {'ratio':>6s} {'im2col ms':>9s} {'ratio':>6s}"
        )
        print(head)
        print("-" * len(head))
        torch_ratios, base_ratios = [], []
        largest_share = None
        rng = np.random.default_rng(0)
        for case in SUITE:
            N, C_in, C_out, H, k = case
            Ho = H - k + 1
            flops = conv_flops(*case)
            for dt in DTYPES:
                x = rng.standard_normal((N, C_in, H, H)).astype(dt)
                w = rng.standard_normal((C_out, C_in, k, k)).astype(dt)
                b = rng.standard_normal(C_out).astype(dt)
                d = rng.standard_normal((N, C_out, Ho, Ho)).astype(dt)
                tol = 1e-3 if dt == np.float32 else 1e-9

                def run_cnnlit():
                    cnnlit.conv_forward(x, w, b, convention="correlation")
                    return cnnlit.conv_backward(
                        d, x, w, convention="correlation"
                    )

                base = BaselineConv(w, b)

                def run_baseline():
                    base.forward(x)
                    dx = base.backward(d)
                    return base.dw, base.db, dx

                # Same numbers first: cnnlit, the baseline and torch must agree.
                got = run_cnnlit()
                for g_, w_ in zip(got, run_baseline(), strict=True):
                    assert np.abs(g_ - w_).max() <= tol * np.abs(w_).max(), (
                        "cnnlit and the baseline disagree"
                    )
                funcs = [run_cnnlit, run_baseline]
                if torch is not None:
                    tx = torch.from_numpy(x).requires_grad_(True)
                    tw = torch.from_numpy(w).requires_grad_(True)
                    tb = torch.from_numpy(b).requires_grad_(True)
                    td = torch.from_numpy(d)

                    def run_torch():
                        tx.grad = tw.grad = tb.grad = None
                        out = torch.nn.functional.conv2d(tx, tw, tb)
                        out.backward(td)
                        return tw.grad, tb.grad, tx.grad

                    want = [t.numpy() for t in run_torch()]
                    for g_, w_ in zip(got, want, strict=True):
                        assert (
                            np.abs(g_ - w_).max() <= tol * np.abs(w_).max()
                        ), "cnnlit and torch disagree"
                    funcs.append(run_torch)
                times = interleaved(
                    funcs, repeat, clock=clock, pause=pause_for(threads)
                )
                t_c, t_b = times[0], times[1]
                base_ratios.append(t_c / t_b)
                row = f"{str(case):22s} {np.dtype(dt).name:7s} {t_c * 1e3:9.2f} {flops / t_c / 1e9:7.1f}"
                if torch is not None:
                    t_t = times[2]
                    torch_ratios.append(t_c / t_t)
                    row += f" {t_t * 1e3:9.2f} {flops / t_t / 1e9:7.1f} {t_c / t_t:6.2f}"
                else:
                    row += f" {'-':>9s} {'-':>7s} {'-':>6s}"
                row += f" {t_b * 1e3:9.2f} {t_c / t_b:6.2f}"
                print(row)
                if dt == np.float32 and case == max(
                    SUITE, key=lambda c: conv_flops(*c)
                ):
                    largest_share = flops / t_c / 1e9 / ceiling[dt]
    result = {
        "threads": threads,
        "largest_share": largest_share,
        "baseline_geomean": geomean(base_ratios),
    }
    print(
        f"largest float32 layer: {largest_share:.0%} of numpy's float32 matmul GFLOP/s "
        f"(target >= {TARGET_MATMUL_SHARE:.0%})"
    )
    print(
        f"geometric mean of time(cnnlit) / time(im2col baseline): {result['baseline_geomean']:.2f}"
    )
    if torch_ratios:
        result["torch_geomean"] = geomean(torch_ratios)
        result["torch_worst"] = max(torch_ratios)
        print(
            f"time(cnnlit) / time(torch): geometric mean {result['torch_geomean']:.2f} "
            f"(target <= {TARGET_TORCH_GEOMEAN}), worst row {result['torch_worst']:.2f} "
            f"(target <= {TARGET_TORCH_ROW})"
        )
    return result


def geomean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values))


# ---------------------------------------------------------------------------
# One training step of the digits network
# ---------------------------------------------------------------------------


def digits_batches(rng):
    """STEP_BATCHES mini-batches of the digits (8x8, scaled to [0, 1]) and their labels."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        print(
            "   (scikit-learn is not installed: random 8x8 images stand in for the digits)"
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


def bench_training_step(repeat):
    print(
        f"\n== one training step of the digits network: batch {STEP_BATCH}, softmax cross-entropy, "
        f"SGD (lr {STEP_LR}, momentum {STEP_MOMENTUM}), one thread, {clock_name(1)} =="
    )
    from cnnlit.train import build_network

    rng = np.random.default_rng(0)
    batches = digits_batches(rng)
    net = build_network(
        rng=np.random.default_rng(0),
        loss="softmax_cross_entropy",
        dtype=np.float32,
    )
    opt = cnnlit.SGD(STEP_LR, STEP_MOMENTUM)
    # The same starting weights for the three: cnnlit's, the convolution's kernel
    # flipped into the correlation the baseline and torch compute.
    params = [p.copy() for p in net.params()] if hasattr(net, "params") else []
    if [p.ndim for p in params] != [4, 1, 2, 1, 2, 1]:
        print(
            f"   (unexpected parameters {[p.shape for p in params]}: only cnnlit is timed)"
        )
        params = None
    else:
        params[0] = params[0][:, :, ::-1, ::-1].copy()

    def step_cnnlit(x, y):
        o = net.forward(x)
        E, dE_do = cnnlit.loss_and_grad(o, y, "softmax_cross_entropy")
        net.backward(dE_do)
        opt.step(net)
        return E

    contenders = [("cnnlit", step_cnnlit)]
    if params is not None:
        base = BaselineNet(params, STEP_LR, STEP_MOMENTUM)
        contenders.append(("numpy im2col baseline", base.step))
        if torch is not None:
            tnet = torch_digits_net(params)
            topt = torch.optim.SGD(
                tnet.parameters(), lr=STEP_LR, momentum=STEP_MOMENTUM
            )
            loss_fn = torch.nn.CrossEntropyLoss()
            tbatches = {
                id(x): (torch.from_numpy(x), torch.from_numpy(y))
                for x, y in batches
            }

            def step_torch(x, y):
                tx, ty = tbatches[id(x)]
                topt.zero_grad()
                loss = loss_fn(tnet(tx), ty)
                loss.backward()
                topt.step()
                return loss.item()

            contenders.append(("torch", step_torch))
        else:
            print("   (torch is not installed: its row is skipped)")
    if torch is not None:
        torch.set_num_threads(1)
    with blas_limit(1):
        print(f"   BLAS: {blas_description()}")
        # Same numbers first: the three start from the same weights, so the
        # losses of the first steps agree (torch's momentum is written
        # differently, the same update for a constant learning rate).
        losses = [[f(x, y) for x, y in batches[:3]] for _, f in contenders]
        for (name, _), values in zip(contenders[1:], losses[1:], strict=True):
            assert np.allclose(values, losses[0], rtol=1e-3), (
                f"cnnlit and {name} disagree: {losses[0]} vs {values}"
            )

        def run(f):
            return lambda: [f(x, y) for x, y in batches]

        times = interleaved(
            [run(f) for _, f in contenders], repeat, clock=clock_for(1)
        )
    per_step = [t / len(batches) for t in times]
    result = {}
    for (name, _), t in zip(contenders, per_step, strict=True):
        line = f"{name:22s} {t * 1e6:8.0f} us per step"
        if name != "cnnlit":
            line += f"   time(cnnlit) / time({name}) = {per_step[0] / t:.2f}"
            result[name] = per_step[0] / t
        print(line)
    return result


# ---------------------------------------------------------------------------
# The loops of cnnlit.reference, the 2-D primitives, the import
# ---------------------------------------------------------------------------


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument(
        "--only",
        choices=("layer", "step", "reference", "signal", "import"),
        help="run one part",
    )
    parser.add_argument(
        "--threads",
        default="1,2",
        help="comma-separated thread counts for the conv suite (default %(default)s)",
    )
    args = parser.parse_args()
    thread_counts = [int(t) for t in args.threads.split(",")]
    repeat = 5 if args.quick else 15
    print(
        f"numpy {np.__version__}, python {sys.version.split()[0]}, cnnlit from {os.path.dirname(cnnlit.__file__)}"
    )
    results = {}
    if args.only in (None, "layer"):
        results["layer"] = [
            bench_layer(repeat, threads) for threads in thread_counts
        ]
    if args.only in (None, "step"):
        results["step"] = bench_training_step(3 * repeat)
    if args.only in (None, "reference"):
        bench_reference(repeat)
    if args.only in (None, "signal"):
        results["signal"] = bench_signal(repeat)
    if args.only in (None, "import"):
        results["import"] = bench_import()
    print("\n== targets ==")
    checks = []
    for layer in results.get("layer", []):
        on = f"{layer['threads']} thread{'s' if layer['threads'] > 1 else ''}"
        if "torch_geomean" in layer:
            checks.append(
                (
                    f"conv vs torch on {on}, worst row {layer['torch_worst']:.2f} <= {TARGET_TORCH_ROW}",
                    layer["torch_worst"] <= TARGET_TORCH_ROW,
                )
            )
            checks.append(
                (
                    f"conv vs torch on {on}, geometric mean {layer['torch_geomean']:.2f} <= "
                    f"{TARGET_TORCH_GEOMEAN}",
                    layer["torch_geomean"] <= TARGET_TORCH_GEOMEAN,
                )
            )
        checks.append(
            (
                f"largest float32 layer on {on}: {layer['largest_share']:.0%} of numpy's matmul >= "
                f"{TARGET_MATMUL_SHARE:.0%}",
                layer["largest_share"] >= TARGET_MATMUL_SHARE,
            )
        )
    step = results.get("step")
    if step is not None and "torch" in step:
        checks.append(
            (
                f"training step vs torch {step['torch']:.2f} <= {TARGET_STEP}",
                step["torch"] <= TARGET_STEP,
            )
        )
    if results.get("signal") is not None:
        r, m = results["signal"]
        checks.append(
            (
                f"2-D primitives vs scipy {r:.2f} < {TARGET_SCIPY}, memory {m:.2f} <= {TARGET_MEMORY}",
                r < TARGET_SCIPY and m <= TARGET_MEMORY,
            )
        )
    if results.get("import") is not None:
        checks.append(
            (
                f"import {results['import']:.3f} s < {TARGET_IMPORT} s",
                results["import"] < TARGET_IMPORT,
            )
        )
    for text, met in checks:
        print(f"{text}: {'met' if met else 'MISSED'}")
    return 0 if all(met for _, met in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
