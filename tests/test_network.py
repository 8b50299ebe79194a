"""Tests of cnnlit.network: the layers, the whole-network backward pass, SGD and the losses."""

import numpy as np
import pytest

from cnnlit import conv_forward, dense_forward, numerical_gradient, pool_forward, relative_error, relu
from cnnlit.network import (
    LOSSES,
    SGD,
    Activation,
    Conv2D,
    Dense,
    Flatten,
    Layer,
    Network,
    Pool,
    loss_and_grad,
    one_hot,
)


def small_network(seed=0, dtype=np.float64, last="sigmoid"):
    """Every layer kind, non-square kernel, stride, C_in != C_out; 2 x 5 x 6 inputs."""
    rng = np.random.default_rng(seed)
    layers = [
        Conv2D(2, 3, (3, 2), rng=rng, padding=1, dtype=dtype),  # (3, 5, 7)
        Activation("tanh"),
        Pool(2, stride=1),  # (3, 4, 6)
        Conv2D(3, 2, 2, rng=rng, stride=2, convention="correlation", dtype=dtype),  # (2, 2, 3)
        Activation("relu"),
        Pool(2, stride=1, mode="mean"),  # (2, 1, 2)
        Flatten(),
        Dense(4, 5, rng=rng, dtype=dtype),
        Activation("sigmoid"),
        Dense(5, 4, rng=rng, dtype=dtype),
    ]
    if last:
        layers.append(Activation(last))
    return Network(layers)


def param_check(net, x, f):
    """Relative error of every parameter gradient and of dE/dx against central differences."""
    errors = []
    for p, g in zip(net.params(), net.grads()):
        g = g.copy()

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
    net = small_network(last="sigmoid" if loss == "half_squared_error" else None)
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


def test_layers_call_the_package_functions():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 1, 6, 6))
    conv = Conv2D(1, 2, 3, rng=rng, padding=1)
    c = conv.forward(x)
    np.testing.assert_array_equal(c, conv_forward(x, conv.w, conv.b, padding=1))
    np.testing.assert_array_equal(Pool(2).forward(c), pool_forward(c, 2))
    np.testing.assert_array_equal(Activation("relu").forward(c), relu(c))
    dense = Dense(72, 3, rng=rng)
    flat = Flatten().forward(c)
    assert flat.shape == (2, 72)
    np.testing.assert_array_equal(dense.forward(flat), dense_forward(flat, dense.w, dense.b))


def test_backward_stores_deltas_and_grads_of_the_right_shapes():
    net = small_network()
    x = np.random.default_rng(5).standard_normal((3, 2, 5, 6))
    out = net.forward(x)
    assert out.shape == (3, 4)
    net.backward(np.ones_like(out))
    conv = net.layers[0]
    assert conv.delta.shape == (3, 3, 5, 7)
    assert conv.o_prev is not None and conv.o_prev.shape == x.shape
    for p, g in zip(net.params(), net.grads()):
        assert g.shape == p.shape and g.dtype == p.dtype


def test_summary_matches_forward_shapes():
    net = small_network()
    rows = net.summary((2, 5, 6))
    shapes = [shape for _, shape, _ in rows]
    x = np.zeros((1, 2, 5, 6))
    for layer, shape in zip(net.layers, shapes):
        x = layer.forward(x)
        assert x.shape[1:] == shape
    assert sum(n for _, _, n in rows) == sum(p.size for p in net.params())


def test_float32_stays_float32_and_inputs_are_not_modified():
    net = small_network(dtype=np.float32)
    x = np.random.default_rng(6).standard_normal((2, 2, 5, 6)).astype(np.float32)
    x0 = x.copy()
    out = net.forward(x)
    assert out.dtype == np.float32
    E, g = loss_and_grad(out, np.array([1, 2]))
    assert g.dtype == np.float32
    assert net.backward(g).dtype == np.float32
    np.testing.assert_array_equal(x, x0)


def test_same_seed_same_network_and_outputs():
    x = np.random.default_rng(7).standard_normal((2, 2, 5, 6))
    a, b, c = small_network(seed=0), small_network(seed=0), small_network(seed=1)
    for p, q in zip(a.params(), b.params()):
        np.testing.assert_array_equal(p, q)
    np.testing.assert_array_equal(a.forward(x), b.forward(x))
    assert not np.array_equal(a.forward(x), c.forward(x))


def test_training_steps_are_deterministic_and_reduce_the_loss():
    rng = np.random.default_rng(8)
    x = rng.random((16, 2, 5, 6))
    labels = rng.integers(0, 4, 16)
    losses = []
    for _ in range(2):
        net, opt = small_network(seed=2, last=None), SGD(0.1, momentum=0.5)
        run = []
        for _ in range(30):
            E, g = loss_and_grad(net.forward(x), labels, "softmax_cross_entropy")
            net.backward(g)
            opt.step(net)
            run.append(E)
        losses.append(run)
    assert losses[0] == losses[1]
    assert losses[0][-1] < losses[0][0]


def test_sgd_momentum_update_by_hand():
    net = Network([Dense(2, 1, rng=np.random.default_rng(0))])
    layer = net.layers[0]
    w0 = layer.w.copy()
    opt = SGD(0.5, momentum=0.9)
    layer.dE_dw[...] = [[1.0, -2.0]]
    opt.step(net)  # v = -0.5 g
    np.testing.assert_allclose(layer.w, w0 - 0.5 * np.array([[1.0, -2.0]]))
    opt.step(net)  # v = 0.9 (-0.5 g) - 0.5 g = -0.95 g
    np.testing.assert_allclose(layer.w, w0 - 1.45 * np.array([[1.0, -2.0]]))


def test_sgd_weight_decay_by_hand_and_not_on_biases():
    net = Network([Dense(2, 1, rng=np.random.default_rng(0))])
    layer = net.layers[0]
    w0, b0 = layer.w.copy(), layer.b.copy()
    layer.dE_dw[...] = [[1.0, -2.0]]
    layer.dE_db[...] = [3.0]
    SGD(0.1, weight_decay=0.5).step(net)
    np.testing.assert_allclose(layer.w, w0 - 0.1 * (np.array([[1.0, -2.0]]) + 0.5 * w0))
    np.testing.assert_allclose(layer.b, b0 - 0.1 * 3.0)


def test_loss_and_grad_are_means_of_the_package_sums():
    o = np.array([[0.2, 0.7], [0.9, 0.1]])
    E, g = loss_and_grad(o, [1, 0], "half_squared_error")
    assert E == pytest.approx(0.5 * (0.04 + 0.09 + 0.01 + 0.01) / 2)
    np.testing.assert_allclose(g, (o - [[0, 1], [1, 0]]) / 2)
    E, g = loss_and_grad(np.zeros((2, 4)), [0, 3], "softmax_cross_entropy")
    assert E == pytest.approx(np.log(4))
    np.testing.assert_allclose(g.sum(axis=1), 0, atol=1e-15)
    np.testing.assert_array_equal(one_hot([1, 0], 3), [[0, 1, 0], [1, 0, 0]])


# ----- bad input ------------------------------------------------------------------------------

RNG = np.random.default_rng(0)


@pytest.mark.parametrize(
    "make, exc, match",
    [
        (lambda: Conv2D(0, 2, 3, rng=RNG), ValueError, "C_in must be >= 1"),
        (lambda: Conv2D(1, 2.5, 3, rng=RNG), TypeError, "C_out must be an int"),
        (lambda: Conv2D(1, 2, 3, rng=0), TypeError, "rng must be a numpy.random.Generator"),
        (lambda: Conv2D(1, 2, 3, rng=RNG, padding=-1), ValueError, "padding must be >= 0"),
        (lambda: Conv2D(1, 2, 3, rng=RNG, convention="conv"), ValueError, "convention must be one of"),
        (lambda: Conv2D(1, 2, 3, rng=RNG, dtype=np.int32), ValueError, "dtype must be float32 or float64"),
        (lambda: Dense(3, 0, rng=RNG), ValueError, "D_out must be >= 1"),
        (lambda: Activation("softplus"), ValueError, "name must be one of 'sigmoid', 'tanh', 'relu'"),
        (lambda: Pool(2, mode="median"), ValueError, "mode must be one of 'max', 'mean'"),
        (lambda: Pool(0), ValueError, "size must be >= 1"),
        (lambda: Network([]), ValueError, "layers must be a non-empty list"),
        (lambda: Network([Flatten(), "relu"]), TypeError, r"layers\[1\] must be a Layer"),
        (lambda: SGD(0.0), ValueError, "lr must be > 0"),
        (lambda: SGD(0.1, momentum=1.0), ValueError, r"momentum must be in \[0, 1\)"),
        (lambda: SGD("0.1"), TypeError, "lr must be a real number"),
        (lambda: SGD(0.1, weight_decay=-1.0), ValueError, "weight_decay must be >= 0"),
        (lambda: SGD(0.1).step([Flatten()]), TypeError, "network must be a Network"),
        (lambda: loss_and_grad(np.zeros((2, 3)), [0, 1], "mse"), ValueError, "loss must be one of"),
        (lambda: loss_and_grad(np.zeros((2, 3)), [0, 3]), ValueError, r"labels must lie in \[0, 2\]"),
        (lambda: loss_and_grad(np.zeros((2, 3)), [0.0, 1.0]), TypeError, "labels must be integer"),
        (lambda: loss_and_grad(np.zeros((2, 3)), [0, 1, 2]), ValueError, r"labels must have shape \(N,\) = \(2,\)"),
        (lambda: loss_and_grad(np.zeros(3), [0]), ValueError, r"o must have shape \(N, K\)"),
    ],
)
def test_bad_arguments(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


@pytest.mark.parametrize(
    "layer, x, match",
    [
        (Conv2D(2, 3, 3, rng=RNG), np.zeros((1, 1, 5, 5)), r"x must have C_in=2 channels .* got shape \(1, 1, 5, 5\)"),
        (Conv2D(2, 3, 3, rng=RNG), np.zeros((2, 5, 5)), r"x must have shape \(N, C_in, H, W\)"),
        (Conv2D(1, 3, 3, rng=RNG), np.zeros((1, 1, 2, 2)), "larger than the padded input"),
        (Dense(4, 2, rng=RNG), np.zeros((3, 5)), r"x must have shape \(N, 4\) \(D_in=4\), got shape \(3, 5\)"),
        (Dense(4, 2, rng=RNG), np.zeros((3, 2, 2)), r"x must have shape \(N, D_in\)"),
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
    with pytest.raises(RuntimeError, match="Conv2D.backward called before forward"):
        conv.backward(np.zeros((1, 2, 2, 2)))
    conv.forward(np.zeros((1, 1, 4, 4)))
    with pytest.raises(ValueError, match="delta must have the shape"):
        conv.backward(np.zeros((1, 2, 3, 3)))
    act = Activation("tanh")
    act.forward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"dE_do must have the shape of the forward output, \(2, 3\)"):
        act.backward(np.zeros((3, 2)))
    flat = Flatten()
    flat.forward(np.zeros((2, 3, 2)))
    with pytest.raises(ValueError, match=r"dE_do must have 12 elements"):
        flat.backward(np.zeros((2, 5)))
    with pytest.raises(TypeError, match="batch_size must be an int"):
        Network([Flatten()]).predict(np.zeros((2, 3)), batch_size=None)


def test_base_layer_passes_through():
    layer = Layer()
    x = np.arange(3.0)
    assert layer.forward(x) is x and layer.backward(x) is x and layer.params == []
