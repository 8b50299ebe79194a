"""Tests of cnnlit.network: the layers, their parameters by name, the whole-network backward pass, save and load."""

import json
import pickle
import re
import zipfile

import numpy as np
import pytest
from helpers import small_network

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
    LAYERS,
    Activation,
    Conv2D,
    Dense,
    Flatten,
    Layer,
    Network,
    Pool,
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
    for p, g in zip(net.params(), net.grads(), strict=True):
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
    assert sum(n for _, _, n in rows) == sum(p.size for p in net.params())


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
    for p, q in zip(a.params(), b.params(), strict=True):
        np.testing.assert_array_equal(p, q)
    np.testing.assert_array_equal(a.forward(x), b.forward(x))
    assert not np.array_equal(a.forward(x), c.forward(x))


# ----- save and load ----------------------------------------------------------------------------


def randomised(net, seed=0):
    """``net`` with random biases too (a fresh layer's are zero, which would hide a lost bias)."""
    rng = np.random.default_rng(seed)
    for layer in net.layers:
        for name, p in layer.params.items():
            setattr(layer, name, rng.standard_normal(p.shape))
    return net


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bias", [True, False])
def test_save_and_load_round_trip_every_layer_type(dtype, bias, tmp_path):
    net = randomised(small_network(dtype=dtype, bias=bias))
    assert {type(layer).__name__ for layer in net.layers} == set(LAYERS)
    path = tmp_path / "net.npz"
    net.save(path)
    again = Network.load(path)
    assert [repr(layer) for layer in again.layers] == [
        repr(layer) for layer in net.layers
    ]
    assert [layer.config() for layer in again.layers] == [
        layer.config() for layer in net.layers
    ]
    for p, q in zip(net.params(), again.params(), strict=True):
        assert q.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(p, q)
    x = np.random.default_rng(1).standard_normal((3, 2, 5, 6)).astype(dtype)
    np.testing.assert_array_equal(again.forward(x), net.forward(x))
    np.testing.assert_array_equal(again.predict(x), net.predict(x))


def test_saved_file_has_no_object_arrays_and_the_architecture_as_json(tmp_path):
    net = small_network()
    path = tmp_path / "net.npz"
    net.save(str(path))
    assert path.exists() and not (tmp_path / "net.npz.npz").exists()
    with np.load(path, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    assert all(a.dtype != object for a in arrays.values())
    architecture = json.loads(arrays.pop("architecture").tobytes().decode())
    assert [spec["type"] for spec in architecture["layers"]] == [
        type(layer).__name__ for layer in net.layers
    ]
    assert architecture["layers"][0]["config"] == dict(
        C_in=2,
        C_out=3,
        k=[3, 2],
        stride=[1, 1],
        padding=[1, 1],
        convention="convolution",
        bias=True,
        dtype="float64",
    )
    assert sorted(arrays) == sorted(
        f"{i}.{name}"
        for i, layer in enumerate(net.layers)
        for name in layer.params
    )


def test_assigned_weights_are_saved(tmp_path):
    net = Network([Dense(2, 1, rng=np.random.default_rng(0))])
    net.layers[0].w = [[3.0, -4.0]]
    net.save(tmp_path / "net.npz")
    np.testing.assert_array_equal(
        Network.load(tmp_path / "net.npz").layers[0].w, [[3.0, -4.0]]
    )


def write_npz(path, **arrays):
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def write_npy(path, array):
    with open(path, "wb") as f:
        np.save(f, array)


def architecture_bytes(layers, **extra):
    spec = {"format": "cnnlit.Network", "version": 1, "layers": layers, **extra}
    return np.frombuffer(json.dumps(spec).encode(), dtype=np.uint8)


DENSE = dict(
    type="Dense", config=dict(D_in=2, D_out=1, bias=True, dtype="float64")
)


@pytest.mark.parametrize(
    "make, match",
    [
        (
            lambda p: write_npz(
                p, architecture=np.array([{"layers": []}], dtype=object)
            ),
            "Object arrays cannot be loaded",
        ),
        (
            lambda p: write_npz(
                p,
                architecture=architecture_bytes([DENSE]),
                **{"0.w": np.array([[1, 2]], dtype=object), "0.b": np.zeros(1)},
            ),
            "Object arrays cannot be loaded",
        ),
        (
            lambda p: write_npy(p, np.array([{"a": 1}], dtype=object)),
            "Object arrays cannot be loaded",
        ),
        (lambda p: p.write_bytes(pickle.dumps({"layers": []})), "pickled"),
        (
            lambda p: p.write_bytes(b"PK\x03\x04 truncated"),
            "truncated or corrupt",
        ),
        (lambda p: p.write_bytes(b""), "not a network saved by Network.save"),
        (
            lambda p: p.write_bytes(b"hello, not numpy at all"),
            "not a network saved by Network.save",
        ),
        (
            lambda p: write_npy(p, np.zeros(3)),
            "a single array, not an .npz archive",
        ),
        (lambda p: write_npz(p, weights=np.zeros(3)), "no 'architecture'"),
        (
            lambda p: write_npz(
                p, architecture=np.frombuffer(b"{not json", dtype=np.uint8)
            ),
            "architecture is not JSON text",
        ),
        (
            lambda p: write_npz(
                p,
                architecture=np.frombuffer(
                    b'{"format": "other"}', dtype=np.uint8
                ),
            ),
            "format 'cnnlit.Network'",
        ),
        (
            lambda p: write_npz(
                p, architecture=architecture_bytes([DENSE], version=99)
            ),
            "file version",
        ),
        (
            lambda p: write_npz(p, architecture=architecture_bytes([])),
            "lists no layers",
        ),
        (
            lambda p: write_npz(
                p,
                architecture=architecture_bytes([dict(type="LSTM", config={})]),
            ),
            r"layer 0 has the unknown type 'LSTM' \(known: Conv2D, Activation, Pool, Flatten, Dense\)",
        ),
        (
            lambda p: write_npz(
                p,
                architecture=architecture_bytes(
                    [dict(type="Dense", config=dict(D_in=0, D_out=1))]
                ),
            ),
            r"layer 0 \(Dense\) cannot be built .*D_in must be >= 1",
        ),
        (
            lambda p: write_npz(
                p,
                architecture=architecture_bytes(
                    [dict(type="Activation", config=dict(name="relu", x=1))]
                ),
            ),
            r"layer 0 \(Activation\) cannot be built",
        ),
        (
            lambda p: write_npz(
                p,
                architecture=architecture_bytes([DENSE]),
                **{"0.w": np.zeros((1, 2))},
            ),
            "the parameter '0.b' of layer 0 .* is missing",
        ),
        (
            lambda p: write_npz(
                p,
                architecture=architecture_bytes([DENSE]),
                **{"0.w": np.zeros((2, 1)), "0.b": np.zeros(1)},
            ),
            r"'0.w': Dense.w must have shape \(1, 2\)",
        ),
        (
            lambda p: write_npz(
                p,
                architecture=architecture_bytes([DENSE]),
                **{"0.w": np.zeros((1, 2), np.float32), "0.b": np.zeros(1)},
            ),
            "'0.w' has dtype float32, the layer's is float64",
        ),
        (
            lambda p: write_npz(
                p,
                architecture=architecture_bytes([DENSE]),
                **{
                    "0.w": np.zeros((1, 2)),
                    "0.b": np.zeros(1),
                    "1.w": np.zeros(1),
                },
            ),
            "arrays no layer takes: 1.w",
        ),
    ],
    ids=[
        "object-architecture",
        "object-parameter",
        "object-npy",
        "pickle",
        "truncated-header",
        "empty",
        "text",
        "npy",
        "no-architecture",
        "not-json",
        "other-format",
        "other-version",
        "no-layers",
        "unknown-layer",
        "bad-config",
        "unknown-argument",
        "missing-parameter",
        "wrong-shape",
        "wrong-dtype",
        "extra-array",
    ],
)
def test_load_refuses_a_bad_file_with_a_clear_value_error(
    make, match, tmp_path
):
    path = tmp_path / "bad.npz"
    make(path)
    with pytest.raises(ValueError, match=match):
        Network.load(path)


def test_load_refuses_every_truncation_of_a_saved_file(tmp_path):
    path = tmp_path / "net.npz"
    small_network().save(path)
    data = path.read_bytes()
    cut = tmp_path / "cut.npz"
    for size in sorted(
        set(np.linspace(0, len(data) - 1, 60).astype(int))
        | {len(data) - 1, len(data) - 22}
    ):
        cut.write_bytes(data[:size])
        with pytest.raises(
            ValueError, match="not a network saved by Network.save"
        ):
            Network.load(cut)


def test_load_of_a_corrupted_member_is_a_value_error(tmp_path):
    path = tmp_path / "net.npz"
    small_network().save(path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("0.w.npy")
    start = (
        info.header_offset + 30 + len(info.filename) + 200
    )  # inside the member's data
    data[start] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="not a network saved by Network.save"):
        Network.load(path)


def test_load_of_an_unreadable_path_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        Network.load(tmp_path / "missing.npz")
    with pytest.raises(IsADirectoryError):
        Network.load(tmp_path)


def test_save_refuses_a_layer_it_cannot_describe(tmp_path):
    class Custom(Layer):
        pass

    with pytest.raises(
        TypeError, match=r"layers\[1\] is a Custom, which a file cannot hold"
    ):
        Network([Flatten(), Custom()]).save(tmp_path / "net.npz")
    assert not (tmp_path / "net.npz").exists()


# ----- bad input ------------------------------------------------------------------------------

RNG = np.random.default_rng(0)


@pytest.mark.parametrize(
    "make, exc, match",
    [
        (lambda: Conv2D(0, 2, 3, rng=RNG), ValueError, "C_in must be >= 1"),
        (lambda: Conv2D(1, 2.5, 3, rng=RNG), TypeError, "C_out must be an int"),
        (
            lambda: Conv2D(1, 2, 3, rng=0),
            TypeError,
            "rng must be a numpy.random.Generator",
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
            np.zeros((2, 5, 5)),
            r"x must have shape \(N, C_in, H, W\)",
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
