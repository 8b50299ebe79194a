"""The data of the chapter "Training on digits": scikit-learn's 8x8 digits, their splits and random shifts.

The 1,797 images of ``sklearn.datasets.load_digits`` (shipped inside
scikit-learn: nothing is downloaded), pixels scaled to [0, 1], are split once
into a stratified training set (75 %) and test set (25 %) by a fixed seed of
their own; the training set is split again, the same way with another fixed
seed, into the images the network learns from (80 %) and a validation set
(20 %) on which the learning rate and the number of epochs are chosen. The
splits never depend on the training seed.

numpy is the package's only runtime dependency: scikit-learn is needed only
here, for its data file (``pip install "cnnlit[train]"``), and a clear
ImportError says so when it is missing.
"""

import importlib.util
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ._checks import (
    as_real_array,
    check_float_dtype,
    check_int,
    check_labels,
    check_ndim,
    check_real,
    check_rng,
)

__all__ = [
    "load_digits_arrays",
    "stratified_split",
    "load_data",
    "load_splits",
    "Splits",
    "shift_batch",
    "SPLIT_SEED",
    "TEST_SIZE",
    "VAL_SEED",
    "VAL_SIZE",
]

SPLIT_SEED = 0
TEST_SIZE = 0.25
VAL_SEED = 1
VAL_SIZE = 0.2


def _digits_file():
    """Path of the digits table shipped inside scikit-learn, found without importing it."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            "training needs scikit-learn for its data set (the digits of sklearn.datasets.load_digits, "
            'shipped with it); install it with `pip install "cnnlit[train]"` (or `pip install scikit-learn`)'
        )
    return (
        Path(list(spec.submodule_search_locations)[0])
        / "datasets"
        / "data"
        / "digits.csv.gz"
    )


def load_digits_arrays():
    """The 1,797 digits of ``sklearn.datasets.load_digits``: images (0..16) and labels.

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
    from sklearn.datasets import (
        load_digits,
    )  # pragma: no cover - other layouts of scikit-learn

    digits = load_digits()
    return digits.images.astype(np.float64), digits.target.astype(np.intp)


def stratified_split(labels, test_size=TEST_SIZE, seed=SPLIT_SEED):
    """Indices of a stratified split: each class gives ``round(test_size * count)`` examples to the second part.

    Parameters
    ----------
    labels : array_like of int, shape (N,)
    test_size : float in (0, 1)
        Share of each class that goes to the second part.
    seed : int
        Seed of the split (fixed: the same split for every training seed).

    Returns
    -------
    first_idx, second_idx : ndarray of int, sorted
        Indices into ``labels`` of the two parts (e.g. training and test).

    Examples
    --------
    >>> stratified_split([0, 0, 0, 0, 1, 1, 1, 1], test_size=0.25)[1].size
    2
    """
    labels = check_labels(labels)
    test_size = check_real(
        test_size, "test_size", low=0, high=1, low_open=True, high_open=True
    )
    rng = np.random.default_rng(check_int(seed, "seed", 0))
    first, second = [np.zeros(0, dtype=np.intp)], [np.zeros(0, dtype=np.intp)]
    for k in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == k))
        n_second = int(round(test_size * len(members)))
        second.append(members[:n_second])
        first.append(members[n_second:])
    return np.sort(np.concatenate(first)), np.sort(np.concatenate(second))


def _scaled_digits(dtype, scaled=True):
    if not isinstance(scaled, (bool, np.bool_)):
        raise TypeError(f"scaled must be True or False, got {scaled!r}")
    dtype = check_float_dtype(dtype)
    images, labels = load_digits_arrays()
    if scaled:
        images = images / 16.0  # pixels 0..16 -> [0, 1]
    x = images.astype(dtype)[:, None]  # one channel
    return x, labels


def load_data(dtype=np.float32, scaled=True):
    """The digits, scaled to [0, 1], split into a fixed stratified training and test set.

    Parameters
    ----------
    dtype : {float32, float64}
    scaled : bool
        False: the raw pixels 0..16 (dividing them by 16 gives the scaled
        ones exactly).

    Returns
    -------
    x_train : ndarray, shape (1347, 1, 8, 8)
    y_train : ndarray of int, shape (1347,)
    x_test : ndarray, shape (450, 1, 8, 8)
    y_test : ndarray of int, shape (450,)
    """
    x, labels = _scaled_digits(dtype, scaled)
    train_idx, test_idx = stratified_split(labels)
    return x[train_idx], labels[train_idx], x[test_idx], labels[test_idx]


class Splits(NamedTuple):
    """The three parts of the digits returned by ``load_splits``."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def load_splits(dtype=np.float32, scaled=True):
    """Training, validation and test sets: ``load_data``'s training set split once more.

    The test set is that of ``load_data``; its training set is split,
    stratified, by the fixed seed ``VAL_SEED`` into the images a network
    learns from and ``VAL_SIZE`` of each class for validation.

    Parameters
    ----------
    dtype : {float32, float64}
    scaled : bool
        False: the raw pixels 0..16.

    Returns
    -------
    Splits
        ``x_train`` (1078, 1, 8, 8), ``y_train`` (1078,), ``x_val`` (269, 1, 8, 8),
        ``y_val`` (269,), ``x_test`` (450, 1, 8, 8), ``y_test`` (450,).
    """
    x_rest, y_rest, x_test, y_test = load_data(dtype, scaled)
    train_idx, val_idx = stratified_split(y_rest, VAL_SIZE, VAL_SEED)
    return Splits(
        x_rest[train_idx],
        y_rest[train_idx],
        x_rest[val_idx],
        y_rest[val_idx],
        x_test,
        y_test,
    )


def shift_batch(x, rng, max_shift=1):
    """Move every image by a random whole number of pixels in each direction, filling with zeros.

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
    rng : numpy.random.Generator
        Draws the shifts, uniformly in ``[-max_shift, max_shift]``.
    max_shift : int
        0 returns ``x`` unchanged.

    Returns
    -------
    ndarray, shape (N, C, H, W)
    """
    x = as_real_array(x, "x")
    check_ndim(x, "x", (4,), "(N, C, H, W)")
    rng = check_rng(rng)
    s = check_int(max_shift, "max_shift", 0)
    if s == 0:
        return x
    N, C, H, W = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (s, s), (s, s)))
    windows = np.lib.stride_tricks.sliding_window_view(
        padded, (H, W), axis=(2, 3)
    )  # (N, C, 2s+1, 2s+1, H, W)
    dx = rng.integers(0, 2 * s + 1, N)
    dy = rng.integers(0, 2 * s + 1, N)
    return windows[np.arange(N), :, dx, dy]
