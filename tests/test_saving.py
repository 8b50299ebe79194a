"""Tests of cnnlit.saving: the file format, atomic saves, bounded loads, messages that say what is wrong."""

import errno
import json
import os
import pickle
import subprocess
import sys
import tracemalloc
import zipfile

import numpy as np
import pytest
from helpers import small_network

import cnnlit.saving
import cnnlit.train
from cnnlit.network import (
    LAYERS,
    Conv2D,
    Dense,
    Flatten,
    Layer,
    Network,
)

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
    for p, q in zip(net.params.values(), again.params.values(), strict=True):
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
        dilation=[1, 1],
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
            "'architecture' has dtype object, expected uint8",
        ),
        (
            lambda p: write_npz(
                p,
                architecture=architecture_bytes([DENSE]),
                **{"0.w": np.array([[1, 2]], dtype=object), "0.b": np.zeros(1)},
            ),
            "'0.w' has dtype object, expected float64",
        ),
        (
            lambda p: write_npy(p, np.array([{"a": 1}], dtype=object)),
            r"it is not a zip \(.npz\) archive",
        ),
        (
            lambda p: p.write_bytes(pickle.dumps({"layers": []})),
            r"it is not a zip \(.npz\) archive",
        ),
        (
            lambda p: p.write_bytes(b"PK\x03\x04 truncated"),
            "not a network saved by Network.save",
        ),
        (lambda p: p.write_bytes(b""), "not a network saved by Network.save"),
        (
            lambda p: p.write_bytes(b"hello, not numpy at all"),
            "not a network saved by Network.save",
        ),
        (
            lambda p: write_npy(p, np.zeros(3)),
            r"it is not a zip \(.npz\) archive",
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
                    [
                        dict(
                            type="Dense",
                            config=dict(
                                D_in=0, D_out=1, bias=True, dtype="float64"
                            ),
                        )
                    ]
                ),
            ),
            r"layer 0's D_in must be in \[1, 16777216\], got 0",
        ),
        (
            lambda p: write_npz(
                p,
                architecture=architecture_bytes(
                    [dict(type="Activation", config=dict(name="relu", x=1))]
                ),
            ),
            r"layer 0 \(Activation\) has unknown arguments x",
        ),
        (
            lambda p: write_npz(
                p,
                architecture=architecture_bytes([DENSE]),
                **{"0.w": np.zeros((1, 2))},
            ),
            "the parameter '0.b' is missing",
        ),
        (
            lambda p: write_npz(
                p,
                architecture=architecture_bytes([DENSE]),
                **{"0.w": np.zeros((2, 1)), "0.b": np.zeros(1)},
            ),
            r"'0.w' has shape \(2, 1\), the layer needs \(1, 2\)",
        ),
        (
            lambda p: write_npz(
                p,
                architecture=architecture_bytes([DENSE]),
                **{"0.w": np.zeros((1, 2), np.float32), "0.b": np.zeros(1)},
            ),
            "'0.w' has dtype float32, expected float64",
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


@pytest.mark.parametrize("member", ["architecture.npy", "0.w.npy"])
def test_an_encrypted_member_is_a_value_error_not_a_runtime_error(
    tmp_path, member
):
    # zipfile raises RuntimeError ("password required") when it opens a
    # member whose flag bit 0 says it is encrypted
    path = tmp_path / "net.npz"
    small_network().save(path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(member)
    local = info.header_offset  # local header: flag bits at offset 6
    assert data[local : local + 4] == b"PK\x03\x04"
    data[local + 6] |= 0x1
    central = data.index(b"PK\x01\x02")  # the central directory's entries
    while data[central + 46 : central + 46 + len(member)] != member.encode():
        central = data.index(b"PK\x01\x02", central + 4)
    data[central + 8] |= 0x1  # central directory: flag bits at offset 8
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as z:  # the file now claims an encrypted member
        assert z.getinfo(member).flag_bits & 0x1
    with pytest.raises(ValueError, match="not a network saved.*encrypted"):
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


# ----- what a file records about its input -------------------------------------------------------


def test_the_file_records_input_shape_dtype_scale_and_classes(tmp_path):
    net = Network(
        [
            Conv2D(1, 2, 3, padding="same", rng=0),
            Flatten(),
            Dense(32, 3, rng=1),
        ],
        input_shape=(1, 4, 4),
        input_scale=0.25,
        classes=["a", "b", "c"],
    )
    net.save(tmp_path / "net.npz")
    with np.load(tmp_path / "net.npz", allow_pickle=False) as data:
        architecture = json.loads(data["architecture"].tobytes())
    assert architecture["input"] == dict(
        shape=[1, 4, 4], dtype="float64", scale=0.25
    )
    assert architecture["classes"] == ["a", "b", "c"]
    again = Network.load(tmp_path / "net.npz")
    assert (again.input_shape, again.input_scale, again.classes) == (
        (1, 4, 4),
        0.25,
        ["a", "b", "c"],
    )
    raw = np.random.default_rng(0).uniform(0, 4, (5, 1, 4, 4))
    # the scale is applied: raw inputs times 0.25 through the layers alone
    by_hand = raw * 0.25
    for layer in net.layers:
        by_hand = layer.forward(by_hand)
    np.testing.assert_array_equal(again.forward(raw), by_hand)
    assert again.classify(raw[0]) == ["a", "b", "c"][int(np.argmax(by_hand[0]))]
    with pytest.raises(ValueError, match=r"x must have shape \(N, 1, 4, 4\)"):
        again.predict(np.zeros((2, 1, 5, 5)))
    with pytest.raises(
        ValueError,
        match=r"or \(1, 4, 4\) \(the network's input_shape\), got shape \(5, 4, 4\)",
    ):
        again.predict(raw[:, 0])  # the channel axis forgotten


def test_a_saved_digits_network_classifies_raw_pixels_in_a_new_process(
    tmp_path,
):
    path = tmp_path / "digits.npz"
    assert (
        cnnlit.train.main(
            ["--epochs", "10", "--save", str(path), "--no-progress"]
        )
        == 0
    )
    code = (
        "import sys, numpy as np\n"
        "from cnnlit.network import Network\n"
        "from cnnlit.data import load_digits_arrays\n"
        "images, labels = load_digits_arrays()\n"
        "net = Network.load(sys.argv[1])\n"
        "print(float(np.mean(net.predict(images[:, None]) == labels)))\n"
        "print(net.predict(images[:10, None]).tolist(), labels[:10].tolist())\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert proc.returncode == 0, proc.stderr
    share, first = proc.stdout.splitlines()
    # raw pixels 0..16, the images as load_digits gives them
    assert float(share) > 0.95, proc.stdout
    assert (
        first == "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9] [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]"
    )


# ----- atomic saves --------------------------------------------------------------------------------


def failing_savez(monkeypatch):
    """np.savez in cnnlit.saving writes half its output, then the disk is full."""

    def savez(f, **arrays):
        f.write(b"PK\x03\x04 half of a network")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cnnlit.saving.np, "savez", savez)


def test_a_failed_save_leaves_the_old_file_and_nothing_else(
    tmp_path, monkeypatch
):
    path = tmp_path / "net.npz"
    small_network(seed=0).save(path)
    before = path.read_bytes()
    failing_savez(monkeypatch)
    with pytest.raises(OSError, match="No space left"):
        small_network(seed=1).save(path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["net.npz"]
    Network.load(path)


def test_a_failed_save_through_the_command_line_keeps_the_old_file(
    tmp_path, monkeypatch, capsys
):
    path = tmp_path / "net.npz"
    small_network(seed=0).save(path)
    before = path.read_bytes()
    failing_savez(monkeypatch)
    args = [
        "--epochs",
        "1",
        "--limit",
        "64",
        "--channels",
        "2",
        "--hidden",
        "4",
    ]
    with pytest.raises(SystemExit) as info:
        cnnlit.train.main(args + ["--save", str(path)])
    assert info.value.code == 1
    assert "No space left" in capsys.readouterr().err
    assert path.read_bytes() == before and sorted(os.listdir(tmp_path)) == [
        "net.npz"
    ]


def test_save_keeps_the_usual_permissions(tmp_path):
    path = tmp_path / "net.npz"
    small_network().save(path)
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


@pytest.mark.parametrize(
    "kind", ["directory", "missing-directory", "unwritable"]
)
def test_the_destination_is_checked_before_training(
    kind, tmp_path, monkeypatch, capsys
):
    trained = []
    monkeypatch.setattr(cnnlit.train, "train", lambda **k: trained.append(k))
    if kind == "directory":
        target, message = tmp_path, "it is a directory"
    elif kind == "missing-directory":
        target, message = tmp_path / "nowhere" / "net.npz", "does not exist"
    else:
        target, message = tmp_path / "net.npz", "cannot create a file"

        def refuse(*args, **kwargs):
            raise PermissionError(errno.EACCES, "Permission denied")

        monkeypatch.setattr(cnnlit.saving.tempfile, "mkstemp", refuse)
    with pytest.raises(SystemExit) as info:
        cnnlit.train.main(["--save", str(target)])
    assert info.value.code == 2 and trained == []
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "--save" in err


# ----- loads within bounds -------------------------------------------------------------------------


def npy_header(shape, dtype="<f8"):
    """The bytes of a .npy 1.0 header for an array of ``shape`` (no data)."""
    import io

    f = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        f, dict(descr=dtype, fortran_order=False, shape=tuple(shape))
    )
    return f.getvalue()


def zip_with(path, members, compress=zipfile.ZIP_DEFLATED):
    """A zip of ``members``: name -> bytes, or name -> (header, n zero bytes streamed after it)."""
    with zipfile.ZipFile(path, "w", compress) as z:
        for name, content in members.items():
            with z.open(name, "w", force_zip64=True) as f:
                if isinstance(content, tuple):
                    header, zeros = content
                    f.write(header)
                    chunk = bytes(1 << 20)
                    for start in range(0, zeros, len(chunk)):
                        f.write(chunk[: min(len(chunk), zeros - start)])
                else:
                    f.write(content)


def npy_bytes(array):
    import io

    f = io.BytesIO()
    np.save(f, array)
    return f.getvalue()


def architecture_npy(layers, **extra):
    return npy_bytes(architecture_bytes(layers, **extra))


def peak_of(f):
    """``f()``'s exception and the peak of the memory traced while it ran, in bytes."""
    tracemalloc.start()
    try:
        with pytest.raises(ValueError) as info:
            f()
        return info.value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_an_extra_large_array_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "net.npz"
    zip_with(
        path,
        {
            "architecture.npy": architecture_npy([DENSE]),
            "0.w.npy": npy_bytes(np.zeros((1, 2))),
            "0.b.npy": npy_bytes(np.zeros(1)),
            "extra.npy": (npy_header((1 << 22,)), 8 << 22),  # 32 MiB of zeros
        },
    )
    assert path.stat().st_size < 100_000
    error, peak = peak_of(lambda: Network.load(path))
    assert "arrays no layer takes: extra" in str(error) and str(path) in str(
        error
    )
    assert peak < 2 << 20, peak


def test_a_tiny_file_declaring_a_huge_layer_draws_no_weights(tmp_path):
    path = tmp_path / "net.npz"
    conv = dict(
        type="Conv2D",
        config=dict(
            C_in=256,
            C_out=256,
            k=[16, 16],
            stride=[1, 1],
            padding=[0, 0],
            convention="convolution",
            bias=True,
            dtype="float64",
        ),
    )
    write_npz(path, architecture=architecture_bytes([conv]))
    assert path.stat().st_size < 1000
    error, peak = peak_of(lambda: Network.load(path))
    assert "the parameter '0.w' is missing" in str(error)
    assert peak < 1 << 20, peak


def test_a_billion_output_units_is_a_value_error(tmp_path):
    path = tmp_path / "net.npz"
    dense = dict(
        type="Dense",
        config=dict(D_in=2, D_out=10**9, bias=True, dtype="float64"),
    )
    write_npz(path, architecture=architecture_bytes([dense]))
    with pytest.raises(
        ValueError,
        match=r"layer 0's D_out must be in \[1, 16777216\], got 1000000000",
    ):
        Network.load(path)
    conv = dict(
        type="Conv2D",
        config=dict(
            C_in=2,
            C_out=10**9,
            k=[1, 1],
            stride=[1, 1],
            padding=[0, 0],
            convention="convolution",
            bias=True,
            dtype="float64",
        ),
    )
    write_npz(path, architecture=architecture_bytes([conv]))
    with pytest.raises(ValueError, match="layer 0's C_out must be in"):
        Network.load(path)
    big = dict(
        type="Dense",
        config=dict(D_in=1 << 15, D_out=1 << 15, bias=True, dtype="float64"),
    )
    write_npz(path, architecture=architecture_bytes([big]))
    with pytest.raises(ValueError, match="need more than 268435456 parameters"):
        Network.load(path)


@pytest.mark.parametrize(
    "shape, match",
    [
        (
            (10**6, 10**6),
            r"'0.w' has shape \(1000000, 1000000\), the layer needs \(1, 2\)",
        ),
        ((1, 2), r"'0.w' declares \d+ bytes, its header describes \d+"),
    ],
)
def test_an_array_header_claiming_a_huge_shape_allocates_nothing(
    shape, match, tmp_path
):
    path = tmp_path / "net.npz"
    header = npy_header(shape)
    zip_with(
        path,
        {
            "architecture.npy": architecture_npy([DENSE]),
            "0.w.npy": header + bytes(8 if shape == (1, 2) else 64),
            "0.b.npy": npy_bytes(np.zeros(1)),
        },
    )
    if shape == (1, 2):  # the right shape, but less data than it needs
        zip_with(
            path,
            {
                "architecture.npy": architecture_npy([DENSE]),
                "0.w.npy": header + bytes(8),
                "0.b.npy": npy_bytes(np.zeros(1)),
            },
        )
    assert path.stat().st_size < 1500
    error, peak = peak_of(lambda: Network.load(path))
    assert __import__("re").search(match, str(error)), str(error)
    assert peak < 1 << 20


@pytest.mark.parametrize(
    "content",
    [
        b"just some text, saved as .npz",
        b"",
        pickle.dumps({"layers": []}),
        npy_bytes(np.zeros(3)),
    ],
    ids=["text", "empty", "pickle", "npy"],
)
def test_a_file_that_is_not_a_zip_is_named_as_such_with_no_advice_to_unpickle(
    content, tmp_path
):
    path = tmp_path / "net.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError) as info:
        Network.load(path)
    message = str(info.value)
    assert (
        message
        == f"{path} is not a network saved by Network.save: it is not a zip (.npz) archive"
    )
    assert "pickle" not in message.lower()


def test_a_corrupt_deflate_stream_is_a_value_error_naming_the_file(tmp_path):
    path = tmp_path / "net.npz"
    net = small_network()
    arrays = {
        "architecture": np.frombuffer(
            json.dumps(cnnlit.saving._architecture(net)).encode(), np.uint8
        )
    }
    arrays.update(net.params)
    np.savez_compressed(path, **arrays)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("7.w.npy")
    start = info.header_offset + 30 + len(info.filename) + 10
    for i in range(start, start + 20):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    with pytest.raises(
        ValueError, match=f"{path} is not a network saved by Network.save: "
    ):
        Network.load(path)


@pytest.mark.parametrize(
    "architecture, match",
    [
        (b"[" * 100_000 + b"]" * 100_000, "JSON nested too deeply"),
        (
            json.dumps(
                {
                    "format": "cnnlit.Network",
                    "version": 1,
                    "layers": [{"type": ["Dense"], "config": {}}],
                }
            ).encode(),
            r"layer 0 has the unknown type \['Dense'\]",
        ),
        (
            json.dumps(
                {
                    "format": "cnnlit.Network",
                    "version": 1,
                    "layers": [
                        {
                            "type": "Pool",
                            "config": {
                                "size": [2, 2],
                                "stride": [2**70, 1],
                                "mode": "max",
                            },
                        }
                    ],
                }
            ).encode(),
            r"layer 0's stride must be in \[1, 16777216\], got 1180591620717411303424",
        ),
        (
            json.dumps(
                {
                    "format": "cnnlit.Network",
                    "version": 1,
                    "layers": [
                        {
                            "type": "Pool",
                            "config": {
                                "size": "2",
                                "stride": [1, 1],
                                "mode": "max",
                            },
                        }
                    ],
                }
            ).encode(),
            "layer 0's size must be a list of 2 ints, got '2'",
        ),
        (
            json.dumps(
                {"format": "cnnlit.Network", "version": True, "layers": []}
            ).encode(),
            "file version True",
        ),
        (
            json.dumps(
                {
                    "format": "cnnlit.Network",
                    "version": 2,
                    "layers": [{"type": "Flatten", "config": {}}],
                    "input": {"shape": [1, 8, 8], "scale": "x"},
                }
            ).encode(),
            "input scale must be a number > 0",
        ),
    ],
    ids=[
        "nested",
        "list-type",
        "huge-stride",
        "string-size",
        "bool-version",
        "bad-scale",
    ],
)
def test_malformed_architectures_are_value_errors_naming_the_file(
    architecture, match, tmp_path
):
    path = tmp_path / "net.npz"
    write_npz(path, architecture=np.frombuffer(architecture, dtype=np.uint8))
    with pytest.raises(ValueError, match=match) as info:
        Network.load(path)
    assert str(info.value).startswith(
        f"{path} is not a network saved by Network.save: "
    )


def test_a_network_and_input_that_do_not_fit_are_refused(tmp_path):
    path = tmp_path / "net.npz"
    pool = dict(
        type="Pool", config=dict(size=[4, 4], stride=[4, 4], mode="max")
    )
    write_npz(
        path,
        architecture=architecture_bytes(
            [pool],
            version=2,
            input=dict(shape=[1, 2, 2], dtype="float64", scale=None),
        ),
    )
    with pytest.raises(
        ValueError, match="layers and input do not fit together"
    ):
        Network.load(path)


def test_version_1_files_still_load(tmp_path):
    path = tmp_path / "net.npz"
    write_npz(
        path,
        architecture=architecture_bytes([DENSE]),
        **{"0.w": np.array([[1.0, 2.0]]), "0.b": np.array([3.0])},
    )
    net = Network.load(path)
    assert net.input_shape is None and net.input_scale is None
    np.testing.assert_array_equal(net.forward(np.array([1.0, 1.0])), [6.0])
