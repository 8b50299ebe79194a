"""Running a layer's blocks: threads, OpenBLAS's thread count, scratch memory.

The im2col engine (:mod:`cnnlit._im2col`) cuts a layer into blocks; this
module runs them (see chapter "Performance"):

- :func:`run_blocks`: with more than one OpenBLAS thread, the blocks of a
  large layer are shared out between threads, each block copied and
  multiplied on one thread with a one-thread BLAS; :func:`blas_threads` limits
  OpenBLAS to one thread while they run (and for the small products of a
  layer that runs on one thread). A small layer on one thread keeps its
  scratch arrays with its plan for the next call.
- :class:`InOrder`: the weight gradient summed in the blocks' order, so that
  the same blocks give the same bits on any number of threads.
- :class:`Scratch`: the blocks' temporary arrays reuse the memory of the
  previous call.
"""

import concurrent.futures
import contextlib
import ctypes
import glob
import os
import threading

import numpy as np

# Products of fewer multiply-adds than this run on one BLAS thread when the
# layer runs on one thread. A product split over two threads waits for both;
# in a run with several other jobs per core the products of cache-sized blocks
# (1e6 to 3e8 multiply-adds) took up to 38 times as long on two threads as on
# one, and up to 92 times with one core busy besides, gaining at best a factor
# of two (benchmarks/bench_conv.py, part "products"). A product of 2**28 is
# several milliseconds of work, several of the scheduler's time slices.
TWO_THREADS_MIN = 2**28


# ---------------------------------------------------------------- BLAS threads


def _openblas():
    """(get, set) of the thread count of the OpenBLAS numpy uses, or None.

    numpy's wheels bundle OpenBLAS (``scipy_openblas64_``) in ``numpy.libs``
    or ``numpy/.dylibs``; other builds may have loaded a system OpenBLAS. Its
    functions are called through ctypes: the optional threadpoolctl does the
    same, but inspects every loaded library on each call (about a
    millisecond), longer than a small layer takes.
    """
    here = os.path.dirname(np.__file__)
    paths = glob.glob(os.path.join(here, os.pardir, "numpy.libs", "*openblas*"))
    paths += glob.glob(os.path.join(here, ".dylibs", "*openblas*"))
    with contextlib.suppress(OSError):
        with open("/proc/self/maps") as maps:
            paths += sorted(
                {line.split()[-1] for line in maps if "openblas" in line}
            )
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in (("scipy_", "64_"), ("scipy_", ""), ("", "")):
            get = getattr(lib, f"{prefix}openblas_get_num_threads{suffix}", 0)
            set_ = getattr(lib, f"{prefix}openblas_set_num_threads{suffix}", 0)
            if get and set_:
                get.restype, get.argtypes = ctypes.c_int, []
                set_.restype, set_.argtypes = None, [ctypes.c_int]
                return get, set_
    return None


_BLAS = _openblas()
_BLAS_LOCK = threading.Lock()
_BLAS_STATE = {"active": 0, "threads": 1}


class blas_threads:  # noqa: N801 - used as a function, ``with blas_threads(n):``
    """Run the products of the block on one thread if they are small.

    ``multiply_adds``: those of the largest product of a block. Below
    :data:`TWO_THREADS_MIN` OpenBLAS is limited to one thread, else it keeps
    the count it had (a limit set by the caller, for instance with
    threadpoolctl, is kept). The count is OpenBLAS's, shared by the process:
    the first call to enter records it and the last to leave restores it.
    (A class rather than a generator: entering and leaving cost a small
    layer's call a microsecond less.)
    """

    __slots__ = ("limit",)

    def __init__(self, multiply_adds):
        # nothing to limit when OpenBLAS runs on one thread and no other
        # call has changed its count (the common case of a one-thread run)
        self.limit = (
            _BLAS is not None
            and multiply_adds < TWO_THREADS_MIN
            and (_BLAS_STATE["active"] or _BLAS[0]() != 1)
        )

    def __enter__(self):
        if self.limit:
            get, set_ = _BLAS
            with _BLAS_LOCK:
                if _BLAS_STATE["active"] == 0:
                    _BLAS_STATE["threads"] = get()
                _BLAS_STATE["active"] += 1
                if _BLAS_STATE["threads"] != 1:
                    set_(1)

    def __exit__(self, *exc):
        if self.limit:
            with _BLAS_LOCK:
                _BLAS_STATE["active"] -= 1
                if _BLAS_STATE["active"] == 0 and _BLAS_STATE["threads"] != 1:
                    _BLAS[1](_BLAS_STATE["threads"])


# Layers of fewer multiply-adds than this run on the calling thread alone: the
# Python code between numpy calls runs on one thread at a time (Python's lock),
# and waking a second thread takes tens of microseconds. On one thread, in
# blocks that stay in the cache (_im2col.CACHE_BLOCK), the suite's smallest
# layer, (64, 1, 8, 28, 5) at 8.9e6 multiply-adds a pass, took 0.81 (float32)
# and 1.00 (float64) of its time on two; (64, 8, 16, 16, 3) at 1.7e7, 1.2
# times as long (forward and both gradients, benchmarks/bench_conv.py).
PARALLEL_MIN = 3 * 2**22

try:
    _CPUS = len(os.sched_getaffinity(0))
except AttributeError:  # pragma: no cover - not on Linux
    _CPUS = os.cpu_count() or 1

_POOL = {"pid": None, "executor": None}


def _workers(multiply_adds):
    """Threads for a layer of ``multiply_adds``: OpenBLAS's thread count (the
    caller's limit), at most the cores, and one for a small layer or inside
    another layer's threads."""
    if _BLAS is None or multiply_adds < PARALLEL_MIN:
        return 1
    with _BLAS_LOCK:
        if _BLAS_STATE["active"]:
            return 1
        threads = _BLAS[0]()
    return max(1, min(threads, _CPUS))


def _executor():
    """The process's worker threads (made again in a forked child, which has none)."""
    if _POOL["pid"] != os.getpid():
        _POOL["executor"] = concurrent.futures.ThreadPoolExecutor(
            max(1, _CPUS - 1), thread_name_prefix="cnnlit"
        )
        _POOL["pid"] = os.getpid()
    return _POOL["executor"]


# A layer on the calling thread whose scratch arrays take at most _KEEP_MAX
# bytes in all keeps them with its plan, and the state its work left in them,
# for the next call with the same shapes (a training loop makes many):
# nothing to allocate, and the columns its work left zero are still zero. One
# thread, forward and both gradients, against fresh arrays and the previous
# code (the two taking turns in one process): one example of (8 -> 16
# channels, 16 pixels, 3 x 3) 0.86 to 0.90 of the time, of (3 -> 8, 32
# pixels, 3 x 3) 0.83 to 0.89; four examples of the first, whose arrays (611
# KB in float32) are Scratch's, 1.01 to 1.04. A layer keeps at most this much
# for each pass (conv._geometry keeps 64 layers' plans).
_KEEP_MAX = 2**19


def run_blocks(blocks, work, workers, dtype, sizes, multiply_adds, kept=None):
    """``work(block, buffers, state)`` for every block.

    Returns the list of the threads' ``state`` dicts. ``buffers``: arrays of
    ``sizes`` elements of ``dtype`` (:class:`Scratch`), one set per thread,
    kept from one block to the next. With ``workers`` > 1 each thread takes
    the next block when it is done with its last, so that a thread on a busy
    core takes fewer, and every product runs on one BLAS thread: no product
    waits for another thread. Otherwise the blocks run here, their products
    (``multiply_adds`` at most) on :func:`blas_threads`, and up to
    :data:`_KEEP_MAX` bytes of arrays with their state come from ``kept`` (a
    list kept with the layer's plan) and go back to it: the last call's, or
    fresh ones if another thread has them or there are none yet.
    """
    if workers == 1:
        if kept is None or sum(sizes) * np.dtype(dtype).itemsize > _KEEP_MAX:
            state = {}
            with Scratch(dtype, *sizes) as buffers, blas_threads(multiply_adds):
                for block in blocks:
                    work(block, buffers, state)
            return [state]
        try:
            buffers, state = kept.pop()  # atomic: no two threads share them
        except IndexError:
            buffers, state = [np.empty(size, dtype) for size in sizes], {}
        with blas_threads(multiply_adds):
            for block in blocks:
                work(block, buffers, state)
        kept.append((buffers, state))
        return [state]
    queue = iter(blocks)

    def loop():
        state = {}
        with Scratch(dtype, *sizes) as buffers:
            # next() on a list iterator is atomic: each block is taken once
            for block in iter(lambda: next(queue, None), None):
                work(block, buffers, state)
        return state

    with blas_threads(0):
        futures = [_executor().submit(loop) for _ in range(workers - 1)]
        try:
            mine = loop()
        finally:  # no thread still writes when this returns or raises
            others = [f.result() for f in futures]
    return [mine, *others]


class InOrder:
    """A sum of the blocks' terms in the blocks' order, whoever computed them.

    ``add(i, term)`` keeps a term that arrives before the terms of the blocks
    before it until those have been added: the sum, and so every last bit of
    the weight gradient, depends on the blocks, not on the threads that ran
    them. (One thread cuts a batch into smaller blocks than two do, see
    :meth:`cnnlit._im2col.Geometry.plan`, so its last bits may differ.)
    """

    def __init__(self):
        self.sum, self.next, self.waiting = None, 0, {}
        self.lock = threading.Lock()

    def add(self, i, term):
        with self.lock:
            self.waiting[i] = term
            while self.next in self.waiting:
                term = self.waiting.pop(self.next)
                if self.sum is None:
                    self.sum = term
                else:
                    self.sum += term
                self.next += 1


# ---------------------------------------------------------------- scratch

# Buffers kept between calls for the blocks' temporary arrays. Fresh memory of
# a few MiB costs a page fault per 4 KiB page the first time it is written,
# about as long as the copy itself; reusing the last call's memory avoids that.
# A list is the pool: its pop and append are atomic, so two threads never
# share a buffer. Buffers larger than _SCRATCH_KEEP bytes are not kept. Arrays
# of _SCRATCH_FRESH bytes or less each are allocated afresh: malloc serves
# them from memory it already has (below its threshold for fresh pages of
# 128 KiB), and that takes a third of the time of slicing a pooled buffer.
_SCRATCH: list[np.ndarray] = []
_SCRATCH_KEEP = 16 * 2**20
_SCRATCH_FRESH = 96 * 2**10


class Scratch:
    """``with Scratch(dtype, n1, n2, ...) as (a1, a2, ...)``: 1-D arrays of those sizes, from a reused buffer.

    From the pooled buffer each array starts on a 64-byte boundary; when none
    is larger than ``_SCRATCH_FRESH`` bytes the arrays are fresh instead.
    """

    __slots__ = ("dtype", "sizes", "buffer")

    def __init__(self, dtype, *sizes):
        self.dtype, self.sizes, self.buffer = np.dtype(dtype), sizes, None

    def __enter__(self):
        if max(self.sizes) * self.dtype.itemsize <= _SCRATCH_FRESH:
            return [np.empty(size, self.dtype) for size in self.sizes]
        align = 64 // self.dtype.itemsize
        ends = [-(-size // align) * align for size in self.sizes]
        nbytes = sum(ends) * self.dtype.itemsize
        try:
            self.buffer = _SCRATCH.pop()
        except IndexError:
            pass
        if self.buffer is None or self.buffer.nbytes < nbytes:
            raw = np.empty(nbytes + 64, dtype=np.uint8)
            # the buffer starts on a 64-byte boundary
            skip = -raw.ctypes.data % 64
            self.buffer = raw[skip : skip + nbytes]
        flat = self.buffer[:nbytes].view(self.dtype)
        arrays, start = [], 0
        for size, rounded in zip(self.sizes, ends, strict=True):
            arrays.append(flat[start : start + size])
            start += rounded
        return arrays

    def __exit__(self, *exc):
        if self.buffer is None:  # fresh arrays
            return
        if self.buffer.nbytes <= _SCRATCH_KEEP and len(_SCRATCH) < 2 * _CPUS:
            _SCRATCH.append(self.buffer)
        self.buffer = None
