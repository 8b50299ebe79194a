"""cnnlit.plot.forward: the pictures of convolution, correlation and padding.

The data functions against the package (convolve2d, correlate2d,
conv_forward), scipy.signal, np.pad and the loops of cnnlit.reference; the
drawings on Agg; bad input.
"""

import gc

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import scipy.signal
from matplotlib import pyplot as plt
from matplotlib.figure import Figure

import cnnlit
from cnnlit import plot as P
from cnnlit import reference
from cnnlit.plot import role_colour

I4 = np.array([[3, 1, 0, 2], [1, 4, 2, 0], [0, 2, 5, 1], [2, 0, 1, 3]], float)
K2 = np.array([[1, 2], [-1, 0]], float)
NP_MODE = {"fill": "constant", "wrap": "wrap", "symm": "symmetric"}
# animations made to count their frames are never rendered, which matplotlib warns about
pytestmark = pytest.mark.filterwarnings(
    "ignore:Animation was deleted without rendering"
)

OPS = {
    "convolution": (
        cnnlit.convolve2d,
        scipy.signal.convolve2d,
        reference.convolve2d,
    ),
    "correlation": (
        cnnlit.correlate2d,
        scipy.signal.correlate2d,
        reference.correlate2d,
    ),
}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")
    gc.collect()  # unrendered animations warn when collected: here, under the filter


def _seed_sum(i, k, x, y, convention):
    """The source post's v(x, y) or l(x, y), term by term, zero outside the image."""
    H, W = i.shape
    sign = -1 if convention == "convolution" else 1
    total = 0.0
    for xk in range(k.shape[0]):
        for yk in range(k.shape[1]):
            r, c = x + sign * xk, y + sign * yk
            if 0 <= r < H and 0 <= c < W:
                total += i[r, c] * k[xk, yk]
    return total


def _texts(fig):
    """Every text and title of ``fig``, line by line."""
    texts = [t.get_text() for ax in fig.axes for t in ax.texts] + [
        ax.get_title(loc) for ax in fig.axes for loc in ("left", "center")
    ]
    return [line for t in texts for line in t.split("\n")]


# ------------------------------------------------------------ pixel_sum


def test_pixel_sum_hand_numbers_of_the_convolution_chapter():
    p = P.pixel_sum(I4, K2, (1, 1))
    assert p.total == 5 and p.at == (1, 1) and p.inside.all()
    # the sum in numbers, term by term in the order of the kernel index
    assert p.numbers == "4\u00b71 + 1\u00b72 + 1\u00b7(-1) + 3\u00b70 = 5"
    np.testing.assert_array_equal(p.weights, cnnlit.rot180(K2))
    np.testing.assert_array_equal(p.values, I4[0:2, 0:2])
    np.testing.assert_array_equal(p.products, [[0, -1], [2, 4]])
    # the terms in the order of the kernel index, as the chapter writes them
    assert [t[:4] for t in p.terms] == [
        (0, 0, 1, 1),
        (0, 1, 1, 0),
        (1, 0, 0, 1),
        (1, 1, 0, 0),
    ]
    assert [t[6] for t in p.terms] == [4, 2, -1, 0]
    # the kernel entry laid on the window's top-left cell is k(1, 1)
    assert tuple(p.taps[0, 0]) == (1, 1) and tuple(p.taps[1, 1]) == (0, 0)
    p = P.pixel_sum(I4, K2, (2, 3))
    assert p.total == 11
    np.testing.assert_array_equal(p.cells[0, 0], (1, 2))
    assert (
        p.total
        == cnnlit.convolve2d(I4, K2)[2, 3]
        == cnnlit.convolve2d(I4, K2, "valid")[1, 2]
    )


def test_pixel_sum_hand_numbers_of_the_correlation_chapter():
    p = P.pixel_sum(I4, K2, (0, 0), convention="correlation")
    assert p.total == 4 and p.names == ("i", "k", "l")
    np.testing.assert_array_equal(p.weights, K2)
    p = P.pixel_sum(I4, K2, (2, 1), convention="correlation")
    assert p.total == 12
    assert p.total == cnnlit.correlate2d(I4, K2, "valid")[2, 1]
    assert [t[2:4] for t in p.terms] == [(2, 1), (2, 2), (3, 1), (3, 2)]


@pytest.mark.parametrize("convention", ["convolution", "correlation"])
@pytest.mark.parametrize("kshape", [(2, 2), (3, 2), (1, 3), (3, 3)])
def test_pixel_sum_every_pixel_matches_package_scipy_and_loops(
    convention, kshape, rng
):
    img = rng.integers(-3, 4, size=(5, 4)).astype(float)
    ker = rng.integers(-2, 3, size=kshape).astype(float)
    ours, theirs, loops = OPS[convention]
    full = ours(img, ker, "full")
    np.testing.assert_allclose(full, theirs(img, ker, "full"))
    np.testing.assert_allclose(full, loops(img, ker, "full"))
    kH, kW = kshape
    off = (0, 0) if convention == "convolution" else (kH - 1, kW - 1)
    for fx in range(full.shape[0]):
        for fy in range(full.shape[1]):
            x, y = fx - off[0], fy - off[1]
            p = P.pixel_sum(img, ker, (x, y), convention=convention)
            assert p.total == pytest.approx(full[fx, fy])
            assert p.total == pytest.approx(
                _seed_sum(img, ker, x, y, convention)
            )
            assert p.total == pytest.approx(sum(t[6] for t in p.terms))
            for xk_, yk_, r, c, v, w, prod in p.terms:
                assert w == ker[xk_, yk_] and prod == v * w
                inside = 0 <= r < 5 and 0 <= c < 4
                assert v == (img[r, c] if inside else 0.0)
                sign = -1 if convention == "convolution" else 1
                assert (r, c) == (x + sign * xk_, y + sign * yk_)
            assert p.inside.all() == (
                0 <= p.cells[..., 0].min()
                and p.cells[..., 0].max() < 5
                and 0 <= p.cells[..., 1].min()
                and p.cells[..., 1].max() < 4
            )


@pytest.mark.parametrize("convention", ["convolution", "correlation"])
@pytest.mark.parametrize("boundary", ["wrap", "symm"])
def test_pixel_sum_boundaries_match_scipy(convention, boundary, rng):
    img = rng.integers(-3, 4, size=(4, 5)).astype(float)
    ker = rng.integers(-2, 3, size=(2, 3)).astype(float)
    full = OPS[convention][1](img, ker, "full", boundary=boundary)
    np.testing.assert_allclose(
        full, OPS[convention][0](img, ker, "full", boundary=boundary)
    )
    off = (0, 0) if convention == "convolution" else (1, 2)
    for fx, fy in [(0, 0), (1, 3), (4, 6), (2, 0)]:
        p = P.pixel_sum(
            img,
            ker,
            (fx - off[0], fy - off[1]),
            convention=convention,
            boundary=boundary,
        )
        assert p.total == pytest.approx(full[fx, fy])


def test_pixel_sum_does_not_modify_inputs_and_takes_float32():
    img, ker = I4.astype(np.float32), K2.astype(np.float32)
    before = img.copy(), ker.copy()
    p = P.pixel_sum(img, ker, (2, 3))
    assert p.total == 11
    np.testing.assert_array_equal(img, before[0])
    np.testing.assert_array_equal(ker, before[1])


def test_conventions_at_same_window():
    conv, corr, corr_rot = P.conventions_at(I4, K2, 0, 0)
    assert (conv.at, corr.at, corr_rot.at) == ((1, 1), (0, 0), (0, 0))
    # the same cells under the three windows
    np.testing.assert_array_equal(conv.cells, corr.cells)
    np.testing.assert_array_equal(conv.cells, corr_rot.cells)
    # the laid kernels: conv lays rot180(k), corr lays k, corr with rot180(k) lays rot180(k)
    np.testing.assert_array_equal(conv.weights, cnnlit.rot180(corr.weights))
    np.testing.assert_array_equal(conv.weights, corr_rot.weights)
    assert conv.total == corr_rot.total == 5 and corr.total == 4
    assert conv.total == cnnlit.convolve2d(I4, K2, "valid")[0, 0]
    assert corr.total == cnnlit.correlate2d(I4, K2, "valid")[0, 0]
    assert (
        corr_rot.total
        == cnnlit.correlate2d(I4, cnnlit.rot180(K2), "valid")[0, 0]
    )
    assert corr_rot.names[1] == "k'"


@pytest.mark.parametrize("kshape", [(2, 2), (3, 2), (2, 3)])
def test_conventions_at_random(kshape, rng):
    img = rng.normal(size=(5, 6))
    ker = rng.normal(size=kshape)
    valid_conv = cnnlit.convolve2d(img, ker, "valid")
    valid_corr = cnnlit.correlate2d(img, ker, "valid")
    for top in range(valid_conv.shape[0]):
        for left in range(valid_conv.shape[1]):
            conv, corr, corr_rot = P.conventions_at(img, ker, top, left)
            assert conv.total == pytest.approx(valid_conv[top, left])
            assert corr.total == pytest.approx(valid_corr[top, left])
            assert corr_rot.total == pytest.approx(conv.total)


# ----------------------------------------------------------- full_valid


@pytest.mark.parametrize("convention", ["convolution", "correlation"])
@pytest.mark.parametrize(
    "shapes",
    [((4, 4), (2, 2)), ((5, 4), (3, 2)), ((3, 5), (1, 3)), ((4, 4), (4, 4))],
)
def test_full_valid_matches_package_scipy_and_loops(convention, shapes, rng):
    (H, W), (kH, kW) = shapes
    img = rng.integers(-3, 4, size=(H, W)).astype(float)
    ker = rng.integers(-2, 3, size=(kH, kW)).astype(float)
    fv = P.full_valid(img, ker, convention=convention)
    ours, theirs, loops = OPS[convention]
    for mode_out, mode in ((fv.slide.output, "full"), (fv.valid, "valid")):
        np.testing.assert_allclose(mode_out, ours(img, ker, mode))
        np.testing.assert_allclose(mode_out, theirs(img, ker, mode))
        np.testing.assert_allclose(mode_out, loops(img, ker, mode))
    # undefined exactly off the valid block, which starts at full index (kH-1, kW-1)
    expected = np.ones(fv.slide.output.shape, bool)
    expected[kH - 1 : H, kW - 1 : W] = False
    np.testing.assert_array_equal(fv.undefined, expected)
    assert fv.valid_start == (kH - 1, kW - 1)
    # the source post's coordinates: convolution shifted by k - 1, correlation not
    assert fv.shift == (
        (kH - 1, kW - 1) if convention == "convolution" else (0, 0)
    )
    x, y = fv.shift
    assert fv.valid[0, 0] == pytest.approx(
        _seed_sum(img, ker, x, y, convention)
    )
    assert len(fv.slide.frames) == (H + kH - 1) * (W + kW - 1)


def test_full_valid_hand_numbers():
    fv = P.full_valid(I4, K2)
    np.testing.assert_array_equal(
        fv.valid, [[5, 10, 2], [-2, 7, 11], [2, -4, 4]]
    )
    assert fv.slide.output[1, 1] == 5 and fv.slide.output[0, 0] == 3
    assert fv.undefined[0, 0] and not fv.undefined[1, 1] and fv.undefined[4, 4]
    assert fv.seed((1, 1)) == (1, 1)
    fv = P.full_valid(I4, K2, convention="correlation")
    assert fv.seed((1, 1)) == (0, 0) and fv.slide.output[1, 1] == 4
    assert fv.origin == (1, 1) and fv.slide.names == ("i", "k", "l")


# ------------------------------------------------------ padding_picture


@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm"])
@pytest.mark.parametrize("pads", [0, 1, 2, (1, 3), (3, 0), 5])
def test_padding_picture_matches_np_pad_and_the_package(boundary, pads, rng):
    img = rng.integers(-5, 6, size=(4, 5)).astype(float)
    pp = P.padding_picture(img, boundary, pads)
    t, b, l_, r = pp.pads
    ph, pw = (pads, pads) if isinstance(pads, int) else pads
    assert pp.pads == (ph, ph, pw, pw)
    np.testing.assert_array_equal(
        pp.grid, np.pad(img, ((t, b), (l_, r)), mode=NP_MODE[boundary])
    )
    np.testing.assert_array_equal(pp.grid[t : t + 4, l_ : l_ + 5], img)
    assert pp.mask.sum() == pp.grid.size - img.size
    assert not pp.mask[t : t + 4, l_ : l_ + 5].any()
    # each cell holds the image pixel its source names (fill: nothing)
    for (rr, cc), m in np.ndenumerate(pp.mask):
        sx, sy = pp.source[rr, cc]
        if m and boundary == "fill":
            assert (sx, sy) == (-1, -1) and pp.grid[rr, cc] == 0
        else:
            assert pp.grid[rr, cc] == img[sx, sy]
        if not m:
            assert (sx, sy) == (rr - t, cc - l_)
    # symmetric padding: the layer's conv_forward with a 1x1 identity kernel pads the same way
    if t == b and l_ == r:
        one = np.ones((1, 1, 1, 1))
        fast = cnnlit.conv_forward(
            img[None], one, np.zeros(1), padding=(t, l_), boundary=boundary
        )[0]
        loops = reference.conv_forward(
            img[None, None],
            one,
            np.zeros(1),
            padding=(t, l_),
            boundary=boundary,
        )[0, 0]
        np.testing.assert_array_equal(pp.grid, fast)
        np.testing.assert_array_equal(pp.grid, loops)


@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm"])
def test_padding_picture_agrees_with_slide_grid(boundary):
    s = P.slide(I4, K2, padding=(2, 1), boundary=boundary)
    pp = P.padding_picture(I4, boundary, (2, 1))
    np.testing.assert_array_equal(pp.grid, s.grid)
    np.testing.assert_array_equal(pp.mask, s.padding_mask)


def test_padding_picture_hand_values_of_the_padding_chapter():
    # v(0, 0) needs i(0, -1), i(-1, 0), i(-1, -1): fill 0, wrap 2, 2, 3, symm 3, 3, 3
    for boundary, want in [
        ("fill", (0, 0, 0)),
        ("wrap", (2, 2, 3)),
        ("symm", (3, 3, 3)),
    ]:
        pp = P.padding_picture(I4, boundary, 2)
        assert (pp.grid[2, 1], pp.grid[1, 2], pp.grid[1, 1]) == want
    pp = P.padding_picture(I4, "wrap", 2)
    assert tuple(pp.source[2, 1]) == (0, 3) and tuple(pp.source[1, 2]) == (3, 0)
    pp = P.padding_picture(I4, "symm", 2)
    assert tuple(pp.source[0, 0]) == (1, 1)  # i(-2, -2) mirrors to i(1, 1)
    v00 = {b: P.pixel_sum(I4, K2, (0, 0), boundary=b).total for b in NP_MODE}
    assert v00 == {"fill": 3, "wrap": 5, "symm": 6}


# ------------------------------------------------------------ same_sides


@pytest.mark.parametrize("kshape", [(2, 2), (3, 3), (2, 3), (4, 1)])
def test_same_sides_match_package_and_scipy(kshape, rng):
    img = rng.integers(-3, 4, size=(5, 4)).astype(float)
    ker = rng.integers(-2, 3, size=kshape).astype(float)
    ss = P.same_sides(img, ker)
    for s, (ours, theirs, loops) in (
        (ss.convolution, OPS["convolution"]),
        (ss.correlation, OPS["correlation"]),
    ):
        np.testing.assert_allclose(s.output, ours(img, ker, "same"))
        np.testing.assert_allclose(s.output, theirs(img, ker, "same"))
        np.testing.assert_allclose(s.output, loops(img, ker, "same"))
    kH, kW = kshape
    # the extra row/column of an even kernel: top/left for convolution, bottom/right for correlation
    t, b, l_, r = ss.convolution.pads
    assert (t - b, l_ - r) == (1 - kH % 2, 1 - kW % 2)
    t, b, l_, r = ss.correlation.pads
    assert (b - t, r - l_) == (1 - kH % 2, 1 - kW % 2)


def test_same_sides_even_kernel_hand():
    ss = P.same_sides(I4, K2)
    assert ss.convolution.pads == (1, 0, 1, 0) and ss.correlation.pads == (
        0,
        1,
        0,
        1,
    )
    # convolution 'same' with a 2x2 kernel is the source post's v on the image grid
    np.testing.assert_array_equal(
        ss.convolution.output, cnnlit.convolve2d(I4, K2)[:4, :4]
    )
    # correlation 'same' is l on the image grid
    np.testing.assert_array_equal(
        ss.correlation.output, cnnlit.correlate2d(I4, K2)[1:, 1:]
    )


# -------------------------------------------------------------- drawings


def test_pixel_sum_picture_writes_the_sum():
    px = P.pixel_sum(I4, K2, (1, 1))
    assert len(px.frames) == 1
    texts = _texts(P.show(px))
    assert (
        "v(1, 1) = i(1, 1)\u00b7k(0, 0) + i(1, 0)\u00b7k(0, 1) + i(0, 1)\u00b7k(1, 0) + i(0, 0)\u00b7k(1, 1)"
        in texts
    )
    assert "= 4\u00b71 + 1\u00b72 + 1\u00b7(-1) + 3\u00b70 = 5" in texts
    assert "k(1,1)" in texts and "k laid, rotated 180\u00b0" in texts
    # a window partly outside the image, and a kernel too long for the symbols
    fig = P.show(P.pixel_sum(I4, np.ones((3, 3)), (0, 5)))
    assert any(
        t.startswith("v(0, 5) = ") and t.endswith("= 2") for t in _texts(fig)
    )
    fig = P.show(P.pixel_sum(I4, K2, (2, 1), convention="correlation"))
    assert "= 2\u00b71 + 5\u00b72 + 0\u00b7(-1) + 1\u00b70 = 12" in _texts(fig)


def test_conventions_picture():
    three = P.conventions_at(I4, K2, 0, 0)
    conv, corr, corr_rot = three
    assert [p.total for p in three] == [5, 4, 5]
    fig = P.show(three)
    titles = [
        t for t in _texts(fig) if t.startswith(("convolution", "correlation"))
    ]
    assert titles == [
        "convolution of i with k:  v(1, 1) = 4\u00b71 + 1\u00b72 + 1\u00b7(-1) + 3\u00b70 = 5",
        "correlation of i with k:  l(0, 0) = 3\u00b71 + 1\u00b72 + 1\u00b7(-1) + 4\u00b70 = 4",
        "correlation of i with k':  l'(0, 0) = 3\u00b70 + 1\u00b7(-1) + 1\u00b72 + 4\u00b71 = 5",
    ]


@pytest.mark.parametrize("convention", ["convolution", "correlation"])
def test_full_valid_pictures(convention):
    fv = P.full_valid(I4, K2, convention=convention, at=[(1, 1), (2, 2)])
    assert len(fv.frames) == 25 == scipy.signal.convolve2d(I4, K2).size
    assert isinstance(P.show(fv), Figure)
    fig = P.multiples(fv)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert len(titles) == 25
    if convention == "convolution":
        assert titles[0] == "v(0, 0) = 3, undefined"
        assert titles[6] == "v(1, 1) = 5\n= v_valid[0, 0]"
    else:
        assert titles[0] == "l(-1, -1) = 0, undefined"
        assert titles[6] == "l(0, 0) = 4\n= l_valid[0, 0]"
    assert len(P.multiples(fv, [6, 7], ncols=2).axes) == 2


def test_full_valid_outlines_are_width_by_height():
    # matplotlib's Rectangle takes (column, row), width, height: a 3x5 image
    # with a 2x2 kernel has a 2x4 valid block, 4 wide and 2 high, outlined
    # green in the full output (from index (1, 1)) and around the valid output
    fv = P.full_valid(np.arange(15.0).reshape(3, 5), K2)
    fig = P.show(fv)
    assert len(fig.axes) == 3  # the padded image, the full and valid outputs
    green = role_colour("c")
    for ax, corner in zip(fig.axes[1:], [(1, 1), (0, 0)], strict=True):
        (box,) = [
            p
            for p in ax.patches
            if p.get_linewidth() == 3
            and matplotlib.colors.same_color(p.get_edgecolor(), green)
        ]
        assert (box.get_width(), box.get_height(), box.get_xy()) == (
            4,
            2,
            corner,
        )
    # the image, 5 wide and 3 high, dashed at full index (0, 0)
    (image,) = [p for p in fig.axes[1].patches if p.get_linestyle() == "--"]
    assert (image.get_width(), image.get_height(), image.get_xy()) == (
        5,
        3,
        (0, 0),
    )


def test_full_valid_frame_caption():
    fv = P.full_valid(I4, K2)
    assert (
        "v(1, 1) = 3\u00b70 + 1\u00b7(-1) + 1\u00b72 + 4\u00b71 = 5   \u2192   v_valid[0, 0]"
        in _texts(P.show(fv, 6))
    )
    assert any(
        t.endswith("(window on padding: undefined)")
        for t in _texts(P.show(fv, 0))
    )
    html = P.animate(P.full_valid([[1, 2], [3, 4]], [[1, 0], [0, 1]]))
    assert html.data.count("data:image/png;base64") == 9


def test_padding_pictures():
    pixels = [P.pixel_sum(I4, K2, (0, 0), boundary=b) for b in NP_MODE]
    pictures = [
        P.padding_picture(I4, b, 2, window=px)
        for b, px in zip(NP_MODE, pixels, strict=True)
    ]
    fig = P.multiples(pictures)
    texts = _texts(fig)
    for title in (
        "boundary='fill':  v(0, 0) = 3",
        "boundary='wrap':  v(0, 0) = 5",
        "boundary='symm':  v(0, 0) = 6",
    ):
        assert title in texts
    assert "0,3" in texts  # wrap: i(0, -1) copies i(0, 3)
    alone = P.multiples([P.padding_picture(I4, "fill", 0)])
    assert "the image" in _texts(alone) and "0,0" not in _texts(alone)


def test_same_sides_pictures():
    ss = P.same_sides(I4, K2)
    assert len(ss.frames) == 16
    texts_5 = _texts(P.show(ss, 5))
    assert "convolution: padded 1 top, 1 left" in texts_5
    assert "correlation: padded 1 bottom, 1 right" in texts_5
    fig = P.multiples(ss, [0, 3, 12, 15])
    texts = [t.get_text() for t in fig.axes[0].texts]
    texts += [t.get_text() for ax in fig.axes[1:] for t in ax.texts]
    texts = [t for t in texts if t.startswith("convolution:")]
    assert texts == [
        "convolution:\nv[0, 0] = 3",
        "convolution:\nv[0, 3] = 2",
        "convolution:\nv[3, 0] = 2",
        "convolution:\nv[3, 3] = 4",
    ]
    # the sums under both windows, and every frame of the animation
    assert (
        "3\u00b70 + 1\u00b7(-1) + 1\u00b72 + 4\u00b71 = 5  \u2192  v[1, 1]"
        in texts_5
    )
    html = P.animate(P.same_sides([[1, 2], [3, 4]], [[1, 0], [0, 1]]))
    assert html.data.count("data:image/png;base64") == 4


# ------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "call, error, match",
    [
        (
            lambda: P.pixel_sum(I4, K2, (5, 0)),
            ValueError,
            r"at\[0\] must be <= 4",
        ),
        (
            lambda: P.pixel_sum(I4, K2, (0, -2), convention="correlation"),
            ValueError,
            r"at\[1\] must be >= -1",
        ),
        (
            lambda: P.pixel_sum(I4, K2, 3),
            TypeError,
            "at must be a pair of ints",
        ),
        (
            lambda: P.pixel_sum(I4, K2, (1.5, 0)),
            TypeError,
            r"at\[0\] must be an int",
        ),
        (
            lambda: P.pixel_sum(np.ones(3), K2, (0, 0)),
            ValueError,
            "image must be a non-empty 2-D",
        ),
        (
            lambda: P.pixel_sum(I4, [["a"]], (0, 0)),
            TypeError,
            "kernel must be a real numeric",
        ),
        (
            lambda: P.pixel_sum(I4, K2, (0, 0), convention="conv"),
            ValueError,
            "convention must be one of",
        ),
        (
            lambda: P.pixel_sum(I4, K2, (0, 0), boundary="zero"),
            ValueError,
            "boundary must be one of",
        ),
        (
            lambda: P.conventions_at(I4, K2, 0.5, 0),
            TypeError,
            "top must be an int",
        ),
        (
            lambda: P.conventions_at(I4, K2, 0, 4),
            ValueError,
            "left must be <= 3",
        ),
        (
            lambda: P.full_valid(I4, np.ones((5, 2))),
            ValueError,
            "must fit in image",
        ),
        (
            lambda: P.full_valid(I4, K2, convention="x"),
            ValueError,
            "convention must be one of",
        ),
        (
            lambda: P.full_valid(
                I4, K2, convention="correlation", at=[(-2, 0)]
            ),
            ValueError,
            r"at\[0\] must be >= -1",
        ),
        (lambda: P.full_valid(I4, K2, at=[(9, 9)]), ValueError, "must be <= 4"),
        (lambda: P.full_valid(I4, K2, at=[1]), TypeError, "pair of ints"),
        (
            lambda: P.padding_picture(I4, "reflect", 1),
            ValueError,
            "boundary must be one of",
        ),
        (
            lambda: P.padding_picture(I4, "fill", -1),
            ValueError,
            "pads must be >= 0",
        ),
        (
            lambda: P.padding_picture(I4, "fill", (1, 2, 3)),
            TypeError,
            "pads must be an int or a pair",
        ),
        (
            lambda: P.padding_picture([[]], "fill", 1),
            ValueError,
            "image must be a non-empty 2-D",
        ),
        (
            lambda: P.padding_picture(I4, "fill", 1, window=I4),
            TypeError,
            "window must be a PixelSum",
        ),
        (
            lambda: P.padding_picture(I4, "fill", 1000),
            ValueError,
            "cells in a frame; a picture draws at most",
        ),
        (  # a window of another boundary holds other values
            lambda: P.padding_picture(
                I4, "wrap", 1, window=P.pixel_sum(I4, K2, (0, 0))
            ),
            ValueError,
            "window must be a pixel_sum of this image with boundary='wrap'",
        ),
        (  # v(0, 0)'s window reaches row -1, outside an unpadded image
            lambda: P.padding_picture(
                I4, "fill", 0, window=P.pixel_sum(I4, K2, (0, 0))
            ),
            ValueError,
            r"in the grid, got v\(0, 0\)",
        ),
        (  # the same window on another image
            lambda: P.padding_picture(
                I4 + 1, "fill", 1, window=P.pixel_sum(I4, K2, (0, 0))
            ),
            ValueError,
            "window must be a pixel_sum of this image",
        ),
    ],
)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_public_names_are_exported():
    from cnnlit.plot import forward

    for name in ["pixel_sum", "conventions_at", "full_valid"]:
        assert getattr(P, name) is getattr(forward, name) and name in P.__all__
    for name in ["padding_picture", "same_sides"]:
        assert getattr(P, name) is getattr(forward, name) and name in P.__all__
