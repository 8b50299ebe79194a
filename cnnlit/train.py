"""The digits command: the chapter's CNN trained on scikit-learn's 8x8 digits.

``train(...)`` trains the CNN of the chapter "Training on digits"
(``build_network``) on scikit-learn's 8x8 digits (``cnnlit.data``) with the
loop of ``cnnlit.fitting``, whose ``fit``, ``evaluate``, ``accuracy``,
``History`` and ``DEFAULT_LR`` are importable from here too. The training,
validation and test sets are fixed whatever the seed; ``seed`` changes only
the initial weights, the order of the examples and their random shifts. The
test set is used once, at the end. ``python -m cnnlit.train --help`` (or
``cnnlit-train --help`` once installed) is its command line. Training on the
digits needs scikit-learn, for its data file only:
``pip install "cnnlit[train]"``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from ._checks import check_flag, check_float_dtype, check_int, check_real
from .base_layer import as_rng
from .data import load_splits, shift_batch
from .fitting import (
    DEFAULT_LR,
    History,
    accuracy,
    evaluate,
    fit,
)
from .fitting import SCHEDULES as SCHEDULES  # importable from here too
from .losses import LOSSES
from .network import Activation, Conv2D, Dense, Flatten, Network, Pool

__all__ = [
    "fit",
    "evaluate",
    "accuracy",
    "History",
    "build_network",
    "train",
    "TrainResult",
    "main",
    "DEFAULT_LR",
    "MAX_PARAMETERS",
]

MAX_SHIFT = 3  # pixels: a digit of 8x8 moved further leaves little of itself
MAX_PARAMETERS = 10**8  # the digits command refuses larger networks at once


# ----- the digits -------------------------------------------------------------------------------


def build_network(
    *,
    rng: np.random.Generator | int | None = None,
    loss: str = "half_squared_error",
    channels: int = 32,
    hidden: int = 128,
    dtype: DTypeLike = np.float32,
) -> Network:
    """The chapter's CNN for 8x8 single-channel images and 10 classes.

    ``Conv2D(1, channels, 3, padding=1)`` -> ReLU -> max pool 2 -> flatten ->
    ``Dense(channels * 4 * 4, hidden)`` -> ReLU -> ``Dense(hidden, 10)``.
    Weights are drawn from ``rng`` as He's N(0, 2 / fan_in), in the same
    order for both losses. With the half squared error a sigmoid follows, so
    that the outputs live in (0, 1) like the one-hot targets; the last
    weights then start at zero and the last biases at log(0.1 / 0.9), so that
    every output starts at 0.1 (to rounding), the share of each class (the
    chapter says why). With softmax cross-entropy the 10 outputs are the
    logits.

    Parameters
    ----------
    rng : numpy.random.Generator, int or None
        Draws the initial weights.
    loss : {'half_squared_error', 'softmax_cross_entropy'}
    channels : int
        Kernels (output units) of the convolution.
    hidden : int
        Units of the hidden dense layer.
    dtype : {float32, float64}

    Returns
    -------
    Network
        With ``input_shape`` (1, 8, 8) and the classes 0 to 9.
    """
    check_flag(loss, "loss", LOSSES)
    channels = check_int(channels, "channels", 1)
    hidden = check_int(hidden, "hidden", 1)
    rng = as_rng(rng)
    out = Dense(hidden, 10, rng=rng, dtype=dtype, init="he")
    layers = [
        Conv2D(1, channels, 3, padding=1, rng=rng, dtype=dtype, init="he"),
        Activation("relu"),
        Pool(2),
        Flatten(),
        Dense(channels * 4 * 4, hidden, rng=rng, dtype=dtype, init="he"),
        Activation("relu"),
        out,
    ]
    if loss == "half_squared_error":
        out.w[...] = 0
        out.b[...] = np.log(0.1 / 0.9)
        layers.append(Activation("sigmoid"))
    return Network(layers, input_shape=(1, 8, 8), classes=list(range(10)))


def _network_size(channels: int, hidden: int) -> int:
    return channels * 10 + (channels * 16 + 1) * hidden + (hidden + 1) * 10


@dataclass
class TrainResult:
    """What ``train`` returns.

    Attributes
    ----------
    network : Network
        The trained network. It takes raw digit pixels, 0 to 16
        (``input_scale`` 1/16), as ``load_digits`` gives them.
    history : History
        One entry per epoch (see ``fit``): ``"loss"``, ``"train_accuracy"``
        and ``"val_accuracy"``.
    val_accuracy : float
        The validation accuracy after the last epoch.
    x_test : ndarray, shape (450, 1, 8, 8)
        Raw pixels, 0 to 16, as the network takes them.
    y_test : ndarray of int, shape (450,)
    predictions : ndarray of int, shape (450,)
        The trained network's classes for ``x_test``.
    test_accuracy : float
        Measured once, after training.
    options : dict
        The options of the run, every one of ``train``'s keywords but
        ``log``.
    seconds : float
        Wall time of the training loop (varies from run to run).
    """

    network: Network
    history: History
    val_accuracy: float
    x_test: np.ndarray[Any, Any]
    y_test: np.ndarray[Any, Any]
    predictions: np.ndarray[Any, Any]
    test_accuracy: float
    options: dict[str, Any]
    seconds: float


def _blas_threads(threads: int) -> Any:
    """Limit the BLAS threads (through threadpoolctl, installed with scikit-learn) while training.

    The matrix products of this network are small: on a busy machine extra BLAS
    threads mostly wait for each other, and one thread is several times faster.
    """
    if threads == 0:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn brings threadpoolctl
        return contextlib.nullcontext()
    return threadpool_limits(limits=threads, user_api="blas")


def train(
    *,
    seed: int = 0,
    epochs: int = 40,
    loss: str = "half_squared_error",
    batch_size: int = 32,
    lr: float | None = None,
    momentum: float = 0.9,
    channels: int = 32,
    hidden: int = 128,
    shift: int = 1,
    limit: int | None = None,
    dtype: DTypeLike = "float32",
    threads: int = 1,
    progress: bool | None = None,
    log: Callable[[str], Any] | None = None,
) -> TrainResult:
    """Train the chapter's CNN (``build_network``) on the digits with ``fit``.

    Each epoch visits the training set once in a fresh random order, every
    image moved by up to ``shift`` pixels (``cnnlit.data.shift_batch``); the
    learning rate falls linearly from ``lr`` towards 0. After each epoch the
    network is measured on the validation set; the test set is used once,
    after the last epoch. Initial weights, shuffling and shifts all come from
    one generator seeded by ``seed``, so the same options give the same
    numbers.

    Parameters
    ----------
    seed : int, default 0
        Seed of the initial weights, the order of the examples and the shifts.
    epochs : int, default 40
        Passes over the training set.
    loss : {'half_squared_error', 'softmax_cross_entropy'}
    batch_size : int, default 32
        Examples per step.
    lr : float, optional
        Initial learning rate (default: ``DEFAULT_LR[loss]``).
    momentum : float, default 0.9
        SGD momentum in [0, 1).
    channels : int, default 32
        Kernels of the convolution.
    hidden : int, default 128
        Units of the hidden dense layer.
    shift : int, default 1
        Largest random shift of a training image in pixels, 0 to 3.
    limit : int, optional
        Train on the first ``limit`` training examples only, for quick runs.
    dtype : {'float32', 'float64'}
    threads : int, default 1
        BLAS threads while training; 0 keeps the library's own default.
    progress : bool, optional
        Draw a progress bar on stderr (default: only when it is a terminal).
    log : callable, optional
        Called with one line of text after every epoch (loss, training and
        validation accuracy); the command line passes ``print``.

    Returns
    -------
    TrainResult
    """
    options = dict(
        seed=check_int(seed, "seed", 0),
        epochs=check_int(epochs, "epochs", 1),
        loss=check_flag(loss, "loss", LOSSES),
        batch_size=check_int(batch_size, "batch_size", 1),
        lr=None if lr is None else check_real(lr, "lr", low=0, low_open=True),
        momentum=check_real(
            momentum, "momentum", low=0, high=1, high_open=True
        ),
        channels=check_int(channels, "channels", 1),
        hidden=check_int(hidden, "hidden", 1),
        shift=check_int(shift, "shift", 0, MAX_SHIFT),
        limit=None if limit is None else check_int(limit, "limit", 1),
        dtype=check_float_dtype(dtype).name,
        threads=check_int(threads, "threads", 0),
        progress=progress,
    )
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(
            f"progress must be True, False or None, got {progress!r}"
        )
    if log is not None and not callable(log):
        raise TypeError(
            f"log must be callable (e.g. print) or None, got {log!r}"
        )
    size = _network_size(options["channels"], options["hidden"])
    if size > MAX_PARAMETERS:
        raise ValueError(
            f"channels={options['channels']} and hidden={options['hidden']} make a network of "
            f"{size:,} parameters, more than the {MAX_PARAMETERS:,} this command trains"
        )
    with _blas_threads(options["threads"]):
        return _train(options, log)


def _train(o: dict[str, Any], log: Callable[[str], Any] | None) -> TrainResult:
    """The run of ``train``, its options already checked."""
    # Raw pixels 0..16: the network scales them (by 1/16, exactly), so that it
    # takes the digits as load_digits gives them, in training and once saved.
    data = load_splits(o["dtype"], scaled=False)
    rng = np.random.default_rng(o["seed"])
    network = build_network(
        rng=rng,
        loss=o["loss"],
        channels=o["channels"],
        hidden=o["hidden"],
        dtype=o["dtype"],
    )
    network.input_scale = 1 / 16
    progress = sys.stderr.isatty() if o["progress"] is None else o["progress"]
    history = fit(
        network,
        data.x_train[: o["limit"]],
        data.y_train[: o["limit"]],
        loss=o["loss"],
        epochs=o["epochs"],
        batch_size=o["batch_size"],
        lr=DEFAULT_LR[o["loss"]] if o["lr"] is None else o["lr"],
        momentum=o["momentum"],
        weight_decay=0.0,
        schedule="linear",
        validation=(data.x_val, data.y_val),
        seed=rng,
        augment=lambda batch, rng: shift_batch(batch, rng, o["shift"]),
        log=log,
        progress=progress,
    )
    predictions = network.predict(data.x_test)  # the only use of the test set
    return TrainResult(
        network=network,
        history=history,
        val_accuracy=history["val_accuracy"][-1],
        x_test=data.x_test,
        y_test=data.y_test,
        predictions=predictions,
        test_accuracy=float(np.mean(predictions == data.y_test)),
        options=o,
        seconds=history.seconds,
    )


# ----- the command line ------------------------------------------------------------------------


def _typed(
    parse: Callable[[str], Any],
    check: Callable[[Any], Any],
    name: str,
    kind: str,
) -> Callable[[str], Any]:
    """An argparse ``type``: parse the text, then check the value; both errors name the option."""

    def convert(text: str) -> Any:
        try:
            value = parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name} must be {kind}, got {text!r}"
            ) from None
        try:
            return check(value)
        except (TypeError, ValueError) as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return convert


def _int_option(
    name: str, low: int, high: int | None = None
) -> Callable[[str], Any]:
    return _typed(int, lambda v: check_int(v, name, low, high), name, "an int")


def _dtype(text: str) -> str:
    try:
        return check_float_dtype(text).name
    except (TypeError, ValueError) as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _save_path(text: str) -> str:
    from .saving import check_destination

    try:
        return check_destination(text)
    except OSError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


# the integer options: flag, smallest, largest, default, help
_INT_OPTIONS = (
    ("seed", 0, None, 0, "random seed of the initial weights, the order of "
     "the examples and the shifts (default 0)"),
    ("epochs", 1, None, 40, "passes over the training set (default 40)"),
    ("batch-size", 1, None, 32, "examples per step (default 32)"),
    ("channels", 1, None, 32, "kernels of the convolution (default 32)"),
    ("hidden", 1, None, 128, "units of the hidden dense layer (default 128)"),
    ("shift", 0, MAX_SHIFT, 1, "largest random shift of a training image in "
     f"pixels, 0 to {MAX_SHIFT} (default 1)"),
    ("limit", 1, None, None, "train on the first LIMIT training examples "
     "only, for quick runs (default: all 1078)"),
    ("threads", 0, None, 1, "BLAS threads while training (default 1; 0 "
     "keeps the BLAS library's own default)"),
)  # fmt: skip


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    prog = (
        "cnnlit-train"
        if os.path.basename(sys.argv[0]) == "cnnlit-train"
        else "python -m cnnlit.train"
    )
    p = argparse.ArgumentParser(
        prog=prog,
        description="Train a small CNN (cnnlit) on scikit-learn's 8x8 digits, report its validation "
        "accuracy after every epoch and its test accuracy at the end.",
        epilog="The train accuracy of an epoch is counted during the epoch, on shifted images while the "
        "weights still move; the validation accuracy is measured after it, so the first is lower early on. "
        'Needs scikit-learn: pip install "cnnlit[train]".',
    )
    # errors in one line: the message, no usage block
    setattr(  # noqa: B010 (assigning the method directly is refused by mypy)
        p,
        "error",
        lambda message: p.exit(2, f"{p.prog}: error: {message} (see --help)\n"),
    )
    p.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    lr_default = ", ".join(f"{v} for {k}" for k, v in DEFAULT_LR.items())
    real = lambda name, **bounds: _typed(
        float, lambda v: check_real(v, name, **bounds), name, "a number"
    )
    add = p.add_argument
    for flag, low, high, default, text in _INT_OPTIONS:
        name = flag.replace("-", "_")
        add(
            f"--{flag}",
            type=_int_option(name, low, high),
            default=default,
            metavar=name.upper(),
            help=text,
        )
    add(
        "--loss",
        type=_typed(
            str, lambda v: check_flag(v, "loss", LOSSES), "loss", "a name"
        ),
        default="half_squared_error",
        choices=LOSSES,
        help="loss to minimise (default half_squared_error)",
    )
    add(
        "--lr",
        type=real("lr", low=0, low_open=True),
        default=None,
        metavar="LR",
        help=f"initial learning rate, decayed linearly towards 0 (default {lr_default})",
    )
    add(
        "--momentum",
        type=real("momentum", low=0, high=1, high_open=True),
        default=0.9,
        metavar="MOMENTUM",
        help="SGD momentum in [0, 1) (default 0.9)",
    )
    add(
        "--dtype",
        type=_dtype,
        default="float32",
        choices=("float32", "float64"),
        help="floating-point type (default float32)",
    )
    bar = p.add_mutually_exclusive_group()
    bar.add_argument(
        "--progress",
        dest="progress",
        action="store_true",
        default=None,
        help="draw a progress bar on stderr (default: only on a terminal)",
    )
    bar.add_argument(
        "--no-progress",
        dest="progress",
        action="store_false",
        help="never draw it",
    )
    add(
        "--save",
        metavar="FILE",
        type=_save_path,
        help="write the trained network to FILE (.npz); checked before training",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: parse ``argv``, train, print one line per epoch and ``test accuracy: 0.XXXX``.

    The last line also gives the time the run took.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status 0. A bad argument prints a one-line error and exits with
        status 2, and so does a ``--save`` path that cannot be written
        (checked before training); a missing scikit-learn (``pip install
        "cnnlit[train]"``), a network too large or a save that fails after
        training, with status 1.
    """
    start = time.perf_counter()
    parser = _parser()
    args = vars(parser.parse_args(argv))
    save = args.pop("save")
    try:
        result = train(**args, log=print)
    except (
        ImportError
    ) as exc:  # scikit-learn missing: the message names the extra
        parser.exit(1, f"{parser.prog}: error: {exc}\n")
    except ValueError as exc:  # a network too large for this command
        parser.exit(1, f"{parser.prog}: error: {exc}\n")
    except MemoryError:
        size = _network_size(args["channels"], args["hidden"])
        parser.exit(
            1,
            f"{parser.prog}: error: not enough memory for --channels {args['channels']} --hidden "
            f"{args['hidden']} ({size:,} parameters)\n",
        )
    chance = 1 / 10
    if result.val_accuracy < 2 * chance:
        print(
            f"note: validation accuracy {result.val_accuracy:.4f} is close to chance ({chance:.2f}): "
            "train on more examples (--limit) or for more epochs (--epochs)",
            file=sys.stderr,
        )
    if save is not None:
        try:
            result.network.save(save)
        except OSError as exc:
            parser.exit(
                1, f"{parser.prog}: error: cannot write {save!r}: {exc}\n"
            )
        print(
            f"saved the trained network to {save} (it takes raw pixels 0..16)"
        )
    elapsed = time.perf_counter() - start
    print(f"test accuracy: {result.test_accuracy:.4f}  ({elapsed:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
