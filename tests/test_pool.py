"""pool_forward and pool_backward against loops, cnnlit.reference and hand-made cases.

Finite-difference checks of pool_backward are in test_gradcheck.py.
"""

import numpy as np
import pytest
from helpers import distinct_values, two

import cnnlit
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
