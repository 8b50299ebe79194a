"""cnnlit.plot.rulers: the index rulers against the package's forward pass
(a one-hot input and a one-hot kernel show which indices meet), the drawings
on Agg, bad input."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib import pyplot as plt
from matplotlib.figure import Figure

import cnnlit
from cnnlit import reference
from cnnlit.plot import animate, index_rulers, multiples, show
from cnnlit.plot.rulers import IndexRulers


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _meetings(H, kH, convention):
    """(output x, kernel index k, input index) for every product of the
    package's forward pass: the one output a one-hot input at ``i`` and a
    one-hot kernel at ``k`` light up (the loops of cnnlit.reference)."""
    found = set()
    for i, k in np.ndindex(H, kH):
        o = np.zeros((1, 1, H, 1))
        o[0, 0, i, 0] = 1.0
        w = np.zeros((1, 1, kH, 1))
        w[0, 0, k, 0] = 1.0
        c = reference.conv_forward(o, w, np.zeros(1), convention=convention)
        found |= {(int(x), k, i) for x in np.flatnonzero(c[0, 0, :, 0])}
    return found


@pytest.mark.parametrize("convention", ["convolution", "correlation"])
@pytest.mark.parametrize(("H", "kH"), [(6, 3), (5, 3), (3, 2), (4, 1), (4, 4)])
def test_indices_against_the_forward_pass(H, kH, convention):
    fwd = index_rulers(H, kH, convention=convention)
    back = index_rulers(H, kH, view="backward", convention=convention)
    H_out = cnnlit.conv_forward(np.zeros((1, H, 1)), np.ones((1, 1, kH, 1)),
                                np.zeros(1)).shape[1]  # fmt: skip
    assert fwd.H_out == back.H_out == H_out
    assert fwd.meet.shape == (H_out, kH) and back.reach.shape == (H, kH)
    truth = _meetings(H, kH, convention)
    assert {(x, k, int(fwd.meet[x, k])) for x, k in np.ndindex(H_out, kH)} == (
        truth
    )
    # the reach, restricted to real outputs, names the same products; the
    # rest are padding (kH - 1 on each side) and every input meets all of w
    real = {
        (int(back.reach[i, k]), k, i)
        for i, k in np.ndindex(H, kH)
        if 0 <= back.reach[i, k] < H_out
    }
    assert real == truth
    assert back.reach.min() == -(kH - 1) and back.reach.max() == H_out + kH - 2
    np.testing.assert_array_equal(back.rows, np.arange(1 - kH, H_out + kH - 1))
    np.testing.assert_array_equal(fwd.rows, np.arange(H_out))
    assert fwd.frames == tuple(range(H_out)) and back.frames == tuple(range(H))


def test_hand_numbers():
    r = index_rulers(6, 3)
    # output 1 reads inputs 3, 2, 1 through kernel indices 0, 1, 2
    np.testing.assert_array_equal(r.meet[1], [3, 2, 1])
    b = index_rulers(5, 3, view="backward")
    # input 0 meets delta(-2), delta(-1) (padding) and delta(0)
    np.testing.assert_array_equal(b.reach[0], [-2, -1, 0])
    c = index_rulers(6, 3, convention="correlation")
    np.testing.assert_array_equal(c.meet[1], [1, 2, 3])


@pytest.mark.parametrize("view", ["forward", "backward"])
def test_draws(view):
    r = index_rulers(5, 3, view=view)
    assert isinstance(r, IndexRulers)
    for fig in (show(r), show(r, 0), multiples(r, [0, 1], ncols=2)):
        assert isinstance(fig, Figure)
    fig = show(r, 1)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert (
        "c(1) = o(3)·w(0)" if view == "forward" else "dE/do(1) = δ(-1)·w(0)"
    ) in texts[-1]
    # a number a reader must read is at least 11 pt (11 px at 72 dpi)
    assert min(t.get_fontsize() for t in fig.axes[0].texts) >= 11
    html = animate(r)
    assert "<img" in getattr(html, "data", html)
    fig = multiples([r, r])  # the panels without a frame picked
    assert "kernel index" in fig.axes[0].texts[-1].get_text()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"H": 2, "kH": 3}, ValueError, "larger than the padded input"),
        ({"H": 0, "kH": 1}, ValueError, "H must be"),
        ({"H": 4.0, "kH": 2}, TypeError, "H must be an int"),
        ({"H": 4, "kH": 2, "view": "sideways"}, ValueError, "view must be"),
        ({"H": 4, "kH": 2, "convention": "x"}, ValueError, "convention"),
    ],
)
def test_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        index_rulers(**kwargs)
