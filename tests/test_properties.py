"""Property tests with hypothesis: random shapes and options against independent oracles."""

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy import signal

import cnnlit
from cnnlit import reference

FAST = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def conv_cases(draw, max_stride=3, max_padding=2, max_dilation=2):
    """A conv layer's arrays and options, with a kernel that fits the padded input."""
    N = draw(st.integers(1, 2))
    C_in, C_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    H, W = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    ph, pw = (
        draw(st.integers(0, max_padding)),
        draw(st.integers(0, max_padding)),
    )
    dH, dW = (
        draw(st.integers(1, max_dilation)),
        draw(st.integers(1, max_dilation)),
    )
    kH = draw(st.integers(1, max(1, (H + 2 * ph - 1) // dH + 1)))
    kW = draw(st.integers(1, max(1, (W + 2 * pw - 1) // dW + 1)))
    assume(dH * (kH - 1) + 1 <= H + 2 * ph and dW * (kW - 1) + 1 <= W + 2 * pw)
    opts = dict(
        stride=(
            draw(st.integers(1, max_stride)),
            draw(st.integers(1, max_stride)),
        ),
        padding=(ph, pw),
        dilation=(dH, dW),
        boundary=draw(st.sampled_from(["fill", "wrap", "symm"])),
        convention=draw(st.sampled_from(["convolution", "correlation"])),
    )
    single = draw(st.booleans())
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    o_prev = rng.standard_normal((C_in, H, W) if single else (N, C_in, H, W))
    w = rng.standard_normal((C_out, C_in, kH, kW))
    b = rng.standard_normal(C_out)
    return o_prev, w, b, opts, rng


@FAST
@given(conv_cases())
def test_conv_forward_equals_reference(case):
    o_prev, w, b, opts, _ = case
    got = cnnlit.conv_forward(o_prev, w, b, **opts)
    np.testing.assert_allclose(
        got,
        reference.conv_forward(o_prev, w, b, **opts),
        rtol=1e-11,
        atol=1e-11,
    )


@FAST
@given(conv_cases())
def test_conv_backward_equals_reference(case):
    o_prev, w, b, opts, rng = case
    c = cnnlit.conv_forward(o_prev, w, b, **opts)
    delta = rng.standard_normal(c.shape)
    for g, r in zip(
        cnnlit.conv_backward(delta, o_prev, w, **opts),
        reference.conv_backward(delta, o_prev, w, **opts),
        strict=True,
    ):
        assert g.shape == r.shape
        np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-10)


@FAST
@given(conv_cases(max_stride=1, max_padding=0, max_dilation=1))
def test_conv_forward_is_sum_of_scipy_over_channels(case):
    # c[m] = sum_n scipy.signal.(convolve|correlate)2d(o_prev[n], w[m, n], "valid") + b[m]
    o_prev, w, b, opts, _ = case
    op = (
        signal.convolve2d
        if opts["convention"] == "convolution"
        else signal.correlate2d
    )
    x = o_prev[None] if o_prev.ndim == 3 else o_prev
    want = np.array(
        [
            [
                sum(
                    op(x[i, n], w[m, n], mode="valid")
                    for n in range(w.shape[1])
                )
                + b[m]
                for m in range(w.shape[0])
            ]
            for i in range(x.shape[0])
        ]
    )
    got = cnnlit.conv_forward(o_prev, w, b, convention=opts["convention"])
    np.testing.assert_allclose(
        got, want[0] if o_prev.ndim == 3 else want, rtol=1e-11, atol=1e-11
    )


@FAST
@given(conv_cases())
def test_conv_output_shape_matches_forward(case):
    o_prev, w, b, opts, _ = case
    c = cnnlit.conv_forward(o_prev, w, b, **opts)
    H, W = o_prev.shape[-2:]
    kH, kW = w.shape[-2:]
    shape = cnnlit.conv_output_shape(
        H,
        W,
        kH,
        kW,
        stride=opts["stride"],
        padding=opts["padding"],
        dilation=opts["dilation"],
    )
    assert c.shape[-2:] == shape
    assert c.shape[:-2] == (
        (w.shape[0],) if o_prev.ndim == 3 else (o_prev.shape[0], w.shape[0])
    )


@FAST
@given(conv_cases(), st.floats(-3, 3), st.floats(-3, 3))
def test_conv_forward_is_linear(case, alpha, beta):
    # With b = 0: conv(alpha x + beta y, w) == alpha conv(x) + beta conv(y), and likewise in w.
    o_prev, w, _, opts, rng = case
    zero = np.zeros(w.shape[0])
    y = rng.standard_normal(o_prev.shape)
    v = rng.standard_normal(w.shape)
    lhs = cnnlit.conv_forward(alpha * o_prev + beta * y, w, zero, **opts)
    rhs = alpha * cnnlit.conv_forward(
        o_prev, w, zero, **opts
    ) + beta * cnnlit.conv_forward(y, w, zero, **opts)
    np.testing.assert_allclose(lhs, rhs, rtol=1e-10, atol=1e-10)
    lhs = cnnlit.conv_forward(o_prev, alpha * w + beta * v, zero, **opts)
    rhs = alpha * cnnlit.conv_forward(
        o_prev, w, zero, **opts
    ) + beta * cnnlit.conv_forward(o_prev, v, zero, **opts)
    np.testing.assert_allclose(lhs, rhs, rtol=1e-10, atol=1e-10)


@FAST
@given(conv_cases())
def test_conv_adjoint_identities(case):
    # <conv(x), g> == <x, dE_do_prev(g)> == <w, dE_dw(g)>, for b = 0.
    o_prev, w, _, opts, rng = case
    c = cnnlit.conv_forward(o_prev, w, np.zeros(w.shape[0]), **opts)
    g = rng.standard_normal(c.shape)
    dE_dw, dE_db, dE_do_prev = cnnlit.conv_backward(g, o_prev, w, **opts)
    lhs = np.vdot(c, g)
    scale = max(1.0, abs(lhs), np.abs(c).sum() * np.abs(g).max())
    assert abs(lhs - np.vdot(o_prev, dE_do_prev)) <= 1e-11 * scale
    assert abs(lhs - np.vdot(w, dE_dw)) <= 1e-11 * scale
    # and the bias gradient is the sum of the upstream gradient per output channel
    np.testing.assert_allclose(
        dE_db,
        g.sum(axis=tuple(i for i in range(g.ndim) if i != g.ndim - 3)),
        atol=1e-12,
    )


@st.composite
def pool_cases(draw):
    H, W = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    kH, kW = draw(st.integers(1, H)), draw(st.integers(1, W))
    stride = draw(
        st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3)))
    )
    mode = draw(st.sampled_from(["max", "mean"]))
    lead = draw(st.sampled_from([(1, 2), (2, 1), (3,)]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    # small integers: plenty of ties for max pooling
    o_prev = rng.integers(-2, 3, size=lead + (H, W)).astype(float)
    return o_prev, (kH, kW), stride, mode, rng


@FAST
@given(pool_cases())
def test_pool_equals_reference(case):
    o_prev, size, stride, mode, rng = case
    o = cnnlit.pool_forward(o_prev, size, stride=stride, mode=mode)
    np.testing.assert_allclose(
        o,
        reference.pool_forward(o_prev, size, stride=stride, mode=mode),
        atol=1e-14,
    )
    delta = rng.standard_normal(o.shape)
    got = cnnlit.pool_backward(delta, o_prev, size, stride=stride, mode=mode)
    np.testing.assert_allclose(
        got,
        reference.pool_backward(delta, o_prev, size, stride=stride, mode=mode),
        atol=1e-13,
    )


@FAST
@given(pool_cases())
def test_pool_backward_sums_to_delta_sum(case):
    # Each delta is routed whole to one pixel (max) or split into kH kW equal parts (mean).
    o_prev, size, stride, mode, rng = case
    o = cnnlit.pool_forward(o_prev, size, stride=stride, mode=mode)
    delta = rng.standard_normal(o.shape)
    grad = cnnlit.pool_backward(delta, o_prev, size, stride=stride, mode=mode)
    np.testing.assert_allclose(grad.sum(), delta.sum(), atol=1e-12)
    assert grad.shape == o_prev.shape


@FAST
@given(pool_cases())
def test_pool_output_shape_and_bounds(case):
    o_prev, (kH, kW), stride, mode, _ = case
    sH, sW = (kH, kW) if stride is None else stride
    o = cnnlit.pool_forward(o_prev, (kH, kW), stride=stride, mode=mode)
    H, W = o_prev.shape[-2:]
    assert o.shape == o_prev.shape[:-2] + (
        (H - kH) // sH + 1,
        (W - kW) // sW + 1,
    )
    # every pooled value lies between the input's extremes
    assert o.min() >= o_prev.min() and o.max() <= o_prev.max()


@FAST
@given(
    st.integers(1, 6),
    st.integers(1, 6),
    st.integers(1, 5),
    st.integers(1, 5),
    st.sampled_from(["valid", "same", "full"]),
    st.sampled_from(["fill", "wrap", "symm"]),
    st.floats(-2, 2),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_signal2d_equals_scipy(
    H, W, kH, kW, mode, boundary, fillvalue, correlate, seed
):
    if mode == "valid":
        assume((H >= kH and W >= kW) or (kH >= H and kW >= W))
    rng = np.random.default_rng(seed)
    image, kernel = rng.standard_normal((H, W)), rng.standard_normal((kH, kW))
    fast, oracle = (
        (cnnlit.correlate2d, signal.correlate2d)
        if correlate
        else (cnnlit.convolve2d, signal.convolve2d)
    )
    got = fast(image, kernel, mode=mode, boundary=boundary, fillvalue=fillvalue)
    want = oracle(
        image, kernel, mode=mode, boundary=boundary, fillvalue=fillvalue
    )
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-11)


@FAST
@given(
    st.integers(1, 4),
    st.integers(2, 6),
    st.floats(-500, 500),
    st.integers(0, 2**32 - 1),
)
def test_softmax_shift_invariant_and_normalised(N, K, shift, seed):
    z = np.random.default_rng(seed).standard_normal((N, K)) * 5
    s = cnnlit.softmax(z)
    np.testing.assert_allclose(s.sum(axis=1), 1.0, rtol=1e-14)
    assert np.all(s >= 0)
    np.testing.assert_allclose(
        cnnlit.softmax(z + shift), s, rtol=1e-9, atol=1e-15
    )
