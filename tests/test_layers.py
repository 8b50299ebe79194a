"""Tests of cnnlit.layers and cnnlit.base_layer: what each layer computes, its parameters by name, shapes, bad input, initialisation by fan-in."""

import numpy as np
import pytest

from cnnlit import (
    conv_forward,
    dense_forward,
    pool_forward,
    relu,
)
from cnnlit.base_layer import Layer
from cnnlit.layers import Activation, Conv2D, Dense, Flatten, Pool
from cnnlit.network import Network, check_gradients

# ----- the layers call the package functions -------------------------------------------------


def test_layers_call_the_package_functions():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 1, 6, 6))
    conv = Conv2D(1, 2, 3, rng=rng, padding=1)
    conv.b = rng.standard_normal(2)
    c = conv.forward(x)
    np.testing.assert_array_equal(c, conv_forward(x, conv.w, conv.b, padding=1))
    np.testing.assert_array_equal(Pool(2).forward(c), pool_forward(c, 2))
    np.testing.assert_array_equal(Activation("relu").forward(c), relu(c))
    dense = Dense(72, 3, rng=rng)
    dense.b = rng.standard_normal(3)
    flat = Flatten().forward(c)
    assert flat.shape == (2, 72)
    np.testing.assert_array_equal(
        dense.forward(flat), dense_forward(flat, dense.w, dense.b)
    )


def test_layers_without_bias_compute_the_sum_alone():
    rng = np.random.default_rng(14)
    x = rng.standard_normal((2, 1, 6, 6))
    conv = Conv2D(1, 2, 3, rng=rng, padding=1, bias=False)
    assert (
        conv.b is None
        and conv.dE_db is None
        and list(conv.params) == ["w"]
        and list(conv.grads) == ["w"]
    )
    # an independent oracle: the same kernels in a layer whose bias is zero
    with_zero_bias = Conv2D(1, 2, 3, rng=rng, padding=1)
    with_zero_bias.w = conv.w
    np.testing.assert_array_equal(conv.forward(x), with_zero_bias.forward(x))
    dense = Dense(6, 3, rng=rng, bias=False)
    f = rng.standard_normal((4, 6))
    np.testing.assert_allclose(dense.forward(f), f @ dense.w.T, rtol=1e-14)
    dense.backward(np.ones((4, 3)))
    assert dense.dE_db is None and set(dense.grads) == {"w"}
    np.testing.assert_allclose(dense.dE_dw, np.ones((3, 4)) @ f, rtol=1e-14)
    assert "bias=False" in repr(conv) and "bias=False" in repr(dense)
    with pytest.raises(
        ValueError,
        match=r"Dense.b cannot be set: the layer has no parameter 'b' \(built with bias=False\)",
    ):
        dense.b = np.zeros(3)


# ----- parameters by name --------------------------------------------------------------------


def test_params_and_grads_are_named_and_read_on_access():
    rng = np.random.default_rng(20)
    dense = Dense(3, 2, rng=rng)
    assert list(dense.params) == ["w", "b"] and list(dense.grads) == ["w", "b"]
    assert dense.params["w"] is dense.w and dense.params["b"] is dense.b
    assert dense.grads["w"] is dense.dE_dw and dense.grads["b"] is dense.dE_db
    new_w = rng.standard_normal((2, 3))
    dense.w = new_w
    assert dense.params["w"] is dense.w
    np.testing.assert_array_equal(dense.params["w"], new_w)
    dense.forward(np.ones((1, 3)))
    dense.backward(np.ones((1, 2)))
    assert (
        dense.grads["w"] is dense.dE_dw
    )  # the new gradient, not one taken at construction
    np.testing.assert_array_equal(dense.dE_dw, np.ones((2, 3)))
    assert Layer().params == {} and Layer().grads == {}


def test_assigned_parameter_is_copied_into_the_layer_dtype():
    dense = Dense(2, 2, rng=np.random.default_rng(0), dtype=np.float32)
    w = np.array([[1, 2], [3, 4]])  # integers
    dense.w = w
    assert dense.w.dtype == np.float32 and not np.shares_memory(dense.w, w)
    dense.w += (
        1  # training writes into the layer's array, never into the caller's
    )
    np.testing.assert_array_equal(w, [[1, 2], [3, 4]])


@pytest.mark.parametrize(
    "layer, name, value, exc, match",
    [
        (
            Dense(3, 2, rng=np.random.default_rng(0)),
            "w",
            np.zeros((3, 2)),
            ValueError,
            r"Dense.w must have shape \(2, 3\), got shape \(3, 2\)",
        ),
        (
            Dense(3, 2, rng=np.random.default_rng(0)),
            "b",
            np.zeros(3),
            ValueError,
            r"Dense.b must have shape \(2,\), got shape \(3,\)",
        ),
        (
            Conv2D(1, 2, 3, rng=np.random.default_rng(0)),
            "w",
            np.zeros((2, 1, 2, 2)),
            ValueError,
            r"Conv2D.w must have shape \(2, 1, 3, 3\)",
        ),
        (
            Conv2D(1, 2, 3, rng=np.random.default_rng(0)),
            "w",
            np.zeros((2, 1, 3, 3), complex),
            TypeError,
            "Conv2D.w must be real-valued",
        ),
    ],
)
def test_assigning_a_parameter_of_the_wrong_shape_or_type(
    layer, name, value, exc, match
):
    before = layer.params[name].copy()
    with pytest.raises(exc, match=match):
        setattr(layer, name, value)
    np.testing.assert_array_equal(layer.params[name], before)


# ----- shapes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "size, stride, shape, want",
    [
        # (H - k) // s + 1 by hand
        (2, None, (3, 8, 8), (3, 4, 4)),
        (3, 1, (1, 5, 7), (1, 3, 5)),
        ((2, 3), (1, 2), (2, 6, 7), (2, 5, 3)),
        (2, 3, (1, 7, 7), (1, 2, 2)),
    ],
)
def test_pool_output_shape_by_hand_and_like_forward(size, stride, shape, want):
    pool = Pool(size, stride=stride)
    assert pool.output_shape(shape) == want
    assert pool.forward(np.zeros((1,) + shape)).shape[1:] == want


@pytest.mark.parametrize(
    "layer, shape",
    [
        (Pool(3), (1, 2, 5)),
        (Pool((2, 4)), (1, 4, 3)),
        (Conv2D(1, 1, 3, rng=np.random.default_rng(0)), (1, 2, 2)),
    ],
    ids=["pool-rows", "pool-cols", "conv"],
)
def test_output_shape_raises_where_forward_raises(layer, shape):
    # Regression guard: Pool.output_shape returned zero or negative sizes for a window
    # larger than the input, where forward raises.
    with pytest.raises(ValueError, match="larger than"):
        layer.forward(np.zeros((1,) + shape))
    with pytest.raises(ValueError, match="larger than the padded input"):
        layer.output_shape(shape)


# ----- inputs kept by reference --------------------------------------------------------------


def test_layers_keep_a_reference_to_their_input():
    # As the Layer docstring says: changing the input in place between forward and
    # backward changes the gradients.
    dense = Dense(2, 1, rng=np.random.default_rng(0))
    x = np.array([[1.0, 2.0]])
    dense.forward(x)
    assert dense.o_prev is x
    x *= 10
    dense.backward(np.ones((1, 1)))
    np.testing.assert_array_equal(dense.dE_dw, [[10.0, 20.0]])


# ----- bad input -----------------------------------------------------------------------------


RNG = np.random.default_rng(0)


@pytest.mark.parametrize(
    "make, exc, match",
    [
        (lambda: Conv2D(0, 2, 3, rng=RNG), ValueError, "C_in must be >= 1"),
        (lambda: Conv2D(1, 2.5, 3, rng=RNG), TypeError, "C_out must be an int"),
        (
            lambda: Conv2D(1, 2, 3, rng="0"),
            TypeError,
            "rng must be a numpy.random.Generator, an int seed or None, got str",
        ),
        (lambda: Conv2D(1, 2, 3, rng=-1), ValueError, "rng must be >= 0"),
        (
            lambda: Conv2D(1, 2, 3, init="orthogonal"),
            ValueError,
            "init must be one of 'he', 'glorot', 'zeros'",
        ),
        (
            lambda: Conv2D(1, 2, 3, padding="valid"),
            ValueError,
            "padding must be one of 'same'; got 'valid'",
        ),
        (
            lambda: Conv2D(1, 2, 3, padding="same", stride=2),
            ValueError,
            r"padding='same' needs stride 1 .* got stride \(2, 2\)",
        ),
        (
            lambda: Conv2D(1, 2, 3, dilation=0),
            ValueError,
            "dilation must be >= 1",
        ),
        (
            lambda: Dense(2, 3, bias="yes"),
            TypeError,
            "bias must be True or False",
        ),
        (
            lambda: Conv2D(1, 2, 3, rng=RNG, padding=-1),
            ValueError,
            "padding must be >= 0",
        ),
        (
            lambda: Conv2D(1, 2, 3, rng=RNG, convention="conv"),
            ValueError,
            "convention must be one of 'convolution', 'correlation'",
        ),
        (
            lambda: Conv2D(1, 2, 3, rng=RNG, dtype=np.int32),
            ValueError,
            "dtype must be float32 or float64",
        ),
        (
            lambda: Conv2D(1, 2, 3, rng=RNG, dtype="foo"),
            TypeError,
            "dtype must be float32 or float64, got 'foo'",
        ),
        (lambda: Dense(3, 0, rng=RNG), ValueError, "D_out must be >= 1"),
        (
            lambda: Activation("softplus"),
            ValueError,
            "name must be one of 'sigmoid', 'tanh', 'relu'",
        ),
        (
            lambda: Pool(2, mode="median"),
            ValueError,
            "mode must be one of 'max', 'mean'",
        ),
        (lambda: Pool(0), ValueError, "size must be >= 1"),
    ],
)
def test_bad_arguments(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


@pytest.mark.parametrize(
    "layer, x, match",
    [
        (
            Conv2D(2, 3, 3, rng=RNG),
            np.zeros((1, 1, 5, 5)),
            r"x must have C_in=2 channels .* got shape \(1, 1, 5, 5\)",
        ),
        (
            Conv2D(2, 3, 3, rng=RNG),
            np.zeros((5, 5)),
            r"x must have shape \(N, C_in, H, W\) or \(C_in, H, W\)",
        ),
        (
            Conv2D(1, 3, 3, rng=RNG),
            np.zeros((1, 1, 2, 2)),
            "larger than the padded input",
        ),
        (
            Dense(4, 2, rng=RNG),
            np.zeros((3, 5)),
            r"x must have shape \(N, 4\) \(D_in=4\), got shape \(3, 5\)",
        ),
        (
            Dense(4, 2, rng=RNG),
            np.zeros((3, 2, 2)),
            r"x must have shape \(N, D_in\)",
        ),
        (Pool(2), np.zeros((3, 4)), r"x must have shape \(N, C, H, W\)"),
        (Pool(3), np.zeros((1, 1, 2, 2)), "larger than the input"),
        (Flatten(), np.zeros(3), r"x must have shape \(N, \.\.\.\)"),
        (Activation("relu"), np.array(["a"]), "x must be a real numeric array"),
    ],
)
def test_layer_shape_errors(layer, x, match):
    with pytest.raises((ValueError, TypeError), match=match):
        layer.forward(x)


def test_backward_errors():
    conv = Conv2D(1, 2, 3, rng=np.random.default_rng(0))
    with pytest.raises(
        RuntimeError, match="Conv2D.backward called before forward"
    ):
        conv.backward(np.zeros((1, 2, 2, 2)))
    conv.forward(np.zeros((1, 1, 4, 4)))
    with pytest.raises(ValueError, match="delta must have the shape"):
        conv.backward(np.zeros((1, 2, 3, 3)))
    act = Activation("tanh")
    act.forward(np.zeros((2, 3)))
    with pytest.raises(
        ValueError,
        match=r"dE_do must have the shape of the forward output, \(2, 3\)",
    ):
        act.backward(np.zeros((3, 2)))
    flat = Flatten()
    flat.forward(np.zeros((2, 3, 2)))
    with pytest.raises(ValueError, match=r"dE_do must have 12 elements"):
        flat.backward(np.zeros((2, 5)))


def test_base_layer_passes_through():
    layer = Layer()
    x = np.arange(3.0)
    assert (
        layer.forward(x) is x
        and layer.backward(x) is x
        and layer.params == {}
        and layer.config() == {}
    )


# ----- initialisation by fan-in --------------------------------------------------------------


def test_default_initialisation_is_he_before_a_relu_and_glorot_otherwise():
    first, last = Dense(400, 300, rng=0), Dense(300, 200, rng=1)
    conv = Conv2D(8, 16, 3, rng=2)
    Network([conv, Activation("tanh"), Flatten()])
    Network([first, Activation("relu"), last])
    # sample variances of 120,000, 60,000 and 1,152 draws against 2 / fan_in and 2 / (fan_in + fan_out)
    assert abs(first.w.var() / (2 / 400) - 1) < 0.02
    assert abs(last.w.var() / (2 / (300 + 200)) - 1) < 0.02
    assert abs(conv.w.var() / (2 / (72 + 144)) - 1) < 0.12
    assert not first.b.any() and not last.b.any()


def test_explicit_initialisations_and_seeds():
    he = Dense(500, 400, init="he", rng=3)
    glorot = Dense(500, 400, init="glorot", rng=3)
    Network([he])  # an explicit choice is kept whatever follows
    assert abs(he.w.var() / (2 / 500) - 1) < 0.02
    np.testing.assert_allclose(glorot.w, he.w * np.sqrt(500 / 900))
    assert not Dense(3, 2, init="zeros").w.any()
    np.testing.assert_array_equal(
        Conv2D(1, 2, 3, rng=5).w,
        Conv2D(1, 2, 3, rng=np.random.default_rng(5)).w,
    )
    assert not np.array_equal(Conv2D(1, 2, 3).w, Conv2D(1, 2, 3).w)


def test_a_network_does_not_rescale_weights_the_caller_set():
    layer = Dense(2, 2, rng=0)
    layer.w = [[1.0, 2.0], [3.0, 4.0]]
    in_place = Conv2D(1, 1, 3, rng=0)
    in_place.w[...] = 1.0
    Network([layer, in_place])
    np.testing.assert_array_equal(layer.w, [[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(in_place.w, np.ones((1, 1, 3, 3)))


# ----- padding='same', dilation, dtype -------------------------------------------------------


def conv_by_loops(x, w, b, top, left, bottom, right, d, flip):
    """The layer's sum written out: zeros added per side, taps ``d`` apart, kernel flipped for a convolution."""
    N, C, H, W = x.shape
    M, _, kH, kW = w.shape
    xp = np.zeros((N, C, H + top + bottom, W + left + right))
    xp[:, :, top : top + H, left : left + W] = x
    k = w[:, :, ::-1, ::-1] if flip else w
    Ho = xp.shape[2] - d[0] * (kH - 1)
    Wo = xp.shape[3] - d[1] * (kW - 1)
    out = np.zeros((N, M, Ho, Wo))
    for n in range(N):
        for m in range(M):
            for i in range(Ho):
                for j in range(Wo):
                    total = b[m]
                    for c in range(C):
                        for u in range(kH):
                            for v in range(kW):
                                total += (
                                    k[m, c, u, v]
                                    * xp[n, c, i + d[0] * u, j + d[1] * v]
                                )
                    out[n, m, i, j] = total
    return out


@pytest.mark.parametrize(
    "k, dilation, convention",
    [
        (3, 1, "convolution"),
        (2, 1, "correlation"),
        ((4, 3), 1, "convolution"),
        (2, (2, 3), "correlation"),
        ((3, 2), 2, "convolution"),
    ],
)
def test_same_padding_keeps_the_size_by_pytorchs_rule(k, dilation, convention):
    rng = np.random.default_rng(11)
    layer = Conv2D(
        2, 3, k, padding="same", dilation=dilation, convention=convention, rng=1
    )
    layer.b = rng.standard_normal(3)
    x = rng.standard_normal((2, 2, 6, 7))
    out = layer.forward(x)
    assert out.shape == (2, 3, 6, 7) == (2,) + layer.output_shape((2, 6, 7))
    # PyTorch: total = d (k - 1) zeros, total // 2 before, the rest after
    kH, kW = (k, k) if isinstance(k, int) else k
    dH, dW = (dilation, dilation) if isinstance(dilation, int) else dilation
    tH, tW = dH * (kH - 1), dW * (kW - 1)
    want = conv_by_loops(
        x,
        layer.w,
        layer.b,
        tH // 2,
        tW // 2,
        tH - tH // 2,
        tW - tW // 2,
        (dH, dW),
        convention == "convolution",
    )
    np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-12)
    check = check_gradients(Network([layer]), x)
    assert check.worst < 1e-5, check


def test_dilation_and_stride_against_the_loops():
    rng = np.random.default_rng(12)
    layer = Conv2D(
        2, 2, (2, 3), stride=(2, 1), padding=(1, 0), dilation=(2, 1), rng=0
    )
    x = rng.standard_normal((1, 2, 7, 6))
    full = conv_by_loops(x, layer.w, layer.b, 1, 0, 1, 0, (2, 1), True)
    np.testing.assert_allclose(layer.forward(x), full[:, :, ::2, :], atol=1e-12)
    assert layer.config()["dilation"] == [2, 1]


def test_layers_compute_in_their_own_dtype():
    x64 = np.random.default_rng(0).standard_normal((2, 1, 5, 5))
    net32 = Network(
        [
            Conv2D(1, 2, 3, dtype=np.float32, rng=0),
            Flatten(),
            Dense(18, 3, dtype=np.float32, rng=1),
        ]
    )
    assert net32.dtype == np.float32 and net32.forward(x64).dtype == np.float32
    assert net32.backward(np.ones((2, 3))).dtype == np.float32
    net64 = net32.astype(np.float64)
    assert net64.dtype == np.float64
    assert net64.forward(x64.astype(np.float32)).dtype == np.float64
    np.testing.assert_allclose(
        net64.forward(x64), net32.forward(x64), rtol=1e-5, atol=1e-5
    )
    raw = np.arange(25).reshape(
        1, 1, 5, 5
    )  # integers: computed in the layer's dtype
    assert net32.forward(raw).dtype == np.float32
