"""Benchmark of cnnlit's convolutional layer and 2-D primitives.

Run from the repository root (PyTorch is optional; without it those rows are
skipped with a note):

    python benchmarks/bench_conv.py            # the whole benchmark
    python benchmarks/bench_conv.py --quick    # fewer repeats

Every comparison is timed in one process, the contenders alternating, and the
best of the repeats is reported, so the ratios hold even on a busy machine.
Targets (checked at the end, not in the test suite):

* geometric mean over the suite and both dtypes of time(cnnlit) / time(torch)
  for conv_forward + conv_backward, torch on 2 threads: <= 1.5
* correlate2d / convolve2d on a 2048 x 2048 float64 image with a 15 x 15
  kernel: <= 1.5 x scipy.signal's time, extra peak memory <= 8 x (input +
  output bytes)
* ``import cnnlit`` in a fresh interpreter: < 0.3 s
"""

import argparse
import gc
import math
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

SUITE = [  # (N, C_in, C_out, H = W, k)
    (64, 1, 8, 28, 5),
    (64, 8, 16, 12, 5),
    (128, 16, 32, 16, 3),
    (32, 32, 64, 32, 3),
]
DTYPES = (np.float32, np.float64)
TARGET_TORCH = 1.5
TARGET_SCIPY = 1.5
TARGET_MEMORY = 8.0
TARGET_IMPORT = 0.3


def interleaved(funcs, repeat, warmup=1):
    """Best time of each function, calling them in turn ``repeat`` times.

    The minimum, not the mean: on a shared machine the other processes only
    ever add time, so the fastest round is the closest to the code's own cost.
    """
    for _ in range(warmup):
        for f in funcs:
            f()
    times = [[] for _ in funcs]
    for _ in range(repeat):
        for i, f in enumerate(funcs):
            t0 = time.perf_counter()
            f()
            times[i].append(time.perf_counter() - t0)
    return [min(t) for t in times]


def conv_flops(N, C_in, C_out, H, k):
    """Multiply-adds (x2) of forward + weight gradient + input gradient, valid, stride 1."""
    Ho = H - k + 1
    return 3 * 2 * N * C_out * Ho * Ho * C_in * k * k


def matmul_gflops(dtype, n=1024, repeat=5):
    a = np.random.default_rng(0).standard_normal((n, n)).astype(dtype)
    b = a.T.copy()
    (t,) = interleaved([lambda: a @ b], repeat)
    return 2 * n**3 / t / 1e9


def bench_layer(repeat):
    print("\n== conv_forward + conv_backward (convention='correlation', stride 1, no padding) ==")
    if torch is None:
        print("   (torch is not installed: the torch columns are skipped)")
    else:
        torch.set_num_threads(2)
        print(f"   torch {torch.__version__}, {torch.get_num_threads()} threads")
    print("   numpy matmul ceiling (1024^3):", ", ".join(
        f"{np.dtype(dt).name} {matmul_gflops(dt):.1f} GFLOP/s" for dt in DTYPES))
    head = f"{'case (N,Cin,Cout,H,k)':24s} {'dtype':7s} {'cnnlit ms':>10s} {'GFLOP/s':>8s} {'torch ms':>9s} {'GFLOP/s':>8s} {'ratio':>6s}"
    print(head)
    print("-" * len(head))
    ratios = []
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

            def run_cnnlit():
                cnnlit.conv_forward(x, w, b, convention="correlation")
                return cnnlit.conv_backward(d, x, w, convention="correlation")

            funcs = [run_cnnlit]
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

                # Same numbers first (correlation convention = torch's conv2d).
                got = run_cnnlit()
                want = [t.numpy() for t in run_torch()]
                tol = 1e-3 if dt == np.float32 else 1e-9
                for g_, w_ in zip(got, want):
                    scale = np.abs(w_).max()
                    assert np.abs(g_ - w_).max() <= tol * scale, "cnnlit and torch disagree"
                funcs.append(run_torch)
            times = interleaved(funcs, repeat)
            t_c = times[0]
            row = f"{str(case):24s} {np.dtype(dt).name:7s} {t_c * 1e3:10.2f} {flops / t_c / 1e9:8.1f}"
            if torch is not None:
                t_t = times[1]
                ratios.append(t_c / t_t)
                row += f" {t_t * 1e3:9.2f} {flops / t_t / 1e9:8.1f} {t_c / t_t:6.2f}"
            print(row)
    if ratios:
        geo = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
        print(f"geometric mean of time(cnnlit) / time(torch): {geo:.2f}  (target <= {TARGET_TORCH})")
        return geo
    return None


def bench_reference(repeat):
    print("\n== cnnlit.reference (loops) vs cnnlit (vectorized), forward + backward ==")
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
    assert np.allclose(c1, c2) and all(np.allclose(a, b_) for a, b_ in zip(g1, g2))
    t_fast, t_slow = interleaved([fast, slow], max(3, repeat // 3))
    print(f"case {(N, C_in, C_out, H, k)} float64: reference {t_slow * 1e3:.1f} ms, "
          f"cnnlit {t_fast * 1e3:.3f} ms, speedup {t_slow / t_fast:.0f}x")


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
    head = f"{'function':12s} {'image':>10s} {'kernel':>7s} {'mode':5s} {'boundary':8s} {'cnnlit ms':>10s} {'scipy ms':>9s} {'ratio':>6s} {'peak/(in+out)':>14s} {'scipy':>6s}"
    print(head)
    print("-" * len(head))
    worst_ratio = worst_mem = 0.0
    cases = []
    for name in ("correlate2d", "convolve2d"):
        for mode in ("full", "same", "valid"):
            cases.append((name, 2048, 15, mode, "fill"))
    cases += [("correlate2d", 2048, 15, "same", "symm"), ("convolve2d", 2048, 15, "same", "wrap")]
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
        assert a.shape == b_.shape and np.allclose(a, b_, atol=1e-9 * np.abs(b_).max()), (name, mode)
        if size >= 2048:  # scipy takes seconds here: three rounds, no warm-up
            t_ours, t_theirs = interleaved([f_ours, f_theirs], 3, warmup=0)
        else:
            t_ours, t_theirs = interleaved([f_ours, f_theirs], repeat)
        io = img.nbytes + ker.nbytes + a.nbytes
        m_ours, m_theirs = peak_bytes(f_ours) / io, peak_bytes(f_theirs) / io
        if size >= 2048:
            worst_ratio = max(worst_ratio, t_ours / t_theirs)
            worst_mem = max(worst_mem, m_ours)
        print(f"{name:12s} {f'{size}x{size}':>10s} {f'{ks}x{ks}':>7s} {mode:5s} {boundary:8s} "
              f"{t_ours * 1e3:10.2f} {t_theirs * 1e3:9.2f} {t_ours / t_theirs:6.2f} {m_ours:14.2f} {m_theirs:6.2f}")
    print(f"2048x2048, 15x15: worst time ratio cnnlit/scipy {worst_ratio:.2f} (target <= {TARGET_SCIPY}), "
          f"worst peak memory {worst_mem:.2f} x (input + output) (target <= {TARGET_MEMORY})")
    return worst_ratio, worst_mem


def bench_import(repeat=7):
    code = "import time; t = time.perf_counter(); import cnnlit; print(time.perf_counter() - t)"
    times = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        times.append(float(out.stdout))
    t = statistics.median(times)
    print(f"\n== import cnnlit in a fresh interpreter: median {t * 1e3:.0f} ms, min {min(times) * 1e3:.0f} ms "
          f"(target < {TARGET_IMPORT * 1e3:.0f} ms)")
    return t


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--only", choices=("layer", "reference", "signal", "import"), help="run one part")
    args = parser.parse_args()
    repeat = 5 if args.quick else 15
    print(f"numpy {np.__version__}, python {sys.version.split()[0]}")
    results = {}
    if args.only in (None, "layer"):
        results["layer"] = bench_layer(repeat)
    if args.only in (None, "reference"):
        bench_reference(repeat)
    if args.only in (None, "signal"):
        results["signal"] = bench_signal(repeat)
    if args.only in (None, "import"):
        results["import"] = bench_import()
    print("\n== targets ==")
    ok = True
    if results.get("layer") is not None:
        met = results["layer"] <= TARGET_TORCH
        ok &= met
        print(f"conv vs torch geomean {results['layer']:.2f} <= {TARGET_TORCH}: {'met' if met else 'MISSED'}")
    if results.get("signal") is not None:
        r, m = results["signal"]
        met = r <= TARGET_SCIPY and m <= TARGET_MEMORY
        ok &= met
        print(f"2-D primitives vs scipy {r:.2f} <= {TARGET_SCIPY}, memory {m:.2f} <= {TARGET_MEMORY}: "
              f"{'met' if met else 'MISSED'}")
    if results.get("import") is not None:
        met = results["import"] < TARGET_IMPORT
        ok &= met
        print(f"import {results['import']:.3f} s < {TARGET_IMPORT} s: {'met' if met else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
