"""Shared fixtures for the unit tests of cnnlit, and set-up for the whole run.

pytest loads this file before it collects anything under its testpaths, the
chapters included. On a machine where matplotlib has never run, its first
import builds a font cache and may say so on stderr; inside a chapter run by
nbval that message would be an extra output and fail the comparison. Importing
the font manager here builds the cache before any kernel starts (the unit
tests themselves do not need matplotlib).

hypothesis runs with the profile "ci" (derandomised: the same examples on
every run) when the environment variable CI is set, as .ci/run sets it, and
with the profile "dev" (random examples) otherwise; HYPOTHESIS_PROFILE picks
one explicitly.
"""

import os

import numpy as np
import pytest
from hypothesis import settings

try:
    import matplotlib.font_manager  # noqa: F401  (builds and saves the font cache)
except ImportError:  # the unit tests run without matplotlib
    pass

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev", derandomize=False)
settings.load_profile(
    os.environ.get(
        "HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"
    )
)


@pytest.fixture
def rng(request):
    """A generator seeded from the test's name: reproducible, different per test."""
    seed = (
        sum(ord(ch) * (i + 1) for i, ch in enumerate(request.node.name)) % 2**32
    )
    return np.random.default_rng(seed)
