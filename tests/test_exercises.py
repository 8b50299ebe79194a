"""The exercise checks: right answers pass, typical mistakes are caught and named."""

import numpy as np
import pytest

from cnnlit import exercises as ex
from cnnlit.exercises import ExerciseError

# ---- right answers, written from the formulas (loops and plain numpy) --------


def correlate_valid(image, kernel):
    H, W = image.shape
    kH, kW = kernel.shape
    out = np.zeros((H - kH + 1, W - kW + 1))
    for x in range(out.shape[0]):
        for y in range(out.shape[1]):
            out[x, y] = np.sum(image[x : x + kH, y : y + kW] * kernel)
    return out


def convolve_full(image, kernel):
    H, W = image.shape
    kH, kW = kernel.shape
    out = np.zeros((H + kH - 1, W + kW - 1))
    for x in range(H):
        for y in range(W):
            out[x : x + kH, y : y + kW] += image[x, y] * kernel
    return out


def output_size(H, k, s, p, d):
    return (H + 2 * p - d * (k - 1) - 1) // s + 1


def weight_gradient(delta, o_prev):
    C_out, Ho, Wo = delta.shape
    C_in, H, W = o_prev.shape
    kH, kW = H - Ho + 1, W - Wo + 1
    g = np.zeros((C_out, C_in, kH, kW))
    for m in range(C_out):
        for n in range(C_in):
            # c(x, y) = sum o(x + kH-1 - p, y + kW-1 - q) w(p, q)
            for p in range(kH):
                for q in range(kW):
                    win = o_prev[
                        n,
                        kH - 1 - p : kH - 1 - p + Ho,
                        kW - 1 - q : kW - 1 - q + Wo,
                    ]
                    g[m, n, p, q] = np.sum(delta[m] * win)
    return g


def input_gradient_strided(delta, w, s, H, W):
    C_out, C_in, kH, kW = w.shape
    g = np.zeros((C_in, H, W))
    for m in range(C_out):
        for x in range(delta.shape[1]):
            for y in range(delta.shape[2]):
                # output pixel (x, y) reads o(s x + kH-1 - p, s y + kW-1 - q) w(p, q)
                for p in range(kH):
                    for q in range(kW):
                        g[:, s * x + kH - 1 - p, s * y + kW - 1 - q] += (
                            delta[m, x, y] * w[m, :, p, q]
                        )
    return g


def weight_gradient_strided(delta, o_prev, s, kH, kW):
    C_out, Ho, Wo = delta.shape
    g = np.zeros((C_out, o_prev.shape[0], kH, kW))
    for m, n, p, q in np.ndindex(g.shape):
        for x in range(Ho):
            for y in range(Wo):
                # output pixel (x, y) reads o(s x + kH-1 - p, s y + kW-1 - q) w(p, q)
                g[m, n, p, q] += (
                    delta[m, x, y]
                    * o_prev[n, s * x + kH - 1 - p, s * y + kW - 1 - q]
                )
    return g


def input_gradient(delta, w):
    C_out, C_in, kH, kW = w.shape
    H, W = delta.shape[1] + kH - 1, delta.shape[2] + kW - 1
    return input_gradient_strided(delta, w, 1, H, W)


def pool_backward(delta, o_prev, k, s, mode):
    g = np.zeros_like(o_prev)
    for c in range(delta.shape[0]):
        for x in range(delta.shape[1]):
            for y in range(delta.shape[2]):
                win = o_prev[c, s * x : s * x + k, s * y : s * y + k]
                if mode == "max":
                    p, q = divmod(
                        int(np.argmax(win)), k
                    )  # argmax: the first maximum
                    g[c, s * x + p, s * y + q] += delta[c, x, y]
                else:
                    g[c, s * x : s * x + k, s * y : s * y + k] += (
                        delta[c, x, y] / k**2
                    )
    return g


def dense_backward(delta, x, w):
    return delta.T @ x, delta.sum(axis=0), delta @ w


def complete_input(o_prev, w, b):
    # c_m(x, y) = sum_{n, x', y'} o_n(x + kH-1 - x', y + kW-1 - y') w_{n,m}(x', y') + b_m
    C_out, C_in, kH, kW = w.shape
    _, H, W = o_prev.shape
    c = np.zeros((C_out, H - kH + 1, W - kW + 1))
    for m in range(C_out):
        for x in range(c.shape[1]):
            for y in range(c.shape[2]):
                c[m, x, y] = b[m] + sum(
                    o_prev[n, x + kH - 1 - p, y + kW - 1 - q] * w[m, n, p, q]
                    for n in range(C_in)
                    for p in range(kH)
                    for q in range(kW)
                )
    return c


def conv_transpose(x, w, s, flip=True):
    # scatter: pixel (i, j) adds x[i, j] times the kernel, rotated for the source post's convention
    kH, kW = w.shape
    laid = w[::-1, ::-1] if flip else w
    y = np.zeros(((x.shape[0] - 1) * s + kH, (x.shape[1] - 1) * s + kW))
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            y[s * i : s * i + kH, s * j : s * j + kW] += x[i, j] * laid
    return y


def pad_by_rules(image, p, boundary):
    # each padded cell copies i(x, y) for x, y outside the image: zero,
    # periodic, or mirrored with the edge repeated (period 2H)
    H, W = image.shape
    out = np.zeros((H + 2 * p, W + 2 * p))
    for r in range(H + 2 * p):
        for c in range(W + 2 * p):
            x, y = r - p, c - p
            if boundary == "wrap":
                x, y = x % H, y % W
            elif boundary == "symm":
                x, y = x % (2 * H), y % (2 * W)
                x, y = (
                    (x if x < H else 2 * H - 1 - x),
                    (y if y < W else 2 * W - 1 - y),
                )
            elif not (0 <= x < H and 0 <= y < W):
                continue
            out[r, c] = image[x, y]
    return out


RIGHT = [
    (ex.check_correlate_valid, correlate_valid),
    (ex.check_convolve_full, convolve_full),
    (ex.check_output_size, output_size),
    (ex.check_bias_gradient, lambda delta: delta.sum(axis=(0, 2, 3))),
    (ex.check_weight_gradient, weight_gradient),
    (ex.check_input_gradient, input_gradient),
    (ex.check_strided_input_gradient, input_gradient_strided),
    (
        ex.check_max_pool_backward,
        lambda d, o, k, s: pool_backward(d, o, k, s, "max"),
    ),
    (
        ex.check_mean_pool_backward,
        lambda d, o, k, s: pool_backward(d, o, k, s, "mean"),
    ),
    (ex.check_dense_backward, dense_backward),
    (ex.check_strided_weight_gradient, weight_gradient_strided),
    (ex.check_complete_input, complete_input),
    (ex.check_conv_transpose, conv_transpose),
    (ex.check_pad, pad_by_rules),
]


@pytest.mark.parametrize(
    "check, answer", RIGHT, ids=[c.__name__ for c, _ in RIGHT]
)
def test_right_answers_pass(check, answer, capsys):
    n = check(answer)
    assert n >= 4
    assert (
        capsys.readouterr().out.strip()
        == f"{check.__name__}: all {n} cases agree"
    )


def test_every_check_is_tested():
    assert {c.__name__ for c, _ in RIGHT} == {
        n for n in ex.__all__ if n.startswith("check_")
    }


# ---- typical mistakes -------------------------------------------------------


def last_max_pool(delta, o_prev, k, s):
    g = np.zeros_like(o_prev)
    for c in range(delta.shape[0]):
        for x in range(delta.shape[1]):
            for y in range(delta.shape[2]):
                win = o_prev[c, s * x : s * x + k, s * y : s * y + k].ravel()
                p, q = divmod(
                    len(win) - 1 - int(np.argmax(win[::-1])), k
                )  # the LAST maximum
                g[c, s * x + p, s * y + q] += delta[c, x, y]
    return g


def overwriting_max_pool(delta, o_prev, k, s):
    g = np.zeros_like(o_prev)
    for c in range(delta.shape[0]):
        for x in range(delta.shape[1]):
            for y in range(delta.shape[2]):
                win = o_prev[c, s * x : s * x + k, s * y : s * y + k]
                p, q = divmod(int(np.argmax(win)), k)
                g[c, s * x + p, s * y + q] = delta[c, x, y]  # = instead of +=
    return g


@pytest.mark.parametrize(
    "check, wrong, match",
    [
        (
            ex.check_bias_gradient,
            lambda d: d.sum(axis=(2, 3)),
            r"case 1 of 12 .*has shape \(1, 1\), expected \(1,\)",
        ),
        (
            ex.check_bias_gradient,
            lambda d: d.mean(axis=(0, 2, 3)),
            r"differs in 1 of 1 entries",
        ),
        (
            ex.check_bias_gradient,
            lambda d: d.sum(axis=(0, 2, 3)).tolist() + [0],
            "has shape",
        ),
        (
            ex.check_weight_gradient,
            lambda d, o: weight_gradient(d, o)[:, :, ::-1, ::-1],
            "differs",
        ),
        (
            ex.check_input_gradient,
            lambda d, w: input_gradient(d, w[:, :, ::-1, ::-1]),
            "differs",
        ),
        (
            ex.check_correlate_valid,
            lambda i, k: correlate_valid(i, k[::-1, ::-1]),
            "case 1 of 6 .*differs",
        ),
        (ex.check_convolve_full, correlate_valid, "has shape"),
        (
            ex.check_output_size,
            lambda H, k, s, p, d: (H + 2 * p - k) // s + 1,
            r"case \d+ of \d+ \(H=\d+, k=\d+, s=\d+, p=\d+, d=2\)",
        ),
        (
            ex.check_strided_input_gradient,
            lambda d, w, s, H, W: input_gradient_strided(d, w, 1, H, W),
            "raised IndexError|differs|has shape",
        ),
        (
            ex.check_max_pool_backward,
            last_max_pool,
            r"o_prev of shape .*differs",
        ),
        (ex.check_max_pool_backward, overwriting_max_pool, "differs"),
        (
            ex.check_mean_pool_backward,
            lambda d, o, k, s: pool_backward(d, o, k, s, "max"),
            "differs",
        ),
        (
            ex.check_dense_backward,
            lambda d, x, w: (x.T @ d, d.sum(0), d @ w),
            r"dE_dw has shape",
        ),
        (
            ex.check_dense_backward,
            lambda d, x, w: (d.T @ x, d.sum(0)),
            r"expected a tuple of 3 \(dE_dw, dE_db, dE_dx\)",
        ),
        (
            ex.check_strided_weight_gradient,
            lambda d, o, s, kH, kW: weight_gradient_strided(d, o, 1, kH, kW),
            "case 1 of 5 .*s=2.*differs",
        ),
        (
            ex.check_strided_weight_gradient,
            lambda d, o, s, kH, kW: weight_gradient_strided(d, o, s, kH, kW)[
                ..., ::-1, ::-1
            ],
            "differs",
        ),
        (
            ex.check_conv_transpose,
            lambda x, w, s: conv_transpose(x, w, s, flip=False),
            "case 1 of 6 .*differs",
        ),
        (
            ex.check_conv_transpose,
            lambda x, w, s: conv_transpose(x, w, 1),
            r"s=2\).*has shape \(4, 4\), expected \(5, 5\)",
        ),
        (
            ex.check_bias_gradient,
            lambda d: 1 / 0,
            "your function raised ZeroDivisionError",
        ),
        (
            ex.check_complete_input,
            lambda o, w, b: complete_input(o, w[:, :, ::-1, ::-1], b),
            r"check_complete_input, case 1 of 6 \(o_prev of shape \(1, 4, 4\), w of shape \(1, 1, 2, 2\), "
            r"b of shape \(1,\)\): the result differs",
        ),
        (
            ex.check_complete_input,
            lambda o, w, b: complete_input(o, w, 0 * b),
            "differs",
        ),
        (
            ex.check_bias_gradient,
            lambda d: "abc",
            "the result is not a numeric array",
        ),
        (
            ex.check_pad,
            lambda im, p, b: np.pad(
                im,
                p,
                mode={"fill": "constant", "wrap": "wrap", "symm": "reflect"}[b],
            ),
            r"check_pad, case 3 of 18 \(image of shape \(4, 4\), p=1, boundary='symm'\): the result differs",
        ),
        (
            ex.check_pad,
            lambda im, p, b: np.pad(
                im, ((p, 0), (p, 0)), mode="wrap" if b == "wrap" else "constant"
            ),
            r"case 1 of 18 .*has shape \(5, 5\), expected \(6, 6\)",
        ),
        (
            ex.check_pad,
            lambda im, p, b: np.pad(
                im, p, mode="edge" if b != "fill" else "constant"
            ),
            r"case 2 of 18 .*boundary='wrap'.*differs",
        ),
        (
            ex.check_pad,
            lambda im, p, b: pad_by_rules(im, p, "wrap" if b == "symm" else b),
            "boundary='symm'.*differs",
        ),
    ],
)
def test_mistakes_are_named(check, wrong, match):
    with pytest.raises(ExerciseError, match=match):
        check(wrong)


def test_overlapping_max_pool_needs_accumulation():
    # the overwriting version passes tiling windows but not overlapping ones
    with pytest.raises(ExerciseError, match=r"k=2, s=1\).*differs"):
        ex.check_max_pool_backward(overwriting_max_pool)


def test_check_takes_a_function():
    with pytest.raises(
        TypeError, match="check_bias_gradient takes your function, got ndarray"
    ):
        ex.check_bias_gradient(np.ones(3))


def test_reader_may_modify_the_arguments():
    def destructive(delta):
        out = delta.sum(axis=(0, 2, 3))
        delta[...] = np.nan
        return out

    assert ex.check_bias_gradient(destructive) == 12


# ---- results that are not real arrays -------------------------------------------

# One right answer per check, called with the check's arguments.
ANSWER = {check.__name__: answer for check, answer in RIGHT}


def _tuple_map(result, f):
    return (
        tuple(f(r) for r in result) if isinstance(result, tuple) else f(result)
    )


@pytest.mark.parametrize(
    "check", [c for c, _ in RIGHT], ids=lambda c: c.__name__
)
def test_a_complex_result_is_wrong(check):
    # the right values plus 1j used to pass every case (cast to real)
    answer = ANSWER[check.__name__]
    with pytest.raises(
        ExerciseError,
        match=rf"{check.__name__}, case 1 of \d+ \(.*\): .* is complex "
        r"\(dtype complex128, largest imaginary part 1\); expected real numbers",
    ):
        check(lambda *a: _tuple_map(answer(*a), lambda r: np.asarray(r) + 1j))
    # complex with zero imaginary parts is refused too: take .real deliberately
    with pytest.raises(ExerciseError, match="largest imaginary part 0"):
        check(lambda *a: _tuple_map(answer(*a), lambda r: np.asarray(r) + 0j))


@pytest.mark.parametrize(
    "check", [c for c, _ in RIGHT], ids=lambda c: c.__name__
)
def test_a_missing_return_is_named(check):
    # used to be "has shape ()" or "got nan" in 13 of the 14 checks
    def forgot_return(*args):
        ANSWER[check.__name__](*args)

    with pytest.raises(
        ExerciseError,
        match=rf"{check.__name__}, case 1 of \d+ \(.*\): your function returned None "
        r"\(a missing return\?\)$",
    ):
        check(forgot_return)


def test_a_missing_part_of_a_tuple_is_named():
    with pytest.raises(
        ExerciseError, match=r"case 1 of 4 \(.*\): dE_db is None$"
    ):
        ex.check_dense_backward(lambda d, x, w: (d.T @ x, None, d @ w))


class Unconvertible:
    """Like a torch tensor that requires grad: numpy cannot read it."""

    def __array__(self, dtype=None, copy=None):
        raise RuntimeError(
            "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
        )


@pytest.mark.parametrize(
    "check, wrong, what",
    [
        (ex.check_bias_gradient, lambda d: Unconvertible(), "the result"),
        (
            ex.check_dense_backward,
            lambda d, x, w: (d.T @ x, Unconvertible(), d @ w),
            "dE_db",
        ),
    ],
)
def test_an_object_numpy_cannot_read_is_named_with_the_case(check, wrong, what):
    # the RuntimeError used to escape the check bare
    with pytest.raises(
        ExerciseError,
        match=rf"case 1 of \d+ \(.*\): {what} is not a numeric array \(Unconvertible that "
        r"numpy cannot convert: RuntimeError: Can't call numpy\(\) on Tensor that requires grad",
    ):
        check(wrong)


@pytest.mark.parametrize(
    "result, message",
    [
        ("abc", r"the result is not a numeric array \(dtype <U3\)"),
        ([[1.0, 2.0], [3.0]], "the result is not a numeric array"),
        (np.array([1j], dtype=object), "the result is not a numeric array"),
    ],
    ids=["string", "ragged", "object complex"],
)
def test_other_non_numeric_results(result, message):
    with pytest.raises(ExerciseError, match=message):
        ex.check_bias_gradient(lambda d: result)


# ---- pooling with gaps between the windows ------------------------------------------


@pytest.mark.parametrize(
    "check, mode",
    [
        (ex.check_max_pool_backward, "max"),
        (ex.check_mean_pool_backward, "mean"),
    ],
)
def test_pooling_checks_have_a_stride_larger_than_the_window(check, mode):
    # an answer wrong only where windows leave gaps (s > k) passed every case
    seen = []

    def right_but_where_gapped(delta, o_prev, k, s):
        seen.append((k, s))
        return pool_backward(delta, o_prev, k, s, mode) + (s > k)

    with pytest.raises(ExerciseError, match=r"k=2, s=3\): the result differs"):
        check(right_but_where_gapped)
    assert all(s <= k for k, s in seen[:-1]) and seen[-1] == (2, 3)
