"""The contract every public function keeps, and the convolution's bad input.

Every function leaves its inputs alone (read-only arrays included), keeps
float32 as float32, computes integers in float64, and gives for any memory
layout of its arrays (Fortran order, permuted, negative or other strides) and
for ndarray subclasses (``np.matrix`` ...) what it gives for C-contiguous plain
arrays. Every bad input raises ValueError or TypeError whose message names the
argument and shows what was expected and what arrived: the convolution's are
here (with its NaN and inf against the loops, and ``b=None``); every other
module's are in its own test file.
"""

import numpy as np
import pytest
from helpers import (
    FEW,
    MATRIX_INPUTS,
    NONFINITE_INPUTS,
    assert_same_nonfinite,
    sprinkle,
)
from hypothesis import given
from hypothesis import strategies as st
from scipy import signal

import cnnlit
from cnnlit import reference

X = np.ones((2, 3, 5, 5))  # o_prev: N=2, C_in=3, 5x5
W = np.ones((4, 3, 2, 2))  # w: C_out=4
B = np.zeros(4)
DELTA = np.ones((2, 4, 4, 4))  # conv output for X, W with stride 1, no padding


# ---------------------------------------------------------------------------
# conv_forward / conv_backward
# ---------------------------------------------------------------------------

CONV_BAD = [
    # (id, call, exception, pattern: argument name ... expected ... arrived)
    (
        "o_prev 2-D",
        lambda: cnnlit.conv_forward(np.ones((5, 5)), W, B),
        ValueError,
        r"o_prev must have shape \(N, C_in, H, W\) or \(C_in, H, W\), got shape \(5, 5\)",
    ),
    (
        "o_prev 5-D",
        lambda: cnnlit.conv_forward(np.ones((1, 2, 3, 5, 5)), W, B),
        ValueError,
        r"o_prev must have shape .*got shape \(1, 2, 3, 5, 5\)",
    ),
    (
        "w 3-D",
        lambda: cnnlit.conv_forward(X, np.ones((3, 2, 2)), B),
        ValueError,
        r"w must have shape \(C_out, C_in, kH, kW\), got shape \(3, 2, 2\)",
    ),
    (
        "channel mismatch",
        lambda: cnnlit.conv_forward(X, np.ones((4, 2, 2, 2)), B),
        ValueError,
        r"w has C_in=2 .*\(4, 2, 2, 2\).* o_prev has C_in=3 .*\(2, 3, 5, 5\)",
    ),
    (
        "channel mismatch single",
        lambda: cnnlit.conv_forward(X[0], np.ones((4, 2, 2, 2)), B),
        ValueError,
        r"w has C_in=2 .* o_prev has C_in=3 .*\(3, 5, 5\)",
    ),
    (
        "bias length",
        lambda: cnnlit.conv_forward(X, W, np.zeros(3)),
        ValueError,
        r"b must have shape \(C_out,\) = \(4,\).*got shape \(3,\)",
    ),
    (
        "bias 2-D",
        lambda: cnnlit.conv_forward(X, W, np.zeros((4, 1))),
        ValueError,
        r"b must have shape \(C_out,\) = \(4,\).*got shape \(4, 1\)",
    ),
    (
        "kernel larger than input",
        lambda: cnnlit.conv_forward(X, np.ones((4, 3, 6, 2)), B),
        ValueError,
        r"kernel \(6, 2\).*larger than the padded input \(5, 5\)",
    ),
    (
        "dilated kernel larger than input",
        lambda: cnnlit.conv_forward(X, W, B, dilation=5),
        ValueError,
        r"kernel \(2, 2\) with dilation \(5, 5\) spans \(6, 6\).*larger than the padded input \(5, 5\)",
    ),
    (
        "stride 0",
        lambda: cnnlit.conv_forward(X, W, B, stride=0),
        ValueError,
        r"stride must be >= 1, got 0",
    ),
    (
        "stride pair with 0",
        lambda: cnnlit.conv_forward(X, W, B, stride=(2, 0)),
        ValueError,
        r"stride must be >= 1, got \(2, 0\)",
    ),
    (
        "stride float",
        lambda: cnnlit.conv_forward(X, W, B, stride=1.5),
        TypeError,
        r"stride must be an int or a pair of ints, got 1.5",
    ),
    (
        "stride triple",
        lambda: cnnlit.conv_forward(X, W, B, stride=(1, 1, 1)),
        TypeError,
        r"stride must be an int or a pair of ints, got \(1, 1, 1\)",
    ),
    (
        "stride bool",
        lambda: cnnlit.conv_forward(X, W, B, stride=True),
        TypeError,
        r"stride must be an int or a pair of ints, got True",
    ),
    (
        "padding negative",
        lambda: cnnlit.conv_forward(X, W, B, padding=-1),
        ValueError,
        r"padding must be >= 0, got -1",
    ),
    (
        "padding pair negative",
        lambda: cnnlit.conv_forward(X, W, B, padding=(1, -2)),
        ValueError,
        r"padding must be >= 0, got \(1, -2\)",
    ),
    (
        "dilation 0",
        lambda: cnnlit.conv_forward(X, W, B, dilation=0),
        ValueError,
        r"dilation must be >= 1, got 0",
    ),
    (
        "boundary",
        lambda: cnnlit.conv_forward(X, W, B, boundary="zeros"),
        ValueError,
        r"boundary must be one of 'fill', 'wrap', 'symm'; got 'zeros'",
    ),
    (
        "boundary not a string",
        lambda: cnnlit.conv_forward(X, W, B, boundary=0),
        ValueError,
        r"boundary must be one of 'fill', 'wrap', 'symm'; got 0",
    ),
    (
        "convention",
        lambda: cnnlit.conv_forward(X, W, B, convention="conv"),
        ValueError,
        r"convention must be one of 'convolution', 'correlation'; got 'conv'",
    ),
    (
        "complex o_prev",
        lambda: cnnlit.conv_forward(X + 1j, W, B),
        TypeError,
        r"o_prev must be real-valued, got a complex array \(dtype complex128\)",
    ),
    (
        "complex w",
        lambda: cnnlit.conv_forward(X, W.astype(np.complex64), B),
        TypeError,
        r"w must be real-valued, got a complex array \(dtype complex64\)",
    ),
    (
        "complex b",
        lambda: cnnlit.conv_forward(X, W, B + 0j),
        TypeError,
        r"b must be real-valued",
    ),
    (
        "string o_prev",
        lambda: cnnlit.conv_forward(np.full((2, 3, 5, 5), "a"), W, B),
        TypeError,
        r"o_prev must be a real numeric array, got dtype <U1",
    ),
    (
        "object o_prev",
        lambda: cnnlit.conv_forward(X.astype(object), W, B),
        TypeError,
        r"o_prev must be a real numeric array, got dtype object",
    ),
    (
        "string b",
        lambda: cnnlit.conv_forward(X, W, "abcd"),
        TypeError,
        r"b must be a real numeric array, got dtype <U4",
    ),
    (
        "empty batch",
        lambda: cnnlit.conv_forward(np.ones((0, 3, 5, 5)), W, B),
        ValueError,
        r"o_prev and w must not be empty, got o_prev \(0, 3, 5, 5\)",
    ),
    (
        "backward delta shape",
        lambda: cnnlit.conv_backward(np.ones((2, 4, 3, 3)), X, W),
        ValueError,
        r"delta must have the shape of the layer's output c, \(2, 4, 4, 4\), got shape \(2, 4, 3, 3\)",
    ),
    (
        "backward delta 4-D for single example",
        lambda: cnnlit.conv_backward(DELTA[:1], X[0], W),
        ValueError,
        r"delta must have the shape .*\(4, 4, 4\), got shape \(1, 4, 4, 4\)",
    ),
    (
        "backward delta for other stride",
        lambda: cnnlit.conv_backward(DELTA, X, W, stride=2),
        ValueError,
        r"delta must have the shape .*\(2, 4, 2, 2\), got shape \(2, 4, 4, 4\)",
    ),
    (
        "backward complex delta",
        lambda: cnnlit.conv_backward(DELTA * 1j, X, W),
        TypeError,
        r"delta must be real-valued",
    ),
    (
        "backward string delta",
        lambda: cnnlit.conv_backward(DELTA.astype(str), X, W),
        TypeError,
        r"delta must be a real numeric array",
    ),
    (
        "backward boundary",
        lambda: cnnlit.conv_backward(DELTA, X, W, boundary="reflect"),
        ValueError,
        r"boundary must be one of 'fill', 'wrap', 'symm'; got 'reflect'",
    ),
    (
        "backward convention",
        lambda: cnnlit.conv_backward(DELTA, X, W, convention=None),
        ValueError,
        r"convention must be one of 'convolution', 'correlation'; got None",
    ),
    (
        "backward padding",
        lambda: cnnlit.conv_backward(DELTA, X, W, padding=-2),
        ValueError,
        r"padding must be >= 0, got -2",
    ),
    (
        "backward channel mismatch",
        lambda: cnnlit.conv_backward(DELTA, X, np.ones((4, 1, 2, 2))),
        ValueError,
        r"w has C_in=1 .* o_prev has C_in=3",
    ),
    (
        "output shape stride 0",
        lambda: cnnlit.conv_output_shape(5, 5, 2, 2, stride=0),
        ValueError,
        r"stride must be >= 1, got 0",
    ),
    (
        "output shape padding negative",
        lambda: cnnlit.conv_output_shape(5, 5, 2, 2, padding=-1),
        ValueError,
        r"padding must be >= 0, got -1",
    ),
]


@pytest.mark.parametrize(
    "call, exc, pattern",
    [c[1:] for c in CONV_BAD],
    ids=[c[0] for c in CONV_BAD],
)
def test_conv_bad_input(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


def test_conv_output_shape_kernel_larger_than_input():
    # Regression guard: conv_output_shape(5, 5, 7, 2) returned a negative height, (-1, 4);
    # conv_forward refuses the same geometry, so the shape helper must too.
    with pytest.raises(
        ValueError,
        match=r"kernel \(7, 2\) with dilation \(1, 1\) spans \(7, 2\) pixels, larger than the padded input \(5, 5\)",
    ):
        cnnlit.conv_output_shape(5, 5, 7, 2)
    # with dilation 3 a 3x3 kernel spans 7 pixels: too many for 5 + 2 * 0
    with pytest.raises(ValueError, match=r"spans \(7, 7\)"):
        cnnlit.conv_output_shape(5, 5, 3, 3, dilation=3)
    # padding makes room: 5 + 2 * 1 = 7 fits exactly one window
    assert cnnlit.conv_output_shape(5, 5, 3, 3, dilation=3, padding=1) == (1, 1)
    with pytest.raises(ValueError, match=r"kH must be >= 1"):
        cnnlit.conv_output_shape(5, 5, 0, 3)


NUMPY_INTS = [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint64]


@pytest.mark.parametrize("kind", NUMPY_INTS, ids=lambda t: t.__name__)
def test_conv_output_shape_numpy_integers_compute_as_python_ints(kind):
    # conv_output_shape(np.uint8(250), 250, 3, 3, padding=10) gave (12, 268):
    # H + 2 * ph wrapped around in uint8; with int16 a bogus "kernel larger
    # than input". (H + 2 p - k) // s + 1 by hand: (120 + 20 - 3) // 1 + 1 = 138.
    H = kind(120)
    assert cnnlit.conv_output_shape(H, 120, 3, 3, padding=10) == (138, 138)
    got = cnnlit.conv_output_shape(
        H, kind(120), kind(3), kind(3), padding=kind(100), stride=kind(3)
    )
    assert got == ((120 + 200 - 3) // 3 + 1,) * 2
    assert all(type(n) is int for n in got)


@pytest.mark.parametrize("kind", NUMPY_INTS, ids=lambda t: t.__name__)
def test_conv_numpy_integer_options_as_python_ints(kind, rng):
    o = rng.standard_normal((1, 1, 6, 7))
    w = rng.standard_normal((1, 1, 3, 2))
    options = dict(stride=2, padding=(1, 2), dilation=(1, 2))
    as_numpy = {
        k: (kind(v) if np.isscalar(v) else tuple(kind(u) for u in v))
        for k, v in options.items()
    }
    c = cnnlit.conv_forward(o, w, None, **options)
    np.testing.assert_array_equal(
        cnnlit.conv_forward(o, w, None, **as_numpy), c
    )
    d = rng.standard_normal(c.shape)
    for got, want in zip(
        cnnlit.conv_backward(d, o, w, **as_numpy),
        cnnlit.conv_backward(d, o, w, **options),
        strict=True,
    ):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(
    "option, value, exc",
    [
        ("stride", True, TypeError),
        ("stride", 1.0, TypeError),
        ("padding", (False, 0), TypeError),
        ("dilation", (1, 1.0), TypeError),
        ("boundary", "Fill", ValueError),
    ],
)
def test_conv_refused_options_after_a_call_with_equal_ones(
    option, value, exc, rng
):
    # A layer's geometry is kept for calls with the same shapes and options;
    # True == 1 and 1.0 == 1 (and hash alike), but a call that passed with 1
    # must not let True or 1.0 through.
    o = rng.standard_normal((2, 1, 6, 7))
    w = rng.standard_normal((1, 1, 3, 2))
    good = dict(stride=1, padding=(0, 0), dilation=(1, 1), boundary="fill")
    c = cnnlit.conv_forward(o, w, None, **good)
    cnnlit.conv_backward(np.ones_like(c), o, w, **good)
    with pytest.raises(exc, match=option):
        cnnlit.conv_forward(o, w, None, **{**good, option: value})
    with pytest.raises(exc, match=option):
        cnnlit.conv_backward(np.ones_like(c), o, w, **{**good, option: value})


@pytest.mark.parametrize("call", ["forward", "backward"])
def test_conv_array_padding_is_refused_by_name(call):
    # an array is neither an int nor a pair: named, not numpy's "truth value
    # of an array is ambiguous" from a comparison with 0
    x, w = np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3))
    padding = np.array([1, 1])
    with pytest.raises(TypeError, match="padding must be an int or a pair"):
        if call == "forward":
            cnnlit.conv_forward(x, w, None, padding=padding)
        else:
            cnnlit.conv_backward(np.ones((1, 1, 5, 5)), x, w, padding=padding)


def test_conv_geometries_kept_are_bounded(rng):
    w = rng.standard_normal((1, 1, 3, 3))
    for H in range(3, 203):
        cnnlit.conv_forward(np.ones((1, 1, H, 3)), w, None)
    assert 0 < len(cnnlit.conv._GEOMETRIES) <= cnnlit.conv._GEOMETRIES_KEPT


def test_conv_padding_that_cannot_be_allocated_is_named():
    # numpy said "array is too big" (10**12) or raised MemoryError (10**6)
    x, w = np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3))
    for padding in (10**12, 10**6):
        P = 2 * padding + 5
        pattern = (
            rf"padding \({padding}, {padding}\) implies a padded input of "
            rf"shape \(1, 1, {P}, {P}\), .* more than this machine's memory"
        )
        with pytest.raises(ValueError, match=pattern):
            cnnlit.conv_forward(x, w, None, padding=padding, stride=10**12)
        with pytest.raises(ValueError, match=pattern):
            cnnlit.conv_backward(np.ones((1, 1, 3, 3)), x, w, padding=padding)


def test_conv_huge_stride_computes(rng):
    # stride 10**12: one window, the first; its value is the sum over it
    x, w = rng.standard_normal((1, 2, 5, 6)), rng.standard_normal((3, 2, 3, 3))
    b = rng.standard_normal(3)
    c = cnnlit.conv_forward(x, w, b, stride=10**12, convention="correlation")
    want = np.einsum("nhw,mnhw->m", x[0, :, :3, :3], w) + b
    assert c.shape == (1, 3, 1, 1)
    np.testing.assert_allclose(c[0, :, 0, 0], want, rtol=1e-12)
    dw, db, dx = cnnlit.conv_backward(
        np.ones((1, 3, 1, 1)), x, w, stride=10**12, convention="correlation"
    )
    np.testing.assert_allclose(dw, np.broadcast_to(x[0, :, :3, :3], w.shape))
    np.testing.assert_allclose(dx[0, :, :3, :3], w.sum(axis=0))
    assert not dx[0, :, 3:].any() and not dx[0, :, :, 3:].any()


@NONFINITE_INPUTS
@FEW
@given(
    seed=st.integers(0, 2**32 - 1),
    convention=st.sampled_from(["convolution", "correlation"]),
    boundary=st.sampled_from(["fill", "wrap", "symm"]),
    where=st.sampled_from(["o_prev", "w", "delta"]),
)
def test_conv_nonfinite_as_the_loops(seed, convention, boundary, where):
    rng = np.random.default_rng(seed)
    o_prev, w, b = (
        rng.standard_normal((2, 2, 5, 6)),
        rng.standard_normal((3, 2, 2, 3)),
        rng.standard_normal(3),
    )
    opts = dict(
        stride=(1, 2), padding=1, boundary=boundary, convention=convention
    )
    delta = rng.standard_normal(
        (2, 3) + cnnlit.conv_output_shape(5, 6, 2, 3, stride=(1, 2), padding=1)
    )
    if where == "o_prev":
        o_prev = sprinkle(rng, o_prev, 0.05)
    elif where == "w":
        w = sprinkle(rng, w, 0.1)
    else:
        delta = sprinkle(rng, delta, 0.05)
    assert_same_nonfinite(
        cnnlit.conv_forward(o_prev, w, b, **opts),
        reference.conv_forward(o_prev, w, b, **opts),
    )
    fast, loops = (
        cnnlit.conv_backward(delta, o_prev, w, **opts),
        reference.conv_backward(delta, o_prev, w, **opts),
    )
    for g_, r_ in zip(fast, loops, strict=True):
        assert_same_nonfinite(g_, r_)


# ---------------------------------------------------------------------------
# clear errors and b=None
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("convention", ["convolution", "correlation"])
def test_conv_forward_b_none_means_no_bias(convention, rng):
    o_prev, w = (
        rng.standard_normal((2, 3, 5, 6)),
        rng.standard_normal((4, 3, 2, 2)),
    )
    opts = dict(stride=2, padding=1, boundary="wrap", convention=convention)
    got = cnnlit.conv_forward(o_prev, w, None, **opts)
    np.testing.assert_array_equal(
        got, cnnlit.conv_forward(o_prev, w, np.zeros(4), **opts)
    )
    np.testing.assert_allclose(
        got,
        reference.conv_forward(o_prev, w, None, **opts),
        rtol=1e-12,
        atol=1e-12,
    )
    single = cnnlit.conv_forward(o_prev[0], w, None)
    np.testing.assert_array_equal(
        single, cnnlit.conv_forward(o_prev[0], w, np.zeros(4))
    )
    assert (
        cnnlit.conv_forward(
            o_prev.astype(np.float32), w.astype(np.float32), None
        ).dtype
        == np.float32
    )


# ---------------------------------------------------------------------------
# the contract: inputs untouched, float32 kept, integers in float64
# ---------------------------------------------------------------------------


def _calls(dtype, rng):
    """(name, function, args, kwargs) for every public array function, arrays of the given dtype."""

    def arr(*shape, low=-3, high=4):
        if np.issubdtype(dtype, np.integer):
            return rng.integers(low, high, size=shape).astype(dtype)
        return rng.standard_normal(shape).astype(dtype)

    o_prev, w, b = arr(2, 2, 6, 7), arr(3, 2, 2, 3), arr(3)
    conv_opts = dict(
        stride=2, padding=1, boundary="symm", convention="correlation"
    )
    delta_c = arr(
        2, 3, 4, 4
    )  # conv_output_shape(6, 7, 2, 3, stride=2, padding=1) == (4, 4)
    x, wd, bd = arr(2, 5), arr(4, 5), arr(4)
    return [
        (
            "convolve2d",
            cnnlit.convolve2d,
            (arr(5, 6), arr(2, 3)),
            dict(mode="same", boundary="wrap"),
        ),
        (
            "correlate2d",
            cnnlit.correlate2d,
            (arr(5, 6), arr(3, 2)),
            dict(mode="full", boundary="symm"),
        ),
        ("conv_forward", cnnlit.conv_forward, (o_prev, w, b), conv_opts),
        (
            "conv_forward single",
            cnnlit.conv_forward,
            (o_prev[0], w, b),
            conv_opts,
        ),
        (
            "conv_backward",
            cnnlit.conv_backward,
            (delta_c, o_prev, w),
            conv_opts,
        ),
        (
            "conv_backward fill",
            cnnlit.conv_backward,
            (arr(2, 3, 5, 5), o_prev, w),
            {},
        ),
        ("pool_forward max", cnnlit.pool_forward, (o_prev, 2), dict(stride=1)),
        (
            "pool_forward mean",
            cnnlit.pool_forward,
            (o_prev, (2, 3)),
            dict(mode="mean"),
        ),
        (
            "pool_backward max",
            cnnlit.pool_backward,
            (arr(2, 2, 5, 6), o_prev, 2),
            dict(stride=1),
        ),
        (
            "pool_backward mean",
            cnnlit.pool_backward,
            (arr(2, 2, 3, 2), o_prev, (2, 3)),
            dict(mode="mean"),
        ),
        ("sigmoid", cnnlit.sigmoid, (arr(3, 4),), {}),
        ("sigmoid_prime", cnnlit.sigmoid_prime, (arr(3, 4),), {}),
        ("tanh", cnnlit.tanh, (arr(3, 4),), {}),
        ("tanh_prime", cnnlit.tanh_prime, (arr(3, 4),), {}),
        ("relu", cnnlit.relu, (arr(3, 4),), {}),
        ("relu_prime", cnnlit.relu_prime, (arr(3, 4),), {}),
        ("dense_forward", cnnlit.dense_forward, (x, wd, bd), {}),
        ("dense_backward", cnnlit.dense_backward, (arr(2, 4), x, wd), {}),
        (
            "half_squared_error_grad",
            cnnlit.half_squared_error_grad,
            (arr(2, 3), arr(2, 3)),
            {},
        ),
        ("softmax", cnnlit.softmax, (arr(2, 3),), {}),
        (
            "softmax_cross_entropy_grad",
            cnnlit.softmax_cross_entropy_grad,
            (arr(2, 3), np.array([0, 2])),
            {},
        ),
        (
            "half_squared_error",
            cnnlit.half_squared_error,
            (arr(2, 3), arr(2, 3)),
            {},
        ),
        (
            "softmax_cross_entropy",
            cnnlit.softmax_cross_entropy,
            (arr(2, 3), np.array([1, 0])),
            {},
        ),
        ("rot180", cnnlit.rot180, (arr(2, 3, 4),), {}),
    ]


CALL_NAMES = [c[0] for c in _calls(np.float64, np.random.default_rng(0))]
SCALAR_RESULTS = {"half_squared_error", "softmax_cross_entropy"}


def _outputs(result):
    return result if isinstance(result, tuple) else (result,)


@pytest.mark.parametrize("index", range(len(CALL_NAMES)), ids=CALL_NAMES)
def test_inputs_not_modified_read_only(index, rng):
    name, f, args, kwargs = _calls(np.float64, rng)[index]
    copies = [np.array(a, copy=True) for a in args if isinstance(a, np.ndarray)]
    for a in args:
        if isinstance(a, np.ndarray):
            a.setflags(write=False)  # a write attempt would raise
    result = f(*args, **kwargs)
    for a, c in zip(
        [a for a in args if isinstance(a, np.ndarray)], copies, strict=True
    ):
        np.testing.assert_array_equal(a, c)
    if name != "rot180":  # rot180 documents that it returns a view
        for out in _outputs(result):
            for a in args:
                if isinstance(a, np.ndarray):
                    assert not np.shares_memory(out, a), (
                        f"{name} returned memory shared with an input"
                    )


@pytest.mark.parametrize("index", range(len(CALL_NAMES)), ids=CALL_NAMES)
def test_float32_in_float32_out(index, rng):
    name, f, args, kwargs = _calls(np.float32, rng)[index]
    if name in SCALAR_RESULTS:
        assert isinstance(f(*args, **kwargs), float)
        return
    for out in _outputs(f(*args, **kwargs)):
        assert out.dtype == np.float32, name


@pytest.mark.parametrize("index", range(len(CALL_NAMES)), ids=CALL_NAMES)
def test_integers_computed_in_float64(index, rng):
    name, f, args, kwargs = _calls(np.int64, rng)[index]
    if name in SCALAR_RESULTS:
        assert isinstance(f(*args, **kwargs), float)
        return
    if name == "rot180":  # a pure index operation: it keeps the input's dtype
        assert f(*args, **kwargs).dtype == np.int64
        return
    int_result = _outputs(f(*args, **kwargs))
    float_args = tuple(
        a.astype(np.float64)
        if isinstance(a, np.ndarray)
        and not (name.startswith("softmax_cross_entropy") and i == 1)
        else a
        for i, a in enumerate(args)
    )  # every array but the integer labels
    for out in int_result:
        assert out.dtype == np.float64, name
    # and the values are those of the same call on float64 copies (no integer arithmetic anywhere)
    for out, want in zip(
        int_result, _outputs(f(*float_args, **kwargs)), strict=True
    ):
        np.testing.assert_allclose(out, want, rtol=1e-14, atol=1e-14)


# ---------------------------------------------------------------------------
# memory layouts
# ---------------------------------------------------------------------------

LAYOUTS = ["fortran", "permuted", "negative", "strided"]


@st.composite
def layout_of(draw, ndim):
    """A recipe that turns a C-contiguous array into one with the same values and another layout."""
    kind = draw(st.sampled_from(LAYOUTS))
    perm = tuple(draw(st.permutations(range(ndim)))) if ndim else ()
    axis = draw(st.integers(0, max(0, ndim - 1)))
    return kind, perm, axis


def relayout(a, recipe):
    """``a``'s values (C-contiguous ``a``) in the layout ``recipe`` says, as a new array or view."""
    kind, perm, axis = recipe
    if a.ndim == 0:
        return a.copy()
    if kind == "fortran":
        out = np.asfortranarray(a)
    elif (
        kind == "permuted"
    ):  # stored with the axes in another order, viewed back
        out = np.ascontiguousarray(a.transpose(perm)).transpose(
            np.argsort(perm)
        )
    elif (
        kind == "negative"
    ):  # stored reversed along one axis, viewed back with a negative stride
        out = np.flip(np.flip(a, axis).copy(), axis)
    else:  # every other element of a larger array along one axis
        shape = list(a.shape)
        shape[axis] *= 2
        big = np.zeros(shape, dtype=a.dtype)
        index = [slice(None)] * a.ndim
        index[axis] = slice(None, None, 2)
        big[tuple(index)] = a
        out = big[tuple(index)]
    np.testing.assert_array_equal(out, a)
    return out


def _arrays(rng):
    """Arrays for every public array function: (name, function, args, kwargs, indices of array args)."""
    n = rng.standard_normal
    o_prev, w, b = n((2, 2, 6, 7)), n((3, 2, 2, 3)), n(3)
    conv_opts = dict(
        stride=(2, 1), padding=1, boundary="symm", convention="correlation"
    )
    delta_c = n(
        (2, 3) + cnnlit.conv_output_shape(6, 7, 2, 3, stride=(2, 1), padding=1)
    )
    x, wd, bd = n((3, 5)), n((4, 5)), n(4)
    g3 = n((4, 3))
    return [
        (
            "convolve2d",
            cnnlit.convolve2d,
            (n((6, 7)), n((3, 2))),
            dict(mode="same", boundary="wrap"),
        ),
        (
            "correlate2d",
            cnnlit.correlate2d,
            (n((5, 6)), n((2, 3))),
            dict(mode="full", boundary="symm"),
        ),
        (
            "convolve2d FFT",
            cnnlit.convolve2d,
            (n((24, 21)), n((9, 10))),
            dict(mode="full"),
        ),
        (
            "correlate2d FFT",
            cnnlit.correlate2d,
            (n((26, 27)), n((10, 9))),
            dict(mode="valid"),
        ),
        ("rot180", cnnlit.rot180, (n((2, 3, 4)),), {}),
        ("conv_forward", cnnlit.conv_forward, (o_prev, w, b), conv_opts),
        (
            "conv_forward single",
            cnnlit.conv_forward,
            (o_prev[0], w, b),
            dict(dilation=2),
        ),
        (
            "conv_backward",
            cnnlit.conv_backward,
            (delta_c, o_prev, w),
            conv_opts,
        ),
        ("pool_forward max", cnnlit.pool_forward, (o_prev, 2), dict(stride=1)),
        (
            "pool_forward mean",
            cnnlit.pool_forward,
            (o_prev, (2, 3)),
            dict(mode="mean"),
        ),
        (
            "pool_forward max large window",
            cnnlit.pool_forward,
            (o_prev, (5, 6)),
            dict(stride=1),
        ),
        (
            "pool_backward max",
            cnnlit.pool_backward,
            (n((2, 2, 5, 6)), o_prev, 2),
            dict(stride=1),
        ),
        (
            "pool_backward mean",
            cnnlit.pool_backward,
            (n((2, 2, 3, 2)), o_prev, (2, 3)),
            dict(mode="mean"),
        ),
        (
            "pool_backward max large window",
            cnnlit.pool_backward,
            (n((2, 2, 2, 2)), o_prev, (5, 6)),
            dict(stride=1),
        ),
        ("sigmoid", cnnlit.sigmoid, (n((3, 4)) * 5,), {}),
        ("sigmoid_prime", cnnlit.sigmoid_prime, (n((3, 4)) * 5,), {}),
        ("tanh", cnnlit.tanh, (n((3, 4)),), {}),
        ("tanh_prime", cnnlit.tanh_prime, (n((3, 4)),), {}),
        ("relu", cnnlit.relu, (n((3, 4)),), {}),
        ("relu_prime", cnnlit.relu_prime, (n((3, 4)),), {}),
        (
            "half_squared_error",
            cnnlit.half_squared_error,
            (n((2, 3)), n((2, 3))),
            {},
        ),
        (
            "half_squared_error_grad",
            cnnlit.half_squared_error_grad,
            (n((2, 3)), n((2, 3))),
            {},
        ),
        ("softmax", cnnlit.softmax, (n((2, 3, 4)),), {}),
        (
            "softmax_cross_entropy",
            cnnlit.softmax_cross_entropy,
            (n((4, 3)), np.array([0, 2, 1, 2])),
            {},
        ),
        (
            "softmax_cross_entropy_grad",
            cnnlit.softmax_cross_entropy_grad,
            (n((4, 3)), np.array([1, 0, 0, 2])),
            {},
        ),
        ("dense_forward", cnnlit.dense_forward, (x, wd, bd), {}),
        ("dense_backward", cnnlit.dense_backward, (n((3, 4)), x, wd), {}),
        (
            "numerical_gradient",
            lambda v: cnnlit.numerical_gradient(lambda u: np.sum(g3 * u**3), v),
            (n((4, 3)),),
            {},
        ),
        ("relative_error", cnnlit.relative_error, (n((3, 4)), n((3, 4))), {}),
    ]


NAMES = [c[0] for c in _arrays(np.random.default_rng(0))]


@pytest.mark.parametrize("name", NAMES)
@FEW
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_every_layout_gives_the_c_order_result(name, data, seed):
    _, f, args, kwargs = next(
        c for c in _arrays(np.random.default_rng(seed)) if c[0] == name
    )
    # labels (integer arrays) are relaid too: they are arrays the caller may hold in any layout
    laid = tuple(
        relayout(
            a, data.draw(layout_of(a.ndim), label=f"layout of argument {i}")
        )
        if isinstance(a, np.ndarray)
        else a
        for i, a in enumerate(args)
    )
    want = _outputs(
        f(
            *(
                np.ascontiguousarray(a) if isinstance(a, np.ndarray) else a
                for a in args
            ),
            **kwargs,
        )
    )
    got = _outputs(f(*laid, **kwargs))
    assert len(got) == len(want)
    for g_, w_ in zip(got, want, strict=True):
        assert np.shape(g_) == np.shape(w_)
        np.testing.assert_allclose(g_, w_, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------
# ndarray subclasses
# ---------------------------------------------------------------------------


class Tagged(np.ndarray):
    """A trivial ndarray subclass."""


def as_matrix(a):
    return (
        np.asmatrix(a)
        if isinstance(a, np.ndarray) and a.ndim == 2 and a.dtype.kind == "f"
        else a
    )


def as_tagged(a):
    return a.view(Tagged) if isinstance(a, np.ndarray) else a


@MATRIX_INPUTS
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "wrap", [as_matrix, as_tagged], ids=["np.matrix", "subclass"]
)
def test_subclass_inputs_read_as_plain_arrays(name, wrap, rng):
    _, f, args, kwargs = next(c for c in _arrays(rng) if c[0] == name)
    want = _outputs(f(*args, **kwargs))
    got = _outputs(f(*(wrap(a) for a in args), **kwargs))
    for g_, w_ in zip(got, want, strict=True):
        if isinstance(w_, np.ndarray):
            assert type(g_) is np.ndarray, (
                f"{name} returned a {type(g_).__name__}"
            )
        assert np.shape(g_) == np.shape(w_)
        np.testing.assert_allclose(g_, w_, rtol=1e-12, atol=1e-12)


@MATRIX_INPUTS
def test_matrix_inputs_that_used_to_crash(rng):
    z = np.matrix(rng.standard_normal((3, 4)))
    np.testing.assert_allclose(cnnlit.softmax(z).sum(axis=-1), 1.0)
    assert cnnlit.softmax_cross_entropy_grad(z, [0, 1, 3]).shape == (3, 4)
    x, w = (
        np.matrix(rng.standard_normal((2, 4))),
        np.matrix(rng.standard_normal((3, 4))),
    )
    dE_dw, dE_db, dE_dx = cnnlit.dense_backward(
        np.matrix(rng.standard_normal((2, 3))), x, w
    )
    assert (
        dE_db.shape == (3,) and dE_dw.shape == (3, 4) and dE_dx.shape == (2, 4)
    )
    image, kernel = (
        rng.standard_normal((6, 7)),
        np.matrix(rng.standard_normal((2, 3))),
    )
    for fast, oracle in (
        (cnnlit.convolve2d, signal.convolve2d),
        (cnnlit.correlate2d, signal.correlate2d),
    ):
        np.testing.assert_allclose(
            fast(image, kernel, mode="same"),
            oracle(image, kernel, mode="same"),
            atol=1e-12,
        )
    assert type(cnnlit.rot180(kernel)) is np.ndarray
    g = cnnlit.numerical_gradient(
        lambda v: float(np.sum(v**2)), np.matrix([[1.0, 2.0], [3.0, 4.0]])
    )
    np.testing.assert_allclose(
        g, [[2.0, 4.0], [6.0, 8.0]], rtol=1e-8
    )  # a matrix's ** would couple the entries
