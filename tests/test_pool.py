"""pool_forward and pool_backward against loops, cnnlit.reference and hand-made cases.

Finite-difference checks of pool_backward are in test_gradcheck.py. At the end:
bad input, NaN and inf against the loops, memory and the large-window path.
"""

import tracemalloc

import numpy as np
import pytest
from helpers import (
    FEW,
    NONFINITE_INPUTS,
    assert_same_nonfinite,
    distinct_values,
    sprinkle,
    two,
)
from hypothesis import given
from hypothesis import strategies as st

import cnnlit
from cnnlit import pool as pool_module
from cnnlit import reference


def loop_pool(o_prev, size, stride=None, mode="max"):
    """o(x, y) = max / mean over 0 <= p < kH, 0 <= q < kW of o_prev(sH x + p, sW y + q)."""
    kH, kW = two(size)
    sH, sW = (kH, kW) if stride is None else two(stride)
    H, W = o_prev.shape[-2:]
    Ho, Wo = (H - kH) // sH + 1, (W - kW) // sW + 1
    out = np.zeros(o_prev.shape[:-2] + (Ho, Wo))
    for idx in np.ndindex(*o_prev.shape[:-2]):
        for x in range(Ho):
            for y in range(Wo):
                window = o_prev[idx][sH * x : sH * x + kH, sW * y : sW * y + kW]
                out[idx + (x, y)] = (
                    window.max() if mode == "max" else window.sum() / (kH * kW)
                )
    return out


CASES = [
    # (size, stride): tiling, overlapping (stride < size), gaps (stride > size), non-square.
    (2, None),
    (3, None),
    (2, 1),
    (3, 2),
    ((2, 3), None),
    ((3, 2), (1, 2)),
    (2, 3),
    (1, None),
]


# ---------------------------------------------------------------------------
# hand-made cases
# ---------------------------------------------------------------------------


def test_hand_worked_forward():
    # 4x4 input, 2x2 windows:
    #   [[1, 5, 0, 2],      top-left  {1, 5, 3, 4}: max 5, mean 13/4 = 3.25
    #    [3, 4, 1, 1],      top-right {0, 2, 1, 1}: max 2, mean 4/4 = 1
    #    [0, 6, 2, 8],      bottom-left {0, 6, 7, 1}: max 7, mean 14/4 = 3.5
    #    [7, 1, 3, 3]]      bottom-right {2, 8, 3, 3}: max 8, mean 16/4 = 4
    x = np.array(
        [[[1, 5, 0, 2], [3, 4, 1, 1], [0, 6, 2, 8], [7, 1, 3, 3]]], dtype=float
    )
    np.testing.assert_array_equal(cnnlit.pool_forward(x, 2), [[[5, 2], [7, 8]]])
    np.testing.assert_array_equal(
        cnnlit.pool_forward(x, 2, mode="mean"), [[[3.25, 1], [3.5, 4]]]
    )


def test_hand_worked_backward_max_and_mean():
    # Same input; delta = [[10, 20], [30, 40]].
    # max: each delta goes to its window's maximum: 5 at (0,1), 2 at (0,3), 7 at (3,0), 8 at (2,3).
    # mean: each delta / 4 goes to all four pixels of its window.
    x = np.array(
        [[[1, 5, 0, 2], [3, 4, 1, 1], [0, 6, 2, 8], [7, 1, 3, 3]]], dtype=float
    )
    delta = np.array([[[10.0, 20.0], [30.0, 40.0]]])
    want_max = np.zeros((1, 4, 4))
    (
        want_max[0, 0, 1],
        want_max[0, 0, 3],
        want_max[0, 3, 0],
        want_max[0, 2, 3],
    ) = 10, 20, 30, 40
    np.testing.assert_array_equal(cnnlit.pool_backward(delta, x, 2), want_max)
    want_mean = np.array(
        [
            [
                [2.5, 2.5, 5, 5],
                [2.5, 2.5, 5, 5],
                [7.5, 7.5, 10, 10],
                [7.5, 7.5, 10, 10],
            ]
        ]
    )
    np.testing.assert_array_equal(
        cnnlit.pool_backward(delta, x, 2, mode="mean"), want_mean
    )


def test_max_tie_goes_to_first_in_row_major_order():
    # Regression guard for tie-breaking: the window [[3, 7], [7, 7]] has three maxima;
    # only the first in row-major order, (0, 1), gets the delta (as PyTorch does).
    x = np.array([[[3.0, 7.0], [7.0, 7.0]]])
    got = cnnlit.pool_backward(np.array([[[5.0]]]), x, 2)
    np.testing.assert_array_equal(got, [[[0.0, 5.0], [0.0, 0.0]]])
    np.testing.assert_array_equal(
        got, reference.pool_backward(np.array([[[5.0]]]), x, 2)
    )


def test_max_tie_constant_window():
    # All four equal: the top-left pixel wins, never a split.
    x = np.full((1, 1, 2, 2), 4.0)
    np.testing.assert_array_equal(
        cnnlit.pool_backward(np.full((1, 1, 1, 1), 3.0), x, 2),
        [[[[3.0, 0], [0, 0]]]],
    )


def test_max_overlapping_windows_share_a_winner():
    # 1x3 input [1, 9, 2], windows of width 2 with stride 1: [1, 9] and [9, 2];
    # 9 wins both, so its gradient is the sum of both deltas, 2 + 5 = 7.
    x = np.array([[[1.0, 9.0, 2.0]]])
    got = cnnlit.pool_backward(np.array([[[2.0, 5.0]]]), x, (1, 2), stride=1)
    np.testing.assert_array_equal(got, [[[0.0, 7.0, 0.0]]])


def test_max_tie_across_overlapping_windows():
    # [4, 4, 4] with width-2 windows, stride 1: window 0 = (0, 1) -> pixel 0 wins;
    # window 1 = (1, 2) -> pixel 1 wins (first in that window).
    x = np.array([[[4.0, 4.0, 4.0]]])
    got = cnnlit.pool_backward(np.array([[[1.0, 10.0]]]), x, (1, 2), stride=1)
    np.testing.assert_array_equal(got, [[[1.0, 10.0, 0.0]]])


def test_rows_no_window_reaches_get_zero_gradient(rng):
    # 5x7 input, 2x2 windows: row 4 and column 6 are dropped by the forward pass.
    x = rng.standard_normal((2, 5, 7))
    for mode in ("max", "mean"):
        o = cnnlit.pool_forward(x, 2, mode=mode)
        assert o.shape == (2, 2, 3)
        g = cnnlit.pool_backward(np.ones_like(o), x, 2, mode=mode)
        assert np.all(g[:, 4, :] == 0) and np.all(g[:, :, 6] == 0)


# ---------------------------------------------------------------------------
# against loops written here and against cnnlit.reference
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("size, stride", CASES, ids=str)
@pytest.mark.parametrize("mode", ["max", "mean"])
@pytest.mark.parametrize("kind", ["batch", "single"])
def test_forward_equals_loops(size, stride, mode, kind, rng):
    x = rng.standard_normal((2, 3, 6, 7) if kind == "batch" else (3, 6, 7))
    got = cnnlit.pool_forward(x, size, stride=stride, mode=mode)
    want = loop_pool(x, size, stride, mode)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("size, stride", CASES, ids=str)
@pytest.mark.parametrize("mode", ["max", "mean"])
@pytest.mark.parametrize("ties", [False, True])
def test_forward_and_backward_equal_reference(size, stride, mode, ties, rng):
    shape = (2, 3, 6, 7)
    # With ties: small integers, so most windows hold repeated maxima.
    x = (
        rng.integers(0, 3, size=shape).astype(float)
        if ties
        else rng.standard_normal(shape)
    )
    o = cnnlit.pool_forward(x, size, stride=stride, mode=mode)
    np.testing.assert_allclose(
        o, reference.pool_forward(x, size, stride=stride, mode=mode), atol=1e-14
    )
    delta = rng.standard_normal(o.shape)
    got = cnnlit.pool_backward(delta, x, size, stride=stride, mode=mode)
    want = reference.pool_backward(delta, x, size, stride=stride, mode=mode)
    assert got.shape == x.shape
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)


def test_backward_single_example_equals_reference(rng):
    x = rng.standard_normal((3, 6, 7))
    o = cnnlit.pool_forward(x, 3, stride=2)
    delta = rng.standard_normal(o.shape)
    got = cnnlit.pool_backward(delta, x, 3, stride=2)
    assert got.shape == (3, 6, 7)
    np.testing.assert_allclose(
        got, reference.pool_backward(delta, x, 3, stride=2), atol=1e-14
    )


# ---------------------------------------------------------------------------
# identities
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("size, stride", CASES, ids=str)
def test_adjoint_mean_pooling(size, stride, rng):
    # Mean pooling is linear; its backward is the transpose: <pool(x), g> == <x, pool_backward(g)>.
    x = rng.standard_normal((2, 3, 6, 7))
    o = cnnlit.pool_forward(x, size, stride=stride, mode="mean")
    g = rng.standard_normal(o.shape)
    back = cnnlit.pool_backward(g, x, size, stride=stride, mode="mean")
    assert abs(np.vdot(o, g) - np.vdot(x, back)) <= 1e-12 * max(
        1.0, abs(np.vdot(o, g))
    )


@pytest.mark.parametrize("size, stride", CASES, ids=str)
def test_max_pooling_is_linear_for_fixed_winners(size, stride, rng):
    # With the winners fixed, max pooling selects pixels: <pool(x), g> == <x, pool_backward(g)>.
    x = distinct_values(rng, (2, 3, 6, 7))
    o = cnnlit.pool_forward(x, size, stride=stride, mode="max")
    g = rng.standard_normal(o.shape)
    back = cnnlit.pool_backward(g, x, size, stride=stride, mode="max")
    assert abs(np.vdot(o, g) - np.vdot(x, back)) <= 1e-12 * max(
        1.0, abs(np.vdot(o, g))
    )


@pytest.mark.parametrize("mode", ["max", "mean"])
def test_backward_total_equals_delta_total(mode, rng):
    # Every delta is passed on whole (max) or split evenly (mean): the totals agree.
    x = rng.standard_normal((2, 3, 6, 7))
    o = cnnlit.pool_forward(x, 3, stride=1, mode=mode)
    delta = rng.standard_normal(o.shape)
    np.testing.assert_allclose(
        cnnlit.pool_backward(delta, x, 3, stride=1, mode=mode).sum(),
        delta.sum(),
        atol=1e-12,
    )


# ---------------------------------------------------------------------------
# dtypes and inputs
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["max", "mean"])
def test_float32_in_float32_out(mode, rng):
    x = rng.standard_normal((2, 3, 6, 7)).astype(np.float32)
    o = cnnlit.pool_forward(x, 2, mode=mode)
    assert o.dtype == np.float32
    np.testing.assert_allclose(
        o, loop_pool(x.astype(np.float64), 2, mode=mode), rtol=1e-5, atol=1e-6
    )
    g = cnnlit.pool_backward(np.ones_like(o), x, 2, mode=mode)
    assert g.dtype == np.float32


@pytest.mark.parametrize("mode", ["max", "mean"])
def test_integer_input_computed_in_float64(mode):
    x = np.arange(16).reshape(1, 4, 4)
    o = cnnlit.pool_forward(x, 2, mode=mode)
    assert o.dtype == np.float64
    # mean of [[0, 1], [4, 5]] = 2.5: not truncated to an integer.
    np.testing.assert_array_equal(
        o,
        [[[5, 7], [13, 15]]] if mode == "max" else [[[2.5, 4.5], [10.5, 12.5]]],
    )


@pytest.mark.parametrize("mode", ["max", "mean"])
def test_read_only_inputs_unchanged(mode, rng):
    x = rng.standard_normal((2, 3, 6, 7))
    x_copy = x.copy()
    x.setflags(write=False)
    o = cnnlit.pool_forward(x, (2, 3), stride=1, mode=mode)
    delta = rng.standard_normal(o.shape)
    delta_copy = delta.copy()
    delta.setflags(write=False)
    g = cnnlit.pool_backward(delta, x, (2, 3), stride=1, mode=mode)
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(delta, delta_copy)
    np.testing.assert_allclose(
        g,
        reference.pool_backward(
            delta_copy, x_copy, (2, 3), stride=1, mode=mode
        ),
        atol=1e-14,
    )


def test_result_is_writable_and_independent(rng):
    # pool_forward builds windows as a read-only view; the result must be a new array.
    x = rng.standard_normal((1, 4, 4))
    x_copy = x.copy()
    o = cnnlit.pool_forward(x, 1)
    o[...] = 0.0
    np.testing.assert_array_equal(x, x_copy)


def test_max_backward_equals_reference_with_ties_nan_and_inf(rng):
    # Every window path (tiling, gaps between windows, overlap, large windows)
    # on inputs full of ties, NaN and -inf, float32 and float64.
    for _ in range(300):
        kH, kW = (int(v) for v in rng.integers(1, 4, size=2))
        sH, sW = (int(v) for v in rng.integers(1, 5, size=2))
        H, W = int(rng.integers(kH, 10)), int(rng.integers(kW, 10))
        dtype = (np.float32, np.float64)[int(rng.integers(2))]
        x = rng.integers(-2, 3, size=(2, 2, H, W)).astype(dtype)
        u = rng.random(x.shape)
        x[u < 0.05] = np.nan
        x[(u >= 0.05) & (u < 0.1)] = -np.inf
        Ho, Wo = (H - kH) // sH + 1, (W - kW) // sW + 1
        delta = rng.standard_normal((2, 2, Ho, Wo)).astype(dtype)
        got = cnnlit.pool_backward(delta, x, (kH, kW), stride=(sH, sW))
        want = reference.pool_backward(delta, x, (kH, kW), stride=(sH, sW))
        assert got.dtype == dtype
        tol = 1e-6 if dtype == np.float32 else 1e-13
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
        # no negative zeros where no delta arrives
        assert not np.signbit(got[want == 0]).any()


def test_pooling_is_pytorchs_with_ties_nan_and_inf(rng):
    # Only where PyTorch is installed: max_pool2d and avg_pool2d, forward and
    # backward, on windows full of ties, NaN and -inf (PyTorch's max scan lets
    # every NaN replace the maximum so far: the last NaN of a window wins).
    torch = pytest.importorskip("torch")
    for _ in range(200):
        kH, kW = (int(v) for v in rng.integers(1, 4, size=2))
        sH, sW = (int(v) for v in rng.integers(1, 4, size=2))
        H, W = int(rng.integers(kH, 10)), int(rng.integers(kW, 10))
        x = rng.integers(-2, 3, size=(2, 2, H, W)).astype(float)
        u = rng.random(x.shape)
        x[u < 0.1] = np.nan
        x[(u >= 0.1) & (u < 0.15)] = -np.inf
        for mode, pool in (
            ("max", torch.nn.functional.max_pool2d),
            ("mean", torch.nn.functional.avg_pool2d),
        ):
            tx = torch.from_numpy(x).requires_grad_(True)
            out = pool(tx, (kH, kW), (sH, sW))
            delta = rng.standard_normal(tuple(out.shape))
            out.backward(torch.from_numpy(delta))
            kw = dict(stride=(sH, sW), mode=mode)
            np.testing.assert_allclose(
                cnnlit.pool_forward(x, (kH, kW), **kw),
                out.detach().numpy(),
                rtol=1e-13,
            )
            np.testing.assert_allclose(
                cnnlit.pool_backward(delta, x, (kH, kW), **kw),
                tx.grad.numpy(),
                rtol=1e-13,
                atol=1e-13,
            )


# ---------------------------------------------------------------------------
# bad input, NaN and inf, the large-window path
# ---------------------------------------------------------------------------

# ---------------------------------------------------------------------------
# pooling
# ---------------------------------------------------------------------------

X = np.ones((2, 3, 5, 5))  # o_prev: N=2, C=3, 5x5
POOL_BAD = [
    (
        "o_prev 2-D",
        lambda: cnnlit.pool_forward(np.ones((5, 5)), 2),
        ValueError,
        r"o_prev must have shape \(N, C, H, W\) or \(C, H, W\), got shape \(5, 5\)",
    ),
    (
        "window larger than input",
        lambda: cnnlit.pool_forward(X, 6),
        ValueError,
        r"window size \(6, 6\) is larger than the input's \(H, W\) = \(5, 5\)",
    ),
    (
        "window taller than input",
        lambda: cnnlit.pool_forward(X, (6, 1)),
        ValueError,
        r"window size \(6, 1\).*\(5, 5\)",
    ),
    (
        "mode",
        lambda: cnnlit.pool_forward(X, 2, mode="avg"),
        ValueError,
        r"mode must be one of 'max', 'mean'; got 'avg'",
    ),
    (
        "size 0",
        lambda: cnnlit.pool_forward(X, 0),
        ValueError,
        r"size must be >= 1, got 0",
    ),
    (
        "size float",
        lambda: cnnlit.pool_forward(X, 2.0),
        TypeError,
        r"size must be an int or a pair of ints, got 2.0",
    ),
    (
        "stride 0",
        lambda: cnnlit.pool_forward(X, 2, stride=0),
        ValueError,
        r"stride must be >= 1, got 0",
    ),
    (
        "stride pair negative",
        lambda: cnnlit.pool_forward(X, 2, stride=(1, -1)),
        ValueError,
        r"stride must be >= 1, got \(1, -1\)",
    ),
    (
        "complex",
        lambda: cnnlit.pool_forward(X + 1j, 2),
        TypeError,
        r"o_prev must be real-valued, got a complex array",
    ),
    (
        "strings",
        lambda: cnnlit.pool_forward(np.full((1, 4, 4), "a"), 2),
        TypeError,
        r"o_prev must be a real numeric array, got dtype <U1",
    ),
    (
        "objects",
        lambda: cnnlit.pool_forward(np.ones((1, 4, 4), dtype=object), 2),
        TypeError,
        r"o_prev must be a real numeric array, got dtype object",
    ),
    (
        "backward delta shape",
        lambda: cnnlit.pool_backward(np.ones((2, 3, 3, 3)), X, 2),
        ValueError,
        r"delta must have the shape of the pooled output, \(2, 3, 2, 2\), got shape \(2, 3, 3, 3\)",
    ),
    (
        "backward delta for overlapping windows",
        lambda: cnnlit.pool_backward(np.ones((2, 3, 2, 2)), X, 2, stride=1),
        ValueError,
        r"delta must have the shape of the pooled output, \(2, 3, 4, 4\), got shape \(2, 3, 2, 2\)",
    ),
    (
        "backward complex delta",
        lambda: cnnlit.pool_backward(np.ones((2, 3, 2, 2)) * 1j, X, 2),
        TypeError,
        r"delta must be real-valued",
    ),
    (
        "backward mode",
        lambda: cnnlit.pool_backward(np.ones((2, 3, 2, 2)), X, 2, mode="sum"),
        ValueError,
        r"mode must be one of 'max', 'mean'; got 'sum'",
    ),
    (
        "backward window larger",
        lambda: cnnlit.pool_backward(np.ones((2, 3, 1, 1)), X, 7),
        ValueError,
        r"window size \(7, 7\) is larger",
    ),
]


@pytest.mark.parametrize(
    "call, exc, pattern",
    [c[1:] for c in POOL_BAD],
    ids=[c[0] for c in POOL_BAD],
)
def test_pool_bad_input(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


@NONFINITE_INPUTS
@FEW
@given(
    seed=st.integers(0, 2**32 - 1),
    mode=st.sampled_from(["max", "mean"]),
    size=st.sampled_from([2, (2, 3), (4, 4), (5, 6)]),
    stride=st.sampled_from([None, 1, (2, 1)]),
)
def test_pool_nonfinite_and_ties_as_the_loops(seed, mode, size, stride):
    # Small integers (ties everywhere) with NaN and inf sprinkled in, NaN in delta too.
    rng = np.random.default_rng(seed)
    o_prev = sprinkle(
        rng, rng.integers(-2, 3, size=(2, 2, 7, 8)).astype(float), 0.05
    )
    o = cnnlit.pool_forward(o_prev, size, stride=stride, mode=mode)
    np.testing.assert_array_equal(
        o, reference.pool_forward(o_prev, size, stride=stride, mode=mode)
    )
    delta = sprinkle(rng, rng.standard_normal(o.shape), 0.05)
    got = cnnlit.pool_backward(delta, o_prev, size, stride=stride, mode=mode)
    want = reference.pool_backward(
        delta, o_prev, size, stride=stride, mode=mode
    )
    assert_same_nonfinite(got, want, rtol=1e-13, atol=1e-13)


def test_reference_pooling_propagates_nan():
    # Regression: Python's max skipped a NaN that was not first in the window.
    x = np.array([[[1.0, np.nan], [3.0, 2.0]]])
    assert np.isnan(reference.pool_forward(x, 2)).all()
    assert np.isnan(cnnlit.pool_forward(x, 2)).all()
    # the backward pass routes the delta to the NaN, in both
    d = np.array([[[5.0]]])
    np.testing.assert_array_equal(
        reference.pool_backward(d, x, 2), [[[0.0, 5.0], [0.0, 0.0]]]
    )
    np.testing.assert_array_equal(
        cnnlit.pool_backward(d, x, 2), [[[0.0, 5.0], [0.0, 0.0]]]
    )
    # with two NaNs, to the last one in row-major order, as PyTorch does
    # (its scan lets every NaN replace the maximum so far)
    two_nans = np.array([[[np.nan, 4.0], [np.nan, 2.0]]])
    np.testing.assert_array_equal(
        reference.pool_backward(d, two_nans, 2), [[[0.0, 0.0], [5.0, 0.0]]]
    )
    np.testing.assert_array_equal(
        cnnlit.pool_backward(d, two_nans, 2), [[[0.0, 0.0], [5.0, 0.0]]]
    )
    # a 6 x 6 window, one offset at a time
    big = np.zeros((1, 6, 6))
    big[0, 1, 4] = big[0, 4, 1] = big[0, 4, 3] = np.nan
    want = np.zeros((1, 6, 6))
    want[0, 4, 3] = 5.0
    for f in (reference.pool_backward, cnnlit.pool_backward):
        np.testing.assert_array_equal(f(d, big, 6), want)
    # 4 x 4 windows with stride 1 take the separable path (rows, then
    # columns); the window at (1, 0) holds the NaNs at (4, 1) and (4, 3)
    assert pool_module._separable(4, 4, 1, 3, 3)
    d9 = np.zeros((1, 3, 3))
    d9[0, 1, 0] = 5.0
    np.testing.assert_array_equal(
        cnnlit.pool_backward(d9, big, 4, stride=1), want
    )


# ---------------------------------------------------------------------------
# pooling: memory and the large-window path
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["max", "mean"])
def test_pool_backward_memory_linear_in_input_and_output(mode, rng):
    # Regression: max pooling's backward copied every window, (windows x window
    # size) numbers: here 81^2 x 1600 x 8 bytes = 84 MB for a 120x120 map.
    x = rng.standard_normal((1, 1, 120, 120))
    o = cnnlit.pool_forward(x, 40, stride=1, mode=mode)
    delta = rng.standard_normal(o.shape)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    cnnlit.pool_backward(delta, x, 40, stride=1, mode=mode)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    assert peak <= 8 * (x.nbytes + delta.nbytes)


@FEW
@given(
    seed=st.integers(0, 2**32 - 1),
    kH=st.integers(1, 7),
    kW=st.integers(1, 7),
    sH=st.integers(1, 3),
    sW=st.integers(1, 3),
    mode=st.sampled_from(["max", "mean"]),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_pool_large_and_small_windows_as_the_loops(
    seed, kH, kW, sH, sW, mode, dtype
):
    # Both ways of reducing a window (offset by offset; rows then columns),
    # ties from small integers, overlapping windows adding up.
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, size=(2, 1, 9, 10)).astype(dtype)
    o = cnnlit.pool_forward(x, (kH, kW), stride=(sH, sW), mode=mode)
    assert o.dtype == dtype
    np.testing.assert_allclose(
        o,
        reference.pool_forward(x, (kH, kW), stride=(sH, sW), mode=mode),
        rtol=1e-6,
    )
    delta = rng.standard_normal(o.shape).astype(dtype)
    g = cnnlit.pool_backward(delta, x, (kH, kW), stride=(sH, sW), mode=mode)
    assert g.dtype == dtype
    want = reference.pool_backward(
        delta, x, (kH, kW), stride=(sH, sW), mode=mode
    )
    np.testing.assert_allclose(
        g, want, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6
    )
