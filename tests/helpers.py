"""Helpers shared by the test modules (imported as ``from helpers import ...``).

pytest puts this directory on ``sys.path`` (the test files are not a package),
so every test module can import them.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from cnnlit.network import Activation, Conv2D, Dense, Flatten, Network, Pool

# np.pad's names for scipy.signal's boundary flags, written here independently of
# the package's own map (cnnlit.padding.NP_PAD_MODE), which the tests check.
NP_PAD = {"fill": "constant", "wrap": "wrap", "symm": "symmetric"}


def two(v):
    """An int or a pair as a pair: ``two(3) == (3, 3)``."""
    return (v, v) if np.isscalar(v) else tuple(v)


def distinct_values(rng, shape):
    """Random values at least 0.01 apart: no ties, and the max never changes within a finite-difference step."""
    return rng.permutation(np.prod(shape)).reshape(shape) * 0.01 + rng.uniform(
        0, 0.001, size=shape
    )


def small_network(seed=0, dtype=np.float64, last="sigmoid", bias=True):
    """Every layer kind, non-square kernel, stride, C_in != C_out; inputs of shape (N, 2, 5, 6)."""
    rng = np.random.default_rng(seed)
    layers = [
        Conv2D(
            2, 3, (3, 2), rng=rng, padding=1, dtype=dtype, bias=bias
        ),  # (3, 5, 7)
        Activation("tanh"),
        Pool(2, stride=1),  # (3, 4, 6)
        Conv2D(
            3, 2, 2, rng=rng, stride=2, convention="correlation", dtype=dtype
        ),  # (2, 2, 3)
        Activation("relu"),
        Pool(2, stride=1, mode="mean"),  # (2, 1, 2)
        Flatten(),
        Dense(4, 5, rng=rng, dtype=dtype, bias=bias),
        Activation("sigmoid"),
        Dense(5, 4, rng=rng, dtype=dtype),
    ]
    if last:
        layers.append(Activation(last))
    return Network(layers)


# A few hypothesis examples per property (the slow ones run loops).
FEW = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def sprinkle(rng, a, fraction=0.08):
    """A copy of ``a`` with NaN, +inf and -inf at random places."""
    a = a.copy()
    spots = rng.random(a.shape) < fraction
    a[spots] = rng.choice([np.nan, np.inf, -np.inf], size=int(spots.sum()))
    return a


def assert_same_nonfinite(got, want, rtol=1e-9, atol=1e-9):
    """NaN, +inf and -inf in exactly the same places; the finite values close."""
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(np.isposinf(got), np.isposinf(want))
    np.testing.assert_array_equal(np.isneginf(got), np.isneginf(want))
    finite = np.isfinite(want)
    np.testing.assert_allclose(got[finite], want[finite], rtol=rtol, atol=atol)


# NaN and inf inputs: numpy says so while computing what scipy computes.
NONFINITE_INPUTS = pytest.mark.filterwarnings(
    "ignore:invalid value encountered:RuntimeWarning",
    "ignore:overflow encountered:RuntimeWarning",
)
# np.matrix inputs, read as the plain arrays they hold.
MATRIX_INPUTS = pytest.mark.filterwarnings(
    "ignore:the matrix subclass:PendingDeprecationWarning"
)
