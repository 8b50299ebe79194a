"""convolve2d, correlate2d and rot180 against scipy.signal, loops and hand-worked numbers.

At the end: bad input, and the FFT path (NaN and inf stay where the direct sum
puts them, its error bound, its memory).
"""

import inspect
import itertools
import tracemalloc
import warnings

import numpy as np
import pytest
from helpers import FEW, NONFINITE_INPUTS, assert_same_nonfinite, sprinkle
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

import cnnlit
from cnnlit import reference, signal2d

MODES = ["valid", "same", "full"]
BOUNDARIES = ["fill", "wrap", "symm"]
PAIRS = [
    (cnnlit.convolve2d, signal.convolve2d, reference.convolve2d),
    (cnnlit.correlate2d, signal.correlate2d, reference.correlate2d),
]
PAIR_IDS = ["convolve2d", "correlate2d"]

# Kernels: odd square, even square, 1x1, non-square with an even side each way.
KERNEL_SHAPES = [(3, 3), (2, 2), (1, 1), (2, 3), (4, 1), (3, 4)]


# ---------------------------------------------------------------------------
# scipy.signal is the oracle: every mode x boundary x kernel shape
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("fast, scipy_fn, _ref", PAIRS, ids=PAIR_IDS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("kshape", KERNEL_SHAPES, ids=str)
def test_equals_scipy_every_mode_and_boundary(
    fast, scipy_fn, _ref, mode, boundary, kshape, rng
):
    image = rng.standard_normal((5, 7))  # non-square
    kernel = rng.standard_normal(kshape)
    got = fast(image, kernel, mode=mode, boundary=boundary, fillvalue=1.75)
    want = scipy_fn(image, kernel, mode=mode, boundary=boundary, fillvalue=1.75)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("fast, scipy_fn, _ref", PAIRS, ids=PAIR_IDS)
@pytest.mark.parametrize("mode", ["same", "full"])
def test_nonzero_fillvalue_changes_the_border(fast, scipy_fn, _ref, mode, rng):
    # Guards against fillvalue being ignored: with fill=-3 the border must differ from fill=0.
    image = rng.standard_normal((4, 6))
    kernel = rng.standard_normal((3, 2))
    got = fast(image, kernel, mode=mode, boundary="fill", fillvalue=-3.0)
    np.testing.assert_allclose(
        got, scipy_fn(image, kernel, mode=mode, fillvalue=-3.0), atol=1e-12
    )
    assert not np.allclose(
        got, scipy_fn(image, kernel, mode=mode, fillvalue=0.0)
    )


@pytest.mark.parametrize("fast, scipy_fn, _ref", PAIRS, ids=PAIR_IDS)
@pytest.mark.parametrize("mode", ["same", "full"])
@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("kshape", [(6, 9), (9, 4), (7, 7)], ids=str)
def test_kernel_larger_than_image(
    fast, scipy_fn, _ref, mode, boundary, kshape, rng
):
    # wrap and symm then extend the image over more than one period.
    image = rng.standard_normal((3, 5))
    kernel = rng.standard_normal(kshape)
    got = fast(image, kernel, mode=mode, boundary=boundary, fillvalue=0.5)
    want = scipy_fn(image, kernel, mode=mode, boundary=boundary, fillvalue=0.5)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("fast, scipy_fn, _ref", PAIRS, ids=PAIR_IDS)
@pytest.mark.parametrize(
    "shapes", [((2, 3), (4, 6)), ((1, 1), (3, 2)), ((3, 3), (3, 5))], ids=str
)
def test_valid_with_swapped_roles(fast, scipy_fn, _ref, shapes, rng):
    # in1 smaller than in2 in every dimension: scipy swaps the inputs in mode 'valid'.
    small, big = (rng.standard_normal(s) for s in shapes)
    got = fast(small, big, mode="valid")
    want = scipy_fn(small, big, mode="valid")
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("fast, scipy_fn, _ref", PAIRS, ids=PAIR_IDS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_fft_path_equals_scipy(fast, scipy_fn, _ref, mode, boundary, rng):
    # A kernel with more than 64 taps on a large image takes the FFT branch.
    image = rng.standard_normal((30, 41))
    kernel = rng.standard_normal((9, 10))
    got = fast(image, kernel, mode=mode, boundary=boundary, fillvalue=-0.25)
    want = scipy_fn(
        image, kernel, mode=mode, boundary=boundary, fillvalue=-0.25
    )
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("fast, scipy_fn, _ref", PAIRS, ids=PAIR_IDS)
def test_small_output_large_kernel_path_equals_scipy(fast, scipy_fn, _ref, rng):
    # More taps than output pixels: summed output pixel by output pixel.
    image = rng.standard_normal((11, 12))
    kernel = rng.standard_normal((10, 10))
    np.testing.assert_allclose(
        fast(image, kernel, mode="valid"),
        scipy_fn(image, kernel, mode="valid"),
        atol=1e-12,
    )


# ---------------------------------------------------------------------------
# dtypes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("fast, scipy_fn, _ref", PAIRS, ids=PAIR_IDS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kshape", [(2, 3), (9, 10)], ids=str)
def test_float32_in_float32_out(fast, scipy_fn, _ref, mode, kshape, rng):
    image = rng.standard_normal((30, 31)).astype(np.float32)
    kernel = rng.standard_normal(kshape).astype(np.float32)
    got = fast(image, kernel, mode=mode, boundary="symm")
    assert got.dtype == np.float32
    want = scipy_fn(
        image.astype(np.float64),
        kernel.astype(np.float64),
        mode=mode,
        boundary="symm",
    )
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("fast, scipy_fn, _ref", PAIRS, ids=PAIR_IDS)
def test_integer_input_computed_in_float64(fast, scipy_fn, _ref, rng):
    image = rng.integers(-5, 6, size=(5, 6))
    kernel = rng.integers(-3, 4, size=(2, 3))
    got = fast(image, kernel, mode="full")
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, scipy_fn(image, kernel, mode="full"))


@pytest.mark.parametrize("fast, scipy_fn, _ref", PAIRS, ids=PAIR_IDS)
def test_mixed_float32_float64_gives_float64(fast, scipy_fn, _ref, rng):
    image = rng.standard_normal((4, 5)).astype(np.float32)
    kernel = rng.standard_normal((2, 2))
    assert fast(image, kernel).dtype == np.float64


# ---------------------------------------------------------------------------
# the plain loops of cnnlit.reference
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("fast, scipy_fn, ref", PAIRS, ids=PAIR_IDS)
@pytest.mark.parametrize("case", range(6))
def test_equals_reference_loops(fast, scipy_fn, ref, case, rng):
    H, W = rng.integers(1, 7, size=2)
    kH, kW = rng.integers(1, 5, size=2)
    mode, boundary = list(itertools.product(MODES, BOUNDARIES))[rng.integers(9)]
    if mode == "valid" and not ((H >= kH and W >= kW) or (kH >= H and kW >= W)):
        kH, kW = min(kH, H), min(kW, W)
    image = rng.standard_normal((H, W))
    kernel = rng.standard_normal((kH, kW))
    got = fast(image, kernel, mode=mode, boundary=boundary, fillvalue=0.5)
    want = ref(image, kernel, mode=mode, boundary=boundary, fillvalue=0.5)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------
# hand-worked numbers
# ---------------------------------------------------------------------------

# The image i and kernel k of the book's hand example:
#     i = [[1, 2, 0, 1],        k = [[1,  2],
#          [0, 1, 3, 2],             [0, -1]]
#          [2, 0, 1, 1],
#          [1, 3, 0, 2]]
# Valid convolution, indexed from (0, 0):
#   v(x, y) = k(1,1) i(x, y) + k(1,0) i(x, y+1) + k(0,1) i(x+1, y) + k(0,0) i(x+1, y+1)
#           = -i(x, y) + 0 + 2 i(x+1, y) + i(x+1, y+1)
#   v(0,0) = -1 + 2*0 + 1 = 0    v(0,1) = -2 + 2*1 + 3 = 3   v(0,2) = -0 + 2*3 + 2 = 8
#   v(1,0) = -0 + 2*2 + 0 = 4    v(1,1) = -1 + 2*0 + 1 = 0   v(1,2) = -3 + 2*1 + 1 = 0
#   v(2,0) = -2 + 2*1 + 3 = 3    v(2,1) = -0 + 2*3 + 0 = 6   v(2,2) = -1 + 2*0 + 2 = 1
# Valid correlation: l(x, y) = i(x, y) + 2 i(x, y+1) + 0 i(x+1, y) - i(x+1, y+1)
#   l(0,0) = 1 + 4 - 1 = 4       l(0,1) = 2 + 0 - 3 = -1     l(0,2) = 0 + 2 - 2 = 0
#   l(1,0) = 0 + 2 - 0 = 2       l(1,1) = 1 + 6 - 1 = 6      l(1,2) = 3 + 4 - 1 = 6
#   l(2,0) = 2 + 0 - 3 = -1      l(2,1) = 0 + 2 - 0 = 2      l(2,2) = 1 + 2 - 2 = 1
HAND_I = np.array(
    [[1, 2, 0, 1], [0, 1, 3, 2], [2, 0, 1, 1], [1, 3, 0, 2]], dtype=float
)
HAND_K = np.array([[1, 2], [0, -1]], dtype=float)
HAND_CONV = np.array([[0, 3, 8], [4, 0, 0], [3, 6, 1]], dtype=float)
HAND_CORR = np.array([[4, -1, 0], [2, 6, 6], [-1, 2, 1]], dtype=float)


def test_hand_worked_convolution():
    np.testing.assert_array_equal(
        cnnlit.convolve2d(HAND_I, HAND_K, mode="valid"), HAND_CONV
    )


def test_hand_worked_correlation():
    np.testing.assert_array_equal(
        cnnlit.correlate2d(HAND_I, HAND_K, mode="valid"), HAND_CORR
    )


def test_hand_worked_full_corner():
    # full convolution, corner (0, 0): only i(0,0) k(0,0) = 1 * 1 = 1;
    # corner (4, 4): only i(3,3) k(1,1) = 2 * -1 = -2.
    full = cnnlit.convolve2d(HAND_I, HAND_K, mode="full")
    assert full.shape == (5, 5)
    assert full[0, 0] == 1.0 and full[4, 4] == -2.0


def test_hand_worked_same_even_kernel_centres():
    # For an even kernel, 'same' keeps rows/cols 0..3 of 'full' for convolution
    # (start (2-1)//2 = 0) but 1..4 for correlation (start 2//2 = 1), as scipy does.
    np.testing.assert_array_equal(
        cnnlit.convolve2d(HAND_I, HAND_K, mode="same"),
        cnnlit.convolve2d(HAND_I, HAND_K, mode="full")[:4, :4],
    )
    np.testing.assert_array_equal(
        cnnlit.correlate2d(HAND_I, HAND_K, mode="same"),
        cnnlit.correlate2d(HAND_I, HAND_K, mode="full")[1:, 1:],
    )
    np.testing.assert_array_equal(
        cnnlit.correlate2d(HAND_I, HAND_K, mode="same"),
        signal.correlate2d(HAND_I, HAND_K, mode="same"),
    )


# ---------------------------------------------------------------------------
# rot180
# ---------------------------------------------------------------------------


def test_rot180_hand():
    np.testing.assert_array_equal(cnnlit.rot180(HAND_K), [[-1, 0], [2, 1]])


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4), (2, 2, 3, 5)], ids=str)
def test_rot180_flips_only_last_two_axes(shape, rng):
    a = rng.standard_normal(shape)
    got = cnnlit.rot180(a)
    H, W = shape[-2:]
    for idx in np.ndindex(*shape):
        *lead, x, y = idx
        assert got[idx] == a[tuple(lead) + (H - 1 - x, W - 1 - y)]


@pytest.mark.parametrize("mode", MODES)
def test_rot180_turns_convolution_into_correlation(mode, rng):
    # The identity the book relies on, checked with scipy on both sides.
    image = rng.standard_normal((5, 6))
    kernel = rng.standard_normal((3, 3))  # odd: 'same' centres agree
    np.testing.assert_allclose(
        signal.convolve2d(image, kernel, mode=mode),
        signal.correlate2d(image, cnnlit.rot180(kernel), mode=mode),
    )


def test_rot180_does_not_modify_and_keeps_dtype(rng):
    a = rng.standard_normal((3, 4)).astype(np.float32)
    before = a.copy()
    out = cnnlit.rot180(a)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(a, before)


# ---------------------------------------------------------------------------
# inputs are not modified
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("fast, scipy_fn, _ref", PAIRS, ids=PAIR_IDS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kshape", [(2, 3), (9, 10)], ids=str)
def test_read_only_inputs_unchanged(fast, scipy_fn, _ref, mode, kshape, rng):
    image = rng.standard_normal((30, 31))
    kernel = rng.standard_normal(kshape)
    image_copy, kernel_copy = image.copy(), kernel.copy()
    image.setflags(write=False)
    kernel.setflags(write=False)
    got = fast(image, kernel, mode=mode, boundary="wrap")
    np.testing.assert_array_equal(image, image_copy)
    np.testing.assert_array_equal(kernel, kernel_copy)
    np.testing.assert_allclose(
        got,
        scipy_fn(image_copy, kernel_copy, mode=mode, boundary="wrap"),
        atol=1e-9,
    )


# ---------------------------------------------------------------------------
# bad input, the FFT path, NaN and inf
# ---------------------------------------------------------------------------

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
# the FFT path of convolve2d / correlate2d
# ---------------------------------------------------------------------------

EPS64 = np.finfo(np.float64).eps
SIGNAL = [
    (cnnlit.convolve2d, signal.convolve2d, reference.convolve2d),
    (cnnlit.correlate2d, signal.correlate2d, reference.correlate2d),
]
SIGNAL_IDS = ["convolve2d", "correlate2d"]


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


@NONFINITE_INPUTS
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
