"""cnnlit.plot.explore: the explorers' callbacks, run headless. Each change of
a setting rebuilds the picture, and its numbers are checked here against the
package independently of the explorer's own check."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib import pyplot as plt

import cnnlit
from cnnlit import plot as P
from cnnlit import reference
from cnnlit.plot._explore import EXPLORERS, Explorer, _example


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_every_explorer_checks_its_default_picture():
    for name in EXPLORERS:
        ex = Explorer(name)
        assert ex.ok, (name, ex.line)
        assert "equals" in ex.line and ex.figure() is not None


def test_a_slider_change_redraws_the_slide():
    ex = Explorer("slide")
    assert len(ex.picture.frames) == 9  # 4x4 input, 2x2 kernel
    line = ex.update(size=6, kernel=3, stride=2, padding=1)
    o, w = _example((6, 6), 0), _example((3, 3), 1)
    ref = cnnlit.conv_forward(o[None], w[None, None], None, stride=2, padding=1)
    np.testing.assert_array_equal(ex.picture.output, ref[0])
    assert len(ex.picture.frames) == 9 and line.startswith("9 frames")
    ex.update(convention="correlation", boundary="wrap", frame=4)
    ref = cnnlit.correlate2d(np.pad(o, 1, mode="wrap"), w, mode="valid")[
        ::2, ::2
    ]
    np.testing.assert_allclose(ex.picture.output, ref)
    assert ex.frame == 4
    texts = [t.get_text() for ax in ex.figure().axes for t in ax.texts]
    f = ex.picture.frames[4]
    assert any(t.endswith(f"c[{f.out[0]}, {f.out[1]}]") for t in texts)


def test_settings_that_make_no_picture_say_why():
    ex = Explorer("slide")
    line = ex.update(size=3, kernel=4)
    assert ex.picture is None and line.startswith("no picture")
    assert ex.figure() is None
    ex.update(size=7, frame=100)  # the frame is kept inside the picture
    assert ex.frame == len(ex.picture.frames) - 1 == 15


@pytest.mark.parametrize("mode", ["max", "mean"])
def test_pool_explorer(mode):
    ex = Explorer("pool_route", {"mode": mode})
    ex.update(size=5, kernel=3, stride=2)
    o = _example((5, 5), 0)
    d = _example((2, 2), 2)
    ref = reference.pool_backward(d[None], o[None], 3, stride=2, mode=mode)
    np.testing.assert_allclose(ex.picture.grad, ref[0])


def test_backward_explorers_against_finite_differences():
    ex = Explorer("weight_update", {"stride": 2, "size": 5, "kernel": 3})
    o, w = _example((5, 5), 0), _example((3, 3), 1)
    d = _example((2, 2), 2)

    def loss(w_):
        c = cnnlit.conv_forward(o[None], w_[None, None], None, stride=2)
        return float((c[0] * d).sum())

    num = cnnlit.numerical_gradient(loss, w)
    np.testing.assert_allclose(ex.picture.dE_dw, num, atol=1e-6)
    ex = Explorer("delta_backprop", {"stride": 2, "size": 5, "kernel": 3})

    def loss_o(o_):
        c = cnnlit.conv_forward(o_[None], w[None, None], None, stride=2)
        return float((c[0] * d).sum())

    num = cnnlit.numerical_gradient(loss_o, o)
    np.testing.assert_allclose(ex.picture.dE_do, num, atol=1e-6)


def test_static_explore_prints_the_check_and_the_hint(capsys):
    ex = P.explore("transpose_scatter", interactive=False)
    out = capsys.readouterr().out
    assert ex.widget is None and ex.ok
    assert "equals cnnlit.conv_transpose_forward" in out
    assert "Run this notebook in JupyterLab" in out


def test_widgets_redraw_on_change():
    pytest.importorskip("ipywidgets")
    ex = P.explore("slide", interactive=True)
    box = ex.widget
    sliders = {
        c.description: c for row in box.children[:2] for c in row.children
    }
    sliders["size"].value = 6  # the callback runs on the change
    assert ex.values["size"] == 6 and len(ex.picture.frames) == 25
    assert sliders["frame"].max == 24
    assert box.children[2].value == ex.line
    sliders["convention"].value = "correlation"
    assert ex.picture.convention == "correlation" and ex.ok


@pytest.mark.parametrize("name", sorted(EXPLORERS))
def test_every_explorer_gets_its_widgets(name):
    # each default value must be one of its slider's or menu's options
    pytest.importorskip("ipywidgets")
    ex = P.explore(name, interactive=True)
    shown = {c.description: c.value for row in ex.widget.children[:2]
             for c in row.children}  # fmt: skip
    assert shown == {**ex.values, "frame": 0} and ex.ok


def test_bad_settings():
    with pytest.raises(ValueError, match="picture must be one of 'slide'"):
        Explorer("nope")
    with pytest.raises(ValueError, match="a setting of 'slide' must be one of"):
        Explorer("slide", {"mode": "max"})
