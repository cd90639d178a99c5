"""Elementwise functions (NumPy's ufuncs) as IR: one loop per call, over the operands'
vectors in C order, which the optimiser then fuses with its neighbours.

Types are NumPy's own: ``ufunc.resolve_dtypes`` gives the loop's input and output dtypes for
the operands (NEP 50 as the installed NumPy does it: a Python scalar takes the array's type),
and the ufunc is called once on zero-size stand-ins so that whatever NumPy raises for these
types and values (a Python integer out of bounds for int8, no loop for the types) is raised
at the call. Operands are cast to the loop's dtype, the operation applied, the result cast to
the output dtype.

Broadcasting is NumPy's: operands whose shape is the result's are zipped; one with a smaller
shape is read by ``lookup`` at the flat offset of each result element (strides of 0 on its
broadcast axes); scalars (0-d lazy values, literals) are read as they are.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from weldpy.errors import WeldOverflowError, WeldShapeError, WeldTypeError, WeldValueError
from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.lazy import Check, Lazy, interned
from weldpy.numpy import fp_errors
from weldpy.numpy.dtypes import compute_kind
from weldpy.numpy.loops import (
    ELEMENT,
    INDEX,
    axis_index,
    count,
    i64,
    loop,
    loop_into,
    over,
    read,
)
from weldpy.numpy.operands import Operand, operand

B, U, K = E.BinKind, E.UnaryKind, T.ScalarKind


def _binary(op: E.BinKind) -> Callable:
    return lambda args, kinds: E.BinOp(op, args[0], args[1])


def _unary(op: E.UnaryKind) -> Callable:
    return lambda args, kinds: E.UnaryOp(op, args[0])


def _arithmetic(op: E.BinKind, on_bool: E.BinKind) -> Callable:
    """``+`` and ``*``: on bools NumPy's loops are ``or`` and ``and``."""
    return lambda args, kinds: E.BinOp(on_bool if kinds[0] is K.BOOL else op, args[0], args[1])


def _rounding(op: E.UnaryKind) -> Callable:
    """floor/ceil/trunc: the identity on integers and bools (NumPy keeps their dtype)."""
    return lambda args, kinds: E.UnaryOp(op, args[0]) if kinds[0].is_float else args[0]


def _float_test(op: E.UnaryKind, otherwise: bool) -> Callable:
    """isnan/isinf/isfinite: on integers and bools the same answer for every element."""
    return lambda args, kinds: (E.UnaryOp(op, args[0]) if kinds[0].is_float
                                else E.Literal(K.BOOL, otherwise))


def _comparison(op: E.BinKind) -> Callable:
    """A comparison; NumPy compares a signed with an unsigned 64-bit integer exactly (a
    negative one is below every unsigned one)."""
    def build(args, kinds):
        a, b = args
        if kinds[0] is kinds[1]:
            return E.BinOp(op, a, b)
        if kinds[0].is_signed:  # signed a, unsigned b
            negative = E.BinOp(B.LT, a, E.Literal(kinds[0], 0))
            unsigned = E.BinOp(op, E.Cast(kinds[1], a), b)
            below = op in (B.LT, B.LE, B.NE)  # the answer for a negative a
        else:  # unsigned a, signed b
            negative = E.BinOp(B.LT, b, E.Literal(kinds[1], 0))
            unsigned = E.BinOp(op, a, E.Cast(kinds[0], b))
            below = op in (B.GT, B.GE, B.NE)
        return E.Select(negative, E.Literal(K.BOOL, below), unsigned)
    return build


def _logical(op: E.BinKind) -> Callable:
    """logical_and/or/xor: of the operands' truth (NumPy has loops on numbers too)."""
    return lambda args, kinds: E.BinOp(op, *(a if k is K.BOOL else cast(a, k, K.BOOL)
                                              for a, k in zip(args, kinds, strict=True)))


def _absolute(args, kinds):
    """abs: the identity on unsigned integers and bools; INT_MIN stays INT_MIN (NumPy)."""
    return E.UnaryOp(U.ABS, args[0]) if kinds[0].is_signed else args[0]


def _sign(args, kinds):
    kind = kinds[0]
    if kind.is_float:
        return E.UnaryOp(U.SIGN, args[0])
    one, zero = E.Literal(kind, 1), E.Literal(kind, 0)
    positive = E.Select(E.BinOp(B.GT, args[0], zero), one, zero)
    if not kind.is_signed:
        return positive
    return E.Select(E.BinOp(B.LT, args[0], zero), E.Literal(kind, -1), positive)


def _nan_ignoring(op: E.BinKind) -> Callable:
    """fmin/fmax: the other operand where one is NaN (on integers, min/max)."""
    def build(args, kinds):
        a, b = args
        both = E.BinOp(op, a, b)
        if not kinds[0].is_float:
            return both
        return E.Select(E.UnaryOp(U.ISNAN, a), b, E.Select(E.UnaryOp(U.ISNAN, b), a, both))
    return build


def _scaled(factor: Callable[[np.dtype], float]) -> Callable:
    """deg2rad/rad2deg: ``x * factor`` with NumPy's constant for the loop's type."""
    return lambda args, kinds: E.BinOp(B.MUL, args[0],
                                       E.Literal(kinds[0], float(factor(kinds[0].dtype))))


def _power(args, kinds):
    """Floats: a scalar exponent of 2 or 0.5 computed as NumPy's loop does (a square, a
    square root). Integers: square-and-multiply (wrapping as NumPy's), unrolled for a
    constant exponent, else a loop per element (a negative exponent is an error:
    ``fp_errors.integer_conditions``)."""
    base, exponent = args
    if not kinds[0].is_float:
        return _integer_power(base, exponent, kinds[0])
    if isinstance(exponent, E.Literal) and exponent.value == 2.0:
        return E.BinOp(B.MUL, base, base)
    if isinstance(exponent, E.Literal) and exponent.value == 0.5:
        return E.UnaryOp(U.SQRT, base)
    return E.BinOp(B.POW, base, exponent)


def _integer_power(base: E.Expr, exponent: E.Expr, kind: T.ScalarKind) -> E.Expr:
    one, two = E.Literal(kind, 1), E.Literal(kind, 2)
    if isinstance(exponent, E.Literal):  # (a negative one was refused at the call)
        bits = bin(int(exponent.value))[2:][::-1]
        result: E.Expr = one
        power = E.Ident("pow_base")
        out = []  # (lets: each square computed once)
        for k, bit in enumerate(bits):
            if bit == "1":
                result = power if result is one else E.BinOp(B.MUL, result, power)
            if k + 1 < len(bits):
                out.append((f"pow_sq{k}", E.BinOp(B.MUL, power, power)))
                power = E.Ident(f"pow_sq{k}")
        for name, value in reversed(out):
            result = E.Let(name, value, result)
        return E.Let("pow_base", base, result)
    state = E.Ident("pow_state")
    result, power, left = (E.GetField(state, k) for k in range(3))
    odd = E.BinOp(B.NE, E.BinOp(B.BAND, left, one), E.Literal(kind, 0))
    step = E.MakeStruct((E.Select(odd, E.BinOp(B.MUL, result, power), result),
                         E.BinOp(B.MUL, power, power), E.BinOp(B.DIV, left, two)))
    update = E.Lambda((E.Param("pow_state", None),), E.If(
        E.BinOp(B.GT, left, E.Literal(kind, 0)),
        E.MakeStruct((step, E.Literal(K.BOOL, True))),
        E.MakeStruct((state, E.Literal(K.BOOL, False)))))
    return E.GetField(E.Iterate(E.MakeStruct((one, base, exponent)), update), 0)


def _reciprocal(args, kinds):
    """Floats: ``1 / x``. Integers as NumPy's loop on x86-64: 1, -1, 0 elsewhere, and at 0
    what NumPy gives there (the most negative int32/int64, else 0)."""
    if kinds[0].is_float:
        return E.BinOp(B.DIV, E.Literal(kinds[0], 1.0), args[0])
    kind, x = kinds[0], args[0]
    with np.errstate(all="ignore"):
        at_zero = int(np.reciprocal(np.zeros(1, kind.dtype))[0])
    value = E.Select(E.BinOp(B.EQ, x, E.Literal(kind, 0)), E.Literal(kind, at_zero),
                     E.Literal(kind, 0))
    value = E.Select(E.BinOp(B.EQ, x, E.Literal(kind, 1)), E.Literal(kind, 1), value)
    if kind.is_signed:
        value = E.Select(E.BinOp(B.EQ, x, E.Literal(kind, -1)), E.Literal(kind, -1), value)
    return value


def _clip(args, kinds):
    return E.BinOp(B.MIN, E.BinOp(B.MAX, args[0], args[1]), args[2])


def _divmod(args, kinds, want: str):
    """NumPy's floor division (``want="div"``) and modulo (``"mod"``): integers by zero give
    0; floats follow NumPy's ``npy_divmod`` step by step (fmod, then the floor and the sign
    of zeros fixed up), so every result, -0.0 included, is NumPy's."""
    a, b = args
    kind = kinds[0]
    if kind is K.BOOL:
        raise NotCompiled("floor_divide/remainder of bools")
    lit = lambda v: E.Literal(kind, v)  # noqa: E731
    if not kind.is_float:
        divisor = E.Select(E.BinOp(B.EQ, b, lit(0)), lit(1), b)  # (b == 0: no division)
        q, r = E.BinOp(B.DIV, a, divisor), E.BinOp(B.MOD, a, divisor)
        if kind.is_signed:
            fix = E.BinOp(B.BAND, E.BinOp(B.NE, r, lit(0)),
                          E.BinOp(B.NE, E.BinOp(B.LT, r, lit(0)),
                                  E.BinOp(B.LT, divisor, lit(0))))
            q = E.Select(fix, E.BinOp(B.SUB, q, lit(1)), q)
            r = E.Select(fix, E.BinOp(B.ADD, r, divisor), r)
        return E.Select(E.BinOp(B.EQ, b, lit(0)), lit(0), q if want == "div" else r)
    mod = E.BinOp(B.MOD, a, b)  # (C's fmod)
    fix = E.BinOp(B.BAND, E.BinOp(B.NE, mod, lit(0.0)),
                  E.BinOp(B.NE, E.BinOp(B.LT, b, lit(0.0)), E.BinOp(B.LT, mod, lit(0.0))))
    if want == "mod":
        fixed = E.Select(fix, E.BinOp(B.ADD, mod, b), mod)
        zero = E.BinOp(B.EQ, mod, lit(0.0))
        return E.Select(E.BinOp(B.EQ, b, lit(0.0)), mod,
                        E.Select(zero, _signed_zero(b, kind), fixed))
    div = E.BinOp(B.DIV, E.BinOp(B.SUB, a, mod), b)
    div = E.Select(fix, E.BinOp(B.SUB, div, lit(1.0)), div)
    floor = E.UnaryOp(U.FLOOR, div)
    rounded = E.Select(E.BinOp(B.GT, E.BinOp(B.SUB, div, floor), lit(0.5)),
                       E.BinOp(B.ADD, floor, lit(1.0)), floor)
    quotient = E.BinOp(B.DIV, a, b)
    result = E.Select(E.BinOp(B.NE, div, lit(0.0)), rounded, _signed_zero(quotient, kind))
    return E.Select(E.BinOp(B.EQ, b, lit(0.0)), quotient, result)


def _signed_zero(x: E.Expr, kind: T.ScalarKind) -> E.Expr:
    """``copysign(0, x)`` for a number ``x`` (a zero's sign read through ``1 / x``)."""
    negative = E.BinOp(B.LOR, E.BinOp(B.LT, x, E.Literal(kind, 0.0)),
                       E.BinOp(B.LAND, E.BinOp(B.EQ, x, E.Literal(kind, 0.0)),
                               E.BinOp(B.LT, E.BinOp(B.DIV, E.Literal(kind, 1.0), x),
                                       E.Literal(kind, 0.0))))
    return E.Select(negative, E.Literal(kind, -0.0), E.Literal(kind, 0.0))


def _fmod(args, kinds):
    """C's fmod: the IR's ``%`` on floats; integers by zero give 0, as NumPy."""
    a, b = args
    kind = kinds[0]
    if kind.is_float:
        return E.BinOp(B.MOD, a, b)
    if kind is K.BOOL:
        raise NotCompiled("fmod of bools")
    zero = E.BinOp(B.EQ, b, E.Literal(kind, 0))
    return E.Select(zero, E.Literal(kind, 0),
                    E.BinOp(B.MOD, a, E.Select(zero, E.Literal(kind, 1), b)))


def _invert(args, kinds):
    kind = kinds[0]
    if kind is K.BOOL:
        return E.UnaryOp(U.NOT, args[0])
    return E.BinOp(B.XOR, args[0], E.Literal(kind, -1 if kind.is_signed else
                                                   (1 << kind.bits) - 1))


def _square(args, kinds):
    return E.BinOp(B.MUL, args[0], args[0])


# ufunc -> IR of its loop (operands already of the loop's input kinds)
OPERATIONS: dict[np.ufunc, Callable[[list[E.Expr], list[T.ScalarKind]], E.Expr]] = {
    np.add: _arithmetic(B.ADD, B.BOR), np.subtract: _binary(B.SUB),
    np.multiply: _arithmetic(B.MUL, B.BAND),
    np.true_divide: _binary(B.DIV), np.minimum: _binary(B.MIN), np.maximum: _binary(B.MAX),
    np.equal: _comparison(B.EQ), np.not_equal: _comparison(B.NE),
    np.less: _comparison(B.LT), np.less_equal: _comparison(B.LE),
    np.greater: _comparison(B.GT), np.greater_equal: _comparison(B.GE),
    np.logical_and: _logical(B.BAND), np.logical_or: _logical(B.BOR),
    np.logical_xor: _logical(B.XOR), np.bitwise_and: _binary(B.BAND),
    np.bitwise_or: _binary(B.BOR), np.bitwise_xor: _binary(B.XOR),
    np.arctan2: _binary(B.ATAN2), np.hypot: _binary(B.HYPOT),
    np.negative: _unary(U.NEG), np.exp: _unary(U.EXP), np.log: _unary(U.LOG),
    np.sqrt: _unary(U.SQRT), np.sin: _unary(U.SIN), np.cos: _unary(U.COS),
    np.tan: _unary(U.TAN), np.arcsin: _unary(U.ASIN), np.arccos: _unary(U.ACOS),
    np.arctan: _unary(U.ATAN), np.sinh: _unary(U.SINH), np.cosh: _unary(U.COSH),
    np.tanh: _unary(U.TANH), np.floor: _rounding(U.FLOOR), np.ceil: _rounding(U.CEIL),
    np.trunc: _rounding(U.TRUNC), np.rint: _unary(U.RINT), np.expm1: _unary(U.EXPM1),
    np.log1p: _unary(U.LOG1P), np.log2: _unary(U.LOG2), np.log10: _unary(U.LOG10),
    np.isnan: _float_test(U.ISNAN, False), np.isinf: _float_test(U.ISINF, False),
    np.isfinite: _float_test(U.ISFINITE, True),
    np.logical_not: lambda args, kinds: (
        E.UnaryOp(U.NOT, args[0]) if kinds[0] is K.BOOL
        else E.BinOp(B.EQ, args[0], E.Literal(kinds[0], 0))),
    np.invert: _invert, np.square: _square, np.absolute: _absolute, np.sign: _sign,
    np.fmin: _nan_ignoring(B.MIN), np.fmax: _nan_ignoring(B.MAX),
    np.deg2rad: _scaled(lambda t: t.type(np.pi) / t.type(180.0)),
    np.rad2deg: _scaled(lambda t: t.type(180.0) / t.type(np.pi)),
    np.power: _power, np.reciprocal: _reciprocal, np._core.umath.clip: _clip,
    np.floor_divide: lambda args, kinds: _divmod(args, kinds, "div"),
    np.remainder: lambda args, kinds: _divmod(args, kinds, "mod"), np.fmod: _fmod,
}
OPERATIONS[np.radians], OPERATIONS[np.degrees] = OPERATIONS[np.deg2rad], OPERATIONS[np.rad2deg]
try:  # scipy.special.erf is a ufunc: ``scipy.special.erf(lazy)`` stays lazy
    from scipy import special as _special

    OPERATIONS[_special.erf] = _unary(U.ERF)
except ImportError:  # (scipy is optional; weldpy.numpy.erf does not need it)
    _special = None

# the ufuncs compiled only for some loop kinds (the others run in NumPy, visibly)
COMPILED_FOR: dict[np.ufunc, Callable[[list[T.ScalarKind]], bool]] = {
    np.power: lambda kinds: kinds[0] is not K.BOOL,
    np.reciprocal: lambda kinds: kinds[0] is not K.BOOL,
    np.floor_divide: lambda kinds: kinds[0] is not K.BOOL,
    np.remainder: lambda kinds: kinds[0] is not K.BOOL,
    np.fmod: lambda kinds: kinds[0] is not K.BOOL,
}


class NotCompiled(Exception):
    """``apply`` does not compile this ufunc for these operands' types."""


def apply(ufunc: np.ufunc, *args, dtype=None, where=True):
    """``ufunc(*args)`` as a lazy array (or a lazy 0-d value, when every operand is 0-d);
    ``NotCompiled`` when weldpy does not compile it for these types. ``where``: the elements
    NumPy would compute (their floating-point errors alone are reported; the caller keeps
    the others' old values)."""
    name = ufunc.__name__
    if ufunc not in OPERATIONS or ufunc.nout != 1:
        raise NotCompiled(name)
    if len(args) != ufunc.nin:
        raise WeldTypeError(f"{name}: takes {ufunc.nin} arguments, got {len(args)}")
    ops = [operand(a, name) for a in args]
    loop_in, out = _dtypes(ufunc, ops, dtype)
    kinds = [compute_kind(d, name) for d in loop_in]
    if not COMPILED_FOR.get(ufunc, lambda k: True)(kinds):
        raise NotCompiled(name)
    if ufunc is np.power and not kinds[0].is_float and ops[1].node is None \
            and ops[1].literal < 0 and 0 not in _broadcast(name, ops):
        raise WeldValueError("power: Integers to negative integer powers are not allowed.")
    constant = _constant_comparison(ufunc, ops, kinds)
    return build(name, ops, loop_in, out, constant or OPERATIONS[ufunc],
                 result_kind(ufunc, kinds[0]), None if where is True else operand(where, name),
                 _structural(ufunc, ops, kinds, constant is not None))


def _structural(ufunc: np.ufunc, ops: list[Operand], kinds: list, constant: bool
                ) -> frozenset[int]:
    """The concrete scalars that shape the IR, kept as literals (DESIGN.md: the frontend
    folds only structural constants): an integer power's exponent (unrolled) and a float
    power's 2 or 0.5 (NumPy's square and square root), and every scalar of a comparison
    whose answer a literal out of the integers' range decides."""
    if constant:
        return frozenset(k for k, o in enumerate(ops) if o.node is None)
    if ufunc is np.power and ops[1].node is None and (
            not kinds[0].is_float or ops[1].literal in (2, 0.5)):
        return frozenset({1})
    return frozenset()


def erf(x):
    """The Gauss error function, with scipy.special.erf's types (float32 stays float32;
    everything else is computed in float64)."""
    o = operand(x, "erf")
    dtype = o.dtype if o.dtype is not None else np.asarray(o.literal).dtype
    loop = np.dtype(np.float32 if dtype == np.float32 else np.float64)
    return build("erf", [o], (loop,), loop, _unary(U.ERF), compute_kind(loop, "erf"))


def astype(x, dtype):
    """``x`` cast to ``dtype`` as NumPy's ``astype`` casts (to bool: not zero)."""
    o = operand(x, "astype")
    source = o.dtype if o.dtype is not None else np.asarray(o.literal).dtype
    target = np.dtype(dtype)
    kind, out = compute_kind(source, "astype"), compute_kind(target, "astype")
    return build("astype", [o], (source,), target,
                 lambda args, kinds: args[0] if kind is out else cast(args[0], kind, out),
                 out)


def select(cond, a, b, dtype: np.dtype):
    """``a`` where ``cond`` is true, else ``b``, in ``dtype`` (all broadcast together)."""
    ops = [operand(cond, "where"), operand(a, "where"), operand(b, "where")]
    return build("where", ops, (np.dtype(bool), dtype, dtype), dtype,
                 lambda args, kinds: E.Select(args[0], args[1], args[2]),
                 compute_kind(dtype, "where"))


def build(name: str, ops: list[Operand], loop_in: tuple, out: np.dtype,
          operation: Callable, result_kind: T.ScalarKind, mask: Operand | None = None,
          literals: frozenset[int] = frozenset()):
    """The lazy value of ``operation`` over ``ops`` broadcast, each cast to its loop dtype
    in ``loop_in``, the result (of IR kind ``result_kind``) cast to ``out``; with NumPy's
    floating-point error checks (``fp_errors``) of the elements where ``mask`` is true.
    A concrete scalar is a parameter of the program (converted to its loop dtype now),
    so one compiled program serves every value, but those at the indices ``literals``.

    ``name``, the dtypes and the operands' keys determine ``operation`` and the IR; what
    is made from them (the IR builders, the checks' plans) is made once and kept
    (``_RECIPES``): a pipeline run again only makes its graph's nodes."""
    ops = [o if o.node is not None or k in literals
           else o.parameter(loop_in[k], compute_kind(loop_in[k], name))
           for k, o in enumerate(ops)]
    modes = fp_errors.current()
    key = (name, loop_in, out, tuple(o.key() for o in ops),
           None if mask is None else mask.key(), None if modes is None else modes.key)
    recipe = _RECIPES.get(key)
    if recipe is None:
        recipe = _Recipe(name, [o.template() for o in ops], loop_in, out, operation,
                         result_kind, None if mask is None else mask.template(), modes, key)
        if len(_RECIPES) > 4096:
            _RECIPES.clear()
        _RECIPES[key] = recipe
    deps = [o.node for o in ops if o.node is not None]
    node = Lazy(recipe.build, deps, recipe.ty, recipe.signature)
    if recipe.combined is not None:  # (the checks are made when a run needs them)
        node.combined, node.planned = recipe.combined, recipe.planned
    elif recipe.checks:
        masked = deps if mask is None or mask.node is None else [*deps, mask.node]
        node.checks = tuple(Check(Lazy(build_check, masked, T.BOOL, signature), report, flags)
                            for build_check, signature, report, flags in recipe.checks)
    from weldpy.numpy.array import ndarray

    return ndarray(node, recipe.shape, out)


_RECIPES: dict[tuple, _Recipe] = {}


class _Recipe:
    """What ``build`` makes once per key: the result's shape, the node's IR builder, type
    and signature, and the builder of the value with its checks (``combined``; then the
    checks are its projections, made only when a run needs them, from ``planned``:
    (signature, report, flags) each). With a ``where=`` mask the checks are loops of their
    own (``checks``: (IR builder, signature, report, flags) each). It holds
    ``Operand.template``s, never the graph."""

    __slots__ = ("shape", "build", "ty", "signature", "checks", "combined", "planned")

    def __init__(self, name: str, ops: list[Operand], loop_in: tuple, out: np.dtype,
                 operation: Callable, result_kind: T.ScalarKind, mask: Operand | None,
                 modes, key: tuple):
        shape = self.shape = _broadcast(name, ops)
        kinds = [compute_kind(d, name) for d in loop_in]
        out_kind = compute_kind(out, name)

        def computed(values: list[E.Expr]) -> tuple[list[E.Expr], E.Expr]:
            """The operands (literals already of the loop's kinds; the others cast to
            them) and the operation's result, from the operands' values."""
            converted = [v if o.node is None or _kind_of(o) is kind
                         else cast(v, _kind_of(o), kind)
                         for v, o, kind in zip(values, ops, kinds, strict=True)]
            return converted, operation(converted, kinds)

        def element(values: list[E.Expr]) -> E.Expr:
            result = computed(values)[1]
            return result if out_kind is result_kind else E.Cast(out_kind, result)

        self.signature = interned(("elementwise", *key[:5]))
        self.build, self.ty = _builder(ops, loop_in, kinds, shape, element,
                                       T.Scalar(out_kind),
                                       E.NewBuilder(T.Appender(T.Scalar(out_kind))))
        if name == "astype":
            plans = fp_errors.planned("cast", fp_errors.cast_conditions(kinds[0], out_kind),
                                      modes, fp_errors.KINDS)
        elif result_kind.is_float:
            literals = [o.literal if o.node is None else None for o in ops]
            plans = fp_errors.planned(name, fp_errors.float_conditions(name, kinds, literals),
                                      modes, fp_errors.UNSIGNALLED.get(name, ()))
        else:
            plans = fp_errors.planned(name, fp_errors.integer_conditions(name, kinds), modes,
                                      fp_errors.KINDS)
            if name == "power" and kinds[1].is_signed and ops[1].node is not None:
                plans.append(fp_errors.negative_powers(kinds[1]))
        signatures = [interned(("elementwise", *key[:5], "check", kind))
                      for kind, _, _, _ in plans]
        self.combined, self.planned, self.checks = None, (), ()
        if plans and mask is None:  # (the checks computed with the value: projections)
            self.combined = _combined(ops, loop_in, kinds, shape, element, computed,
                                      out_kind, [condition for _, condition, _, _ in plans])
            self.planned = tuple((signature, report, flags) for signature, (_, _, report, flags)
                                 in zip(signatures, plans, strict=True))
        elif plans:  # (of the elements ``where=`` computes: loops of their own)
            any_of = E.NewBuilder(T.Merger(T.BOOL, T.BuilderOp.MAX))
            self.checks = tuple(
                (_masked_check(name, ops, mask, loop_in, kinds, condition, computed, any_of),
                 signature, report, flags)
                for signature, (_, condition, report, flags) in zip(signatures, plans,
                                                                    strict=True))


def _masked_check(name: str, ops: list[Operand], mask: Operand, loop_in: tuple,
                  kinds: list[T.ScalarKind], condition, computed, any_of: E.Expr) -> Callable:
    """The IR builder of a check of the elements where ``mask`` is true."""
    masked = [*ops, mask]

    def value(values):
        where = values[-1]
        if mask.node is not None and _kind_of(mask) is not K.BOOL:
            where = cast(where, _kind_of(mask), K.BOOL)
        return E.BinOp(B.BAND, condition(*computed(values[:-1])), where)
    return _builder(masked, (*loop_in, np.dtype(bool)), [*kinds, K.BOOL],
                    _broadcast(name, masked), value, T.BOOL, any_of)[0]


def _builder(ops: list[Operand], loop_in: tuple, kinds: list[T.ScalarKind], shape: tuple,
             element: Callable, element_type: T.Scalar, builder: E.Expr
             ) -> tuple[Callable, T.Type]:
    """The IR builder (``exprs -> expr``) of ``element`` over ``ops`` broadcast to
    ``shape``, and its type: a scalar for a 0-d result, else one loop merging each element
    into ``builder`` (of result type ``result(builder)``)."""
    if shape == ():
        return (lambda exprs: element(_values(ops, exprs, loop_in, kinds, {}, shape)),
                element_type)
    ty = T.Vec(element_type) if isinstance(builder.type_, T.Appender) else element_type
    return (lambda exprs: _loop(ops, exprs, loop_in, kinds, shape,
                                lambda iters, values: loop(iters, builder, element(values))),
            ty)


def _combined(ops: list[Operand], loop_in: tuple, kinds: list[T.ScalarKind], shape: tuple,
              element: Callable, computed: Callable, out_kind: T.ScalarKind,
              conditions: list) -> Callable:
    """The IR builder of ``{value, check, ...}``: the operation's value and its checks
    (``conditions``: each of the operands and result) computed by one loop, as NumPy's own
    loop raises its flags while it computes (what a program computing checks reads, so
    that no operation is computed twice: ``weldpy.lazy``)."""
    def checks(values):
        converted, result = computed(values)
        return tuple(c(converted, result) for c in conditions)

    if shape == ():
        return lambda exprs: (lambda values: E.MakeStruct(
            (element(values), *checks(values))))(_values(ops, exprs, loop_in, kinds, {}, shape))
    builders = (E.NewBuilder(T.Appender(T.Scalar(out_kind))),
                *(E.NewBuilder(T.Merger(T.BOOL, T.BuilderOp.MAX)) for _ in conditions))
    return lambda exprs: _loop(ops, exprs, loop_in, kinds, shape, lambda iters, values:
                               loop_into(iters, builders, (element(values), *checks(values))))


_COMPARISONS = {np.equal: (False, False, False), np.not_equal: (True, True, True),
                np.less: (True, False, None), np.less_equal: (True, False, None),
                np.greater: (False, True, None), np.greater_equal: (False, True, None)}


def _constant_comparison(ufunc: np.ufunc, ops: list[Operand], kinds: list) -> Callable | None:
    """A comparison of integers with a Python integer beyond their dtype's range has one
    answer for every element, as NumPy gives it (the literal itself would not fit)."""
    if ufunc not in _COMPARISONS or not kinds[0].is_int:
        return None
    for k, o in enumerate(ops):
        if o.resolves is int and o.node is None:
            info = np.iinfo(kinds[0].dtype)
            if info.min <= o.literal <= info.max:
                return None
            above, below, _ = _COMPARISONS[ufunc]
            # (the array is on the left of ``ufunc`` when the literal is its second operand)
            literal_above = o.literal > info.max
            answer = above if literal_above == (k == 1) else below
            if ufunc in (np.equal, np.not_equal):
                answer = ufunc is np.not_equal
            return lambda args, kinds: E.Literal(K.BOOL, answer)
    return None


def _dtypes(ufunc: np.ufunc, ops: list[Operand], dtype) -> tuple[tuple, np.dtype]:
    """The loop's input dtypes and the result's dtype, as NumPy resolves them (and whatever
    NumPy raises for these operands, raised now). Remembered per ufunc, operand types and
    (for a weak Python integer, whose value NumPy checks) value: pipelines repeat them."""
    key = (ufunc, dtype, tuple((o.resolves, o.literal if o.resolves is int else None)
                               for o in ops))
    found = _RESOLVED.get(key)
    if found is None:
        found = _resolve(ufunc, ops, dtype)
        if len(_RESOLVED) > 4096:
            _RESOLVED.clear()
        _RESOLVED[key] = found
    return found


_RESOLVED: dict = {}


def _resolve(ufunc: np.ufunc, ops: list[Operand], dtype) -> tuple[tuple, np.dtype]:
    name = ufunc.__name__
    try:
        with np.errstate(all="ignore"):
            probe = ufunc(*(o.probe() for o in ops), dtype=dtype)
        signature = {} if dtype is None else {
            "signature": (None,) * ufunc.nin + (np.dtype(dtype),)}
        resolved = ufunc.resolve_dtypes(tuple(o.resolves for o in ops) + (None,), **signature)
    except OverflowError as exc:
        raise WeldOverflowError(f"{name}: {exc}") from None
    except TypeError as exc:
        raise WeldTypeError(f"{name}: {exc}") from None
    return resolved[:ufunc.nin], np.asarray(probe).dtype


def _broadcast(name: str, ops: list[Operand]) -> tuple[int, ...]:
    shapes = {o.shape for o in ops} - {()}
    if len(shapes) <= 1:  # (equal shapes and scalars: the common case, without NumPy)
        return shapes.pop() if shapes else ()
    try:
        return tuple(np.broadcast_shapes(*(o.shape for o in ops)))
    except ValueError:
        shapes = " ".join(str(o.shape) for o in ops)
        raise WeldShapeError(f"{name}: operands could not be broadcast together with shapes "
                             f"{shapes}") from None


def cast(value: E.Expr, source: T.ScalarKind, kind: T.ScalarKind) -> E.Expr:
    """NumPy's cast: to bool, whether the value is not zero (NaN is true)."""
    if kind is K.BOOL:
        return E.BinOp(B.NE, value, E.Literal(source, 0))
    return E.Cast(kind, value)


def _kind_of(o: Operand) -> T.ScalarKind:
    """The kind of a lazy operand's elements as the IR holds them."""
    ty = o.node.ty
    return ty.elem.kind if isinstance(ty, T.Vec) else ty.kind


_TO_BOOL = frozenset((np.equal, np.not_equal, np.less, np.less_equal, np.greater,
                      np.greater_equal, np.isnan, np.isinf, np.isfinite, np.logical_and,
                      np.logical_or, np.logical_xor, np.logical_not))


def result_kind(ufunc: np.ufunc, kind: T.ScalarKind) -> T.ScalarKind:
    """The kind the IR operation itself gives for operands of ``kind``."""
    return K.BOOL if ufunc in _TO_BOOL else kind


def _values(ops: list[Operand], exprs: list[E.Expr], dtypes: tuple, kinds: list[T.ScalarKind],
            zipped: dict, shape: tuple, skip: frozenset = frozenset()) -> list[E.Expr]:
    """Each operand's value for one result element: its field of the zipped element, a
    lookup at its broadcast offset, a 0-d value, or a literal of the loop's kind
    (``exprs``: the lazy operands' expressions, but those in ``skip``, zipped)."""
    values, it = [], iter(exprs)
    i, e = INDEX, ELEMENT
    for k, o in enumerate(ops):
        expr = next(it) if o.node is not None and k not in skip else None
        if k in zipped:
            values.append(e if len(zipped) == 1 else E.GetField(e, zipped[k]))
        elif o.is_array:
            values.append(read(expr, broadcast_offset(i, o.shape, shape)))
        elif expr is not None:
            values.append(expr)
        else:
            values.append(o.literal_expr(dtypes[k], kinds[k]))
    return values


def _loop(ops: list[Operand], exprs: list[E.Expr], dtypes: tuple, kinds: list[T.ScalarKind],
          shape: tuple, body: Callable) -> E.Expr:
    """``body(iters, values)`` (a loop over ``iters`` computing from the operands'
    ``values``) over ``shape``; an operand the body reads whole (broadcast, or 0-d) is bound
    by a ``let`` outside the loop, so that it is computed once."""
    n = int(np.prod(shape))
    it = iter(exprs)
    full = [k for k, o in enumerate(ops) if o.is_array and o.shape == shape]
    iters, lets, reads = [], [], []
    for k, o in enumerate(ops):
        if o.node is None:
            reads.append(None)
            continue
        expr = next(it)
        if k in full:
            iters.append(over(expr))
            reads.append(None)
        else:
            lets.append((f"x{k}", expr))
            reads.append(E.Ident(f"x{k}"))
    if not iters:
        iters = [count(n)]
    values = _values(ops, [r for r in reads if r is not None], dtypes, kinds,
                     {k: j for j, k in enumerate(full)}, shape, skip=set(full))
    out: E.Expr = body(iters, values)
    for name, value in reversed(lets):
        out = E.Let(name, value, out)
    return out


def broadcast_offset(i: E.Expr, shape: tuple, out: tuple) -> E.Expr:
    """The flat C-order offset in an operand of ``shape`` of result element ``i`` (of
    ``out``): NumPy's broadcasting, a stride of 0 on each axis where the operand has 1."""
    shape = (1,) * (len(out) - len(shape)) + tuple(shape)
    offset: E.Expr = i64(0)
    step, stride = 1, 1  # the result's and the operand's strides, innermost first
    for axis in range(len(out) - 1, -1, -1):
        if shape[axis] != 1:
            index = axis_index(i, step, out[axis], axis > 0)
            term = index if stride == 1 else E.BinOp(B.MUL, index, i64(stride))
            offset = term if isinstance(offset, E.Literal) else E.BinOp(B.ADD, offset, term)
        step *= out[axis]
        stride *= shape[axis]
    return offset
