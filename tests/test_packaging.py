"""The packaging promise as pyproject.toml states it: one version, numpy alone, extras, licence, entry point.

`.ci/run` also installs the package alone into a bare virtual environment
(.ci/bare_install_check.sh) and imports it there.
"""

import ast
import sys
import tomllib
from pathlib import Path

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
