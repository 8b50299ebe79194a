#!/usr/bin/env bash
# The packaging promise, checked: in a bare virtual environment, `pip install .`
# alone installs numpy and nothing else, and every module of cnnlit but the
# plotting and training ones (cnnlit.plot*, cnnlit.train, cnnlit.data) imports
# without pulling in matplotlib, scipy or scikit-learn. Prints a short report;
# exits non-zero when the promise is broken. Needs Python 3.11+ and pip.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-python3}"
unset PYTHONPATH PYTHONHOME PYTHONSTARTUP  # nothing but the bare environment
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --disable-pip-version-check "$root"

# Run from an empty directory, so that the installed package is imported, not the source tree.
cd "$work"
"$work/venv/bin/python" - <<'EOF'
import importlib
import importlib.util
import importlib.metadata as metadata
import pkgutil
import re
import sys

import cnnlit

NOT_HERE = ("cnnlit.plot", "cnnlit.train", "cnnlit.data")  # they need cnnlit[plot] / cnnlit[train]
HEAVY = ("matplotlib", "scipy", "sklearn")
TOOLS = {"pip", "setuptools", "wheel"}  # what the venv itself brings

names = sorted(m.name for m in pkgutil.iter_modules(cnnlit.__path__, "cnnlit."))
imported = [n for n in names if not n.startswith(NOT_HERE)]
for name in imported:
    importlib.import_module(name)
heavy = [m for m in HEAVY if m in sys.modules]
# the extras' modules are installed too (their imports need the extras)
missing = [n for n in NOT_HERE if importlib.util.find_spec(n) is None]

installed = sorted(d.metadata["Name"].lower() for d in metadata.distributions())
others = [n for n in installed if n not in TOOLS | {"cnnlit"}]
hard = sorted(
    re.split(r"[ <>=!~;\[]", r, maxsplit=1)[0].lower()
    for r in metadata.requires("cnnlit") or []
    if "extra ==" not in r
)
version_ok = metadata.version("cnnlit") == cnnlit.__version__

print("bare install check")
in_site_packages = "site-packages" in cnnlit.__file__
print(f"  cnnlit {metadata.version('cnnlit')}, imported from site-packages: {in_site_packages}")
print(f"  hard dependencies: {', '.join(hard)}")
print(f"  installed besides cnnlit and {', '.join(sorted(TOOLS & set(installed)))}: {', '.join(others)}")
print(f"  imported {len(imported)} modules: {', '.join(n.removeprefix('cnnlit.') for n in imported)}")
print(f"  not imported (extras): {', '.join(n for n in names if n.startswith(NOT_HERE)) or '-'}")
print(f"  matplotlib, scipy, sklearn imported: {', '.join(heavy) or 'none'}")
print(f"  __version__ == installed version: {version_ok}")
failures = []
if missing:
    failures.append(f"not installed: {', '.join(missing)}")
if heavy:
    failures.append(f"importing cnnlit pulled in {', '.join(heavy)}")
if others != ["numpy"] or hard != ["numpy"]:
    failures.append(f"numpy must be the only dependency; installed {others}, required {hard}")
if not in_site_packages:
    failures.append("cnnlit was not imported from the installed copy")
if not version_ok:
    failures.append("the installed version differs from cnnlit.__version__")
if failures:
    print("FAILED: " + "; ".join(failures))
    sys.exit(1)
print("OK: numpy is the only dependency")
EOF
