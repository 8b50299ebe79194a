"""Bad input across the public functions, and the contract every function keeps.

Every bad input raises ValueError or TypeError whose message names the argument
and shows what was expected and what arrived. Every function leaves its inputs
alone (read-only arrays included), keeps float32 as float32 and computes
integers in float64.
"""

import re

import numpy as np
import pytest

import cnnlit

X = np.ones((2, 3, 5, 5))  # o_prev: N=2, C_in=3, 5x5
W = np.ones((4, 3, 2, 2))  # w: C_out=4
B = np.zeros(4)
DELTA = np.ones((2, 4, 4, 4))  # conv output for X, W with stride 1, no padding


def esc(text):
    return re.escape(text)


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


# ---------------------------------------------------------------------------
# pooling
# ---------------------------------------------------------------------------

POOL_BAD = [
    (
        "o_prev 2-D",
        lambda: cnnlit.pool_forward(np.ones((5, 5)), 2),
        ValueError,
        r"o_prev must have shape \(N, C, H, W\) or \(C, H, W\), got shape \(5, 5\)",
    ),
    (
        "window larger than input",
        lambda: cnnlit.pool_forward(X, 6),
        ValueError,
        r"window size \(6, 6\) is larger than the input's \(H, W\) = \(5, 5\)",
    ),
    (
        "window taller than input",
        lambda: cnnlit.pool_forward(X, (6, 1)),
        ValueError,
        r"window size \(6, 1\).*\(5, 5\)",
    ),
    (
        "mode",
        lambda: cnnlit.pool_forward(X, 2, mode="avg"),
        ValueError,
        r"mode must be one of 'max', 'mean'; got 'avg'",
    ),
    (
        "size 0",
        lambda: cnnlit.pool_forward(X, 0),
        ValueError,
        r"size must be >= 1, got 0",
    ),
    (
        "size float",
        lambda: cnnlit.pool_forward(X, 2.0),
        TypeError,
        r"size must be an int or a pair of ints, got 2.0",
    ),
    (
        "stride 0",
        lambda: cnnlit.pool_forward(X, 2, stride=0),
        ValueError,
        r"stride must be >= 1, got 0",
    ),
    (
        "stride pair negative",
        lambda: cnnlit.pool_forward(X, 2, stride=(1, -1)),
        ValueError,
        r"stride must be >= 1, got \(1, -1\)",
    ),
    (
        "complex",
        lambda: cnnlit.pool_forward(X + 1j, 2),
        TypeError,
        r"o_prev must be real-valued, got a complex array",
    ),
    (
        "strings",
        lambda: cnnlit.pool_forward(np.full((1, 4, 4), "a"), 2),
        TypeError,
        r"o_prev must be a real numeric array, got dtype <U1",
    ),
    (
        "objects",
        lambda: cnnlit.pool_forward(np.ones((1, 4, 4), dtype=object), 2),
        TypeError,
        r"o_prev must be a real numeric array, got dtype object",
    ),
    (
        "backward delta shape",
        lambda: cnnlit.pool_backward(np.ones((2, 3, 3, 3)), X, 2),
        ValueError,
        r"delta must have the shape of the pooled output, \(2, 3, 2, 2\), got shape \(2, 3, 3, 3\)",
    ),
    (
        "backward delta for overlapping windows",
        lambda: cnnlit.pool_backward(np.ones((2, 3, 2, 2)), X, 2, stride=1),
        ValueError,
        r"delta must have the shape of the pooled output, \(2, 3, 4, 4\), got shape \(2, 3, 2, 2\)",
    ),
    (
        "backward complex delta",
        lambda: cnnlit.pool_backward(np.ones((2, 3, 2, 2)) * 1j, X, 2),
        TypeError,
        r"delta must be real-valued",
    ),
    (
        "backward mode",
        lambda: cnnlit.pool_backward(np.ones((2, 3, 2, 2)), X, 2, mode="sum"),
        ValueError,
        r"mode must be one of 'max', 'mean'; got 'sum'",
    ),
    (
        "backward window larger",
        lambda: cnnlit.pool_backward(np.ones((2, 3, 1, 1)), X, 7),
        ValueError,
        r"window size \(7, 7\) is larger",
    ),
]


@pytest.mark.parametrize(
    "call, exc, pattern",
    [c[1:] for c in POOL_BAD],
    ids=[c[0] for c in POOL_BAD],
)
def test_pool_bad_input(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


# ---------------------------------------------------------------------------
# convolve2d / correlate2d / rot180
# ---------------------------------------------------------------------------

IMG, KER = np.ones((4, 5)), np.ones((2, 3))
SIGNAL_BAD = [
    (
        "in1 1-D",
        lambda f: f(np.ones(3), KER),
        ValueError,
        r"in1 must be a 2-D array \(H, W\), got shape \(3,\)",
    ),
    (
        "in2 3-D",
        lambda f: f(IMG, np.ones((1, 2, 2))),
        ValueError,
        r"in2 must be a 2-D array \(H, W\), got shape \(1, 2, 2\)",
    ),
    (
        "in1 empty",
        lambda f: f(np.ones((0, 3)), KER),
        ValueError,
        r"in1 must not be empty, got shape \(0, 3\)",
    ),
    (
        "mode",
        lambda f: f(IMG, KER, mode="sam"),
        ValueError,
        r"mode must be one of 'valid', 'same', 'full'; got 'sam'",
    ),
    (
        "boundary",
        lambda f: f(IMG, KER, boundary="circular"),
        ValueError,
        r"boundary must be one of 'fill', 'wrap', 'symm'; got 'circular'",
    ),
    (
        "valid neither larger",
        lambda f: f(np.ones((3, 5)), np.ones((5, 3)), mode="valid"),
        ValueError,
        r"in mode 'valid' one input must be at least as large as the other in every dimension; "
        r"got in1 \(3, 5\) and in2 \(5, 3\)",
    ),
    (
        "complex in1",
        lambda f: f(IMG * 1j, KER),
        TypeError,
        r"in1 must be real-valued, got a complex array",
    ),
    (
        "complex in2",
        lambda f: f(IMG, KER.astype(np.complex64)),
        TypeError,
        r"in2 must be real-valued",
    ),
    (
        "complex fillvalue",
        lambda f: f(IMG, KER, fillvalue=1j),
        TypeError,
        r"fillvalue must be a real scalar, got 1j",
    ),
    (
        "array fillvalue",
        lambda f: f(IMG, KER, fillvalue=np.ones(2)),
        TypeError,
        r"fillvalue must be a real scalar",
    ),
    (
        "string fillvalue",
        lambda f: f(IMG, KER, fillvalue="0"),
        TypeError,
        r"fillvalue must be a real scalar, got '0'",
    ),
    (
        "strings",
        lambda f: f(np.full((3, 3), "x"), KER),
        TypeError,
        r"in1 must be a real numeric array, got dtype <U1",
    ),
    (
        "objects",
        lambda f: f(IMG, KER.astype(object)),
        TypeError,
        r"in2 must be a real numeric array, got dtype object",
    ),
    (
        "ragged list",
        lambda f: f([[1, 2], [3]], KER),
        TypeError,
        r"in1 must be a real numeric array; could not convert",
    ),
]


@pytest.mark.parametrize(
    "f",
    [cnnlit.convolve2d, cnnlit.correlate2d],
    ids=["convolve2d", "correlate2d"],
)
@pytest.mark.parametrize(
    "call, exc, pattern",
    [c[1:] for c in SIGNAL_BAD],
    ids=[c[0] for c in SIGNAL_BAD],
)
def test_signal2d_bad_input(f, call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call(f)


def test_rot180_bad_input():
    with pytest.raises(
        ValueError,
        match=r"a must have at least 2 dimensions \(\.\.\., H, W\), got shape \(3,\)",
    ):
        cnnlit.rot180(np.ones(3))


# ---------------------------------------------------------------------------
# activations, losses, dense, gradcheck
# ---------------------------------------------------------------------------

ACTIVATIONS = [
    cnnlit.sigmoid,
    cnnlit.sigmoid_prime,
    cnnlit.tanh,
    cnnlit.tanh_prime,
    cnnlit.relu,
    cnnlit.relu_prime,
]


@pytest.mark.parametrize(
    "f", ACTIVATIONS, ids=[f.__name__ for f in ACTIVATIONS]
)
@pytest.mark.parametrize(
    "bad, pattern",
    [
        (
            np.ones(3) * 1j,
            r"c must be real-valued, got a complex array \(dtype complex128\)",
        ),
        (
            np.array(["a", "b"]),
            r"c must be a real numeric array, got dtype <U1",
        ),
        (
            np.array([1.0, None], dtype=object),
            r"c must be a real numeric array, got dtype object",
        ),
        (["1", "2"], r"c must be a real numeric array, got dtype <U1"),
    ],
    ids=["complex", "strings", "objects", "list of strings"],
)
def test_activation_bad_input(f, bad, pattern):
    with pytest.raises(TypeError, match=pattern):
        f(bad)


LOSS_BAD = [
    (
        "hse shape",
        lambda: cnnlit.half_squared_error(np.ones(3), np.ones(4)),
        ValueError,
        r"t must have the shape of o, \(3,\), got shape \(4,\)",
    ),
    (
        "hse grad shape",
        lambda: cnnlit.half_squared_error_grad(np.ones(3), np.ones((3, 1))),
        ValueError,
        r"t must have the shape of o, \(3,\), got shape \(3, 1\)",
    ),
    (
        "hse complex",
        lambda: cnnlit.half_squared_error(np.ones(3) * 1j, np.ones(3)),
        TypeError,
        r"o must be real-valued",
    ),
    (
        "hse strings",
        lambda: cnnlit.half_squared_error(np.ones(3), np.array(["a"] * 3)),
        TypeError,
        r"t must be a real numeric array, got dtype <U1",
    ),
    (
        "sce label too large",
        lambda: cnnlit.softmax_cross_entropy(np.zeros((2, 3)), [0, 3]),
        ValueError,
        r"labels must lie in \[0, 2\], got values from 0 to 3",
    ),
    (
        "sce label negative",
        lambda: cnnlit.softmax_cross_entropy(np.zeros((2, 3)), [-1, 0]),
        ValueError,
        r"labels must lie in \[0, 2\], got values from -1 to 0",
    ),
    (
        "sce grad label too large",
        lambda: cnnlit.softmax_cross_entropy_grad(np.zeros((2, 3)), [0, 5]),
        ValueError,
        r"labels must lie in \[0, 2\], got values from 0 to 5",
    ),
    (
        "sce float labels",
        lambda: cnnlit.softmax_cross_entropy(np.zeros((2, 3)), [0.0, 1.0]),
        TypeError,
        r"labels must be integer class indices, got dtype float64",
    ),
    (
        "sce labels shape",
        lambda: cnnlit.softmax_cross_entropy(np.zeros((2, 3)), [0, 1, 2]),
        ValueError,
        r"labels must have shape \(N,\) = \(2,\), got shape \(3,\)",
    ),
    (
        "sce labels 2-D",
        lambda: cnnlit.softmax_cross_entropy_grad(np.zeros((2, 3)), [[0], [1]]),
        ValueError,
        r"labels must have shape \(N,\) = \(2,\), got shape \(2, 1\)",
    ),
    (
        "sce z 1-D",
        lambda: cnnlit.softmax_cross_entropy(np.zeros(3), [0]),
        ValueError,
        r"z must have shape \(N, K\) .*got shape \(3,\)",
    ),
    (
        "sce z complex",
        lambda: cnnlit.softmax_cross_entropy(np.zeros((1, 3)) * 1j, [0]),
        TypeError,
        r"z must be real-valued",
    ),
    (
        "softmax complex",
        lambda: cnnlit.softmax(np.ones(3) * 1j),
        TypeError,
        r"z must be real-valued",
    ),
    (
        "softmax strings",
        lambda: cnnlit.softmax(np.array(["a"])),
        TypeError,
        r"z must be a real numeric array",
    ),
]


@pytest.mark.parametrize(
    "call, exc, pattern",
    [c[1:] for c in LOSS_BAD],
    ids=[c[0] for c in LOSS_BAD],
)
def test_loss_bad_input(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


XD, WD, BD = np.ones((2, 3)), np.ones((4, 3)), np.zeros(4)
DENSE_BAD = [
    (
        "x 1-D",
        lambda: cnnlit.dense_forward(np.ones(3), WD, BD),
        ValueError,
        r"x must have shape \(N, D_in\), got shape \(3,\)",
    ),
    (
        "w 1-D",
        lambda: cnnlit.dense_forward(XD, np.ones(3), BD),
        ValueError,
        r"w must have shape \(D_out, D_in\), got shape \(3,\)",
    ),
    (
        "D_in mismatch",
        lambda: cnnlit.dense_forward(XD, np.ones((4, 2)), BD),
        ValueError,
        r"w has D_in=2 \(w.shape \(4, 2\)\) but x has D_in=3 \(x.shape \(2, 3\)\)",
    ),
    (
        "bias shape",
        lambda: cnnlit.dense_forward(XD, WD, np.zeros(3)),
        ValueError,
        r"b must have shape \(D_out,\) = \(4,\), got shape \(3,\)",
    ),
    (
        "complex x",
        lambda: cnnlit.dense_forward(XD * 1j, WD, BD),
        TypeError,
        r"x must be real-valued",
    ),
    (
        "string w",
        lambda: cnnlit.dense_forward(XD, WD.astype(str), BD),
        TypeError,
        r"w must be a real numeric array",
    ),
    (
        "backward delta shape",
        lambda: cnnlit.dense_backward(np.ones((2, 3)), XD, WD),
        ValueError,
        r"delta must have shape \(N, D_out\) = \(2, 4\), got shape \(2, 3\)",
    ),
    (
        "backward delta batch",
        lambda: cnnlit.dense_backward(np.ones((3, 4)), XD, WD),
        ValueError,
        r"delta must have shape \(N, D_out\) = \(2, 4\), got shape \(3, 4\)",
    ),
    (
        "backward D_in mismatch",
        lambda: cnnlit.dense_backward(np.ones((2, 4)), XD, np.ones((4, 5))),
        ValueError,
        r"w has D_in=5 .* x has D_in=3",
    ),
    (
        "backward complex delta",
        lambda: cnnlit.dense_backward(np.ones((2, 4)) * 1j, XD, WD),
        TypeError,
        r"delta must be real-valued",
    ),
]


@pytest.mark.parametrize(
    "call, exc, pattern",
    [c[1:] for c in DENSE_BAD],
    ids=[c[0] for c in DENSE_BAD],
)
def test_dense_bad_input(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


GRADCHECK_BAD = [
    (
        "f not callable",
        lambda: cnnlit.numerical_gradient(3, np.ones(2)),
        TypeError,
        r"f must be callable, got int",
    ),
    (
        "eps zero",
        lambda: cnnlit.numerical_gradient(np.sum, np.ones(2), eps=0),
        ValueError,
        r"eps must be a positive real number, got 0",
    ),
    (
        "eps negative",
        lambda: cnnlit.numerical_gradient(np.sum, np.ones(2), eps=-1e-6),
        ValueError,
        r"eps must be a positive real number, got -1e-06",
    ),
    (
        "x complex",
        lambda: cnnlit.numerical_gradient(np.sum, np.ones(2) * 1j),
        TypeError,
        r"x must be real-valued",
    ),
    (
        "relative_error shapes",
        lambda: cnnlit.relative_error(np.ones(3), np.ones(4)),
        ValueError,
        r"a and b must have the same shape, got \(3,\) and \(4,\)",
    ),
]


@pytest.mark.parametrize(
    "call, exc, pattern",
    [c[1:] for c in GRADCHECK_BAD],
    ids=[c[0] for c in GRADCHECK_BAD],
)
def test_gradcheck_bad_input(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


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
