"""One training loop for any Network on any arrays, and its measures.

``fit(network, x, y, ...)`` (also ``network.fit(x, y, ...)``) trains with
mini-batch SGD: every epoch visits the examples in a fresh order drawn from
``seed``, optionally moves them (``augment``), measures the network on the
validation arrays after the epoch and calls ``log`` with one line.
``evaluate`` and ``accuracy`` measure a network on arrays. The digits
command of the chapter "Training on digits" (``cnnlit.train``) is built on
this loop; the loop itself needs numpy alone.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._checks import (
    as_real_array,
    check_flag,
    check_int,
    check_labels,
    check_real,
)
from .base_layer import as_rng
from .losses import LOSSES, loss_and_grad
from .network import Network
from .optim import SGD

__all__ = ["fit", "evaluate", "accuracy", "History", "DEFAULT_LR"]

# Initial learning rate when none is given. For the digits, the defaults of the
# learning rate and of the number of epochs were chosen on the validation set
# alone: the mean validation accuracy over seeds 0 to 9 of every pair of a grid,
# lr in {0.1, 0.2, 0.3, 0.5} times epochs in {15, 25, 40} for the half squared
# error (best: 0.2 and 40), then lr in {0.02, 0.05, 0.1} at 40 epochs for
# softmax cross-entropy (best: 0.05); more epochs would make the default run
# too slow for the book. The sigmoid in front of the half squared error shrinks
# its gradients (a'(c) <= 1/4), so it takes a larger step.
DEFAULT_LR = {"half_squared_error": 0.2, "softmax_cross_entropy": 0.05}

SCHEDULES = ("linear", "constant")


class History(dict[str, list[float]]):
    """What ``fit`` returns: one list per measure, one entry per epoch.

    ``"loss"``: the mean training loss over the epoch's mini-batches;
    ``"train_accuracy"``: the share of training examples classified correctly
    in the forward passes of the epoch (augmented examples, weights still
    moving: no extra pass over the data, so it lags behind);
    ``"val_accuracy"``: measured after the epoch, when validation arrays are
    given. ``seconds`` is the wall time of the loop.
    """

    seconds: float = 0.0


def _progress_bar(
    epoch: int, epochs: int, done: int, total: int, loss: float, width: int = 20
) -> str:
    filled = int(round(width * done / total))
    percent = int(round(100 * done / total))
    return f"\repoch {epoch}/{epochs} [{'#' * filled}{'-' * (width - filled)}] {percent:3d}% loss {loss:.4f}"


def _xy(x: ArrayLike, y: ArrayLike, name: str) -> tuple[Any, Any]:
    x = as_real_array(x, f"x{name}")
    y = check_labels(y, f"y{name}")
    if len(x) != len(y):
        raise ValueError(
            f"x{name} and y{name} must hold as many examples, got {len(x)} and {len(y)}"
        )
    if len(x) == 0:
        raise ValueError(f"x{name} holds no examples")
    return x, y


def accuracy(
    network: Network, x: ArrayLike, y: ArrayLike, batch_size: int = 256
) -> float:
    """Share of the examples ``x`` whose predicted class is ``y``.

    Parameters
    ----------
    network : Network
    x : array_like, shape (N, ...)
    y : array_like of int, shape (N,)
    batch_size : int

    Returns
    -------
    float in [0, 1]
    """
    x, y = _xy(x, y, "")
    return float(np.mean(network.predict(x, batch_size) == y))


def evaluate(
    network: Network,
    x: ArrayLike,
    y: ArrayLike,
    *,
    loss: str = "softmax_cross_entropy",
    batch_size: int = 256,
) -> dict[str, float]:
    """Mean loss and accuracy of ``network`` on ``(x, y)``, in batches.

    Parameters
    ----------
    network : Network
    x : array_like, shape (N, ...)
    y : array_like of int, shape (N,)
    loss : {'softmax_cross_entropy', 'half_squared_error'}
    batch_size : int

    Returns
    -------
    dict
        ``{"loss": mean loss per example, "accuracy": share correct}``.
    """
    check_flag(loss, "loss", LOSSES)
    batch_size = check_int(batch_size, "batch_size", 1)
    x, y = _xy(x, y, "")
    total, correct = 0.0, 0
    for i in range(0, len(x), batch_size):
        o = network.forward(x[i : i + batch_size])
        E, _ = loss_and_grad(o, y[i : i + batch_size], loss)
        total += float(E) * len(o)
        correct += int(np.sum(np.argmax(o, axis=1) == y[i : i + batch_size]))
    return {"loss": total / len(x), "accuracy": correct / len(x)}


def fit(
    network: Network,
    x: ArrayLike,
    y: ArrayLike,
    *,
    loss: str = "softmax_cross_entropy",
    epochs: int = 10,
    batch_size: int = 32,
    lr: float | None = None,
    momentum: float = 0.9,
    weight_decay: float = 0.0,
    schedule: str = "linear",
    validation: tuple[ArrayLike, ArrayLike] | None = None,
    seed: np.random.Generator | int | None = 0,
    augment: Callable[[Any, np.random.Generator], Any] | None = None,
    log: Callable[[str], Any] | None = None,
    progress: bool = False,
) -> History:
    """Train ``network`` on ``(x, y)`` with mini-batch SGD; the network is changed in place.

    Each epoch visits the examples once in a fresh random order; each step
    uses the mean gradient of its mini-batch (``loss_and_grad``); the
    learning rate falls linearly from ``lr`` towards 0 over the run
    (``schedule="linear"``) or stays (``"constant"``). After each epoch the
    network is measured on ``validation``.

    Parameters
    ----------
    network : Network
    x : array_like, shape (N, ...)
        The examples, as the network takes them (its ``input_scale`` applies).
    y : array_like of int, shape (N,)
        Their classes, 0 to K - 1 for K outputs.
    loss : {'softmax_cross_entropy', 'half_squared_error'}
        Softmax cross-entropy takes the outputs as logits; the half squared
        error compares them with one-hot targets.
    epochs, batch_size : int
    lr : float, optional
        Initial learning rate (default: 0.05 for softmax cross-entropy, 0.2
        for the half squared error).
    momentum, weight_decay : float
        As in ``SGD``.
    schedule : {'linear', 'constant'}
    validation : (x_val, y_val), optional
    seed : numpy.random.Generator, int or None
        Draws the order of the examples and is passed to ``augment``: the
        same seed gives the same run.
    augment : callable, optional
        ``augment(batch, rng)`` returns the batch to train on (e.g.
        ``cnnlit.data.shift_batch``).
    log : callable, optional
        Called with one line of text after every epoch (e.g. ``print``).
    progress : bool
        Draw a progress bar on stderr.

    Returns
    -------
    History
        ``"loss"``, ``"train_accuracy"`` and (with ``validation``)
        ``"val_accuracy"``, one entry per epoch; ``.seconds``.

    Examples
    --------
    >>> from cnnlit.network import Dense, Network
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(64, 2)); y = (x[:, 0] > x[:, 1]).astype(int)
    >>> net = Network([Dense(2, 2, rng=1)])
    >>> history = fit(net, x, y, epochs=20, lr=0.5, seed=2)
    >>> accuracy(net, x, y) > 0.9
    True
    """
    if not isinstance(network, Network):
        raise TypeError(
            f"network must be a Network, got {type(network).__name__}"
        )
    check_flag(loss, "loss", LOSSES)
    epochs = check_int(epochs, "epochs", 1)
    batch_size = check_int(batch_size, "batch_size", 1)
    lr0 = (
        DEFAULT_LR[loss]
        if lr is None
        else check_real(lr, "lr", low=0, low_open=True)
    )
    check_flag(schedule, "schedule", SCHEDULES)
    for value, name in ((log, "log"), (augment, "augment")):
        if value is not None and not callable(value):
            raise TypeError(f"{name} must be callable or None, got {value!r}")
    if not isinstance(progress, bool):
        raise TypeError(f"progress must be True or False, got {progress!r}")
    x, y = _xy(x, y, "")
    if validation is not None:
        if not isinstance(validation, (tuple, list)) or len(validation) != 2:
            raise TypeError(
                f"validation must be a pair (x_val, y_val), got {type(validation).__name__}"
            )
        x_val, y_val = _xy(*validation, "_val")
    rng = as_rng(seed, "seed")
    optimizer = SGD(lr0, momentum, weight_decay)
    history = History(loss=[], train_accuracy=[])
    if validation is not None:
        history["val_accuracy"] = []
    N = len(x)
    n_batches = -(-N // batch_size)
    total_steps = epochs * n_batches
    step = 0
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        order = rng.permutation(N)
        losses = []
        correct = 0
        for i in range(n_batches):
            if schedule == "linear":
                optimizer.lr = lr0 * (1 - step / total_steps)
            idx = order[i * batch_size : (i + 1) * batch_size]
            batch = x[idx] if augment is None else augment(x[idx], rng)
            o = network.forward(batch)
            E, dE_do = loss_and_grad(o, y[idx], loss)
            correct += int(np.sum(np.argmax(o, axis=1) == y[idx]))
            network.backward(dE_do)
            optimizer.step(network)
            losses.append(E)
            step += 1
            if progress:
                sys.stderr.write(
                    _progress_bar(
                        epoch, epochs, i + 1, n_batches, float(np.mean(losses))
                    )
                )
                sys.stderr.flush()
        history["loss"].append(float(np.mean(losses)))
        history["train_accuracy"].append(correct / N)
        if validation is not None:
            history["val_accuracy"].append(accuracy(network, x_val, y_val))
        if progress:
            sys.stderr.write("\r" + " " * 60 + "\r")
            sys.stderr.flush()
        if log is not None:
            line = (
                f"epoch {epoch:{len(str(epochs))}d}/{epochs}  loss {history['loss'][-1]:.4f}  "
                f"train accuracy {history['train_accuracy'][-1]:.4f}"
            )
            if validation is not None:
                line += (
                    f"  validation accuracy {history['val_accuracy'][-1]:.4f}"
                )
            log(line)
    history.seconds = time.perf_counter() - start
    return history
