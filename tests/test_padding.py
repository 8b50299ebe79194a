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
