"""Every backward pass against central finite differences, with a random upstream gradient.

For a layer f and a random array g shaped like its output, the backward pass
given g must equal the gradient of the scalar sum(g * f(x)). A random g (rather
than ones) catches transposed or mis-aligned gradients that a sum would hide.
Also: numerical_gradient and relative_error themselves (their bad input, any
layout and dtype, numbers beyond float64's range: the checks must never lie).
"""

import math

import numpy as np
import pytest
from helpers import FEW, distinct_values
from hypothesis import given
from hypothesis import strategies as st

import cnnlit

TOL = dict(rtol=1e-6, atol=1e-8)


def assert_gradient(analytic, f, x, name="", eps=1e-6):
    numeric = cnnlit.numerical_gradient(f, x, eps=eps)
    assert analytic.shape == np.shape(x), name
    np.testing.assert_allclose(analytic, numeric, err_msg=name, **TOL)


def check_conv_gradients(rng, opts, x_shape, C_out=3, kshape=(2, 3)):
    # sum(g * c) is linear in each of o_prev, w and b: central differences have no
    # truncation error, and a large step keeps the rounding of the sum (about
    # 1e-16 * sum|g * c| / eps) far below the tolerance.
    C_in = x_shape[-3]
    o_prev = rng.standard_normal(x_shape)
    w = rng.standard_normal((C_out, C_in) + kshape)
    b = rng.standard_normal(C_out)
    c = cnnlit.conv_forward(o_prev, w, b, **opts)
    g = rng.standard_normal(c.shape)
    dE_dw, dE_db, dE_do_prev = cnnlit.conv_backward(g, o_prev, w, **opts)
    for analytic, x, name, f in (
        (
            dE_do_prev,
            o_prev,
            "dE_do_prev",
            lambda v: np.sum(g * cnnlit.conv_forward(v, w, b, **opts)),
        ),
        (
            dE_dw,
            w,
            "dE_dw",
            lambda v: np.sum(g * cnnlit.conv_forward(o_prev, v, b, **opts)),
        ),
        (
            dE_db,
            b,
            "dE_db",
            lambda v: np.sum(g * cnnlit.conv_forward(o_prev, w, v, **opts)),
        ),
    ):
        assert_gradient(analytic, f, x, name, eps=1e-2)


# ---------------------------------------------------------------------------
# convolution: both conventions x every boundary x stride 1..3 x padding 0..2 (and a pair)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("convention", ["convolution", "correlation"])
@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm"])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("padding", [0, 1, 2, (2, 1)], ids=str)
def test_conv_gradients(convention, boundary, stride, padding, rng):
    # N=2, C_in=2 != C_out=3, non-square 2x3 kernel, non-square 6x7 image.
    opts = dict(
        stride=stride, padding=padding, boundary=boundary, convention=convention
    )
    check_conv_gradients(rng, opts, (2, 2, 6, 7))


@pytest.mark.parametrize("convention", ["convolution", "correlation"])
@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm"])
@pytest.mark.parametrize("dilation", [1, 2])
@pytest.mark.parametrize(
    "x_shape",
    [(1, 2, 6, 7), (3, 2, 6, 7), (2, 6, 7)],
    ids=["N=1", "N=3", "single"],
)
def test_conv_gradients_dilation_and_batch_sizes(
    convention, boundary, dilation, x_shape, rng
):
    opts = dict(
        stride=(1, 2),
        padding=1,
        boundary=boundary,
        convention=convention,
        dilation=dilation,
    )
    check_conv_gradients(rng, opts, x_shape)


@pytest.mark.parametrize(
    "opts, kshape",
    [
        (
            dict(
                stride=(2, 3), padding=(0, 2), boundary="symm", dilation=(2, 1)
            ),
            (3, 2),
        ),
        (
            dict(
                stride=(3, 1),
                padding=(1, 0),
                boundary="wrap",
                dilation=(1, 2),
                convention="correlation",
            ),
            (1, 3),
        ),
        (dict(padding=2, boundary="wrap"), (1, 1)),
        (dict(padding=(2, 2), boundary="symm", stride=2), (5, 4)),
    ],
    ids=str,
)
def test_conv_gradients_mixed_pairs(opts, kshape, rng):
    check_conv_gradients(rng, opts, (2, 2, 6, 7), C_out=1, kshape=kshape)


@pytest.mark.parametrize("boundary", ["wrap", "symm"])
def test_conv_gradients_padding_larger_than_image(boundary, rng):
    # Regression guard for the gradient fold of wrap/symm padding over more than one period.
    check_conv_gradients(
        rng,
        dict(padding=(4, 5), boundary=boundary, stride=2),
        (1, 2, 3, 3),
        kshape=(2, 2),
    )


# ---------------------------------------------------------------------------
# pooling
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["max", "mean"])
@pytest.mark.parametrize(
    "size, stride",
    [(2, None), (3, 1), ((2, 3), (1, 2)), (2, 3), (3, 2)],
    ids=str,
)
@pytest.mark.parametrize(
    "x_shape",
    [(2, 3, 6, 7), (1, 2, 6, 7), (3, 6, 7)],
    ids=["N=2", "N=1", "single"],
)
def test_pool_gradients(mode, size, stride, x_shape, rng):
    x = distinct_values(rng, x_shape)
    o = cnnlit.pool_forward(x, size, stride=stride, mode=mode)
    g = rng.standard_normal(o.shape)
    analytic = cnnlit.pool_backward(g, x, size, stride=stride, mode=mode)
    assert_gradient(
        analytic,
        lambda v: np.sum(
            g * cnnlit.pool_forward(v, size, stride=stride, mode=mode)
        ),
        x,
    )


# ---------------------------------------------------------------------------
# a whole small network: conv -> tanh -> max pool -> dense -> softmax cross-entropy
# ---------------------------------------------------------------------------


def test_chain_of_layers(rng):
    x = rng.standard_normal((2, 1, 7, 6))
    labels = np.array([1, 2])
    w1, b1 = (
        rng.standard_normal((2, 1, 3, 2)) * 0.5,
        rng.standard_normal(2) * 0.1,
    )
    opts = dict(padding=1, boundary="symm", stride=(1, 2))
    pool = dict(size=(3, 2), stride=(2, 1))
    # shapes: c1 (2, 2, 7, 4) -> pooled (2, 2, 3, 3) -> flat (2, 18) -> z (2, 3)
    w2, b2 = rng.standard_normal((3, 18)) * 0.5, rng.standard_normal(3) * 0.1

    def loss(w1_, x_=x):
        o1 = cnnlit.pool_forward(
            cnnlit.tanh(cnnlit.conv_forward(x_, w1_, b1, **opts)), **pool
        )
        return cnnlit.softmax_cross_entropy(
            cnnlit.dense_forward(o1.reshape(2, -1), w2, b2), labels
        )

    # backward through the same layers, from the loss down
    c1 = cnnlit.conv_forward(x, w1, b1, **opts)
    a1 = cnnlit.tanh(c1)
    o1 = cnnlit.pool_forward(a1, **pool)
    assert o1.shape == (2, 2, 3, 3)
    flat = o1.reshape(2, -1)
    dz = cnnlit.softmax_cross_entropy_grad(
        cnnlit.dense_forward(flat, w2, b2), labels
    )
    _, _, dflat = cnnlit.dense_backward(dz, flat, w2)
    da1 = cnnlit.pool_backward(dflat.reshape(o1.shape), a1, **pool)
    dc1 = da1 * cnnlit.tanh_prime(c1)
    dE_dw1, _, dE_dx = cnnlit.conv_backward(dc1, x, w1, **opts)
    assert_gradient(dE_dw1, loss, w1, "dE_dw1")
    assert_gradient(dE_dx, lambda v: loss(w1, v), x, "dE_dx")


# ---------------------------------------------------------------------------
# numerical_gradient and relative_error themselves
# ---------------------------------------------------------------------------


def test_numerical_gradient_of_known_functions(rng):
    x = rng.standard_normal((3, 4))
    A = rng.standard_normal((4, 4))
    # d/dx sum(x^3) = 3 x^2;  d/dx sum(x A x^T) (row by row) = x (A + A^T)
    np.testing.assert_allclose(
        cnnlit.numerical_gradient(lambda v: np.sum(v**3), x),
        3 * x**2,
        rtol=1e-8,
        atol=1e-9,
    )
    np.testing.assert_allclose(
        cnnlit.numerical_gradient(lambda v: np.sum((v @ A) * v), x),
        x @ (A + A.T),
        rtol=1e-8,
        atol=1e-9,
    )


def test_numerical_gradient_is_central():
    # For f = x^3 at x = 1 with eps = 0.1, the central difference is
    # ((1.1)^3 - (0.9)^3) / 0.2 = (1.331 - 0.729) / 0.2 = 3.01 (a forward difference would give 3.31).
    got = cnnlit.numerical_gradient(
        lambda v: float(np.sum(v**3)), np.array([1.0]), eps=0.1
    )
    np.testing.assert_allclose(got, [3.01], rtol=1e-12)


def test_numerical_gradient_leaves_x_alone(rng):
    # f that writes into its argument must not change x or later evaluations.
    x = rng.standard_normal(5)
    x_copy = x.copy()
    x.setflags(write=False)

    def vandal(v):
        total = np.sum(v**2)
        v[...] = 1e6
        return total

    np.testing.assert_allclose(
        cnnlit.numerical_gradient(vandal, x), 2 * x_copy, rtol=1e-8
    )
    np.testing.assert_array_equal(x, x_copy)


def test_numerical_gradient_float64_from_float32_and_int():
    g32 = cnnlit.numerical_gradient(
        lambda v: np.sum(v**2), np.array([1.0, 2.0], np.float32)
    )
    gint = cnnlit.numerical_gradient(lambda v: np.sum(v**2), np.array([1, 2]))
    assert g32.dtype == np.float64 and gint.dtype == np.float64
    np.testing.assert_allclose(gint, [2.0, 4.0], rtol=1e-8)


def test_relative_error_by_hand():
    # |a - b| / max(|a|, |b|): [3, 4] vs [3, 0] -> 4 / 5
    assert cnnlit.relative_error([3.0, 4.0], [3.0, 0.0]) == pytest.approx(
        0.8, rel=1e-15
    )
    assert cnnlit.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert cnnlit.relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    a, b = np.array([1.0, -2.0, 0.5]), np.array([0.0, 1.0, 2.0])
    assert cnnlit.relative_error(a, b) == cnnlit.relative_error(b, a)


# ---- numbers beyond float64's range -------------------------------------------


@pytest.mark.parametrize(
    "eps, shown",
    [(10**400, "an int of 401 digits"), (-(10**400), "a negative int")],
    ids=["10**400", "-10**400"],
)
def test_numerical_gradient_eps_beyond_floats_range(eps, shown):
    # float(10**400) raises OverflowError, which used to escape unnamed
    with pytest.raises(
        ValueError,
        match=rf"eps must be a positive real number, got {shown}.*finite and > 0",
    ):
        cnnlit.numerical_gradient(np.sum, np.ones(2), eps=eps)


def test_numerical_gradient_eps_too_large_for_x():
    # x + eps = inf: the difference quotient would be nan or 0, not a gradient
    with pytest.raises(
        ValueError,
        match=r"eps=1e\+308 is too large for x .*largest finite magnitude 1e\+300",
    ):
        cnnlit.numerical_gradient(np.sum, np.array([1.0, 1e300]), eps=1e308)
    # a large step that stays finite is the user's choice: f = 3 v is linear
    g = cnnlit.numerical_gradient(
        lambda v: 3 * float(v[0]), np.ones(1), eps=1e300
    )
    np.testing.assert_array_equal(g, [3.0])


def test_numerical_gradient_f_returning_an_int_beyond_floats_range():
    with pytest.raises(
        ValueError,
        match=r"f must return a real scalar within float64's range, got an int of 401 digits",
    ):
        cnnlit.numerical_gradient(lambda v: 10**400, np.ones(2))


def test_relative_error_bound_of_two(rng):
    # the docstring's bound: ||a - b|| <= ||a|| + ||b|| <= 2 max(||a||, ||b||),
    # reached exactly at b = -a; 1 against zero
    worst = 0.0
    for _ in range(200):
        a = rng.standard_normal(5) * 10 ** rng.uniform(-3, 3)
        b = rng.standard_normal(5) * 10 ** rng.uniform(-3, 3)
        worst = max(worst, cnnlit.relative_error(a, b))
    assert 1.0 < worst <= 2.0
    a = rng.standard_normal((3, 4))
    assert cnnlit.relative_error(a, -a) == 2.0
    assert cnnlit.relative_error(a, 0 * a) == 1.0
    assert cnnlit.relative_error(a, -0.5 * a) == 1.5  # ||1.5 a|| / ||a||


# ---------------------------------------------------------------------------
# bad input; numerical_gradient and relative_error never lie
# ---------------------------------------------------------------------------

GRADCHECK_BAD = [
    (
        "f not callable",
        lambda: cnnlit.numerical_gradient(3, np.ones(2)),
        TypeError,
        r"f must be callable, got int",
    ),
    (
        "eps zero",
        lambda: cnnlit.numerical_gradient(np.sum, np.ones(2), eps=0),
        ValueError,
        r"eps must be a positive real number, got 0",
    ),
    (
        "eps negative",
        lambda: cnnlit.numerical_gradient(np.sum, np.ones(2), eps=-1e-6),
        ValueError,
        r"eps must be a positive real number, got -1e-06",
    ),
    (
        "x complex",
        lambda: cnnlit.numerical_gradient(np.sum, np.ones(2) * 1j),
        TypeError,
        r"x must be real-valued",
    ),
    (
        "relative_error shapes",
        lambda: cnnlit.relative_error(np.ones(3), np.ones(4)),
        ValueError,
        r"a and b must have the same shape, got \(3,\) and \(4,\)",
    ),
]


@pytest.mark.parametrize(
    "call, exc, pattern",
    [c[1:] for c in GRADCHECK_BAD],
    ids=[c[0] for c in GRADCHECK_BAD],
)
def test_gradcheck_bad_input(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


@pytest.mark.parametrize(
    "make",
    [
        np.asfortranarray,
        lambda a: np.ascontiguousarray(a.T).T,
        lambda a: a[::-1, ::-1].copy()[::-1, ::-1],
        lambda a: np.repeat(np.repeat(a, 2, axis=0), 3, axis=1)[::2, ::3],
    ],
    ids=["fortran", "transposed", "negative strides", "non-contiguous view"],
)
def test_numerical_gradient_any_layout(make, rng):
    # Regression: a Fortran-ordered x was copied by reshape(-1), so the steps
    # never reached f and the "gradient" was uninitialised memory.
    x0 = rng.standard_normal((3, 4))
    x = make(x0)
    np.testing.assert_array_equal(x, x0)
    g = cnnlit.numerical_gradient(lambda v: float(np.sum(v**3)), x)
    np.testing.assert_allclose(
        g, 3 * x0**2, rtol=1e-6, atol=1e-7
    )  # rounding: ~1e-16 |f| / eps


@pytest.mark.parametrize(
    "dtype", [np.float16, np.float32, np.float64, np.longdouble, np.int32]
)
def test_numerical_gradient_any_real_dtype(dtype):
    # d/dx sum(x^2) = 2x at values every dtype holds exactly; the result is float64.
    x = np.asfortranarray(np.array([[1, -2, 3], [4, 5, -6]], dtype=dtype))
    g = cnnlit.numerical_gradient(lambda v: float(np.sum(v**2)), x)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, 2 * x.astype(np.float64), rtol=1e-8)


# ---------------------------------------------------------------------------
# numerical_gradient and relative_error: the checks must never lie
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "eps",
    [math.inf, -math.inf, math.nan, 0.0, 0, -1e-6, np.float64(np.inf)],
    ids=repr,
)
def test_numerical_gradient_eps_must_be_finite_and_positive(eps):
    with pytest.raises(
        ValueError,
        match=r"eps must be a positive real number, got .*finite and > 0",
    ):
        cnnlit.numerical_gradient(np.sum, np.ones(2), eps=eps)


@pytest.mark.parametrize("eps", ["1e-6", None, True, 1e-6j], ids=repr)
def test_numerical_gradient_eps_must_be_a_real_number(eps):
    with pytest.raises(
        TypeError, match=r"eps must be a positive real number, got"
    ):
        cnnlit.numerical_gradient(np.sum, np.ones(2), eps=eps)


@pytest.mark.parametrize(
    "f, shown",
    [
        (lambda v: v * 2, r"an array of shape \(2,\)"),
        (lambda v: np.array([np.sum(v)]), r"an array of shape \(1,\)"),
        (lambda v: None, r"NoneType"),
        (lambda v: "3.0", r"str"),
        (lambda v: complex(np.sum(v)), r"complex"),
        (lambda v: bool(np.sum(v) > 0), r"a boolean"),
    ],
    ids=["array", "one-element array", "None", "string", "complex", "bool"],
)
def test_numerical_gradient_f_must_return_a_real_scalar(f, shown):
    with pytest.raises(
        TypeError, match=r"f must return a real scalar, got " + shown
    ):
        cnnlit.numerical_gradient(f, np.ones(2))


@pytest.mark.parametrize(
    "scalar",
    [np.float32, np.int64, np.array, int, float],
    ids=["float32", "int64", "0-d array", "int", "float"],
)
def test_numerical_gradient_accepts_every_real_scalar(scalar):
    # f = 2 * round(100 v[0]), returned as ``scalar``: exact in every type with eps = 0.01 -> (202 - 198) / 0.02
    g = cnnlit.numerical_gradient(
        lambda v: scalar(2 * round(float(v[0]) * 100)),
        np.array([1.0, 1.0]),
        eps=0.01,
    )
    np.testing.assert_allclose(g, [200.0, 0.0], rtol=1e-9)


@pytest.mark.parametrize(
    "a, b",
    [
        ([np.nan], [1.0]),
        ([1.0], [np.nan]),
        ([0.0], [np.nan]),
        ([np.nan], [0.0]),
        ([np.nan], [np.nan]),
        ([1.0, np.nan], [1.0, 2.0]),
        ([np.inf], [np.inf]),
        ([np.inf], [1.0]),
        ([0.0], [-np.inf]),
    ],
    ids=str,
)
def test_relative_error_never_reports_agreement_with_nan_or_inf(a, b):
    # Regression: relative_error([0.0], [nan]) was 0.0, a perfect match.
    err = cnnlit.relative_error(a, b)
    assert math.isnan(err)
    assert not err < 1e-8 and not err <= 0.0 and not err > 0.5


def test_relative_error_scale_safe():
    # Regression: 1e-170 squared underflowed (0.0 reported), 1e200 squared overflowed (nan).
    assert cnnlit.relative_error([1e-170], [0.0]) == 1.0
    assert cnnlit.relative_error([0.0], [1e-170]) == 1.0
    assert cnnlit.relative_error([1e200], [2e200]) == 0.5
    assert cnnlit.relative_error([5e-324], [0.0]) == 1.0
    assert (
        cnnlit.relative_error([1.7e308, -1.7e308], [-1.7e308, 1.7e308]) == 2.0
    )
    # the same ratio at every scale: [3, 4] against [3, 0] is 4 / 5
    for scale in (1e-300, 1e-160, 1.0, 1e160, 1e300):
        assert cnnlit.relative_error(
            np.array([3.0, 4.0]) * scale, np.array([3.0, 0.0]) * scale
        ) == pytest.approx(0.8)


@FEW
@given(st.integers(0, 2**32 - 1), st.integers(-300, 300))
def test_relative_error_symmetric(seed, exponent):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(5) * 10.0**exponent
    b = a + rng.standard_normal(5) * 10.0 ** (exponent - rng.integers(0, 10))
    assert cnnlit.relative_error(a, b) == cnnlit.relative_error(b, a)
    assert 0 <= cnnlit.relative_error(a, b) <= 2


def test_numerical_gradient_and_relative_error_in_the_books_pattern(rng):
    # The chapters' pattern: analytic gradient against finite differences of
    # sum(g * f(x)) with a random upstream g, on a Fortran-ordered input.
    x = np.asfortranarray(rng.standard_normal((4, 3)))
    g = rng.standard_normal((4, 3))
    numeric = cnnlit.numerical_gradient(lambda v: np.sum(g * cnnlit.tanh(v)), x)
    assert cnnlit.relative_error(g * cnnlit.tanh_prime(x), numeric) < 1e-8
    assert (
        cnnlit.relative_error(g * cnnlit.tanh_prime(x.T.T + 0.1), numeric)
        > 1e-3
    )
