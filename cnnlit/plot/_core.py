"""One renderer for every :class:`Picture` (frames, and how to draw one):
:func:`show`, :func:`animate`, :func:`multiples`, after :func:`check_size`
has refused what would take more than a few seconds to draw.
"""

import base64
import io
import re

import matplotlib
from matplotlib import animation
from matplotlib import pyplot as plt

from .._checks import as_real_array, check_int

#: A picture's limits: frames (a 20 x 20 output), cells (numbers drawn) in a
#: frame, cells drawn by one call of animate or multiples (1 to 4 ms each).
MAX_FRAMES, MAX_CELLS, MAX_WORK = 400, 1_200, 5_000
#: The widest row of multiples in inches; pixels per inch as shown (stored 2x).
ROW, DPI = 7.5, 72


class Picture:
    """Frames (``frames``, the numbers each shows) and how to draw them: a
    subclass defines ``layout()`` (a new figure, and its axes), ``draw(axes,
    k)`` (frame ``k``) and ``panel(ax, k)`` (frame ``k``, or None: finished)."""

    #: (width, height) in inches of one panel of :func:`multiples`.
    panel_size = (3.0, 3.0)

    def overview(self):
        """The finished picture as a figure: by default the last frame."""
        return show(self, len(self.frames) - 1)

    def cost(self):
        """``(frames, cells)``: what :func:`check_size` limits."""
        return len(self.frames), 0


def check_size(frames, cells, what="picture", *, drawn=False):
    """Refuse a picture that would take more than a few seconds to draw:
    ``frames`` frames (``drawn``: drawn by one call, which also limits frames
    times cells) of ``cells`` numbers each."""
    why = "each number is drawn as text, so more take longer than a few seconds: use a smaller example"
    says = f"would draw {frames} frames of {cells} cells, {frames * cells} in all; a picture draws at most {MAX_WORK} ({why}, or fewer frames=...)"
    if frames > MAX_FRAMES:
        says = f"would have {frames} frames; a picture has at most {MAX_FRAMES} ({why})"
    elif cells > MAX_CELLS:
        says = f"would draw {cells} cells in a frame; a picture draws at most {MAX_CELLS} ({why})"
    elif not drawn or frames * cells <= MAX_WORK:
        return
    raise ValueError(f"{what} {says}")


def as_map(a, name):
    """``a`` as a non-empty 2-D float64 array (one unit's map)."""
    arr = as_real_array(a, name).astype(float)
    if arr.ndim != 2 or 0 in arr.shape:
        raise ValueError(
            f"{name} must be a non-empty 2-D array, got shape {arr.shape}"
        )
    return arr


def _frames(picture, frames=None):
    """The frame indices to draw (default all; None stays None), once
    ``picture`` is known to be a picture of a size that can be drawn."""
    if not isinstance(picture, Picture):
        raise TypeError(
            f"picture must be a picture made by a cnnlit.plot data function (e.g. cnnlit.plot.slide); got {type(picture).__name__}"
        )
    check_size(*picture.cost(), type(picture).__name__)
    n = len(picture.frames)
    index = lambda k: k if k is None else check_int(k, "frame", -n, n - 1) % n
    return list(range(n)) if frames is None else [index(k) for k in frames]


def show(picture, frame=None):
    """One frame of ``picture`` as a figure.

    Parameters
    ----------
    picture : Picture
    frame : int, optional
        Which frame (negative: from the end); default: the finished picture.

    Returns
    -------
    matplotlib.figure.Figure
    """
    (k,) = _frames(picture, [frame])
    if k is None:
        return picture.overview()
    fig, axes = picture.layout()
    picture.draw(axes, k)
    return fig


# The player made offline and small: no stylesheet from the network, no speed,
# backwards, first or last frame buttons, the frames shown at half their pixels.
_DROP = r'<link[^>]*font-awesome[^>]*>\s*|<button title="(?:Decrease|Increase|Play backwards|First|Last)\b.*?</button>\s*'
_EDITS = [
    ('<img id="_anim', '<img style="width: {}px; max-width: 100%" id="_anim'),
    ('class="anim-state"', 'class="anim-state" style="display: none"'),
    ("width: 374px;", "width: 240px;"),
]


def _small_png(match):
    """A frame reduced to 32 colours: flat cells and text lose nothing."""
    from PIL import Image  # matplotlib's own dependency

    data = base64.b64decode(match.group(1).replace("\\\n", ""))
    out = io.BytesIO()
    image = Image.open(io.BytesIO(data)).convert("RGB")
    image.quantize(colors=32).save(out, "PNG", optimize=True)
    return f'data:image/png;base64,{base64.b64encode(out.getvalue()).decode()}"'


def animate(picture, frames=None):
    """Frames of ``picture`` as an animation that loops, for a notebook.

    Parameters
    ----------
    picture : Picture
    frames : sequence of int, optional
        Which frames, in order (default: all).

    Returns
    -------
    IPython.display.HTML (str without IPython)
        Self-contained: PNGs at twice the pixels shown, a looping player.
    """
    ks = _frames(picture, frames)
    check_size(len(ks), picture.cost()[1], type(picture).__name__, drawn=True)
    fig, axes = picture.layout()
    width = round(fig.get_figwidth() * DPI)
    fig.set_dpi(DPI)

    def update(i):
        for ax in fig.axes:
            ax.clear()
        picture.draw(axes, ks[i])
        return []

    anim = animation.FuncAnimation(
        fig, update, frames=len(ks), interval=900, init_func=lambda: []
    )
    plt.close(fig)
    with matplotlib.rc_context({"savefig.dpi": 2 * DPI}):
        html = anim.to_jshtml(default_mode="loop")
    html = re.sub(r'data:image/png;base64,([^"]*)"', _small_png, html)
    html = re.sub(_DROP, "", html, flags=re.S)
    for old, new in _EDITS:
        html = html.replace(old, new.format(width))
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
        One picture: a panel per frame of ``frames`` (default all). Several:
        a panel each, of a frame per picture in ``frames`` (None: finished).
    ncols : int, optional
        Panels per row (default 4), no more than fit :data:`ROW` inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if isinstance(picture, Picture):
        jobs = [(picture, k) for k in _frames(picture, frames)]
    else:
        ks = [None] * len(picture) if frames is None else frames
        pairs = zip(picture, ks, strict=True)
        jobs = [(p, *_frames(p, [k])) for p, k in pairs]
    cells = max(p.cost()[1] for p, _ in jobs)
    check_size(len(jobs), cells, "multiples of these", drawn=True)
    w, h = (max(s) for s in zip(*(p.panel_size for p, _ in jobs), strict=True))
    ncols = min(ncols or 4, max(1, int(ROW // w)), len(jobs))
    nrows = -(-len(jobs) // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, squeeze=False, figsize=(w * ncols, h * nrows), dpi=DPI
    )
    for ax, (p, k) in zip(axes.flat, jobs, strict=False):
        p.panel(ax, k)
    for ax in axes.flat[len(jobs) :]:
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
        set_matplotlib_formats("retina")
