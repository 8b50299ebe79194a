"""Shared fixtures for the unit tests of cnnlit, and set-up for the whole run.

pytest loads this file before it collects anything under its testpaths, the
chapters included. On a machine where matplotlib has never run, its first
import builds a font cache and may say so on stderr; inside a chapter run by
nbval that message would be an extra output and fail the comparison. Importing
the font manager here builds the cache before any kernel starts.
"""

import matplotlib.font_manager  # noqa: F401  (builds and saves the font cache)
import numpy as np
import pytest


@pytest.fixture
def rng(request):
    """A generator seeded from the test's name: reproducible, different per test."""
    seed = sum(ord(ch) * (i + 1) for i, ch in enumerate(request.node.name)) % 2**32
    return np.random.default_rng(seed)
