"""Tests of cnnlit.network: the layers, their parameters by name, initialisation, the whole-network backward pass and its check."""

import re
import subprocess
import sys

import numpy as np
import pytest
from helpers import small_network

import cnnlit
from cnnlit import (
    conv_forward,
    dense_forward,
    numerical_gradient,
    pool_forward,
    relative_error,
    relu,
)
from cnnlit.losses import LOSSES, loss_and_grad
from cnnlit.network import (
    Activation,
    Conv2D,
    Dense,
    Flatten,
    Layer,
    Network,
    Pool,
    check_gradients,
)


def param_check(net, x, f):
    """Relative error of every parameter gradient against central differences of ``f(x)``."""
    errors = []
    for layer in net.layers:
        grads = layer.grads
        for name, p in layer.params.items():
            g = grads[name].copy()

            def f_p(v, p=p):
                saved = p.copy()
                p[...] = v
                try:
                    return f(x)
                finally:
                    p[...] = saved

            errors.append(relative_error(g, numerical_gradient(f_p, p)))
    return errors


@pytest.mark.parametrize("loss", LOSSES)
def test_whole_network_gradient_on_the_loss(loss):
    rng = np.random.default_rng(1)
    net = small_network(
        last="sigmoid" if loss == "half_squared_error" else None
    )
    x = rng.standard_normal((2, 2, 5, 6))
    labels = np.array([0, 3])

    def f(v):
        return loss_and_grad(net.forward(v), labels, loss)[0]

    E, dE_do = loss_and_grad(net.forward(x), labels, loss)
    dE_dx = net.backward(dE_do)
    assert E == pytest.approx(f(x))
    assert max(param_check(net, x, f)) < 1e-6
    assert relative_error(dE_dx, numerical_gradient(f, x)) < 1e-6


def test_whole_network_gradient_with_random_upstream_gradient():
    rng = np.random.default_rng(2)
    net = small_network(seed=3)
    x = rng.standard_normal((2, 2, 5, 6))
    G = rng.standard_normal((2, 4))

    def f(v):
        return float(np.sum(net.forward(v) * G))

    net.forward(x)
    dE_dx = net.backward(G)
    assert max(param_check(net, x, f)) < 1e-6
    assert relative_error(dE_dx, numerical_gradient(f, x)) < 1e-6


def test_whole_network_gradient_without_biases():
    rng = np.random.default_rng(12)
    net = small_network(seed=4, bias=False)
    x = rng.standard_normal((2, 2, 5, 6))
    G = rng.standard_normal((2, 4))

    def f(v):
        return float(np.sum(net.forward(v) * G))

    net.forward(x)
    dE_dx = net.backward(G)
    assert max(param_check(net, x, f)) < 1e-6
    assert relative_error(dE_dx, numerical_gradient(f, x)) < 1e-6


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


def test_backward_stores_deltas_and_grads_of_the_right_shapes():
    net = small_network()
    x = np.random.default_rng(5).standard_normal((3, 2, 5, 6))
    out = net.forward(x)
    assert out.shape == (3, 4)
    net.backward(np.ones_like(out))
    conv = net.layers[0]
    assert conv.delta.shape == (3, 3, 5, 7)
    assert conv.o_prev is not None and conv.o_prev.shape == x.shape
    for p, g in zip(net.params.values(), net.grads.values(), strict=True):
        assert g.shape == p.shape and g.dtype == p.dtype


# ----- parameters by name ---------------------------------------------------------------------


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


# ----- shapes and summary ---------------------------------------------------------------------


def test_summary_matches_forward_shapes():
    net = small_network()
    rows = net.summary((2, 5, 6))
    shapes = [shape for _, shape, _ in rows]
    x = np.zeros((1, 2, 5, 6))
    for layer, shape in zip(net.layers, shapes, strict=True):
        x = layer.forward(x)
        assert x.shape[1:] == shape
    assert sum(n for _, _, n in rows) == sum(
        p.size for p in net.params.values()
    )


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


@pytest.mark.parametrize(
    "shape, match",
    [
        (
            (1, 2, 2),
            r"layer 0, Conv2D.* receives shape \(1, 2, 2\): .*larger than the padded input",
        ),
        (
            (1, 3, 3),
            r"layer 2, Pool.* receives shape \(2, 1, 1\): .*larger than the padded input",
        ),
        (
            (1, 8),
            r"layer 0, Conv2D.* takes one example of shape \(C_in, H, W\).*got shape \(1, 8\) \(2 dimensions\)",
        ),
        ((1, 8, 8, 1), r"layer 0, .*got shape \(1, 8, 8, 1\) \(4 dimensions\)"),
        ((2, 8, 8), r"layer 0, .*does not have C_in=1 channels"),
        (
            (1, 0, 8),
            r"layer 0, .*every size of the input shape \(1, 0, 8\) must be >= 1",
        ),
        (
            (1, 7, 8),
            r"layer 4, Dense.*receives shape \(12,\): input shape \(12,\) is not \(8,\)",
        ),
    ],
)
def test_summary_of_a_shape_the_network_cannot_take(shape, match):
    # Regression guard: summary reported negative sizes for an input too small for a layer.
    rng = np.random.default_rng(0)
    net = Network(
        [
            Conv2D(1, 2, 3, rng=rng),
            Activation("relu"),
            Pool(2),
            Flatten(),
            Dense(8, 3, rng=rng),
        ]
    )
    assert net.summary((1, 6, 6))[-1][1:] == (
        (3,),
        27,
    )  # 8 * 3 weights + 3 biases
    with pytest.raises(
        ValueError,
        match=re.escape(f"input_shape {shape} does not fit the network: ")
        + match,
    ):
        net.summary(shape)


def test_summary_input_shape_must_be_a_tuple():
    net = Network([Flatten()])
    with pytest.raises(TypeError, match="input_shape must be a tuple of ints"):
        net.summary(8)
    with pytest.raises(
        TypeError,
        match=r"every size of the input shape \(1.5,\) must be an int",
    ):
        net.summary((1.5,))


# ----- dtypes, determinism --------------------------------------------------------------------


def test_float32_stays_float32_and_inputs_are_not_modified():
    net = small_network(dtype=np.float32)
    x = (
        np.random.default_rng(6)
        .standard_normal((2, 2, 5, 6))
        .astype(np.float32)
    )
    x0 = x.copy()
    out = net.forward(x)
    assert out.dtype == np.float32
    E, g = loss_and_grad(out, np.array([1, 2]))
    assert g.dtype == np.float32
    assert net.backward(g).dtype == np.float32
    np.testing.assert_array_equal(x, x0)


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


def test_same_seed_same_network_and_outputs():
    x = np.random.default_rng(7).standard_normal((2, 2, 5, 6))
    a, b, c = (
        small_network(seed=0),
        small_network(seed=0),
        small_network(seed=1),
    )
    for p, q in zip(a.params.values(), b.params.values(), strict=True):
        np.testing.assert_array_equal(p, q)
    np.testing.assert_array_equal(a.forward(x), b.forward(x))
    assert not np.array_equal(a.forward(x), c.forward(x))


# ----- bad input ------------------------------------------------------------------------------

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
            lambda: Network(Conv2D(1, 2, 3)),
            TypeError,
            r"Network takes a list of layers, e.g. Network\(\[Conv2D\(...\), ...\]\); got a single Conv2D",
        ),
        (
            lambda: Network(3),
            TypeError,
            "layers must be a list of Layer objects, got int",
        ),
        (
            lambda: Network([Flatten()], input_shape=(0, 3)),
            ValueError,
            "every size of input_shape must be >= 1",
        ),
        (
            lambda: Network([Pool(4)], input_shape=(1, 2, 2)),
            ValueError,
            r"input_shape \(1, 2, 2\) does not fit the network: layer 0",
        ),
        (
            lambda: Network([Flatten()], input_scale=0),
            ValueError,
            "input_scale must be a finite number > 0",
        ),
        (
            lambda: Network([Flatten()], classes="abc"),
            TypeError,
            "classes must be a list of str or int",
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
        (lambda: Network([]), ValueError, "layers must be a non-empty list"),
        (
            lambda: Network([Flatten(), "relu"]),
            TypeError,
            r"layers\[1\] must be a Layer",
        ),
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
    with pytest.raises(TypeError, match="batch_size must be an int"):
        Network([Flatten()]).predict(np.zeros((2, 3)), batch_size=None)
    with pytest.raises(
        ValueError,
        match=r"x must have shape \(N, \.\.\.\), a batch .* got shape \(3,\)",
    ):
        Network([Flatten()]).predict(np.zeros(3))


def test_base_layer_passes_through():
    layer = Layer()
    x = np.arange(3.0)
    assert (
        layer.forward(x) is x
        and layer.backward(x) is x
        and layer.params == {}
        and layer.config() == {}
    )


# ----- initialisation by fan-in ----------------------------------------------------------------


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


# ----- padding='same', dilation, dtype ----------------------------------------------------------


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


# ----- single examples, parameters as dicts, summary ---------------------------------------------


def test_one_example_is_taken_everywhere_like_a_batch_of_one():
    net = small_network(last=None)
    x = np.random.default_rng(3).standard_normal((2, 5, 6))
    out = net.forward(x)
    np.testing.assert_allclose(out, net.forward(x[None])[0], rtol=1e-13)
    g = np.arange(4.0)
    net.forward(x)
    dx = net.backward(g)
    grads = {k: v.copy() for k, v in net.grads.items()}
    net.forward(x[None])
    np.testing.assert_allclose(dx, net.backward(g[None])[0], rtol=1e-13)
    for key, value in net.grads.items():
        np.testing.assert_allclose(grads[key], value, rtol=1e-13)
    k = net.predict(x)
    assert isinstance(k, int) and k == int(np.argmax(out))
    dense = Dense(3, 2, rng=0)
    np.testing.assert_allclose(
        dense.forward([1.0, 2.0, 3.0]), dense.w @ [1, 2, 3] + dense.b
    )
    assert dense.backward(np.ones(2)).shape == (3,)
    assert Pool(2).forward(np.zeros((1, 4, 4))).shape == (1, 2, 2)


def test_network_params_and_grads_are_dicts_of_the_layers_arrays():
    net = small_network()
    assert list(net.params) == [
        "0.w",
        "0.b",
        "3.w",
        "3.b",
        "7.w",
        "7.b",
        "9.w",
        "9.b",
    ]
    assert net.params["3.w"] is net.layers[3].w
    net.forward(np.ones((1, 2, 5, 6)))
    net.backward(np.ones((1, 4)))
    assert list(net.grads) == list(net.params)
    assert net.grads["9.b"] is net.layers[9].dE_db


def test_summary_is_a_table_with_the_total():
    net = Network(
        [
            Conv2D(1, 8, 3, padding="same", rng=0),
            Activation("relu"),
            Pool(2),
            Flatten(),
            Dense(128, 10, rng=0),
        ],
        input_shape=(1, 8, 8),
    )
    summary = net.summary()
    # counted by hand: 8 kernels of 3x3 plus 8 biases; 128 x 10 weights plus 10 biases
    assert [row.params for row in summary] == [80, 0, 0, 0, 1290]
    assert summary.total == 1370
    assert [row.output_shape for row in summary] == [
        (8, 8, 8),
        (8, 8, 8),
        (8, 4, 4),
        (128,),
        (10,),
    ]
    text = str(summary)
    lines = text.splitlines()
    assert lines[0].split() == ["layer", "output", "shape", "parameters"]
    assert lines[2].split()[:1] == ["input"] and "(1, 8, 8)" in lines[2]
    assert lines[3].startswith(
        "Conv2D(1, 8, (3, 3), padding='same')"
    ) and lines[3].endswith(" 80")
    assert lines[-1] == "total parameters: 1,370"
    assert len({len(line) for line in lines[:-1]}) == 1  # aligned columns
    assert repr(summary) == text
    with pytest.raises(TypeError, match="summary needs input_shape"):
        Network([Flatten()]).summary()


# ----- the whole-network gradient check ------------------------------------------------------------


def test_check_gradients_covers_every_parameter_and_the_input():
    net = small_network(dtype=np.float32)
    x = np.random.default_rng(4).standard_normal((2, 2, 5, 6))
    before = {k: v.copy() for k, v in net.params.items()}
    check = check_gradients(net, x)
    assert list(check) == ["input", *net.params]
    assert check.worst < 1e-5, check
    assert str(check).splitlines()[1].startswith("input")
    for key, value in net.params.items():  # the network itself is not changed
        np.testing.assert_array_equal(before[key], value)
        assert value.dtype == np.float32
    assert net.check_gradients(x) == check


def test_check_gradients_finds_a_wrong_backward(monkeypatch):
    net = small_network()
    x = np.random.default_rng(4).standard_normal((2, 2, 5, 6))
    dense = Dense.backward

    def slightly_wrong(self, delta):
        dx = dense(self, delta)
        self.dE_dw = self.dE_dw * 1.01
        return dx

    monkeypatch.setattr(Dense, "backward", slightly_wrong)
    check = check_gradients(net, x)
    assert check["7.w"] > 5e-3 and check["9.w"] > 5e-3
    assert check["0.w"] < 1e-5 and check["input"] < 1e-5


def test_the_modules_named_like_functions_say_what_to_call():
    with pytest.raises(
        TypeError,
        match=r"cnnlit.gradcheck is a module, not a function: for a whole network call cnnlit.check_gradients",
    ):
        cnnlit.gradcheck(lambda v: 0.0, np.zeros(2))
    with pytest.raises(
        TypeError,
        match=r"cnnlit.conv_transpose is a module, not a function: call cnnlit.conv_transpose_forward",
    ):
        cnnlit.conv_transpose(np.zeros((1, 2, 2)), np.zeros((1, 1, 2, 2)), None)
    assert cnnlit.gradcheck.numerical_gradient is cnnlit.numerical_gradient


def test_submodules_are_attributes_imported_on_first_use():
    code = (
        "import sys, cnnlit\n"
        "before = sorted(m for m in ('cnnlit.data', 'cnnlit.train', 'cnnlit.plot', 'matplotlib', 'sklearn') if m in sys.modules)\n"
        "cnnlit.data.shift_batch; cnnlit.train.fit; cnnlit.saving.load\n"
        "after = sorted(m for m in ('cnnlit.data', 'cnnlit.train', 'matplotlib', 'sklearn') if m in sys.modules)\n"
        "print(before, after, cnnlit.fit is cnnlit.train.fit)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[] ['cnnlit.data', 'cnnlit.train'] True"
    with pytest.raises(
        AttributeError, match="module 'cnnlit' has no attribute 'nothing'"
    ):
        cnnlit.nothing  # noqa: B018
