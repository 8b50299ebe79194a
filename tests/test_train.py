"""Tests of cnnlit.train: the data, a tiny training run, the command line and its errors."""

import re
import subprocess
import sys

import numpy as np
import pytest

from cnnlit.network import Network
from cnnlit.train import build_network, load_data, load_digits_arrays, main, shift_batch, stratified_split, train

TINY = dict(epochs=1, limit=120, channels=4, hidden=8, progress=False)
LINE = re.compile(r"^test accuracy: [01]\.\d{4}$")


def test_data_shapes_scaling_and_fixed_stratified_split():
    x_train, y_train, x_test, y_test = load_data()
    assert x_train.shape == (1347, 1, 8, 8) and x_test.shape == (450, 1, 8, 8)
    assert x_train.dtype == np.float32
    assert x_train.min() == 0 and x_train.max() == 1 and x_test.max() == 1
    # Each class keeps a quarter of its examples for the test set.
    counts = np.bincount(np.concatenate([y_train, y_test]))
    np.testing.assert_array_equal(np.bincount(y_test), np.round(counts / 4).astype(int))
    # The split never depends on the training seed: it is computed once, with its own seed.
    again = load_data()
    np.testing.assert_array_equal(again[3], y_test)
    train_idx, test_idx = stratified_split(np.concatenate([y_train, y_test]))
    assert len(np.intersect1d(train_idx, test_idx)) == 0 and len(train_idx) + len(test_idx) == 1797


def test_digits_are_those_of_load_digits():
    # Facts of sklearn.datasets.load_digits (importing scikit-learn itself takes seconds;
    # the training chapter compares the whole arrays with load_digits()).
    images, labels = load_digits_arrays()
    assert images.shape == (1797, 8, 8) and labels.shape == (1797,)
    np.testing.assert_array_equal(np.bincount(labels), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    np.testing.assert_array_equal(images[0, 0], [0, 0, 5, 13, 9, 1, 0, 0])
    assert labels[:10].tolist() == list(range(10))
    assert images.min() == 0 and images.max() == 16


def test_shift_batch_moves_whole_images():
    x = np.arange(2 * 1 * 4 * 4, dtype=float).reshape(2, 1, 4, 4) + 1
    rng = np.random.default_rng(0)
    y = shift_batch(x, rng, 1)
    assert y.shape == x.shape
    for a, b in zip(x[:, 0], y[:, 0]):
        # some shift (dx, dy) in {-1, 0, 1}^2 maps a onto b, with zeros coming in
        padded = np.pad(a, 1)
        assert any(np.array_equal(padded[1 + p : 5 + p, 1 + q : 5 + q], b) for p in (-1, 0, 1) for q in (-1, 0, 1))
    assert shift_batch(x, rng, 0) is x


def test_build_network_for_both_losses():
    rng = np.random.default_rng(0)
    hse = build_network(rng=rng, loss="half_squared_error", channels=4, hidden=8)
    sce = build_network(rng=rng, loss="softmax_cross_entropy", channels=4, hidden=8)
    assert isinstance(hse, Network) and len(hse.layers) == len(sce.layers) + 1
    out = hse.forward(np.zeros((3, 1, 8, 8), dtype=np.float32))
    assert out.shape == (3, 10) and out.min() > 0 and out.max() < 1
    assert [shape for _, shape, _ in sce.summary((1, 8, 8))][-1] == (10,)


def test_tiny_training_run_and_its_result():
    result = train(seed=3, **TINY)
    assert set(result.history) == {"loss", "train_accuracy", "test_accuracy"}
    assert all(len(v) == 1 for v in result.history.values())
    assert result.predictions.shape == result.y_test.shape == (450,)
    assert result.test_accuracy == np.mean(result.predictions == result.y_test)
    assert result.config["lr"] == 0.3 and result.config["limit"] == 120


def test_same_seed_same_numbers_other_seed_other_numbers():
    a = train(seed=1, **TINY)
    b = train(seed=1, **TINY)
    c = train(seed=2, **TINY)
    assert a.history == b.history
    np.testing.assert_array_equal(a.predictions, b.predictions)
    for p, q in zip(a.network.params(), b.network.params()):
        np.testing.assert_array_equal(p, q)
    assert a.history["loss"] != c.history["loss"]


def test_main_prints_the_accuracy_line(capsys):
    assert main(["--epochs", "1", "--limit", "100", "--channels", "4", "--hidden", "8", "--loss", "softmax_cross_entropy"]) == 0
    out, err = capsys.readouterr()
    assert LINE.match(out.strip()) and out.count("\n") == 1
    assert err == ""  # stderr is not a terminal here: no progress bar


def test_progress_bar_on_request(capsys):
    main(["--epochs", "2", "--limit", "64", "--channels", "2", "--hidden", "4", "--batch-size", "32", "--progress"])
    out, err = capsys.readouterr()
    assert LINE.match(out.strip())
    assert "epoch 1/2 [##########----------]  50% loss" in err
    assert "epoch 2/2 [####################] 100% loss" in err


def test_module_runs_as_a_script():
    proc = subprocess.run(
        [sys.executable, "-m", "cnnlit.train", "--epochs", "1", "--limit", "50", "--channels", "2", "--hidden", "4"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert LINE.match(proc.stdout.strip())


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--loss", "mse"], "argument --loss: invalid choice: 'mse'"),
        (["--epochs", "0"], "epochs must be >= 1, got 0"),
        (["--epochs", "two"], "argument --epochs: invalid int value: 'two'"),
        (["--batch-size", "0"], "batch_size must be >= 1, got 0"),
        (["--lr", "-0.1"], "lr must be a finite number > 0, got -0.1"),
        (["--momentum", "1.5"], r"momentum must be a finite number >= 0 and < 1, got 1.5"),
        (["--shift", "-1"], "shift must be >= 0, got -1"),
        (["--limit", "0"], "limit must be >= 1, got 0"),
        (["--threads", "-1"], "threads must be >= 1, got -1"),
        (["--dtype", "float16"], "argument --dtype: invalid choice: 'float16'"),
        (["--progress", "--no-progress"], "not allowed with argument"),
    ],
)
def test_command_line_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv + ["--epochs", "1"] * ("--epochs" not in argv))
    assert info.value.code == 2
    assert re.search(message, capsys.readouterr().err)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(loss="hinge"), ValueError, "loss must be one of 'half_squared_error', 'softmax_cross_entropy'; got 'hinge'"),
        (dict(epochs=1.5), TypeError, "epochs must be an int, got 1.5"),
        (dict(seed=-1), ValueError, "seed must be >= 0"),
        (dict(shift=4), ValueError, "shift must be at most 3"),
        (dict(dtype=np.int64), ValueError, "dtype must be float32 or float64"),
        (dict(channels=0), ValueError, "channels must be >= 1"),
    ],
)
def test_train_argument_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        train(**{**TINY, **kwargs})


def test_missing_scikit_learn_is_a_clear_error(monkeypatch):
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: None)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        load_digits_arrays()
