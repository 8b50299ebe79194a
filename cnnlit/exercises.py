r"""One-line checks for the book's exercises.

An exercise that asks for code gives the reader a check such as
``check_bias_gradient(my_function)``: it calls ``my_function`` on a set of
random cases (small sizes, several shapes, ties where they matter), compares
each answer with the package's function and either reports that all cases
agree or raises :class:`ExerciseError` saying what is wrong, on which case,
where, and by how much.

Each check takes the reader's function and returns the number of cases that
agree. The function is called with plain float64 arrays and may return any
array-like; its arguments are never reused, so it may modify them. A
function that returns None (a missing ``return``), a complex result (even
with zero imaginary parts) or an object numpy cannot read (a torch tensor
that requires grad) is reported as such, with the case.

Every check is one checker, ``_check``, run over its exercise's table of
cases: below, each ``check_*`` is written as the function that draws one case
(its inputs and the package's answer), and the decorator above it gives the
reader's function's arguments and the table of case sizes.

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

from collections.abc import Callable
from typing import NamedTuple

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


class _Exercise(NamedTuple):
    """One exercise: the reader's function's arguments and the table of its cases.

    ``make(rng, *size)`` draws the inputs of the case ``size`` (one row of
    ``sizes``) from ``rng`` and returns them, in the order of ``arguments``,
    followed by the package's answer. ``outputs`` names the parts of an
    answer that is a tuple (None: one array).
    """

    name: str
    arguments: tuple
    sizes: list
    make: Callable
    outputs: tuple | None = None


def _exercise(arguments, sizes, outputs=None, seeded=True):
    """Make a case-drawing function ``make(rng, *size)`` into the check of its name.

    The check ``check_x(fn, seed=0)`` (``check_x(fn)`` when not ``seeded``)
    has ``make``'s docstring and runs :func:`_check` over ``sizes``.
    """

    def decorate(make):
        exercise = _Exercise(make.__name__, arguments, sizes, make, outputs)

        def seeded_check(fn, seed=0):
            return _check(exercise, fn, seed)

        def unseeded_check(fn):
            return _check(exercise, fn)

        check = seeded_check if seeded else unseeded_check
        check.__name__ = check.__qualname__ = make.__name__
        check.__doc__ = make.__doc__
        check.exercise = exercise
        return check

    return decorate


def _check(exercise, fn, seed=0):
    """The one checker: ``fn`` on every case of ``exercise``, compared with the package."""
    if not callable(fn):
        raise TypeError(
            f"{exercise.name} takes your function, got {type(fn).__name__}"
        )
    rng = np.random.default_rng(seed)
    cases = [exercise.make(rng, *size) for size in exercise.sizes]
    n = len(cases)
    for k, (*values, expected) in enumerate(cases, start=1):
        inputs = dict(zip(exercise.arguments, values, strict=True))
        where = f"{exercise.name}, case {k} of {n} ({_describe(inputs)})"
        # fresh copies: the reader's function may modify its arguments
        args = [np.array(a, dtype=float) if np.ndim(a) else a for a in values]
        try:
            got = fn(*args)
        except Exception as exc:  # the reader's bug, reported with the case
            raise ExerciseError(
                f"{where}: your function raised {type(exc).__name__}: {exc}"
            ) from exc
        if got is None:
            raise ExerciseError(
                f"{where}: your function returned None (a missing return?)"
            )
        if exercise.outputs is None:
            _compare(where, got, expected, "the result")
            continue
        if not isinstance(got, (tuple, list)) or len(got) != len(
            exercise.outputs
        ):
            raise ExerciseError(
                f"{where}: expected a tuple of {len(exercise.outputs)} "
                f"({', '.join(exercise.outputs)}), got {type(got).__name__}"
            )
        for name, g, e in zip(exercise.outputs, got, expected, strict=True):
            _compare(where, g, e, name)
    print(f"{exercise.name}: all {n} cases agree")
    return n


def _describe(arrays):
    return ", ".join(
        f"{name} of shape {np.shape(a)}" if np.ndim(a) else f"{name}={a!r}"
        for name, a in arrays.items()
    )


def _real_array(where, got, what):
    """``got`` as a float array, or ExerciseError saying why it is not one.

    Nothing is cast away: a complex result is wrong even when its imaginary
    parts are zero (take ``.real`` deliberately), and an object numpy cannot
    read (a torch tensor that requires grad, ...) is named with the case.
    """
    if got is None:
        raise ExerciseError(f"{where}: {what} is None")
    try:
        arr = np.asarray(got)
    except (
        Exception
    ) as exc:  # numpy cannot read it: ragged, or a foreign object
        raise ExerciseError(
            f"{where}: {what} is not a numeric array ({type(got).__name__} that numpy "
            f"cannot convert: {type(exc).__name__}: {exc})"
        ) from None
    if arr.dtype.kind == "c":
        imag = float(np.abs(arr.imag).max()) if arr.size else 0.0
        raise ExerciseError(
            f"{where}: {what} is complex (dtype {arr.dtype}, largest imaginary part "
            f"{imag:.3g}); expected real numbers"
        )
    if arr.dtype.kind == "O":
        try:
            arr = arr.astype(float)
        except (TypeError, ValueError) as exc:
            raise ExerciseError(
                f"{where}: {what} is not a numeric array ({exc})"
            ) from None
    if arr.dtype.kind not in "biuf":
        raise ExerciseError(
            f"{where}: {what} is not a numeric array (dtype {arr.dtype})"
        )
    return arr.astype(float, copy=False)


def _compare(where, got, expected, what, rtol=1e-6, atol=1e-9):
    got = _real_array(where, got, what)
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


# ---- the exercises: each draws one case of its table; the decorator makes it the check


def _image_kernel(rng, H, W, kH, kW):
    return rng.standard_normal((H, W)), rng.standard_normal((kH, kW))


@_exercise(
    ("image", "kernel"),
    [
        (4, 4, 2, 2),
        (1, 1, 1, 1),
        (5, 3, 3, 1),
        (3, 5, 2, 4),
        (7, 6, 3, 3),
        (4, 4, 4, 4),
    ],
)
def check_correlate_valid(rng, H, W, kH, kW):
    """``fn(image, kernel)``: the valid cross-correlation of two 2-D arrays.

    Compared with ``correlate2d(image, kernel, "valid")`` on images from 1x1
    to 7x6 and kernels up to the image's size.
    """
    image, kernel = _image_kernel(rng, H, W, kH, kW)
    return image, kernel, correlate2d(image, kernel, "valid")


@_exercise(
    ("image", "kernel"),
    [
        (4, 4, 2, 2),
        (1, 1, 1, 1),
        (5, 3, 3, 1),
        (3, 5, 2, 4),
        (2, 2, 3, 3),
        (6, 5, 3, 2),
    ],
)
def check_convolve_full(rng, H, W, kH, kW):
    """``fn(image, kernel)``: the full convolution (zero outside the image).

    Compared with ``convolve2d(image, kernel, "full")``.
    """
    image, kernel = _image_kernel(rng, H, W, kH, kW)
    return image, kernel, convolve2d(image, kernel, "full")


@_exercise(
    ("H", "k", "s", "p", "d"),
    [
        (H, k, s, p, d)
        for H in (1, 2, 5, 8, 13)
        for k in (1, 2, 3, 5)
        for s in (1, 2, 3)
        for p in (0, 1, 2)
        for d in (1, 2)
        if d * (k - 1) + 1 <= H + 2 * p  # the dilated kernel fits
    ],
    seeded=False,
)
def check_output_size(rng, H, k, s, p, d):
    """``fn(H, k, s, p, d)``: the output height of a convolution.

    Input height ``H``, kernel height ``k``, stride ``s``, padding ``p`` on
    each side, dilation ``d``; compared with :func:`cnnlit.conv_output_shape`
    on every combination where the dilated kernel fits (a few hundred).
    """
    H_out = conv_output_shape(H, H, k, k, stride=s, padding=p, dilation=d)[0]
    return H, k, s, p, d, H_out


@_exercise(
    ("delta",), [(1, 1, 3, 3), (2, 3, 4, 5), (1, 4, 1, 1), (3, 2, 2, 6)] * 3
)
def check_bias_gradient(rng, N, C_out, Ho, Wo):
    """``fn(delta)``: dE/db of a convolutional layer from its deltas.

    ``delta`` has shape ``(N, C_out, H_out, W_out)``; the answer has shape
    ``(C_out,)``. Compared with :func:`cnnlit.conv_backward`.
    """
    delta = rng.standard_normal((N, C_out, Ho, Wo))
    w = rng.standard_normal((C_out, 1, 2, 2))
    o_prev = rng.standard_normal((N, 1, Ho + 1, Wo + 1))
    return delta, conv_backward(delta, o_prev, w)[1]


# (C_in, C_out, H, W, kH, kW) of the convolutions without stride
_CONV_SHAPES = [
    (1, 1, 4, 4, 2, 2),
    (1, 1, 5, 5, 3, 3),
    (2, 3, 5, 4, 3, 2),
    (3, 2, 6, 6, 1, 1),
    (1, 2, 4, 7, 4, 3),
]


def _conv_arrays(rng, C_in, C_out, H, W, kH, kW):
    o_prev = rng.standard_normal((C_in, H, W))
    w = rng.standard_normal((C_out, C_in, kH, kW))
    delta = rng.standard_normal((C_out, H - kH + 1, W - kW + 1))
    return o_prev, w, delta


@_exercise(("delta", "o_prev"), _CONV_SHAPES)
def check_weight_gradient(rng, *shape):
    """``fn(delta, o_prev)``: dE/dw of one example, the source post's convolution.

    ``delta``: ``(C_out, H_out, W_out)``, ``o_prev``: ``(C_in, H, W)``; the
    answer has the kernels' shape ``(C_out, C_in, kH, kW)`` with
    ``kH = H - H_out + 1``. Compared with :func:`cnnlit.conv_backward`
    (``convention="convolution"``, stride 1, no padding).
    """
    o_prev, w, delta = _conv_arrays(rng, *shape)
    return delta, o_prev, conv_backward(delta, o_prev, w)[0]


@_exercise(("delta", "w"), _CONV_SHAPES)
def check_input_gradient(rng, *shape):
    """``fn(delta, w)``: dE/do^{l-1} of one example, the source post's convolution.

    ``delta``: ``(C_out, H_out, W_out)``, ``w``: ``(C_out, C_in, kH, kW)``; the
    answer has shape ``(C_in, H_out + kH - 1, W_out + kW - 1)``. Compared with
    :func:`cnnlit.conv_backward` (stride 1, no padding).
    """
    o_prev, w, delta = _conv_arrays(rng, *shape)
    return delta, w, conv_backward(delta, o_prev, w)[2]


def _strided_arrays(rng, C_in, C_out, H, W, kH, kW, s):
    o_prev = rng.standard_normal((C_in, H, W))
    w = rng.standard_normal((C_out, C_in, kH, kW))
    Ho, Wo = conv_output_shape(H, W, kH, kW, stride=s)
    delta = rng.standard_normal((C_out, Ho, Wo))
    return o_prev, w, delta, conv_backward(delta, o_prev, w, stride=s)


@_exercise(
    ("delta", "w", "s", "H", "W"),
    [
        (1, 1, 5, 5, 3, 2),
        (1, 1, 6, 6, 3, 2),
        (2, 3, 7, 5, 2, 2),
        (1, 2, 7, 7, 3, 3),
        (2, 1, 4, 6, 1, 2),
    ],
)
def check_strided_input_gradient(rng, C_in, C_out, H, W, k, s):
    """``fn(delta, w, s, H, W)``: dE/do^{l-1} of a convolution with stride ``s``.

    One example; ``(H, W)`` is the input's size (with a stride it is not
    determined by the output's). Compared with :func:`cnnlit.conv_backward`.
    """
    _, w, delta, grads = _strided_arrays(rng, C_in, C_out, H, W, k, k, s)
    return delta, w, s, H, W, grads[2]


# (C, H, W, k, s) of the pooling cases: windows that tile, overlap (s < k),
# cover the whole image, or leave gaps (s > k: rows and columns no window reads)
_POOL_SHAPES = [
    (1, 4, 4, 2, 2),
    (2, 6, 6, 3, 3),
    (1, 5, 5, 3, 2),
    (2, 4, 6, 2, 1),
]
_WHOLE_IMAGE = (1, 3, 3, 3, 3)
_GAPPED = (1, 7, 8, 2, 3)


def _pool_case(rng, mode, ties, C, H, W, k, s):
    if ties:  # few distinct values: many windows hold a tie
        o_prev = rng.integers(0, 3, size=(C, H, W)).astype(float)
    else:
        o_prev = rng.standard_normal((C, H, W))
    delta = rng.standard_normal((C, (H - k) // s + 1, (W - k) // s + 1))
    return (
        delta,
        o_prev,
        k,
        s,
        pool_backward(delta, o_prev, k, stride=s, mode=mode),
    )


@_exercise(
    ("delta", "o_prev", "k", "s"),
    [(False, *shape) for shape in _POOL_SHAPES + [_WHOLE_IMAGE]]
    + [(True, *shape) for shape in _POOL_SHAPES + [_GAPPED]],
)
def check_max_pool_backward(rng, ties, *shape):
    """``fn(delta, o_prev, k, s)``: dE/do^{l-1} of k x k max pooling, stride s.

    One example, ``o_prev``: ``(C, H, W)``. On a tie the *first* maximum in
    row-major order gets the delta; where windows overlap (s < k) the deltas
    add up; where they leave gaps (s > k) the pixels no window reads get
    zero. Compared with :func:`cnnlit.pool_backward`.
    """
    return _pool_case(rng, "max", ties, *shape)


@_exercise(("delta", "o_prev", "k", "s"), _POOL_SHAPES + [_GAPPED])
def check_mean_pool_backward(rng, *shape):
    """``fn(delta, o_prev, k, s)``: dE/do^{l-1} of k x k mean pooling, stride s.

    Windows that tile, overlap (s < k) and leave gaps (s > k). Compared with
    :func:`cnnlit.pool_backward` (``mode="mean"``).
    """
    return _pool_case(rng, "mean", False, *shape)


@_exercise(
    ("delta", "x", "w"),
    [(1, 3, 2), (4, 5, 3), (2, 1, 1), (3, 7, 10)],
    outputs=("dE_dw", "dE_db", "dE_dx"),
)
def check_dense_backward(rng, N, D_in, D_out):
    """``fn(delta, x, w)``: ``(dE_dw, dE_db, dE_dx)`` of a dense layer ``c = x w^T + b``.

    ``delta``: ``(N, D_out)``, ``x``: ``(N, D_in)``, ``w``: ``(D_out, D_in)``.
    Compared with :func:`cnnlit.dense_backward`.
    """
    delta, x = rng.standard_normal((N, D_out)), rng.standard_normal((N, D_in))
    w = rng.standard_normal((D_out, D_in))
    return delta, x, w, dense_backward(delta, x, w)


@_exercise(
    ("delta", "o_prev", "s", "kH", "kW"),
    [
        (1, 1, 5, 5, 3, 3, 2),
        (1, 1, 6, 6, 3, 3, 2),
        (2, 3, 7, 5, 2, 2, 2),
        (1, 2, 7, 8, 3, 2, 3),
        (2, 1, 4, 6, 1, 1, 2),
    ],
)
def check_strided_weight_gradient(rng, C_in, C_out, H, W, kH, kW, s):
    """``fn(delta, o_prev, s, kH, kW)``: dE/dw of one example, the source post's convolution with stride ``s``.

    ``delta``: ``(C_out, H_out, W_out)``, ``o_prev``: ``(C_in, H, W)``; the
    answer has the kernels' shape ``(C_out, C_in, kH, kW)`` (with a stride the
    kernel's size does not follow from the other shapes). In some cases the
    last rows or columns of ``o_prev`` are read by no window. Compared with
    :func:`cnnlit.conv_backward` (``convention="convolution"``, no padding).
    """
    o_prev, _, delta, grads = _strided_arrays(rng, C_in, C_out, H, W, kH, kW, s)
    return delta, o_prev, s, kH, kW, grads[0]


@_exercise(("o_prev", "w", "b"), _CONV_SHAPES + [(2, 2, 3, 3, 3, 3)])
def check_complete_input(rng, *shape):
    """``fn(o_prev, w, b)``: the complete input c of one example, the source post's convolution.

    ``o_prev``: ``(C_in, H, W)``, ``w``: ``(C_out, C_in, kH, kW)``, ``b``:
    ``(C_out,)``; the answer has shape ``(C_out, H - kH + 1, W - kW + 1)``.
    Compared with :func:`cnnlit.conv_forward` (``convention="convolution"``,
    stride 1, no padding), on non-square kernels, 1x1 kernels, kernels as
    large as the input and ``C_in != C_out``.
    """
    o_prev, w, _ = _conv_arrays(rng, *shape)
    b = rng.standard_normal(w.shape[0])
    return o_prev, w, b, conv_forward(o_prev, w, b)


@_exercise(
    ("x", "w", "s"),
    [
        (2, 2, 3, 3, 2),
        (1, 1, 2, 2, 1),
        (3, 2, 2, 3, 1),
        (2, 3, 3, 2, 3),
        (4, 4, 4, 4, 2),
        (3, 1, 1, 2, 2),
    ],
)
def check_conv_transpose(rng, H, W, kH, kW, s):
    """``fn(x, w, s)``: the transposed convolution of one channel, stride ``s``.

    ``x``: ``(H, W)``, ``w``: ``(kH, kW)``; the answer has shape
    ``((H - 1) s + kH, (W - 1) s + kW)``: every pixel ``x[i, j]`` adds
    ``x[i, j] * rot180(w)`` to the output at rows ``s i .. s i + kH - 1`` and
    columns ``s j .. s j + kW - 1`` (the transpose of the source post's
    convolution, no padding). Compared with
    :func:`cnnlit.conv_transpose_forward`.
    """
    x, w = _image_kernel(rng, H, W, kH, kW)
    y = conv_transpose_forward(x[None], w[None, None], None, stride=s)[0]
    return x, w, s, y


@_exercise(
    ("image", "p", "boundary"),
    [
        (H, W, p, boundary)
        for H, W, p in [
            (4, 4, 1),
            (3, 5, 2),
            (1, 1, 2),
            (4, 3, 0),
            (2, 3, 3),
            (5, 4, 1),
        ]
        for boundary in ("fill", "wrap", "symm")
    ],
)
def check_pad(rng, H, W, p, boundary):
    """``fn(image, p, boundary)``: ``image`` padded by ``p`` pixels on every side.

    ``image``: ``(H, W)``; the answer has shape ``(H + 2p, W + 2p)``.
    ``boundary`` is one of scipy's names: ``'fill'`` (zeros), ``'wrap'``
    (periodic) or ``'symm'`` (mirrored with the edge pixel repeated, what
    ``np.pad`` calls ``'symmetric'``, not its ``'reflect'``). Compared with
    :func:`cnnlit.padding.pad` on images from 1x1 to 5x4 and ``p`` from 0 to
    3, some cases with ``p`` as large as the image or larger (where the
    padding repeats the rule, not just the edge rows).
    """
    image = rng.standard_normal((H, W))
    return image, p, boundary, pad(image, p, p, boundary)
