"""Sliders and menus for a picture's parameters in JupyterLab: each setting
draws a small seeded example and checks its numbers against a computation
that did not draw it: the package, where the picture's numbers come from its
own windows, or the loops of :mod:`cnnlit.reference`, where the picture takes
them from the package.
"""

import os
from dataclasses import dataclass, field

import numpy as np
from matplotlib import pyplot as plt

from .. import (
    conv_backward,
    conv_forward,
    conv_transpose_forward,
    reference,
)
from .._checks import check_flag
from ._core import show
from .backward import delta_backprop, weight_update
from .layers import feedforward, pool_route
from .sliding import slide
from .transpose import transpose_scatter

#: The sliders and menus: setting -> the values it may take.
CHOICES = dict(size=(2, 3, 4, 5, 6, 7), mode=("max", "mean"), stride=(1, 2, 3))
CHOICES |= dict(kernel=(1, 2, 3, 4), padding=(0, 1, 2), dilation=(1, 2))
CHOICES |= dict(boundary=("fill", "wrap", "symm"), channels=(1, 2, 3))
CHOICES |= dict(convention=("convolution", "correlation"))
_SMALL = dict(size=4, kernel=2, stride=1)
_LAYER = dict(_SMALL, padding=0, dilation=1)
_CONV = dict(convention="convolution")
#: The explorers: name -> default settings (their order: the widgets').
EXPLORERS = {
    "slide": dict(_LAYER, boundary="fill", **_CONV),
    "feedforward": dict(channels=2, **_SMALL, padding=0),
    "weight_update": dict(_LAYER, **_CONV),
    "delta_backprop": dict(_SMALL, dilation=1, **_CONV),
    "pool_route": dict(_SMALL, mode="max"),
    "transpose_scatter": dict(_LAYER, size=2, kernel=3, stride=2, **_CONV),
}
_OPTIONS = ("stride", "padding", "dilation", "boundary", "convention")


def _example(shape, seed):
    """Small integers, the same for the same shape and seed."""
    return np.random.default_rng(seed).integers(-2, 4, shape).astype(float)


def _build(name, v):
    """Explorer ``name`` at settings ``v`` on seeded integers: the picture,
    its result, the same result computed without the picture, and the name
    of the function that computed it."""
    o, w = _example((v["size"],) * 2, 0), _example((v["kernel"],) * 2, 1)
    opts = {k: v[k] for k in _OPTIONS if k in v}
    if name == "slide":
        pic = slide(o, w, **opts)
        ref = conv_forward(o[None], w[None, None], None, **opts)[0]
        return pic, pic.output, ref, "cnnlit.conv_forward"
    if name == "transpose_scatter":
        pic = transpose_scatter(o, w, **opts)
        ref = conv_transpose_forward(o[None], w[None, None], None, **opts)[0]
        return pic, pic.output, ref, "cnnlit.conv_transpose_forward"
    if name == "feedforward":
        C, b = v["channels"], np.array([0.5, -1.0])
        o, w = _example((C, *o.shape), 0), _example((2, C, *w.shape), 1)
        pic = feedforward(o, w, b, activation="relu", **opts)
        # the picture's c comes from conv_forward: checked against the loops
        ref = reference.conv_forward(o[None], w, b, **opts)[0, 0]
        return pic, pic.c, ref, "cnnlit.reference.conv_forward"
    if name == "pool_route":
        k, s, mode = v["kernel"], v["stride"], v["mode"]
        delta = _example(((len(o) - k) // s + 1,) * 2, 2)
        pic = pool_route(delta, o, k, stride=s, mode=mode)
        # the picture's gradient comes from pool_backward: against the loops
        args = delta[None, None], o[None, None], k
        ref = reference.pool_backward(*args, stride=s, mode=mode)[0, 0]
        return pic, pic.grad, ref, "cnnlit.reference.pool_backward"
    o4, w4 = o[None, None], w[None, None]
    delta = _example(conv_forward(o4[0], w4, None, **opts)[0].shape, 2)
    dw, _, do = conv_backward(delta[None, None], o4, w4, **opts)
    if name == "weight_update":
        pic = weight_update(o, delta, w.shape, **opts)
        return pic, pic.dE_dw, dw[0, 0], "cnnlit.conv_backward (dE/dw)"
    pic = delta_backprop(delta, w, shape=o.shape, **opts)
    return pic, pic.dE_do, do[0, 0], "cnnlit.conv_backward (dE/do)"


@dataclass
class Explorer:
    """The state behind the widgets: settings, picture, check; :meth:`update`
    is what a widget calls on a change (and a test, headless)."""

    name: str
    values: dict = field(default_factory=dict)
    frame: int = 0

    def __post_init__(self):
        defaults = EXPLORERS[check_flag(self.name, "picture", EXPLORERS)]
        for key in self.values:
            check_flag(key, f"a setting of {self.name!r}", defaults)
        self.values = {**defaults, **self.values}
        self.update()

    def update(self, **changes):
        """Apply ``changes`` (settings or ``frame``), rebuild and recheck;
        return the line that says what was checked (``self.line``)."""
        self.frame = changes.pop("frame", self.frame)
        self.values.update(changes)
        try:
            pic, mine, ref, by = _build(self.name, self.values)
        except ValueError as exc:  # e.g. a kernel larger than the input
            self.picture, self.ok = None, False
            self.line = f"no picture for these settings: {exc}"
            return self.line
        self.picture, self.ok = pic, bool(np.allclose(mine, ref))
        self.frame = min(max(self.frame, 0), len(pic.frames) - 1)
        shape = "\u00d7".join(map(str, np.shape(mine)))
        same = "equals" if self.ok else "DIFFERS FROM"
        self.line = f"{len(pic.frames)} frames; the picture's {shape} result {same} {by}"
        return self.line

    def figure(self):
        """The picture at the current frame (None if there is none)."""
        return None if self.picture is None else show(self.picture, self.frame)


def explore(picture="slide", *, interactive=None, **settings):
    """Sliders and menus for a picture's parameters, redrawn on each change.

    Parameters
    ----------
    picture : str
        A key of :data:`EXPLORERS` (``'slide'``, ``'pool_route'``, ...).
    interactive : bool, optional
        Widgets, or the picture with a hint; default: widgets in a kernel
        started by JupyterLab (``JPY_SESSION_NAME`` set).
    **settings
        Starting values, each one of :data:`CHOICES`.

    Returns
    -------
    Explorer
        ``line`` says what was checked; ``widget``: the widgets or None.
    """
    ex = Explorer(picture, dict(settings))
    if interactive is None:
        interactive = "JPY_SESSION_NAME" in os.environ
    ex.widget = _widgets(ex) if interactive else None
    if ex.widget is not None:
        from IPython.display import display

        display(ex.widget)
        return ex
    if ex.figure() is not None:
        plt.show()
    print(ex.line)
    print("Run this notebook in JupyterLab to change these with sliders:")
    print("  " + ", ".join([*ex.values, "frame"]))
    return ex


def _widgets(ex):
    """The sliders and menus, the check line and an output area."""
    import ipywidgets as w

    controls = {
        key: (w.Dropdown if isinstance(value, str) else w.SelectionSlider)(
            options=CHOICES[key], value=value, description=key
        )
        for key, value in ex.values.items()
    }
    n = len(ex.picture.frames)
    frame = w.IntSlider(value=ex.frame, min=0, max=n - 1, description="frame")
    out, line = w.Output(), w.Label(ex.line)

    def redraw(change=None):
        changes = {k: c.value for k, c in controls.items()}
        line.value = ex.update(frame=frame.value, **changes)
        if ex.picture is not None:
            frame.max = len(ex.picture.frames) - 1
        with out:
            out.clear_output(wait=True)
            if ex.figure() is not None:
                plt.show()

    for c in [*controls.values(), frame]:
        c.observe(redraw, names="value")
    redraw()
    rows = list(controls.values())
    return w.VBox([w.HBox(rows[:4]), w.HBox([*rows[4:], frame]), line, out])
