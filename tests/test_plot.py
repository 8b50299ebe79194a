"""cnnlit.plot's core: the sliding-window data against the package and loops,
the drawings on Agg, bad input, and the import boundary (numpy-only cnnlit)."""

import base64
import subprocess
import sys

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
from cnnlit.plot._style import fmt_value, sum_caption

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


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def _frames_in(html):
    return getattr(html, "data", html).count("data:image/png;base64")


def test_show_animate_multiples_of_a_slide():
    s = P.slide(I4, K2, mode="valid")
    assert len(s.frames) == 9
    texts = _texts(P.show(s, 5))
    assert (
        "2\u00b70 + 0\u00b7(-1) + 5\u00b72 + 1\u00b71 = 11   \u2192   c[1, 2]"
        in texts
    )
    # the weights laid on the window are written small in its cells
    assert texts.count("\u00d7-1") == 1 and texts.count("\u00d72") == 1
    fig = P.multiples(s, ncols=3)
    assert sum(bool(ax.patches) for ax in fig.axes) == 9
    titles = [t for t in _texts(fig) if t.startswith("c[")]
    assert titles == [
        f"c[{i}, {j}] = {s.output[i, j]:g}" for i in range(3) for j in range(3)
    ]
    assert sum(bool(ax.patches) for ax in P.multiples(s, [0, -1]).axes) == 2
    # several pictures: one frame each (None: the finished one)
    fig = P.multiples([s, s, s], np.array([0, -1, 4]))
    v = scipy.signal.convolve2d(I4, K2, mode="valid")
    assert [t for t in _texts(fig) if t.startswith("c[")] == [
        f"c[{i}, {j}] = {v[i, j]:g}" for i, j in [(0, 0), (2, 2), (1, 1)]
    ]
    text = getattr(P.animate(s), "data", None)
    assert "<script" in text and "font-awesome" not in text
    assert _frames_in(text) == 9
    # it loops, and its frames are stored at twice the width they are shown
    assert 'value="loop" id="_anim_radio2_' in text
    assert text[text.index('value="loop"') :].split(">")[0].endswith("checked")
    width = int(text.split('<img style="width: ')[1].split("px")[0])
    assert width == round(P.show(s, 0).get_figwidth() * 72)
    png = base64.b64decode(
        text.split("data:image/png;base64,")[1].split('"')[0]
    )
    assert abs(int.from_bytes(png[16:20], "big") - 2 * width) <= 2
    assert _frames_in(P.animate(s, [4, 5])) == 2
    assert isinstance(P.legend_figure(), Figure)


def test_the_kernel_panel_draws_the_kernel_as_laid():
    # a convolution lays rot180(k): the panel so titled shows rot180(k)
    s = P.slide(I4, K2, mode="valid")
    fig = P.show(s, 0)
    ax = fig.axes[1]
    assert any(t.get_text() == "rot180(w), as laid" for t in ax.texts)
    values = [
        float(t.get_text())
        for t in ax.texts
        if t.get_position()[0] % 1 == 0.5 and t.get_position()[1] % 1 == 0.5
    ]
    np.testing.assert_array_equal(values, cnnlit.rot180(K2).ravel())
    ax = P.show(P.slide(I4, K2, convention="correlation"), 0).axes[1]
    values = [
        float(t.get_text())
        for t in ax.texts
        if t.get_position()[0] % 1 == 0.5 and t.get_position()[1] % 1 == 0.5
    ]
    np.testing.assert_array_equal(values, K2.ravel())


@pytest.mark.parametrize(
    "call, what",
    [
        # a 200x200 image: 39,204 windows
        (
            lambda: P.slide(np.zeros((200, 200)), np.ones((3, 3))),
            "39204 frames",
        ),
        # padding=1000 on a 3x3 image: 4 million windows
        (
            lambda: P.slide(np.zeros((3, 3)), np.ones((3, 3)), padding=1000),
            "4004001 frames",
        ),
        # few frames, but a grid of 10,000 numbers in each
        (
            lambda: P.slide(np.zeros((100, 100)), np.ones((99, 99))),
            "cells in a frame",
        ),
        (
            lambda: P.strided_backward(
                np.zeros((60, 60)), np.ones((3, 3)), 1, (62, 62)
            ),
            "frames",
        ),
    ],
)
def test_pictures_too_large_to_draw_are_refused(call, what):
    with pytest.raises(ValueError, match=what) as info:
        call()
    assert "a picture" in str(info.value) and "few seconds" in str(info.value)


def test_the_renderer_refuses_too_many_frames_before_drawing():
    class Many(P.Picture):
        frames = range(39_204)

        def layout(self):  # pragma: no cover - never reached
            raise AssertionError("drew a frame")

    with pytest.raises(ValueError, match="39204 frames; a picture has at most"):
        P.animate(Many())
    with pytest.raises(ValueError, match="in all; a picture draws at most"):
        P.multiples([P.slide(I4, K2)] * 300)
    # 144 frames of a 14x14 grid: computed at once, but 3 minutes to animate
    big = P.slide(np.zeros((14, 14)), np.ones((3, 3)))
    assert len(big.frames) == 144
    with pytest.raises(ValueError, match="144 frames of 214 cells"):
        P.animate(big)
    assert _frames_in(P.animate(big, frames=[0, 143])) == 2


def test_frames_and_pictures_are_checked():
    s = P.slide(I4, K2, mode="valid")
    with pytest.raises(ValueError, match="frame must be <= 8, got 9"):
        P.show(s, 9)
    with pytest.raises(ValueError, match="frame must be >= -9, got -10"):
        P.animate(s, [0, -10])
    # negative frames count from the end
    texts = _texts(P.show(s, -4))
    assert any(t.endswith("c[1, 2]") for t in texts)
    with pytest.raises(TypeError, match="frame must be an int"):
        P.multiples(s, [True])
    with pytest.raises(TypeError, match="picture must be a picture"):
        P.animate(np.ones((2, 2)))


def test_fmt_value_and_the_one_caption():
    assert fmt_value(3.0) == "3"
    assert fmt_value(-0.001) == "0"
    assert fmt_value(0.5) == "0.5"
    assert fmt_value(-1.256) == "-1.26"
    assert fmt_value(np.nan) == "nan"
    # negative factors in parentheses, whichever side they are on
    assert (
        sum_caption([-1, 2], [3, -4], -11) == "(-1)\u00b73 + 2\u00b7(-4) = -11"
    )
    long = sum_caption(np.ones(12), np.ones(12), 12)
    assert (
        long
        == "1\u00b71 + 1\u00b71 + 1\u00b71 + 1\u00b71 + \u2026 (12 products) = 12"
    )


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
