"""The chapters as documents: code that fits the page, and code quotes that
still point at something.

nbval checks that every chapter still runs and prints the same; these tests
check what nbval cannot see. A code line longer than 80 characters is cut off
in the HTML column. A ``literalinclude`` whose file or ``:pyobject:`` has been
renamed only breaks the book build, so each one is resolved here: its file
exists and the object it names is defined in it. The derivation chapters quote
the readable, public code (the loops of :mod:`cnnlit.reference`, public
functions); only the performance chapter, which explains the optimised code,
may quote private names. Its tables of measurements are markdown, so they are
compared here with the recorded numbers its code cell asserts.
"""

import ast
import importlib.util
import json
import re
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parent.parent / "book"
CHAPTERS = sorted(BOOK.glob("*.ipynb"))
PAGES = sorted(BOOK.glob("*.md"))
MAX_COLUMNS = 80
#: The chapter that explains the optimised code may quote its private names.
MAY_QUOTE_PRIVATE = {"performance"}


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _source(cell):
    src = cell["source"]
    return src if isinstance(src, str) else "".join(src)


def _markdown(path):
    """The markdown text of a chapter (its markdown cells) or of a page."""
    if path.suffix == ".md":
        return path.read_text(encoding="utf-8")
    return "\n\n".join(
        _source(c) for c in _cells(path) if c["cell_type"] == "markdown"
    )


# ```{literalinclude} path   or   :::{literalinclude} path   (MyST), followed
# by option lines ":name: value"; and reST's ".. literalinclude:: path" with
# indented ":name: value" options (inside {eval-rst}).
_MYST = re.compile(
    r"^(?:`{3,}|:{3,})\{literalinclude\}[ \t]+(?P<path>\S+)[ \t]*\n"
    r"(?P<opts>(?:[ \t]*:[\w-]+:.*\n?)*)",
    re.MULTILINE,
)
_RST = re.compile(
    r"^[ \t]*\.\.[ \t]+literalinclude::[ \t]+(?P<path>\S+)[ \t]*\n"
    r"(?P<opts>(?:[ \t]+:[\w-]+:.*\n?)*)",
    re.MULTILINE,
)
_OPTION = re.compile(
    r"^[ \t]*:(?P<name>[\w-]+):[ \t]*(?P<value>.*?)[ \t]*$", re.MULTILINE
)
_AUTOMODULE = re.compile(
    r"^[ \t]*\.\.[ \t]+automodule::[ \t]+(?P<name>[\w.]+)", re.MULTILINE
)


def literalincludes(doc):
    """Every literalinclude of a chapter or page: (file path, pyobject or None)."""
    text = _markdown(doc)
    found = []
    for pattern in (_MYST, _RST):
        for match in pattern.finditer(text):
            options = {
                m["name"]: m["value"] for m in _OPTION.finditer(match["opts"])
            }
            found.append((match["path"], options.get("pyobject")))
    return found


def _definition(tree, dotted):
    """The node that defines ``dotted`` ("f", "Class.method", ...) in ``tree``, or None."""
    body, found = tree.body, None
    for part in dotted.split("."):
        for node in body:
            if (
                isinstance(
                    node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
                )
                and node.name == part
            ):
                body, found = node.body, node
                break
        else:
            return None
    return found


def _defines(tree, dotted):
    """Whether the module ``tree`` defines ``dotted``."""
    return _definition(tree, dotted) is not None


QUOTES = [
    (doc, path, obj)
    for doc in CHAPTERS + PAGES
    for path, obj in literalincludes(doc)
]


def _quote_id(quote):
    doc, path, obj = quote
    return f"{doc.name}:{Path(path).name}" + (f":{obj}" if obj else "")


# ---------------------------------------------------------------- code width


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_code_lines_fit_80_columns(chapter):
    too_long = []
    code_cells = [c for c in _cells(chapter) if c["cell_type"] == "code"]
    for k, cell in enumerate(code_cells, start=1):
        for j, line in enumerate(_source(cell).splitlines(), start=1):
            if len(line) > MAX_COLUMNS:
                too_long.append(
                    f"  code cell {k}, line {j} ({len(line)} characters): {line[:60]}..."
                )
    assert not too_long, (
        f"{chapter.name}: {len(too_long)} code lines longer than "
        f"{MAX_COLUMNS} characters:\n" + "\n".join(too_long)
    )


# ---------------------------------------------------------------- executed


_MACHINE_PATH = re.compile(r"/(work|root|tmp|home)/[\w.-]+")


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_chapters_are_committed_executed_in_order(chapter):
    # nbval compares nothing for a cell saved without output: every code cell ran,
    # top to bottom in one kernel, without an error, and printed no path of the machine
    cells = [c for c in _cells(chapter) if c["cell_type"] == "code"]
    counts = [c.get("execution_count") for c in cells]
    assert None not in counts, (
        f"{chapter.name}: code cells never executed: {counts.count(None)}"
    )
    assert counts == list(range(1, len(counts) + 1)), (
        f"{chapter.name}: execution counts {counts}"
    )
    errors = [
        o.get("ename")
        for c in cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors, f"{chapter.name}: saved with error outputs {errors}"
    text = json.dumps([c.get("outputs", []) for c in cells])
    found = _MACHINE_PATH.search(text)
    assert not found, (
        f"{chapter.name}: an output holds a machine path: {found.group(0)}"
    )


# ---------------------------------------------------------------- quotes


def test_the_parser_finds_the_quotes():
    # guards the regular expressions above: a chapter with known quotes is read
    text = (
        "```{literalinclude} ../cnnlit/reference.py\n:pyobject: conv_forward\n"
        ":language: python\n```\n\n.. literalinclude:: ../cnnlit/conv.py\n"
        "   :pyobject: _Geometry.cols\n"
    )
    found = []
    for pattern in (_MYST, _RST):
        for match in pattern.finditer(text):
            options = {
                m["name"]: m["value"] for m in _OPTION.finditer(match["opts"])
            }
            found.append((match["path"], options.get("pyobject")))
    assert found == [
        ("../cnnlit/reference.py", "conv_forward"),
        ("../cnnlit/conv.py", "_Geometry.cols"),
    ]
    assert QUOTES, "no literalinclude found in the book"


@pytest.mark.parametrize("quote", QUOTES, ids=[_quote_id(q) for q in QUOTES])
def test_literalinclude_resolves(quote):
    doc, path, obj = quote
    target = (doc.parent / path).resolve()
    assert target.is_file(), (
        f"{doc.name}: literalinclude of {path}: no such file"
    )
    if obj is None:
        return
    tree = ast.parse(target.read_text(encoding="utf-8"), filename=str(target))
    assert _defines(tree, obj), (
        f"{doc.name}: literalinclude of {path} names :pyobject: {obj}, "
        f"which {target.name} does not define"
    )


@pytest.mark.parametrize(
    "quote",
    [q for q in QUOTES if q[2]],
    ids=[_quote_id(q) for q in QUOTES if q[2]],
)
def test_quoted_code_fits_80_columns(quote):
    # a quoted function is shown in the same 80-column HTML column as the code cells
    doc, path, obj = quote
    target = (doc.parent / path).resolve()
    source = target.read_text(encoding="utf-8")
    node = _definition(ast.parse(source), obj)
    assert node is not None, f"{path} does not define {obj}"
    first = min(
        [node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]
    )
    lines = source.splitlines()[first - 1 : node.end_lineno]
    too_long = [
        f"  line {first + k} ({len(line)} characters): {line[:60]}..."
        for k, line in enumerate(lines)
        if len(line) > MAX_COLUMNS
    ]
    assert not too_long, (
        f"{doc.name} quotes {Path(path).name}:{obj}, whose lines run past "
        f"{MAX_COLUMNS} columns:\n" + "\n".join(too_long)
    )


def test_defines_finds_functions_classes_and_methods():
    tree = ast.parse(
        "def f():\n    pass\nclass C:\n    def g(self):\n        pass\n"
    )
    assert _defines(tree, "f") and _defines(tree, "C") and _defines(tree, "C.g")
    assert (
        not _defines(tree, "g")
        and not _defines(tree, "C.f")
        and not _defines(tree, "D")
    )


DERIVATIONS = [c for c in CHAPTERS if c.stem not in MAY_QUOTE_PRIVATE]


@pytest.mark.parametrize(
    "chapter", DERIVATIONS, ids=[c.stem for c in DERIVATIONS]
)
def test_derivations_quote_public_code_only(chapter):
    private = [
        f"{path} :pyobject: {obj}"
        for path, obj in literalincludes(chapter)
        if obj and any(part.startswith("_") for part in obj.split("."))
    ]
    assert not private, (
        f"{chapter.name} quotes private code; show the loops of "
        f"cnnlit.reference or a public function instead: {private}"
    )


AUTOMODULES = [
    (page, m["name"])
    for page in PAGES
    for m in _AUTOMODULE.finditer(_markdown(page))
]


@pytest.mark.parametrize(
    "entry", AUTOMODULES, ids=[f"{p.name}:{n}" for p, n in AUTOMODULES]
)
def test_automodule_targets_exist(entry):
    page, name = entry
    assert importlib.util.find_spec(name) is not None, (
        f"{page.name}: automodule {name}: no such module"
    )


def _recorded_numbers():
    """Every literal assignment of the performance chapter's recorded-numbers cell, by name."""
    for cell in _cells(BOOK / "performance.ipynb"):
        src = _source(cell)
        if cell["cell_type"] == "code" and "one_thread = [" in src:
            break
    else:
        raise AssertionError("no recorded numbers in performance.ipynb")
    names = {}
    for node in ast.parse(src).body:
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            continue
        target = node.targets[0]
        try:
            value = _literal(node.value, names)
        except (ValueError, KeyError):
            continue  # computed, not recorded
        if isinstance(target, ast.Name):
            names[target.id] = value
        elif isinstance(target, ast.Tuple):  # L1, L2 = (...), (...)
            for t, v in zip(target.elts, value, strict=True):
                names[t.id] = v
    return names


def _literal(node, names):
    """A literal whose names (the layers L1 .. L4) are looked up in ``names``."""
    if isinstance(node, ast.Name):
        return names[node.id]
    if isinstance(node, ast.Tuple | ast.List):
        return [_literal(e, names) for e in node.elts]
    if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "dict":
        return {k.arg: _literal(k.value, names) for k in node.keywords}
    if isinstance(node, ast.Dict):
        return {
            _literal(k, names): _literal(v, names)
            for k, v in zip(node.keys, node.values, strict=True)
        }
    return ast.literal_eval(node)


def _cell_value(text):
    """A markdown table cell as the recorded cell writes it: a tuple as a list, '-' as None."""
    text = text.strip()
    if text == "-":
        return None
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
    return list(value) if isinstance(value, tuple) else value


#: The recorded tables of "Where it stands", in the order the chapter shows them.
RECORDED_TABLES = (
    "products",
    "one_thread",
    "two_threads",
    "busy",
    "busy_over_quiet",
    "large",
    "sweep",
    "floor",
)


def test_performance_tables_are_the_asserted_numbers():
    # The chapter's markdown tables are what the reader sees; the recorded
    # numbers its code cell asserts must be the same, row for row.
    text = _markdown(BOOK / "performance.ipynb")
    section = text[text.index("(where-it-stands)=") :]
    shown = []
    for line in section.splitlines():
        line = line.strip()
        if line.startswith("|") and not line.startswith("|---"):
            cells = [_cell_value(c) for c in line.strip("|").split("|")]
            if isinstance(cells[0], list) or cells[0] in {
                r[0] for r in _recorded_numbers().get("sweep", [])
            }:
                shown.append(cells)
    rec = _recorded_numbers()
    want = [row for name in RECORDED_TABLES for row in rec.get(name, [])]
    assert shown == want
    flat = " ".join(section.split())
    step = rec["step"]
    assert step["cnnlit"] is None or (
        f"cnnlit {step['cnnlit']} µs, the previous cnnlit "
        f"{step['previous']} µs, PyTorch {step['torch']} µs, the numpy "
        f"im2col layer {step['im2col']} µs" in flat
    )


def test_the_targets_table_is_the_recorded_target_lines():
    # "Against the targets" shows each target's verdict, its limit and the
    # five runs' lines as the recorded cell holds them; the verdict follows.
    text = _markdown(BOOK / "performance.ipynb")
    section = text[text.index("### Against the targets") :]
    start = section.index("| target |")
    table = section[start : section.index("```", start)]
    shown = [
        [c.strip() for c in line.strip().strip("|").split("|")]
        for line in table.splitlines()[2:]  # below the header and its rule
    ]
    rec = _recorded_numbers()
    names = ("first_run", "second_run", "third_run", "fourth_run", "fifth_run")
    runs = [rec[name] for name in names]
    times = {1: "once", 2: "twice", 3: "three times", 4: "four times"}
    want = []
    for lines in zip(*runs, strict=True):
        (name, _, limit), values = lines[0], [v for _, v, _ in lines]
        assert all((n, lim) == (name, limit) for n, _, lim in lines)
        met = sum(v <= limit for v in values)
        verdict = (
            "met" if met == len(values) else "missed" if met == 0
            else f"met {times[met]}, missed {times[len(values) - met]}"
        )  # fmt: skip
        want.append([name, verdict, f"{limit:.1f}"]
                    + [f"{v:.2f}" for v in values])  # fmt: skip
    assert shown == want


def test_the_five_changes_table_is_the_recorded_history():
    # The table of "Five changes" against the cell that records and checks it.
    text = _markdown(BOOK / "performance.ipynb")
    section = text[text.index("(five-changes)=") : text.index("### Blocks")]
    rows = {}
    for line in section.splitlines():
        if (
            line.startswith("| (")
            or line.startswith("| geometric")
            or (line.startswith("| worst"))
        ):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows[cells[0]] = [float(c) for c in cells[1:] if c]
    for cell in _cells(BOOK / "performance.ipynb"):
        src = _source(cell)
        if cell["cell_type"] == "code" and src.startswith("# The table above"):
            break
    else:
        raise AssertionError("no recorded history in performance.ipynb")
    names = {}
    for node in ast.parse(src).body:
        if isinstance(node, ast.Assign) and isinstance(
            node.targets[0], ast.Name
        ):
            try:
                names[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    history = dict(names["history"])
    history["geometric mean / PyTorch (8 rows)"] = names["history_geomean"]
    history["worst / PyTorch"] = names["history_worst"]
    assert rows == history
