"""The pictures as the chapters store them: sharp, hidden code, looping
players, an explorer at the end, no widget state (the book loads no script
from the network). Reads the committed notebooks; nbval re-runs them."""

import base64
import json
import re
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parent.parent / "book"
CHAPTERS = [
    "convolution",
    "correlation",
    "padding",
    "feedforward",
    "weight_update",
    "deltas",
    "pooling",
    "conventions",
    "adjoint",
]
# cells that draw while they check (a loop of asserts around the drawing)
MIXED = {("conventions", "footprint"), ("adjoint", "copies = []")}


def _cells(name):
    return json.loads((BOOK / f"{name}.ipynb").read_text())["cells"]


def _text(value):
    return value if isinstance(value, str) else "".join(value)


def _pictures(cell):
    for out in cell.get("outputs", []):
        data = out.get("data", {})
        if "image/png" in data:
            yield "png", data["image/png"], out.get("metadata", {})
        if "<script" in _text(data.get("text/html", "")):
            yield "html", _text(data["text/html"]), {}


@pytest.mark.parametrize("name", CHAPTERS)
def test_figures_are_stored_at_twice_the_width_they_are_shown(name):
    n = 0
    for cell in _cells(name):
        for kind, data, meta in _pictures(cell):
            if kind != "png":
                continue
            png = base64.b64decode(_text(data))
            pixels = int.from_bytes(png[16:20], "big")
            shown = meta["image/png"]["width"]
            assert abs(pixels - 2 * shown) <= 2, (name, pixels, shown)
            n += 1
    assert n > 0


@pytest.mark.parametrize("name", CHAPTERS)
def test_animations_loop_offline_and_stay_small(name):
    for cell in _cells(name):
        for kind, html, _ in _pictures(cell):
            if kind != "html":
                continue
            assert "<link" not in html and not re.search("https?://", html)
            assert re.search(r'value="loop" id="[^"]*"\s*checked', html)
            assert len(html) < 1_000_000, (name, len(html))
            assert 'style="width: ' in html  # shown at half its pixels


@pytest.mark.parametrize("name", CHAPTERS)
def test_picture_cells_hide_their_code(name):
    for cell in _cells(name):
        if cell["cell_type"] != "code" or not list(_pictures(cell)):
            continue
        source = _text(cell["source"])
        if any(n == name and key in source for n, key in MIXED):
            continue
        assert "hide-input" in cell["metadata"].get("tags", []), source[:80]


@pytest.mark.parametrize("name", CHAPTERS)
def test_each_chapter_ends_with_an_explorer_and_no_widget_state(name):
    nb = json.loads((BOOK / f"{name}.ipynb").read_text())
    assert "widgets" not in nb["metadata"]
    last = nb["cells"][-1]
    assert "explore(" in _text(last["source"])
    printed = "".join(
        _text(o.get("text", "")) for o in last["outputs"] if "text" in o
    )
    assert "equals cnnlit." in printed and "JupyterLab" in printed
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            assert "application/vnd.jupyter.widget-view+json" not in out.get(
                "data", {}
            )
