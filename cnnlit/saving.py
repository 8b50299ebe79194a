"""Saving and loading a Network: an ``.npz`` of plain arrays, written atomically, read within bounds.

The file is a zip archive of ``.npy`` members (what ``numpy.savez`` writes):
``architecture.npy`` holds a JSON text as bytes (a 1-D uint8 array) that
names every layer's type and arguments and what the network's input must be
(the shape of one example, the dtype, the scaling applied first) and the names
of its classes; ``"{i}.{name}.npy"`` holds parameter ``name`` of layer ``i``.
Nothing is pickled and nothing is executed.

``save`` writes a temporary file beside the destination, flushes it to disk
and renames it over the destination: a failed write leaves the old file as it
was. ``load`` checks the architecture (its types, sizes and depth) and the
header of every array (dtype and shape, against what the architecture needs)
before reading any array or building any layer, so that a small file cannot
make it allocate more than the network it describes; every malformed file is
a ``ValueError`` naming the file and what is wrong.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
import zipfile
import zlib
from typing import Any

import numpy as np

from .network import LAYERS, Network, _Weighted

__all__ = ["save", "load", "check_destination", "FILE_FORMAT", "FILE_VERSION"]

FILE_FORMAT = "cnnlit.Network"
FILE_VERSION = 2  # 2 adds the input (shape, dtype, scale), the classes, dilation and padding='same'
READS = (1, 2)

MAX_ARCHITECTURE_BYTES = 1 << 20  # a JSON text of a network is a few KB
MAX_LAYERS = 1000
MAX_SIZE = 1 << 24  # any size, stride, padding or dilation in a file
MAX_PARAMETERS = 1 << 28  # numbers in a whole file: 2 GiB of float64

_FLOAT: dict[str, np.dtype[Any]] = {
    "float32": np.dtype("<f4"),
    "float64": np.dtype("<f8"),
}


class _Bad(Exception):
    """What is wrong with a file, before the file's name is added."""


def _architecture(network: Network) -> dict[str, Any]:
    for i, layer in enumerate(network.layers):
        if LAYERS.get(type(layer).__name__) is not type(layer):
            raise TypeError(
                f"layers[{i}] is a {type(layer).__name__}, which a file cannot hold (only {', '.join(LAYERS)})"
            )
    return dict(
        format=FILE_FORMAT,
        version=FILE_VERSION,
        layers=[
            dict(type=type(layer).__name__, config=layer.config())
            for layer in network.layers
        ],
        input=dict(
            shape=None
            if network.input_shape is None
            else list(network.input_shape),
            dtype=network.dtype.name,
            scale=network.input_scale,
        ),
        classes=network.classes,
    )


def check_destination(path: Any) -> str:
    """Make sure a file can be written at ``path`` (a temporary file is made and removed there).

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    str
        ``path`` as a string.

    Raises
    ------
    OSError
        ``path`` is a directory, its directory does not exist, or it cannot
        be written; the message says which.
    """
    path = os.fspath(path)
    if not isinstance(path, str):
        path = os.fsdecode(path)
    if os.path.isdir(path):
        raise IsADirectoryError(
            f"cannot write {path!r}: it is a directory (give a file name, e.g. {os.path.join(path, 'network.npz')!r})"
        )
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"cannot write {path!r}: the directory {directory!r} does not exist"
        )
    try:
        fd, probe = tempfile.mkstemp(dir=directory, prefix=".cnnlit-probe-")
    except OSError as exc:
        raise type(exc)(
            f"cannot write {path!r}: cannot create a file in {directory!r} ({exc.strerror or exc})"
        ) from None
    os.close(fd)
    os.unlink(probe)
    return path


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def save(network: Network, path: Any) -> None:
    """Write ``network`` to ``path`` atomically (``path`` is used as given, no suffix added).

    The arrays are written to a temporary file in the same directory, flushed
    to disk (fsync), then renamed over ``path``: a write that fails leaves
    any earlier file at ``path`` untouched and no partial file behind.

    Parameters
    ----------
    network : Network
    path : str or os.PathLike

    Raises
    ------
    TypeError
        A layer is of a type that a file cannot hold.
    OSError
        ``path`` cannot be written (see ``check_destination``).
    """
    if not isinstance(network, Network):
        raise TypeError(
            f"network must be a Network, got {type(network).__name__}"
        )
    text = json.dumps(_architecture(network))
    arrays: dict[str, np.ndarray[Any, Any]] = {
        "architecture": np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    }
    for key, p in network.params.items():
        arrays[key] = p
    path = check_destination(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(
        dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp"
    )
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)  # type: ignore[arg-type]  # numpy's stub types allow_pickle
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # the rename itself, on disk (POSIX)
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


# ----- loading: every check before any allocation ----------------------------------------------


def _int(value: Any, what: str, low: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _Bad(f"{what} must be an int, got {value!r:.60}")
    if not low <= value <= MAX_SIZE:
        raise _Bad(f"{what} must be in [{low}, {MAX_SIZE}], got {value!r:.60}")
    return value


def _pair(value: Any, what: str, low: int) -> list[int]:
    if not isinstance(value, list) or len(value) != 2:
        raise _Bad(f"{what} must be a list of 2 ints, got {value!r:.60}")
    return [_int(v, what, low) for v in value]


def _choice(value: Any, what: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise _Bad(
            f"{what} must be one of {', '.join(map(repr, choices))}, got {value!r:.60}"
        )
    return value


def _bool(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise _Bad(f"{what} must be true or false, got {value!r:.60}")
    return value


_CONFIG_KEYS = {
    "Conv2D": (
        {
            "C_in",
            "C_out",
            "k",
            "stride",
            "padding",
            "convention",
            "bias",
            "dtype",
        },
        {"dilation"},
    ),
    "Dense": ({"D_in", "D_out", "bias", "dtype"}, set()),
    "Activation": ({"name"}, set()),
    "Pool": ({"size", "stride", "mode"}, set()),
    "Flatten": (set(), set()),
}


def _layer_config(
    kind: str, config: dict[str, Any], where: str
) -> tuple[dict[str, Any], dict[str, tuple[int, ...]]]:
    """The checked arguments of a layer and the shapes of its parameters, from the file alone."""
    required, optional = _CONFIG_KEYS[kind]
    keys = set(config)
    if not required <= keys <= required | optional:
        missing, extra = required - keys, keys - required - optional
        raise _Bad(
            f"{where} ({kind}) has "
            + "; ".join(
                part
                for part in (
                    missing and f"no {', '.join(sorted(missing))}",
                    extra and f"unknown arguments {', '.join(sorted(extra))}",
                )
                if part
            )
        )
    c = dict(config)
    shapes: dict[str, tuple[int, ...]] = {}
    if kind == "Conv2D":
        c["C_in"] = _int(c["C_in"], f"{where}'s C_in", 1)
        c["C_out"] = _int(c["C_out"], f"{where}'s C_out", 1)
        kH, kW = _pair(c["k"], f"{where}'s k", 1)
        _pair(c["stride"], f"{where}'s stride", 1)
        if c["padding"] != "same":
            _pair(c["padding"], f"{where}'s padding (or 'same')", 0)
        if "dilation" in c:
            _pair(c["dilation"], f"{where}'s dilation", 1)
        _choice(
            c["convention"],
            f"{where}'s convention",
            ("convolution", "correlation"),
        )
        shapes["w"] = (c["C_out"], c["C_in"], kH, kW)
    elif kind == "Dense":
        c["D_in"] = _int(c["D_in"], f"{where}'s D_in", 1)
        c["D_out"] = _int(c["D_out"], f"{where}'s D_out", 1)
        shapes["w"] = (c["D_out"], c["D_in"])
    elif kind == "Activation":
        _choice(c["name"], f"{where}'s name", ("sigmoid", "tanh", "relu"))
    elif kind == "Pool":
        _pair(c["size"], f"{where}'s size", 1)
        _pair(c["stride"], f"{where}'s stride", 1)
        _choice(c["mode"], f"{where}'s mode", ("max", "mean"))
    if "w" in shapes:
        _choice(c["dtype"], f"{where}'s dtype", tuple(_FLOAT))
        if _bool(c["bias"], f"{where}'s bias"):
            shapes["b"] = shapes["w"][:1]
    return c, shapes


def _parse(raw: bytes) -> dict[str, Any]:
    try:
        architecture = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _Bad(f"its architecture is not JSON text ({exc})") from None
    except RecursionError:
        raise _Bad("its architecture is JSON nested too deeply") from None
    if (
        not isinstance(architecture, dict)
        or architecture.get("format") != FILE_FORMAT
    ):
        raise _Bad(
            f"its architecture does not start with format {FILE_FORMAT!r}"
        )
    version = architecture.get("version")
    if version not in READS or isinstance(version, bool):
        raise _Bad(
            f"file version {version!r:.60}, this cnnlit reads versions {', '.join(map(str, READS))}"
        )
    return architecture


def _header(
    zf: zipfile.ZipFile, name: str
) -> tuple[tuple[int, ...], np.dtype[Any], int]:
    """Shape, dtype and header length of member ``name``, read from its header alone."""
    with zf.open(name) as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise _Bad(f"{name} has .npy format {version}, not 1.0 or 2.0")
        return tuple(shape), dtype, f.tell()


def _check_member(
    zf: zipfile.ZipFile,
    name: str,
    shape: tuple[int, ...] | None,
    dtype: np.dtype[Any],
    what: str,
) -> tuple[int, ...]:
    """Check one member's header against the shape and dtype the architecture needs."""
    info = zf.getinfo(name)
    if info.flag_bits & 0x1:  # zipfile would raise RuntimeError on opening it
        raise _Bad(f"{what} is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _Bad(
            f"{what} is compressed by method {info.compress_type}, not stored or deflated"
        )
    got_shape, got_dtype, header_len = _header(zf, name)
    if got_dtype != dtype:
        raise _Bad(f"{what} has dtype {got_dtype}, expected {dtype}")
    if shape is not None and got_shape != shape:
        raise _Bad(f"{what} has shape {got_shape}, the layer needs {shape}")
    nbytes = math.prod(got_shape) * dtype.itemsize
    if info.file_size != header_len + nbytes:
        raise _Bad(
            f"{what} declares {info.file_size} bytes, its header describes {header_len + nbytes}"
        )
    return got_shape


def _read(zf: zipfile.ZipFile, name: str) -> np.ndarray[Any, Any]:
    with zf.open(name) as f:
        return np.lib.format.read_array(f, allow_pickle=False)


def _load(zf: zipfile.ZipFile) -> Network:
    names = set(zf.namelist())
    if "architecture.npy" not in names:
        raise _Bad("it has no 'architecture' (a 1-D uint8 array of JSON text)")
    shape = _check_member(
        zf, "architecture.npy", None, np.dtype(np.uint8), "'architecture'"
    )
    if len(shape) != 1:
        raise _Bad(
            f"its 'architecture' has shape {shape}, not a 1-D array of JSON text"
        )
    if shape[0] > MAX_ARCHITECTURE_BYTES:
        raise _Bad(
            f"its architecture is {shape[0]} bytes long, more than {MAX_ARCHITECTURE_BYTES}"
        )
    architecture = _parse(_read(zf, "architecture.npy").tobytes())

    specs = architecture.get("layers")
    if not isinstance(specs, list) or not specs:
        raise _Bad("its architecture lists no layers")
    if len(specs) > MAX_LAYERS:
        raise _Bad(
            f"its architecture lists {len(specs)} layers, more than {MAX_LAYERS}"
        )
    checked = []
    expected = {"architecture.npy": None}  # in the order of the layers
    total = 0
    for i, spec in enumerate(specs):
        where = f"layer {i}"
        if not isinstance(spec, dict) or not isinstance(
            spec.get("config"), dict
        ):
            raise _Bad(f"{where} is not an object with a 'type' and a 'config'")
        kind = spec.get("type")
        if not isinstance(kind, str) or kind not in LAYERS:
            raise _Bad(
                f"{where} has the unknown type {kind!r:.60} (known: {', '.join(LAYERS)})"
            )
        config, shapes = _layer_config(kind, spec["config"], where)
        for name, shape in shapes.items():
            total += math.prod(shape)
            expected[f"{i}.{name}.npy"] = None
        if total > MAX_PARAMETERS:
            raise _Bad(f"its layers need more than {MAX_PARAMETERS} parameters")
        checked.append((kind, config, shapes))

    spec_in = architecture.get("input")
    input_shape = scale = None
    if spec_in is not None:
        if not isinstance(spec_in, dict) or set(spec_in) - {
            "shape",
            "dtype",
            "scale",
        }:
            raise _Bad(
                f"its 'input' must be an object with shape, dtype and scale, got {spec_in!r:.60}"
            )
        input_shape = spec_in.get("shape")
        if input_shape is not None:
            if (
                not isinstance(input_shape, list)
                or not 1 <= len(input_shape) <= 8
            ):
                raise _Bad(
                    f"its input shape must be a list of 1 to 8 ints, got {input_shape!r:.60}"
                )
            input_shape = tuple(
                _int(n, "its input shape", 1) for n in input_shape
            )
        scale = spec_in.get("scale")
        if scale is not None and (
            not isinstance(scale, (int, float))
            or isinstance(scale, bool)
            or not 0 < scale < float("inf")
        ):
            raise _Bad(
                f"its input scale must be a number > 0, got {scale!r:.60}"
            )
    classes = architecture.get("classes")
    if classes is not None and (
        not isinstance(classes, list)
        or not all(
            isinstance(c, (str, int)) and not isinstance(c, bool)
            for c in classes
        )
    ):
        raise _Bad(
            f"its classes must be a list of str or int, got {classes!r:.60}"
        )

    missing = [name for name in expected if name not in names]
    extra = names - set(expected)
    if missing:
        raise _Bad(
            f"the parameter {missing[0].removesuffix('.npy')!r} is missing"
            + (f" ({len(missing)} arrays are)" if len(missing) > 1 else "")
        )
    if extra:
        raise _Bad(
            f"it holds arrays no layer takes: {', '.join(sorted(n.removesuffix('.npy') for n in extra))}"
        )
    for i, (_, config, shapes) in enumerate(checked):
        for name, shape in shapes.items():
            key = f"{i}.{name}"
            _check_member(
                zf, key + ".npy", shape, _FLOAT[config["dtype"]], repr(key)
            )

    # The file holds what the layers need: build them (no random draw) and fill them.
    layers = []
    for i, (kind, config, shapes) in enumerate(checked):
        cls = LAYERS[kind]
        if issubclass(cls, _Weighted):
            config = dict(config, init="zeros")
        try:
            layer = cls(**config)
        except (TypeError, ValueError) as exc:
            raise _Bad(
                f"layer {i} ({kind}) cannot be built from {config}: {exc}"
            ) from None
        for name in shapes:
            value = _read(zf, f"{i}.{name}.npy")
            setattr(layer, name, value)
        layers.append(layer)
    try:
        return Network(
            layers, input_shape=input_shape, input_scale=scale, classes=classes
        )
    except (TypeError, ValueError) as exc:
        raise _Bad(f"its layers and input do not fit together: {exc}") from None


def load(path: Any) -> Network:
    """Rebuild a network written by ``save``, without running any code from the file.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    Network
        With the recorded ``input_shape``, ``input_scale`` and ``classes``.

    Raises
    ------
    OSError
        The file cannot be opened.
    ValueError
        The file is not a network saved by ``save``: not a zip (.npz)
        archive, truncated or corrupt, an architecture with unknown types,
        wrong types or sizes beyond ``MAX_SIZE``, encrypted members, or arrays
        whose headers do not fit the layers. The message names the file and
        what is wrong.
    """
    path = os.fspath(path)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    prefix = f"{path} is not a network saved by Network.save: "
    with open(path, "rb") as f:
        try:
            with zipfile.ZipFile(f) as zf:
                return _load(zf)
        except _Bad as exc:
            raise ValueError(prefix + str(exc)) from None
        except zipfile.BadZipFile as exc:
            if "File is not a zip file" in str(exc):
                raise ValueError(
                    prefix + "it is not a zip (.npz) archive"
                ) from None
            raise ValueError(prefix + f"truncated or corrupt ({exc})") from None
        except zlib.error as exc:
            raise ValueError(
                prefix + f"a compressed array is corrupt ({exc})"
            ) from None
        except (
            EOFError,
            ValueError,
            NotImplementedError,
            OverflowError,
        ) as exc:
            raise ValueError(prefix + f"truncated or corrupt ({exc})") from None
