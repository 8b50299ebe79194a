"""dense_forward and dense_backward: hand numbers, loops, finite differences, adjoints."""

import numpy as np
import pytest

import cnnlit


def loop_dense_forward(x, w, b):
    """c_i,m = sum_n x_i,n w_m,n + b_m."""
    N, D_in = x.shape
    D_out = w.shape[0]
    c = np.zeros((N, D_out))
    for i in range(N):
        for m in range(D_out):
            c[i, m] = b[m] + sum(x[i, n] * w[m, n] for n in range(D_in))
    return c


def test_hand_worked_forward_and_backward():
    # x = [[1, 2]], w = [[3, -1], [0, 2], [1, 1]], b = [1, 0, -1]
    # c = [3*1 - 1*2 + 1, 0*1 + 2*2 + 0, 1*1 + 1*2 - 1] = [2, 4, 2]
    x = np.array([[1.0, 2.0]])
    w = np.array([[3.0, -1.0], [0.0, 2.0], [1.0, 1.0]])
    b = np.array([1.0, 0.0, -1.0])
    np.testing.assert_array_equal(
        cnnlit.dense_forward(x, w, b), [[2.0, 4.0, 2.0]]
    )
    # delta = [[1, -1, 2]]: dE/dw = delta^T x = [[1, 2], [-1, -2], [2, 4]], dE/db = delta,
    # dE/dx = delta w = [3 - 0 + 2, -1 - 2 + 2] = [5, -1]
    dE_dw, dE_db, dE_dx = cnnlit.dense_backward(
        np.array([[1.0, -1.0, 2.0]]), x, w
    )
    np.testing.assert_array_equal(dE_dw, [[1.0, 2.0], [-1.0, -2.0], [2.0, 4.0]])
    np.testing.assert_array_equal(dE_db, [1.0, -1.0, 2.0])
    np.testing.assert_array_equal(dE_dx, [[5.0, -1.0]])


@pytest.mark.parametrize("N, D_in, D_out", [(1, 3, 2), (4, 5, 3), (2, 1, 1)])
def test_forward_equals_loops(N, D_in, D_out, rng):
    x, w, b = (
        rng.standard_normal((N, D_in)),
        rng.standard_normal((D_out, D_in)),
        rng.standard_normal(D_out),
    )
    np.testing.assert_allclose(
        cnnlit.dense_forward(x, w, b),
        loop_dense_forward(x, w, b),
        rtol=1e-13,
        atol=1e-14,
    )


@pytest.mark.parametrize("N, D_in, D_out", [(1, 3, 2), (4, 5, 3), (2, 1, 1)])
def test_backward_against_finite_differences(N, D_in, D_out, rng):
    # d/dv of sum(g * dense_forward(...)) for v = x, w, b, with a random upstream gradient g.
    x, w, b = (
        rng.standard_normal((N, D_in)),
        rng.standard_normal((D_out, D_in)),
        rng.standard_normal(D_out),
    )
    g = rng.standard_normal((N, D_out))
    dE_dw, dE_db, dE_dx = cnnlit.dense_backward(g, x, w)
    num_x = cnnlit.numerical_gradient(
        lambda v: np.sum(g * cnnlit.dense_forward(v, w, b)), x
    )
    num_w = cnnlit.numerical_gradient(
        lambda v: np.sum(g * cnnlit.dense_forward(x, v, b)), w
    )
    num_b = cnnlit.numerical_gradient(
        lambda v: np.sum(g * cnnlit.dense_forward(x, w, v)), b
    )
    np.testing.assert_allclose(dE_dx, num_x, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(dE_dw, num_w, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(dE_db, num_b, rtol=1e-7, atol=1e-9)
    assert (
        dE_dw.shape == w.shape
        and dE_db.shape == b.shape
        and dE_dx.shape == x.shape
    )


def test_adjoint_identities(rng):
    # x -> dense_forward(x, w, 0) and w -> dense_forward(x, w, 0) are linear; the backward
    # pass gives their transposes: <c, g> == <x, dE_dx> == <w, dE_dw>.
    x, w = rng.standard_normal((3, 5)), rng.standard_normal((4, 5))
    c = cnnlit.dense_forward(x, w, np.zeros(4))
    g = rng.standard_normal(c.shape)
    dE_dw, _, dE_dx = cnnlit.dense_backward(g, x, w)
    lhs = np.vdot(c, g)
    assert abs(lhs - np.vdot(x, dE_dx)) <= 1e-12 * max(1.0, abs(lhs))
    assert abs(lhs - np.vdot(w, dE_dw)) <= 1e-12 * max(1.0, abs(lhs))


def test_float32_in_float32_out(rng):
    x = rng.standard_normal((2, 3)).astype(np.float32)
    w = rng.standard_normal((4, 3)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    c = cnnlit.dense_forward(x, w, b)
    assert c.dtype == np.float32
    np.testing.assert_allclose(
        c,
        loop_dense_forward(x.astype(float), w.astype(float), b.astype(float)),
        rtol=1e-5,
        atol=1e-6,
    )
    assert all(
        a.dtype == np.float32
        for a in cnnlit.dense_backward(np.ones((2, 4), np.float32), x, w)
    )


def test_integer_input_computed_in_float64():
    x = np.array([[1, 2]])
    w = np.array([[1, 1], [2, -1]])
    b = np.array([0, 1])
    c = cnnlit.dense_forward(x, w, b)
    assert c.dtype == np.float64
    np.testing.assert_array_equal(c, [[3.0, 1.0]])
    assert all(
        a.dtype == np.float64
        for a in cnnlit.dense_backward(np.array([[1, 1]]), x, w)
    )


def test_read_only_inputs_unchanged(rng):
    x, w, b = (
        rng.standard_normal((2, 3)),
        rng.standard_normal((4, 3)),
        rng.standard_normal(4),
    )
    delta = rng.standard_normal((2, 4))
    copies = [a.copy() for a in (x, w, b, delta)]
    for a in (x, w, b, delta):
        a.setflags(write=False)
    cnnlit.dense_forward(x, w, b)
    cnnlit.dense_backward(delta, x, w)
    for a, c in zip((x, w, b, delta), copies, strict=True):
        np.testing.assert_array_equal(a, c)


# ---------------------------------------------------------------------------
# bad input, b=None
# ---------------------------------------------------------------------------

XD, WD, BD = np.ones((2, 3)), np.ones((4, 3)), np.zeros(4)
DENSE_BAD = [
    (
        "x 1-D",
        lambda: cnnlit.dense_forward(np.ones(3), WD, BD),
        ValueError,
        r"x must have shape \(N, D_in\), got shape \(3,\)",
    ),
    (
        "w 1-D",
        lambda: cnnlit.dense_forward(XD, np.ones(3), BD),
        ValueError,
        r"w must have shape \(D_out, D_in\), got shape \(3,\)",
    ),
    (
        "D_in mismatch",
        lambda: cnnlit.dense_forward(XD, np.ones((4, 2)), BD),
        ValueError,
        r"w has D_in=2 \(w.shape \(4, 2\)\) but x has D_in=3 \(x.shape \(2, 3\)\)",
    ),
    (
        "bias shape",
        lambda: cnnlit.dense_forward(XD, WD, np.zeros(3)),
        ValueError,
        r"b must have shape \(D_out,\) = \(4,\), got shape \(3,\)",
    ),
    (
        "complex x",
        lambda: cnnlit.dense_forward(XD * 1j, WD, BD),
        TypeError,
        r"x must be real-valued",
    ),
    (
        "string w",
        lambda: cnnlit.dense_forward(XD, WD.astype(str), BD),
        TypeError,
        r"w must be a real numeric array",
    ),
    (
        "backward delta shape",
        lambda: cnnlit.dense_backward(np.ones((2, 3)), XD, WD),
        ValueError,
        r"delta must have shape \(N, D_out\) = \(2, 4\), got shape \(2, 3\)",
    ),
    (
        "backward delta batch",
        lambda: cnnlit.dense_backward(np.ones((3, 4)), XD, WD),
        ValueError,
        r"delta must have shape \(N, D_out\) = \(2, 4\), got shape \(3, 4\)",
    ),
    (
        "backward D_in mismatch",
        lambda: cnnlit.dense_backward(np.ones((2, 4)), XD, np.ones((4, 5))),
        ValueError,
        r"w has D_in=5 .* x has D_in=3",
    ),
    (
        "backward complex delta",
        lambda: cnnlit.dense_backward(np.ones((2, 4)) * 1j, XD, WD),
        TypeError,
        r"delta must be real-valued",
    ),
]


@pytest.mark.parametrize(
    "call, exc, pattern",
    [c[1:] for c in DENSE_BAD],
    ids=[c[0] for c in DENSE_BAD],
)
def test_dense_bad_input(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


def test_dense_forward_b_none_means_no_bias(rng):
    x, w = rng.standard_normal((3, 5)), rng.standard_normal((2, 5))
    np.testing.assert_array_equal(
        cnnlit.dense_forward(x, w, None),
        cnnlit.dense_forward(x, w, np.zeros(2)),
    )
    assert (
        cnnlit.dense_forward(
            x.astype(np.float32), w.astype(np.float32), None
        ).dtype
        == np.float32
    )
