"""Tests of cnnlit.network: the whole-network backward pass and its check, the summary, the network's bad input; the package's submodules."""

import re
import subprocess
import sys

import numpy as np
import pytest
from helpers import small_network

import cnnlit
from cnnlit import (
    numerical_gradient,
    relative_error,
)
from cnnlit.losses import LOSSES, loss_and_grad
from cnnlit.network import (
    Activation,
    Conv2D,
    Dense,
    Flatten,
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


# ----- shapes and summary --------------------------------------------------------------------


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


# ----- dtypes, determinism -------------------------------------------------------------------


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


# ----- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, exc, match",
    [
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
        (lambda: Network([]), ValueError, "layers must be a non-empty list"),
        (
            lambda: Network([Flatten(), "relu"]),
            TypeError,
            r"layers\[1\] must be a Layer",
        ),
    ],
)
def test_bad_network_arguments(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_predict_errors():
    with pytest.raises(TypeError, match="batch_size must be an int"):
        Network([Flatten()]).predict(np.zeros((2, 3)), batch_size=None)
    with pytest.raises(
        ValueError,
        match=r"x must have shape \(N, \.\.\.\), a batch .* got shape \(3,\)",
    ):
        Network([Flatten()]).predict(np.zeros(3))


# ----- single examples, parameters as dicts, summary -----------------------------------------


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


# ----- the whole-network gradient check ------------------------------------------------------


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


# ----- the package and its submodules --------------------------------------------------------


def test_the_layers_are_importable_from_the_network_and_the_package():
    # defined in cnnlit.base_layer and cnnlit.layers, exported by cnnlit.network
    # and cnnlit as the same objects
    layers = ("Conv2D", "Activation", "Pool", "Flatten", "Dense")
    for name in ("Layer", "INITS", "as_rng"):
        assert getattr(cnnlit.network, name) is getattr(cnnlit.base_layer, name)
    for name in layers + ("LAYERS", "ACTIVATIONS"):
        assert getattr(cnnlit.network, name) is getattr(cnnlit.layers, name)
    exported = {"Layer", *layers, "LAYERS", "INITS"}
    assert exported <= set(cnnlit.network.__all__)
    for name in ("Layer", *layers, "Network", "check_gradients"):
        assert getattr(cnnlit, name) is getattr(cnnlit.network, name)


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
