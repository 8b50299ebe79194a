"""Activations and their derivatives: values, finite differences, stability, dtypes."""

import math
import warnings

import numpy as np
import pytest
from scipy import special

import cnnlit

ACTIVATIONS = [
    (cnnlit.sigmoid, cnnlit.sigmoid_prime),
    (cnnlit.tanh, cnnlit.tanh_prime),
    (cnnlit.relu, cnnlit.relu_prime),
]
IDS = ["sigmoid", "tanh", "relu"]
ALL_FUNCTIONS = [f for pair in ACTIVATIONS for f in pair]
ALL_IDS = [f.__name__ for f in ALL_FUNCTIONS]


def _expit_prime(c):
    # a(c) (1 - a(c)) written as a(c) a(-c): no cancellation in 1 - a(c) for large c
    return special.expit(c) * special.expit(-c)


# Independent formulas for the values (scipy, the math module, comparisons).
ORACLES = {
    "sigmoid": special.expit,
    "sigmoid_prime": _expit_prime,
    "tanh": np.vectorize(math.tanh, otypes=[float]),
    "tanh_prime": np.vectorize(
        lambda v: 1.0 / math.cosh(v) ** 2, otypes=[float]
    ),
    "relu": lambda c: np.where(c > 0, c, 0.0),
    "relu_prime": lambda c: (c > 0) * 1.0,
}


def away_from_zero(rng, shape):
    """Random values with |c| >= 0.1, so the ReLU's kink is never within a finite-difference step."""
    c = rng.uniform(0.1, 3.0, size=shape)
    return c * rng.choice([-1.0, 1.0], size=shape)


# ---------------------------------------------------------------------------
# values against independent formulas
# ---------------------------------------------------------------------------


def test_sigmoid_values(rng):
    c = rng.uniform(-30, 30, size=(3, 4))
    np.testing.assert_allclose(cnnlit.sigmoid(c), special.expit(c), rtol=1e-14)
    # by hand: a(0) = 1/2, a(log 3) = 1 / (1 + 1/3) = 3/4
    np.testing.assert_allclose(
        cnnlit.sigmoid(np.array([0.0, math.log(3.0)])), [0.5, 0.75], rtol=1e-15
    )


def test_sigmoid_prime_values(rng):
    c = rng.uniform(-30, 30, size=(3, 4))
    np.testing.assert_allclose(
        cnnlit.sigmoid_prime(c), _expit_prime(c), rtol=1e-12, atol=1e-300
    )
    # by hand: a'(log 3) = 3/4 * 1/4 = 3/16
    np.testing.assert_allclose(
        cnnlit.sigmoid_prime(np.array([math.log(3.0)])), [3 / 16], rtol=1e-14
    )


def test_tanh_values(rng):
    c = rng.uniform(-5, 5, size=(2, 3, 4))
    want = np.vectorize(math.tanh)(c)
    np.testing.assert_allclose(cnnlit.tanh(c), want, rtol=1e-14)


def test_tanh_prime_values(rng):
    c = rng.uniform(-5, 5, size=(2, 3, 4))
    want = np.vectorize(lambda v: 1.0 / math.cosh(v) ** 2)(c)
    np.testing.assert_allclose(cnnlit.tanh_prime(c), want, rtol=1e-12)


def test_relu_and_prime_values():
    c = np.array([[-2.0, -0.0, 0.0, 1e-300, 3.5]])
    np.testing.assert_array_equal(
        cnnlit.relu(c), [[0.0, 0.0, 0.0, 1e-300, 3.5]]
    )
    # the derivative at the kink is 0 by the package's convention
    np.testing.assert_array_equal(
        cnnlit.relu_prime(c), [[0.0, 0.0, 0.0, 1.0, 1.0]]
    )


# ---------------------------------------------------------------------------
# derivatives against finite differences, with a random upstream gradient
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("act, act_prime", ACTIVATIONS, ids=IDS)
@pytest.mark.parametrize("shape", [(7,), (2, 3, 4), (2, 2, 3, 3)], ids=str)
def test_prime_against_finite_differences(act, act_prime, shape, rng):
    # d/dc of sum(g * a(c)) is g * a'(c), elementwise.
    c = away_from_zero(rng, shape)
    g = rng.standard_normal(shape)
    numeric = cnnlit.numerical_gradient(lambda v: np.sum(g * act(v)), c)
    np.testing.assert_allclose(g * act_prime(c), numeric, rtol=1e-7, atol=1e-9)


# ---------------------------------------------------------------------------
# stability at large |c|
# ---------------------------------------------------------------------------

BIG = np.array([-1000.0, -745.5, -50.0, 0.0, 50.0, 745.5, 1000.0])


@pytest.mark.parametrize("f", ALL_FUNCTIONS, ids=ALL_IDS)
def test_no_warning_at_large_inputs(f):
    # Regression guard: exp(-c) for c = -1000 overflows in the naive sigmoid.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            out = f(BIG)
    assert np.all(np.isfinite(out))


@pytest.mark.parametrize("f", ALL_FUNCTIONS, ids=ALL_IDS)
def test_no_floating_point_error_of_any_kind_at_large_inputs(f):
    # Stricter: a program running under np.seterr(all="raise") must be able to call
    # the activations at |c| = 1000. Regression guard: exp(-1000) underflowed in
    # sigmoid and sigmoid_prime and raised FloatingPointError.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            out = f(BIG)
    assert np.all(np.isfinite(out))


def test_limits_at_large_inputs():
    np.testing.assert_array_equal(
        cnnlit.sigmoid(np.array([-1000.0, 1000.0])), [0.0, 1.0]
    )
    np.testing.assert_array_equal(
        cnnlit.sigmoid_prime(np.array([-1000.0, 1000.0])), [0.0, 0.0]
    )
    np.testing.assert_array_equal(
        cnnlit.tanh(np.array([-1000.0, 1000.0])), [-1.0, 1.0]
    )
    np.testing.assert_array_equal(
        cnnlit.tanh_prime(np.array([-1000.0, 1000.0])), [0.0, 0.0]
    )
    # sigmoid keeps its relative accuracy far into the negative tail: a(-700) = e^-700 / (1 + e^-700)
    np.testing.assert_allclose(
        cnnlit.sigmoid(np.array([-700.0])), [math.exp(-700.0)], rtol=1e-13
    )


def test_sigmoid_symmetry(rng):
    # a(-c) = 1 - a(c) (checked where 1 - a(c) is not all rounding)
    c = rng.uniform(-10, 10, size=50)
    np.testing.assert_allclose(
        cnnlit.sigmoid(-c), 1 - cnnlit.sigmoid(c), atol=1e-15
    )


# ---------------------------------------------------------------------------
# dtypes and inputs
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("f", ALL_FUNCTIONS, ids=ALL_IDS)
def test_float32_in_float32_out(f, rng):
    c = rng.standard_normal((3, 4)).astype(np.float32)
    out = f(c)
    assert out.dtype == np.float32 and out.shape == (3, 4)
    np.testing.assert_allclose(
        out, ORACLES[f.__name__](c.astype(np.float64)), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize("f", ALL_FUNCTIONS, ids=ALL_IDS)
def test_integer_input_computed_in_float64(f):
    c = np.array([-2, 0, 3])
    out = f(c)
    assert out.dtype == np.float64
    np.testing.assert_allclose(
        out, ORACLES[f.__name__](c.astype(np.float64)), rtol=1e-14
    )


def test_integer_input_values():
    # sigmoid(1) must not be truncated to an integer: 1 / (1 + e^-1) = 0.7310585786...
    np.testing.assert_allclose(
        cnnlit.sigmoid(np.array([1])), [1 / (1 + math.exp(-1))], rtol=1e-15
    )
    np.testing.assert_array_equal(
        cnnlit.relu_prime(np.array([-1, 0, 2])), [0.0, 0.0, 1.0]
    )


@pytest.mark.parametrize("f", ALL_FUNCTIONS, ids=ALL_IDS)
def test_read_only_input_unchanged(f, rng):
    c = rng.standard_normal((2, 3, 4))
    c_copy = c.copy()
    c.setflags(write=False)
    f(c)
    np.testing.assert_array_equal(c, c_copy)


@pytest.mark.parametrize("f", ALL_FUNCTIONS, ids=ALL_IDS)
def test_accepts_lists_and_scalars(f):
    np.testing.assert_allclose(
        f([0.5, -0.5]), ORACLES[f.__name__](np.array([0.5, -0.5])), rtol=1e-14
    )
    assert np.shape(f(0.5)) == ()


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------

BAD_INPUT_FUNCTIONS = [
    cnnlit.sigmoid,
    cnnlit.sigmoid_prime,
    cnnlit.tanh,
    cnnlit.tanh_prime,
    cnnlit.relu,
    cnnlit.relu_prime,
]


@pytest.mark.parametrize(
    "f", BAD_INPUT_FUNCTIONS, ids=[f.__name__ for f in BAD_INPUT_FUNCTIONS]
)
@pytest.mark.parametrize(
    "bad, pattern",
    [
        (
            np.ones(3) * 1j,
            r"c must be real-valued, got a complex array \(dtype complex128\)",
        ),
        (
            np.array(["a", "b"]),
            r"c must be a real numeric array, got dtype <U1",
        ),
        (
            np.array([1.0, None], dtype=object),
            r"c must be a real numeric array, got dtype object",
        ),
        (["1", "2"], r"c must be a real numeric array, got dtype <U1"),
    ],
    ids=["complex", "strings", "objects", "list of strings"],
)
def test_activation_bad_input(f, bad, pattern):
    with pytest.raises(TypeError, match=pattern):
        f(bad)
