r"""One-line checks for the book's exercises.

An exercise that asks for code gives the reader a check such as
``check_bias_gradient(my_function)``: it calls ``my_function`` on a set of
random cases (small sizes, several shapes, ties where they matter), compares
each answer with the package's function and either reports that all cases
agree or raises :class:`ExerciseError` saying what is wrong, on which case,
where, and by how much.

Each check takes the reader's function and returns the number of cases that
agree. The function is called with plain float64 arrays and may return any
array-like; its arguments are never reused, so it may modify them.

Examples
--------
>>> import numpy as np
>>> check_bias_gradient(lambda delta: delta.sum(axis=(0, 2, 3)))
check_bias_gradient: all 12 cases agree
12
>>> check_bias_gradient(lambda delta: delta.sum(axis=(2, 3)))  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
cnnlit.exercises.ExerciseError: check_bias_gradient, case 1 of 12 (delta of shape (1, 1, 3, 3)): ...
"""

import numpy as np

from .conv import conv_backward, conv_forward, conv_output_shape
from .conv_transpose import conv_transpose_forward
from .dense import dense_backward
from .padding import pad
from .pool import pool_backward
from .signal2d import convolve2d, correlate2d

__all__ = [
    "ExerciseError",
    "check_correlate_valid",
    "check_convolve_full",
    "check_output_size",
    "check_bias_gradient",
    "check_complete_input",
    "check_weight_gradient",
    "check_strided_weight_gradient",
    "check_input_gradient",
    "check_strided_input_gradient",
    "check_max_pool_backward",
    "check_mean_pool_backward",
    "check_dense_backward",
    "check_conv_transpose",
    "check_pad",
]


class ExerciseError(AssertionError):
    """A reader's function disagrees with the package on some case."""


def _describe(arrays):
    return ", ".join(
        f"{name} of shape {np.shape(a)}" if np.ndim(a) else f"{name}={a!r}"
        for name, a in arrays.items()
    )


def _compare(check, k, n, desc, got, expected, what, rtol=1e-6, atol=1e-9):
    where = f"{check}, case {k} of {n} ({desc})"
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ExerciseError(
            f"{where}: {what} is not a numeric array ({exc})"
        ) from None
    expected = np.asarray(expected, dtype=float)
    if got.shape != expected.shape:
        raise ExerciseError(
            f"{where}: {what} has shape {got.shape}, expected {expected.shape}"
        )
    bad = ~np.isclose(got, expected, rtol=rtol, atol=atol)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ExerciseError(
            f"{where}: {what} differs in {int(bad.sum())} of {bad.size} entries; "
            f"first at index {idx}: got {got[idx]:.6g}, expected {expected[idx]:.6g}"
        )


def _run(check, fn, cases, outputs=None):
    """Call fn(**inputs) on every case and compare with the expected result(s)."""
    if not callable(fn):
        raise TypeError(f"{check} takes your function, got {type(fn).__name__}")
    n = len(cases)
    for k, (inputs, expected) in enumerate(cases, start=1):
        desc = _describe(inputs)
        args = {
            name: (np.array(a, dtype=float) if np.ndim(a) else a)
            for name, a in inputs.items()
        }
        try:
            got = fn(*args.values())
        except Exception as exc:  # the reader's bug, reported with the case
            raise ExerciseError(
                f"{check}, case {k} of {n} ({desc}): your function raised {type(exc).__name__}: {exc}"
            ) from exc
        if outputs is None:
            _compare(check, k, n, desc, got, expected, "the result")
            continue
        if not isinstance(got, (tuple, list)) or len(got) != len(outputs):
            raise ExerciseError(
                f"{check}, case {k} of {n} ({desc}): expected a tuple of {len(outputs)} "
                f"({', '.join(outputs)}), got {type(got).__name__}"
            )
        for name, g, e in zip(outputs, got, expected, strict=True):
            _compare(check, k, n, desc, g, e, name)
    print(f"{check}: all {n} cases agree")
    return n


def _rng(seed):
    return np.random.default_rng(seed)


def check_correlate_valid(fn, seed=0):
    """``fn(image, kernel)``: the valid cross-correlation of two 2-D arrays.

    Compared with ``correlate2d(image, kernel, "valid")`` on images from 1x1
    to 7x6 and kernels up to the image's size.
    """
    rng = _rng(seed)
    cases = []
    for H, W, kH, kW in [
        (4, 4, 2, 2),
        (1, 1, 1, 1),
        (5, 3, 3, 1),
        (3, 5, 2, 4),
        (7, 6, 3, 3),
        (4, 4, 4, 4),
    ]:
        image, kernel = (
            rng.standard_normal((H, W)),
            rng.standard_normal((kH, kW)),
        )
        cases.append(
            (
                {"image": image, "kernel": kernel},
                correlate2d(image, kernel, "valid"),
            )
        )
    return _run("check_correlate_valid", fn, cases)


def check_convolve_full(fn, seed=0):
    """``fn(image, kernel)``: the full convolution (zero outside the image).

    Compared with ``convolve2d(image, kernel, "full")``.
    """
    rng = _rng(seed)
    cases = []
    for H, W, kH, kW in [
        (4, 4, 2, 2),
        (1, 1, 1, 1),
        (5, 3, 3, 1),
        (3, 5, 2, 4),
        (2, 2, 3, 3),
        (6, 5, 3, 2),
    ]:
        image, kernel = (
            rng.standard_normal((H, W)),
            rng.standard_normal((kH, kW)),
        )
        cases.append(
            (
                {"image": image, "kernel": kernel},
                convolve2d(image, kernel, "full"),
            )
        )
    return _run("check_convolve_full", fn, cases)


def check_output_size(fn):
    """``fn(H, k, s, p, d)``: the output height of a convolution.

    Input height ``H``, kernel height ``k``, stride ``s``, padding ``p`` on
    each side, dilation ``d``; compared with :func:`cnnlit.conv_output_shape`
    on every combination where the dilated kernel fits (a few hundred).
    """
    cases = []
    for H in (1, 2, 5, 8, 13):
        for k in (1, 2, 3, 5):
            for s in (1, 2, 3):
                for p in (0, 1, 2):
                    for d in (1, 2):
                        if d * (k - 1) + 1 <= H + 2 * p:
                            expected = conv_output_shape(
                                H, H, k, k, stride=s, padding=p, dilation=d
                            )[0]
                            cases.append(
                                (
                                    {"H": H, "k": k, "s": s, "p": p, "d": d},
                                    expected,
                                )
                            )
    return _run("check_output_size", fn, cases)


def check_bias_gradient(fn, seed=0):
    """``fn(delta)``: dE/db of a convolutional layer from its deltas.

    ``delta`` has shape ``(N, C_out, H_out, W_out)``; the answer has shape
    ``(C_out,)``. Compared with :func:`cnnlit.conv_backward`.
    """
    rng = _rng(seed)
    cases = []
    for N, C_out, Ho, Wo in [
        (1, 1, 3, 3),
        (2, 3, 4, 5),
        (1, 4, 1, 1),
        (3, 2, 2, 6),
    ] * 3:
        delta = rng.standard_normal((N, C_out, Ho, Wo))
        w = rng.standard_normal((C_out, 1, 2, 2))
        o_prev = rng.standard_normal((N, 1, Ho + 1, Wo + 1))
        cases.append(({"delta": delta}, conv_backward(delta, o_prev, w)[1]))
    return _run("check_bias_gradient", fn, cases)


def _conv_cases(rng, shapes):
    for C_in, C_out, H, W, kH, kW in shapes:
        o_prev = rng.standard_normal((C_in, H, W))
        w = rng.standard_normal((C_out, C_in, kH, kW))
        delta = rng.standard_normal((C_out, H - kH + 1, W - kW + 1))
        yield o_prev, w, delta


_CONV_SHAPES = [
    (1, 1, 4, 4, 2, 2),
    (1, 1, 5, 5, 3, 3),
    (2, 3, 5, 4, 3, 2),
    (3, 2, 6, 6, 1, 1),
    (1, 2, 4, 7, 4, 3),
]


def check_weight_gradient(fn, seed=0):
    """``fn(delta, o_prev)``: dE/dw of one example, the seed's convolution.

    ``delta``: ``(C_out, H_out, W_out)``, ``o_prev``: ``(C_in, H, W)``; the
    answer has the kernels' shape ``(C_out, C_in, kH, kW)`` with
    ``kH = H - H_out + 1``. Compared with :func:`cnnlit.conv_backward`
    (``convention="convolution"``, stride 1, no padding).
    """
    rng = _rng(seed)
    cases = [
        ({"delta": d, "o_prev": o}, conv_backward(d, o, w)[0])
        for o, w, d in _conv_cases(rng, _CONV_SHAPES)
    ]
    return _run("check_weight_gradient", fn, cases)


def check_input_gradient(fn, seed=0):
    """``fn(delta, w)``: dE/do^{l-1} of one example, the seed's convolution.

    ``delta``: ``(C_out, H_out, W_out)``, ``w``: ``(C_out, C_in, kH, kW)``; the
    answer has shape ``(C_in, H_out + kH - 1, W_out + kW - 1)``. Compared with
    :func:`cnnlit.conv_backward` (stride 1, no padding).
    """
    rng = _rng(seed)
    cases = [
        ({"delta": d, "w": w}, conv_backward(d, o, w)[2])
        for o, w, d in _conv_cases(rng, _CONV_SHAPES)
    ]
    return _run("check_input_gradient", fn, cases)


def check_strided_input_gradient(fn, seed=0):
    """``fn(delta, w, s, H, W)``: dE/do^{l-1} of a convolution with stride ``s``.

    One example; ``(H, W)`` is the input's size (with a stride it is not
    determined by the output's). Compared with :func:`cnnlit.conv_backward`.
    """
    rng = _rng(seed)
    cases = []
    for C_in, C_out, H, W, k, s in [
        (1, 1, 5, 5, 3, 2),
        (1, 1, 6, 6, 3, 2),
        (2, 3, 7, 5, 2, 2),
        (1, 2, 7, 7, 3, 3),
        (2, 1, 4, 6, 1, 2),
    ]:
        o_prev = rng.standard_normal((C_in, H, W))
        w = rng.standard_normal((C_out, C_in, k, k))
        Ho, Wo = conv_output_shape(H, W, k, k, stride=s)
        delta = rng.standard_normal((C_out, Ho, Wo))
        expected = conv_backward(delta, o_prev, w, stride=s)[2]
        cases.append(
            ({"delta": delta, "w": w, "s": s, "H": H, "W": W}, expected)
        )
    return _run("check_strided_input_gradient", fn, cases)


def _pool_cases(rng, ties):
    for C, H, W, k, s in [
        (1, 4, 4, 2, 2),
        (2, 6, 6, 3, 3),
        (1, 5, 5, 3, 2),
        (2, 4, 6, 2, 1),
        (1, 3, 3, 3, 3),
    ]:
        if ties:  # few distinct values: many windows hold a tie
            o_prev = rng.integers(0, 3, size=(C, H, W)).astype(float)
        else:
            o_prev = rng.standard_normal((C, H, W))
        Ho, Wo = (H - k) // s + 1, (W - k) // s + 1
        yield o_prev, rng.standard_normal((C, Ho, Wo)), k, s


def check_max_pool_backward(fn, seed=0):
    """``fn(delta, o_prev, k, s)``: dE/do^{l-1} of k x k max pooling, stride s.

    One example, ``o_prev``: ``(C, H, W)``. On a tie the *first* maximum in
    row-major order gets the delta; where windows overlap (s < k) the deltas
    add up. Compared with :func:`cnnlit.pool_backward`.
    """
    rng = _rng(seed)
    cases = []
    for ties in (False, True):
        for o_prev, delta, k, s in _pool_cases(rng, ties):
            expected = pool_backward(delta, o_prev, k, stride=s, mode="max")
            cases.append(
                ({"delta": delta, "o_prev": o_prev, "k": k, "s": s}, expected)
            )
    return _run("check_max_pool_backward", fn, cases)


def check_mean_pool_backward(fn, seed=0):
    """``fn(delta, o_prev, k, s)``: dE/do^{l-1} of k x k mean pooling, stride s.

    Compared with :func:`cnnlit.pool_backward` (``mode="mean"``).
    """
    rng = _rng(seed)
    cases = []
    for o_prev, delta, k, s in _pool_cases(rng, False):
        expected = pool_backward(delta, o_prev, k, stride=s, mode="mean")
        cases.append(
            ({"delta": delta, "o_prev": o_prev, "k": k, "s": s}, expected)
        )
    return _run("check_mean_pool_backward", fn, cases)


def check_dense_backward(fn, seed=0):
    """``fn(delta, x, w)``: ``(dE_dw, dE_db, dE_dx)`` of a dense layer ``c = x w^T + b``.

    ``delta``: ``(N, D_out)``, ``x``: ``(N, D_in)``, ``w``: ``(D_out, D_in)``.
    Compared with :func:`cnnlit.dense_backward`.
    """
    rng = _rng(seed)
    cases = []
    for N, D_in, D_out in [(1, 3, 2), (4, 5, 3), (2, 1, 1), (3, 7, 10)]:
        delta, x = (
            rng.standard_normal((N, D_out)),
            rng.standard_normal((N, D_in)),
        )
        w = rng.standard_normal((D_out, D_in))
        cases.append(
            ({"delta": delta, "x": x, "w": w}, dense_backward(delta, x, w))
        )
    return _run(
        "check_dense_backward", fn, cases, outputs=("dE_dw", "dE_db", "dE_dx")
    )


def check_strided_weight_gradient(fn, seed=0):
    """``fn(delta, o_prev, s, kH, kW)``: dE/dw of one example, the seed's convolution with stride ``s``.

    ``delta``: ``(C_out, H_out, W_out)``, ``o_prev``: ``(C_in, H, W)``; the
    answer has the kernels' shape ``(C_out, C_in, kH, kW)`` (with a stride the
    kernel's size does not follow from the other shapes). In some cases the
    last rows or columns of ``o_prev`` are read by no window. Compared with
    :func:`cnnlit.conv_backward` (``convention="convolution"``, no padding).
    """
    rng = _rng(seed)
    cases = []
    for C_in, C_out, H, W, kH, kW, s in [
        (1, 1, 5, 5, 3, 3, 2),
        (1, 1, 6, 6, 3, 3, 2),
        (2, 3, 7, 5, 2, 2, 2),
        (1, 2, 7, 8, 3, 2, 3),
        (2, 1, 4, 6, 1, 1, 2),
    ]:
        o_prev = rng.standard_normal((C_in, H, W))
        w = rng.standard_normal((C_out, C_in, kH, kW))
        Ho, Wo = conv_output_shape(H, W, kH, kW, stride=s)
        delta = rng.standard_normal((C_out, Ho, Wo))
        expected = conv_backward(delta, o_prev, w, stride=s)[0]
        cases.append(
            (
                {"delta": delta, "o_prev": o_prev, "s": s, "kH": kH, "kW": kW},
                expected,
            )
        )
    return _run("check_strided_weight_gradient", fn, cases)


def check_complete_input(fn, seed=0):
    """``fn(o_prev, w, b)``: the complete input c of one example, the seed's convolution.

    ``o_prev``: ``(C_in, H, W)``, ``w``: ``(C_out, C_in, kH, kW)``, ``b``:
    ``(C_out,)``; the answer has shape ``(C_out, H - kH + 1, W - kW + 1)``.
    Compared with :func:`cnnlit.conv_forward` (``convention="convolution"``,
    stride 1, no padding), on non-square kernels, 1x1 kernels, kernels as
    large as the input and ``C_in != C_out``.
    """
    rng = _rng(seed)
    cases = []
    for o_prev, w, _ in _conv_cases(rng, _CONV_SHAPES + [(2, 2, 3, 3, 3, 3)]):
        b = rng.standard_normal(w.shape[0])
        cases.append(
            ({"o_prev": o_prev, "w": w, "b": b}, conv_forward(o_prev, w, b))
        )
    return _run("check_complete_input", fn, cases)


def check_conv_transpose(fn, seed=0):
    """``fn(x, w, s)``: the transposed convolution of one channel, stride ``s``.

    ``x``: ``(H, W)``, ``w``: ``(kH, kW)``; the answer has shape
    ``((H - 1) s + kH, (W - 1) s + kW)``: every pixel ``x[i, j]`` adds
    ``x[i, j] * rot180(w)`` to the output at rows ``s i .. s i + kH - 1`` and
    columns ``s j .. s j + kW - 1`` (the transpose of the seed's convolution,
    no padding). Compared with :func:`cnnlit.conv_transpose_forward`.
    """
    rng = _rng(seed)
    cases = []
    for H, W, kH, kW, s in [
        (2, 2, 3, 3, 2),
        (1, 1, 2, 2, 1),
        (3, 2, 2, 3, 1),
        (2, 3, 3, 2, 3),
        (4, 4, 4, 4, 2),
        (3, 1, 1, 2, 2),
    ]:
        x, w = rng.standard_normal((H, W)), rng.standard_normal((kH, kW))
        expected = conv_transpose_forward(
            x[None], w[None, None], None, stride=s
        )[0]
        cases.append(({"x": x, "w": w, "s": s}, expected))
    return _run("check_conv_transpose", fn, cases)


def check_pad(fn, seed=0):
    """``fn(image, p, boundary)``: ``image`` padded by ``p`` pixels on every side.

    ``image``: ``(H, W)``; the answer has shape ``(H + 2p, W + 2p)``.
    ``boundary`` is one of scipy's names: ``'fill'`` (zeros), ``'wrap'``
    (periodic) or ``'symm'`` (mirrored with the edge pixel repeated, what
    ``np.pad`` calls ``'symmetric'``, not its ``'reflect'``). Compared with
    :func:`cnnlit.padding.pad` on images from 1x1 to 5x4 and ``p`` from 0 to
    3, some cases with ``p`` as large as the image or larger (where the
    padding repeats the rule, not just the edge rows).
    """
    rng = _rng(seed)
    cases = []
    for H, W, p in [
        (4, 4, 1),
        (3, 5, 2),
        (1, 1, 2),
        (4, 3, 0),
        (2, 3, 3),
        (5, 4, 1),
    ]:
        for boundary in ("fill", "wrap", "symm"):
            image = rng.standard_normal((H, W))
            cases.append(
                (
                    {"image": image, "p": p, "boundary": boundary},
                    pad(image, p, p, boundary),
                )
            )
    return _run("check_pad", fn, cases)
