"""cnnlit.plot.channels: the numbers of every frame against loops written
from the sum and scipy.signal, the frame count and order, one drawing on Agg,
bad input."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib import pyplot as plt
from matplotlib.figure import Figure
from scipy import signal

from cnnlit.plot import channel_sum, multiples, show
from cnnlit.plot.channels import ChannelSum

RNG = np.random.default_rng(7)
O = RNG.integers(-2, 4, (3, 5, 5)).astype(float)  # (C_in, H, W)
W = RNG.integers(-1, 3, (2, 3, 3, 3)).astype(float)  # (C_out, C_in, kH, kW)
B = np.array([0.5, -1.0])


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _loops(o, w, b, m, x, y, flip):
    """Each unit's sum of products at output pixel (x, y) of map m, written
    from c_m(x, y) = sum_n sum_{x', y'} o_n(x - x', y - y') w_{n,m}(x', y')
    (flip) or o_n(x + x', y + y') w_{n,m}(x', y'), valid pixels from 0."""
    _, _, kH, kW = w.shape
    parts = []
    for n in range(o.shape[0]):
        total = 0.0
        for dx in range(kH):
            for dy in range(kW):
                if flip:
                    pixel = o[n, x + kH - 1 - dx, y + kW - 1 - dy]
                else:
                    pixel = o[n, x + dx, y + dy]
                total += pixel * w[m, n, dx, dy]
        parts.append(total)
    return np.array(parts), sum(parts) + b[m]


@pytest.mark.parametrize("convention", ["convolution", "correlation"])
def test_every_frame_against_loops(convention):
    cs = channel_sum(O, W, B, convention=convention)
    assert isinstance(cs, ChannelSum) and cs.c.shape == (2, 3, 3)
    assert len(cs.frames) == 2 * 3 * 3
    for k, f in enumerate(cs.frames):
        assert (f.m, f.x, f.y) == np.unravel_index(k, (2, 3, 3))
        parts, total = _loops(
            O, W, B, f.m, f.x, f.y, convention == "convolution"
        )
        np.testing.assert_allclose(f.partial, parts)
        assert f.total == pytest.approx(total)
        np.testing.assert_array_equal(
            f.window, O[:, f.x : f.x + 3, f.y : f.y + 3]
        )
        # the stack drawn over the window: its products are the parts
        np.testing.assert_allclose(
            (f.window * f.weights).sum(axis=(1, 2)), parts
        )


def test_single_inputs_against_scipy():
    for convention, op in [
        ("convolution", signal.convolve2d),
        ("correlation", signal.correlate2d),
    ]:
        cs = channel_sum(O, W, B, convention=convention)
        want = [
            [op(O[n], W[m, n], "valid") for n in range(3)] for m in range(2)
        ]
        np.testing.assert_allclose(cs.single, want)
        np.testing.assert_allclose(
            cs.c, cs.single.sum(axis=1) + B[:, None, None]
        )


def test_inputs_unchanged_and_float32_accepted():
    o32, w32 = O.astype(np.float32), W.astype(np.float32)
    before = o32.copy(), w32.copy()
    cs = channel_sum(o32, w32, B)
    np.testing.assert_array_equal(o32, before[0])
    np.testing.assert_array_equal(w32, before[1])
    np.testing.assert_allclose(cs.c, channel_sum(O, W, B).c)


def test_drawing():
    cs = channel_sum(O, W, B)
    fig = show(cs, 4)  # map 0, pixel (1, 1)
    assert isinstance(fig, Figure)
    w_px = fig.get_figwidth() * fig.dpi  # pixels as shown (1 point = 1 px)
    assert w_px <= 600  # fits the book's column at its size
    texts = [t.get_text() for t in fig.axes[0].texts]
    f = cs.frames[4]
    # 75 input numbers, 27 weights, the 5 pixels of map 0 computed so far
    cells = [t for t in texts if t.lstrip("-").replace(".", "").isdigit()]
    assert len(cells) == 75 + 27 + 5
    assert fig.axes[0].get_title().endswith(f"= {f.total:g}")
    assert min(t.get_fontsize() for t in fig.axes[0].texts) >= 11
    assert isinstance(multiples(cs, [0, 9]), Figure)


def test_bad_input():
    with pytest.raises(ValueError, match="o_prev"):
        channel_sum(O[None], W, B)
    with pytest.raises(ValueError, match="w"):
        channel_sum(O, W[:, :2], B)
    with pytest.raises(ValueError, match="b"):
        channel_sum(O, W, B[:1])
    with pytest.raises(TypeError, match="o_prev"):
        channel_sum(np.array([["a"]]), W, B)
    with pytest.raises(ValueError, match="convention"):
        channel_sum(O, W, B, convention="flip")
    with pytest.raises(ValueError, match="frames"):
        channel_sum(np.zeros((1, 30, 30)), np.zeros((2, 1, 3, 3)), np.zeros(2))
