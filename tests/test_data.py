"""Tests of cnnlit.data: the digits, the fixed stratified splits and the random shifts."""

import numpy as np
import pytest

from cnnlit.data import (
    VAL_SIZE,
    load_data,
    load_digits_arrays,
    load_splits,
    shift_batch,
    stratified_split,
)


def test_data_shapes_scaling_and_fixed_stratified_split():
    x_train, y_train, x_test, y_test = load_data()
    assert x_train.shape == (1347, 1, 8, 8) and x_test.shape == (450, 1, 8, 8)
    assert (
        x_train.dtype == np.float32
        and load_data(np.float64)[0].dtype == np.float64
    )
    assert x_train.min() == 0 and x_train.max() == 1 and x_test.max() == 1
    # Each class keeps a quarter of its examples for the test set.
    counts = np.bincount(np.concatenate([y_train, y_test]))
    np.testing.assert_array_equal(
        np.bincount(y_test), np.round(counts / 4).astype(int)
    )
    # The split never depends on the training seed: it is computed once, with its own seed.
    again = load_data()
    np.testing.assert_array_equal(again[3], y_test)
    train_idx, test_idx = stratified_split(np.concatenate([y_train, y_test]))
    assert (
        len(np.intersect1d(train_idx, test_idx)) == 0
        and len(train_idx) + len(test_idx) == 1797
    )


def test_validation_split_is_part_of_the_training_set_and_stratified():
    x_rest, y_rest, x_test, y_test = load_data()
    s = load_splits()
    assert (
        s.x_train.shape == (1078, 1, 8, 8)
        and s.x_val.shape == (269, 1, 8, 8)
        and s.x_test.shape == (450, 1, 8, 8)
    )
    np.testing.assert_array_equal(s.x_test, x_test)
    np.testing.assert_array_equal(s.y_test, y_test)
    # training and validation together are load_data's training set, each image once
    both = np.concatenate([s.x_train, s.x_val]).reshape(len(x_rest), -1)
    rows = {r.tobytes() for r in both}
    assert len(rows) == len(
        {r.tobytes() for r in x_rest.reshape(len(x_rest), -1)}
    )
    assert rows == {r.tobytes() for r in x_rest.reshape(len(x_rest), -1)}
    np.testing.assert_array_equal(
        np.sort(np.concatenate([s.y_train, s.y_val])), np.sort(y_rest)
    )
    np.testing.assert_array_equal(
        np.bincount(s.y_val),
        np.round(VAL_SIZE * np.bincount(y_rest)).astype(int),
    )
    again = load_splits()
    np.testing.assert_array_equal(again.y_val, s.y_val)


def test_digits_are_those_of_load_digits():
    # Facts of sklearn.datasets.load_digits (importing scikit-learn itself takes seconds;
    # the training chapter compares the whole arrays with load_digits()).
    images, labels = load_digits_arrays()
    assert images.shape == (1797, 8, 8) and labels.shape == (1797,)
    np.testing.assert_array_equal(
        np.bincount(labels), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    )
    np.testing.assert_array_equal(images[0, 0], [0, 0, 5, 13, 9, 1, 0, 0])
    assert labels[:10].tolist() == list(range(10))
    assert images.min() == 0 and images.max() == 16


def test_stratified_split_by_hand():
    labels = np.array([0] * 4 + [1] * 8)
    first, second = stratified_split(labels, test_size=0.25, seed=3)
    assert np.bincount(labels[second]).tolist() == [1, 2] and np.bincount(
        labels[first]
    ).tolist() == [3, 6]
    assert np.all(np.diff(first) > 0) and np.all(np.diff(second) > 0)
    np.testing.assert_array_equal(
        np.sort(np.concatenate([first, second])), np.arange(12)
    )


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (
            dict(labels=[0.5, 1.0]),
            TypeError,
            "labels must be integer class indices",
        ),
        (
            dict(labels=[0, 1], test_size=1.0),
            ValueError,
            "test_size must be a finite number > 0 and < 1, got 1.0",
        ),
        (
            dict(labels=[0, 1], test_size=0),
            ValueError,
            "test_size must be a finite number > 0 and < 1",
        ),
        (dict(labels=[0, 1], seed=-1), ValueError, "seed must be >= 0"),
    ],
)
def test_stratified_split_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        stratified_split(**kwargs)


def test_shift_batch_moves_whole_images():
    x = np.arange(2 * 1 * 4 * 4, dtype=float).reshape(2, 1, 4, 4) + 1
    rng = np.random.default_rng(0)
    y = shift_batch(x, rng, 1)
    assert y.shape == x.shape
    for a, b in zip(x[:, 0], y[:, 0], strict=True):
        # some shift (dx, dy) in {-1, 0, 1}^2 maps a onto b, with zeros coming in
        padded = np.pad(a, 1)
        assert any(
            np.array_equal(padded[1 + p : 5 + p, 1 + q : 5 + q], b)
            for p in (-1, 0, 1)
            for q in (-1, 0, 1)
        )
    assert shift_batch(x, rng, 0) is x


@pytest.mark.parametrize(
    "args, exc, match",
    [
        (
            (np.zeros((2, 8, 8)), np.random.default_rng(0)),
            ValueError,
            r"x must have shape \(N, C, H, W\)",
        ),
        (
            (np.zeros((2, 1, 8, 8)), 0),
            TypeError,
            "rng must be a numpy.random.Generator",
        ),
        (
            (np.zeros((2, 1, 8, 8)), np.random.default_rng(0), -1),
            ValueError,
            "max_shift must be >= 0",
        ),
    ],
)
def test_shift_batch_bad_input(args, exc, match):
    with pytest.raises(exc, match=match):
        shift_batch(*args)


def test_missing_scikit_learn_names_the_extra(monkeypatch):
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: None)
    with pytest.raises(ImportError, match=r'pip install "cnnlit\[train\]"'):
        load_digits_arrays()
