"""The packaging promise as pyproject.toml states it: one version, numpy alone, extras, licence, entry point.

`.ci/run` also installs the package alone into a bare virtual environment
(.ci/bare_install_check.sh) and imports it there.
"""

import ast
import sys
import tomllib
from pathlib import Path

import numpy as np

import cnnlit
import cnnlit.train

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]


def test_the_version_is_written_once():
    assert "version" not in PROJECT and PROJECT["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "cnnlit.__version__"
    }
    # setuptools reads the attribute without importing: it must be a literal in __init__.py
    tree = ast.parse((ROOT / "cnnlit" / "__init__.py").read_text())
    literals = [
        node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and [t.id for t in node.targets] == ["__version__"]
    ]
    assert literals == [cnnlit.__version__]


def test_numpy_is_the_only_hard_dependency_and_the_extras_name_the_rest():
    assert [d.split(">")[0].split("<")[0] for d in PROJECT["dependencies"]] == [
        "numpy"
    ]
    assert PROJECT["optional-dependencies"] == {
        "plot": ["matplotlib>=3.8", "ipywidgets>=8.1"],
        "train": ["scikit-learn>=1.4"],
    }


def test_licence_file_matches_pyproject():
    assert PROJECT["license"] == "MIT" and PROJECT["license-files"] == [
        "LICENSE"
    ]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith(
        "MIT License\n\nCopyright (c) 2026 the cnnlit authors\n"
    )
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text


def test_console_entry_point_is_the_training_command():
    assert PROJECT["scripts"] == {"cnnlit-train": "cnnlit.train:main"}
    module, name = PROJECT["scripts"]["cnnlit-train"].split(":")
    assert getattr(sys.modules[module], name) is cnnlit.train.main


def test_classifiers_and_keywords():
    assert (
        "License :: OSI Approved :: MIT License" not in PROJECT["classifiers"]
    )  # the SPDX licence says it
    assert (
        "Programming Language :: Python :: 3.11" in PROJECT["classifiers"]
        and PROJECT["keywords"]
    )


def test_the_unit_tests_do_not_need_nbval():
    addopts = PYPROJECT["tool"]["pytest"]["ini_options"]["addopts"]
    assert not any("nbval" in option for option in addopts)
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = "--nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg"
    assert (
        command in readme
        and command in ci
        and ".ci/bare_install_check.sh" in ci
    )


def test_the_package_is_typed_and_ci_checks_the_types():
    assert (ROOT / "cnnlit" / "py.typed").is_file()
    assert PYPROJECT["tool"]["setuptools"]["package-data"] == {
        "cnnlit": ["py.typed"]
    }
    assert "Typing :: Typed" in PROJECT["classifiers"]
    assert PYPROJECT["tool"]["mypy"]["files"] == ["cnnlit"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "\n.venv/bin/mypy\n" in ci
    requirements = (ROOT / "requirements.txt").read_text().splitlines()
    assert any(line.startswith("mypy") for line in requirements)


def test_the_book_is_published_by_a_workflow_that_ci_lints():
    workflow = (ROOT / ".github" / "workflows" / "book.yml").read_text()
    for step in (
        "run: .ci/run",
        "actions/upload-pages-artifact@",
        "actions/deploy-pages@",
        "path: _build/html",
        "pages: write",
    ):
        assert step in workflow, step
    ci = (ROOT / ".ci" / "run").read_text()
    assert (
        "check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml"
        in ci
    )


def test_the_readme_names_the_source_post_and_quotes_the_extras():
    readme = (ROOT / "README.md").read_text()
    assert (
        "*Convolutional Neural Network's\nBackpropagation* (the source post)"
        in readme
    )
    assert 'pip install "cnnlit[train]"' in readme
    assert "pip install cnnlit[" not in readme
    assert "the seed" not in readme.lower()
    assert "https://<owner>.github.io/<repository>/" in readme


def readme_block(heading):
    """The first python block after ``heading`` in the README."""
    readme = (ROOT / "README.md").read_text()
    after = readme[readme.index(heading) :]
    start = after.index("```python\n") + len("```python\n")
    return after[start : after.index("```", start)]


def test_the_readmes_training_example_runs_and_learns(tmp_path, monkeypatch):
    import contextlib
    import io

    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    namespace = {}
    with contextlib.redirect_stdout(out):
        exec(readme_block("### Train a network of your own"), namespace)
    text = out.getvalue()
    assert text.count("validation accuracy") == 15
    assert "total parameters: 1,370" in text
    evaluation = namespace["net"].evaluate(
        namespace["d"].x_test, namespace["d"].y_test
    )
    assert evaluation["accuracy"] > 0.9, evaluation
    assert "worst relative error per parameter" in text
    assert namespace["net"].check_gradients(namespace["x"]).worst < 1e-5
    trained = namespace["net"]
    exec(readme_block("### Save, load and classify"), namespace)
    loaded = namespace["net"]
    assert loaded is not trained and (tmp_path / "digits.npz").is_file()
    x_test = namespace["d"].x_test
    np.testing.assert_array_equal(
        loaded.predict(x_test), trained.predict(x_test)
    )
