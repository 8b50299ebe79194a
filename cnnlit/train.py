r"""Train a small CNN on scikit-learn's 8x8 digits; the command line of :ref:`training`.

Run ``python -m cnnlit.train --help``. The data are the 1,797 images of
:func:`sklearn.datasets.load_digits` (shipped inside scikit-learn, nothing is
downloaded), pixels scaled to [0, 1], split once into a stratified training set
(75 %) and test set (25 %) by a fixed seed of its own; ``--seed`` changes only
the initial weights, the order of the examples and their random shifts. The run
ends by printing ``test accuracy: 0.XXXX`` on stdout; a progress bar goes to
stderr when it is a terminal (or with ``--progress``).

numpy is the package's only runtime dependency: scikit-learn is needed only
here, for its data file, and a clear ImportError says so when it is missing.
"""

import argparse
import contextlib
import inspect
import sys
import time
from dataclasses import dataclass

import numpy as np

from ._checks import check_int
from .losses import LOSSES, loss_and_grad
from .network import Activation, Conv2D, Dense, Flatten, Network, Pool
from .optim import SGD

__all__ = [
    "load_digits_arrays",
    "stratified_split",
    "load_data",
    "build_network",
    "shift_batch",
    "train",
    "TrainResult",
    "main",
    "DEFAULTS",
    "DEFAULT_LR",
]

SPLIT_SEED = 0
TEST_SIZE = 0.25

# Initial learning rate when none is given. The sigmoid in front of the half
# squared error shrinks its gradients (a'(c) <= 1/4), so it takes a larger step.
DEFAULT_LR = {"half_squared_error": 0.3, "softmax_cross_entropy": 0.05}


def _digits_file():
    """Path of the digits table shipped inside scikit-learn, found without importing it."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            "cnnlit.train needs scikit-learn for its data set (the digits of "
            "sklearn.datasets.load_digits, shipped with it); install it with `pip install scikit-learn`"
        )
    return Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / "digits.csv.gz"


def load_digits_arrays():
    """The 1,797 digits of :func:`sklearn.datasets.load_digits`: images (0..16) and labels.

    Reads the table that scikit-learn ships (``sklearn/datasets/data/digits.csv.gz``,
    no download) the way ``load_digits`` does, without importing scikit-learn
    itself (which takes seconds); falls back to ``load_digits`` if the file moved.

    Returns
    -------
    images : ndarray, shape (1797, 8, 8), float64, values 0..16
    labels : ndarray of int, shape (1797,)
    """
    path = _digits_file()
    if path.is_file():
        table = np.loadtxt(path, delimiter=",")
        return table[:, :-1].reshape(-1, 8, 8), table[:, -1].astype(np.intp)
    from sklearn.datasets import load_digits  # pragma: no cover - other layouts of scikit-learn

    digits = load_digits()
    return digits.images.astype(np.float64), digits.target.astype(np.intp)


def stratified_split(labels, test_size=TEST_SIZE, seed=SPLIT_SEED):
    """Indices of a stratified train/test split: each class loses ``round(test_size * count)`` to the test set.

    Parameters
    ----------
    labels : ndarray of int, shape (N,)
    test_size : float in (0, 1)
    seed : int
        Seed of the split (fixed: the same split for every training seed).

    Returns
    -------
    train_idx, test_idx : ndarray of int, sorted
    """
    rng = np.random.default_rng(seed)
    train_idx, test_idx = [], []
    for k in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == k))
        n_test = int(round(test_size * len(members)))
        test_idx.append(members[:n_test])
        train_idx.append(members[n_test:])
    return np.sort(np.concatenate(train_idx)), np.sort(np.concatenate(test_idx))


def load_data(dtype=np.float32):
    """The digits, scaled to [0, 1], split into a fixed stratified train and test set.

    Parameters
    ----------
    dtype : {float32, float64}

    Returns
    -------
    x_train : ndarray, shape (1347, 1, 8, 8)
    y_train : ndarray of int, shape (1347,)
    x_test : ndarray, shape (450, 1, 8, 8)
    y_test : ndarray of int, shape (450,)
    """
    images, labels = load_digits_arrays()
    x = (images / 16.0).astype(dtype)[:, None]  # pixels 0..16 -> [0, 1], one channel
    train_idx, test_idx = stratified_split(labels)
    return x[train_idx], labels[train_idx], x[test_idx], labels[test_idx]


def build_network(*, rng, loss="half_squared_error", channels=32, hidden=128, dtype=np.float32):
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
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(map(repr, LOSSES))}; got {loss!r}")
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


def shift_batch(x, rng, max_shift=1):
    """Move every image by a random whole number of pixels in each direction, filling with zeros.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    rng : numpy.random.Generator
        Draws the shifts, uniformly in ``[-max_shift, max_shift]``.
    max_shift : int
        0 returns ``x`` unchanged.

    Returns
    -------
    ndarray, shape (N, C, H, W)
    """
    if max_shift == 0:
        return x
    N, C, H, W = x.shape
    s = max_shift
    padded = np.pad(x, ((0, 0), (0, 0), (s, s), (s, s)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (H, W), axis=(2, 3))  # (N, C, 2s+1, 2s+1, H, W)
    dx = rng.integers(0, 2 * s + 1, N)
    dy = rng.integers(0, 2 * s + 1, N)
    return windows[np.arange(N), :, dx, dy]


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
        ``"test_accuracy"``, measured on the test set after the epoch.
    x_test : ndarray, shape (450, 1, 8, 8)
    y_test : ndarray of int, shape (450,)
    predictions : ndarray of int, shape (450,)
        The trained network's classes for ``x_test``.
    test_accuracy : float
    config : dict
        The arguments of the run.
    seconds : float
        Wall time of the training loop (varies from run to run).
    """

    network: Network
    history: dict
    x_test: np.ndarray
    y_test: np.ndarray
    predictions: np.ndarray
    test_accuracy: float
    config: dict
    seconds: float


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


def train(
    *,
    seed=0,
    epochs=25,
    loss="half_squared_error",
    batch_size=32,
    lr=None,
    momentum=0.9,
    channels=32,
    hidden=128,
    shift=1,
    limit=None,
    dtype=np.float32,
    threads=1,
    progress=None,
):
    """Train the chapter's CNN (:func:`build_network`) on the digits with mini-batch SGD.

    Each epoch visits the training set once in a fresh random order, every
    image moved by up to ``shift`` pixels (:func:`shift_batch`); each step uses
    the mean gradient of its mini-batch; the learning rate falls linearly from
    ``lr`` towards 0 over the run. Shuffling, shifts and initial weights all come
    from ``seed``, so the same arguments give the same numbers.

    Parameters
    ----------
    seed : int
        Seeds the initial weights, the order of the examples and the shifts
        (not the train/test split, which is fixed).
    epochs : int
        Passes over the training set.
    loss : {'half_squared_error', 'softmax_cross_entropy'}
        The half squared error on one-hot targets (sigmoid outputs), or softmax
        cross-entropy on the logits.
    batch_size : int
    lr : float, optional
        Initial learning rate; by default 0.3 for the half squared error and
        0.05 for softmax cross-entropy.
    momentum : float
        SGD momentum in [0, 1).
    channels : int
        Kernels of the convolution.
    hidden : int
        Units of the hidden dense layer.
    shift : int
        Largest random shift of a training image, in pixels (0: none).
    limit : int, optional
        Train on the first ``limit`` training examples only (quick runs).
    dtype : {float32, float64}
    threads : int or None
        BLAS threads while training (through ``threadpoolctl`` when it is
        installed); ``None`` keeps the library's default.
    progress : bool, optional
        Draw a progress bar on stderr; by default only when stderr is a terminal.

    Returns
    -------
    TrainResult
    """
    seed = check_int(seed, "seed", 0)
    epochs = check_int(epochs, "epochs", 1)
    batch_size = check_int(batch_size, "batch_size", 1)
    shift = check_int(shift, "shift", 0)
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(map(repr, LOSSES))}; got {loss!r}")
    if lr is None:
        lr = DEFAULT_LR[loss]
    optimizer = SGD(lr, momentum)  # validates lr and momentum
    if limit is not None:
        limit = check_int(limit, "limit", 1)
    if np.dtype(dtype) not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {np.dtype(dtype)}")
    if shift > 3:
        raise ValueError(f"shift must be at most 3 pixels for 8x8 digits, got {shift}")
    if threads is not None:
        threads = check_int(threads, "threads", 1)
    if progress is None:
        progress = sys.stderr.isatty()
    with _blas_threads(threads):
        return _train(seed, epochs, loss, batch_size, lr, momentum, channels, hidden, shift, limit, dtype, threads,
                      progress, optimizer)


# The defaults of :func:`train`, read from its signature (the command line uses them).
DEFAULTS = {
    name: parameter.default
    for name, parameter in inspect.signature(train).parameters.items()
    if name in ("seed", "epochs", "loss", "batch_size", "lr", "momentum", "channels", "hidden", "shift")
}


def _train(seed, epochs, loss, batch_size, lr, momentum, channels, hidden, shift, limit, dtype, threads, progress,
           optimizer):
    """The loop of :func:`train`, its arguments already checked."""
    config = dict(
        seed=seed, epochs=epochs, loss=loss, batch_size=batch_size, lr=lr, momentum=momentum,
        channels=channels, hidden=hidden, shift=shift, limit=limit, dtype=np.dtype(dtype).name, threads=threads,
    )

    x_train, y_train, x_test, y_test = load_data(dtype)
    if limit is not None:
        x_train, y_train = x_train[:limit], y_train[:limit]
    rng = np.random.default_rng(seed)
    network = build_network(rng=rng, loss=loss, channels=channels, hidden=hidden, dtype=dtype)
    history = {"loss": [], "train_accuracy": [], "test_accuracy": []}
    N = len(x_train)
    n_batches = -(-N // batch_size)
    total_steps = epochs * n_batches
    step = 0
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        order = rng.permutation(N)
        losses = []
        correct = 0
        for i in range(n_batches):
            optimizer.lr = lr * (1 - step / total_steps)
            idx = order[i * batch_size : (i + 1) * batch_size]
            o = network.forward(shift_batch(x_train[idx], rng, shift))
            E, dE_do = loss_and_grad(o, y_train[idx], loss)
            correct += int(np.sum(np.argmax(o, axis=1) == y_train[idx]))
            network.backward(dE_do)
            optimizer.step(network)
            losses.append(E)
            step += 1
            if progress:
                sys.stderr.write(_progress_bar(epoch, epochs, i + 1, n_batches, float(np.mean(losses))))
                sys.stderr.flush()
        history["loss"].append(float(np.mean(losses)))
        history["train_accuracy"].append(correct / N)  # as seen during the epoch: no extra pass
        history["test_accuracy"].append(float(np.mean(network.predict(x_test) == y_test)))
        if progress:
            sys.stderr.write(f" test acc {history['test_accuracy'][-1]:.4f}\n")
            sys.stderr.flush()
    seconds = time.perf_counter() - start
    predictions = network.predict(x_test)
    return TrainResult(
        network=network,
        history=history,
        x_test=x_test,
        y_test=y_test,
        predictions=predictions,
        test_accuracy=float(np.mean(predictions == y_test)),
        config=config,
        seconds=seconds,
    )


def _parser():
    p = argparse.ArgumentParser(
        prog="python -m cnnlit.train",
        description="Train a small CNN (cnnlit) on scikit-learn's 8x8 digits and print its test accuracy.",
    )
    p.add_argument("--seed", type=int, default=DEFAULTS["seed"], help="seed of the initial weights and shuffling (default %(default)s)")
    p.add_argument("--epochs", type=int, default=DEFAULTS["epochs"], help="passes over the training set (default %(default)s)")
    p.add_argument("--loss", choices=LOSSES, default=DEFAULTS["loss"], help="loss to minimise (default %(default)s)")
    p.add_argument("--batch-size", type=int, default=DEFAULTS["batch_size"], help="examples per step (default %(default)s)")
    p.add_argument("--lr", type=float, default=None, help="initial learning rate, decayed linearly towards 0 (default 0.3 for half_squared_error, 0.05 for softmax_cross_entropy)")
    p.add_argument("--momentum", type=float, default=DEFAULTS["momentum"], help="SGD momentum in [0, 1) (default %(default)s)")
    p.add_argument("--channels", type=int, default=DEFAULTS["channels"], help="kernels of the convolution (default %(default)s)")
    p.add_argument("--hidden", type=int, default=DEFAULTS["hidden"], help="units of the hidden dense layer (default %(default)s)")
    p.add_argument("--shift", type=int, default=DEFAULTS["shift"], help="largest random shift of a training image in pixels, 0 for none (default %(default)s)")
    p.add_argument("--limit", type=int, default=None, help="train on the first LIMIT training examples only")
    p.add_argument("--threads", type=int, default=1, help="BLAS threads while training, 0 for the library's default (default %(default)s)")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32", help="floating-point type (default %(default)s)")
    bar = p.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_true", default=None, help="always draw the progress bar on stderr")
    bar.add_argument("--no-progress", dest="progress", action="store_false", help="never draw it (default: only on a terminal)")
    return p


def main(argv=None):
    """Command-line entry point: parse ``argv``, train, print ``test accuracy: 0.XXXX``.

    Returns
    -------
    int
        Exit status 0 (argument errors exit with status 2 through argparse).
    """
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        result = train(
            seed=args.seed,
            epochs=args.epochs,
            loss=args.loss,
            batch_size=args.batch_size,
            lr=args.lr,
            momentum=args.momentum,
            channels=args.channels,
            hidden=args.hidden,
            shift=args.shift,
            limit=args.limit,
            dtype=np.dtype(args.dtype),
            threads=args.threads or None,
            progress=args.progress,
        )
    except (ValueError, TypeError) as exc:
        parser.error(str(exc))
    print(f"test accuracy: {result.test_accuracy:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
