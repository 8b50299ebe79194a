"""Explore a picture: sliders and menus for its parameters, in JupyterLab.

:func:`explore` builds a small example (integers from a seeded generator) for
the settings chosen, draws the picture with the one renderer of
:mod:`cnnlit.plot`, and checks the picture's numbers against the package
function that computes the same thing. Where no widget can be shown (the HTML
book, a notebook run by ``nbconvert``) it draws the picture at its settings
and says how to run it interactively.
"""

import os
from dataclasses import dataclass, field

import numpy as np
from matplotlib import pyplot as plt

from .. import (
    conv_backward,
    conv_forward,
    conv_transpose_forward,
    pool_backward,
)
from ._core import show
from .backward import delta_backprop, weight_update
from .layers import feedforward, pool_route
from .sliding import slide
from .transpose import transpose_scatter

__all__ = ["explore", "Explorer", "EXPLORERS"]

#: The sliders and menus: parameter -> the values it may take.
CHOICES = {
    "size": (3, 4, 5, 6, 7),
    "kernel": (1, 2, 3, 4),
    "stride": (1, 2, 3),
    "padding": (0, 1, 2),
    "dilation": (1, 2),
    "boundary": ("fill", "wrap", "symm"),
    "convention": ("convolution", "correlation"),
    "mode": ("max", "mean"),
    "channels": (1, 2, 3),
}


def _example(shape, seed):
    """Small integers, the same for the same shape and seed."""
    return np.random.default_rng(seed).integers(-2, 4, shape).astype(float)


def _conv_opts(v):
    return {k: v[k] for k in ("stride", "padding", "dilation") if k in v}


def _slide(v):
    o, w = _example((v["size"],) * 2, 0), _example((v["kernel"],) * 2, 1)
    pic = slide(
        o,
        w,
        convention=v["convention"],
        boundary=v["boundary"],
        **_conv_opts(v),
    )
    opts = dict(
        _conv_opts(v), boundary=v["boundary"], convention=v["convention"]
    )
    ref = conv_forward(o[None], w[None, None], None, **opts)[0]
    return pic, pic.output, ref, "cnnlit.conv_forward"


def _feedforward(v):
    C, n, k = v["channels"], v["size"], v["kernel"]
    o, w = _example((C, n, n), 0), _example((2, C, k, k), 1)
    b = np.array([0.5, -1.0])
    pic = feedforward(o, w, b, activation="relu", **_conv_opts(v))
    ref = conv_forward(o, w, b, **_conv_opts(v))[0]
    return pic, pic.c, ref, "cnnlit.conv_forward"


def _backward_example(v):
    n, k = v["size"], v["kernel"]
    o, w = _example((n, n), 0), _example((k, k), 1)
    opts = dict(_conv_opts(v), convention=v["convention"])
    c = conv_forward(o[None], w[None, None], None, **opts)[0]
    delta = _example(c.shape, 2)
    grads = conv_backward(
        delta[None, None], o[None, None], w[None, None], **opts
    )
    return o, w, delta, opts, grads


def _weight_update(v):
    o, w, delta, opts, grads = _backward_example(v)
    pic = weight_update(o, delta, w.shape, **opts)
    return pic, pic.dE_dw, grads[0][0, 0], "cnnlit.conv_backward (dE/dw)"


def _delta_backprop(v):
    o, w, delta, opts, grads = _backward_example(v)
    opts.pop("padding", None)
    pic = delta_backprop(delta, w, shape=o.shape, **opts)
    return pic, pic.dE_do, grads[2][0, 0], "cnnlit.conv_backward (dE/do)"


def _pool_route(v):
    n, k, s = v["size"], v["kernel"], v["stride"]
    o = _example((n, n), 0)
    out = (n - k) // s + 1
    delta = _example((out, out), 2)
    pic = pool_route(delta, o, k, stride=s, mode=v["mode"])
    ref = pool_backward(delta[None], o[None], k, stride=s, mode=v["mode"])[0]
    return pic, pic.grad, ref, "cnnlit.pool_backward"


def _transpose(v):
    x, w = _example((v["size"],) * 2, 0), _example((v["kernel"],) * 2, 1)
    opts = dict(_conv_opts(v), convention=v["convention"])
    pic = transpose_scatter(x, w, **opts)
    ref = conv_transpose_forward(x[None], w[None, None], None, **opts)[0]
    return pic, pic.output, ref, "cnnlit.conv_transpose_forward"


_FORWARD = dict(
    size=4,
    kernel=2,
    stride=1,
    padding=0,
    dilation=1,
    boundary="fill",
    convention="convolution",
)
_BACKWARD = dict(
    size=4, kernel=2, stride=1, padding=0, dilation=1, convention="convolution"
)
#: name -> (builder, default settings): the pictures :func:`explore` knows.
EXPLORERS = {
    "slide": (_slide, _FORWARD),
    "feedforward": (
        _feedforward,
        dict(channels=2, size=4, kernel=2, stride=1, padding=0),
    ),
    "weight_update": (_weight_update, _BACKWARD),
    "delta_backprop": (
        _delta_backprop,
        dict(size=4, kernel=2, stride=1, dilation=1, convention="convolution"),
    ),
    "pool_route": (_pool_route, dict(size=4, kernel=2, stride=1, mode="max")),
    "transpose_scatter": (
        _transpose,
        dict(
            size=2,
            kernel=3,
            stride=2,
            padding=0,
            dilation=1,
            convention="convolution",
        ),
    ),
}


@dataclass
class Explorer:
    """The state behind the widgets: settings, the picture, the check.

    :meth:`update` is what a widget calls on a change; it is a plain method
    so that it can be called (and tested) without a browser.
    """

    name: str
    values: dict = field(default_factory=dict)
    frame: int = 0

    def __post_init__(self):
        if self.name not in EXPLORERS:
            raise ValueError(
                f"picture must be one of {', '.join(map(repr, EXPLORERS))}; "
                f"got {self.name!r}"
            )
        defaults = EXPLORERS[self.name][1]
        for key, value in self.values.items():
            if key not in defaults or value not in CHOICES[key]:
                choices = {k: CHOICES[k] for k in defaults}
                raise ValueError(
                    f"{key}={value!r} is not a setting of {self.name!r}; "
                    f"the settings and their values are {choices}"
                )
        self.values = {**defaults, **self.values}
        self.update()

    def update(self, **changes):
        """Apply ``changes`` (settings, or ``frame``); rebuild and recheck.

        Returns the line that says what was checked (or why the settings
        make no picture), also kept as ``self.line``.
        """
        self.frame = changes.pop("frame", self.frame)
        self.values.update(changes)
        try:
            pic, mine, ref, by = EXPLORERS[self.name][0](self.values)
        except ValueError as exc:  # e.g. a kernel larger than the input
            self.picture, self.ok = None, False
            self.line = f"no picture for these settings: {exc}"
            return self.line
        self.picture = pic
        self.frame = min(max(self.frame, 0), len(pic.frames) - 1)
        self.ok = bool(np.allclose(mine, ref))
        shape = "\u00d7".join(map(str, np.shape(mine)))
        self.line = (
            f"{len(pic.frames)} frames; the picture's {shape} result "
            f"{'equals' if self.ok else 'DIFFERS FROM'} {by}"
        )
        return self.line

    def figure(self):
        """The picture at the current frame (None if there is none)."""
        if self.picture is None:
            return None
        return show(self.picture, self.frame)


def _frontend():
    """True in a kernel that JupyterLab (a Jupyter server) started."""
    return "JPY_SESSION_NAME" in os.environ


def explore(picture="slide", *, interactive=None, **settings):
    """Sliders and menus for a picture's parameters, redrawn on each change.

    Parameters
    ----------
    picture : str
        One of :data:`EXPLORERS`: ``'slide'`` (convolution or correlation),
        ``'feedforward'``, ``'weight_update'``, ``'delta_backprop'``,
        ``'pool_route'``, ``'transpose_scatter'``.
    interactive : bool, optional
        Widgets (True) or a static picture with a hint (False). Default: the
        widgets in a kernel started by JupyterLab, else the static picture.
    **settings
        Starting values (input ``size``, ``kernel`` size, ``stride``,
        ``padding``, ``dilation``, ``boundary``, ``convention``, pooling
        ``mode``, ``channels``), each one of :data:`CHOICES`.

    Returns
    -------
    Explorer
        Its ``line`` says what the picture's numbers were checked against;
        ``widget`` holds the widgets when interactive.
    """
    ex = Explorer(picture, dict(settings))
    if interactive is None:
        interactive = _frontend()
    ex.widget = _widgets(ex) if interactive else None
    if ex.widget is None:
        fig = ex.figure()
        if fig is not None:
            plt.show()
        print(ex.line)
        print(
            "Run this notebook in JupyterLab (pip install cnnlit[plot]) to "
            f"change {', '.join(ex.values)} and the frame with sliders."
        )
    else:
        from IPython.display import display

        display(ex.widget)
    return ex


def _widgets(ex):
    """The sliders and menus, an output area, and the check line."""
    import ipywidgets as w

    controls = {}
    for key, value in ex.values.items():
        options = CHOICES[key]
        if isinstance(value, str):
            controls[key] = w.Dropdown(
                options=options, value=value, description=key
            )
        else:
            controls[key] = w.SelectionSlider(
                options=options, value=value, description=key
            )
    frame = w.IntSlider(
        value=ex.frame,
        min=0,
        max=len(ex.picture.frames) - 1,
        description="frame",
    )
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
    box = w.VBox(
        [
            w.HBox(list(controls.values())[:4]),
            w.HBox([*list(controls.values())[4:], frame]),
            line,
            out,
        ]
    )
    box.redraw = redraw
    return box
