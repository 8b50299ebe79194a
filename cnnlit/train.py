r"""Train a small CNN on scikit-learn's 8x8 digits; the command line of :ref:`training`.

Run ``python -m cnnlit.train --help`` (or ``cnnlit-train --help`` once
installed). The data (:mod:`cnnlit.data`) are split into training,
validation and test sets, fixed whatever the seed; ``--seed`` changes only the
initial weights, the order of the examples and their random shifts. The
network learns from the training set, the validation accuracy is reported
after every epoch (the learning rate and the number of epochs were chosen on
it), and the test set is used once, at the end: the run ends by printing
``test accuracy: 0.XXXX`` on stdout. A progress bar goes to stderr when it is
a terminal (or with ``--progress``).

Every option of the run is a field of :class:`TrainConfig`, which checks its
values; the command line is built from those fields, so a default is written
once. Training needs scikit-learn, for its data file only:
``pip install cnnlit[train]``.
"""

import argparse
import contextlib
import dataclasses
import os
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from ._checks import check_flag, check_float_dtype, check_int, check_real
from .data import (  # noqa: F401  (re-exported: the data of a run are importable from here too)
    Splits,
    load_data,
    load_digits_arrays,
    load_splits,
    shift_batch,
    stratified_split,
)
from .losses import LOSSES, loss_and_grad, one_hot  # noqa: F401  (one_hot re-exported)
from .network import Activation, Conv2D, Dense, Flatten, Network, Pool
from .optim import SGD

# The data functions imported above stay importable from here (documented in cnnlit.data).
__all__ = [
    "TrainConfig",
    "TrainResult",
    "build_network",
    "train",
    "main",
    "DEFAULT_LR",
]

# Initial learning rate when none is given. The defaults of the learning rate
# and of the number of epochs were chosen on the validation set alone: the mean
# validation accuracy over seeds 0 to 9 of every pair of a grid, lr in
# {0.1, 0.2, 0.3, 0.5} times epochs in {15, 25, 40} for the half squared error
# (best: 0.2 and 40), then lr in {0.02, 0.05, 0.1} at 40 epochs for softmax
# cross-entropy (best: 0.05); more epochs would make the default run too slow
# for the book. The sigmoid in front of the half squared error shrinks its
# gradients (a'(c) <= 1/4), so it takes a larger step.
DEFAULT_LR = {"half_squared_error": 0.2, "softmax_cross_entropy": 0.05}

MAX_SHIFT = 3  # pixels: a digit of 8x8 moved further leaves little of itself


def build_network(
    *, rng, loss="half_squared_error", channels=32, hidden=128, dtype=np.float32
):
    r"""The chapter's CNN for 8x8 single-channel images and 10 classes.

    ``Conv2D(1, channels, 3, padding=1)`` -> ReLU -> max pool 2 -> flatten ->
    ``Dense(channels * 4 * 4, hidden)`` -> ReLU -> ``Dense(hidden, 10)``.
    Weights are drawn as in :class:`~cnnlit.network.Conv2D` and
    :class:`~cnnlit.network.Dense` (He), in the same order for both losses.
    With the half squared error a sigmoid follows, so that the outputs live in
    (0, 1) like the one-hot targets; the last weights then start at zero and
    the last biases at :math:`\log(0.1 / 0.9)`, so that every output starts at
    exactly 0.1, the share of each class (see :ref:`training` for why). With
    softmax cross-entropy the 10 outputs are the logits.

    Parameters
    ----------
    rng : numpy.random.Generator
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
    """
    check_flag(loss, "loss", LOSSES)
    channels = check_int(channels, "channels", 1)
    hidden = check_int(hidden, "hidden", 1)
    out = Dense(hidden, 10, rng=rng, dtype=dtype)
    layers = [
        Conv2D(1, channels, 3, rng=rng, padding=1, dtype=dtype),
        Activation("relu"),
        Pool(2),
        Flatten(),
        Dense(channels * 4 * 4, hidden, rng=rng, dtype=dtype),
        Activation("relu"),
        out,
    ]
    if loss == "half_squared_error":
        out.w[...] = 0
        out.b[...] = np.log(0.1 / 0.9)
        layers.append(Activation("sigmoid"))
    return Network(layers)


# ----- the options of a run -------------------------------------------------------------------


def _option(default, help, check, parse=None, **argparse_options):
    """A field of :class:`TrainConfig`: its default, its check and how the command line reads it.

    ``check`` takes a value and returns it normalised, or raises TypeError /
    ValueError naming the option; ``parse`` turns the command line's text into
    a value (the check follows).
    """
    return field(
        default=default,
        metadata=dict(
            help=help, check=check, parse=parse, argparse=argparse_options
        ),
    )


def _positive_lr(value):
    return (
        None if value is None else check_real(value, "lr", low=0, low_open=True)
    )


def _threads(value):
    return None if value is None else check_int(value, "threads", 1)


def _limit(value):
    return None if value is None else check_int(value, "limit", 1)


def _progress(value):
    if value is not None and not isinstance(value, bool):
        raise TypeError(f"progress must be True, False or None, got {value!r}")
    return value


@dataclass(frozen=True)
class TrainConfig:
    """Every option of a training run, checked when the configuration is made.

    The command line of ``python -m cnnlit.train`` has one option per field
    (``batch_size`` is ``--batch-size``), with the same defaults.
    :func:`dataclasses.replace` makes a changed copy (checked again).

    Examples
    --------
    >>> config = TrainConfig(epochs=5)
    >>> config.epochs, config.initial_lr
    (5, 0.2)
    >>> TrainConfig(lr=float("inf"))
    Traceback (most recent call last):
    ...
    ValueError: lr must be a finite number > 0, got inf
    """

    seed: int = _option(
        0,
        "seed of the initial weights, the order of the examples and the shifts",
        lambda v: check_int(v, "seed", 0),
        int,
    )
    epochs: int = _option(
        40,
        "passes over the training set",
        lambda v: check_int(v, "epochs", 1),
        int,
    )
    loss: str = _option(
        "half_squared_error",
        "loss to minimise",
        lambda v: check_flag(v, "loss", LOSSES),
        str,
        choices=LOSSES,
    )
    batch_size: int = _option(
        32, "examples per step", lambda v: check_int(v, "batch_size", 1), int
    )
    lr: float = _option(
        None,
        "initial learning rate, decayed linearly towards 0 (default: "
        + ", ".join(f"{v} for {k}" for k, v in DEFAULT_LR.items())
        + ")",
        _positive_lr,
        float,
    )
    momentum: float = _option(
        0.9,
        "SGD momentum in [0, 1)",
        lambda v: check_real(v, "momentum", low=0, high=1, high_open=True),
        float,
    )
    channels: int = _option(
        32,
        "kernels of the convolution",
        lambda v: check_int(v, "channels", 1),
        int,
    )
    hidden: int = _option(
        128,
        "units of the hidden dense layer",
        lambda v: check_int(v, "hidden", 1),
        int,
    )
    shift: int = _option(
        1,
        f"largest random shift of a training image in pixels, 0 to {MAX_SHIFT}",
        lambda v: check_int(v, "shift", 0, MAX_SHIFT),
        int,
    )
    limit: int = _option(
        None,
        "train on the first LIMIT (or limit) training examples only, for quick runs",
        _limit,
        int,
    )
    dtype: np.dtype = _option(
        np.dtype(np.float32),
        "floating-point type",
        check_float_dtype,
        str,
        choices=("float32", "float64"),
    )
    threads: int = _option(
        1,
        "BLAS threads while training; None (0 on the command line) keeps the library's default",
        _threads,
        lambda text: int(text) or None,
    )
    progress: bool = _option(
        None,
        "draw a progress bar on stderr (default: only on a terminal)",
        _progress,
    )

    def __post_init__(self):
        for f in dataclasses.fields(self):
            object.__setattr__(
                self, f.name, f.metadata["check"](getattr(self, f.name))
            )

    @property
    def initial_lr(self):
        """float: ``lr``, or the default learning rate of ``loss`` (:data:`DEFAULT_LR`) when ``lr`` is None."""
        return DEFAULT_LR[self.loss] if self.lr is None else self.lr


def _parameters_section(cls):
    """Write the numpydoc Parameters of ``cls`` from its fields' help (the help is written once)."""
    lines = ["Parameters", "----------"]
    for f in dataclasses.fields(cls):
        default = (
            f.default.name if isinstance(f.default, np.dtype) else f.default
        )
        choices = f.metadata["argparse"].get("choices")
        kind = (
            "{" + ", ".join(map(repr, choices)) + "}"
            if choices
            else f.type.__name__
        )
        lines += [
            f"{f.name} : {kind}, default {default!r}",
            f"    {f.metadata['help'][:1].upper()}{f.metadata['help'][1:]}.",
        ]
    section = "".join(f"    {line}\n" for line in lines)
    cls.__doc__ = cls.__doc__.replace(
        "    Examples\n", section + "\n    Examples\n", 1
    )
    return cls


_parameters_section(TrainConfig)


@dataclass
class TrainResult:
    """What :func:`train` returns.

    Attributes
    ----------
    network : Network
        The trained network.
    history : dict of str to list of float
        One entry per epoch: ``"loss"``, the mean training loss over the epoch's
        mini-batches; ``"train_accuracy"``, the share of training images the
        network classified correctly in the forward passes of the epoch (shifted
        images, weights still moving: no extra pass over the data); and
        ``"val_accuracy"``, measured on the validation set after the epoch.
    val_accuracy : float
        The validation accuracy after the last epoch.
    x_test : ndarray, shape (450, 1, 8, 8)
    y_test : ndarray of int, shape (450,)
    predictions : ndarray of int, shape (450,)
        The trained network's classes for ``x_test``.
    test_accuracy : float
        Measured once, after training.
    config : TrainConfig
        The options of the run.
    seconds : float
        Wall time of the training loop (varies from run to run).
    """

    network: Network
    history: dict
    val_accuracy: float
    x_test: np.ndarray
    y_test: np.ndarray
    predictions: np.ndarray
    test_accuracy: float
    config: TrainConfig
    seconds: float


# ----- the run ---------------------------------------------------------------------------------


def _progress_bar(epoch, epochs, done, total, loss, width=20):
    filled = int(round(width * done / total))
    percent = int(round(100 * done / total))
    return f"\repoch {epoch}/{epochs} [{'#' * filled}{'-' * (width - filled)}] {percent:3d}% loss {loss:.4f}"


def _blas_threads(threads):
    """Limit the BLAS threads (through threadpoolctl, installed with scikit-learn) while training.

    The matrix products of this network are small: on a busy machine extra BLAS
    threads mostly wait for each other, and one thread is several times faster.
    """
    if threads is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn brings threadpoolctl
        return contextlib.nullcontext()
    return threadpool_limits(limits=threads, user_api="blas")


def train(config=None, /, *, log=None, **options):
    """Train the chapter's CNN (:func:`build_network`) on the digits with mini-batch SGD.

    Each epoch visits the training set once in a fresh random order, every
    image moved by up to ``shift`` pixels (:func:`~cnnlit.data.shift_batch`);
    each step uses the mean gradient of its mini-batch; the learning rate falls
    linearly from ``lr`` towards 0 over the run. After each epoch the network
    is measured on the validation set; the test set is used once, after the
    last epoch. Shuffling, shifts and initial weights all come from ``seed``,
    so the same options give the same numbers.

    Parameters
    ----------
    config : TrainConfig, optional
        The options of the run; keyword ``options`` override its fields (or
        make a new :class:`TrainConfig` when ``config`` is not given), e.g.
        ``train(seed=1, epochs=5)``. See :class:`TrainConfig` for every option
        and its default.
    log : callable, optional
        Called with one line of text after every epoch (loss, training and
        validation accuracy); the command line passes ``print``.

    Returns
    -------
    TrainResult
    """
    if config is None:
        config = TrainConfig(**options)
    elif isinstance(config, TrainConfig):
        config = dataclasses.replace(config, **options)
    else:
        raise TypeError(
            f"config must be a TrainConfig, got {type(config).__name__}"
        )
    if log is not None and not callable(log):
        raise TypeError(
            f"log must be callable (e.g. print) or None, got {log!r}"
        )
    with _blas_threads(config.threads):
        return _train(config, log)


def _train(config, log):
    """The loop of :func:`train`, its options already checked."""
    progress = (
        sys.stderr.isatty() if config.progress is None else config.progress
    )
    data = load_splits(config.dtype)
    x_train, y_train = (
        data.x_train[: config.limit],
        data.y_train[: config.limit],
    )
    rng = np.random.default_rng(config.seed)
    network = build_network(
        rng=rng,
        loss=config.loss,
        channels=config.channels,
        hidden=config.hidden,
        dtype=config.dtype,
    )
    lr = config.initial_lr
    optimizer = SGD(lr, config.momentum)
    history = {"loss": [], "train_accuracy": [], "val_accuracy": []}
    N = len(x_train)
    n_batches = -(-N // config.batch_size)
    total_steps = config.epochs * n_batches
    step = 0
    start = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        order = rng.permutation(N)
        losses = []
        correct = 0
        for i in range(n_batches):
            optimizer.lr = lr * (1 - step / total_steps)
            idx = order[i * config.batch_size : (i + 1) * config.batch_size]
            o = network.forward(shift_batch(x_train[idx], rng, config.shift))
            E, dE_do = loss_and_grad(o, y_train[idx], config.loss)
            correct += int(np.sum(np.argmax(o, axis=1) == y_train[idx]))
            network.backward(dE_do)
            optimizer.step(network)
            losses.append(E)
            step += 1
            if progress:
                sys.stderr.write(
                    _progress_bar(
                        epoch,
                        config.epochs,
                        i + 1,
                        n_batches,
                        float(np.mean(losses)),
                    )
                )
                sys.stderr.flush()
        history["loss"].append(float(np.mean(losses)))
        history["train_accuracy"].append(
            correct / N
        )  # as seen during the epoch: no extra pass
        history["val_accuracy"].append(
            float(np.mean(network.predict(data.x_val) == data.y_val))
        )
        if progress:
            sys.stderr.write("\r" + " " * 60 + "\r")
            sys.stderr.flush()
        if log is not None:
            log(
                f"epoch {epoch:{len(str(config.epochs))}d}/{config.epochs}  loss {history['loss'][-1]:.4f}  "
                f"train accuracy {history['train_accuracy'][-1]:.4f}  "
                f"validation accuracy {history['val_accuracy'][-1]:.4f}"
            )
    seconds = time.perf_counter() - start
    predictions = network.predict(data.x_test)  # the only use of the test set
    return TrainResult(
        network=network,
        history=history,
        val_accuracy=history["val_accuracy"][-1],
        x_test=data.x_test,
        y_test=data.y_test,
        predictions=predictions,
        test_accuracy=float(np.mean(predictions == data.y_test)),
        config=config,
        seconds=seconds,
    )


# ----- the command line ------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line: the message, no usage block."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _argument_type(f):
    """The argparse ``type`` of field ``f``: parse the text, then the field's own check."""
    parse, check = f.metadata["parse"], f.metadata["check"]

    def convert(text):
        try:
            value = parse(text)
        except ValueError:
            expected = "an int" if f.type is int else "a number"
            raise argparse.ArgumentTypeError(
                f"{f.name} must be {expected}, got {text!r}"
            ) from None
        try:
            return check(value)
        except (TypeError, ValueError) as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = f.name
    return convert


def _save_path(text):
    directory = os.path.dirname(os.path.abspath(text))
    if not os.path.isdir(directory):
        raise argparse.ArgumentTypeError(
            f"cannot write {text!r}: the directory {directory!r} does not exist"
        )
    return text


def _parser():
    prog = (
        "cnnlit-train"
        if os.path.basename(sys.argv[0]) == "cnnlit-train"
        else "python -m cnnlit.train"
    )
    p = _Parser(
        prog=prog,
        description="Train a small CNN (cnnlit) on scikit-learn's 8x8 digits, report its validation "
        "accuracy after every epoch and its test accuracy at the end.",
    )
    for f in dataclasses.fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        default = (
            f.default.name if isinstance(f.default, np.dtype) else f.default
        )
        if f.name == "progress":
            bar = p.add_mutually_exclusive_group()
            bar.add_argument(
                flag,
                dest=f.name,
                action="store_true",
                default=default,
                help=f.metadata["help"],
            )
            bar.add_argument(
                "--no-" + f.name,
                dest=f.name,
                action="store_false",
                help="never draw it",
            )
            continue
        shown = "" if f.default is None else f" (default {default})"
        p.add_argument(
            flag,
            dest=f.name,
            type=_argument_type(f),
            default=default,
            metavar=None
            if "choices" in f.metadata["argparse"]
            else f.name.upper(),
            help=f.metadata["help"] + shown,
            **f.metadata["argparse"],
        )
    p.add_argument(
        "--save",
        metavar="FILE",
        type=_save_path,
        help="write the trained network to FILE (.npz)",
    )
    return p


def main(argv=None):
    """Command-line entry point: parse ``argv``, train, print one line per epoch and ``test accuracy: 0.XXXX``.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status 0. A bad argument prints a one-line error and exits with
        status 2; a missing scikit-learn (``pip install cnnlit[train]``) or a
        file that ``--save`` cannot write, with status 1.
    """
    parser = _parser()
    args = vars(parser.parse_args(argv))
    save = args.pop("save")
    config = TrainConfig(**args)
    try:
        result = train(config, log=print)
    except (
        ImportError
    ) as exc:  # scikit-learn missing: the message names the extra to install
        parser.exit(1, f"{parser.prog}: error: {exc}\n")
    if save is not None:
        try:
            result.network.save(save)
        except OSError as exc:
            parser.exit(
                1, f"{parser.prog}: error: cannot write {save!r}: {exc}\n"
            )
        print(f"saved the trained network to {save}")
    print(f"test accuracy: {result.test_accuracy:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
