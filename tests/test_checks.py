"""The shared checks of cnnlit._checks that the other tests reach only through the public functions."""

import numpy as np
import pytest

from cnnlit._checks import (
    check_float_dtype,
    check_int,
    check_labels,
    check_real,
)


@pytest.mark.parametrize(
    "value, kwargs, want",
    [
        (0.5, dict(low=0, low_open=True), 0.5),
        (0, dict(low=0, high=1, high_open=True), 0.0),
        (3, {}, 3.0),
        (np.float32(0.25), dict(low=0), 0.25),
        (1, dict(high=1), 1.0),
    ],
)
def test_check_real_accepts(value, kwargs, want):
    got = check_real(value, "x", **kwargs)
    assert got == want and type(got) is float


@pytest.mark.parametrize(
    "value, kwargs, exc, match",
    [
        (
            0.0,
            dict(low=0, low_open=True),
            ValueError,
            "x must be a finite number > 0, got 0.0",
        ),
        (
            1.0,
            dict(low=0, high=1, high_open=True),
            ValueError,
            "x must be a finite number >= 0 and < 1, got 1.0",
        ),
        (-1e-300, dict(low=0), ValueError, "x must be a finite number >= 0"),
        (
            2.0,
            dict(high=1),
            ValueError,
            "x must be a finite number <= 1, got 2.0",
        ),
        (float("inf"), {}, ValueError, "x must be a finite number, got inf"),
        (
            float("-inf"),
            dict(high=1),
            ValueError,
            "x must be a finite number <= 1, got -inf",
        ),
        (
            float("nan"),
            dict(low=0),
            ValueError,
            "x must be a finite number >= 0, got nan",
        ),
        ("1", {}, TypeError, "x must be a real number, got '1'"),
        (False, {}, TypeError, "x must be a real number, got False"),
        (1j, {}, TypeError, "x must be a real number"),
    ],
)
def test_check_real_refuses(value, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        check_real(value, "x", **kwargs)


def test_check_int_bounds():
    assert check_int(np.int64(3), "n", 0, 3) == 3
    with pytest.raises(ValueError, match="n must be <= 3, got 4"):
        check_int(4, "n", 0, 3)
    with pytest.raises(ValueError, match="n must be >= 1, got 0"):
        check_int(0, "n", 1)


def test_check_float_dtype():
    assert (
        check_float_dtype("float32") == np.float32
        and check_float_dtype(np.float64) == np.float64
    )
    with pytest.raises(
        ValueError, match="dtype must be float32 or float64, got float16"
    ):
        check_float_dtype(np.float16)
    with pytest.raises(
        TypeError, match="dtype must be float32 or float64, got 'foo'"
    ):
        check_float_dtype("foo")


def test_check_labels():
    np.testing.assert_array_equal(check_labels((1, 0), N=2, K=2), [1, 0])
    with pytest.raises(
        ValueError, match=r"y must lie in \[0, 1\], got values from -1 to 1"
    ):
        check_labels([-1, 1], "y", K=2)
    with pytest.raises(
        ValueError,
        match=r"labels must have shape \(N,\) = \(3,\), got shape \(2,\)",
    ):
        check_labels([0, 1], N=3)
    with pytest.raises(
        TypeError, match="labels must be integer class indices, got dtype bool"
    ):
        check_labels([True, False])
