"""One mechanism for every picture: frames, one renderer, and its limits.

A *picture* is a sequence of frames whose numbers the package computes (a
data function such as :func:`cnnlit.plot.slide` returns one). It knows how to
lay out one frame's figure and draw frame ``k`` into it, and how to draw frame
``k`` small on one axes. Everything else is done here, once, for every
picture: :func:`show` draws one frame (or the finished picture),
:func:`animate` plays every frame, :func:`multiples` lays frames (or several
pictures) side by side, and :func:`check_size` refuses a picture too large
to draw in a few seconds.
"""

import base64
import io
import re

import matplotlib
import numpy as np
from matplotlib import animation
from matplotlib import pyplot as plt

from .._checks import as_real_array

__all__ = ["Picture", "show", "animate", "multiples", "check_size"]

#: The most frames a picture may have (a 20 x 20 output): a picture is for a
#: hand-sized example, and more frames cannot be drawn in a few seconds.
MAX_FRAMES = 400
#: The most cells (numbers written in a grid) one frame may draw: more are
#: too small to read in the book's column.
MAX_CELLS = 1_200
#: The most cells one call of :func:`animate` or :func:`multiples` may draw
#: (frames times cells per frame): each number is drawn as text, 1 to 4 ms
#: each, so that an animation or a page of panels takes a few seconds.
MAX_WORK = 5_000
#: The widest row of :func:`multiples`, in inches: 540 pixels, shown at its
#: size in the book's column and at about 0.7 of it on a 412-pixel phone.
ROW = 7.5
#: Pixels per inch of a figure as shown (a point of text is then one pixel);
#: images are stored at twice as many pixels, sharp on hi-dpi screens.
DPI = 72


class Picture:
    """A picture: its frames (the numbers each shows) and how to draw one.

    Subclasses (the data classes of :mod:`cnnlit.plot`) have a ``frames``
    sequence and define :meth:`layout` and :meth:`draw`; those that can be
    shown small define :meth:`panel` (and ``panel_size``), those with a
    finished view other than their last frame define :meth:`overview`.
    """

    #: (width, height) in inches of one panel of :func:`multiples`.
    panel_size = (3.0, 3.0)

    def layout(self):
        """A new figure for one frame, and the axes :meth:`draw` draws on."""
        raise NotImplementedError(f"{type(self).__name__} has no frame view")

    def draw(self, axes, k):
        """Draw frame ``k`` (an index into ``frames``) on ``axes``."""
        raise NotImplementedError(f"{type(self).__name__} has no frame view")

    def panel(self, ax, k):
        """Draw frame ``k`` small on one axes (``k=None``: the finished one)."""
        raise NotImplementedError(f"{type(self).__name__} has no panel view")

    def overview(self):
        """The finished picture as a figure; by default the last frame."""
        return show(self, len(self.frames) - 1)

    def cost(self):
        """``(frames, cells)``: the number of frames and of cells one draws
        (what :func:`check_size` limits)."""
        return len(self.frames), 0


def check_size(frames, cells, what="picture", *, drawn=False):
    """Refuse a picture that would take more than a few seconds to draw.

    A picture is for a hand-sized example. ``frames`` is the number of frames
    it has (or, with ``drawn=True``, the number one call draws), ``cells``
    the number of grid cells (numbers) one frame draws. Every data function
    calls this before computing anything, with the size its arguments imply;
    :func:`animate` and :func:`multiples` call it with ``drawn=True`` before
    drawing anything, which also limits frames times cells.

    Raises
    ------
    ValueError
        Past :data:`MAX_FRAMES` frames or :data:`MAX_CELLS` cells, saying the
        limit and why.
    """
    if frames > MAX_FRAMES:
        raise ValueError(
            f"{what} would have {frames} frames; a picture has at most "
            f"{MAX_FRAMES} (each frame is drawn and stored as an image, so "
            "more take longer than a few seconds): use a smaller example"
        )
    if cells > MAX_CELLS:
        raise ValueError(
            f"{what} would draw {cells} cells in a frame; a picture draws at "
            f"most {MAX_CELLS} (each number is drawn as text, so more take "
            "longer than a few seconds and are too small to read): use a "
            "smaller example"
        )
    if drawn and frames * cells > MAX_WORK:
        raise ValueError(
            f"{what} would draw {frames} frames of {cells} cells, "
            f"{frames * cells} in all; a picture draws at most {MAX_WORK} "
            "(each number is drawn as text, so more take longer than a few "
            "seconds): draw fewer frames (frames=...) or a smaller example"
        )


def as_map(a, name):
    """``a`` as a float64 2-D array with at least one cell (one unit's map),
    validated by :func:`cnnlit._checks.as_real_array`; the one check of the
    pictures' numeric input."""
    arr = as_real_array(a, name).astype(float)
    if arr.ndim != 2 or 0 in arr.shape:
        raise ValueError(
            f"{name} must be a non-empty 2-D array, got shape {arr.shape}"
        )
    return arr


def _picture(picture):
    if not isinstance(picture, Picture):
        raise TypeError(
            "picture must be a picture made by a cnnlit.plot data function "
            f"(e.g. cnnlit.plot.slide); got {type(picture).__name__}"
        )
    check_size(*picture.cost(), type(picture).__name__)
    return picture


def _drawn(n, picture):
    """Refuse to draw ``n`` frames of ``picture`` past the work limit."""
    check_size(n, picture.cost()[1], type(picture).__name__, drawn=True)


def _frame(picture, k):
    n = len(picture.frames)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"frame must be an int, got {k!r}")
    if not -n <= k < n:
        raise ValueError(f"frame must be an int in [-{n}, {n}), got {k}")
    return int(k) % n


def show(picture, frame=None):
    """One frame of ``picture`` as a figure; ``frame=None``: the finished one.

    Parameters
    ----------
    picture : Picture
        From a data function of :mod:`cnnlit.plot`.
    frame : int or None
        Which frame (negative counts from the end). None: the finished
        picture (its overview, or its last frame).

    Returns
    -------
    matplotlib.figure.Figure
    """
    _picture(picture)
    if frame is None:
        return picture.overview()
    k = _frame(picture, frame)
    fig, axes = picture.layout()
    picture.draw(axes, k)
    return fig


_FONT_AWESOME = re.compile(r"<link[^>]*font-awesome[^>]*>\s*")
# Buttons a reader does not need: speed, play backwards, first and last frame.
_EXTRA_BUTTONS = re.compile(
    r"<button title=\"(?:Decrease speed|Increase speed|Play backwards|"
    r"First frame|Last frame)\".*?</button>\s*",
    re.S,
)


_FRAME = re.compile(r"data:image/png;base64,([^\"]*)\"")


def _small_png(match):
    """A frame with its colours reduced to 32: a picture of flat cells and
    text loses nothing visible, and the frame shrinks about fourfold."""
    from PIL import Image  # matplotlib's own dependency

    data = base64.b64decode(match.group(1).replace("\\\n", ""))
    image = Image.open(io.BytesIO(data)).convert("RGB")
    out = io.BytesIO()
    image.quantize(colors=32).save(out, "PNG", optimize=True)
    return f'data:image/png;base64,{base64.b64encode(out.getvalue()).decode()}"'


def _compact(html, width):
    """The player's HTML, offline, looping, with small controls."""
    html = _FRAME.sub(_small_png, html)
    html = _FONT_AWESOME.sub("", html)
    html = _EXTRA_BUTTONS.sub("", html)
    html = html.replace(
        '<img id="_anim_img',
        f'<img style="width: {width}px; max-width: 100%" id="_anim_img',
    )
    html = html.replace(
        'class="anim-state"', 'class="anim-state" style="display: none"'
    )
    return html.replace("width: 374px;", "width: 240px;")


def animate(picture, frames=None, *, interval=900):
    """Every frame of ``picture`` as an animation that loops, for a notebook.

    Parameters
    ----------
    picture : Picture
    frames : sequence of int, optional
        Which frames, in order (default: all).
    interval : int
        Milliseconds per frame.

    Returns
    -------
    IPython.display.HTML (str without IPython)
        Self-contained HTML: frames embedded as PNG at twice the pixels they
        are shown at, an inline player (no stylesheet from the network),
        looping.
    """
    _picture(picture)
    ks = (
        list(range(len(picture.frames)))
        if frames is None
        else [_frame(picture, k) for k in frames]
    )
    _drawn(len(ks), picture)
    fig, axes = picture.layout()
    width = round(fig.get_figwidth() * DPI)
    fig.set_dpi(DPI)

    def update(i):
        for ax in fig.axes:
            ax.clear()
        picture.draw(axes, ks[i])
        return []

    anim = animation.FuncAnimation(
        fig, update, frames=len(ks), interval=interval, init_func=lambda: []
    )
    plt.close(fig)
    with matplotlib.rc_context({"savefig.dpi": 2 * DPI}):
        html = anim.to_jshtml(default_mode="loop")
    html = _compact(html, width)
    try:
        from IPython.display import HTML
    except ImportError:  # pragma: no cover - IPython comes with Jupyter
        return html
    return HTML(html)


def multiples(picture, frames=None, *, ncols=None):
    """Frames of one picture, or several pictures, side by side.

    Parameters
    ----------
    picture : Picture or sequence of Picture
        One picture: its ``frames`` (default all) one panel each. A sequence:
        each picture's finished panel (``frames`` then picks one frame per
        picture, None for the finished one).
    ncols : int, optional
        Panels per row (default 4); never more than fit a row of
        :data:`ROW` inches, so that the numbers stay legible in the book's
        column and on a phone (fewer panels a row, more rows).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if isinstance(picture, Picture):
        pictures = [_picture(picture)]
        ks = (
            range(len(picture.frames))
            if frames is None
            else [_frame(picture, k) for k in frames]
        )
        jobs = [(picture, k) for k in ks]
    else:
        pictures = [_picture(p) for p in picture]
        if frames is None:
            frames = [None] * len(pictures)
        jobs = [
            (p, None if k is None else _frame(p, k))
            for p, k in zip(pictures, frames, strict=True)
        ]
    if not jobs:
        raise ValueError("multiples needs at least one panel")
    check_size(
        len(jobs),
        max(p.cost()[1] for p in pictures),
        "multiples of these",
        drawn=True,
    )
    w = max(p.panel_size[0] for p in pictures)
    h = max(p.panel_size[1] for p in pictures)
    ncols = min(ncols or 4, max(1, int(ROW // w)), len(jobs))
    nrows = -(-len(jobs) // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, squeeze=False, figsize=(w * ncols, h * nrows), dpi=DPI
    )
    for ax, (p, k) in zip(axes.flat, jobs, strict=False):
        p.panel(ax, k)
    for ax in list(axes.flat)[len(jobs) :]:
        ax.set_axis_off()
    fig.tight_layout()
    return fig


def _retina():
    """In a Jupyter kernel, store inline figures at twice their pixels."""
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # pragma: no cover - not in Jupyter
        return
    if type(get_ipython()).__name__ == "ZMQInteractiveShell":
        # only the stored pixels change: a figure keeps its size and dpi
        set_matplotlib_formats("retina")
