"""conv_transpose_forward and conv_transpose_backward, tested like the convolution.

Oracles: the scatter loops of cnnlit.reference, numbers worked by hand, the
input gradient of the convolution (conv_backward's dE_do_prev), dot-product
(adjoint) identities, finite differences with a random upstream gradient, and
PyTorch where it is installed. Bad input, dtypes and untouched inputs at the end.
"""

import itertools

import numpy as np
import pytest
from helpers import two
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cnnlit
from cnnlit import reference

CONVENTIONS = ["convolution", "correlation"]


def out_size(n, k, s, p, d, op):
    """The documented output size, (n - 1) s - 2 p + d (k - 1) + op + 1."""
    return (n - 1) * s - 2 * p + d * (k - 1) + op + 1


def output_paddings(stride, dilation):
    """Every allowed output_padding pair: each entry below max(stride, dilation)."""
    (sH, sW), (dH, dW) = two(stride), two(dilation)
    return list(itertools.product(range(max(sH, dH)), range(max(sW, dW))))


def fits(x_shape, w_shape, stride, padding, dilation, output_padding):
    H, W = x_shape[-2:]
    kH, kW = w_shape[-2:]
    (sH, sW), (ph, pw), (dH, dW), (oH, oW) = (
        two(stride),
        two(padding),
        two(dilation),
        two(output_padding),
    )
    return (
        min(out_size(H, kH, sH, ph, dH, oH), out_size(W, kW, sW, pw, dW, oW))
        >= 1
    )


def case(rng, N=2, C_in=2, C_out=3, H=3, W=4, kH=2, kW=3, single=False):
    x = rng.standard_normal((C_in, H, W) if single else (N, C_in, H, W))
    w = rng.standard_normal((C_in, C_out, kH, kW))
    b = rng.standard_normal(C_out)
    return x, w, b


def dot(a, b):
    return float(np.sum(np.asarray(a) * np.asarray(b)))


# ---------------------------------------------------------------------------
# numbers worked by hand
# ---------------------------------------------------------------------------


def test_hand_worked_one_row_stride_2():
    # x = [1, 10], w = [1, 2, 3], stride 2. Correlation: pixel i adds x_i w at 2 i, 2 i + 1, 2 i + 2:
    #   [1, 2, 3, 0, 0] + [0, 0, 10, 20, 30] = [1, 2, 13, 20, 30]
    # Convolution: the kernel is read flipped, [3, 2, 1]: [3, 2, 1 + 30, 20, 10]
    x = np.array([[[1.0, 10.0]]])
    w = np.array([[[[1.0, 2.0, 3.0]]]])
    np.testing.assert_array_equal(
        cnnlit.conv_transpose_forward(
            x, w, None, stride=2, convention="correlation"
        ),
        [[[1, 2, 13, 20, 30]]],
    )
    np.testing.assert_array_equal(
        cnnlit.conv_transpose_forward(x, w, None, stride=2),
        [[[3, 2, 31, 20, 10]]],
    )
    # padding 1 (columns only) removes one column on each side: [2, 13, 20]; output_padding 1 then adds
    # back the one at the right that padding cut: [2, 13, 20, 30]
    opts = dict(stride=2, padding=(0, 1), convention="correlation")
    np.testing.assert_array_equal(
        cnnlit.conv_transpose_forward(x, w, None, **opts), [[[2, 13, 20]]]
    )
    np.testing.assert_array_equal(
        cnnlit.conv_transpose_forward(
            x, w, None, output_padding=(0, 1), **opts
        ),
        [[[2, 13, 20, 30]]],
    )
    # with no padding, output_padding 1 adds a column no pixel reaches: only the bias lands there
    np.testing.assert_array_equal(
        cnnlit.conv_transpose_forward(
            x,
            w,
            [0.5],
            stride=2,
            output_padding=(0, 1),
            convention="correlation",
        ),
        [[[1.5, 2.5, 13.5, 20.5, 30.5, 0.5]]],
    )


def test_hand_worked_2x2_stride_1():
    # x = [[1, 2], [3, 4]], w = [[1, 0], [0, -1]] (correlation), y(u, v) = sum_ij x(i, j) w(u - i, v - j):
    #   y(0,0) = x00 w00 = 1          y(0,1) = x01 w00 = 2                 y(0,2) = x01 w01 = 0
    #   y(1,0) = x10 w00 = 3          y(1,1) = x00 w11 + x11 w00 = -1 + 4  y(1,2) = x01 w11 = -2
    #   y(2,0) = x10 w10 = 0          y(2,1) = x10 w11 = -3                y(2,2) = x11 w11 = -4
    x = np.array([[[1.0, 2.0], [3.0, 4.0]]])
    w = np.array([[[[1.0, 0.0], [0.0, -1.0]]]])
    want = [[[1, 2, 0], [3, 3, -2], [0, -3, -4]]]
    np.testing.assert_array_equal(
        cnnlit.conv_transpose_forward(x, w, None, convention="correlation"),
        want,
    )
    # the convolution convention flips w to [[-1, 0], [0, 1]]: the same sum with -w
    np.testing.assert_array_equal(
        cnnlit.conv_transpose_forward(x, w, None), -np.array(want)
    )
    # padding 1 keeps the centre only
    np.testing.assert_array_equal(
        cnnlit.conv_transpose_forward(
            x, w, None, padding=1, convention="correlation"
        ),
        [[[3]]],
    )


def test_hand_worked_2x2_stride_2_tiles():
    # kernel size = stride: every pixel writes its own 2x2 tile x(i, j) w, no overlap
    x = np.array([[[1.0, 2.0], [3.0, 4.0]]])
    w = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    want = [[[1, 2, 2, 4], [3, 4, 6, 8], [3, 6, 4, 8], [9, 12, 12, 16]]]
    np.testing.assert_array_equal(
        cnnlit.conv_transpose_forward(
            x, w, None, stride=2, convention="correlation"
        ),
        want,
    )


def test_hand_worked_backward():
    # x = [1, 10], w = [1, 2, 3], stride 2, delta = ones(5) (convolution convention; the kernel is read flipped):
    #   dE/dx_i = sum of the taps x_i was multiplied with = 3 + 2 + 1 = 6 for both pixels
    #   dE/dw(p) = sum of the pixels that used tap p = 1 + 10 = 11 for each tap (all land inside)
    #   dE/db = five ones = 5
    x = np.array([[[1.0, 10.0]]])
    w = np.array([[[[1.0, 2.0, 3.0]]]])
    dE_dw, dE_db, dE_dx = cnnlit.conv_transpose_backward(
        np.ones((1, 1, 5)), x, w, stride=2
    )
    np.testing.assert_array_equal(dE_dw, [[[[11, 11, 11]]]])
    np.testing.assert_array_equal(dE_db, [5])
    np.testing.assert_array_equal(dE_dx, [[[6, 6]]])
    # delta = [1, 0, 0, 0, 0]: only output 0 counts. Correlation: it got x_0 w(0), so dE/dx_0 = w(0) = 1,
    # dE/dw(0) = x_0 = 1; convolution: it got x_0 w(2), so dE/dx_0 = 3 and dE/dw(2) = 1.
    delta = np.array([[[1.0, 0, 0, 0, 0]]])
    dE_dw, _, dE_dx = cnnlit.conv_transpose_backward(
        delta, x, w, stride=2, convention="correlation"
    )
    np.testing.assert_array_equal(dE_dw, [[[[1, 0, 0]]]])
    np.testing.assert_array_equal(dE_dx, [[[1, 0]]])
    dE_dw, _, dE_dx = cnnlit.conv_transpose_backward(delta, x, w, stride=2)
    np.testing.assert_array_equal(dE_dw, [[[[0, 0, 1]]]])
    np.testing.assert_array_equal(dE_dx, [[[3, 0]]])


def test_checkerboard_stride_2_kernel_3():
    # Ones through ones: y counts the input pixels whose kernel copy covers each output pixel.
    # In one dimension (4 pixels, k = 3, s = 2) pixel i covers 2i, 2i + 1, 2i + 2:
    #   position 0 1 2 3 4 5 6 7 8
    #   count    1 1 2 1 2 1 2 1 1
    # and in two dimensions the count is the product: 4 where two even rows and columns meet, 2 and 1
    # between, the checkerboard of a 3x3 kernel at stride 2.
    c = np.array([1, 1, 2, 1, 2, 1, 2, 1, 1])
    for convention in CONVENTIONS:
        y = cnnlit.conv_transpose_forward(
            np.ones((1, 4, 4)),
            np.ones((1, 1, 3, 3)),
            None,
            stride=2,
            convention=convention,
        )
        np.testing.assert_array_equal(y[0], np.outer(c, c))
    inner = y[0, 2:7, 2:7]
    np.testing.assert_array_equal(
        inner,
        [
            [4, 2, 4, 2, 4],
            [2, 1, 2, 1, 2],
            [4, 2, 4, 2, 4],
            [2, 1, 2, 1, 2],
            [4, 2, 4, 2, 4],
        ],
    )
    # A 4x4 kernel at stride 2 (kernel size divisible by the stride) covers the inside evenly: 2 * 2 = 4
    # everywhere but the outer two rows and columns.
    y4 = cnnlit.conv_transpose_forward(
        np.ones((1, 4, 4)), np.ones((1, 1, 4, 4)), None, stride=2
    )
    c4 = np.array([1, 1, 2, 2, 2, 2, 2, 2, 1, 1])
    np.testing.assert_array_equal(y4[0], np.outer(c4, c4))
    assert np.all(y4[0, 2:-2, 2:-2] == 4)
    # the counts add up to (pixels) x (taps)
    assert y.sum() == 16 * 9 and y4.sum() == 16 * 16


# ---------------------------------------------------------------------------
# the output size, and the ambiguity that output_padding resolves
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "H, k, s, p, d, op, want",
    [
        (3, 3, 1, 0, 1, 0, 5),  # 2 + 2 + 1
        (3, 3, 2, 1, 1, 0, 5),  # 4 - 2 + 2 + 1
        (3, 3, 2, 1, 1, 1, 6),
        (4, 4, 2, 1, 1, 0, 8),  # the usual "upsample by 2": 6 - 2 + 3 + 1
        (
            2,
            3,
            1,
            0,
            2,
            1,
            7,
        ),  # dilation 2 > stride 1 allows output_padding 1: 1 + 4 + 1 + 1
        (5, 1, 3, 0, 1, 2, 15),  # 12 + 0 + 2 + 1
        (1, 2, 1, 0, 1, 0, 2),
    ],
)
def test_output_size_by_hand(H, k, s, p, d, op, want):
    assert out_size(H, k, s, p, d, op) == want
    y = cnnlit.conv_transpose_forward(
        np.ones((1, H, H + 1)),
        np.ones((1, 2, k, k)),
        None,
        stride=s,
        padding=p,
        dilation=d,
        output_padding=op,
    )
    assert y.shape == (2, want, out_size(H + 1, k, s, p, d, op))


def test_output_padding_picks_among_the_sizes_that_convolve_to_the_same_size(
    rng,
):
    # A convolution with k = 3, stride 2, padding 1 maps 5 and 6 pixels alike to 3:
    #   (5 + 2 - 3) // 2 + 1 = 3 and (6 + 2 - 3) // 2 + 1 = 3
    # so from a 3x3 input its transpose cannot know which to produce: output_padding 0 gives 5,
    # output_padding 1 gives 6, and each is the input gradient of the convolution of that size.
    assert cnnlit.conv_output_shape(5, 5, 3, 3, stride=2, padding=1) == (3, 3)
    assert cnnlit.conv_output_shape(6, 6, 3, 3, stride=2, padding=1) == (3, 3)
    x, w, _ = case(rng, C_in=2, C_out=3, H=3, W=3, kH=3, kW=3)
    for H_prev, op in ((5, 0), (6, 1)):
        y = cnnlit.conv_transpose_forward(
            x, w, None, stride=2, padding=1, output_padding=op
        )
        assert y.shape == (2, 3, H_prev, H_prev)
        o_prev = rng.standard_normal((2, 3, H_prev, H_prev))
        dE_do_prev = cnnlit.conv_backward(x, o_prev, w, stride=2, padding=1)[2]
        np.testing.assert_allclose(y, dE_do_prev, rtol=1e-12, atol=1e-12)
    # the two differ only by the extra row and column: cutting 6 down to 5 gives the first
    y5 = cnnlit.conv_transpose_forward(x, w, None, stride=2, padding=1)
    y6 = cnnlit.conv_transpose_forward(
        x, w, None, stride=2, padding=1, output_padding=1
    )
    np.testing.assert_allclose(y6[:, :, :5, :5], y5, rtol=1e-12, atol=1e-12)
    assert (
        np.abs(y6[:, :, 5]).max() > 0
    )  # ...and the extra row is not empty: padding cut it off


@pytest.mark.parametrize("s", [1, 2, 3, 4])
@pytest.mark.parametrize("p", [0, 1, 2])
@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_every_size_that_convolves_to_H_comes_back(s, p, k, rng):
    # All input sizes H_prev with conv_output(H_prev) == H (there are s of them once the kernel fits)
    # map back through output_padding = (H_prev + 2 p - k) % s, and to nothing else.
    H = 3
    sizes = [
        n
        for n in range(1, 30)
        if n + 2 * p >= k and (n + 2 * p - k) // s + 1 == H
    ]
    assert len(sizes) == s or out_size(H, k, s, p, 1, 0) < 1
    w = rng.standard_normal((2, 1, k, k))
    x = rng.standard_normal((2, H, H))
    for n in sizes:
        op = (n + 2 * p - k) % s
        assert out_size(H, k, s, p, 1, op) == n
        y = cnnlit.conv_transpose_forward(
            x, w, None, stride=s, padding=p, output_padding=op
        )
        o_prev = np.zeros((1, n, n))
        np.testing.assert_allclose(
            y,
            cnnlit.conv_backward(x, o_prev, w, stride=s, padding=p)[2],
            rtol=1e-12,
            atol=1e-12,
        )


# ---------------------------------------------------------------------------
# fast against the scatter loops, over many option sets
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("convention", CONVENTIONS)
@pytest.mark.parametrize("dilation", [1, 2, (1, 3)])
@pytest.mark.parametrize("padding", [0, 1, (2, 0), 3])
@pytest.mark.parametrize("stride", [1, 2, 3, (2, 1)])
def test_forward_and_backward_equal_reference(
    stride, padding, dilation, convention, rng
):
    # every allowed output_padding, two kernel shapes, C_in != C_out, a batch and one example
    # (a larger input where padding 3 would otherwise leave no output at stride 1)
    H, W = (7, 6) if padding == 3 else (3, 4)
    checked = 0
    for kshape, op in itertools.product(
        [(2, 3), (3, 1)], output_paddings(stride, dilation)
    ):
        for single in (False, True):
            x, w, b = case(
                rng,
                N=2,
                C_in=2,
                C_out=3,
                H=H,
                W=W,
                kH=kshape[0],
                kW=kshape[1],
                single=single,
            )
            opts = dict(
                stride=stride,
                padding=padding,
                dilation=dilation,
                output_padding=op,
                convention=convention,
            )
            if not fits(x.shape, w.shape, stride, padding, dilation, op):
                with pytest.raises(
                    ValueError, match=r"output size .* must be positive"
                ):
                    cnnlit.conv_transpose_forward(x, w, b, **opts)
                continue
            y = cnnlit.conv_transpose_forward(x, w, b, **opts)
            y_ref = reference.conv_transpose_forward(x, w, b, **opts)
            assert y.shape == y_ref.shape
            np.testing.assert_allclose(y, y_ref, rtol=1e-12, atol=1e-12)
            delta = rng.standard_normal(y.shape)
            got = cnnlit.conv_transpose_backward(delta, x, w, **opts)
            want = reference.conv_transpose_backward(delta, x, w, **opts)
            for name, g, r in zip(
                ("dE_dw", "dE_db", "dE_dx"), got, want, strict=True
            ):
                assert g.shape == r.shape, name
                np.testing.assert_allclose(
                    g, r, rtol=1e-11, atol=1e-11, err_msg=name
                )
            checked += 1
    assert checked > 0


def test_output_padding_past_the_stride_with_dilation(rng):
    # dilation 3 > stride 1: output_padding may be 1 or 2. Without padding the rows it adds lie past
    # every pixel's reach, so they hold the bias alone; with padding 2 they are the rows padding cut.
    x, w, b = case(rng, H=3, W=3, kH=2, kW=2)
    y0 = cnnlit.conv_transpose_forward(x, w, b, dilation=3)
    y2 = cnnlit.conv_transpose_forward(x, w, b, dilation=3, output_padding=2)
    assert y0.shape[2:] == (6, 6) and y2.shape[2:] == (8, 8)
    np.testing.assert_allclose(y2[:, :, :6, :6], y0, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        y2[:, :, 6:],
        np.broadcast_to(b[None, :, None, None], (2, 3, 2, 8)),
        rtol=1e-12,
    )
    yp = cnnlit.conv_transpose_forward(
        x, w, b, dilation=3, padding=2, output_padding=2
    )
    np.testing.assert_allclose(yp, y0[:, :, 2:, 2:], rtol=1e-12, atol=1e-12)
    for opts in (
        dict(dilation=3, output_padding=2),
        dict(dilation=3, padding=2, output_padding=(1, 2)),
    ):
        delta = rng.standard_normal(
            cnnlit.conv_transpose_forward(x, w, b, **opts).shape
        )
        for g, r in zip(
            cnnlit.conv_transpose_backward(delta, x, w, **opts),
            reference.conv_transpose_backward(delta, x, w, **opts),
            strict=True,
        ):
            np.testing.assert_allclose(g, r, rtol=1e-11, atol=1e-11)


def test_padding_larger_than_the_kernel_reach(rng):
    # padding 3 with a 1x1 kernel at stride 3: (4 - 1) 3 - 6 + 0 + 1 = 4 output rows; pixels 0 and 3
    # land at -3 and 6, outside; pixels 1 and 2 land at 0 and 3.
    x, w, b = case(rng, H=4, W=4, kH=1, kW=1)
    y = cnnlit.conv_transpose_forward(
        x, w, b, stride=3, padding=3, convention="correlation"
    )
    want = np.zeros((2, 3, 4, 4)) + b[:, None, None]
    want[:, :, ::3, ::3] += np.einsum(
        "ncij,cm->nmij", x[:, :, 1:3, 1:3], w[:, :, 0, 0]
    )
    np.testing.assert_allclose(y, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        y,
        reference.conv_transpose_forward(
            x, w, b, stride=3, padding=3, convention="correlation"
        ),
        rtol=1e-12,
    )


def test_non_contiguous_inputs(rng):
    x, w, b = case(rng, H=5, W=6)
    xt = np.asfortranarray(x)[:, :, ::-1]
    wt = np.asfortranarray(w)[..., ::-1]
    opts = dict(stride=2, padding=1, output_padding=1, convention="correlation")
    np.testing.assert_allclose(
        cnnlit.conv_transpose_forward(xt, wt, b, **opts),
        reference.conv_transpose_forward(xt, wt, b, **opts),
        rtol=1e-12,
        atol=1e-12,
    )


# ---------------------------------------------------------------------------
# the transposed convolution is the convolution's input gradient, and its adjoint
# ---------------------------------------------------------------------------

OPTION_SETS = [
    dict(),
    dict(stride=2),
    dict(stride=2, padding=1),
    dict(stride=(3, 2), padding=(0, 2), dilation=(2, 1)),
    dict(stride=2, dilation=2, padding=1),
    dict(stride=1, padding=2, dilation=3),
]


@pytest.mark.parametrize("convention", CONVENTIONS)
@pytest.mark.parametrize("opts", OPTION_SETS)
@pytest.mark.parametrize("H_prev, W_prev", [(7, 8), (8, 9)])
def test_equals_input_gradient_of_conv(H_prev, W_prev, opts, convention, rng):
    # conv_transpose_forward(delta, w, None) == conv_backward(delta, o_prev, w)[2] for the same options,
    # with output_padding chosen to give o_prev's size.
    C_out_conv, C_in_conv, kH, kW = 3, 2, 3, 2
    w = rng.standard_normal((C_out_conv, C_in_conv, kH, kW))
    o_prev = rng.standard_normal((2, C_in_conv, H_prev, W_prev))
    (sH, sW), (ph, pw), (dH, dW) = (
        two(opts.get("stride", 1)),
        two(opts.get("padding", 0)),
        two(opts.get("dilation", 1)),
    )
    op = (
        (H_prev + 2 * ph - dH * (kH - 1) - 1) % sH,
        (W_prev + 2 * pw - dW * (kW - 1) - 1) % sW,
    )
    c = cnnlit.conv_forward(
        o_prev, w, np.zeros(C_out_conv), convention=convention, **opts
    )
    delta = rng.standard_normal(c.shape)
    want = cnnlit.conv_backward(
        delta, o_prev, w, convention=convention, **opts
    )[2]
    got = cnnlit.conv_transpose_forward(
        delta, w, None, output_padding=op, convention=convention, **opts
    )
    assert got.shape == o_prev.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    # and for one example
    got1 = cnnlit.conv_transpose_forward(
        delta[1], w, None, output_padding=op, convention=convention, **opts
    )
    np.testing.assert_allclose(got1, want[1], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("convention", CONVENTIONS)
@pytest.mark.parametrize("opts", OPTION_SETS)
def test_adjoint_identities(opts, convention, rng):
    # <conv_forward(o, w), x> == <o, conv_transpose_forward(x, w)>  for every o and x,
    # <conv_transpose_forward(x, w), delta> == <x, dE_dx>  and  == <w, dE_dw>  (linear in x and in w).
    x, w, _ = case(rng, N=2, C_in=3, C_out=2, H=4, W=3, kH=2, kW=3)
    for op in output_paddings(opts.get("stride", 1), opts.get("dilation", 1)):
        y = cnnlit.conv_transpose_forward(
            x, w, None, output_padding=op, convention=convention, **opts
        )
        o = rng.standard_normal(y.shape)
        c = cnnlit.conv_forward(
            o, w, np.zeros(3), convention=convention, **opts
        )
        # with output_padding >= stride (dilation > stride) the convolution of o has rows past x's;
        # the transpose is the adjoint of the convolution cut to x's size.
        c = c[:, :, : x.shape[2], : x.shape[3]]
        assert c.shape == x.shape
        lhs, rhs = dot(c, x), dot(o, y)
        assert abs(lhs - rhs) <= 1e-10 * (1 + abs(lhs))
        delta = rng.standard_normal(y.shape)
        dE_dw, _, dE_dx = cnnlit.conv_transpose_backward(
            delta, x, w, output_padding=op, convention=convention, **opts
        )
        assert abs(dot(y, delta) - dot(x, dE_dx)) <= 1e-10 * (
            1 + abs(dot(y, delta))
        )
        assert abs(dot(y, delta) - dot(w, dE_dw)) <= 1e-10 * (
            1 + abs(dot(y, delta))
        )


def test_conventions_differ_by_the_flip(rng):
    x, w, b = case(rng, H=4, W=4, kH=3, kW=2)
    opts = dict(stride=2, padding=1, output_padding=1)
    np.testing.assert_allclose(
        cnnlit.conv_transpose_forward(x, w, b, **opts),
        cnnlit.conv_transpose_forward(
            x, w[:, :, ::-1, ::-1], b, convention="correlation", **opts
        ),
        rtol=1e-12,
        atol=1e-12,
    )


def test_no_bias_and_bias_gradient(rng):
    # b=None adds nothing (the same as zeros); the backward returns dE_db, the sum of the deltas,
    # whether or not the layer had a bias.
    x, w, b = case(rng, H=3, W=3)
    y0 = cnnlit.conv_transpose_forward(x, w, None, stride=2)
    np.testing.assert_array_equal(
        y0, cnnlit.conv_transpose_forward(x, w, np.zeros(3), stride=2)
    )
    np.testing.assert_allclose(
        cnnlit.conv_transpose_forward(x, w, b, stride=2),
        y0 + b[:, None, None],
        rtol=1e-12,
    )
    delta = rng.standard_normal(y0.shape)
    dE_db = cnnlit.conv_transpose_backward(delta, x, w, stride=2)[1]
    assert dE_db.shape == (3,)
    np.testing.assert_allclose(
        dE_db, [delta[:, m].sum() for m in range(3)], rtol=1e-12
    )


# ---------------------------------------------------------------------------
# finite differences with a random upstream gradient
# ---------------------------------------------------------------------------

FD_CASES = [
    dict(convention="convolution"),
    dict(convention="correlation", stride=2, padding=1, output_padding=1),
    dict(
        convention="convolution",
        stride=(2, 3),
        padding=(1, 0),
        output_padding=(0, 2),
    ),
    dict(
        convention="correlation",
        stride=1,
        dilation=2,
        output_padding=1,
        padding=1,
    ),
    dict(
        convention="convolution",
        stride=2,
        dilation=(1, 3),
        output_padding=(1, 2),
    ),
]


@pytest.mark.parametrize("single", [False, True])
@pytest.mark.parametrize("opts", FD_CASES)
def test_gradients_against_finite_differences(opts, single, rng):
    # E = sum(g * y) with a random g: dE/dy = g, and each gradient against central differences
    x, w, b = case(
        rng, N=2, C_in=2, C_out=3, H=3, W=3, kH=2, kW=3, single=single
    )
    g = rng.standard_normal(
        cnnlit.conv_transpose_forward(x, w, b, **opts).shape
    )

    def E(x_, w_, b_):
        return float(
            np.sum(g * cnnlit.conv_transpose_forward(x_, w_, b_, **opts))
        )

    dE_dw, dE_db, dE_dx = cnnlit.conv_transpose_backward(g, x, w, **opts)
    assert (
        cnnlit.relative_error(
            dE_dx, cnnlit.numerical_gradient(lambda v: E(v, w, b), x)
        )
        < 1e-8
    )
    assert (
        cnnlit.relative_error(
            dE_dw, cnnlit.numerical_gradient(lambda v: E(x, v, b), w)
        )
        < 1e-8
    )
    assert (
        cnnlit.relative_error(
            dE_db, cnnlit.numerical_gradient(lambda v: E(x, w, v), b)
        )
        < 1e-8
    )


# ---------------------------------------------------------------------------
# hypothesis over shapes and options
# ---------------------------------------------------------------------------

FAST = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def transposed_cases(draw):
    N, C_in, C_out = (
        draw(st.integers(1, 2)),
        draw(st.integers(1, 3)),
        draw(st.integers(1, 3)),
    )
    H, W = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    kH, kW = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    op = (
        draw(st.integers(0, max(s[0], d[0]) - 1)),
        draw(st.integers(0, max(s[1], d[1]) - 1)),
    )
    p = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    opts = dict(
        stride=s,
        padding=p,
        dilation=d,
        output_padding=op,
        convention=draw(st.sampled_from(CONVENTIONS)),
    )
    single = draw(st.booleans())
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((C_in, H, W) if single else (N, C_in, H, W))
    w = rng.standard_normal((C_in, C_out, kH, kW))
    b = rng.standard_normal(C_out) if draw(st.booleans()) else None
    return x, w, b, opts, rng


@FAST
@given(transposed_cases())
def test_hypothesis_equals_reference(case_):
    x, w, b, opts, rng = case_
    H_out = out_size(
        x.shape[-2],
        w.shape[2],
        opts["stride"][0],
        opts["padding"][0],
        opts["dilation"][0],
        opts["output_padding"][0],
    )
    W_out = out_size(
        x.shape[-1],
        w.shape[3],
        opts["stride"][1],
        opts["padding"][1],
        opts["dilation"][1],
        opts["output_padding"][1],
    )
    if min(H_out, W_out) < 1:
        with pytest.raises(
            ValueError,
            match=r"output size \(H_out, W_out\) = .* must be positive",
        ):
            cnnlit.conv_transpose_forward(x, w, b, **opts)
        return
    y = cnnlit.conv_transpose_forward(x, w, b, **opts)
    assert y.shape == x.shape[:-3] + (w.shape[1], H_out, W_out)
    np.testing.assert_allclose(
        y,
        reference.conv_transpose_forward(x, w, b, **opts),
        rtol=1e-11,
        atol=1e-11,
    )
    delta = rng.standard_normal(y.shape)
    for g, r in zip(
        cnnlit.conv_transpose_backward(delta, x, w, **opts),
        reference.conv_transpose_backward(delta, x, w, **opts),
        strict=True,
    ):
        assert g.shape == r.shape
        np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-10)


# ---------------------------------------------------------------------------
# PyTorch, only where it is installed
# ---------------------------------------------------------------------------


def test_correlation_is_pytorchs_conv_transpose2d(rng):
    torch = pytest.importorskip("torch")
    x, w, b = case(rng, N=2, C_in=3, C_out=2, H=4, W=5, kH=3, kW=2)
    for opts in (
        dict(stride=2, padding=1, output_padding=1),
        dict(
            stride=(1, 2),
            dilation=(3, 1),
            output_padding=(2, 1),
            padding=(2, 0),
        ),
    ):
        want = torch.nn.functional.conv_transpose2d(
            torch.from_numpy(x),
            torch.from_numpy(w),
            torch.from_numpy(b),
            **opts,
        ).numpy()
        got = cnnlit.conv_transpose_forward(
            x, w, b, convention="correlation", **opts
        )
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


# ---------------------------------------------------------------------------
# dtypes, and inputs left alone
# ---------------------------------------------------------------------------

DTYPE_OPTS = dict(
    stride=2, padding=1, output_padding=1, dilation=2, convention="correlation"
)


def test_float32_in_float32_out(rng):
    x, w, b = (a.astype(np.float32) for a in case(rng, H=4, W=4))
    y = cnnlit.conv_transpose_forward(x, w, b, **DTYPE_OPTS)
    assert y.dtype == np.float32
    assert (
        cnnlit.conv_transpose_forward(x, w, None, **DTYPE_OPTS).dtype
        == np.float32
    )
    assert (
        cnnlit.conv_transpose_forward(x[0], w, b, **DTYPE_OPTS).dtype
        == np.float32
    )
    for out in cnnlit.conv_transpose_backward(
        np.ones_like(y), x, w, **DTYPE_OPTS
    ):
        assert out.dtype == np.float32
    # and the float32 result is the float64 one, rounded
    y64 = cnnlit.conv_transpose_forward(
        x.astype(np.float64),
        w.astype(np.float64),
        b.astype(np.float64),
        **DTYPE_OPTS,
    )
    np.testing.assert_allclose(y, y64, rtol=1e-5, atol=1e-5)
    # one float64 array makes the result float64
    assert (
        cnnlit.conv_transpose_forward(
            x, w.astype(np.float64), b, **DTYPE_OPTS
        ).dtype
        == np.float64
    )
    assert (
        cnnlit.conv_transpose_backward(np.ones(y.shape), x, w, **DTYPE_OPTS)[
            2
        ].dtype
        == np.float64
    )


def test_integers_computed_in_float64(rng):
    x = rng.integers(-3, 4, size=(2, 2, 3, 3))
    w = rng.integers(-3, 4, size=(2, 3, 2, 2))
    b = rng.integers(-3, 4, size=3)
    y = cnnlit.conv_transpose_forward(x, w, b, **DTYPE_OPTS)
    assert y.dtype == np.float64
    np.testing.assert_array_equal(
        y, reference.conv_transpose_forward(x, w, b, **DTYPE_OPTS)
    )
    delta = rng.integers(-3, 4, size=y.shape)
    for g, r in zip(
        cnnlit.conv_transpose_backward(delta, x, w, **DTYPE_OPTS),
        reference.conv_transpose_backward(delta, x, w, **DTYPE_OPTS),
        strict=True,
    ):
        assert g.dtype == np.float64
        np.testing.assert_array_equal(g, r)


@pytest.mark.parametrize(
    "opts", [dict(), dict(stride=2, padding=1, output_padding=1)]
)
@pytest.mark.parametrize("single", [False, True])
def test_inputs_not_modified_read_only(opts, single, rng):
    x, w, b = case(rng, H=3, W=3, single=single)
    delta = rng.standard_normal(
        cnnlit.conv_transpose_forward(x, w, b, **opts).shape
    )
    arrays = (x, w, b, delta)
    copies = [a.copy() for a in arrays]
    for a in arrays:
        a.setflags(write=False)
    outs = (
        cnnlit.conv_transpose_forward(x, w, b, **opts),
    ) + cnnlit.conv_transpose_backward(delta, x, w, **opts)
    for a, c in zip(arrays, copies, strict=True):
        np.testing.assert_array_equal(a, c)
    for out in outs:
        assert out.flags.writeable
        for a in arrays:
            assert not np.shares_memory(out, a)


# ---------------------------------------------------------------------------
# bad input: the message names the argument, what was expected and what arrived
# ---------------------------------------------------------------------------

X = np.ones((2, 3, 4, 4))  # x: N=2, C_in=3, 4x4
W = np.ones((3, 5, 2, 2))  # w: (C_in, C_out, kH, kW), C_out=5
B = np.zeros(5)
DELTA = np.ones((2, 5, 5, 5))  # the output for X, W with stride 1, no padding
F, BW = cnnlit.conv_transpose_forward, cnnlit.conv_transpose_backward

BAD = [
    (
        "x 2-D",
        lambda: F(np.ones((4, 4)), W, B),
        ValueError,
        r"x must have shape \(N, C_in, H, W\) or \(C_in, H, W\), got shape \(4, 4\)",
    ),
    (
        "x 5-D",
        lambda: F(np.ones((1, 2, 3, 4, 4)), W, B),
        ValueError,
        r"x must have shape .*got shape \(1, 2, 3, 4, 4\)",
    ),
    (
        "w 3-D",
        lambda: F(X, np.ones((3, 2, 2)), B),
        ValueError,
        r"w must have shape \(C_in, C_out, kH, kW\), got shape \(3, 2, 2\)",
    ),
    (
        "channel mismatch",
        lambda: F(X, np.ones((2, 5, 2, 2)), B),
        ValueError,
        r"w has C_in=2 .*\(2, 5, 2, 2\).*\(C_in, C_out, kH, kW\).* x has C_in=3 .*\(2, 3, 4, 4\)",
    ),
    (
        "channel mismatch in conv layout",
        lambda: F(X, np.ones((5, 3, 2, 2)), B),
        ValueError,
        r"w has C_in=5 .* x has C_in=3",
    ),
    (
        "channel mismatch single",
        lambda: F(X[0], np.ones((2, 5, 2, 2)), B),
        ValueError,
        r"w has C_in=2 .* x has C_in=3 .*\(3, 4, 4\)",
    ),
    (
        "empty batch",
        lambda: F(np.ones((0, 3, 4, 4)), W, B),
        ValueError,
        r"x and w must not be empty, got x \(0, 3, 4, 4\)",
    ),
    (
        "empty kernel",
        lambda: F(X, np.ones((3, 5, 0, 2)), B),
        ValueError,
        r"must not be empty.* w \(3, 5, 0, 2\)",
    ),
    (
        "bias length",
        lambda: F(X, W, np.zeros(3)),
        ValueError,
        r"b must have shape \(C_out,\) = \(5,\).*got shape \(3,\)",
    ),
    (
        "bias 2-D",
        lambda: F(X, W, np.zeros((5, 1))),
        ValueError,
        r"b must have shape \(C_out,\) = \(5,\).*\(5, 1\)",
    ),
    (
        "output_padding = stride",
        lambda: F(X, W, B, stride=2, output_padding=2),
        ValueError,
        r"output_padding must be smaller than max\(stride, dilation\) = \(2, 2\) in each dimension, got 2",
    ),
    (
        "output_padding with stride 1",
        lambda: F(X, W, B, output_padding=1),
        ValueError,
        r"output_padding must be smaller than max\(stride, dilation\) = \(1, 1\) .*got 1",
    ),
    (
        "output_padding pair, one too large",
        lambda: F(X, W, B, stride=(3, 2), output_padding=(2, 2)),
        ValueError,
        r"output_padding must be smaller than max\(stride, dilation\) = \(3, 2\) .*got \(2, 2\)",
    ),
    (
        "output_padding = dilation > stride",
        lambda: F(X, W, B, dilation=2, output_padding=(0, 2)),
        ValueError,
        r"max\(stride, dilation\) = \(2, 2\) .*got \(0, 2\)",
    ),
    (
        "output_padding negative",
        lambda: F(X, W, B, stride=2, output_padding=-1),
        ValueError,
        r"output_padding must be >= 0, got -1",
    ),
    (
        "output_padding float",
        lambda: F(X, W, B, stride=2, output_padding=0.5),
        TypeError,
        r"output_padding must be an int or a pair of ints, got 0.5",
    ),
    (
        "output size not positive",
        lambda: F(X, W, B, padding=3),
        ValueError,
        (
            r"output size \(H_out, W_out\) = \(-1, -1\) must be positive.*\(H, W\) = \(4, 4\), stride \(1, 1\), "
            r"padding \(3, 3\), dilation \(1, 1\), kernel \(2, 2\), output_padding \(0, 0\)"
        ),
    ),
    (
        "output size zero in one dimension",
        lambda: F(
            np.ones((3, 1, 4)), np.ones((3, 1, 1, 2)), None, padding=(1, 0)
        ),
        ValueError,
        r"output size \(H_out, W_out\) = \(-1, 5\)",
    ),
    (
        "stride 0",
        lambda: F(X, W, B, stride=0),
        ValueError,
        r"stride must be >= 1, got 0",
    ),
    (
        "stride float",
        lambda: F(X, W, B, stride=1.5),
        TypeError,
        r"stride must be an int or a pair of ints, got 1.5",
    ),
    (
        "stride bool",
        lambda: F(X, W, B, stride=True),
        TypeError,
        r"stride must be an int or a pair of ints, got True",
    ),
    (
        "padding negative",
        lambda: F(X, W, B, padding=(0, -1)),
        ValueError,
        r"padding must be >= 0, got \(0, -1\)",
    ),
    (
        "dilation 0",
        lambda: F(X, W, B, dilation=0),
        ValueError,
        r"dilation must be >= 1, got 0",
    ),
    (
        "dilation triple",
        lambda: F(X, W, B, dilation=(1, 1, 1)),
        TypeError,
        r"dilation must be an int or a pair of ints, got \(1, 1, 1\)",
    ),
    (
        "convention",
        lambda: F(X, W, B, convention="conv"),
        ValueError,
        r"convention must be one of 'convolution', 'correlation'; got 'conv'",
    ),
    (
        "complex x",
        lambda: F(X + 1j, W, B),
        TypeError,
        r"x must be real-valued, got a complex array \(dtype complex128\)",
    ),
    (
        "complex w",
        lambda: F(X, W.astype(np.complex64), B),
        TypeError,
        r"w must be real-valued",
    ),
    (
        "string b",
        lambda: F(X, W, "abcde"),
        TypeError,
        r"b must be a real numeric array, got dtype <U5",
    ),
    (
        "object x",
        lambda: F(X.astype(object), W, B),
        TypeError,
        r"x must be a real numeric array, got dtype object",
    ),
    (
        "ragged x",
        lambda: F([[[1.0, 2.0], [3.0]]], W, B),
        TypeError,
        r"x must be a real numeric array; could not convert",
    ),
    (
        "backward delta shape",
        lambda: BW(np.ones((2, 5, 4, 4)), X, W),
        ValueError,
        r"delta must have the shape of the layer's output, \(2, 5, 5, 5\), got shape \(2, 5, 4, 4\)",
    ),
    (
        "backward delta for another output_padding",
        lambda: BW(DELTA, X, W, stride=2, output_padding=1),
        ValueError,
        r"delta must have the shape .*\(2, 5, 9, 9\), got shape \(2, 5, 5, 5\)",
    ),
    (
        "backward delta 4-D for one example",
        lambda: BW(DELTA[:1], X[0], W),
        ValueError,
        r"delta must have the shape .*\(5, 5, 5\), got shape \(1, 5, 5, 5\)",
    ),
    (
        "backward complex delta",
        lambda: BW(DELTA * 1j, X, W),
        TypeError,
        r"delta must be real-valued",
    ),
    (
        "backward channel mismatch",
        lambda: BW(DELTA, X, np.ones((5, 3, 2, 2))),
        ValueError,
        r"w has C_in=5 .* x has C_in=3",
    ),
    (
        "backward output_padding",
        lambda: BW(DELTA, X, W, output_padding=(0, 1)),
        ValueError,
        r"output_padding must be smaller than max\(stride, dilation\) = \(1, 1\)",
    ),
    (
        "backward output size",
        lambda: BW(DELTA, X, W, padding=5),
        ValueError,
        r"output size .* must be positive",
    ),
    (
        "backward convention",
        lambda: BW(DELTA, X, W, convention=None),
        ValueError,
        r"convention must be one of 'convolution', 'correlation'; got None",
    ),
]


@pytest.mark.parametrize(
    "call, exc, pattern", [c[1:] for c in BAD], ids=[c[0] for c in BAD]
)
def test_bad_input(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


def test_good_input_next_to_the_bad():
    # the arrays the bad cases vary are valid as given, so each failure above is the one change
    assert F(X, W, B).shape == (2, 5, 5, 5)
    assert F(X, W, B, stride=2, output_padding=1).shape == (2, 5, 9, 9)
    assert F(X, W, B, dilation=2, output_padding=(0, 1)).shape == (2, 5, 6, 7)
    assert F(X, W, B, padding=2).shape == (2, 5, 1, 1)
    assert [a.shape for a in BW(DELTA, X, W)] == [W.shape, B.shape, X.shape]


@pytest.mark.parametrize("name", ["stride", "dilation"])
def test_sizes_that_cannot_be_allocated_are_named(name):
    # numpy said "iterator is too large": the full output of a 5x5 input with
    # stride 10**12 is (5 - 1) 10**12 + 3 pixels a side, with dilation 10**12
    # 4 + 2 * 10**12 + 1
    x, w = np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3))
    n = 4 * 10**12 + 3 if name == "stride" else 2 * 10**12 + 5
    with pytest.raises(
        ValueError,
        match=rf"{name} \(1000000000000, 1000000000000\) implies an output of shape "
        rf"\(1, 1, {n}, {n}\), .*: more than this machine's memory",
    ):
        cnnlit.conv_transpose_forward(x, w, None, **{name: 10**12})


def test_huge_stride_of_one_pixel_computes(rng):
    # one input pixel never reaches a second footprint: the output is x w
    # (rotated under the convolution convention), whatever the stride
    x, w = rng.standard_normal((2, 1, 1)), rng.standard_normal((2, 3, 2, 3))
    y = cnnlit.conv_transpose_forward(x, w, None, stride=10**12)
    want = np.einsum("c,cmhw->mhw", x[:, 0, 0], w[:, :, ::-1, ::-1])
    np.testing.assert_allclose(y, want, rtol=1e-12)
    dw, db, dx = cnnlit.conv_transpose_backward(
        np.ones_like(y), x, w, stride=10**12
    )
    np.testing.assert_allclose(dx[:, 0, 0], w.sum(axis=(1, 2, 3)), rtol=1e-12)
