"""Where correlate2d / convolve2d switch to the FFT, and what its safeguards cost.

Run from the repository root (scipy is needed for the second part):

    python benchmarks/bench_signal2d.py            # about a minute
    python benchmarks/bench_signal2d.py --quick    # fewer sizes and repeats

1. Crossover. On n x n float64 images, the valid correlation with a k x k
   kernel is timed both ways: summed offset by offset (the direct method) and
   through the FFT, including the safeguards (the second FFT for the sums of
   absolute products, the finiteness checks). For each image size the table
   gives the smallest number of kernel taps from which the FFT was faster for
   every larger kernel tried. ``_DIRECT_MAX_TAPS`` in cnnlit/signal2d.py
   should sit near these numbers.
2. Awkward inputs on the FFT path (1024 x 1024 image, 15 x 15 kernel, mode
   'valid'): ordinary data, one NaN, one 1e30 beside ones, a mostly-zero
   image, a float32 image with a float64 kernel. For each: which method
   answered, the time against scipy.signal (a direct sum), the largest error
   against scipy relative to the output's sum of absolute products, whether
   the NaN outputs are the same, and the peak memory traced by tracemalloc
   over input + output bytes.

Timings on a shared machine vary by large factors; the functions are timed
alternately and the best round is kept, so only ratios within a run mean
anything.
"""

import argparse
import sys
import time
import tracemalloc

import numpy as np

import cnnlit
from cnnlit import signal2d

try:
    import scipy.signal as ss
except ImportError:  # pragma: no cover - scipy is optional
    ss = None


def interleaved(funcs, repeat):
    """Best time of each function, calling them in turn ``repeat`` times after one warm-up."""
    for f in funcs:
        f()
    times = [[] for _ in funcs]
    for _ in range(repeat):
        for i, f in enumerate(funcs):
            t0 = time.perf_counter()
            f()
            times[i].append(time.perf_counter() - t0)
    return [min(t) for t in times]


def peak_bytes(f):
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    out = f()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    del out
    return peak


def bench_crossover(sizes, kernels, repeat):
    print("\n== 1. direct sum vs FFT, valid correlation, float64 (ms) ==")
    print(
        f"   _DIRECT_MAX_TAPS = {signal2d._DIRECT_MAX_TAPS}: the FFT is used above it (and when the output "
        "has more pixels than the kernel)"
    )
    rng = np.random.default_rng(0)
    head = (
        f"{'image':>10s} "
        + " ".join(f"{f'{k}x{k}':>13s}" for k in kernels)
        + "   FFT faster from"
    )
    print(head)
    print(" " * 11 + " ".join(f"{'direct / fft':>13s}" for _ in kernels))
    print("-" * len(head))
    crossovers = []
    for n in sizes:
        x = rng.standard_normal((n, n))
        cells, faster = [], []
        for k in kernels:
            kernel = rng.standard_normal((k, k))
            t_direct, t_fft = interleaved(
                [
                    lambda: signal2d._correlate_direct(x, kernel, np.float64),
                    lambda: signal2d._correlate_fft(x, kernel),
                ],
                repeat,
            )
            cells.append(f"{t_direct * 1e3:6.1f}/{t_fft * 1e3:6.1f}")
            faster.append(t_fft < t_direct)
        # the smallest k from which the FFT wins for every larger kernel tried
        first = next(
            (k for i, k in enumerate(kernels) if all(faster[i:])), None
        )
        crossovers.append(first * first if first else None)
        where = f"{first * first} taps ({first}x{first})" if first else "never"
        print(
            f"{f'{n}x{n}':>10s} "
            + " ".join(f"{c:>13s}" for c in cells)
            + f"   {where}"
        )
    return crossovers


def bench_awkward(repeat):
    print(
        "\n== 2. awkward inputs on the FFT path: 1024x1024 image, 15x15 kernel, mode 'valid' =="
    )
    if ss is None:
        print("   (scipy is not installed: skipped)")
        return
    rng = np.random.default_rng(1)
    n, k = 1024, 15
    kernel = rng.standard_normal((k, k))
    ordinary = rng.standard_normal((n, n))
    one_nan = ordinary.copy()
    one_nan[500, 500] = np.nan
    spike = np.ones((n, n))
    spike[3, 3] = 1e30
    sparse = np.where(rng.random((n, n)) < 0.1, ordinary, 0.0)
    cases = [
        ("ordinary", ordinary, kernel),
        ("one NaN", one_nan, kernel),
        ("1e30 beside ones", spike, kernel),
        ("90% zeros", sparse, kernel),
        ("float32 image", ordinary.astype(np.float32), kernel),
    ]
    head = (
        f"{'input':18s} {'method':7s} {'cnnlit ms':>10s} {'scipy ms':>9s} {'ratio':>6s} "
        f"{'max err / S':>12s} {'NaNs equal':>10s} {'peak/(in+out)':>14s}"
    )
    print(head)
    print("-" * len(head))
    for name, image, kern in cases:
        method = (
            "FFT"
            if signal2d._correlate_fft(image, kern) is not None
            else "direct"
        )
        got = cnnlit.correlate2d(image, kern, mode="valid")
        want = ss.correlate2d(image.astype(np.float64), kern, mode="valid")
        S = ss.correlate2d(
            np.abs(np.nan_to_num(image, nan=0.0).astype(np.float64)),
            np.abs(kern),
            mode="valid",
        )
        finite = np.isfinite(want)
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = np.abs(got - want)[finite] / np.where(
                S[finite] > 0, S[finite], 1.0
            )
        nans_equal = np.array_equal(np.isnan(got), np.isnan(want))
        t_ours, t_scipy = interleaved(
            [
                lambda: cnnlit.correlate2d(image, kern, mode="valid"),
                lambda: ss.correlate2d(image, kern, mode="valid"),
            ],
            repeat,
        )
        io = image.nbytes + kern.nbytes + got.nbytes
        mem = (
            peak_bytes(lambda: cnnlit.correlate2d(image, kern, mode="valid"))
            / io
        )
        print(
            f"{name:18s} {method:7s} {t_ours * 1e3:10.1f} {t_scipy * 1e3:9.1f} {t_ours / t_scipy:6.2f} "
            f"{rel.max():12.1e} {str(nans_equal):>10s} {mem:14.2f}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer image sizes and repeats"
    )
    args = parser.parse_args()
    print(f"numpy {np.__version__}, python {sys.version.split()[0]}")
    sizes = (256, 1024) if args.quick else (128, 256, 512, 1024, 2048)
    kernels = (5, 6, 7, 8, 9, 10, 11, 13, 15)
    repeat = 2 if args.quick else 4
    bench_crossover(sizes, kernels, repeat)
    bench_awkward(1 if args.quick else 2)


if __name__ == "__main__":
    main()
