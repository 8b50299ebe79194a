"""Pictures of the backward pass (cnnlit.plot.backward): the numbers they show
against conv_backward, the loops of cnnlit.reference, scipy and finite
differences; the drawings on Agg; bad input."""

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

# the hand examples of the weight-update and deltas chapters
O3 = np.arange(9.0).reshape(3, 3)
W2 = np.array([[1.0, 2.0], [3.0, 4.0]])
D2 = np.array([[1.0, -1.0], [2.0, 0.0]])
C3 = np.array([[1.0, 2.0, -1.0], [0.5, 3.0, 1.0], [2.0, -2.0, 1.0]])


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _backward(delta, o_prev, w, **opts):
    """conv_backward and the reference loops for one unit on each side."""
    args = (delta[None], o_prev[None], w[None, None])
    fast = cnnlit.conv_backward(*args, **opts)
    loops = reference.conv_backward(*args, **opts)
    return fast, loops


def _dilate(d, s):
    sH, sW = (s, s) if np.isscalar(s) else s
    out = np.zeros((sH * (d.shape[0] - 1) + 1, sW * (d.shape[1] - 1) + 1))
    out[::sH, ::sW] = d
    return out


# ---------------------------------------------------------------- weight update


def test_weight_update_hand_example():
    # the weight-update chapter: o * delta = [[5, 7], [11, 13]], rot180 = dE/dw
    wu = P.weight_update(O3, D2)
    assert [f.total for f in wu.slide.frames] == [5, 7, 11, 13]
    assert [f.out for f in wu.slide.frames] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert wu.targets == ((1, 1), (1, 0), (0, 1), (0, 0))
    np.testing.assert_array_equal(wu.corr, [[5, 7], [11, 13]])
    np.testing.assert_array_equal(wu.dE_dw, [[13, 11], [7, 5]])
    f = wu.slide.frames[0]  # w(1, 1) meets o(x', y') itself
    np.testing.assert_array_equal(f.values, O3[:2, :2])
    np.testing.assert_array_equal(f.weights, D2)
    np.testing.assert_array_equal(f.products, O3[:2, :2] * D2)
    (fast, loops) = _backward(D2, O3, W2)
    np.testing.assert_array_equal(wu.dE_dw, fast[0][0, 0])
    np.testing.assert_array_equal(wu.dE_dw, loops[0][0, 0])
    assert not wu.slide.padding_mask.any()


def test_weight_update_correlation_has_no_rotation():
    wu = P.weight_update(O3, D2, convention="correlation")
    assert wu.targets == ((0, 0), (0, 1), (1, 0), (1, 1))
    np.testing.assert_array_equal(wu.dE_dw, wu.corr)
    fast, _ = _backward(D2, O3, W2, convention="correlation")
    np.testing.assert_array_equal(wu.dE_dw, fast[0][0, 0])


@pytest.mark.parametrize("convention", ["convolution", "correlation"])
@pytest.mark.parametrize("stride", [1, 2, (1, 2)])
@pytest.mark.parametrize("dilation", [1, 2])
@pytest.mark.parametrize("padding", [0, 1, (2, 1)])
@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm"])
def test_weight_update_matches_conv_backward_and_loops(
    convention, stride, dilation, padding, boundary
):
    rng = np.random.default_rng(3)
    o = rng.standard_normal((7, 6))
    w = rng.standard_normal((3, 2))  # non-square
    opts = {
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "boundary": boundary,
        "convention": convention,
    }
    c = cnnlit.conv_forward(o[None], w[None, None], np.zeros(1), **opts)[0]
    delta = rng.standard_normal(c.shape)
    wu = P.weight_update(o, delta, w.shape, **opts)
    fast, loops = _backward(delta, o, w, **opts)
    np.testing.assert_allclose(wu.dE_dw, fast[0][0, 0], atol=1e-12)
    np.testing.assert_allclose(wu.dE_dw, loops[0][0, 0], atol=1e-12)
    # one frame per kernel entry, each sum landing where it says
    assert len(wu.slide.frames) == w.size == len(set(wu.targets))
    for f, t in zip(wu.slide.frames, wu.targets, strict=True):
        assert wu.dE_dw[t] == f.total == wu.corr[f.out]
        np.testing.assert_array_equal(
            f.values, wu.slide.grid[f.cells[..., 0], f.cells[..., 1]]
        )
        np.testing.assert_array_equal(f.weights, delta)  # laid as they are
        assert f.total == pytest.approx(f.products.sum())
    if convention == "convolution":
        np.testing.assert_array_equal(wu.dE_dw, cnnlit.rot180(wu.corr))


def test_weight_update_stride_is_the_dilated_delta():
    # stride 2: the deltas' taps sit 2 apart, i.e. delta dilated with zeros
    rng = np.random.default_rng(5)
    o = rng.standard_normal((8, 7))
    w = rng.standard_normal((3, 2))
    delta = rng.standard_normal((3, 3))
    wu = P.weight_update(o, delta, w.shape, stride=2)
    f = wu.slide.frames[0]
    np.testing.assert_array_equal(f.cells[1, 1] - f.cells[0, 0], (2, 2))
    corr = scipy.signal.correlate2d(o, _dilate(delta, 2), "valid")[:3, :2]
    np.testing.assert_allclose(wu.corr, corr)
    fast, _ = _backward(delta, o, w, stride=2)
    np.testing.assert_allclose(wu.dE_dw, fast[0][0, 0])
    np.testing.assert_allclose(wu.dE_dw, cnnlit.rot180(corr))


def test_weight_update_against_finite_differences():
    rng = np.random.default_rng(8)
    o = rng.standard_normal((6, 5))
    w = rng.standard_normal((2, 3))
    delta = rng.standard_normal((5, 3))

    def E(w_):
        c = cnnlit.conv_forward(o[None], w_[None, None], np.zeros(1))[0]
        return np.sum(delta * c)

    wu = P.weight_update(o, delta)
    assert wu.dE_dw.shape == (2, 3)  # inferred for stride 1
    num = cnnlit.numerical_gradient(E, w)
    assert cnnlit.relative_error(wu.dE_dw, num) < 1e-8


def test_weight_update_leaves_inputs_alone():
    o, d = O3.copy(), D2.copy()
    P.weight_update(o, d)
    np.testing.assert_array_equal(o, O3)
    np.testing.assert_array_equal(d, D2)


def test_bias_gradient():
    bg = P.bias_gradient(D2)
    assert bg.total == 2.0
    fast, loops = _backward(D2, O3, W2)
    assert bg.total == fast[1][0] == loops[1][0]
    rng = np.random.default_rng(2)
    d = rng.standard_normal((4, 3))
    o = rng.standard_normal((5, 4))
    w = rng.standard_normal((2, 2))
    fast, _ = _backward(d, o, w)
    assert P.bias_gradient(d).total == pytest.approx(fast[1][0])


# ---------------------------------------------------------------- deltas


def test_delta_backprop_hand_example():
    # the deltas chapter: dE/do by finite differences, times relu'(c)
    bp = P.delta_backprop(D2, W2, a_prime=cnnlit.relu_prime(C3))
    np.testing.assert_array_equal(
        bp.dE_do, [[4, -1, -3], [10, 5, -1], [4, 2, 0]]
    )
    assert bp.dE_do[0, 0] == 4 and bp.dE_do[1, 1] == 5
    # every window but the centre's reaches the padding
    np.testing.assert_array_equal(bp.border, [[1, 1, 1], [1, 0, 1], [1, 1, 1]])
    assert bp.slide.grid.shape == (4, 4) and bp.padding.sum() == 12
    np.testing.assert_array_equal(bp.slide.laid, W2)  # laid as it is
    fast, loops = _backward(D2, cnnlit.relu(C3), W2)
    np.testing.assert_array_equal(bp.dE_do, fast[2][0])
    np.testing.assert_array_equal(bp.dE_do, loops[2][0])

    def E(c):
        out = cnnlit.conv_forward(
            cnnlit.relu(c)[None], W2[None, None], np.zeros(1)
        )[0]
        return np.sum(D2 * out)

    num = cnnlit.numerical_gradient(E, C3)
    np.testing.assert_allclose(bp.delta_prev, num, atol=1e-8)
    np.testing.assert_array_equal(bp.delta_prev, bp.dE_do * bp.a_prime)


@pytest.mark.parametrize("convention", ["convolution", "correlation"])
@pytest.mark.parametrize("stride", [1, 2, (2, 1), 3])
@pytest.mark.parametrize("dilation", [1, 2])
@pytest.mark.parametrize("kshape", [(3, 3), (3, 2), (1, 2)])
@pytest.mark.parametrize("extra", [0, 1])
def test_delta_backprop_matches_conv_backward_and_loops(
    convention, stride, dilation, kshape, extra
):
    rng = np.random.default_rng(11)
    sH, sW = (stride, stride) if np.isscalar(stride) else stride
    extra = (min(extra, sH - 1), min(extra, sW - 1))
    w = rng.standard_normal(kshape)
    dH, dW = dilation, dilation
    H = sH * 2 + dH * (kshape[0] - 1) + 1 + extra[0]
    W = sW * 3 + dW * (kshape[1] - 1) + 1 + extra[1]
    o = rng.standard_normal((H, W))
    opts = {"stride": stride, "dilation": dilation, "convention": convention}
    c = cnnlit.conv_forward(o[None], w[None, None], np.zeros(1), **opts)[0]
    delta = rng.standard_normal(c.shape)
    bp = P.delta_backprop(delta, w, shape=(H, W), **opts)
    fast, loops = _backward(delta, o, w, **opts)
    np.testing.assert_allclose(bp.dE_do, fast[2][0], atol=1e-12)
    np.testing.assert_allclose(bp.dE_do, loops[2][0], atol=1e-12)
    # one frame per input pixel, each landing where it says
    assert len(bp.slide.frames) == H * W
    for f in bp.slide.frames:
        assert bp.dE_do[f.out] == f.total
    # the grid: the dilated deltas, zeros between them and around them
    g, kH, kW = (
        bp.slide.grid,
        dilation * (w.shape[0] - 1),
        dilation * (w.shape[1] - 1),
    )
    dil = _dilate(delta, stride)
    inside = g[kH : kH + dil.shape[0], kW : kW + dil.shape[1]]
    np.testing.assert_array_equal(inside, dil)
    assert not g[bp.padding].any() and bp.padding.sum() == g.size - dil.size
    np.testing.assert_array_equal(g[~bp.slide.padding_mask], delta.ravel())
    # laid as it is for a convolution forward pass, rotated for a correlation
    laid = w if convention == "convolution" else cnnlit.rot180(w)
    np.testing.assert_array_equal(bp.slide.laid, laid)


@pytest.mark.parametrize("convention", ["convolution", "correlation"])
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize(
    "dshape, kshape",
    [((2, 2), (2, 2)), ((4, 3), (3, 2)), ((2, 3), (3, 3)), ((5, 5), (1, 1))],
)
def test_border_is_what_a_valid_correlation_misses(
    convention, stride, dshape, kshape
):
    rng = np.random.default_rng(4)
    delta = rng.standard_normal(dshape)
    w = rng.standard_normal(kshape)
    bp = P.delta_backprop(delta, w, convention=convention, stride=stride)
    dil = _dilate(delta, stride)
    kH, kW = kshape
    interior = np.zeros(bp.dE_do.shape, bool)
    vH, vW = dil.shape[0] - kH + 1, dil.shape[1] - kW + 1
    if vH > 0 and vW > 0:
        interior[kH - 1 : kH - 1 + vH, kW - 1 : kW - 1 + vW] = True
        # there the valid correlation (convolution) gives dE/do already
        op = (
            scipy.signal.correlate2d
            if convention == "convolution"
            else scipy.signal.convolve2d
        )
        np.testing.assert_allclose(
            bp.dE_do[interior], op(dil, w, "valid").ravel()
        )
    np.testing.assert_array_equal(bp.border, ~interior)


def test_delta_backprop_stride_two_with_an_unreached_row():
    # a 6x6 input, 3x3 kernel, stride 2: the last row and column reach no
    # output pixel; their gradient is 0 and their window lies in the padding
    rng = np.random.default_rng(6)
    o = rng.standard_normal((6, 6))
    w = rng.standard_normal((3, 3))
    delta = rng.standard_normal((2, 2))
    bp = P.delta_backprop(delta, w, stride=2, shape=(6, 6))
    fast, _ = _backward(delta, o, w, stride=2)
    np.testing.assert_allclose(bp.dE_do, fast[2][0])
    assert not bp.dE_do[5].any() and not bp.dE_do[:, 5].any()
    assert bp.border[5].all() and bp.border[:, 5].all()
    assert bp.padding[-3:].all() and bp.padding[:, -3:].all()

    def E(o_):
        c = cnnlit.conv_forward(o_[None], w[None, None], np.zeros(1), stride=2)[
            0
        ]
        return np.sum(delta * c)

    num = cnnlit.numerical_gradient(E, o)
    assert cnnlit.relative_error(bp.dE_do, num) < 1e-8


# ---------------------------------------------------------------- fan-in


def test_fan_in_hand_example():
    fi = P.fan_in(D2, W2, (0, 0))  # the corner: one delta, the tap w(1, 1)
    assert fi.delta_cells.tolist() == [[0, 0]] and fi.taps.tolist() == [[1, 1]]
    assert fi.total == 4
    fi = P.fan_in(D2, W2, (1, 1))  # the centre: all four, delta(X, Y) w(X, Y)
    np.testing.assert_array_equal(fi.delta_cells, fi.taps)
    assert fi.reached.all() and fi.tapped.all() and fi.total == 5
    np.testing.assert_array_equal(fi.products, [1, -2, 6, 0])


@pytest.mark.parametrize("convention", ["convolution", "correlation"])
@pytest.mark.parametrize("stride", [1, 2, (1, 2)])
@pytest.mark.parametrize("dilation", [1, 2])
def test_fan_in_matches_conv_backward_and_the_forward_pass(
    convention, stride, dilation
):
    rng = np.random.default_rng(9)
    w = rng.uniform(0.5, 1.5, (3, 2)) * rng.choice([-1, 1], (3, 2))  # no 0
    H, W = 8, 7
    opts = {"stride": stride, "dilation": dilation, "convention": convention}
    Ho, Wo = cnnlit.conv_forward(
        np.zeros((1, H, W)), w[None, None], np.zeros(1), **opts
    )[0].shape
    delta = rng.standard_normal((Ho, Wo))
    fast, _ = _backward(delta, np.zeros((H, W)), w, **opts)
    total = np.zeros((H, W))
    for x in range(H):
        for y in range(W):
            fi = P.fan_in(delta, w, (x, y), shape=(H, W), **opts)
            assert fi.total == pytest.approx(fast[2][0][x, y])
            # a one-hot input at (x, y): the output pixels it reaches are
            # the deltas that come back, with the taps' values
            onehot = np.zeros((1, H, W))
            onehot[0, x, y] = 1.0
            c = cnnlit.conv_forward(onehot, w[None, None], np.zeros(1), **opts)[
                0
            ]
            np.testing.assert_array_equal(fi.reached, c != 0)
            np.testing.assert_array_equal(
                fi.weights, c[fi.delta_cells[:, 0], fi.delta_cells[:, 1]]
            )
            total[x, y] = fi.total
    bp = P.delta_backprop(delta, w, shape=(H, W), **opts)
    np.testing.assert_allclose(total, bp.dE_do, atol=1e-12)


def test_int_shapes_mean_squares():
    # kernel_shape, shape and pixel take an int for a square, as stride does
    rng = np.random.default_rng(12)
    o, w = rng.standard_normal((5, 5)), rng.standard_normal((2, 2))
    delta = rng.standard_normal((4, 4))
    wu = P.weight_update(o, delta, 2)
    np.testing.assert_allclose(wu.dE_dw, _backward(delta, o, w)[0][0][0, 0])
    bp = P.delta_backprop(delta, w, shape=5)
    np.testing.assert_allclose(bp.dE_do, _backward(delta, o, w)[0][2][0])
    assert P.fan_in(delta, w, 2, shape=5).total == bp.dE_do[2, 2]


def test_fan_in_is_a_frame_of_delta_backprop():
    # the terms of one pixel are the frame's products on real deltas
    rng = np.random.default_rng(13)
    w = rng.standard_normal((3, 2))
    delta = rng.standard_normal((2, 3))
    opts = dict(stride=2, dilation=(1, 2), convention="correlation")
    bp = P.delta_backprop(delta, w, shape=(6, 8), **opts)
    for f in bp.slide.frames:
        fi = P.fan_in(delta, w, f.out, shape=(6, 8), **opts)
        assert fi.total == f.total
        on = ~bp.slide.padding_mask[f.cells[..., 0], f.cells[..., 1]]
        np.testing.assert_array_equal(fi.products, f.products[on])
        np.testing.assert_array_equal(fi.delta_values, f.values[on])
        np.testing.assert_array_equal(
            fi.delta_values, delta[tuple(fi.delta_cells.T)]
        )
        np.testing.assert_array_equal(fi.weights, w[tuple(fi.taps.T)])


# ---------------------------------------------------------------- drawings


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts] + [
        t.get_text() for t in fig.texts
    ]


def test_weight_update_drawings():
    wu = P.weight_update(O3, D2)
    assert len(wu.frames) == 4
    texts = _texts(P.show(wu, 1))
    assert any(
        t.startswith("1\u00b71 + 2\u00b7(-1) + 4\u00b72 + 5\u00b70 = 7")
        and t.endswith("[0, 1] = $\\partial E/\\partial w^l$[1, 0]")
        for t in texts
    )
    assert P.animate(wu).data.count("data:image/png;base64") == 4
    fig = P.multiples(wu)
    assert sum(bool(ax.patches) for ax in fig.axes) == 4
    assert "rot180" in _texts(P.show(wu))
    fig = P.show(P.weight_update(O3, D2, convention="correlation"))
    assert "as it is" in _texts(fig)
    fig = P.show(P.bias_gradient(D2))
    assert "1 + (-1) + 2 + 0 = 2" in _texts(fig)
    # stride: the window's taps are outlined one by one
    rng = np.random.default_rng(0)
    wu = P.weight_update(
        rng.standard_normal((7, 5)),
        rng.standard_normal((3, 2)),
        (3, 2),
        stride=2,
    )
    assert len(wu.frames) == 6
    assert P.animate(wu).data.count("data:image/png;base64") == 6


def test_delta_drawings():
    bp = P.delta_backprop(D2, W2, a_prime=cnnlit.relu_prime(C3))
    assert len(bp.frames) == 9
    texts = _texts(P.show(bp, 4))
    assert any(
        t.startswith("1\u00b71 + (-1)\u00b72 + 2\u00b73 + 0\u00b74 = 5")
        for t in texts
    )
    assert any(
        t.endswith("(window reaches the padding)")
        for t in _texts(P.show(bp, 0))
    )
    assert P.animate(bp).data.count("data:image/png;base64") == 9
    fig = P.multiples(bp, ncols=3)
    assert sum(bool(ax.patches) for ax in fig.axes) == 9
    assert isinstance(P.show(bp), Figure)
    fig = P.multiples([P.fan_in(D2, W2, (0, 0)), P.fan_in(D2, W2, (1, 1))])
    texts = _texts(fig)
    assert "1\u00b74 = 4" in texts
    assert "1\u00b71 + (-1)\u00b72 + 2\u00b73 + 0\u00b74 = 5" in texts
    fig = P.show(P.fan_in(D2, W2, (4, 4), stride=2, shape=(5, 5)))
    assert "no delta reaches this pixel: 0" in _texts(fig)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call, error, match",
    [
        (
            lambda: P.weight_update(np.ones(3), D2),
            ValueError,
            "o_prev must be a non-empty 2-D array",
        ),
        (
            lambda: P.weight_update(O3, np.ones((1, 2, 2))),
            ValueError,
            "delta must be a non-empty 2-D array",
        ),
        (
            lambda: P.weight_update(O3, [["a"]]),
            TypeError,
            "delta must be a real numeric array",
        ),
        (
            lambda: P.weight_update(O3, D2, convention="conv"),
            ValueError,
            "convention must be one of",
        ),
        (
            lambda: P.weight_update(O3, D2, boundary="zero"),
            ValueError,
            "boundary must be one of",
        ),
        (
            lambda: P.weight_update(O3, D2, stride=0),
            ValueError,
            "stride must be >= 1",
        ),
        (
            lambda: P.weight_update(O3, D2, (3, 3)),
            ValueError,
            r"delta must have the output's shape \(1, 1\), got \(2, 2\)",
        ),
        (lambda: P.weight_update(O3, D2, (4, 4)), ValueError, "spans"),
        (
            lambda: P.weight_update(O3, D2, "2x2"),
            TypeError,
            "kernel_shape must be an int or a pair of ints",
        ),
        (
            lambda: P.weight_update(O3, np.ones((4, 4))),
            ValueError,
            "too large for o_prev",
        ),
        (
            lambda: P.bias_gradient(np.ones(3)),
            ValueError,
            "delta must be a non-empty 2-D array",
        ),
        (
            lambda: P.delta_backprop(D2, np.ones((2, 2, 1))),
            ValueError,
            "w must be a non-empty 2-D array",
        ),
        (
            lambda: P.delta_backprop(D2, W2, convention="x"),
            ValueError,
            "convention must be one of",
        ),
        (
            lambda: P.delta_backprop(D2, W2, shape=(4, 3)),
            ValueError,
            r"delta must have the output shape \(3, 2\) of a \(4, 3\) input",
        ),
        (
            lambda: P.delta_backprop(D2, W2, stride=2, shape=(6, 4)),
            ValueError,
            r"output shape \(3, 2\) .* got shape \(2, 2\)",
        ),
        (
            lambda: P.delta_backprop(D2, W2, shape="3x3"),
            TypeError,
            "shape must be an int or a pair of ints",
        ),
        (
            lambda: P.delta_backprop(D2, W2, dilation=0),
            ValueError,
            "dilation must be >= 1",
        ),
        (
            lambda: P.delta_backprop(D2, W2, a_prime=np.ones((2, 2))),
            ValueError,
            r"a_prime must have the input's shape \(3, 3\)",
        ),
        (
            lambda: P.fan_in(D2, W2, (3, 0)),
            ValueError,
            r"pixel\[0\] must be <= 2, got 3",
        ),
        (
            lambda: P.fan_in(D2, W2, (0, 5)),
            ValueError,
            r"pixel\[1\] must be <= 2",
        ),
        (lambda: P.fan_in(D2, W2, (-1, 0)), ValueError, "pixel must be >= 0"),
        (
            lambda: P.fan_in(D2, W2, "centre"),
            TypeError,
            "pixel must be an int or a pair of ints",
        ),
        (
            lambda: P.show(P.delta_backprop(D2, W2)),
            ValueError,
            "bp has no a_prime",
        ),
    ],
)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_every_public_name_is_exported():
    from cnnlit.plot import backward

    for name in backward.__all__:
        assert getattr(P, name) is getattr(backward, name)
