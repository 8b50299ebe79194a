"""cnnlit._im2col: the column matrix does not depend on the strides numpy
gives to axes of length 1."""

import numpy as np
import pytest

import cnnlit
from cnnlit import reference


@pytest.mark.parametrize("convention", ["convolution", "correlation"])
def test_one_column_input_made_with_none(convention):
    # np.arange(6.0)[None, :, None] has strides (0, 8, 0): its last axis, of
    # length 1, has stride 0, which the wide layout used to step with
    o = np.arange(6.0)[None, :, None]
    assert o.strides[-1] == 0
    w = np.array([1.0, 2.0, 4.0])[None, None, :, None]
    delta = np.array([1.0, -1.0, 2.0, 3.0])[None, :, None]
    c = cnnlit.conv_forward(o, w, np.zeros(1), convention=convention)
    c_ref = reference.conv_forward(
        o[None], w, np.zeros(1), convention=convention
    )
    np.testing.assert_allclose(c, c_ref[0])
    np.testing.assert_allclose(
        c, cnnlit.conv_forward(o.copy(), w, np.zeros(1), convention=convention)
    )
    grads = cnnlit.conv_backward(delta, o, w, convention=convention)
    grads_ref = reference.conv_backward(
        delta[None], o[None], w, convention=convention
    )
    np.testing.assert_allclose(grads[0], grads_ref[0])
    np.testing.assert_allclose(grads[2], grads_ref[2][0])
