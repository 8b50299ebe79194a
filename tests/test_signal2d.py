"""convolve2d, correlate2d and rot180 against scipy.signal, loops and hand-worked numbers."""

import itertools

import numpy as np
import pytest
from scipy import signal

import cnnlit
from cnnlit import reference

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
