"""cnnlit.plot.layers: the feed-forward, pooling-backward and receptive-field
pictures' data against the package and the loops of cnnlit.reference, the
drawings on Agg, and bad input."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import scipy.signal
from matplotlib import pyplot as plt

import cnnlit
from cnnlit import plot as P
from cnnlit import reference

# the feed-forward chapter's hand example: two input units, two output units
O_PREV = np.array(
    [
        [[1, 2, 0, 1], [0, 1, 3, 1], [2, 0, 1, 0], [1, 1, 0, 2]],
        [[0, 1, 1, 0], [1, 0, 0, 2], [0, 2, 1, 1], [1, 0, 1, 0]],
    ],
    float,
)
W = np.array(
    [
        [[[1, 0], [0, -1]], [[2, 1], [0, 0]]],
        [[[0, 1], [1, 0]], [[1, -1], [-1, 1]]],
    ],
    float,
)
B = np.array([0.5, -1.0])

# the pooling chapter's picture: 2x2 windows, stride 1, with ties
POOL_O = np.array(
    [[1, 6, 2, 0], [3, 2, 4, 4], [0, 7, 1, 2], [5, 1, 8, 1]], float
)
POOL_D = np.array([[2, -1, 3], [1, 4, -2], [3, 1, 2]], float)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts] + [
        ax.get_title() for ax in fig.axes
    ]


# ---------------------------------------------------------------- feed-forward


def test_feedforward_hand_example():
    ff = P.feedforward(O_PREV, W, B, 0)
    # the chapter's numbers: i_{0,0}(0, 0) = 0, i_{1,0}(0, 0) = 1, c = 1.5, a(1.5) = 0.8176
    assert ff.single[0, 0, 0] == 0 and ff.single[1, 0, 0] == 1
    assert ff.total[0, 0] == 1 and ff.bias == 0.5 and ff.c[0, 0] == 1.5
    assert round(float(ff.o[0, 0]), 4) == 0.8176
    np.testing.assert_array_equal(
        ff.c, [[1.5, 1.5, 5.5], [4.5, 4.5, 0.5], [0.5, 2.5, 2.5]]
    )
    np.testing.assert_array_equal(ff.w, W[0])
    assert ff.pixels == [(x, y) for x in range(3) for y in range(3)]
    # each single input is a valid scipy convolution of its unit with its kernel
    for n in range(2):
        np.testing.assert_array_equal(
            ff.single[n], scipy.signal.convolve2d(O_PREV[n], W[0, n], "valid")
        )
    # the frames of each input unit are the sliding window of that unit
    f = ff.slides[1].frames[4]
    assert f.out == (1, 1) and f.total == ff.single[1, 1, 1] == 4
    np.testing.assert_array_equal(f.weights, W[0, 1][::-1, ::-1])


@pytest.mark.parametrize("convention", ["convolution", "correlation"])
@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm"])
@pytest.mark.parametrize(
    "stride, padding, dilation",
    [(1, 0, 1), (2, 1, 1), ((1, 2), (2, 1), 1), (1, 1, 2)],
)
def test_feedforward_matches_conv_forward_and_loops(
    convention, boundary, stride, padding, dilation
):
    rng = np.random.default_rng(3)
    C_in, C_out = 3, 2
    o_prev = rng.integers(-3, 4, size=(C_in, 6, 5)).astype(float)
    w = rng.integers(-2, 3, size=(C_out, C_in, 3, 2)).astype(float)
    b = rng.standard_normal(C_out)
    opts = dict(
        convention=convention,
        boundary=boundary,
        stride=stride,
        padding=padding,
        dilation=dilation,
    )
    c_fast = cnnlit.conv_forward(o_prev, w, b, **opts)
    c_loops = reference.conv_forward(o_prev[None], w, b, **opts)[0]
    for m in range(C_out):
        ff = P.feedforward(o_prev, w, b, m, **opts)
        np.testing.assert_allclose(ff.c, c_fast[m], atol=1e-12)
        np.testing.assert_allclose(ff.c, c_loops[m], atol=1e-12)
        # each single input alone is the layer with that one input unit and no bias
        for n in range(C_in):
            alone = cnnlit.conv_forward(
                o_prev[n : n + 1], w[m : m + 1, n : n + 1], np.zeros(1), **opts
            )[0]
            np.testing.assert_allclose(ff.single[n], alone, atol=1e-12)
        np.testing.assert_allclose(ff.total + ff.bias, ff.c)
        np.testing.assert_allclose(ff.o, cnnlit.sigmoid(c_fast[m]), rtol=1e-12)
        assert len(ff.pixels) == ff.c.size


@pytest.mark.parametrize(
    "activation, package",
    [
        ("sigmoid", cnnlit.sigmoid),
        ("tanh", cnnlit.tanh),
        ("relu", cnnlit.relu),
        ("identity", lambda c: c),
    ],
)
def test_feedforward_activations(activation, package):
    rng = np.random.default_rng(5)
    o_prev = rng.standard_normal((2, 5, 5)) * 3
    w = rng.standard_normal((1, 2, 2, 2))
    ff = P.feedforward(o_prev, w, [0.3], activation=activation)
    np.testing.assert_allclose(ff.o, package(ff.c), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("example", [0, 2])
def test_feedforward_draws_one_example_of_a_batch(example):
    # conv_forward takes a batch (N, C_in, H, W); the picture draws one of it
    rng = np.random.default_rng(7)
    batch = rng.integers(-3, 4, size=(3,) + O_PREV.shape).astype(float)
    ff = P.feedforward(batch, W, B, 1, example=example, padding=1)
    c = cnnlit.conv_forward(batch, W, B, padding=1)[example, 1]
    np.testing.assert_array_equal(ff.c, c)
    np.testing.assert_array_equal(ff.o_prev, batch[example])
    for n in range(2):  # each single input: that example's unit n alone
        alone = scipy.signal.convolve2d(
            np.pad(batch[example, n], 1), W[1, n], "valid"
        )
        np.testing.assert_array_equal(ff.single[n], alone)
    assert len(ff.frames) == c.size
    one = P.feedforward(batch[example], W, B, 1, padding=1)
    np.testing.assert_array_equal(ff.single, one.single)


def test_feedforward_no_bias_and_inputs_unchanged():
    o_prev, w = O_PREV.copy(), W.copy()
    ff = P.feedforward(o_prev, w, None, 1)
    assert ff.bias == 0
    np.testing.assert_array_equal(
        ff.c, cnnlit.conv_forward(O_PREV, W, np.zeros(2))[1]
    )
    np.testing.assert_array_equal(o_prev, O_PREV)
    np.testing.assert_array_equal(w, W)


def test_feedforward_drawings():
    ff = P.feedforward(O_PREV, W, B, 0)
    assert len(ff.frames) == ff.c.size == 9
    texts = _texts(P.show(ff, 4))
    assert any("= 0 + 4 + 0.5 = 4.5" in t and "c_0$[1, 1]" in t for t in texts)
    assert any(t.startswith("a(4.5) = 0.989") for t in texts)
    # the weights laid on each input unit's window: the rotated kernel
    assert texts.count("\u00d7-1") == 1 and texts.count("\u00d72") == 1
    # the finished picture writes every value
    n = int((np.round(ff.o, 2) == 0.92).sum())
    assert n == 2 and _texts(P.show(ff)).count("0.92") == n
    assert _texts(P.show(ff, 0)).count("0.92") == 0
    html = P.animate(ff)
    assert html.data.count("data:image/png;base64") == 9
    fig = P.multiples(ff, ncols=3)
    assert sum(bool(ax.patches) for ax in fig.axes) == 9
    assert "c[2, 2] = 1 + 1 + 0.5 = 2.5\no[2, 2] = a(2.5) = 0.924" in _texts(
        fig
    )
    fig = P.multiples(ff, frames=[0, 8])
    assert sum(bool(ax.patches) for ax in fig.axes) == 2


@pytest.mark.parametrize(
    "args, kwargs, error, match",
    [
        (
            (np.ones((4, 4)), W, B),
            {},
            ValueError,
            r"o_prev must have shape \(C_in, H, W\)",
        ),
        (
            (O_PREV, np.ones((2, 2, 2))),
            {"b": B},
            ValueError,
            r"w must have shape \(C_out, C_in, kH, kW\)",
        ),
        (
            (O_PREV, np.ones((2, 3, 2, 2)), B),
            {},
            ValueError,
            r"w has C_in=3 input channels .* but o_prev has C_in=2",
        ),
        (
            (O_PREV, W, [1.0]),
            {},
            ValueError,
            r"b must have shape \(C_out,\) = \(2,\)",
        ),
        ((O_PREV, W, B, 2), {}, ValueError, "m must be <= 1, got 2"),
        ((O_PREV, W, B, 1.0), {}, TypeError, "m must be an int"),
        (
            (O_PREV[None], W, B),
            {"example": 1},
            ValueError,
            "example must be <= 0, got 1",
        ),
        (
            (O_PREV, W, B),
            {"activation": "softmax"},
            ValueError,
            "activation must be one of",
        ),
        (
            (O_PREV, W, B),
            {"convention": "conv"},
            ValueError,
            "convention must be one of",
        ),
        ((O_PREV, W, B), {"stride": 0}, ValueError, "stride must be >= 1"),
        (([["a"]], W, B), {}, TypeError, "o_prev must be a real numeric array"),
    ],
)
def test_feedforward_bad_input(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        P.feedforward(*args, **kwargs)


# ---------------------------------------------------------------- pooling


def _contributions(r):
    """contributions[i][j]: (x, y, amount) of every window that sends part of
    its delta to input cell (i, j), in frame order, read off the frames."""
    H, W = r.o_prev.shape
    out = [[[] for _ in range(W)] for _ in range(H)]
    for f in r.frames:
        for p, q in np.ndindex(f.values.shape):
            i, j = (int(v) for v in f.cells[p, q])
            if r.mode == "mean" or (i, j) == f.winner:
                out[i][j].append((*f.out, float(f.routed[p, q])))
    return [[tuple(cell) for cell in row] for row in out]


def test_pool_route_hand_example_ties_and_overlap():
    r = P.pool_route(POOL_D, POOL_O, 2, stride=1)
    winners = [f.winner for f in r.frames]
    assert winners == [
        (0, 1),
        (0, 1),
        (1, 2),
        (2, 1),
        (2, 1),
        (1, 2),
        (2, 1),
        (3, 2),
        (3, 2),
    ]
    # the two tied windows: 4 at (1, 2) and (1, 3); the first in row-major order wins
    assert r.frames[2].tied == ((1, 2), (1, 3)) and r.frames[5].tied == (
        (1, 2),
        (1, 3),
    )
    assert all(
        len(f.tied) == 1 for k, f in enumerate(r.frames) if k not in (2, 5)
    )
    np.testing.assert_array_equal(
        r.grad, [[0, 1, 0, 0], [0, 0, 1, 0], [0, 8, 0, 0], [0, 0, 3, 0]]
    )
    # the accumulation: each window's delta, listed where it landed
    assert _contributions(r)[0][1] == ((0, 0, 2.0), (0, 1, -1.0))
    assert _contributions(r)[1][2] == ((0, 2, 3.0), (1, 2, -2.0))
    assert _contributions(r)[2][1] == ((1, 0, 1.0), (1, 1, 4.0), (2, 0, 3.0))
    assert _contributions(r)[1][3] == ()
    # the running gradient after frame 1: both deltas of pixel (0, 1)
    assert r.frames[0].grad[0, 1] == 2 and r.frames[1].grad[0, 1] == 1
    np.testing.assert_array_equal(
        r.output, cnnlit.pool_forward(POOL_O[None], 2, stride=1)[0]
    )
    np.testing.assert_array_equal(
        r.grad, cnnlit.pool_backward(POOL_D[None], POOL_O[None], 2, stride=1)[0]
    )
    np.testing.assert_array_equal(
        r.grad,
        reference.pool_backward(POOL_D[None], POOL_O[None], 2, stride=1)[0],
    )


def test_pool_route_mean_hand_example():
    d = np.array([[4.0, 8.0], [-4.0, 12.0]])
    r = P.pool_route(d, POOL_O[:3, :3], 2, stride=1, mode="mean")
    assert all(
        f.winner is None and f.tied == () and f.share == 0.25 for f in r.frames
    )
    np.testing.assert_array_equal(r.frames[3].routed, np.full((2, 2), 3.0))
    np.testing.assert_array_equal(r.grad, [[1, 3, 2], [0, 5, 5], [-1, 2, 3]])
    assert [a for (_, _, a) in _contributions(r)[1][1]] == [1, 2, -1, 3]
    np.testing.assert_array_equal(
        r.grad,
        cnnlit.pool_backward(
            d[None], POOL_O[None, :3, :3], 2, stride=1, mode="mean"
        )[0],
    )


@pytest.mark.parametrize("mode", ["max", "mean"])
@pytest.mark.parametrize(
    "size, stride",
    [(2, None), (2, 1), (3, 2), ((2, 3), (1, 2)), ((3, 2), 3), (2, (3, 1))],
)
@pytest.mark.parametrize("integers", [False, True])
def test_pool_route_matches_package_and_loops(mode, size, stride, integers):
    rng = np.random.default_rng(11)
    if integers:  # small integers: many ties
        o_prev = rng.integers(0, 3, size=(7, 8)).astype(float)
    else:
        o_prev = rng.standard_normal((7, 8))
    Ho, Wo = cnnlit.pool_forward(o_prev[None], size, stride=stride).shape[1:]
    delta = rng.integers(-4, 5, size=(Ho, Wo)).astype(float)
    r = P.pool_route(delta, o_prev, size, stride=stride, mode=mode)
    fast = cnnlit.pool_backward(
        delta[None], o_prev[None], size, stride=stride, mode=mode
    )[0]
    loops = reference.pool_backward(
        delta[None], o_prev[None], size, stride=stride, mode=mode
    )[0]
    np.testing.assert_allclose(r.grad, fast, atol=1e-12)
    np.testing.assert_allclose(r.grad, loops, atol=1e-12)
    np.testing.assert_allclose(
        r.output,
        cnnlit.pool_forward(o_prev[None], size, stride=stride, mode=mode)[0],
    )
    assert len(r.frames) == Ho * Wo
    running = np.zeros_like(o_prev)
    for f in r.frames:
        running[f.cells[..., 0], f.cells[..., 1]] += f.routed
        np.testing.assert_allclose(f.grad, running, atol=1e-12)
        assert f.routed.sum() == pytest.approx(
            f.delta
        )  # the whole delta goes down
        np.testing.assert_array_equal(
            f.values, o_prev[f.cells[..., 0], f.cells[..., 1]]
        )
        if mode == "max":
            assert o_prev[f.winner] == f.values.max() and f.winner == f.tied[0]
            assert list(f.tied) == sorted(f.tied)  # row-major order
    H, W = o_prev.shape
    sums = np.array(
        [
            [sum(a for (_, _, a) in _contributions(r)[i][j]) for j in range(W)]
            for i in range(H)
        ]
    )
    np.testing.assert_allclose(sums, r.grad, atol=1e-12)


def test_pool_route_tie_rule_is_the_packages():
    tie = np.array([[3.0, 1.0], [0.0, 3.0]])
    r = P.pool_route([[8.0]], tie, 2)
    assert r.frames[0].winner == (0, 0) and r.frames[0].tied == ((0, 0), (1, 1))
    np.testing.assert_array_equal(
        r.grad, cnnlit.pool_backward([[[8.0]]], tie[None], 2)[0]
    )


def test_pool_route_drawings():
    r = P.pool_route(POOL_D, POOL_O, 2, stride=1)
    assert len(r.frames) == 9
    assert P.animate(r).data.count("data:image/png;base64") == 9
    texts = _texts(P.show(r, 5))
    assert (
        "\u03b4[1, 2] = -2:  max 4 tied at (1, 2), (1, 3);  the first, (1, 2), takes it"
        in texts
    )
    fig = P.multiples(r)
    assert sum(bool(ax.patches) for ax in fig.axes) == 9
    assert "\u03b4[0, 2] = 3 \u2192 (1, 2) (tie)" in _texts(fig)
    rm = P.pool_route(
        [[4.0, 8.0], [-4.0, 12.0]], POOL_O[:3, :3], 2, stride=1, mode="mean"
    )
    fig = P.multiples(rm, ncols=4)
    texts = _texts(fig)
    assert (
        "\u03b4[1, 1] = 12 \u2192 3 each" in texts and "1+2\u22121+3" in texts
    )


@pytest.mark.parametrize(
    "args, kwargs, error, match",
    [
        (
            (POOL_D, np.ones((2, 2, 2)), 2),
            {},
            ValueError,
            r"o_prev must be a non-empty 2-D array",
        ),
        (
            (POOL_D, POOL_O, 2),
            {"stride": 1, "mode": "median"},
            ValueError,
            "mode must be one of",
        ),
        (
            (POOL_D, POOL_O, 5),
            {},
            ValueError,
            r"the pooling window size \(5, 5\) is larger than the input's",
        ),
        (
            (POOL_D, POOL_O, 2),
            {},
            ValueError,
            r"delta must have the shape of the pooled output, \(1, 2, 2\)",
        ),
        ((POOL_D, POOL_O, 0), {}, ValueError, "size must be >= 1"),
        ((POOL_D, POOL_O, 2), {"stride": 0}, ValueError, "stride must be >= 1"),
        (
            (POOL_D, [["a"]], 2),
            {},
            TypeError,
            "o_prev must be a real numeric array",
        ),
    ],
)
def test_pool_route_bad_input(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        P.pool_route(*args, **kwargs)


def test_pool_route_too_large_is_refused():
    with pytest.raises(ValueError, match="frames; a picture has at most"):
        P.pool_route(np.ones((100, 100)), np.ones((101, 101)), 2, stride=1)


# ---------------------------------------------------------------- receptive field


def _formula(layers):
    """r_out = r_in + (k - 1) * jump, jump *= stride, from the input up."""
    r, jump = np.array([1, 1]), np.array([1, 1])
    sizes = [tuple(r)]
    for _, k, s in layers:
        r = r + (np.array(k) - 1) * jump
        jump = jump * np.array(s)
        sizes.append(tuple(int(v) for v in r))
    return sizes


def _package_backward(input_shape, layers, pixel, rng, kernels="ones"):
    """A one-hot delta sent down with cnnlit.conv_backward and cnnlit.pool_backward."""
    maps = [rng.standard_normal((1, 1) + tuple(input_shape))]
    ws = []
    for kind, k, s in layers:
        if kind == "conv":
            w = (
                np.ones((1, 1) + k)
                if kernels == "ones"
                else rng.uniform(0.5, 1.5, (1, 1) + k)
            )
            ws.append(w)
            maps.append(cnnlit.conv_forward(maps[-1], w, np.zeros(1), stride=s))
        else:
            ws.append(None)
            maps.append(cnnlit.pool_forward(maps[-1], k, stride=s, mode="mean"))
    g = np.zeros_like(maps[-1])
    g[(0, 0) + tuple(pixel)] = 1.0
    grads = [g]
    for j in range(len(layers) - 1, -1, -1):
        kind, k, s = layers[j]
        if kind == "conv":
            g = cnnlit.conv_backward(g, maps[j], ws[j], stride=s)[2]
        else:
            g = cnnlit.pool_backward(g, maps[j], k, stride=s, mode="mean")
        grads.insert(0, g)
    return [gr[0, 0] for gr in grads]


def test_receptive_field_chapter_stack():
    layers = [("conv", 3), ("conv", 3), ("pool", 2)]
    rf = P.receptive_field((8, 8), layers, (1, 1))
    assert rf.shapes == ((8, 8), (6, 6), (4, 4), (2, 2))
    assert rf.sizes == ((6, 6), (4, 4), (2, 2), (1, 1))
    assert rf.boxes == ((2, 7, 2, 7), (2, 5, 2, 5), (2, 3, 2, 3), (1, 1, 1, 1))
    assert P.receptive_field(8, layers, (1, 1)).boxes == rf.boxes  # 8 = (8, 8)
    # the formula, from the input up: 1 -> 3 -> 5 -> 6
    assert _formula(rf.layers) == [(1, 1), (3, 3), (5, 5), (6, 6)]
    assert [s for s in reversed(rf.sizes)] == [(1, 1), (2, 2), (4, 4), (6, 6)]
    assert rf.sizes[0] == _formula(rf.layers)[-1]
    package = _package_backward(
        (8, 8), rf.layers, (1, 1), np.random.default_rng(0)
    )
    for mine, theirs in zip(rf.grads, package, strict=True):
        np.testing.assert_allclose(mine, theirs, atol=1e-12)
    # mean pooling passes the delta's total down, each all-ones 3x3 kernel multiplies it by 9
    assert (
        rf.grads[2].sum() == 1
        and rf.grads[1].sum() == 9
        and rf.grads[0].sum() == 81
    )
    assert (
        rf.grads[0].max() == 6.25
    )  # the centre: 25 paths through the two 3x3 kernels, times 1/4


@pytest.mark.parametrize(
    "input_shape, layers, pixel",
    [
        ((8, 8), [("conv", 3), ("conv", 3), ("pool", 2)], (0, 0)),
        ((14, 15), [("conv", 3, 2), ("pool", 2), ("conv", (2, 3))], (1, 0)),
        (
            (13, 13),
            [
                ("conv", (3, 2)),
                ("pool", (2, 3), (2, 1)),
                ("conv", 3, (1, 2)),
                ("pool", 2, 1),
            ],
            (1, 1),
        ),
        ((9, 7), [("pool", 3, 2), ("conv", 2)], (2, 1)),
    ],
)
def test_receptive_field_matches_package_and_formula(
    input_shape, layers, pixel
):
    rf = P.receptive_field(input_shape, layers, pixel)
    rng = np.random.default_rng(1)
    for kernels in ("ones", "random"):
        package = _package_backward(input_shape, rf.layers, pixel, rng, kernels)
        for mine, mask, theirs in zip(rf.grads, rf.masks, package, strict=True):
            np.testing.assert_array_equal(mask, theirs != 0)
            if kernels == "ones":
                np.testing.assert_allclose(mine, theirs, atol=1e-12)
    assert rf.sizes[0] == _formula(rf.layers)[-1]
    # every map's field is its box, full (no holes without dilation)
    for mask, (t, b, lft, rgt), shape in zip(
        rf.masks, rf.boxes, rf.shapes, strict=True
    ):
        assert (
            mask.shape == shape
            and mask[t : b + 1, lft : rgt + 1].all()
            and mask.sum() == (b - t + 1) * (rgt - lft + 1)
        )


def test_receptive_field_drawing():
    rf = P.receptive_field(
        (8, 8), [("conv", 3), ("conv", 3), ("pool", 2)], (1, 1)
    )
    texts = _texts(P.show(rf))
    for size in (
        "field 1\u00d71",
        "field 2\u00d72",
        "field 4\u00d74",
        "field 6\u00d76",
    ):
        assert size in texts
    assert "pool 2\u00d72\nstride 2" in texts and "6.25" in texts
    rf = P.receptive_field(
        (8, 8), [("conv", 3), ("conv", 3), ("pool", 2)], (1, 1), names="abcd"
    )
    assert "d  (2\u00d72)" in _texts(P.show(rf))


@pytest.mark.parametrize(
    "args, error, match",
    [
        (
            (8.0, [("conv", 3)], (0, 0)),
            TypeError,
            r"input_shape must be an int or a pair of ints",
        ),
        (
            ((8, 0), [("conv", 3)], (0, 0)),
            ValueError,
            "input_shape must be >= 1",
        ),
        (((8, 8), "conv", (0, 0)), ValueError, r"layers\[0\] must be \('conv'"),
        (
            ((8, 8), [], (0, 0)),
            ValueError,
            "layers must hold at least one layer",
        ),
        (
            ((8, 8), [("dense", 3)], (0, 0)),
            ValueError,
            r"layers\[0\]\[0\] must be one of 'conv', 'pool'",
        ),
        (
            ((8, 8), [("conv",)], (0, 0)),
            ValueError,
            r"layers\[0\] must be \('conv' \| 'pool', size",
        ),
        (
            ((8, 8), [("conv", 3), ("pool", 7)], (0, 0)),
            ValueError,
            r"layers\[1\]: the kernel \(7, 7\) .* larger than the padded input",
        ),
        (
            ((8, 8), [("conv", 3, 0)], (0, 0)),
            ValueError,
            r"layers\[0\] stride must be >= 1",
        ),
        (
            ((8, 8), [("conv", 3)], (6, 0)),
            ValueError,
            r"pixel must be a pair of ints \(x, y\) inside the map of shape \(6, 6\)",
        ),
        (
            ((8, 8), [("conv", 3)], 0),
            ValueError,
            r"pixel must be a pair of ints",
        ),
    ],
)
def test_receptive_field_bad_input(args, error, match):
    with pytest.raises(error, match=match):
        P.receptive_field(*args)


def test_receptive_field_bad_names():
    with pytest.raises(
        ValueError, match="names must hold one title per map, 2, got 1"
    ):
        P.receptive_field((8, 8), [("conv", 3)], (0, 0), names=["x"])


def test_public_names():
    for name in P.layers.__all__:
        assert hasattr(P, name)
    assert set(P.layers.ACTIVATIONS) == {"sigmoid", "tanh", "relu", "identity"}
