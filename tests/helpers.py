"""Helpers shared by the test modules (imported as ``from helpers import ...``).

pytest puts this directory on ``sys.path`` (the test files are not a package),
so every test module can import them.
"""

import numpy as np

from cnnlit.network import Activation, Conv2D, Dense, Flatten, Network, Pool

# np.pad's names for scipy.signal's boundary flags, written here independently of
# the package's own map (cnnlit.padding.NP_PAD_MODE), which the tests check.
NP_PAD = {"fill": "constant", "wrap": "wrap", "symm": "symmetric"}


def two(v):
    """An int or a pair as a pair: ``two(3) == (3, 3)``."""
    return (v, v) if np.isscalar(v) else tuple(v)


def distinct_values(rng, shape):
    """Random values at least 0.01 apart: no ties, and the max never changes within a finite-difference step."""
    return rng.permutation(np.prod(shape)).reshape(shape) * 0.01 + rng.uniform(
        0, 0.001, size=shape
    )


def small_network(seed=0, dtype=np.float64, last="sigmoid", bias=True):
    """Every layer kind, non-square kernel, stride, C_in != C_out; inputs of shape (N, 2, 5, 6)."""
    rng = np.random.default_rng(seed)
    layers = [
        Conv2D(
            2, 3, (3, 2), rng=rng, padding=1, dtype=dtype, bias=bias
        ),  # (3, 5, 7)
        Activation("tanh"),
        Pool(2, stride=1),  # (3, 4, 6)
        Conv2D(
            3, 2, 2, rng=rng, stride=2, convention="correlation", dtype=dtype
        ),  # (2, 2, 3)
        Activation("relu"),
        Pool(2, stride=1, mode="mean"),  # (2, 1, 2)
        Flatten(),
        Dense(4, 5, rng=rng, dtype=dtype, bias=bias),
        Activation("sigmoid"),
        Dense(5, 4, rng=rng, dtype=dtype),
    ]
    if last:
        layers.append(Activation(last))
    return Network(layers)
