"""Tests of cnnlit.fitting: fit, evaluate and accuracy on any network and any arrays."""

import numpy as np
import pytest

from cnnlit.fitting import accuracy, evaluate, fit
from cnnlit.network import Activation, Dense, Network


def blobs(seed, n=120):
    """Two classes of 2-D points around (-1, -1) and (1, 1)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(size=(n, 2)) * 0.5 + np.where(y[:, None] == 1, 1.0, -1.0)
    return x, y


def test_fit_trains_any_network_and_evaluate_measures_it():
    x, y = blobs(0)
    x_val, y_val = blobs(1)
    net = Network([Dense(2, 8, rng=0), Activation("relu"), Dense(8, 2, rng=1)])
    before = evaluate(net, x_val, y_val)
    history = net.fit(x, y, epochs=5, validation=(x_val, y_val), seed=2)
    assert set(history) == {"loss", "train_accuracy", "val_accuracy"}
    assert all(len(v) == 5 for v in history.values()) and history.seconds > 0
    after = net.evaluate(x_val, y_val)
    assert after["loss"] < before["loss"] / 2 and after["accuracy"] > 0.95
    assert (
        history["val_accuracy"][-1]
        == accuracy(net, x_val, y_val)
        == after["accuracy"]
    )
    # evaluate's loss is the mean over examples, by hand
    o = net.forward(x_val)
    p = np.exp(o - o.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    assert after["loss"] == pytest.approx(
        -np.mean(np.log(p[np.arange(len(y_val)), y_val]))
    )


def test_fit_is_one_sgd_loop_by_hand():
    x, y = blobs(3, n=10)
    a = Network([Dense(2, 2, rng=0)])
    b = Network([Dense(2, 2, rng=0)])
    fit(
        a,
        x,
        y,
        epochs=2,
        batch_size=4,
        lr=0.1,
        momentum=0.0,
        schedule="constant",
        seed=5,
    )
    rng = np.random.default_rng(5)
    for _ in range(2):
        order = rng.permutation(10)
        for i in range(0, 10, 4):
            idx = order[i : i + 4]
            o = b.forward(x[idx])
            p = np.exp(o - o.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(len(idx)), y[idx]] -= 1
            b.backward(p / len(idx))
            for layer in b.layers:
                for name, value in layer.params.items():
                    value -= 0.1 * layer.grads[name]
    for key in a.params:
        np.testing.assert_allclose(a.params[key], b.params[key], rtol=1e-12)


def test_fit_augments_logs_and_draws_progress(capsys):
    x, y = blobs(4, n=20)
    seen = []

    def augment(batch, rng):
        seen.append(len(batch))
        return batch + rng.normal(size=batch.shape) * 0.01

    lines = []
    fit(
        Network([Dense(2, 2, rng=0)]),
        x,
        y,
        epochs=2,
        batch_size=8,
        augment=augment,
        log=lines.append,
        progress=True,
    )
    assert seen == [8, 8, 4, 8, 8, 4]
    assert (
        lines[1].startswith("epoch 2/2  loss ") and "validation" not in lines[1]
    )
    assert (
        "epoch 2/2 [####################] 100% loss" in capsys.readouterr().err
    )


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (
            dict(y=np.zeros(3, int)),
            ValueError,
            "x and y must hold as many examples, got 5 and 3",
        ),
        (dict(y=np.zeros(5)), TypeError, "y must be integer class indices"),
        (dict(epochs=0), ValueError, "epochs must be >= 1"),
        (
            dict(lr=10**400),
            ValueError,
            r"lr must be a finite number.*, got (an|a negative) int of 401 digits",
        ),
        (
            dict(schedule="cosine"),
            ValueError,
            "schedule must be one of 'linear', 'constant'",
        ),
        (
            dict(validation=np.zeros(3)),
            TypeError,
            r"validation must be a pair \(x_val, y_val\)",
        ),
        (
            dict(validation=(np.zeros((2, 2)), np.zeros(3, int))),
            ValueError,
            "x_val and y_val must hold as many",
        ),
        (
            dict(seed="x"),
            TypeError,
            "seed must be a numpy.random.Generator, an int seed or None",
        ),
        (dict(augment=3), TypeError, "augment must be callable"),
        (dict(network="net"), TypeError, "network must be a Network, got str"),
    ],
)
def test_fit_bad_arguments(kwargs, exc, match):
    args = dict(
        network=Network([Dense(2, 2, rng=0)]),
        x=np.zeros((5, 2)),
        y=np.zeros(5, int),
    )
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        fit(args.pop("network"), args.pop("x"), args.pop("y"), **args)
