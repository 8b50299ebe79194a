"""Awkward but legal inputs: memory layouts, NaN and inf, huge dynamic range, ndarray subclasses.

Each public array function must give, for any memory layout of its arrays
(Fortran order, transposed axes, negative strides, strided slices), the result
it gives for C-contiguous copies of them; NaN and inf must reach exactly the
outputs the loops of :mod:`cnnlit.reference` (and scipy.signal's direct sums)
send them to; ``np.matrix`` and other ndarray subclasses must be read as the
plain arrays they hold. The regression tests below are each named after what
they guard.
"""

import inspect
import math
import tracemalloc
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import signal

import cnnlit
from cnnlit import pool, reference, signal2d

pytestmark = [
    pytest.mark.filterwarnings(
        "ignore:the matrix subclass:PendingDeprecationWarning"
    ),
    # NaN and inf inputs: numpy says so while computing what scipy computes
    pytest.mark.filterwarnings(
        "ignore:invalid value encountered:RuntimeWarning"
    ),
    pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning"),
]
FEW = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
EPS64 = np.finfo(np.float64).eps


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


def _outputs(result):
    return result if isinstance(result, tuple) else (result,)


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


@pytest.mark.parametrize(
    "make",
    [
        np.asfortranarray,
        lambda a: np.ascontiguousarray(a.T).T,
        lambda a: a[::-1, ::-1].copy()[::-1, ::-1],
        lambda a: np.repeat(np.repeat(a, 2, axis=0), 3, axis=1)[::2, ::3],
    ],
    ids=["fortran", "transposed", "negative strides", "non-contiguous view"],
)
def test_numerical_gradient_any_layout(make, rng):
    # Regression: a Fortran-ordered x was copied by reshape(-1), so the steps
    # never reached f and the "gradient" was uninitialised memory.
    x0 = rng.standard_normal((3, 4))
    x = make(x0)
    np.testing.assert_array_equal(x, x0)
    g = cnnlit.numerical_gradient(lambda v: float(np.sum(v**3)), x)
    np.testing.assert_allclose(
        g, 3 * x0**2, rtol=1e-6, atol=1e-7
    )  # rounding: ~1e-16 |f| / eps


@pytest.mark.parametrize(
    "dtype", [np.float16, np.float32, np.float64, np.longdouble, np.int32]
)
def test_numerical_gradient_any_real_dtype(dtype):
    # d/dx sum(x^2) = 2x at values every dtype holds exactly; the result is float64.
    x = np.asfortranarray(np.array([[1, -2, 3], [4, 5, -6]], dtype=dtype))
    g = cnnlit.numerical_gradient(lambda v: float(np.sum(v**2)), x)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, 2 * x.astype(np.float64), rtol=1e-8)


# ---------------------------------------------------------------------------
# numerical_gradient and relative_error: the checks must never lie
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "eps",
    [math.inf, -math.inf, math.nan, 0.0, 0, -1e-6, np.float64(np.inf)],
    ids=repr,
)
def test_numerical_gradient_eps_must_be_finite_and_positive(eps):
    with pytest.raises(
        ValueError,
        match=r"eps must be a positive real number, got .*finite and > 0",
    ):
        cnnlit.numerical_gradient(np.sum, np.ones(2), eps=eps)


@pytest.mark.parametrize("eps", ["1e-6", None, True, 1e-6j], ids=repr)
def test_numerical_gradient_eps_must_be_a_real_number(eps):
    with pytest.raises(
        TypeError, match=r"eps must be a positive real number, got"
    ):
        cnnlit.numerical_gradient(np.sum, np.ones(2), eps=eps)


@pytest.mark.parametrize(
    "f, shown",
    [
        (lambda v: v * 2, r"an array of shape \(2,\)"),
        (lambda v: np.array([np.sum(v)]), r"an array of shape \(1,\)"),
        (lambda v: None, r"NoneType"),
        (lambda v: "3.0", r"str"),
        (lambda v: complex(np.sum(v)), r"complex"),
        (lambda v: bool(np.sum(v) > 0), r"a boolean"),
    ],
    ids=["array", "one-element array", "None", "string", "complex", "bool"],
)
def test_numerical_gradient_f_must_return_a_real_scalar(f, shown):
    with pytest.raises(
        TypeError, match=r"f must return a real scalar, got " + shown
    ):
        cnnlit.numerical_gradient(f, np.ones(2))


@pytest.mark.parametrize(
    "scalar",
    [np.float32, np.int64, np.array, int, float],
    ids=["float32", "int64", "0-d array", "int", "float"],
)
def test_numerical_gradient_accepts_every_real_scalar(scalar):
    # f = 2 * round(100 v[0]), returned as ``scalar``: exact in every type with eps = 0.01 -> (202 - 198) / 0.02
    g = cnnlit.numerical_gradient(
        lambda v: scalar(2 * round(float(v[0]) * 100)),
        np.array([1.0, 1.0]),
        eps=0.01,
    )
    np.testing.assert_allclose(g, [200.0, 0.0], rtol=1e-9)


@pytest.mark.parametrize(
    "a, b",
    [
        ([np.nan], [1.0]),
        ([1.0], [np.nan]),
        ([0.0], [np.nan]),
        ([np.nan], [0.0]),
        ([np.nan], [np.nan]),
        ([1.0, np.nan], [1.0, 2.0]),
        ([np.inf], [np.inf]),
        ([np.inf], [1.0]),
        ([0.0], [-np.inf]),
    ],
    ids=str,
)
def test_relative_error_never_reports_agreement_with_nan_or_inf(a, b):
    # Regression: relative_error([0.0], [nan]) was 0.0, a perfect match.
    err = cnnlit.relative_error(a, b)
    assert math.isnan(err)
    assert not err < 1e-8 and not err <= 0.0 and not err > 0.5


def test_relative_error_scale_safe():
    # Regression: 1e-170 squared underflowed (0.0 reported), 1e200 squared overflowed (nan).
    assert cnnlit.relative_error([1e-170], [0.0]) == 1.0
    assert cnnlit.relative_error([0.0], [1e-170]) == 1.0
    assert cnnlit.relative_error([1e200], [2e200]) == 0.5
    assert cnnlit.relative_error([5e-324], [0.0]) == 1.0
    assert (
        cnnlit.relative_error([1.7e308, -1.7e308], [-1.7e308, 1.7e308]) == 2.0
    )
    # the same ratio at every scale: [3, 4] against [3, 0] is 4 / 5
    for scale in (1e-300, 1e-160, 1.0, 1e160, 1e300):
        assert cnnlit.relative_error(
            np.array([3.0, 4.0]) * scale, np.array([3.0, 0.0]) * scale
        ) == pytest.approx(0.8)


@FEW
@given(st.integers(0, 2**32 - 1), st.integers(-300, 300))
def test_relative_error_symmetric(seed, exponent):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(5) * 10.0**exponent
    b = a + rng.standard_normal(5) * 10.0 ** (exponent - rng.integers(0, 10))
    assert cnnlit.relative_error(a, b) == cnnlit.relative_error(b, a)
    assert 0 <= cnnlit.relative_error(a, b) <= 2


def test_numerical_gradient_and_relative_error_in_the_books_pattern(rng):
    # The chapters' pattern: analytic gradient against finite differences of
    # sum(g * f(x)) with a random upstream g, on a Fortran-ordered input.
    x = np.asfortranarray(rng.standard_normal((4, 3)))
    g = rng.standard_normal((4, 3))
    numeric = cnnlit.numerical_gradient(lambda v: np.sum(g * cnnlit.tanh(v)), x)
    assert cnnlit.relative_error(g * cnnlit.tanh_prime(x), numeric) < 1e-8
    assert (
        cnnlit.relative_error(g * cnnlit.tanh_prime(x.T.T + 0.1), numeric)
        > 1e-3
    )


# ---------------------------------------------------------------------------
# the FFT path of convolve2d / correlate2d
# ---------------------------------------------------------------------------

SIGNAL = [
    (cnnlit.convolve2d, signal.convolve2d, reference.convolve2d),
    (cnnlit.correlate2d, signal.correlate2d, reference.correlate2d),
]
SIGNAL_IDS = ["convolve2d", "correlate2d"]


def assert_same_nonfinite(got, want, rtol=1e-9, atol=1e-9):
    """NaN, +inf and -inf in exactly the same places; the finite values close."""
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(np.isposinf(got), np.isposinf(want))
    np.testing.assert_array_equal(np.isneginf(got), np.isneginf(want))
    finite = np.isfinite(want)
    np.testing.assert_allclose(got[finite], want[finite], rtol=rtol, atol=atol)


def spy_fft(monkeypatch):
    """Record what the FFT path answered (None: it left the job to the direct sum)."""
    answers = []
    real = signal2d._correlate_fft

    def spy(x, k):
        answer = real(x, k)
        answers.append(answer)
        return answer

    monkeypatch.setattr(signal2d, "_correlate_fft", spy)
    return answers


@pytest.mark.parametrize("fast, oracle, _loops", SIGNAL, ids=SIGNAL_IDS)
@pytest.mark.parametrize("mode", ["valid", "same", "full"])
def test_fft_nan_stays_local(fast, oracle, _loops, mode, monkeypatch):
    # Regression: one NaN in a 64x64 image turned every output of the FFT path
    # into NaN (4,096 of them) where scipy has 81.
    answers = spy_fft(monkeypatch)
    image = np.ones((64, 64))
    image[10, 10] = np.nan
    kernel = np.ones((9, 9))
    got, want = fast(image, kernel, mode=mode), oracle(image, kernel, mode=mode)
    assert (
        answers and answers[0] is not None
    )  # the FFT answered, with the NaN windows summed directly
    assert np.isnan(got).sum() == 81
    assert_same_nonfinite(got, want)


@pytest.mark.parametrize("fast, oracle, _loops", SIGNAL, ids=SIGNAL_IDS)
def test_fft_inf_stays_local(fast, oracle, _loops, rng):
    # +inf and -inf in the image, and a kernel with zero taps (inf * 0 = nan in a direct sum).
    image = rng.standard_normal((40, 50))
    image[5, 7], image[30, 8], image[31, 9] = np.inf, -np.inf, np.inf
    kernel = rng.standard_normal((9, 9))
    kernel[4, :] = 0.0
    for mode in ("valid", "same", "full"):
        assert_same_nonfinite(
            fast(image, kernel, mode=mode), oracle(image, kernel, mode=mode)
        )


@pytest.mark.parametrize("fast, oracle, _loops", SIGNAL, ids=SIGNAL_IDS)
@pytest.mark.parametrize("shape", [(5, 6), (40, 50)])  # direct sum, FFT
def test_nonfinite_values_propagate_without_warnings(
    fast, oracle, _loops, shape, rng
):
    # scipy.signal is silent about inf - inf, inf * 0 and overflow; so is cnnlit
    image = rng.standard_normal(shape)
    image[2, 3], image[3, 4] = np.inf, -np.inf
    image[1, 1] = 1e300
    kernel = rng.standard_normal((3, 3) if shape[0] < 10 else (9, 9))
    kernel[1, :] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = fast(image, kernel, mode="same")
    assert_same_nonfinite(got, oracle(image, kernel, mode="same"))
    assert np.isnan(got).any() and np.isinf(got).any()


@pytest.mark.parametrize("fast, oracle, _loops", SIGNAL, ids=SIGNAL_IDS)
def test_fft_nonfinite_kernel_as_scipy(fast, oracle, _loops, rng):
    image = rng.standard_normal((30, 31))
    image[3, 4] = 0.0
    kernel = rng.standard_normal((9, 9))
    kernel[2, 3] = np.inf
    assert_same_nonfinite(
        fast(image, kernel, mode="same"), oracle(image, kernel, mode="same")
    )
    kernel[2, 3] = np.nan
    assert np.isnan(fast(image, kernel, mode="same")).all()


@pytest.mark.parametrize("fast, oracle, _loops", SIGNAL, ids=SIGNAL_IDS)
def test_fft_nan_fillvalue_as_scipy(fast, oracle, _loops, rng):
    image = rng.standard_normal((30, 33))
    kernel = rng.standard_normal((9, 8))
    for mode in ("same", "full"):
        got = fast(image, kernel, mode=mode, fillvalue=np.nan)
        assert_same_nonfinite(
            got, oracle(image, kernel, mode=mode, fillvalue=np.nan)
        )
        assert np.isfinite(got).any()


@pytest.mark.parametrize("fast, oracle, _loops", SIGNAL, ids=SIGNAL_IDS)
def test_fft_huge_value_does_not_wreck_the_other_outputs(fast, oracle, _loops):
    # Regression: with 1e30 beside ones, an output that is 81 came out as 3e13.
    image = np.ones((64, 64))
    image[0, 0] = 1e30
    kernel = np.ones((9, 9))
    for mode in ("valid", "same", "full"):
        got, want = (
            fast(image, kernel, mode=mode),
            oracle(image, kernel, mode=mode),
        )
        np.testing.assert_allclose(got, want, rtol=1e-12)
    assert fast(image, kernel, mode="valid")[30, 30] == 81.0


@pytest.mark.parametrize("fast, oracle, _loops", SIGNAL, ids=SIGNAL_IDS)
def test_fft_outputs_over_zeros_are_exact_zeros(
    fast, oracle, _loops, rng, monkeypatch
):
    # A block of zeros in a random image: the outputs whose window lies inside
    # it are exact zeros in a direct sum; the FFT would leave rounding noise.
    answers = spy_fft(monkeypatch)
    image = rng.standard_normal((60, 70))
    image[20:45, 30:60] = 0.0
    kernel = rng.standard_normal((9, 9))
    got = fast(image, kernel, mode="valid")
    assert (
        answers[0] is not None
    )  # only the windows over the zeros were summed directly
    np.testing.assert_array_equal(got[20:37, 30:52], 0.0)
    np.testing.assert_allclose(
        got, oracle(image, kernel, mode="valid"), rtol=1e-10, atol=1e-12
    )


def test_fft_path_answers_ordinary_data(rng, monkeypatch):
    # The safeguards must not turn the FFT path off for ordinary images.
    answers = spy_fft(monkeypatch)
    image, kernel = rng.standard_normal((80, 90)), rng.standard_normal((11, 12))
    for f in (cnnlit.convolve2d, cnnlit.correlate2d):
        for mode in ("valid", "same", "full"):
            for boundary in ("fill", "wrap", "symm"):
                f(image, kernel, mode=mode, boundary=boundary)
    assert len(answers) == 18 and all(a is not None for a in answers)


@st.composite
def wide_range_arrays(draw, shape):
    """Signs and magnitudes spread log-uniformly over a drawn range, some exact zeros."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    decades = draw(st.integers(0, 60))
    centre = draw(st.integers(-100, 100))
    values = rng.choice([-1.0, 1.0], size=shape) * 10.0 ** (
        centre + rng.uniform(-decades / 2, decades / 2, shape)
    )
    values[rng.random(shape) < draw(st.sampled_from([0.0, 0.05, 0.5]))] = 0.0
    return values


@FEW
@given(
    wide_range_arrays((40, 45)),
    wide_range_arrays((9, 10)),
    st.sampled_from(["valid", "same", "full"]),
    st.booleans(),
)
def test_fft_matches_scipy_relative_to_each_outputs_scale(
    image, kernel, mode, correlate
):
    # Every output agrees with scipy's direct sum within 1e-10 of its own sum
    # of absolute products S, whatever the dynamic range: where the FFT's error
    # could exceed that, the output is summed directly.
    fast, oracle = (
        (cnnlit.correlate2d, signal.correlate2d)
        if correlate
        else (cnnlit.convolve2d, signal.convolve2d)
    )
    got, want = fast(image, kernel, mode=mode), oracle(image, kernel, mode=mode)
    S = oracle(np.abs(image), np.abs(kernel), mode=mode)
    assert np.all(np.abs(got - want) <= 1e-10 * S)


def test_fft_error_bound_holds_with_margin(rng):
    # The bound the FFT path relies on, eps * log2(n) * max|x| * sum|k|, against
    # exact results (integer data: every direct sum below 2**53 is exact), for
    # ordinary, all-positive, one-spike and sparse images. Measured well under
    # a tenth of the bound; a quarter leaves room for other FFT libraries.
    for trial in range(8):
        H, W = (int(v) for v in rng.integers(70, 200, size=2))
        kH, kW = (int(v) for v in rng.integers(9, 20, size=2))
        x = rng.integers(-1000, 1001, size=(H, W)).astype(float)
        k = rng.integers(-1000, 1001, size=(kH, kW)).astype(float)
        if trial % 4 == 1:
            x, k = np.abs(x), np.abs(k)
        elif trial % 4 == 2:
            x[:] = 1.0
            x[rng.integers(H), rng.integers(W)] = 2.0**40
        elif trial % 4 == 3:
            x[rng.random((H, W)) < 0.95] = 0.0
        exact = signal.correlate2d(x, k, mode="valid")
        shape = (signal2d._next_fast_len(H), signal2d._next_fast_len(W))
        err = np.abs(signal2d._fft_valid(x, k, shape) - exact).max()
        bound = (
            EPS64
            * np.log2(shape[0] * shape[1])
            * np.abs(x).max()
            * np.abs(k).sum()
        )
        assert err <= 0.25 * bound


@pytest.mark.parametrize("fast, oracle, _loops", SIGNAL, ids=SIGNAL_IDS)
@pytest.mark.parametrize("mode", ["valid", "same", "full"])
def test_fft_mixed_float32_float64_computed_in_float64(
    fast, oracle, _loops, mode, rng
):
    # Regression: the float32 side was transformed in single precision (errors
    # ~1e-7 of the outputs); float64 throughout agrees with scipy to ~1e-14.
    image = rng.standard_normal((50, 60)).astype(np.float32)
    kernel = rng.standard_normal((10, 9))
    for a, b in (
        (image, kernel),
        (kernel.astype(np.float32), image.astype(np.float64)),
    ):
        if mode != "valid" and a.shape < b.shape:
            continue
        got = fast(a, b, mode=mode)
        assert got.dtype == np.float64
        want = oracle(a.astype(np.float64), b.astype(np.float64), mode=mode)
        np.testing.assert_allclose(
            got, want, rtol=1e-11, atol=1e-11 * np.abs(want).max()
        )


def test_signal2d_uses_the_shared_boundary_names():
    # One map from scipy's boundary names to np.pad's, in cnnlit.padding.
    source = inspect.getsource(signal2d)
    assert "NP_PAD_MODE" in source and '"symmetric"' not in source


# ---------------------------------------------------------------------------
# NaN and inf against the loops of cnnlit.reference
# ---------------------------------------------------------------------------


def sprinkle(rng, a, fraction=0.08):
    """A copy of ``a`` with NaN, +inf and -inf at random places."""
    a = a.copy()
    spots = rng.random(a.shape) < fraction
    a[spots] = rng.choice([np.nan, np.inf, -np.inf], size=int(spots.sum()))
    return a


@pytest.mark.parametrize("fast, _oracle, loops", SIGNAL, ids=SIGNAL_IDS)
@settings(max_examples=6, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    mode=st.sampled_from(["valid", "same", "full"]),
    boundary=st.sampled_from(["fill", "wrap", "symm"]),
    big=st.booleans(),
)
def test_signal2d_nonfinite_as_the_loops(
    fast, _oracle, loops, seed, mode, boundary, big
):
    rng = np.random.default_rng(seed)
    image = sprinkle(
        rng,
        rng.standard_normal((20, 19) if big else (6, 5)),
        0.01 if big else 0.1,
    )
    kernel = rng.standard_normal(
        (9, 9) if big else (2, 3)
    )  # 81 taps: the FFT path
    got = fast(image, kernel, mode=mode, boundary=boundary)
    assert_same_nonfinite(
        got,
        loops(image, kernel, mode=mode, boundary=boundary),
        rtol=1e-10,
        atol=1e-10,
    )


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


@FEW
@given(
    seed=st.integers(0, 2**32 - 1),
    mode=st.sampled_from(["max", "mean"]),
    size=st.sampled_from([2, (2, 3), (4, 4), (5, 6)]),
    stride=st.sampled_from([None, 1, (2, 1)]),
)
def test_pool_nonfinite_and_ties_as_the_loops(seed, mode, size, stride):
    # Small integers (ties everywhere) with NaN and inf sprinkled in, NaN in delta too.
    rng = np.random.default_rng(seed)
    o_prev = sprinkle(
        rng, rng.integers(-2, 3, size=(2, 2, 7, 8)).astype(float), 0.05
    )
    o = cnnlit.pool_forward(o_prev, size, stride=stride, mode=mode)
    np.testing.assert_array_equal(
        o, reference.pool_forward(o_prev, size, stride=stride, mode=mode)
    )
    delta = sprinkle(rng, rng.standard_normal(o.shape), 0.05)
    got = cnnlit.pool_backward(delta, o_prev, size, stride=stride, mode=mode)
    want = reference.pool_backward(
        delta, o_prev, size, stride=stride, mode=mode
    )
    assert_same_nonfinite(got, want, rtol=1e-13, atol=1e-13)


def test_reference_pooling_propagates_nan():
    # Regression: Python's max skipped a NaN that was not first in the window.
    x = np.array([[[1.0, np.nan], [3.0, 2.0]]])
    assert np.isnan(reference.pool_forward(x, 2)).all()
    assert np.isnan(cnnlit.pool_forward(x, 2)).all()
    # the backward pass routes the delta to the NaN, in both
    d = np.array([[[5.0]]])
    np.testing.assert_array_equal(
        reference.pool_backward(d, x, 2), [[[0.0, 5.0], [0.0, 0.0]]]
    )
    np.testing.assert_array_equal(
        cnnlit.pool_backward(d, x, 2), [[[0.0, 5.0], [0.0, 0.0]]]
    )
    # with two NaNs, to the last one in row-major order, as PyTorch does
    # (its scan lets every NaN replace the maximum so far)
    two_nans = np.array([[[np.nan, 4.0], [np.nan, 2.0]]])
    np.testing.assert_array_equal(
        reference.pool_backward(d, two_nans, 2), [[[0.0, 0.0], [5.0, 0.0]]]
    )
    np.testing.assert_array_equal(
        cnnlit.pool_backward(d, two_nans, 2), [[[0.0, 0.0], [5.0, 0.0]]]
    )
    # a 6 x 6 window, one offset at a time
    big = np.zeros((1, 6, 6))
    big[0, 1, 4] = big[0, 4, 1] = big[0, 4, 3] = np.nan
    want = np.zeros((1, 6, 6))
    want[0, 4, 3] = 5.0
    for f in (reference.pool_backward, cnnlit.pool_backward):
        np.testing.assert_array_equal(f(d, big, 6), want)
    # 4 x 4 windows with stride 1 take the separable path (rows, then
    # columns); the window at (1, 0) holds the NaNs at (4, 1) and (4, 3)
    assert pool._separable(4, 4, 1, 3, 3)
    d9 = np.zeros((1, 3, 3))
    d9[0, 1, 0] = 5.0
    np.testing.assert_array_equal(
        cnnlit.pool_backward(d9, big, 4, stride=1), want
    )


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_fft_path_memory_within_twice_input_and_output(mode, rng):
    # Regression: the result, |x| and two FFTs' temporaries were alive at once,
    # 3.25 x (input + output) on 2048 x 2048 images. Now the error bound's
    # transform is finished before the result's, each transform in place.
    x = rng.standard_normal((384, 384))
    k = rng.standard_normal((15, 15))
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    out = cnnlit.correlate2d(x, k, mode=mode)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    assert peak <= 2.2 * (x.nbytes + out.nbytes)
    np.testing.assert_allclose(
        out, signal.correlate2d(x, k, mode=mode), rtol=1e-9, atol=1e-9
    )


# ---------------------------------------------------------------------------
# pooling: memory and the large-window path
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["max", "mean"])
def test_pool_backward_memory_linear_in_input_and_output(mode, rng):
    # Regression: max pooling's backward copied every window, (windows x window
    # size) numbers: here 81^2 x 1600 x 8 bytes = 84 MB for a 120x120 map.
    x = rng.standard_normal((1, 1, 120, 120))
    o = cnnlit.pool_forward(x, 40, stride=1, mode=mode)
    delta = rng.standard_normal(o.shape)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    cnnlit.pool_backward(delta, x, 40, stride=1, mode=mode)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    assert peak <= 8 * (x.nbytes + delta.nbytes)


@FEW
@given(
    seed=st.integers(0, 2**32 - 1),
    kH=st.integers(1, 7),
    kW=st.integers(1, 7),
    sH=st.integers(1, 3),
    sW=st.integers(1, 3),
    mode=st.sampled_from(["max", "mean"]),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_pool_large_and_small_windows_as_the_loops(
    seed, kH, kW, sH, sW, mode, dtype
):
    # Both ways of reducing a window (offset by offset; rows then columns),
    # ties from small integers, overlapping windows adding up.
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, size=(2, 1, 9, 10)).astype(dtype)
    o = cnnlit.pool_forward(x, (kH, kW), stride=(sH, sW), mode=mode)
    assert o.dtype == dtype
    np.testing.assert_allclose(
        o,
        reference.pool_forward(x, (kH, kW), stride=(sH, sW), mode=mode),
        rtol=1e-6,
    )
    delta = rng.standard_normal(o.shape).astype(dtype)
    g = cnnlit.pool_backward(delta, x, (kH, kW), stride=(sH, sW), mode=mode)
    assert g.dtype == dtype
    want = reference.pool_backward(
        delta, x, (kH, kW), stride=(sH, sW), mode=mode
    )
    np.testing.assert_allclose(
        g, want, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6
    )


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


def test_half_squared_error_of_a_matrix():
    # Regression: on np.matrix, ** is a matrix power: 0.5 * sum([[7, 10], [15, 22]]) = 27.
    o = np.matrix([[1.0, 2.0], [3.0, 4.0]])
    assert (
        cnnlit.half_squared_error(o, np.zeros((2, 2))) == 15.0
    )  # 0.5 * (1 + 4 + 9 + 16)
    np.testing.assert_array_equal(
        cnnlit.half_squared_error_grad(o, np.zeros((2, 2))),
        [[1.0, 2.0], [3.0, 4.0]],
    )


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


def test_dense_forward_b_none_means_no_bias(rng):
    x, w = rng.standard_normal((3, 5)), rng.standard_normal((2, 5))
    np.testing.assert_array_equal(
        cnnlit.dense_forward(x, w, None),
        cnnlit.dense_forward(x, w, np.zeros(2)),
    )
    assert (
        cnnlit.dense_forward(
            x.astype(np.float32), w.astype(np.float32), None
        ).dtype
        == np.float32
    )


@pytest.mark.parametrize("shape", [(3, 0), (0,), (2, 4, 0)], ids=str)
def test_softmax_over_an_empty_axis_is_a_clear_error(shape):
    with pytest.raises(
        ValueError,
        match=r"z must have at least one class along its last axis \(K >= 1\); got shape",
    ):
        cnnlit.softmax(np.zeros(shape))
    if len(shape) == 2:
        with pytest.raises(ValueError, match=r"z must have at least one class"):
            cnnlit.softmax_cross_entropy(
                np.zeros(shape), np.zeros(shape[0], dtype=int)
            )


def test_softmax_of_a_scalar_is_a_clear_error():
    with pytest.raises(
        ValueError,
        match=r"z must have shape \(\.\.\., K\) with at least one dimension, got a scalar",
    ):
        cnnlit.softmax(2.0)


def test_softmax_of_an_empty_batch_is_empty():
    assert cnnlit.softmax(np.zeros((0, 3))).shape == (0, 3)
