"""Lowering of scalar expressions: literals, unary and binary operators, math functions, casts.

IR.md's scalar semantics in LLVM terms: integers wrap (no ``nsw``/``nuw``); ``/`` and ``%``
truncate, check for a zero divisor, and give INT_MIN (remainder 0) for INT_MIN / -1 without
trapping; shifts by an amount outside [0, bits) give 0 (or -1 for a negative signed ``>>``)
instead of poison; floats carry no fast-math flags; ``min``/``max`` propagate NaN as NumPy's
``minimum``/``maximum`` (``(a < b or isnan(a)) ? a : b``); float -> int casts of NaN and
out-of-range values give x86-64's answers (INT_MIN, as NumPy's ``astype``), never poison.
"""

from __future__ import annotations

from llvmlite import ir

from weldpy.backends.llvm import vecmath
from weldpy.backends.llvm.codegen import RULES, Codegen
from weldpy.backends.llvm.layout import F32, I1, I32, I64, value_type
from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.ir.exprs import BinKind as B
from weldpy.ir.exprs import UnaryKind as U


def constant(t: T.Scalar, value) -> ir.Constant:
    ty = value_type(t)
    if t.kind is T.ScalarKind.BOOL:
        return ir.Constant(ty, int(bool(value)))
    if t.kind.is_float:
        return ir.Constant(ty, float(value))
    bits = t.kind.bits
    return ir.Constant(ty, int(value) & ((1 << bits) - 1))


def _literal(cg: Codegen, node: E.Literal):
    return constant(T.Scalar(node.kind), node.value)


# --- unary ---------------------------------------------------------------------------------
_LIBM = {  # op -> C function for f64 (f32 adds the 'f' suffix)
    U.EXP: "exp", U.LOG: "log", U.SIN: "sin", U.COS: "cos", U.TAN: "tan",
    U.ASIN: "asin", U.ACOS: "acos", U.ATAN: "atan", U.SINH: "sinh", U.COSH: "cosh",
    U.TANH: "tanh", U.ERF: "erf", U.LOG1P: "log1p", U.EXPM1: "expm1", U.LOG2: "log2",
    U.LOG10: "log10", U.EXP2: "exp2", U.CBRT: "cbrt",
}
_INTRINSICS = {U.SQRT: "llvm.sqrt", U.FLOOR: "llvm.floor", U.CEIL: "llvm.ceil",
               U.TRUNC: "llvm.trunc", U.RINT: "llvm.rint", U.ABS: "llvm.fabs"}


def libm(cg: Codegen, name: str, ty: ir.Type, args: list) -> ir.Value:
    """A call of the C math function ``name`` (``namef`` for f32), which a loop vectoriser
    turns into libmvec's SIMD variant where the host has one (``vecmath``)."""
    fn = vecmath.declare(cg, name, ty, len(args))
    if fn is None:
        fn = cg.declare(name + ("f" if ty == F32 else ""), ty, [ty] * len(args))
    return cg.builder.call(fn, args)


def intrinsic(cg: Codegen, name: str, ty: ir.Type, args: list) -> ir.Value:
    suffix = "f32" if ty == F32 else "f64"
    fn = cg.declare(f"{name}.{suffix}", ty, [ty] * len(args))
    return cg.builder.call(fn, args)


def _float_unary(cg: Codegen, op: U, x: ir.Value) -> ir.Value:
    b, ty = cg.builder, x.type
    zero = ir.Constant(ty, 0.0)
    if op is U.NEG:
        return b.fneg(x)
    if op in _LIBM:
        return libm(cg, _LIBM[op], ty, [x])
    if op in _INTRINSICS:
        return intrinsic(cg, _INTRINSICS[op], ty, [x])
    if op is U.SIGN:  # NaN stays NaN (x itself), -0.0 and 0.0 give 0.0
        pos = b.uitofp(b.fcmp_ordered(">", x, zero), ty)
        neg = b.uitofp(b.fcmp_ordered("<", x, zero), ty)
        return b.select(b.fcmp_unordered("uno", x, x), x, b.fsub(pos, neg))
    if op is U.ISNAN:
        return b.fcmp_unordered("uno", x, x)
    infinity = ir.Constant(ty, float("inf"))
    magnitude = intrinsic(cg, "llvm.fabs", ty, [x])
    if op is U.ISINF:
        return b.fcmp_ordered("==", magnitude, infinity)
    if op is U.ISFINITE:
        return b.fcmp_ordered("<", magnitude, infinity)
    raise AssertionError(op)


def _int_unary(cg: Codegen, op: U, x: ir.Value, signed: bool) -> ir.Value:
    b, zero = cg.builder, ir.Constant(x.type, 0)
    if op is U.NEG:
        return b.sub(zero, x)
    if op is U.ABS:
        return b.select(b.icmp_signed("<", x, zero), b.sub(zero, x), x) if signed else x
    if op is U.SIGN:
        cmp = b.icmp_signed if signed else b.icmp_unsigned
        return b.sub(b.zext(cmp(">", x, zero), x.type), b.zext(cmp("<", x, zero), x.type))
    raise AssertionError(op)


def _unary(cg: Codegen, node: E.UnaryOp):
    x = cg.lower(node.value)
    kind = node.value.ty.kind
    if node.op is U.NOT:
        return cg.builder.not_(x)
    if kind.is_float:
        return _float_unary(cg, node.op, x)
    return _int_unary(cg, node.op, x, kind.is_signed)


# --- binary --------------------------------------------------------------------------------
_FLOAT_OPS = {B.ADD: "fadd", B.SUB: "fsub", B.MUL: "fmul", B.DIV: "fdiv", B.MOD: "frem"}
_INT_OPS = {B.ADD: "add", B.SUB: "sub", B.MUL: "mul", B.BAND: "and_", B.BOR: "or_",
            B.XOR: "xor"}
_COMPARE_OPS = {B.EQ: "==", B.NE: "!=", B.LT: "<", B.LE: "<=", B.GT: ">", B.GE: ">="}
# LLVM rewrites llvm.pow with these exponents into exact arithmetic (1, x, x*x, 1/x, sqrt);
# any other pow calls libm's, which vectorises (vecmath)
_EXACT_POW_EXPONENTS = frozenset({0.0, 1.0, 2.0, -1.0, 0.5})


def float_min_max(cg: Codegen, op: B, x, y):
    """NumPy's minimum/maximum: ``(x < y or isnan(x)) ? x : y`` (``>`` for max)."""
    b = cg.builder
    better = b.fcmp_ordered("<" if op is B.MIN else ">", x, y)
    return b.select(b.or_(better, b.fcmp_unordered("uno", x, x)), x, y)


def int_min_max(cg: Codegen, op: B, x, y, signed: bool):
    cmp = cg.builder.icmp_signed if signed else cg.builder.icmp_unsigned
    return cg.builder.select(cmp("<" if op is B.MIN else ">", x, y), x, y)


def compare_scalars(cg: Codegen, op: B, x, y, kind: T.ScalarKind):
    b = cg.builder
    if kind.is_float:  # != is true when either is NaN; the others are false
        if op is B.NE:
            return b.fcmp_unordered("!=", x, y)
        return b.fcmp_ordered(_COMPARE_OPS[op], x, y)
    cmp = b.icmp_signed if kind.is_signed else b.icmp_unsigned
    return cmp(_COMPARE_OPS[op], x, y)


def _divide(cg: Codegen, node: E.BinOp, x, y, signed: bool):
    b, ty = cg.builder, x.type
    zero, minus_one = ir.Constant(ty, 0), ir.Constant(ty, -1)
    what = "division" if node.op is B.DIV else "remainder"
    cg.check(b.icmp_unsigned("!=", y, zero), "zero_division",
             f"integer {what} by zero: {{0}} {node.op.value} 0 on {node.ty}", node, (x,))
    if not signed:
        return b.udiv(x, y) if node.op is B.DIV else b.urem(x, y)
    is_minus_one = b.icmp_signed("==", y, minus_one)
    safe = b.select(is_minus_one, ir.Constant(ty, 1), y)  # INT_MIN / -1 must not trap
    if node.op is B.DIV:
        return b.select(is_minus_one, b.sub(zero, x), b.sdiv(x, safe))
    return b.select(is_minus_one, zero, b.srem(x, safe))


def _shift(cg: Codegen, op: B, x, y, signed: bool):
    b, ty = cg.builder, x.type
    in_range = b.icmp_unsigned("<", y, ir.Constant(ty, ty.width))
    amount = b.select(in_range, y, ir.Constant(ty, 0))
    if op is B.SHL:
        return b.select(in_range, b.shl(x, amount), ir.Constant(ty, 0))
    if not signed:
        return b.select(in_range, b.lshr(x, amount), ir.Constant(ty, 0))
    return b.select(in_range, b.ashr(x, amount), b.ashr(x, ir.Constant(ty, ty.width - 1)))


def _short_circuit(cg: Codegen, node: E.BinOp):
    b = cg.builder
    left = cg.lower(node.left)
    start = b.block
    rhs = b.append_basic_block("rhs")
    done = b.append_basic_block("logic.done")
    if node.op is B.LAND:
        b.cbranch(left, rhs, done)
    else:
        b.cbranch(left, done, rhs)
    b.position_at_end(rhs)
    right = cg.lower(node.right)
    rhs_end = b.block
    b.branch(done)
    b.position_at_end(done)
    phi = b.phi(I1)
    phi.add_incoming(ir.Constant(I1, int(node.op is B.LOR)), start)
    phi.add_incoming(right, rhs_end)
    return phi


def _float_binary(cg: Codegen, op: B, x, y):
    b = cg.builder
    if op in _FLOAT_OPS:
        return getattr(b, _FLOAT_OPS[op])(x, y)
    if op in (B.MIN, B.MAX):
        return float_min_max(cg, op, x, y)
    if op is B.POW and isinstance(y, ir.Constant) and y.constant in _EXACT_POW_EXPONENTS:
        return intrinsic(cg, "llvm.pow", x.type, [x, y])
    return libm(cg, {B.POW: "pow", B.ATAN2: "atan2", B.HYPOT: "hypot"}[op], x.type, [x, y])


def _binary(cg: Codegen, node: E.BinOp):
    if node.op in (B.LAND, B.LOR):
        return _short_circuit(cg, node)
    operand = node.left.ty
    if not isinstance(operand, T.Scalar):
        from weldpy.backends.llvm.compare import lower_nonscalar_binop

        return lower_nonscalar_binop(cg, node)
    x, y = cg.lower(node.left), cg.lower(node.right)
    kind = operand.kind
    if node.op in _COMPARE_OPS:
        return compare_scalars(cg, node.op, x, y, kind)
    if node.op is B.COMPARE:
        from weldpy.backends.llvm.compare import compare_values

        return compare_values(cg, operand, x, y)
    if kind.is_float:
        return _float_binary(cg, node.op, x, y)
    if node.op in (B.DIV, B.MOD):
        return _divide(cg, node, x, y, kind.is_signed)
    if node.op in (B.SHL, B.SHR):
        return _shift(cg, node.op, x, y, kind.is_signed)
    if node.op in (B.MIN, B.MAX):
        return int_min_max(cg, node.op, x, y, kind.is_signed)
    return getattr(cg.builder, _INT_OPS[node.op])(x, y)


# --- casts ---------------------------------------------------------------------------------
def _float_to_int(cg: Codegen, x, kind: T.ScalarKind):
    """x86-64's truncating conversion (cvttsd2si), as NumPy's astype gives it: NaN and
    out-of-range values give INT_MIN of 32 or 64 bits; narrower results truncate that."""
    b, fty = cg.builder, x.type
    if kind is T.ScalarKind.U64:
        two63 = ir.Constant(fty, 2.0**63)
        low = _cvtt(cg, x, 64)
        high = b.xor(_cvtt(cg, b.fsub(x, two63), 64), ir.Constant(I64, 1 << 63))
        return b.select(b.fcmp_ordered(">=", x, two63), high, low)  # NaN takes the low path
    wide = 64 if kind in (T.ScalarKind.I64, T.ScalarKind.U32) else 32
    out = _cvtt(cg, x, wide)
    target = value_type(T.Scalar(kind))
    return out if target.width == wide else b.trunc(out, target)


def _cvtt(cg: Codegen, x, bits: int):
    b, fty = cg.builder, x.type
    ity = I64 if bits == 64 else I32
    low = ir.Constant(fty, -(2.0 ** (bits - 1)) - (1.0 if bits == 32 else 0.0))
    high = ir.Constant(fty, 2.0 ** (bits - 1))
    in_range = b.and_(b.fcmp_ordered(">" if bits == 32 else ">=", x, low),
                      b.fcmp_ordered("<", x, high))
    return b.select(in_range, b.fptosi(x, ity), ir.Constant(ity, 1 << (bits - 1)))


def convert(cg: Codegen, x, src: T.ScalarKind, dst: T.ScalarKind):
    """``x`` of kind ``src`` as kind ``dst`` (IR.md cast semantics)."""
    b = cg.builder
    target = value_type(T.Scalar(dst))
    if src is dst:
        return x
    if dst is T.ScalarKind.BOOL:
        if src.is_float:
            return b.fcmp_unordered("!=", x, ir.Constant(x.type, 0.0))
        return b.icmp_unsigned("!=", x, ir.Constant(x.type, 0))
    if src.is_float and dst.is_float:
        return b.fpext(x, target) if dst is T.ScalarKind.F64 else b.fptrunc(x, target)
    if src.is_float:
        return _float_to_int(cg, x, dst)
    signed = src.is_signed and src is not T.ScalarKind.BOOL
    if dst.is_float:
        return b.sitofp(x, target) if signed else b.uitofp(x, target)
    if target.width == x.type.width:
        return x
    if target.width < x.type.width:
        return b.trunc(x, target)
    return b.sext(x, target) if signed else b.zext(x, target)


def _cast(cg: Codegen, node: E.Cast):
    return convert(cg, cg.lower(node.value), node.value.ty.kind, node.kind)


RULES.update({E.Literal: _literal, E.UnaryOp: _unary, E.BinOp: _binary, E.Cast: _cast})

