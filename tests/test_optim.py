"""Tests of cnnlit.optim: SGD by hand, its state by (layer, name), weight decay by name, bad arguments."""

import numpy as np
import pytest
from helpers import small_network

from cnnlit.losses import loss_and_grad
from cnnlit.network import Conv2D, Dense, Flatten, Layer, Network
from cnnlit.optim import SGD

G = np.array([[1.0, -2.0]])


def one_dense(seed=0, **kwargs):
    net = Network([Dense(2, 1, rng=np.random.default_rng(seed), **kwargs)])
    return net, net.layers[0]


def test_plain_gradient_step_by_hand():
    net, layer = one_dense()
    w0, b0 = layer.w.copy(), layer.b.copy()
    layer.dE_dw[...] = G
    layer.dE_db[...] = [3.0]
    SGD(0.1).step(net)
    np.testing.assert_allclose(layer.w, w0 - 0.1 * G, rtol=1e-15)
    np.testing.assert_allclose(layer.b, b0 - 0.3, rtol=1e-15)


def test_momentum_update_by_hand():
    net, layer = one_dense()
    w0 = layer.w.copy()
    opt = SGD(0.5, momentum=0.9)
    layer.dE_dw[...] = G
    opt.step(net)  # v = -0.5 g
    np.testing.assert_allclose(layer.w, w0 - 0.5 * G)
    opt.step(net)  # v = 0.9 (-0.5 g) - 0.5 g = -0.95 g
    np.testing.assert_allclose(layer.w, w0 - 1.45 * G)


def test_weight_decay_by_hand_applies_to_w_and_not_to_b():
    net, layer = one_dense()
    layer.b = [2.0]  # a nonzero bias: decay on it would show
    w0, b0 = layer.w.copy(), layer.b.copy()
    layer.dE_dw[...] = G
    layer.dE_db[...] = [3.0]
    SGD(0.1, weight_decay=0.5).step(net)
    np.testing.assert_allclose(layer.w, w0 - 0.1 * (G + 0.5 * w0))
    np.testing.assert_allclose(layer.b, b0 - 0.1 * 3.0)
    assert SGD.DECAYED == ("w",)


def test_weight_decay_picks_weights_by_name_not_by_ndim():
    # Regression guard: decay used to pick the parameters with ndim > 1. A layer whose
    # weight "w" is 1-D and whose other parameter is 2-D tells the two rules apart.
    class Scale(Layer):
        param_names = ("w", "gamma")

        def __init__(self):
            self.w, self.gamma = np.array([2.0]), np.array([[2.0]])
            self.dE_dw, self.dE_dgamma = np.array([1.0]), np.array([[1.0]])

    layer = Scale()
    SGD(0.1, weight_decay=1.0).step(Network([layer]))
    assert layer.w[0] == pytest.approx(
        2.0 - 0.1 * (1.0 + 1.0 * 2.0)
    )  # decayed: its name is "w"
    assert layer.gamma[0, 0] == pytest.approx(
        2.0 - 0.1 * 1.0
    )  # not decayed, although 2-D


def test_assigned_weights_are_trained_and_keep_their_momentum():
    # Regression guard: the velocities were keyed by id() of the arrays taken at
    # construction, so `layer.w = array` silently detached the layer from training.
    net, layer = one_dense()
    opt = SGD(0.5, momentum=0.9)
    layer.dE_dw[...] = G
    opt.step(net)  # v = -0.5 g
    layer.w = [[10.0, 20.0]]
    opt.step(
        net
    )  # the new array moves, with the velocity of the (layer, "w") pair: v = -0.95 g
    np.testing.assert_allclose(layer.w, np.array([[10.0, 20.0]]) - 0.95 * G)
    assert set(opt._velocity) == {(layer, "w"), (layer, "b")}


def test_state_is_per_layer_and_name():
    rng = np.random.default_rng(1)
    a, b = Dense(2, 2, rng=rng), Dense(2, 2, rng=rng)
    net = Network([a, b])
    opt = SGD(0.1, momentum=0.5)
    a.dE_dw[...], b.dE_dw[...] = 1.0, -1.0
    opt.step(net)
    np.testing.assert_allclose(opt._velocity[(a, "w")], -0.1)
    np.testing.assert_allclose(opt._velocity[(b, "w")], 0.1)


def test_layers_without_bias_are_stepped_on_w_only():
    rng = np.random.default_rng(2)
    conv = Conv2D(1, 2, 2, rng=rng, bias=False)
    net = Network([conv, Flatten()])
    w0 = conv.w.copy()
    conv.dE_dw[...] = 1.0
    SGD(0.25, weight_decay=0.1).step(net)
    np.testing.assert_allclose(conv.w, w0 - 0.25 * (1.0 + 0.1 * w0))
    assert conv.b is None


def test_training_steps_are_deterministic_and_reduce_the_loss():
    rng = np.random.default_rng(8)
    x = rng.random((16, 2, 5, 6))
    labels = rng.integers(0, 4, 16)
    losses = []
    for _ in range(2):
        net, opt = small_network(seed=2, last=None), SGD(0.1, momentum=0.5)
        run = []
        for _ in range(30):
            E, g = loss_and_grad(
                net.forward(x), labels, "softmax_cross_entropy"
            )
            net.backward(g)
            opt.step(net)
            run.append(E)
        losses.append(run)
    assert losses[0] == losses[1]
    assert losses[0][-1] < losses[0][0]


def test_float32_parameters_stay_float32():
    net = small_network(dtype=np.float32)
    x = (
        np.random.default_rng(3)
        .standard_normal((2, 2, 5, 6))
        .astype(np.float32)
    )
    net.backward(np.ones_like(net.forward(x)))
    SGD(0.1, momentum=0.9, weight_decay=0.01).step(net)
    assert all(p.dtype == np.float32 for p in net.params.values())


@pytest.mark.parametrize(
    "make, exc, match",
    [
        (
            lambda: SGD(0.0),
            ValueError,
            "lr must be a finite number > 0, got 0.0",
        ),
        (
            lambda: SGD(-1),
            ValueError,
            "lr must be a finite number > 0, got -1.0",
        ),
        (
            lambda: SGD(float("inf")),
            ValueError,
            "lr must be a finite number > 0, got inf",
        ),
        (
            lambda: SGD(float("nan")),
            ValueError,
            "lr must be a finite number > 0, got nan",
        ),
        (lambda: SGD("0.1"), TypeError, "lr must be a real number, got '0.1'"),
        (lambda: SGD(True), TypeError, "lr must be a real number, got True"),
        (
            lambda: SGD(0.1, momentum=1.0),
            ValueError,
            r"momentum must be a finite number >= 0 and < 1, got 1.0",
        ),
        (
            lambda: SGD(0.1, momentum=-0.1),
            ValueError,
            r"momentum must be a finite number >= 0 and < 1",
        ),
        (
            lambda: SGD(0.1, momentum=float("nan")),
            ValueError,
            r"momentum must be a finite number",
        ),
        (
            lambda: SGD(0.1, weight_decay=-1.0),
            ValueError,
            "weight_decay must be a finite number >= 0, got -1.0",
        ),
        (
            lambda: SGD(0.1, weight_decay=float("inf")),
            ValueError,
            "weight_decay must be a finite number >= 0, got inf",
        ),
        (
            lambda: SGD(0.1, weight_decay=None),
            TypeError,
            "weight_decay must be a real number, got None",
        ),
        (
            lambda: SGD(10**400),
            ValueError,
            r"lr must be a finite number.*, got an int of 401 digits \(beyond a float's range\)",
        ),
        (
            lambda: SGD(0.1, momentum=10**400),
            ValueError,
            r"momentum must be a finite number.*, got (an|a negative) int of 401 digits",
        ),
        (
            lambda: SGD(0.1, weight_decay=-(10**400)),
            ValueError,
            r"weight_decay must be a finite number.*, got (an|a negative) int of 401 digits",
        ),
        (
            lambda: SGD(0.1).step([Flatten()]),
            TypeError,
            "network must be a Network, got list",
        ),
    ],
)
def test_bad_arguments(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_a_learning_rate_set_later_is_checked_too():
    opt = SGD(0.1)
    opt.lr = 0.05
    assert opt.lr == 0.05
    with pytest.raises(
        ValueError, match="lr must be a finite number > 0, got inf"
    ):
        opt.lr = float("inf")
    with pytest.raises(
        ValueError,
        match="lr must be a finite number > 0, got an int of 401 digits",
    ):
        opt.lr = 10**400
    assert opt.lr == 0.05
