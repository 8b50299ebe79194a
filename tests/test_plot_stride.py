"""cnnlit.plot.strided_backward: the dilated deltas and the strided backward pass against
the layer's conv_backward and the loops of cnnlit.reference; the drawings on
Agg; bad input."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib import pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import ConnectionPatch

import cnnlit
from cnnlit import reference
from cnnlit.plot import multiples, show, slide
from cnnlit.plot.backward import StridedBackward, strided_backward

# the conventions chapter's hand example: a 5x5 input, a 3x3 kernel, stride 2
O5 = np.array(
    [
        [1, 0, 2, 1, 0],
        [0, 3, 1, 0, 2],
        [2, 1, 0, 1, 1],
        [1, 0, 2, 3, 0],
        [0, 1, 1, 0, 2],
    ],
    float,
)
W3 = np.array([[1, 2, -1], [-2, 1, 1], [1, -1, 2]], float)
D2 = np.array([[1, 2], [-1, 3]], float)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _layer_gradient(delta, o, w, **opts):
    """dE/do of one unit from the package and from the loops."""
    fast = cnnlit.conv_backward(delta[None], o[None], w[None, None], **opts)[2][
        0
    ]
    loops = reference.conv_backward(
        delta[None, None], o[None, None], w[None, None], **opts
    )[2][0, 0]
    return fast, loops


def test_hand_example():
    sb = strided_backward(D2, W3, 2, (5, 5))
    np.testing.assert_array_equal(
        sb.dilated, [[1, 0, 2], [0, 0, 0], [-1, 0, 3]]
    )
    inserted = sb.slide.padding_mask[2:5, 2:5]  # inside the k - 1 border
    assert inserted.sum() == 5 and not inserted[::2, ::2].any()
    assert sb.slide.grid.shape == (7, 7) and len(sb.slide.frames) == 25
    # the centre pixel lies in all four windows: every delta reaches it,
    # each times a corner weight of w
    assert sb.dE_do[2, 2] == 1 * 1 + 2 * (-1) + (-1) * 1 + 3 * 2 == 4
    assert sb.dE_do[0, 0] == 1 * 2
    fast, loops = _layer_gradient(D2, O5, W3, stride=2)
    np.testing.assert_array_equal(sb.dE_do, fast)
    np.testing.assert_array_equal(sb.dE_do, loops)
    # the source post's convention slides w as it is over the deltas (a full correlation)
    np.testing.assert_array_equal(sb.slide.laid, W3)
    # every inserted zero and the k - 1 border draw as padding
    assert sb.slide.padding_mask.sum() == 49 - 4


def test_dilated_deltas_appends_the_dropped_windows():
    sb = strided_backward(D2, W3, 2, (6, 6))  # stride-1 output 4x4
    d = sb.dilated
    np.testing.assert_array_equal(
        d, [[1, 0, 2, 0], [0, 0, 0, 0], [-1, 0, 3, 0], [0, 0, 0, 0]]
    )
    assert sb.slide.padding_mask[2:6, 2:6].sum() == 12  # all but the deltas
    d = strided_backward([[1, 2, 3]], [[2.0]], (1, 3), (1, 7)).dilated
    np.testing.assert_array_equal(d, [[1, 0, 0, 2, 0, 0, 3]])


@pytest.mark.parametrize("convention", ["convolution", "correlation"])
@pytest.mark.parametrize("stride", [1, 2, 3, (2, 1), (1, 3)])
@pytest.mark.parametrize("padding", [0, 1, (2, 1)])
@pytest.mark.parametrize(
    "shape, kshape", [((5, 5), (3, 3)), ((6, 7), (3, 2)), ((8, 6), (2, 3))]
)
def test_matches_conv_backward_and_loops(
    convention, stride, padding, shape, kshape
):
    rng = np.random.default_rng(sum(shape) + sum(kshape))
    o = rng.integers(-3, 4, size=shape).astype(float)
    w = rng.integers(-2, 3, size=kshape).astype(float)
    opts = dict(stride=stride, padding=padding, convention=convention)
    c = cnnlit.conv_forward(o[None], w[None, None], np.zeros(1), **opts)[0]
    delta = rng.integers(-3, 4, size=c.shape).astype(float)
    sb = strided_backward(
        delta, w, stride, shape, padding=padding, convention=convention
    )
    fast, loops = _layer_gradient(delta, o, w, **opts)
    np.testing.assert_allclose(sb.dE_do, fast)
    np.testing.assert_allclose(sb.dE_do, loops)
    # the stride-1 backward pass of the dilated deltas is the same gradient
    dense = cnnlit.conv_backward(
        sb.dilated[None],
        o[None],
        w[None, None],
        padding=padding,
        convention=convention,
    )[2][0]
    np.testing.assert_allclose(sb.dE_do, dense)
    # and so is the full pass written with scipy's vocabulary
    full = (
        cnnlit.correlate2d if convention == "convolution" else cnnlit.convolve2d
    )(sb.dilated, w, mode="full")
    np.testing.assert_allclose(sb.slide.output, full)
    ph, pw = (padding, padding) if np.isscalar(padding) else padding
    np.testing.assert_array_equal(
        sb.slide.output[ph : ph + shape[0], pw : pw + shape[1]], sb.dE_do
    )


def test_frames_sum_what_they_show():
    sb = strided_backward(D2, W3, 2, (5, 5), convention="correlation")
    np.testing.assert_array_equal(sb.slide.laid, cnnlit.rot180(W3))
    for f in sb.slide.frames:
        assert f.total == pytest.approx(f.products.sum())
        assert sb.slide.output[f.out] == f.total


def test_inputs_are_not_modified():
    d, w = D2.copy(), W3.copy()
    strided_backward(d, w, 2, (5, 5))
    np.testing.assert_array_equal(d, D2)
    np.testing.assert_array_equal(w, W3)


def test_drawings():
    sb = strided_backward(D2, W3, 2, (5, 5))
    fig = show(sb)
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    arrows = [p for ax in fig.axes for p in ax.patches]
    arrows = [p for p in arrows if isinstance(p, ConnectionPatch)]
    assert len(arrows) == 2  # from one panel to the next
    cells = [
        t.get_text()
        for t in fig.axes[1].texts
        if all(v % 1 == 0.5 for v in t.get_position())
    ]  # not the indices
    assert cells == ["1", "0", "2", "0", "0", "0", "-1", "0", "3"]
    assert len(sb.frames) == 25
    fig = multiples(sb)
    assert (
        isinstance(fig, Figure)
        and sum(bool(ax.patches) for ax in fig.axes) == 25
    )
    fig = multiples(sb, frames=[0, 12])
    assert sum(bool(ax.patches) for ax in fig.axes) == 2
    # the forward picture is the core's slide with a stride: 2x2 windows positions
    s = slide(O5, W3, stride=2)
    np.testing.assert_array_equal(s.output, [[5, 3], [3, 6]])
    assert [f.out for f in s.frames] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert [tuple(f.cells[0, 0]) for f in s.frames] == [
        (0, 0),
        (0, 2),
        (2, 0),
        (2, 2),
    ]


@pytest.mark.parametrize(
    "call, error, match",
    [
        (
            lambda: strided_backward(D2, W3, 2, (6, 6), padding=1),
            ValueError,
            r"delta must have the output shape \(3, 3\)",
        ),
        (
            lambda: strided_backward(D2, W3, 2, (2, 2)),
            ValueError,
            "larger than the padded input",
        ),
        (
            lambda: strided_backward(D2, W3, 2, "5x5"),
            TypeError,
            "input_shape must be an int or a pair",
        ),
        (
            lambda: strided_backward(D2, W3, 0, (5, 5)),
            ValueError,
            "stride must be >= 1",
        ),
        (
            lambda: strided_backward(D2, W3, 2, (5, 5), convention="conv"),
            ValueError,
            "convention must be one of",
        ),
        (
            lambda: strided_backward(D2, [["a"]], 2, (5, 5)),
            TypeError,
            "kernel must be a real numeric array",
        ),
    ],
)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_dataclass_is_exported():
    assert isinstance(strided_backward(D2, W3, 2, (5, 5)), StridedBackward)
