"""cnnlit.plot's core: the sliding-window data against the package and loops,
the drawings on Agg, bad input, and the import boundary (numpy-only cnnlit)."""

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import scipy.signal
from matplotlib import pyplot as plt
from matplotlib.animation import FuncAnimation
from matplotlib.figure import Figure

import cnnlit
from cnnlit import plot as P
from cnnlit import reference

I4 = np.array([[3, 1, 0, 2], [1, 4, 2, 0], [0, 2, 5, 1], [2, 0, 1, 3]], float)
K2 = np.array([[1, 2], [-1, 0]], float)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_import_cnnlit_does_not_import_matplotlib():
    code = "import sys, cnnlit; print('matplotlib' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_hand_example_frames():
    # the convolution chapter's hand numbers: v(1, 1) = 5 and v(2, 3) = 11
    s = P.slide(I4, K2, mode="valid")
    assert s.output.shape == (3, 3)
    f = s.frames[0]
    assert f.out == (0, 0) and f.total == 5
    np.testing.assert_array_equal(f.values, I4[0:2, 0:2])
    np.testing.assert_array_equal(f.weights, [[0, -1], [2, 1]])
    np.testing.assert_array_equal(f.products, [[0, -1], [2, 4]])
    f = s.frames[5]
    assert f.out == (1, 2) and f.total == 11
    np.testing.assert_array_equal(f.cells[0, 0], (1, 2))
    np.testing.assert_array_equal(f.cells[1, 1], (2, 3))
    assert len(s.frames) == 9
    assert not s.padding_mask.any()


@pytest.mark.parametrize("convention", ["convolution", "correlation"])
@pytest.mark.parametrize("mode", ["valid", "same", "full"])
@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm"])
@pytest.mark.parametrize("kshape", [(2, 2), (3, 3), (2, 3), (3, 1)])
def test_modes_match_scipy(convention, mode, boundary, kshape):
    rng = np.random.default_rng(sum(kshape))
    img = rng.integers(-3, 4, size=(5, 4)).astype(float)
    ker = rng.integers(-2, 3, size=kshape).astype(float)
    s = P.slide(img, ker, convention=convention, mode=mode, boundary=boundary)
    oracle = (
        scipy.signal.convolve2d
        if convention == "convolution"
        else scipy.signal.correlate2d
    )
    np.testing.assert_allclose(
        s.output, oracle(img, ker, mode=mode, boundary=boundary)
    )
    ours = (
        cnnlit.convolve2d if convention == "convolution" else cnnlit.correlate2d
    )
    np.testing.assert_allclose(
        s.output, ours(img, ker, mode=mode, boundary=boundary)
    )
    # every frame's total is the sum of its products, and lands where it says
    for f in s.frames:
        assert f.total == pytest.approx(f.products.sum())
        assert s.output[f.out] == f.total
        np.testing.assert_array_equal(
            f.values, s.grid[f.cells[..., 0], f.cells[..., 1]]
        )
    # the padding mask marks exactly the cells outside the image
    top, bottom, left, right = s.pads
    np.testing.assert_array_equal(s.grid[top : top + 5, left : left + 4], img)
    assert s.padding_mask.sum() == s.grid.size - img.size


@pytest.mark.parametrize("convention", ["convolution", "correlation"])
@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm"])
@pytest.mark.parametrize("stride", [1, 2, (1, 2)])
@pytest.mark.parametrize("dilation", [1, 2])
@pytest.mark.parametrize("padding", [0, 1, (2, 1)])
def test_layer_geometry_matches_conv_forward_and_loops(
    convention, boundary, stride, dilation, padding
):
    rng = np.random.default_rng(7)
    img = rng.integers(-3, 4, size=(6, 5)).astype(float)
    ker = rng.integers(-2, 3, size=(3, 2)).astype(float)
    s = P.slide(
        img,
        ker,
        convention=convention,
        padding=padding,
        boundary=boundary,
        stride=stride,
        dilation=dilation,
    )
    opts = dict(
        padding=padding,
        boundary=boundary,
        stride=stride,
        dilation=dilation,
        convention=convention,
    )
    fast = cnnlit.conv_forward(img[None], ker[None, None], np.zeros(1), **opts)[
        0
    ]
    loops = reference.conv_forward(
        img[None, None], ker[None, None], np.zeros(1), **opts
    )[0, 0]
    np.testing.assert_allclose(s.output, fast)
    np.testing.assert_allclose(s.output, loops)
    assert len(s.frames) == s.output.size


def test_weights_are_the_rotated_kernel_for_convolution_only():
    s = P.slide(I4, K2, convention="convolution", mode="valid")
    np.testing.assert_array_equal(s.laid, cnnlit.rot180(K2))
    s = P.slide(I4, K2, convention="correlation", mode="valid")
    np.testing.assert_array_equal(s.laid, K2)


def test_even_kernel_same_padding_sides():
    # scipy's 'same' with a 2x2 kernel: convolution pads top/left, correlation bottom/right
    assert P.slide(I4, K2, mode="same", convention="convolution").pads == (
        1,
        0,
        1,
        0,
    )
    assert P.slide(I4, K2, mode="same", convention="correlation").pads == (
        0,
        1,
        0,
        1,
    )


def test_drawings_return_figures_and_animations():
    s = P.slide(I4, K2, mode="valid")
    fig = P.slide_multiples(s, ncols=3)
    assert isinstance(fig, Figure)
    assert sum(ax.axison or bool(ax.patches) for ax in fig.axes) == 9
    anim = P.animate_slide(s)
    assert isinstance(anim, FuncAnimation)
    assert anim._save_count == len(s.frames) == 9
    html = P.animation_html(anim)
    text = getattr(html, "data", html)
    assert "<script" in text and "font-awesome" not in text
    assert text.count("data:image/png;base64") == 9
    assert isinstance(P.legend_figure(), Figure)


def test_fmt_value():
    assert P.fmt_value(3.0) == "3"
    assert P.fmt_value(-0.001) == "0"
    assert P.fmt_value(0.5) == "0.5"
    assert P.fmt_value(-1.256) == "-1.26"
    assert P.fmt_value(np.nan) == "nan"


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (
            dict(image=np.ones(4), kernel=K2),
            ValueError,
            "image must be a non-empty 2-D",
        ),
        (
            dict(image=I4, kernel=np.ones((2, 2, 1))),
            ValueError,
            "kernel must be a non-empty 2-D",
        ),
        (
            dict(image=I4, kernel=K2, mode="middle"),
            ValueError,
            "mode must be one of",
        ),
        (
            dict(image=I4, kernel=K2, convention="conv"),
            ValueError,
            "convention must be one of",
        ),
        (
            dict(image=I4, kernel=K2, boundary="zero"),
            ValueError,
            "boundary must be one of",
        ),
        (
            dict(image=I4, kernel=K2, mode="same", stride=2),
            ValueError,
            "takes stride=1",
        ),
        (dict(image=I4, kernel=np.ones((5, 5))), ValueError, "spans"),
        (
            dict(image=I4, kernel=np.ones((5, 5)), mode="valid"),
            ValueError,
            "larger than image",
        ),
        (
            dict(image=I4, kernel=K2, stride=0),
            ValueError,
            "stride must be >= 1",
        ),
        (
            dict(image=I4, kernel=K2, padding=-1),
            ValueError,
            "padding must be >= 0",
        ),
        (
            dict(image=[["a"]], kernel=K2),
            TypeError,
            "image must be a real numeric array",
        ),
    ],
)
def test_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        P.slide(**kwargs)


def test_bad_frame_and_role():
    with pytest.raises(TypeError, match="s must be a Slide"):
        P.animate_slide(np.ones((2, 2)))
    with pytest.raises(ValueError, match="role must be one of"):
        P.role_colour("kernel")
    with pytest.raises(ValueError, match="a must be a 2-D array"):
        P.draw_array(plt.figure().add_subplot(), np.ones(3))
