"""The shared checks of cnnlit._checks that the other tests reach only through the public functions."""

import numpy as np
import pytest

from cnnlit._checks import (
    check_float_dtype,
    check_int,
    check_labels,
    check_padded_size,
    check_real,
    check_size,
    pair,
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


# Every numpy integer type, with a value it can hold.
NUMPY_INTS = [
    np.int8,
    np.uint8,
    np.int16,
    np.uint16,
    np.int32,
    np.uint32,
    np.int64,
    np.uint64,
]


@pytest.mark.parametrize("kind", NUMPY_INTS, ids=lambda t: t.__name__)
def test_int_checks_give_python_ints(kind):
    # np.uint8(120) + 200 wraps around; the int the checks return does not.
    value = kind(120)
    n = check_int(value, "n", 1)
    assert type(n) is int and n + 200 == 320
    for got in (pair(value, "s", 1), pair((value, kind(7)), "s", 1)):
        assert all(type(v) is int for v in got) and got[0] + 200 == 320
    with pytest.raises(TypeError, match=r"n must be an int, got np.True_"):
        check_int(np.True_, "n", 0)


def test_check_real_names_an_int_beyond_floats_range():
    # float(10**400) raises OverflowError: the check turns it into its message
    with pytest.raises(
        ValueError,
        match=r"lr must be a finite number > 0, got an int of 401 digits \(beyond a float's range\)",
    ):
        check_real(10**400, "lr", low=0, low_open=True)
    with pytest.raises(ValueError, match=r"got a negative int of 401 digits"):
        check_real(-(10**400), "lr", low=0)
    assert check_real(10**300, "lr") == 1e300


def test_check_size():
    check_size((1024, 1024), 8, "padding 0", "a padded input")  # 8 MiB
    with pytest.raises(
        ValueError,
        match=r"stride \(7, 7\) implies an output of shape \(1, 1, 1000000000000, 3\), 21.8 TiB: "
        r"more than this machine's memory",
    ):  # 3e12 values of 8 bytes: 2.4e13 bytes = 21.8 TiB
        check_size((1, 1, 10**12, 3), 8, "stride (7, 7)", "an output")


def test_check_padded_size():
    x = np.ones((2, 3, 4, 5), dtype=np.float32)
    check_padded_size(x, 2)  # (2, 3, 8, 9) float32
    check_padded_size([[1, 2], [3]], 10**12)  # ragged: left to the caller
    with pytest.raises(
        ValueError,
        match=r"padding \(0, 1000000000000\) implies a padded input of shape "
        r"\(2, 3, 4, 2000000000005\), 175 TiB",
    ):  # 24 * 2000000000005 values of 4 bytes: 1.92e14 bytes = 175 TiB
        check_padded_size(x, (0, 10**12))
    with pytest.raises(ValueError, match=r"padding must be >= 0, got -1"):
        check_padded_size(x, -1)
