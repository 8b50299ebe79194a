#!/usr/bin/env bash
# The packaging promise, checked: in a bare virtual environment, `pip install .`
# alone installs numpy and nothing else; every module of cnnlit but the
# plotting ones (cnnlit.plot*) imports without pulling in matplotlib, scipy or
# scikit-learn; the submodules are attributes of `import cnnlit`; the type
# marker py.typed is installed; and the training command without scikit-learn
# says in one line which extra to install. Prints a short report; exits
# non-zero when the promise is broken. Needs Python 3.11+ and pip.
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
import importlib.resources
import importlib.util
import importlib.metadata as metadata
import pkgutil
import re
import sys

import cnnlit

NOT_HERE = ("cnnlit.plot",)  # needs cnnlit[plot]; cnnlit.train and cnnlit.data need scikit-learn only to load the digits
HEAVY = ("matplotlib", "scipy", "sklearn")
TOOLS = {"pip", "setuptools", "wheel"}  # what the venv itself brings

names = sorted(m.name for m in pkgutil.iter_modules(cnnlit.__path__, "cnnlit."))
imported = [n for n in names if not n.startswith(NOT_HERE)]
for name in imported:
    importlib.import_module(name)
lazy = cnnlit.data.load_splits.__module__ == "cnnlit.data" and callable(cnnlit.fit)
heavy = [m for m in HEAVY if m in sys.modules]
typed = importlib.resources.files("cnnlit").joinpath("py.typed").is_file()
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
print(f"  cnnlit.data and cnnlit.fit reachable from import cnnlit: {lazy}")
print(f"  py.typed installed: {typed}")
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
if not lazy:
    failures.append("cnnlit.data / cnnlit.fit are not attributes of cnnlit")
if not typed:
    failures.append("py.typed is not installed")
if failures:
    print("FAILED: " + "; ".join(failures))
    sys.exit(1)
print("OK: numpy is the only dependency")
EOF

# The training command without scikit-learn: one line naming the extra, status 1.
set +e
message="$("$work/venv/bin/cnnlit-train" --epochs 1 2>&1)"
status=$?
set -e
echo "  cnnlit-train without scikit-learn (status $status): $message"
if [ "$status" != 1 ] || [ "$(printf '%s\n' "$message" | wc -l)" != 1 ] || [[ "$message" != *'pip install "cnnlit[train]"'* ]]; then
    echo "FAILED: cnnlit-train without scikit-learn must say in one line which extra to install"
    exit 1
fi
"$work/venv/bin/cnnlit-train" --version
