"""Tests of cnnlit.train: the configuration, a tiny training run, the command line and its errors."""

import inspect
import re
import subprocess
import sys

import numpy as np
import pytest

import cnnlit.optim
import cnnlit.train
from cnnlit.network import Network
from cnnlit.train import (
    _parser,
    build_network,
    main,
    train,
)

TINY = dict(epochs=1, limit=120, channels=4, hidden=8, progress=False)
TINY_ARGS = [
    "--epochs",
    "1",
    "--limit",
    "300",
    "--channels",
    "4",
    "--hidden",
    "8",
]
LINE = re.compile(r"test accuracy: [01]\.\d{4}  \(\d+\.\d s\)\n\Z")
EPOCH = re.compile(
    r"^epoch +\d+/\d+  loss \d\.\d{4}  train accuracy [01]\.\d{4}  validation accuracy [01]\.\d{4}$"
)


def test_build_network_for_both_losses():
    rng = np.random.default_rng(0)
    hse = build_network(
        rng=rng, loss="half_squared_error", channels=4, hidden=8
    )
    sce = build_network(
        rng=rng, loss="softmax_cross_entropy", channels=4, hidden=8
    )
    assert isinstance(hse, Network) and len(hse.layers) == len(sce.layers) + 1
    out = hse.forward(np.zeros((3, 1, 8, 8), dtype=np.float32))
    assert out.shape == (3, 10) and out.min() > 0 and out.max() < 1
    assert [shape for _, shape, _ in sce.summary((1, 8, 8))][-1] == (10,)
    with pytest.raises(ValueError, match="loss must be one of"):
        build_network(rng=rng, loss="hinge")


# ----- the configuration ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (
            dict(loss="hinge"),
            ValueError,
            "loss must be one of 'half_squared_error', 'softmax_cross_entropy'; got 'hinge'",
        ),
        (dict(epochs=1.5), TypeError, "epochs must be an int, got 1.5"),
        (dict(seed=-1), ValueError, "seed must be >= 0"),
        (dict(shift=4), ValueError, "shift must be <= 3, got 4"),
        (
            dict(dtype=np.int64),
            ValueError,
            "dtype must be float32 or float64, got int64",
        ),
        (
            dict(dtype="foo"),
            TypeError,
            "dtype must be float32 or float64, got 'foo'",
        ),
        (dict(channels=0), ValueError, "channels must be >= 1"),
        (
            dict(lr=float("inf")),
            ValueError,
            "lr must be a finite number > 0, got inf",
        ),
        (
            dict(lr=float("nan")),
            ValueError,
            "lr must be a finite number > 0, got nan",
        ),
        (dict(lr=-0.1), ValueError, "lr must be a finite number > 0, got -0.1"),
        (
            dict(momentum=1.0),
            ValueError,
            r"momentum must be a finite number >= 0 and < 1, got 1.0",
        ),
        (
            dict(momentum=float("inf")),
            ValueError,
            "momentum must be a finite number",
        ),
        (dict(batch_size=0), ValueError, "batch_size must be >= 1"),
        (dict(limit=0), ValueError, "limit must be >= 1"),
        (dict(threads=-1), ValueError, "threads must be >= 0"),
        (
            dict(lr=10**400),
            ValueError,
            r"lr must be a finite number.*, got (an|a negative) int of 401 digits",
        ),
        (
            dict(momentum=-(10**400)),
            ValueError,
            r"momentum must be a finite number.*, got (an|a negative) int of 401 digits",
        ),
        (
            dict(channels=10**9),
            ValueError,
            "channels=1000000000 and hidden=8 make a network of 138,000,000,098 parameters",
        ),
        (
            dict(progress="yes"),
            TypeError,
            "progress must be True, False or None, got 'yes'",
        ),
        (dict(hidden=None), TypeError, "hidden must be an int, got None"),
        (dict(epoch=3), TypeError, "unexpected keyword argument 'epoch'"),
    ],
)
def test_bad_options_are_refused_by_train(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        train(**{**TINY, **kwargs})


def test_train_takes_keywords_only_and_checks_log():
    with pytest.raises(TypeError, match="positional"):
        train(dict(TINY))
    with pytest.raises(TypeError, match="log must be callable"):
        train(log="stdout", **TINY)


# ----- runs -------------------------------------------------------------------------------------


def test_tiny_training_run_and_its_result():
    result = train(seed=3, **TINY)
    assert set(result.history) == {"loss", "train_accuracy", "val_accuracy"}
    assert all(len(v) == 1 for v in result.history.values())
    assert result.val_accuracy == result.history["val_accuracy"][-1]
    assert result.predictions.shape == result.y_test.shape == (450,)
    assert result.test_accuracy == np.mean(result.predictions == result.y_test)
    assert result.options["seed"] == 3 and result.options["limit"] == 120
    assert result.options["lr"] is None and result.options["dtype"] == "float32"


def test_the_test_set_is_used_once_at_the_end(monkeypatch):
    sizes = []
    predict = Network.predict

    def counting(self, x, batch_size=256):
        sizes.append(len(x))
        return predict(self, x, batch_size)

    monkeypatch.setattr(Network, "predict", counting)
    result = train(seed=0, **{**TINY, "epochs": 3})
    # one validation pass (269 images) per epoch, then one pass over the 450 test images
    assert sizes == [269, 269, 269, 450]
    assert len(result.history["val_accuracy"]) == 3


def test_same_seed_same_numbers_other_seed_other_numbers():
    a = train(seed=1, **TINY)
    b = train(seed=1, **TINY)
    c = train(seed=2, **TINY)
    assert a.history == b.history
    np.testing.assert_array_equal(a.predictions, b.predictions)
    for p, q in zip(
        a.network.params.values(), b.network.params.values(), strict=True
    ):
        np.testing.assert_array_equal(p, q)
    assert a.history["loss"] != c.history["loss"]


def test_log_gets_one_line_per_epoch():
    lines = []
    train(seed=0, log=lines.append, **{**TINY, "epochs": 2})
    assert len(lines) == 2 and all(EPOCH.match(line) for line in lines)
    assert lines[1].startswith("epoch 2/2  loss ")


def test_the_run_steps_with_a_linearly_falling_rate(monkeypatch):
    # the chapter "Training on digits" notes the rate of every step the same
    # way, wrapping SGD.step for the length of the run
    rates = []
    step = cnnlit.optim.SGD.step

    def noting_step(self, network):
        rates.append(self.lr)
        step(self, network)

    monkeypatch.setattr(cnnlit.optim.SGD, "step", noting_step)
    train(seed=0, **{**TINY, "epochs": 2})
    # 120 examples in batches of 32: 4 steps an epoch, 8 in all, the rate
    # falling linearly from the default towards 0
    eta = cnnlit.train.DEFAULT_LR["half_squared_error"]
    np.testing.assert_allclose(rates, eta * (1 - np.arange(8) / 8))


def test_the_loop_is_importable_from_here():
    # defined in cnnlit.fitting, exported by cnnlit.train as the same objects
    loop = ("fit", "evaluate", "accuracy", "History", "DEFAULT_LR")
    for name in loop + ("SCHEDULES",):
        assert getattr(cnnlit.train, name) is getattr(cnnlit.fitting, name)
    assert set(loop) <= set(cnnlit.train.__all__)


# ----- the command line -------------------------------------------------------------------------


def test_every_option_is_on_the_command_line_with_trains_default():
    parser = _parser()
    defaults = vars(parser.parse_args([]))
    assert defaults.pop("save") is None
    signature = inspect.signature(train).parameters
    assert set(defaults) == set(signature) - {"log"}
    for name, value in defaults.items():
        assert value == signature[name].default, name
    flags = {
        flag for action in parser._actions for flag in action.option_strings
    }
    assert {"--batch-size", "--lr", "--no-progress", "--save"} <= flags


def test_main_prints_every_epoch_and_ends_with_the_accuracy_line(capsys):
    assert (
        main(TINY_ARGS + ["--epochs", "2", "--loss", "softmax_cross_entropy"])
        == 0
    )
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == 3 and all(EPOCH.match(line) for line in lines[:2])
    assert LINE.search(out) and out.endswith("\n")
    assert "[" not in err  # stderr is not a terminal here: no progress bar


def test_main_saves_the_trained_network(tmp_path, capsys):
    path = tmp_path / "digits.npz"
    assert main(TINY_ARGS + ["--save", str(path)]) == 0
    out, _ = capsys.readouterr()
    assert (
        f"saved the trained network to {path} (it takes raw pixels 0..16)\n"
        in out
    )
    assert LINE.search(out)
    accuracy = float(out.strip().splitlines()[-1].split()[2])
    net = Network.load(path)
    x_test, y_test = cnnlit.data.load_data(scaled=False)[2:]  # raw pixels 0..16
    assert round(float(np.mean(net.predict(x_test) == y_test)), 4) == accuracy
    assert net.layers[0].w.dtype == np.float32


def test_progress_bar_on_request(capsys):
    main(
        [
            "--epochs",
            "2",
            "--limit",
            "64",
            "--channels",
            "2",
            "--hidden",
            "4",
            "--batch-size",
            "32",
            "--progress",
        ]
    )
    out, err = capsys.readouterr()
    assert LINE.search(out)
    assert "epoch 1/2 [##########----------]  50% loss" in err
    assert "epoch 2/2 [####################] 100% loss" in err


def test_module_runs_as_a_script():
    proc = subprocess.run(
        [sys.executable, "-m", "cnnlit.train"] + TINY_ARGS,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert LINE.search(proc.stdout)


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["--loss", "mse"],
            "argument --loss: loss must be one of 'half_squared_error', 'softmax_cross_entropy'; got 'mse'",
        ),
        (["--epochs", "0"], "argument --epochs: epochs must be >= 1, got 0"),
        (
            ["--epochs", "two"],
            "argument --epochs: epochs must be an int, got 'two'",
        ),
        (
            ["--epochs", "1.5"],
            "argument --epochs: epochs must be an int, got '1.5'",
        ),
        (["--seed", "-3"], "argument --seed: seed must be >= 0, got -3"),
        (
            ["--batch-size", "0"],
            "argument --batch-size: batch_size must be >= 1, got 0",
        ),
        (
            ["--lr", "-0.1"],
            "argument --lr: lr must be a finite number > 0, got -0.1",
        ),
        (
            ["--lr", "0"],
            "argument --lr: lr must be a finite number > 0, got 0.0",
        ),
        (
            ["--lr", "inf"],
            "argument --lr: lr must be a finite number > 0, got inf",
        ),
        (
            ["--lr", "nan"],
            "argument --lr: lr must be a finite number > 0, got nan",
        ),
        (["--lr", "fast"], "argument --lr: lr must be a number, got 'fast'"),
        (
            ["--momentum", "1.5"],
            r"argument --momentum: momentum must be a finite number >= 0 and < 1, got 1.5",
        ),
        (
            ["--momentum=-inf"],
            r"argument --momentum: momentum must be a finite number >= 0 and < 1, got -inf",
        ),
        (
            ["--channels", "0"],
            "argument --channels: channels must be >= 1, got 0",
        ),
        (["--hidden", "-2"], "argument --hidden: hidden must be >= 1, got -2"),
        (["--shift", "-1"], "argument --shift: shift must be >= 0, got -1"),
        (["--shift", "4"], "argument --shift: shift must be <= 3, got 4"),
        (["--limit", "0"], "argument --limit: limit must be >= 1, got 0"),
        (
            ["--threads", "-1"],
            "argument --threads: threads must be >= 0, got -1",
        ),
        (
            ["--lr", "1e400"],
            "argument --lr: lr must be a finite number > 0, got inf",
        ),
        (
            ["--save", "/"],
            "argument --save: cannot write '/': it is a directory",
        ),
        (
            ["--threads", "x"],
            "argument --threads: threads must be an int, got 'x'",
        ),
        (
            ["--dtype", "float16"],
            "argument --dtype: dtype must be float32 or float64, got float16",
        ),
        (
            ["--dtype", "foo"],
            "argument --dtype: dtype must be float32 or float64, got 'foo'",
        ),
        (
            ["--progress", "--no-progress"],
            "argument --no-progress: not allowed with argument --progress",
        ),
        (
            ["--save", "/nonexistent-directory/net.npz"],
            "argument --save: cannot write '/nonexistent-directory/net.npz'",
        ),
        (["--epochs"], "argument --epochs: expected one argument"),
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
    ],
)
def test_command_line_errors_are_one_line_with_status_2(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith(
        "python -m cnnlit.train: error: "
    )
    assert re.search(message, err), err


def test_a_network_too_large_is_a_one_line_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--channels", "1000000000"])
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert err == (
        "python -m cnnlit.train: error: channels=1000000000 and hidden=128 make a network of "
        "2,058,000,001,418 parameters, more than the 100,000,000 this command trains\n"
    )


def test_running_out_of_memory_is_a_one_line_error(monkeypatch, capsys):
    def no_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(cnnlit.train, "build_network", no_memory)
    with pytest.raises(SystemExit) as info:
        main(["--channels", "1000", "--hidden", "1000"])
    assert info.value.code == 1
    assert capsys.readouterr().err == (
        "python -m cnnlit.train: error: not enough memory for --channels 1000 --hidden 1000 "
        "(16,021,010 parameters)\n"
    )


def test_version_and_the_help_on_the_two_accuracies(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert (
        capsys.readouterr().out
        == f"python -m cnnlit.train {cnnlit.__version__}\n"
    )
    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert (
        "counted during the epoch, on shifted images while the weights still move"
        in text
    )
    assert "(default 1; 0 keeps the BLAS library's own default)" in text
    assert "None" not in text
    assert 'pip install "cnnlit[train]"' in text


def test_a_run_near_chance_says_so(capsys):
    main(["--epochs", "1", "--limit", "10", "--channels", "2", "--hidden", "4"])
    out, err = capsys.readouterr()
    accuracy = float(
        re.search(r"validation accuracy (\S+)$", out.splitlines()[0])[1]
    )
    assert accuracy < 0.2
    assert err == (
        f"note: validation accuracy {accuracy:.4f} is close to chance (0.10): "
        "train on more examples (--limit) or for more epochs (--epochs)\n"
    )


def test_the_last_line_gives_the_time_the_run_took(monkeypatch, capsys):
    clock = iter([100.0, 100.0, 100.5, 112.25])
    monkeypatch.setattr(cnnlit.train.time, "perf_counter", lambda: next(clock))
    main(TINY_ARGS)
    assert capsys.readouterr().out.endswith("  (12.2 s)\n")


def test_missing_scikit_learn_is_a_one_line_error_naming_the_extra(
    monkeypatch, capsys
):
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: None)
    with pytest.raises(SystemExit) as info:
        main(TINY_ARGS)
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and 'pip install "cnnlit[train]"' in err


def test_the_digits_run_is_fit_on_raw_pixels_scaled_by_the_network():
    result = train(seed=0, **TINY)
    net = result.network
    assert net.input_scale == 1 / 16 and net.input_shape == (1, 8, 8)
    assert net.classes == list(range(10))
    assert result.x_test.max() == 16.0  # raw pixels
    scaled = cnnlit.data.load_splits()  # the same images divided by 16, exactly
    np.testing.assert_array_equal(result.x_test / 16, scaled.x_test)
    np.testing.assert_array_equal(
        net.predict(result.x_test), result.predictions
    )
