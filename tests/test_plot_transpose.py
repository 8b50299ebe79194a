"""cnnlit.plot.transpose: the scatter of a transposed convolution and its
coverage counts against conv_transpose_forward, the loops of cnnlit.reference
and the input gradient of the convolution; the drawings on Agg; bad input."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib import pyplot as plt

import cnnlit
from cnnlit import reference
from cnnlit.plot import animate, count_grid, multiples
from cnnlit.plot.transpose import (
    ScatterFrame,
    TransposeScatter,
    coverage,
    transpose_scatter,
)

# the adjoint chapter's hand example: a 2x2 input, a 3x3 kernel, stride 2
X2 = np.array([[1, 2], [3, 4]], float)
W3 = np.array([[1, 2, -1], [-2, 1, 1], [1, -1, 2]], float)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _package(x, w, **opts):
    """The single-channel transposed convolution from the package and from the loops."""
    fast = cnnlit.conv_transpose_forward(x[None], w[None, None], None, **opts)[
        0
    ]
    loops = reference.conv_transpose_forward(
        x[None], w[None, None], None, **opts
    )[0]
    return fast, loops


def test_hand_example():
    ts = transpose_scatter(X2, W3, stride=2)
    laid = W3[
        ::-1, ::-1
    ]  # the source post's convention lays the kernel rotated
    np.testing.assert_array_equal(ts.laid, laid)
    assert ts.output.shape == (5, 5) and len(ts.frames) == 4
    # the centre pixel gets all four copies, each with a corner of the laid kernel
    assert (
        ts.output[2, 2]
        == 1 * laid[2, 2] + 2 * laid[2, 0] + 3 * laid[0, 2] + 4 * laid[0, 0]
        == 10
    )
    # a corner gets one copy, an edge pixel between two copies two
    assert ts.output[0, 0] == 1 * laid[0, 0]
    assert ts.output[0, 2] == 1 * laid[0, 2] + 2 * laid[0, 0]
    fast, loops = _package(X2, W3, stride=2)
    np.testing.assert_array_equal(ts.output, fast)
    np.testing.assert_array_equal(ts.output, loops)
    # the frames: pixel (0, 1) writes rows 0-2, columns 2-4, x[0, 1] times the laid kernel
    f = ts.frames[1]
    assert f.pixel == (0, 1) and f.value == 2
    np.testing.assert_array_equal(f.cells[..., 0], [[0] * 3, [1] * 3, [2] * 3])
    np.testing.assert_array_equal(f.cells[..., 1], [[2, 3, 4]] * 3)
    np.testing.assert_array_equal(f.products, 2 * laid)
    np.testing.assert_array_equal(ts.frames[-1].canvas, ts.canvas)
    assert ts.kept.all() and np.array_equal(ts.canvas, ts.output)


def test_the_input_gradient_of_the_convolution():
    # the scatter of x is dE/do_prev of the convolution whose deltas are x
    for convention in ("convolution", "correlation"):
        ts = transpose_scatter(X2, W3, stride=2, convention=convention)
        o_prev = np.zeros((1, 5, 5))
        g = cnnlit.conv_backward(
            X2[None], o_prev, W3[None, None], stride=2, convention=convention
        )[2][0]
        np.testing.assert_array_equal(ts.output, g)


@pytest.mark.parametrize("convention", ["convolution", "correlation"])
@pytest.mark.parametrize("stride", [1, 2, 3, (2, 1)])
@pytest.mark.parametrize("padding", [0, 1, (1, 0)])
@pytest.mark.parametrize("dilation", [1, 2])
@pytest.mark.parametrize(
    "shape, kshape", [((2, 2), (3, 3)), ((3, 2), (2, 3)), ((4, 3), (1, 2))]
)
def test_matches_the_package_and_the_loops(
    convention, stride, padding, dilation, shape, kshape
):
    rng = np.random.default_rng(sum(shape) + sum(kshape))
    x = rng.integers(-3, 4, size=shape).astype(float)
    w = rng.integers(-2, 3, size=kshape).astype(float)
    s = stride if isinstance(stride, tuple) else (stride, stride)
    limit = [max(a, dilation) for a in s]
    for op in {(0, 0), (limit[0] - 1, limit[1] - 1)}:
        opts = dict(
            stride=stride,
            padding=padding,
            dilation=dilation,
            output_padding=op,
            convention=convention,
        )
        try:
            fast, loops = _package(x, w, **opts)
        except ValueError:  # the output would be empty: the scatter refuses too
            with pytest.raises(ValueError, match="output size"):
                transpose_scatter(x, w, **opts)
            continue
        ts = transpose_scatter(x, w, **opts)
        np.testing.assert_array_equal(ts.output, fast)
        np.testing.assert_array_equal(ts.output, loops)
        assert ts.kept.sum() == ts.output.size
        for f in ts.frames:
            np.testing.assert_array_equal(f.products, f.value * ts.laid)


def test_output_padding_picks_the_input_size():
    # k = 3, s = 2, p = 1: inputs of 5 and 6 pixels both give 3; output_padding picks one
    x = np.arange(1.0, 10.0).reshape(3, 3)
    for op, size in ((0, 5), (1, 6)):
        ts = transpose_scatter(x, W3, stride=2, padding=1, output_padding=op)
        assert ts.output.shape == (size, size)
        assert ts.canvas.shape == (7, 7)  # the same canvas, cut differently
        g = cnnlit.conv_backward(
            x[None],
            np.zeros((1, size, size)),
            W3[None, None],
            stride=2,
            padding=1,
        )[2][0]
        np.testing.assert_array_equal(ts.output, g)
    # with no padding, output_padding reaches past the canvas: a zero row and column
    ts = transpose_scatter(x, W3, stride=2, output_padding=1)
    assert ts.canvas.shape == ts.output.shape == (8, 8)
    assert not ts.output[7].any() and not ts.output[:, 7].any()


def test_coverage():
    c = np.array([1, 1, 2, 1, 2, 1, 2, 1, 1])
    np.testing.assert_array_equal(coverage((4, 4), (3, 3), 2), np.outer(c, c))
    c4 = np.array([1, 1, 2, 2, 2, 2, 2, 2, 1, 1])
    np.testing.assert_array_equal(coverage((4, 4), (4, 4), 2), np.outer(c4, c4))
    # ones through ones in the package count the same copies
    for shape, k, s in [((4, 4), 3, 2), ((3, 5), 4, 3), ((2, 3), 2, 1)]:
        y = cnnlit.conv_transpose_forward(
            np.ones((1,) + shape), np.ones((1, 1, k, k)), None, stride=s
        )
        np.testing.assert_array_equal(coverage(shape, (k, k), s), y[0])
    assert coverage((4, 4), (3, 3), 2).dtype.kind == "i"


def test_inputs_are_not_modified():
    x, w = X2.copy(), W3.copy()
    transpose_scatter(x, w, stride=2, padding=1)
    np.testing.assert_array_equal(x, X2)
    np.testing.assert_array_equal(w, W3)


def test_drawings():
    ts = transpose_scatter(X2, W3, stride=2)
    assert len(ts.frames) == X2.size == 4
    assert animate(ts).data.count("data:image/png;base64") == 4
    fig = multiples(ts)
    assert sum(bool(ax.patches) for ax in fig.axes) == 4
    titles = [
        t.get_text()
        for ax in fig.axes
        for t in ax.texts
        if t.get_text().startswith("+")
    ]
    assert titles == [
        f"+ x[{i}, {j}] = {X2[i, j]:g} \u00b7 copy"
        for i in range(2)
        for j in range(2)
    ]
    fig = multiples(ts, frames=[0, -1], ncols=2)
    assert sum(bool(ax.patches) for ax in fig.axes) == 2
    x = np.arange(1.0, 10.0).reshape(3, 3)
    pair = [
        transpose_scatter(x, W3, stride=2, padding=1, output_padding=op)
        for op in (0, 1)
    ]
    fig = multiples(pair)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "output_padding 0: 5\u00d75" in texts
    assert "output_padding 1: 6\u00d76" in texts
    fig = multiples([count_grid(coverage((4, 4), (3, 3), 2), "k = 3")])
    # the cells: 81 counts in the cells, shaded 1 / 2 / 4
    cells = [
        t.get_text()
        for t in fig.axes[0].texts
        if all(v % 1 == 0.5 for v in t.get_position())
    ]
    assert sorted(set(cells)) == ["1", "2", "4"] and len(cells) == 81


@pytest.mark.parametrize(
    "call, error, match",
    [
        (
            lambda: transpose_scatter(np.ones(3), W3),
            ValueError,
            "x must be a non-empty 2-D",
        ),
        (
            lambda: transpose_scatter(X2, np.ones((0, 2))),
            ValueError,
            "kernel must be a non-empty 2-D",
        ),
        (
            lambda: transpose_scatter(X2, [["a"]]),
            TypeError,
            "kernel must be a real numeric array",
        ),
        (
            lambda: transpose_scatter(X2, W3, stride=0),
            ValueError,
            "stride must be >= 1",
        ),
        (
            lambda: transpose_scatter(X2, W3, stride=2.0),
            TypeError,
            "stride must be an int",
        ),
        (
            lambda: transpose_scatter(X2, W3, stride=2, output_padding=2),
            ValueError,
            r"output_padding must be smaller than max\(stride, dilation\) = \(2, 2\)",
        ),
        (
            lambda: transpose_scatter(X2, W3, padding=3),
            ValueError,
            "output size .* must be positive",
        ),
        (
            lambda: transpose_scatter(X2, W3, convention="conv"),
            ValueError,
            "convention must be one of",
        ),
        (
            lambda: coverage((4, 4.0), (3, 3), 2),
            TypeError,
            "input_shape must be an int or a pair of ints",
        ),
        (
            lambda: coverage((4, 4), (0, 3), 2),
            ValueError,
            "kernel_shape must be >= 1",
        ),
        (
            lambda: count_grid(np.ones(3)),
            ValueError,
            "counts must be a non-empty 2-D",
        ),
        (
            lambda: transpose_scatter(np.ones((21, 21)), W3),
            ValueError,
            "441 frames; a picture has at most",
        ),
    ],
)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_dataclasses_are_exported():
    ts = transpose_scatter(X2, W3)
    assert isinstance(ts, TransposeScatter) and isinstance(
        ts.frames[0], ScatterFrame
    )
