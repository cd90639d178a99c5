"""Scalar semantics (IR.md): unary and binary operators, math functions and casts on
canonical NumPy scalars of one exact dtype.

Integers are computed with Python ints and wrapped to the width (two's complement); ``/`` and
``%`` truncate toward zero as in C; division by zero raises, INT_MIN / -1 is INT_MIN. Shifts
by an amount outside [0, bits) give 0, or -1 for a negative signed ``>>``. Floats are IEEE,
computed by NumPy on the exact float type with every floating-point warning off.
"""

from __future__ import annotations

import math
import operator
import warnings

import numpy as np

from weldpy.errors import WeldUnsupportedError, WeldZeroDivisionError
from weldpy.ir.exprs import BinKind as B
from weldpy.ir.exprs import UnaryKind as U
from weldpy.ir.types import ScalarKind


def wrap(x: int, kind: ScalarKind):
    """The Python int ``x`` wrapped to ``kind``'s width, as a NumPy scalar of ``kind``."""
    bits = kind.bits
    x &= (1 << bits) - 1
    if kind.is_signed and x >> (bits - 1):
        x -= 1 << bits
    return kind.dtype.type(x)


def _div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def _mod(a: int, b: int) -> int:
    return a - b * _div(a, b)


_COMPARISONS = {
    B.EQ: operator.eq, B.NE: operator.ne, B.LT: operator.lt,
    B.LE: operator.le, B.GT: operator.gt, B.GE: operator.ge,
}

_INT_BINARY = {
    B.ADD: operator.add, B.SUB: operator.sub, B.MUL: operator.mul, B.DIV: _div, B.MOD: _mod,
    B.BAND: operator.and_, B.BOR: operator.or_, B.XOR: operator.xor, B.MIN: min, B.MAX: max,
}

_BOOL_BINARY = {
    B.BAND: operator.and_, B.BOR: operator.or_, B.XOR: operator.xor, B.MIN: min, B.MAX: max,
}

def _pow(a, b):
    # NumPy's scalar power differs from its array loop (pow(-inf, 0.5) is NaN, last-bit
    # differences in f32); users compare against arrays, so compute on one-element arrays.
    return np.power(np.array([a]), np.array([b]))[0]


_FLOAT_BINARY = {
    B.ADD: np.add, B.SUB: np.subtract, B.MUL: np.multiply, B.DIV: np.divide, B.MOD: np.fmod,
    B.MIN: np.minimum, B.MAX: np.maximum, B.POW: _pow, B.ATAN2: np.arctan2,
    B.HYPOT: np.hypot,
}


def _unsupported(what: str, op, kind: ScalarKind):
    return WeldUnsupportedError(f"interp: {what} {op.value!r} is not defined on {kind.value}")


def _shift(op, a: int, b: int, kind: ScalarKind):
    if 0 <= b < kind.bits:
        return wrap(a << b if op is B.SHL else a >> b, kind)
    # an amount outside [0, bits) (a negative one read as unsigned is huge) shifts all out
    return wrap(-1 if op is B.SHR and a < 0 else 0, kind)


def builder_identity(op, kind: ScalarKind):
    """The identity of a builder's ``op`` (a ``types.BuilderOp``) on ``kind``, as a NumPy
    scalar: 0, 1, or the largest/smallest value (inf for floats, so that ``min``/``max``
    with a NaN still give NaN)."""
    if op.value in ("+", "*"):
        return kind.dtype.type(0 if op.value == "+" else 1)
    smallest = op.value == "max"
    if kind is ScalarKind.BOOL:
        return np.bool_(not smallest)
    if kind.is_float:
        return kind.dtype.type(-np.inf if smallest else np.inf)
    info = np.iinfo(kind.dtype)
    return kind.dtype.type(info.min if smallest else info.max)


def builder_min_max(op: B, a, b, kind: ScalarKind):
    """What a builder's ``min``/``max`` merges: on floats IEEE 754-2019's minimum/maximum, NaN
    when either is NaN and -0.0 below 0.0, so that the answer does not depend on the order of
    the merges (mergers reduce in parallel parts and vector lanes); else ``binary``'s."""
    if not kind.is_float:
        return binary(op, a, b, kind)
    if np.isnan(a):
        return a
    if np.isnan(b):
        return b
    if a != b:
        return binary(op, a, b, kind)
    negative, positive = (a, b) if np.signbit(a) else (b, a)
    return negative if op is B.MIN else positive


def binary(op: B, a, b, kind: ScalarKind):
    """``a op b`` for two NumPy scalars of ``kind`` (comparisons give ``np.bool_``)."""
    if op in _COMPARISONS:
        return np.bool_(_COMPARISONS[op](a, b))
    if kind.is_float:
        fn = _FLOAT_BINARY.get(op)
        if fn is None:
            raise _unsupported("operator", op, kind)
        with np.errstate(all="ignore"):
            return kind.dtype.type(fn(a, b))
    if kind is ScalarKind.BOOL:
        fn = _BOOL_BINARY.get(op)
        if fn is None:
            raise _unsupported("operator", op, kind)
        return np.bool_(fn(bool(a), bool(b)))
    x, y = int(a), int(b)
    if op in (B.SHL, B.SHR):
        return _shift(op, x, y, kind)
    fn = _INT_BINARY.get(op)
    if fn is None:
        raise _unsupported("operator", op, kind)
    if y == 0 and op in (B.DIV, B.MOD):
        raise WeldZeroDivisionError(
            f"integer {'division' if op is B.DIV else 'remainder'} by zero: "
            f"{x} {op.value} 0 on {kind.value}")
    return wrap(fn(x, y), kind)


def _erf(x):
    # no erf in NumPy: math.erf in double precision, rounded to the operand's type
    return type(x)(math.erf(float(x)))


_FLOAT_UNARY = {
    U.NEG: np.negative, U.EXP: np.exp, U.LOG: np.log, U.SQRT: np.sqrt, U.SIN: np.sin,
    U.COS: np.cos, U.TAN: np.tan, U.ASIN: np.arcsin, U.ACOS: np.arccos, U.ATAN: np.arctan,
    U.SINH: np.sinh, U.COSH: np.cosh, U.TANH: np.tanh, U.ERF: _erf, U.FLOOR: np.floor,
    U.CEIL: np.ceil, U.TRUNC: np.trunc, U.RINT: np.rint, U.ABS: np.abs, U.SIGN: np.sign,
    U.LOG1P: np.log1p, U.EXPM1: np.expm1, U.LOG2: np.log2, U.LOG10: np.log10,
    U.EXP2: np.exp2, U.CBRT: np.cbrt,
}

_FLOAT_PREDICATES = {U.ISNAN: np.isnan, U.ISINF: np.isinf, U.ISFINITE: np.isfinite}

_INT_UNARY = {
    U.NEG: operator.neg, U.ABS: abs, U.SIGN: lambda x: (x > 0) - (x < 0),
}


def unary(op: U, a, kind: ScalarKind):
    """``op(a)`` for a NumPy scalar of ``kind``."""
    if kind is ScalarKind.BOOL:
        if op is not U.NOT:
            raise _unsupported("function", op, kind)
        return np.bool_(not a)
    if kind.is_float:
        if op in _FLOAT_PREDICATES:
            return np.bool_(_FLOAT_PREDICATES[op](a))
        fn = _FLOAT_UNARY.get(op)
        if fn is None:
            raise _unsupported("function", op, kind)
        with np.errstate(all="ignore"):
            return kind.dtype.type(fn(a))
    fn = _INT_UNARY.get(op)
    if fn is None:
        raise _unsupported("function", op, kind)
    return wrap(fn(int(a)), kind)


def cast(a, kind: ScalarKind):
    """``kind(a)``: to bool is ``a != 0``; between numbers exactly what NumPy's ``astype``
    gives (int wrap-around, x86-64 results for NaN and out-of-range float -> int)."""
    if kind is ScalarKind.BOOL:
        return np.bool_(a != 0)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return np.array([a]).astype(kind.dtype)[0]
