"""Time and peak memory of pool_forward + pool_backward, small windows to very large ones.

Run from the repository root:

    python benchmarks/bench_pool.py            # every case, a few rounds each
    python benchmarks/bench_pool.py --quick    # one round

For each case (N, C, H, W, window, stride), both modes, float64: the best time
of the forward and of the backward pass, and the peak memory each one
allocates (traced by tracemalloc, which sees numpy's buffers) divided by the
bytes of its input plus output. The last column is what copying every window
would take, (windows x window size) numbers: the size of an argmax over a
reshaped window view, which the backward pass of max pooling never builds.

The largest case, a 1000 x 1000 map with 100 x 100 windows at stride 1, has
811,801 windows of 10,000 pixels each: 60 GiB as copied windows.
"""

import argparse
import sys
import time
import tracemalloc

import numpy as np

import cnnlit

CASES = [  # (N, C, H, W, window, stride)
    (64, 8, 24, 24, 2, 2),
    (16, 16, 64, 64, 3, 2),
    (8, 4, 128, 128, 7, 1),
    (1, 1, 1000, 1000, 10, 10),
    (1, 1, 1000, 1000, 100, 1),
]


def best_time(f, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def peak_bytes(f):
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    out = f()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    del out
    return peak


def human(nbytes):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if nbytes < 1024 or unit == "GiB":
            return (
                f"{nbytes:.0f} {unit}"
                if unit == "B"
                else f"{nbytes:.1f} {unit}"
            )
        nbytes /= 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="one round per case"
    )
    args = parser.parse_args()
    repeat = 1 if args.quick else 3
    print(f"numpy {np.__version__}, python {sys.version.split()[0]}, float64")
    head = (
        f"{'(N, C, H, W) window/stride':32s} {'mode':4s} {'fwd ms':>9s} {'bwd ms':>9s} "
        f"{'fwd peak/(in+out)':>17s} {'bwd peak/(in+out)':>17s} {'windows copied':>15s}"
    )
    print(head)
    print("-" * len(head))
    rng = np.random.default_rng(0)
    for N, C, H, W, k, s in CASES:
        x = rng.standard_normal((N, C, H, W))
        for mode in ("max", "mean"):
            o = cnnlit.pool_forward(x, k, stride=s, mode=mode)
            delta = rng.standard_normal(o.shape)
            t_fwd = best_time(
                lambda: cnnlit.pool_forward(x, k, stride=s, mode=mode), repeat
            )
            t_bwd = best_time(
                lambda: cnnlit.pool_backward(delta, x, k, stride=s, mode=mode),
                repeat,
            )
            io_fwd = x.nbytes + o.nbytes
            io_bwd = (
                delta.nbytes + x.nbytes + x.nbytes
            )  # delta and o_prev in, the gradient out
            m_fwd = (
                peak_bytes(
                    lambda: cnnlit.pool_forward(x, k, stride=s, mode=mode)
                )
                / io_fwd
            )
            m_bwd = (
                peak_bytes(
                    lambda: cnnlit.pool_backward(
                        delta, x, k, stride=s, mode=mode
                    )
                )
                / io_bwd
            )
            copied = o.size * k * k * x.itemsize
            case = f"{(N, C, H, W)} {k}x{k}/{s}"
            print(
                f"{case:32s} {mode:4s} {t_fwd * 1e3:9.1f} {t_bwd * 1e3:9.1f} {m_fwd:17.2f} {m_bwd:17.2f} "
                f"{human(copied):>15s}"
            )


if __name__ == "__main__":
    main()
