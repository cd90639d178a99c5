"""Comparing two backends' results of the same program (user values of IR.md's convention).

Integers, bools and structure must be identical. Floats are compared as IR.md allows:
bit for bit (any NaN equal to any NaN), except where the program may legitimately differ:
math-library functions (a few ULP, which later operations may amplify: see
``uses_math_library``) and reassociated float
reductions (whose overflow to inf, or inf - inf to NaN, can happen in a different order).
"""

from __future__ import annotations

import numpy as np

from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.ir.traverse import preorder

EXACT_UNARY = {E.UnaryKind.NEG, E.UnaryKind.NOT, E.UnaryKind.SQRT, E.UnaryKind.FLOOR,
               E.UnaryKind.CEIL, E.UnaryKind.TRUNC, E.UnaryKind.RINT, E.UnaryKind.ABS,
               E.UnaryKind.SIGN, E.UnaryKind.ISNAN, E.UnaryKind.ISINF,
               E.UnaryKind.ISFINITE}
INEXACT_BINARY = {E.BinKind.POW, E.BinKind.ATAN2, E.BinKind.HYPOT}


def uses_math_library(expr: E.Expr) -> bool:
    """Whether ``expr`` calls functions that are correct only to a few ULP (exp, sin ...):
    later operations can amplify those differences without bound (sin of a large argument),
    so such programs are compared function by function, not end to end."""
    return any((isinstance(n, E.UnaryOp) and n.op not in EXACT_UNARY)
               or (isinstance(n, E.BinOp) and n.op in INEXACT_BINARY) for n in preorder(expr))


def reassociates(expr: E.Expr) -> bool:
    """Whether ``expr`` has float reductions, which a backend may reassociate (IR.md)."""
    return any(isinstance(n, E.NewBuilder) and _float_reduction(n.type_)
               for n in preorder(expr))


def _float_reduction(ty) -> bool:
    if isinstance(ty, (T.Merger, T.VecMerger, T.DictMerger)):
        value = ty.value if isinstance(ty, T.DictMerger) else ty.elem
        floats = [f for f in (value.fields if isinstance(value, T.Struct) else (value,))
                  if isinstance(f, T.Scalar) and f.kind.is_float]
        return bool(floats) and ty.op in (T.BuilderOp.ADD, T.BuilderOp.MUL)
    return False


def assert_same(got, want, loose: bool, path: str = "result") -> None:
    """``got`` equals ``want`` (floats bit for bit, or loosely when ``loose``)."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and list(got) == list(want), (path, got, want)
        for k in want:
            assert_same(got[k], want[k], loose, f"{path}[{k!r}]")
    elif isinstance(want, (list, tuple)):
        assert type(got) is type(want) and len(got) == len(want), (path, got, want)
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_same(g, w, loose, f"{path}[{i}]")
    elif isinstance(want, bytes):
        assert got == want, (path, got, want)
    else:
        _same_array(np.asarray(got), np.asarray(want), loose, path)


def _same_array(got: np.ndarray, want: np.ndarray, loose: bool, path: str) -> None:
    assert got.dtype == want.dtype and got.shape == want.shape, (path, got, want)
    if want.dtype.names:
        for name in want.dtype.names:
            _same_array(got[name], want[name], loose, f"{path}.{name}")
        return
    if want.dtype.kind != "f":
        assert np.array_equal(got, want), (path, got, want)
        return
    if not loose:
        # bit for bit, -0.0 included; a NaN's sign and payload are not (IEEE 754 leaves which
        # input NaN an operation returns to the implementation: x86 returns the first
        # operand's, LLVM may commute the operands)
        nan = np.isnan(want)
        assert np.array_equal(np.isnan(got), nan), (path, got, want)
        bits = np.dtype(f"u{want.dtype.itemsize}")
        assert np.array_equal(got[~nan].view(bits), want[~nan].view(bits)), (path, got, want)
        return
    finite = np.isfinite(got) & np.isfinite(want)
    rtol = 1e-6 if want.dtype == np.float64 else 1e-3
    assert np.allclose(got[finite], want[finite], rtol=rtol, atol=1e-300), (path, got, want)


def ulp_distance(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """How many representable floats lie between ``got`` and ``want``, element by element
    (both finite or equal)."""
    bits = {2: np.int16, 4: np.int32, 8: np.int64}[want.dtype.itemsize]
    lo = np.iinfo(bits).min

    def ordered(x):  # float bit patterns -> integers in the floats' order
        i = x.view(bits).astype(np.int64)
        return np.where(i < 0, lo - i, i)

    return np.abs(ordered(got) - ordered(want))
