"""conv_forward, conv_backward and conv_output_shape against scipy, loops and identities.

The gradients against finite differences are in test_gradcheck.py; bad input in
test_validation.py.
"""

import importlib
import itertools
import time

import numpy as np
import pytest
from helpers import NP_PAD, two
from scipy import signal

import cnnlit
from cnnlit import _blocks, _im2col, reference
from cnnlit.gradcheck import numerical_gradient, relative_error
from cnnlit.padding import pad_adjoint

BOUNDARIES = ["fill", "wrap", "symm"]
CONVENTIONS = ["convolution", "correlation"]


def scipy_conv_forward(
    o_prev,
    w,
    b,
    stride=1,
    padding=0,
    boundary="fill",
    convention="convolution",
    dilation=1,
):
    """Oracle: c[m] = sum_n scipy (convolve|correlate)2d(pad(o_prev[n]), dilated w[m, n], 'valid')[::s] + b[m]."""
    single = o_prev.ndim == 3
    x = o_prev[None] if single else o_prev
    (sH, sW), (ph, pw), (dH, dW) = two(stride), two(padding), two(dilation)
    x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), mode=NP_PAD[boundary])
    C_out, C_in, kH, kW = w.shape
    wd = np.zeros((C_out, C_in, dH * (kH - 1) + 1, dW * (kW - 1) + 1))
    wd[:, :, ::dH, ::dW] = w  # dilation: zeros between the taps
    op = (
        signal.convolve2d if convention == "convolution" else signal.correlate2d
    )
    c = np.stack(
        [
            np.stack(
                [
                    sum(
                        op(x[i, n], wd[m, n], mode="valid") for n in range(C_in)
                    )
                    + b[m]
                    for m in range(C_out)
                ]
            )
            for i in range(x.shape[0])
        ]
    )[:, :, ::sH, ::sW]
    return c[0] if single else c


def loop_conv_forward(o_prev, w, b):
    """The source post's sum, literally: c_m(x, y) = sum_n sum_{x', y'} o_n(x - x', y - y') w_{n,m}(x', y') + b_m,
    for x from kH - 1 to H - 1 (the valid outputs), stored from index 0."""
    N, C_in, H, W = o_prev.shape
    C_out, _, kH, kW = w.shape
    c = np.zeros((N, C_out, H - kH + 1, W - kW + 1))
    for i in range(N):
        for m in range(C_out):
            for x in range(kH - 1, H):
                for y in range(kW - 1, W):
                    total = b[m]
                    for n in range(C_in):
                        for xp in range(kH):
                            for yp in range(kW):
                                total += (
                                    o_prev[i, n, x - xp, y - yp]
                                    * w[m, n, xp, yp]
                                )
                    c[i, m, x - kH + 1, y - kW + 1] = total
    return c


def random_case(rng, N=2, C_in=2, C_out=3, H=6, W=7, kH=2, kW=3, single=False):
    o_prev = rng.standard_normal((C_in, H, W) if single else (N, C_in, H, W))
    w = rng.standard_normal((C_out, C_in, kH, kW))
    b = rng.standard_normal(C_out)
    return o_prev, w, b


# ---------------------------------------------------------------------------
# hand-worked numbers
# ---------------------------------------------------------------------------

# The 4x4 image and 2x2 kernel worked by hand (also in test_signal2d.py):
#     o_prev[0] = [[1, 2, 0, 1],        w[0, 0] = [[1,  2],
#                  [0, 1, 3, 2],                   [0, -1]]
#                  [2, 0, 1, 1],        b = [0.5]
#                  [1, 3, 0, 2]]
# c(x, y) = -o(x, y) + 2 o(x+1, y) + o(x+1, y+1) + b  (the flipped kernel slides)
#   c(0,0) = -1 + 0 + 1 + 0.5 = 0.5   c(0,1) = -2 + 2 + 3 + 0.5 = 3.5   c(0,2) = 0 + 6 + 2 + 0.5 = 8.5
#   c(1,0) =  0 + 4 + 0 + 0.5 = 4.5   c(1,1) = -1 + 0 + 1 + 0.5 = 0.5   c(1,2) = -3 + 2 + 1 + 0.5 = 0.5
#   c(2,0) = -2 + 2 + 3 + 0.5 = 3.5   c(2,1) =  0 + 6 + 0 + 0.5 = 6.5   c(2,2) = -1 + 0 + 2 + 0.5 = 1.5
# With convention="correlation": c(x, y) = o(x, y) + 2 o(x, y+1) - o(x+1, y+1) + b
#   row 0: 4.5, -0.5, 0.5    row 1: 2.5, 6.5, 6.5    row 2: -0.5, 2.5, 1.5
HAND_O = np.array(
    [[[1, 2, 0, 1], [0, 1, 3, 2], [2, 0, 1, 1], [1, 3, 0, 2]]], dtype=float
)
HAND_W = np.array([[[[1, 2], [0, -1]]]], dtype=float)
HAND_B = np.array([0.5])


def test_hand_worked_forward_convolution():
    want = np.array([[[0.5, 3.5, 8.5], [4.5, 0.5, 0.5], [3.5, 6.5, 1.5]]])
    np.testing.assert_array_equal(
        cnnlit.conv_forward(HAND_O, HAND_W, HAND_B), want
    )
    np.testing.assert_array_equal(
        cnnlit.convolve2d(HAND_O[0], HAND_W[0, 0], mode="valid") + 0.5, want[0]
    )


def test_hand_worked_forward_correlation():
    want = np.array([[[4.5, -0.5, 0.5], [2.5, 6.5, 6.5], [-0.5, 2.5, 1.5]]])
    np.testing.assert_array_equal(
        cnnlit.conv_forward(HAND_O, HAND_W, HAND_B, convention="correlation"),
        want,
    )


def test_hand_worked_backward():
    # delta = ones(3, 3). dE/db = 9 (nine ones).
    # dE/dw(x', y') = sum_{x,y} delta(x, y) o(x + 1 - x', y + 1 - y'):
    #   dE/dw(1,1) = sum of o[0:3, 0:3] = 1+2+0+0+1+3+2+0+1 = 10
    #   dE/dw(0,0) = sum of o[1:4, 1:4] = 1+3+2+0+1+1+3+0+2 = 13
    #   dE/dw(0,1) = sum of o[1:4, 0:3] = 0+1+3+2+0+1+1+3+0 = 11
    #   dE/dw(1,0) = sum of o[0:3, 1:4] = 2+0+1+1+3+2+0+1+1 = 11
    # dE/do(0,0): only c(0,0) reads o(0,0), with weight k(1,1) = -1.
    # dE/do(3,3): only c(2,2) reads o(3,3), with weight k(0,0) = 1.
    # dE/do(1,1): read by c(0,0) (w 1), c(0,1) (w 2), c(1,0) (w 0), c(1,1) (w -1): 1 + 2 + 0 - 1 = 2.
    dE_dw, dE_db, dE_do_prev = cnnlit.conv_backward(
        np.ones((1, 3, 3)), HAND_O, HAND_W
    )
    np.testing.assert_array_equal(dE_dw, [[[[13, 11], [11, 10]]]])
    np.testing.assert_array_equal(dE_db, [9])
    assert (
        dE_do_prev[0, 0, 0] == -1
        and dE_do_prev[0, 3, 3] == 1
        and dE_do_prev[0, 1, 1] == 2
    )


# ---------------------------------------------------------------------------
# forward against scipy and against loops written here
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("convention", CONVENTIONS)
@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("padding", [0, 1, 2, (2, 1)], ids=str)
@pytest.mark.parametrize("stride", [1, 2, 3, (1, 2)], ids=str)
def test_forward_equals_scipy(convention, boundary, padding, stride, rng):
    o_prev, w, b = random_case(rng)  # C_in=2 != C_out=3, kernel 2x3
    got = cnnlit.conv_forward(
        o_prev,
        w,
        b,
        stride=stride,
        padding=padding,
        boundary=boundary,
        convention=convention,
    )
    want = scipy_conv_forward(
        o_prev, w, b, stride, padding, boundary, convention
    )
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("convention", CONVENTIONS)
@pytest.mark.parametrize("dilation", [2, (2, 1), (1, 3)], ids=str)
@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_forward_dilation_equals_scipy(convention, dilation, boundary, rng):
    o_prev, w, b = random_case(rng, H=7, W=8)
    opts = dict(
        stride=(2, 1),
        padding=1,
        boundary=boundary,
        convention=convention,
        dilation=dilation,
    )
    got = cnnlit.conv_forward(o_prev, w, b, **opts)
    want = scipy_conv_forward(o_prev, w, b, **opts)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kshape", [(1, 1), (2, 2), (3, 2), (6, 7)], ids=str)
def test_forward_equals_seed_sum_loops(kshape, rng):
    o_prev, w, b = random_case(rng, kH=kshape[0], kW=kshape[1])
    np.testing.assert_allclose(
        cnnlit.conv_forward(o_prev, w, b),
        loop_conv_forward(o_prev, w, b),
        rtol=1e-12,
        atol=1e-12,
    )


def test_forward_single_example(rng):
    o_prev, w, b = random_case(rng, single=True)
    got = cnnlit.conv_forward(
        o_prev, w, b, stride=2, padding=1, boundary="symm"
    )
    assert got.shape == (3,) + cnnlit.conv_output_shape(
        6, 7, 2, 3, stride=2, padding=1
    )
    np.testing.assert_allclose(
        got, scipy_conv_forward(o_prev, w, b, 2, 1, "symm"), atol=1e-12
    )


def test_forward_batch_of_one(rng):
    o_prev, w, b = random_case(rng, N=1)
    got = cnnlit.conv_forward(o_prev, w, b)
    assert got.shape == (1, 3, 5, 5)
    np.testing.assert_allclose(got, loop_conv_forward(o_prev, w, b), atol=1e-12)


def test_forward_kernel_as_large_as_padded_input(rng):
    # Kernel 8x9 on a 6x7 image padded by 1: exactly one output pixel.
    o_prev, w, b = random_case(rng, kH=8, kW=9)
    got = cnnlit.conv_forward(o_prev, w, b, padding=1, boundary="wrap")
    assert got.shape == (2, 3, 1, 1)
    np.testing.assert_allclose(
        got,
        scipy_conv_forward(o_prev, w, b, padding=1, boundary="wrap"),
        atol=1e-12,
    )


def test_forward_non_contiguous_input(rng):
    # A transposed view (strides not C-ordered) must give the same numbers as a copy.
    base = rng.standard_normal((2, 7, 6, 2))
    o_prev = base.transpose(0, 3, 2, 1)  # (2, 2, 6, 7), not contiguous
    _, w, b = random_case(rng)
    np.testing.assert_allclose(
        cnnlit.conv_forward(o_prev, w, b, stride=2),
        scipy_conv_forward(np.ascontiguousarray(o_prev), w, b, 2),
        atol=1e-12,
    )


# ---------------------------------------------------------------------------
# fast == cnnlit.reference (plain loops), forward and backward
# ---------------------------------------------------------------------------

REF_CASES = list(
    itertools.product(
        CONVENTIONS,
        BOUNDARIES,
        [1, 2, (3, 1)],
        [0, 1, (2, 1)],
        [1, 2],
        ["batch", "single"],
    )
)


@pytest.mark.parametrize(
    "convention, boundary, stride, padding, dilation, kind",
    REF_CASES[
        ::3
    ],  # every third combination: each value of each option appears
    ids=[
        f"{c[:4]}-{bd}-s{s}-p{p}-d{d}-{k}"
        for c, bd, s, p, d, k in REF_CASES[::3]
    ],
)
def test_forward_and_backward_equal_reference(
    convention, boundary, stride, padding, dilation, kind, rng
):
    o_prev, w, b = random_case(rng, single=kind == "single")
    opts = dict(
        stride=stride,
        padding=padding,
        boundary=boundary,
        convention=convention,
        dilation=dilation,
    )
    c = cnnlit.conv_forward(o_prev, w, b, **opts)
    np.testing.assert_allclose(
        c, reference.conv_forward(o_prev, w, b, **opts), rtol=1e-12, atol=1e-12
    )
    delta = rng.standard_normal(c.shape)
    got = cnnlit.conv_backward(delta, o_prev, w, **opts)
    want = reference.conv_backward(delta, o_prev, w, **opts)
    for name, g, r in zip(
        ("dE_dw", "dE_db", "dE_do_prev"), got, want, strict=True
    ):
        assert g.shape == r.shape, name
        np.testing.assert_allclose(g, r, rtol=1e-11, atol=1e-11, err_msg=name)


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_backward_padding_larger_than_image_equals_reference(boundary, rng):
    # Padding 4 on a 3x3 image: wrap and symm fold the gradient over several periods.
    o_prev, w, b = random_case(rng, H=3, W=3, kH=2, kW=2)
    opts = dict(padding=4, boundary=boundary, stride=2)
    c = cnnlit.conv_forward(o_prev, w, b, **opts)
    np.testing.assert_allclose(
        c, reference.conv_forward(o_prev, w, b, **opts), atol=1e-12
    )
    delta = rng.standard_normal(c.shape)
    for g, r in zip(
        cnnlit.conv_backward(delta, o_prev, w, **opts),
        reference.conv_backward(delta, o_prev, w, **opts),
        strict=True,
    ):
        np.testing.assert_allclose(g, r, atol=1e-11)


def test_backward_bias_is_sum_of_deltas(rng):
    o_prev, w, b = random_case(rng)
    delta = rng.standard_normal((2, 3, 5, 5))
    _, dE_db, _ = cnnlit.conv_backward(delta, o_prev, w)
    want = [
        sum(
            delta[i, m, x, y]
            for i in range(2)
            for x in range(5)
            for y in range(5)
        )
        for m in range(3)
    ]
    np.testing.assert_allclose(dE_db, want, atol=1e-12)


def test_backward_weights_seed_formula(rng):
    # Seed (stride 1, no padding): dE/dw_{n,m} = rot180(o_n correlated with delta_m, valid), summed over the batch.
    o_prev, w, b = random_case(rng)
    delta = rng.standard_normal((2, 3, 5, 5))
    dE_dw, _, _ = cnnlit.conv_backward(delta, o_prev, w)
    want = np.zeros_like(w)
    for m in range(3):
        for n in range(2):
            want[m, n] = sum(
                cnnlit.rot180(
                    signal.correlate2d(o_prev[i, n], delta[i, m], "valid")
                )
                for i in range(2)
            )
    np.testing.assert_allclose(dE_dw, want, atol=1e-12)


def test_backward_deltas_seed_formula(rng):
    # Seed (stride 1, no padding): dE/do_n = sum_m (full cross-correlation of delta_m with w_{n,m}).
    o_prev, w, b = random_case(rng)
    delta = rng.standard_normal((2, 3, 5, 5))
    _, _, dE_do_prev = cnnlit.conv_backward(delta, o_prev, w)
    want = np.zeros_like(o_prev)
    for i in range(2):
        for n in range(2):
            want[i, n] = sum(
                signal.correlate2d(delta[i, m], w[m, n], "full")
                for m in range(3)
            )
    np.testing.assert_allclose(dE_do_prev, want, atol=1e-12)


# ---------------------------------------------------------------------------
# adjoint (dot-product) identities
# ---------------------------------------------------------------------------

ADJOINT_CASES = [
    dict(),
    dict(stride=2),
    dict(stride=(3, 2), padding=(2, 1)),
    dict(padding=2, boundary="wrap"),
    dict(padding=2, boundary="symm"),
    dict(padding=(1, 2), boundary="symm", stride=2, dilation=2),
    dict(padding=1, boundary="wrap", convention="correlation", dilation=(2, 1)),
    dict(padding=1, convention="correlation", stride=3),
]


@pytest.mark.parametrize("opts", ADJOINT_CASES, ids=str)
@pytest.mark.parametrize("kind", ["batch", "single"])
def test_adjoint_input(opts, kind, rng):
    # x -> conv_forward(x, w, 0) is linear; dE_do_prev(g) must be its transpose:
    # <conv(x), g> == <x, dE_do_prev(g)>.
    o_prev, w, _ = random_case(rng, single=kind == "single")
    zero = np.zeros(3)
    c = cnnlit.conv_forward(o_prev, w, zero, **opts)
    g = rng.standard_normal(c.shape)
    _, _, dE_do_prev = cnnlit.conv_backward(g, o_prev, w, **opts)
    lhs, rhs = np.vdot(c, g), np.vdot(o_prev, dE_do_prev)
    assert abs(lhs - rhs) <= 1e-10 * max(1.0, abs(lhs))


@pytest.mark.parametrize("opts", ADJOINT_CASES, ids=str)
def test_adjoint_weights(opts, rng):
    # w -> conv_forward(x, w, 0) is linear; <conv(w), g> == <w, dE_dw(g)>.
    o_prev, w, _ = random_case(rng)
    c = cnnlit.conv_forward(o_prev, w, np.zeros(3), **opts)
    g = rng.standard_normal(c.shape)
    dE_dw, _, _ = cnnlit.conv_backward(g, o_prev, w, **opts)
    lhs, rhs = np.vdot(c, g), np.vdot(w, dE_dw)
    assert abs(lhs - rhs) <= 1e-10 * max(1.0, abs(lhs))


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("padding", [1, 3, (2, 5)], ids=str)
def test_adjoint_of_padding_alone(boundary, padding, rng):
    # A 1x1 kernel of ones with one channel: conv_forward is the padding itself, and the
    # backward pass is the padding's transpose. <pad(x), g> == <x, pad^T(g)>, and pad(x)
    # equals np.pad with scipy's names for the modes.
    x = rng.standard_normal((1, 1, 4, 3))
    w = np.ones((1, 1, 1, 1))
    padded = cnnlit.conv_forward(
        x, w, np.zeros(1), padding=padding, boundary=boundary
    )
    ph, pw = two(padding)
    np.testing.assert_array_equal(
        padded,
        np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), mode=NP_PAD[boundary]),
    )
    g = rng.standard_normal(padded.shape)
    _, _, back = cnnlit.conv_backward(
        g, x, w, padding=padding, boundary=boundary
    )
    assert abs(np.vdot(padded, g) - np.vdot(x, back)) <= 1e-12 * max(
        1.0, abs(np.vdot(padded, g))
    )


# ---------------------------------------------------------------------------
# conv_output_shape
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, kwargs, want",
    [
        # (H + 2p - d(k - 1) - 1) // s + 1, by hand:
        ((28, 28, 5, 5), {}, (24, 24)),  # 28 - 4 - 1 + 1
        (
            (28, 28, 5, 5),
            dict(stride=2, padding=2),
            (14, 14),
        ),  # (28 + 4 - 5) // 2 + 1
        (
            (6, 7, 2, 3),
            dict(stride=(2, 3), padding=(1, 0)),
            (4, 2),
        ),  # (6+2-2)//2+1, (7-3)//3+1
        (
            (7, 8, 3, 2),
            dict(dilation=2),
            (3, 6),
        ),  # 7 - 2*2 - 1 + 1, 8 - 2*1 - 1 + 1
        ((5, 5, 5, 5), {}, (1, 1)),
    ],
    ids=str,
)
def test_conv_output_shape_by_hand(args, kwargs, want):
    assert cnnlit.conv_output_shape(*args, **kwargs) == want


@pytest.mark.parametrize("opts", ADJOINT_CASES, ids=str)
def test_conv_output_shape_matches_forward(opts, rng):
    o_prev, w, b = random_case(rng)
    c = cnnlit.conv_forward(o_prev, w, b, **opts)
    kw = {
        k: v for k, v in opts.items() if k in ("stride", "padding", "dilation")
    }
    assert c.shape == (2, 3) + cnnlit.conv_output_shape(6, 7, 2, 3, **kw)


# ---------------------------------------------------------------------------
# blocking: the column matrix is built in pieces when it would exceed the budget
# ---------------------------------------------------------------------------


def conv_with_budget(o_prev, w, b, delta, budget, **opts):
    """conv_forward, then conv_backward's three gradients, computed by the
    engine with a memory budget of ``budget`` bytes (conv.py's own calls use
    the default)."""
    conv = importlib.import_module("cnnlit.conv")
    g, xp, w_, b_, _, dtype = conv._validate(o_prev, w, b, **opts)
    K = conv._kernel(w_, g.convention)
    c = _im2col.forward(g, xp, K, b_, budget=budget)
    d = (delta[None] if g.single else delta).astype(dtype)
    dK, db, dxp = _im2col.backward(g, xp, K, d, budget=budget)
    dx = pad_adjoint(dxp, g.ph, g.pw, g.boundary, g.H, g.W)
    if g.single:
        c, dx = c[0], dx[0]
    return c, (conv._kernel(dK, g.convention), db, dx)


@pytest.fixture(params=["offsets", "rows"])
def col2im(request, monkeypatch):
    """Both ways of col2im at stride 1: a kernel offset at a time, a kernel
    row at a time (each layer picks one by its shape)."""
    monkeypatch.setattr(_im2col, "_COL2IM", request.param)
    return request.param


def test_col2im_by_kernel_rows_where_it_moves_less_memory():
    # A kernel row at a time copies kW C_out deltas and writes and reads
    # kH C_in numbers per column; an offset at a time writes and reads
    # kH kW C_in. Only stride 1, and only where the first is well below.
    def rows(N, C_in, C_out, H, k, stride=1):
        Ho = (H - k) // stride + 1
        g = _im2col.Geometry(N, C_in, H, H, C_out, k, k, Ho, Ho, (stride,) * 2)
        return _im2col._by_kernel_rows(g)

    assert rows(64, 8, 16, 12, 5)  # 80 + 80 against 400
    assert rows(8, 16, 1, 32, 3) and rows(8, 16, 16, 32, 11)
    assert not rows(64, 8, 16, 12, 5, stride=2)
    assert not rows(64, 1, 8, 28, 5)  # 40 + 10 against 50
    assert not rows(8, 16, 128, 32, 3)  # 384 + 96 against 288
    assert not rows(128, 16, 32, 16, 3)  # 96 + 96 against 288: 0.67


def budget_equals_loops(o_prev, w, b, budget, rng, **opts):
    """conv_with_budget's output and three gradients against the loops of
    cnnlit.reference, for random deltas."""
    want = reference.conv_forward(o_prev, w, b, **opts)
    delta = rng.standard_normal(want.shape)
    c, got = conv_with_budget(o_prev, w, b, delta, budget, **opts)
    np.testing.assert_allclose(c, want, rtol=1e-12, atol=1e-12)
    for g, r in zip(
        got, reference.conv_backward(delta, o_prev, w, **opts), strict=True
    ):
        np.testing.assert_allclose(g, r, rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize(
    "budget", [1, 500, 6000, 10**6], ids=lambda v: f"budget{v}"
)
@pytest.mark.parametrize("C_out", [2, 13], ids=lambda v: f"C_out{v}")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_both_column_layouts_equal_reference(budget, C_out, dtype, rng, col2im):
    # Regression guard for the two column layouts of stride 1: wide columns (a few
    # kernels per row of the column matrix, C_out=2) and exact ones (many, C_out=13
    # against C_in * kH * kW = 6), in whole batches, one example and row blocks.
    o_prev, w, b = random_case(
        rng, N=3, C_in=1, C_out=C_out, H=7, W=9, kH=2, kW=3
    )
    o_prev, w, b = o_prev.astype(dtype), w.astype(dtype), b.astype(dtype)
    opts = dict(padding=(1, 2), dilation=(2, 1))
    want = reference.conv_forward(o_prev, w, b, **opts)
    delta = rng.standard_normal(want.shape).astype(dtype)
    c, got = conv_with_budget(o_prev, w, b, delta, budget, **opts)
    assert c.dtype == dtype
    tol = 1e-12 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(c, want, rtol=tol, atol=tol)
    for g, r in zip(
        got, reference.conv_backward(delta, o_prev, w, **opts), strict=True
    ):
        assert g.dtype == dtype
        np.testing.assert_allclose(g, r, rtol=tol, atol=tol)


@pytest.mark.parametrize(
    "budget", [1, 300, 2000, 10000], ids=lambda v: f"budget{v}"
)
@pytest.mark.parametrize("stride", [1, 2, (1, 3)], ids=str)
@pytest.mark.parametrize("kind", ["batch", "single"])
def test_blocked_computation_equals_reference(
    budget, stride, kind, rng, col2im
):
    # Regression guard for the batch and output-row blocks: a tiny memory budget forces
    # one block per example (and per group of output rows), which real sizes only reach
    # with images of several megabytes.
    o_prev, w, b = random_case(rng, N=3, single=kind == "single")
    opts = dict(stride=stride, padding=(2, 1), boundary="symm", dilation=(1, 2))
    budget_equals_loops(o_prev, w, b, budget, rng, **opts)


@pytest.mark.parametrize("over", [1.0, 1.5, 2.0, 2.5])
def test_example_up_to_twice_the_budget_stays_whole(over, rng):
    # One example's columns a little over the budget: a block of one whole
    # example up to twice the budget, output-row blocks beyond it.
    conv = importlib.import_module("cnnlit.conv")
    o_prev, w, b = random_case(rng, N=3, C_in=2, C_out=3, H=9, W=8, kH=3, kW=2)
    g = conv._geometry(o_prev, w, 1, 0, 1, "fill", "correlation")
    per_example = g.C_in * g.kH * g.kW * 8 * g.span(0, g.Ho)
    budget = int(per_example / over)
    blocks, _ = g.blocks(8, budget)
    whole = [(n, n + 1, 0, g.Ho) for n in range(3)]
    assert (blocks == whole) == (over <= 2.0)
    assert (blocks[0][3] < g.Ho) == (over > 2.0)  # output rows cut
    budget_equals_loops(o_prev, w, b, budget, rng, convention="correlation")


def test_default_budget_blocks_a_large_batch():
    # conv_forward's own blocks: the (32, 32, 64, 32, 3) float32 layer at the
    # default 2 MiB budget, one example (1.05 MiB of columns) per block.
    conv = importlib.import_module("cnnlit.conv")
    g = conv._geometry(
        np.empty((32, 32, 32, 32), np.float32),
        np.empty((64, 32, 3, 3), np.float32),
        1, 0, 1, "fill", "correlation",
    )  # fmt: skip
    blocks, most = g.blocks(4)
    assert _im2col.BUDGET == 2 * 2**20
    assert blocks == [(n, n + 1, 0, 30) for n in range(32)]
    assert 2**20 < 32 * 9 * most * 4 <= _im2col.BUDGET


def test_conv_is_pytorchs_conv2d(rng):
    # Only where PyTorch is installed: its conv2d forward and backward (input,
    # weight and bias gradients) on random strides, paddings (zeros or
    # circular), dilations, both conventions, float32 and float64.
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    for _ in range(150):
        N, C_in, C_out, kH, kW = (int(v) for v in rng.integers(1, 4, size=5))
        s = tuple(int(v) for v in rng.integers(1, 3, size=2))
        d = tuple(int(v) for v in rng.integers(1, 3, size=2))
        p = (int(rng.integers(0, 2)), int(rng.choice([1, 3])))  # rows, columns
        boundary = ("fill", "wrap")[int(rng.integers(2))]
        convention = ("convolution", "correlation")[int(rng.integers(2))]
        dtype = (np.float32, np.float64)[int(rng.integers(2))]
        H = int(rng.integers(d[0] * (kH - 1) + 1, 9))
        W = int(rng.integers(max(d[1] * (kW - 1) + 1, p[1]), 9))
        x = rng.standard_normal((N, C_in, H, W)).astype(dtype)
        w = rng.standard_normal((C_out, C_in, kH, kW)).astype(dtype)
        b = rng.standard_normal(C_out).astype(dtype)
        tx = torch.from_numpy(x).requires_grad_(True)
        # PyTorch's conv2d correlates: the convolution's kernel, rotated
        kernel = w if convention == "correlation" else w[:, :, ::-1, ::-1]
        tw = torch.from_numpy(kernel.copy()).requires_grad_(True)
        tb = torch.from_numpy(b).requires_grad_(True)
        mode = "constant" if boundary == "fill" else "circular"
        padded = F.pad(tx, (p[1], p[1], p[0], p[0]), mode=mode)
        out = F.conv2d(padded, tw, tb, stride=s, dilation=d)
        delta = rng.standard_normal(tuple(out.shape)).astype(dtype)
        out.backward(torch.from_numpy(delta))
        kw = dict(
            stride=s,
            padding=p,
            dilation=d,
            boundary=boundary,
            convention=convention,
        )
        tol = 1e-4 if dtype == np.float32 else 1e-10
        np.testing.assert_allclose(
            cnnlit.conv_forward(x, w, b, **kw),
            out.detach().numpy(),
            rtol=tol,
            atol=tol,
        )
        dw, db, dx = cnnlit.conv_backward(delta, x, w, **kw)
        tdw = tw.grad.numpy()
        want_dw = tdw if convention == "correlation" else tdw[:, :, ::-1, ::-1]
        for got, want in (
            (dw, want_dw),
            (db, tb.grad.numpy()),
            (dx, tx.grad.numpy()),
        ):
            np.testing.assert_allclose(got, want, rtol=tol, atol=10 * tol)


# ---------------------------------------------------------------------------
# the engine's choices: BLAS threads per product, 1x1 kernels, the FFT
# ---------------------------------------------------------------------------


class FakeBlas:
    """Stands in for OpenBLAS's (get, set) of the thread count; records the sets."""

    def __init__(self, threads):
        self.threads, self.sets = threads, []

    def get(self):
        return self.threads

    def set(self, n):
        self.sets.append(n)
        self.threads = n


@pytest.fixture
def two_blas_threads(monkeypatch):
    """OpenBLAS with two threads (a FakeBlas) and every layer large enough for
    two worker threads; records the workers of each run_blocks call."""
    blas = FakeBlas(2)
    monkeypatch.setattr(_blocks, "_BLAS", (blas.get, blas.set))
    monkeypatch.setattr(_blocks, "_CPUS", 2)
    blas.workers = []
    run_blocks = _im2col.run_blocks

    def spy(blocks, work, workers, *args):
        blas.workers.append(workers)
        return run_blocks(blocks, work, workers, *args)

    monkeypatch.setattr(_im2col, "run_blocks", spy)
    return blas


@pytest.mark.parametrize("C_out", [4, 100])
def test_blas_runs_one_thread_per_product(C_out, rng, two_blas_threads):
    # A layer below PARALLEL_MIN multiply-adds runs its blocks on the calling
    # thread; a larger one on two threads, each product on one BLAS thread.
    # Either way OpenBLAS is limited to one thread meanwhile (the products are
    # below TWO_THREADS_MIN) and gets the caller's count back afterwards.
    blas = two_blas_threads
    o_prev, w, b = random_case(rng, N=8, C_in=3, C_out=C_out, H=40, W=40)
    c = cnnlit.conv_forward(o_prev, w, b)
    # C_out x (C_in kH kW + 1) x (N x 39 x 38 wide columns)
    large = C_out * 19 * 8 * (38 * 40 + 38) >= _blocks.PARALLEL_MIN
    assert large == (C_out == 100)
    assert blas.sets == [1, 2] and blas.workers == [2 if large else 1]
    cnnlit.conv_backward(rng.standard_normal(c.shape), o_prev, w)
    assert blas.sets == [1, 2, 1, 2] and blas.threads == 2
    assert blas.workers == [2 if large else 1] * 2


def test_one_blas_thread_is_left_alone(rng, monkeypatch):
    # OpenBLAS already on one thread (OPENBLAS_NUM_THREADS=1): nothing to
    # limit, so the layer never sets the count, and everything runs here.
    blas = FakeBlas(1)
    monkeypatch.setattr(_blocks, "_BLAS", (blas.get, blas.set))
    o_prev, w, b = random_case(rng, N=8, C_in=3, C_out=100, H=40, W=40)
    c = cnnlit.conv_forward(o_prev, w, b)
    cnnlit.conv_backward(rng.standard_normal(c.shape), o_prev, w)
    assert blas.sets == [] and blas.threads == 1


@pytest.mark.parametrize("budget", [1, 300, 10**6], ids=lambda v: f"budget{v}")
@pytest.mark.parametrize("stride", [1, 2], ids=str)
@pytest.mark.parametrize("C_out", [2, 13], ids=lambda v: f"C_out{v}")
def test_blocks_on_two_threads_equal_reference(
    budget, stride, C_out, rng, two_blas_threads, monkeypatch, col2im
):
    # The blocks shared out between two threads: wide and exact columns
    # (C_out 2 and 13 against C_in kH kW = 6), batch and row blocks, against
    # the loops of cnnlit.reference.
    monkeypatch.setattr(_blocks, "PARALLEL_MIN", 0)
    o_prev, w, b = random_case(
        rng, N=7, C_in=1, C_out=C_out, H=7, W=9, kH=2, kW=3
    )
    opts = dict(stride=stride, padding=(1, 2), dilation=(2, 1))
    budget_equals_loops(o_prev, w, b, budget, rng, **opts)
    # two threads wherever there are two blocks, except the backward pass
    # over output-row blocks (those of one example overlap)
    assert max(two_blas_threads.workers) == 2


@pytest.mark.parametrize("threads", [1, 2])
def test_one_thread_takes_blocks_that_fit_the_cache(threads, monkeypatch):
    # A batch that runs on one thread is cut into blocks of at most
    # CACHE_BLOCK bytes of columns (never less than one example); on two
    # threads the blocks stay up to the budget, at least two for each thread.
    blas = FakeBlas(threads)
    monkeypatch.setattr(_blocks, "_BLAS", (blas.get, blas.set))
    monkeypatch.setattr(_blocks, "_CPUS", 2)
    conv = importlib.import_module("cnnlit.conv")
    steps = {}
    for shape, itemsize in (((64, 1, 8, 28, 5), 4), ((64, 1, 8, 28, 5), 8),
                            ((64, 8, 16, 12, 5), 8), ((8, 16, 16, 32, 7), 4)):  # fmt: skip
        N, C_in, C_out, H, k = shape
        dtype = np.float32 if itemsize == 4 else np.float64
        g = conv._geometry(
            np.empty((N, C_in, H, H), dtype),
            np.empty((C_out, C_in, k, k), dtype),
            1, 0, 1, "fill", "correlation",
        )  # fmt: skip
        K, Ho = C_in * k * k, H - k + 1
        span = (Ho - 1) * H + Ho  # the wide layout's columns of one example
        blocks, most, workers = g.plan(itemsize, (K + 1) * C_out)
        assert blocks[0][0] == 0 and blocks[-1][1] == N
        assert all(
            b[1] == c[0] for b, c in zip(blocks[:-1], blocks[1:], strict=True)
        )
        assert all(r0 == 0 and r1 == Ho for *_, r0, r1 in blocks)
        step = blocks[0][1]
        assert all(n1 - n0 <= step for n0, n1, *_ in blocks)
        per_example = max(K, C_out) * itemsize * span
        parallel = (K + 1) * C_out * N * span >= _blocks.PARALLEL_MIN
        assert workers == (2 if threads == 2 and parallel else 1)
        if workers == 1:
            assert step == max(1, _im2col.CACHE_BLOCK // per_example)
        else:
            assert len(blocks) >= 4
            assert step == min(
                max(1, _im2col.BUDGET // per_example), -(-N // 4)
            )
        steps[shape, itemsize] = step
    # (64, 1, 8, 28, 5): 66,800 bytes of columns an example in float32, five
    # to a block; it runs on one thread either way (below PARALLEL_MIN)
    assert steps[(64, 1, 8, 28, 5), 4] == 5 and steps[(64, 1, 8, 28, 5), 8] == 2
    # (64, 8, 16, 12, 5) in float64: 147,200 bytes an example
    assert steps[(64, 8, 16, 12, 5), 8] == (2 if threads == 1 else 14)
    assert steps[(8, 16, 16, 32, 7), 4] == 1  # 2.6 MB: an example a block
    assert _im2col.CACHE_BLOCK == 384 * 2**10


def one_block_case(rng, stride, C_out):
    """A small layer that runs as one block on the calling thread, its
    options, and the engine's plans of it (the geometry's)."""
    conv = importlib.import_module("cnnlit.conv")
    conv._GEOMETRIES.clear()  # a new geometry, with no plans yet
    o_prev, w, b = random_case(
        rng, N=2, C_in=3, C_out=C_out, H=9, W=11, kH=3, kW=2
    )
    opts = dict(stride=stride, padding=(1, 0), convention="correlation")
    g = conv._geometry(o_prev, w, stride, (1, 0), 1, "fill", "correlation")
    return o_prev, w, b, opts, g


def kept_lists(g):
    """The lists of arrays (and states) the plans of ``g`` keep for their
    next call: the forward's, then the backward's."""
    return [p for p in g._plans.values() if isinstance(p, list)] + [
        p["kept"] for p in g._plans.values() if isinstance(p, dict)
    ]


def kept_arrays(g):
    """The ids of the arrays each plan of ``g`` keeps, a list per plan."""
    return [
        [id(a) for buffers, _ in kept for a in buffers]
        for kept in kept_lists(g)
    ]


@pytest.mark.parametrize("stride", [1, 2], ids=str)
@pytest.mark.parametrize("C_out", [2, 40], ids=lambda v: f"C_out{v}")
def test_one_block_keeps_its_arrays_for_the_next_call(
    stride, C_out, rng, col2im
):
    # A layer of one block on one thread keeps its scratch arrays, and what
    # its work left zero in them, for the next call of the same shapes. Three
    # calls with new numbers each, the same arrays each time, against the
    # loops: wide and exact columns, both ways of col2im; then with the
    # arrays filled with NaN and their state forgotten, as fresh arrays are.
    o_prev, w, b, opts, g = one_block_case(rng, stride, C_out)
    before = None
    for call in range(4):
        if call == 3:
            for kept in kept_lists(g):
                for buffers, state in kept:
                    for a in buffers:
                        a.fill(np.nan)
                    state.clear()
        o_prev = rng.standard_normal(o_prev.shape)
        w, b = rng.standard_normal(w.shape), rng.standard_normal(b.shape)
        budget_equals_loops(o_prev, w, b, _im2col.BUDGET, rng, **opts)
        kept = kept_arrays(g)
        assert len(kept) == 2 and all(kept)  # the forward's and the backward's
        assert before in (None, kept)
        before = kept


def test_arrays_above_the_limit_are_not_kept(rng, monkeypatch):
    monkeypatch.setattr(_blocks, "_KEEP_MAX", 0)
    o_prev, w, b, opts, g = one_block_case(rng, 1, 2)
    for _ in range(2):
        budget_equals_loops(o_prev, w, b, _im2col.BUDGET, rng, **opts)
    assert kept_arrays(g) == [[], []]


def test_threads_calling_one_layer_do_not_share_its_arrays(rng):
    # Two threads call the same small layer (one geometry, one plan) at once,
    # each with its own numbers, and get the loops' results every time.
    import concurrent.futures

    o_prev, w, b, opts, g = one_block_case(rng, 1, 4)
    cases = []
    for _ in range(2):
        x = rng.standard_normal(o_prev.shape)
        want = reference.conv_forward(x, w, b, **opts)
        delta = rng.standard_normal(want.shape)
        grads = reference.conv_backward(delta, x, w, **opts)
        cases.append((x, delta, want, grads))

    def run(case):
        x, delta, want, grads = case
        for _ in range(300):
            c = cnnlit.conv_forward(x, w, b, **opts)
            got = cnnlit.conv_backward(delta, x, w, **opts)
            np.testing.assert_allclose(c, want, rtol=1e-12, atol=1e-12)
            for a, r in zip(got, grads, strict=True):
                np.testing.assert_allclose(a, r, rtol=1e-11, atol=1e-11)

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        for f in [pool.submit(run, case) for case in cases]:
            f.result()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_two_threads_give_one_threads_bits(dtype, rng, monkeypatch):
    # The weight gradient sums the blocks' terms in the blocks' order whichever
    # thread computed them: over the same blocks (here output-row blocks,
    # which one thread and two cut alike) the numbers on two threads are one
    # thread's, to the last bit, call after call.
    monkeypatch.setattr(_blocks, "PARALLEL_MIN", 0)
    o_prev, w, b = random_case(rng, N=9, C_in=3, C_out=4, H=9, W=8)
    o_prev, w, b = o_prev.astype(dtype), w.astype(dtype), b.astype(dtype)
    shape = cnnlit.conv_forward(o_prev, w, b).shape
    delta = rng.standard_normal(shape).astype(dtype)
    results = {}
    for threads in (1, 2, 2, 2):
        blas = FakeBlas(threads)
        monkeypatch.setattr(_blocks, "_BLAS", (blas.get, blas.set))
        monkeypatch.setattr(_blocks, "_CPUS", 2)
        got = conv_with_budget(o_prev, w, b, delta, 3000)
        results.setdefault(threads, []).append(got)
    ((c1, grads1),) = results[1]
    for c2, grads2 in results[2]:
        assert np.array_equal(c1, c2)
        for g1, g2 in zip(grads1, grads2, strict=True):
            assert np.array_equal(g1, g2)


def test_a_slow_thread_takes_fewer_blocks():
    # Each thread takes the next block when it is done: while the calling
    # thread is held up on its first block, the other takes the rest.
    taken = []

    def work(block, buffers, state):
        state.setdefault("blocks", []).append(block)
        if block == 0:
            time.sleep(0.5)
        taken.append(block)

    states = _blocks.run_blocks(list(range(8)), work, 2, np.float64, (4,), 0)
    assert sorted(taken) == list(range(8))
    mine, other = (state.get("blocks", []) for state in states)
    assert 0 in mine and len(other) >= 6, (mine, other)


def test_an_error_in_a_block_is_raised_after_every_thread_stops():
    done = []

    def work(block, buffers, state):
        if block == 3:
            raise ValueError("block 3")
        time.sleep(0.01)
        done.append(block)

    with pytest.raises(ValueError, match="block 3"):
        _blocks.run_blocks(list(range(12)), work, 2, np.float64, (4,), 0)
    count = len(done)
    time.sleep(0.05)
    assert len(done) == count  # nothing still running


def test_blas_thread_count_is_given_back():
    # With numpy's own OpenBLAS: the count read before a layer is the count after.
    if _blocks._BLAS is None:
        pytest.skip("numpy's BLAS is not an OpenBLAS this module can find")
    get, set_ = _blocks._BLAS
    before = get()
    try:
        set_(2)
        x = np.ones((1, 1, 8, 8))
        cnnlit.conv_backward(np.ones((1, 1, 6, 6)), x, np.ones((1, 1, 3, 3)))
        assert get() == 2
    finally:
        set_(before)


@pytest.mark.parametrize(
    "opts",
    [{}, dict(padding=1, boundary="symm"), dict(padding=(0, 2), dilation=3)],
    ids=["valid", "symm", "dilated"],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_1x1_kernels_skip_the_column_matrix(opts, dtype, rng, monkeypatch):
    # 1x1 kernels with stride 1: the padded input is its own column matrix,
    # nothing is copied into one (cols raises), and the results are the loops'.
    def no_cols(*args, **kwargs):
        raise AssertionError("im2col copy for a 1x1 kernel")

    monkeypatch.setattr(_im2col.Geometry, "cols", no_cols)
    o_prev, w, b = random_case(rng, N=3, C_in=4, C_out=5, H=6, W=7, kH=1, kW=1)
    o_prev, w, b = o_prev.astype(dtype), w.astype(dtype), b.astype(dtype)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    c = cnnlit.conv_forward(o_prev, w, b, **opts)
    assert c.dtype == dtype
    np.testing.assert_allclose(
        c, reference.conv_forward(o_prev, w, b, **opts), rtol=tol, atol=tol
    )
    delta = rng.standard_normal(c.shape).astype(dtype)
    got = cnnlit.conv_backward(delta, o_prev, w, **opts)
    for g, r in zip(
        got, reference.conv_backward(delta, o_prev, w, **opts), strict=True
    ):
        assert g.dtype == dtype
        np.testing.assert_allclose(g, r, rtol=tol, atol=tol)


def count_fft_calls(conv, monkeypatch):
    """A list that grows by one at each call of conv's correlate2d and convolve2d."""
    calls = []
    for name in ("correlate2d", "convolve2d"):
        real = getattr(conv, name)
        monkeypatch.setattr(
            conv, name, lambda *a, _f=real, **k: calls.append(1) or _f(*a, **k)
        )
    return calls


@pytest.mark.parametrize(
    "shape, opts, fft",
    [
        ((1, 1, 1, 56, 56, 15, 15), {}, True),
        (
            (1, 1, 1, 50, 49, 15, 14),
            dict(padding=(4, 5), boundary="wrap"),
            True,
        ),
        ((2, 3, 1, 20, 18, 9, 9), {}, False),  # a small image: im2col
        ((1, 2, 1, 16, 17, 8, 8), {}, False),  # 64 taps: im2col
        ((1, 2, 2, 16, 17, 9, 9), {}, False),  # two output channels
        ((1, 2, 1, 20, 20, 9, 9), dict(stride=2), False),
        ((1, 2, 1, 24, 24, 9, 9), dict(dilation=(1, 2)), False),
    ],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_one_output_channel_and_a_large_kernel_use_the_fft(
    shape, opts, fft, dtype, rng, monkeypatch
):
    # C_out = 1, enough taps, stride and dilation 1 and a large enough image
    # go through correlate2d / convolve2d (counted here), the rest through
    # im2col; both give the loops' numbers. The switch's sizes are lowered
    # here (more than 64 taps, 40 x 40 padded pixels), so that the loops stay
    # quick; test_the_fft_switch checks the package's own.
    conv = importlib.import_module("cnnlit.conv")
    monkeypatch.setattr(conv, "_FFT_MIN_TAPS", {4: 65, 8: 65})
    monkeypatch.setattr(conv, "_FFT_MIN_PIXELS", {4: 40 * 40, 8: 40 * 40})
    calls = count_fft_calls(conv, monkeypatch)
    N, C_in, C_out, H, W, kH, kW = shape
    o_prev, w, b = random_case(rng, N, C_in, C_out, H, W, kH, kW)
    o_prev, w, b = o_prev.astype(dtype), w.astype(dtype), b.astype(dtype)
    c = cnnlit.conv_forward(o_prev, w, b, **opts)
    delta = rng.standard_normal(c.shape).astype(dtype)
    got = cnnlit.conv_backward(delta, o_prev, w, **opts)
    assert len(calls) == (3 * N * C_in * C_out if fft else 0)
    tol = 1e-10 if dtype == np.float64 else 1e-4
    want = reference.conv_forward(o_prev, w, b, **opts)
    assert c.dtype == dtype
    np.testing.assert_allclose(c, want, rtol=tol, atol=tol * abs(want).max())
    for g, r in zip(
        got, reference.conv_backward(delta, o_prev, w, **opts), strict=True
    ):
        assert g.dtype == dtype
        np.testing.assert_allclose(g, r, rtol=tol, atol=tol * abs(r).max())


@pytest.mark.parametrize(
    "shape, opts, fft_dtypes",
    [
        ((1, 1, 1, 128, 128, 15, 15), {}, ("float64", "float32")),
        (  # padded to 128 x 129; 15 x 14 = 210 taps
            (1, 1, 1, 120, 119, 15, 14),
            dict(padding=(4, 5), boundary="wrap"),
            ("float64", "float32"),
        ),
        ((1, 2, 1, 96, 96, 11, 11), {}, ("float64",)),  # 121 taps
        ((1, 1, 1, 96, 96, 21, 21), {}, ("float64",)),  # 96 x 96 pixels
        ((1, 2, 1, 127, 128, 21, 21), {}, ("float64",)),
        ((2, 3, 1, 95, 96, 15, 15), {}, ()),  # a small image
        ((1, 2, 1, 128, 128, 10, 12), {}, ()),  # 120 taps
        ((1, 2, 1, 128, 128, 13, 13), {}, ("float64",)),  # 169 taps
        ((1, 2, 2, 128, 128, 15, 15), {}, ()),  # two output channels
        ((1, 1, 1, 128, 128, 15, 15), dict(stride=2), ()),
        ((1, 1, 1, 128, 128, 15, 15), dict(dilation=(1, 2)), ()),
    ],
)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_fft_switch(shape, opts, fft_dtypes, dtype, rng, monkeypatch):
    # The package's own switch (conv._FFT_MIN_TAPS, _FFT_MIN_PIXELS, measured
    # by part "switch" of benchmarks/bench_conv.py): one output channel,
    # stride and dilation 1, at least 14 x 14 taps and 128 x 128 padded
    # pixels in float32, 11 x 11 and 96 x 96 in float64.
    conv = importlib.import_module("cnnlit.conv")
    calls = count_fft_calls(conv, monkeypatch)
    N, C_in, C_out, H, W, kH, kW = shape
    o_prev, w, b = random_case(rng, N, C_in, C_out, H, W, kH, kW)
    o_prev, w, b = o_prev.astype(dtype), w.astype(dtype), b.astype(dtype)
    c = cnnlit.conv_forward(o_prev, w, b, **opts)
    cnnlit.conv_backward(np.ones_like(c), o_prev, w, **opts)
    assert len(calls) == (3 * N * C_in * C_out if dtype in fft_dtypes else 0)


@pytest.mark.parametrize(
    "kH, kW, dilation",
    [(3, 3, 1), (2, 2, 1), (4, 3, 1), (2, 5, (2, 1)), (1, 4, 3)],
)
@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm"])
@pytest.mark.parametrize("convention", ["convolution", "correlation"])
def test_padding_same_keeps_the_size_and_pads_as_pytorch(
    kH, kW, dilation, boundary, convention, rng
):
    # 'same': the span less one added in all, half before and the rest after
    # (PyTorch's split); the oracle pads by that rule with np.pad and runs the
    # loops, and the gradient is checked by finite differences.
    N, C_in, C_out, H, W = 2, 2, 3, 7, 6
    o_prev, w, b = random_case(rng, N, C_in, C_out, H, W, kH, kW)
    dH, dW = (dilation, dilation) if isinstance(dilation, int) else dilation
    tH, tW = dH * (kH - 1), dW * (kW - 1)
    mode = {"fill": "constant", "wrap": "wrap", "symm": "symmetric"}[boundary]
    padded = np.pad(
        o_prev,
        ((0, 0), (0, 0), (tH // 2, tH - tH // 2), (tW // 2, tW - tW // 2)),
        mode=mode,
    )
    opts = dict(dilation=dilation, convention=convention, boundary=boundary)
    c = cnnlit.conv_forward(o_prev, w, b, padding="same", **opts)
    assert c.shape == (N, C_out, H, W)
    want = reference.conv_forward(padded, w, b, **opts)
    np.testing.assert_allclose(c, want, rtol=1e-12, atol=1e-12)
    delta = rng.standard_normal(c.shape)
    dE_dw, dE_db, dE_do = cnnlit.conv_backward(
        delta, o_prev, w, padding="same", **opts
    )
    want_dw, want_db, _ = reference.conv_backward(delta, padded, w, **opts)
    np.testing.assert_allclose(dE_dw, want_dw, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dE_db, want_db, rtol=1e-12, atol=1e-12)

    def E(x):
        return np.sum(
            delta * cnnlit.conv_forward(x, w, b, padding="same", **opts)
        )

    assert relative_error(numerical_gradient(E, o_prev), dE_do) < 1e-8
    # one example and float32 take the same path
    one = cnnlit.conv_backward(
        delta[0].astype(np.float32),
        o_prev[0].astype(np.float32),
        w.astype(np.float32),
        padding="same",
        **opts,
    )[2]
    assert one.dtype == np.float32 and one.shape == (C_in, H, W)
    np.testing.assert_allclose(one, dE_do[0], rtol=1e-4, atol=1e-4)


def test_padding_same_refuses_a_stride_and_other_words():
    o_prev, w = np.ones((1, 1, 5, 5)), np.ones((1, 1, 2, 2))
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        cnnlit.conv_forward(o_prev, w, None, padding="same", stride=2)
    with pytest.raises(ValueError, match="padding must be one of"):
        cnnlit.conv_backward(np.ones((1, 1, 4, 4)), o_prev, w, padding="valid")
