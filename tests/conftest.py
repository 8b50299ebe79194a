"""Shared fixtures for the unit tests of cnnlit."""

import numpy as np
import pytest


@pytest.fixture
def rng(request):
    """A generator seeded from the test's name: reproducible, different per test."""
    seed = sum(ord(ch) * (i + 1) for i, ch in enumerate(request.node.name)) % 2**32
    return np.random.default_rng(seed)
