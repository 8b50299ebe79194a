"""pad and pad_adjoint (cnnlit.padding) against np.pad, by hand, and as a transpose pair."""

import numpy as np
import pytest
from helpers import NP_PAD

from cnnlit.padding import NP_PAD_MODE, pad, pad_adjoint

BOUNDARIES = ["fill", "wrap", "symm"]


def test_flag_names_are_those_of_np_pad():
    assert NP_PAD_MODE == NP_PAD


def test_by_hand():
    x = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(pad(x, 0, 2, "fill"), [[0, 0, 1, 2, 3, 0, 0]])
    np.testing.assert_array_equal(
        pad(x, 0, 2, "fill", fillvalue=9), [[9, 9, 1, 2, 3, 9, 9]]
    )
    np.testing.assert_array_equal(pad(x, 0, 2, "wrap"), [[2, 3, 1, 2, 3, 1, 2]])
    np.testing.assert_array_equal(pad(x, 0, 2, "symm"), [[2, 1, 1, 2, 3, 3, 2]])
    # the adjoint of symm adds each padded pixel's gradient onto the pixel it copies:
    # the padded row 2 1 | 1 2 3 | 3 2 holds pixel 0 twice, pixel 1 three times, pixel 2 twice
    np.testing.assert_array_equal(
        pad_adjoint(np.ones((1, 7)), 0, 2, "symm", 1, 3), [[2, 3, 2]]
    )


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("ph, pw", [(0, 0), (1, 2), (4, 5), (3, 0)], ids=str)
def test_pad_equals_np_pad_and_adjoint_identity(boundary, ph, pw, rng):
    x = rng.standard_normal((2, 3, 4, 3))
    padded = pad(x, ph, pw, boundary)
    np.testing.assert_array_equal(
        padded,
        np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), mode=NP_PAD[boundary]),
    )
    g = rng.standard_normal(padded.shape)
    back = pad_adjoint(g, ph, pw, boundary, 4, 3)
    assert back.shape == x.shape
    # <pad(x), g> == <x, pad^T(g)>
    assert abs(np.vdot(padded, g) - np.vdot(x, back)) <= 1e-12 * max(
        1.0, abs(np.vdot(padded, g))
    )


def test_inputs_not_modified(rng):
    x = rng.standard_normal((3, 4))
    g = rng.standard_normal((5, 8))
    x0, g0 = x.copy(), g.copy()
    x.setflags(write=False)
    g.setflags(write=False)
    pad(x, 1, 2, "wrap")
    pad_adjoint(g, 1, 2, "wrap", 3, 4)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(g, g0)


@pytest.mark.parametrize(
    "kind", [np.uint8, np.int8, np.int16, np.uint64], ids=lambda t: t.__name__
)
@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_numpy_integer_sizes_compute_as_python_ints(kind, boundary, rng):
    # pad_adjoint computes H + 2 ph: with np.uint8 arithmetic that wraps around
    H, W, ph, pw = 5, 120, 3, 4
    g = rng.standard_normal((2, H + 2 * ph, W + 2 * pw))
    want = pad_adjoint(g, ph, pw, boundary, H, W)
    got = pad_adjoint(g, kind(ph), kind(pw), boundary, kind(H), kind(W))
    np.testing.assert_array_equal(got, want)
    x = rng.standard_normal((H, W))
    np.testing.assert_array_equal(
        pad(x, kind(ph), kind(pw), boundary), pad(x, ph, pw, boundary)
    )


def test_padding_that_cannot_be_allocated_is_named():
    # np.pad said only "array is too big" or raised MemoryError
    with pytest.raises(
        ValueError,
        match=r"\(ph, pw\) = \(1000000000000, 0\) implies a padded array of shape "
        r"\(2000000000003, 3\)",
    ):
        pad(np.ones((3, 3)), 10**12, 0, "fill")
    with pytest.raises(ValueError, match=r"ph must be >= 0, got -1"):
        pad(np.ones((3, 3)), -1, 0, "fill")
    with pytest.raises(TypeError, match=r"pw must be an int, got 1.0"):
        pad(np.ones((3, 3)), 1, 1.0, "wrap")
