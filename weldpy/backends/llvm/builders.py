"""The vector and scalar builders: appender, merger, vecmerger (rules for ``rules_loops``).

- ``appender[T]``: a state ``{data, len, cap}`` in a stack slot (promotable to registers);
  ``merge`` grows the run-owned buffer by doubling; ``result`` is ``{data, len}``.
- ``merger[T, op]``: the accumulator itself is the builder value; ``+``/``*`` on floats carry
  ``reassoc`` so reductions vectorise (IR.md allows reassociating reductions); min/max are
  NumPy's NaN-propagating ``minimum``/``maximum``; structs merge field by field.
- ``vecmerger[T, op](v)``: a run-owned copy of ``v`` updated in place at merged indices.
"""

from __future__ import annotations

from llvmlite import ir

from weldpy.backends.llvm.codegen import Codegen
from weldpy.backends.llvm.layout import I1, I64, PTR, VOID, mem_type, size_of, value_type
from weldpy.backends.llvm.rules_data import make_vec, vec_parts
from weldpy.backends.llvm.rules_loops import BUILDERS
from weldpy.backends.llvm.rules_scalar import constant, float_min_max, int_min_max
from weldpy.ir import types as T
from weldpy.ir.exprs import BinKind

_STATE = ir.LiteralStructType([PTR, I64, I64])
_INITIAL_CAPACITY = 16
_FAST = ("reassoc", "nsz")


def memcpy(cg: Codegen, dst, src, nbytes) -> None:
    fn = cg.declare("llvm.memcpy.p0.p0.i64", VOID, [PTR, PTR, I64, I1])
    cg.builder.call(fn, [dst, src, nbytes, ir.Constant(I1, 0)])


def _field(cg, state, index):
    return cg.builder.gep(state, [ir.Constant(I64, 0), ir.Constant(ir.IntType(32), index)],
                          source_etype=_STATE)


class Appender:
    @staticmethod
    def new(cg: Codegen, node, ty: T.Appender, hint):
        b = cg.builder
        state = cg.entry_alloca(_STATE)
        cap = ir.Constant(I64, _INITIAL_CAPACITY) if hint is None else b.select(
            b.icmp_signed(">", hint, ir.Constant(I64, 0)), hint, ir.Constant(I64, 1))
        data = cg.alloc(cg.array_bytes(cap, size_of(ty.elem)))
        b.store(data, _field(cg, state, 0))
        b.store(ir.Constant(I64, 0), _field(cg, state, 1))
        b.store(cap, _field(cg, state, 2))
        return state

    @staticmethod
    def merge(cg: Codegen, node, ty: T.Appender, state, value):
        b = cg.builder
        length = b.load(_field(cg, state, 1), typ=I64)
        cap = b.load(_field(cg, state, 2), typ=I64)
        with b.if_then(b.icmp_signed("==", length, cap), likely=False):
            bigger = b.mul(cap, ir.Constant(I64, 2))
            old = b.load(_field(cg, state, 0), typ=PTR)
            grown = cg.realloc(old, cg.array_bytes(bigger, size_of(ty.elem)))
            b.store(grown, _field(cg, state, 0))
            b.store(bigger, _field(cg, state, 2))
        data = b.load(_field(cg, state, 0), typ=PTR)
        cg.store(ty.elem, value, cg.element_ptr(ty.elem, data, length))
        b.store(b.add(length, ir.Constant(I64, 1)), _field(cg, state, 1))
        return state

    @staticmethod
    def result(cg: Codegen, node, ty: T.Appender, state):
        b = cg.builder
        data = b.load(_field(cg, state, 0), typ=PTR)
        return make_vec(cg, data, b.load(_field(cg, state, 1), typ=I64))


def identity(op: T.BuilderOp, ty: T.Type) -> ir.Constant:
    """``op``'s identity on ``ty`` (memory form for struct fields): 0, 1, or the extreme
    value (inf for floats, so min/max with a NaN still give NaN)."""
    if isinstance(ty, T.Struct):
        return ir.Constant(value_type(ty), [_mem_identity(op, f) for f in ty.fields])
    kind = ty.kind
    if op in (T.BuilderOp.ADD, T.BuilderOp.MUL):
        return constant(ty, 0 if op is T.BuilderOp.ADD else 1)
    smallest = op is T.BuilderOp.MAX
    if kind is T.ScalarKind.BOOL:
        return constant(ty, not smallest)
    if kind.is_float:
        return constant(ty, float("-inf") if smallest else float("inf"))
    dtype = kind.dtype
    bits = dtype.itemsize * 8
    if kind.is_signed:
        return constant(ty, -(1 << (bits - 1)) if smallest else (1 << (bits - 1)) - 1)
    return constant(ty, 0 if smallest else (1 << bits) - 1)


def _mem_identity(op, ty):
    c = identity(op, ty)
    return ir.Constant(mem_type(ty), c.constant) if ty == T.BOOL else c


def combine(cg: Codegen, op: T.BuilderOp, ty: T.Type, acc, value):
    """``acc op value`` (fieldwise for structs, whose fields are in memory form)."""
    b = cg.builder
    if isinstance(ty, T.Struct):
        out = acc
        for i, f in enumerate(ty.fields):
            x = cg.from_mem(f, b.extract_value(acc, i))
            y = cg.from_mem(f, b.extract_value(value, i))
            out = b.insert_value(out, cg.to_mem(f, combine(cg, op, f, x, y)), i)
        return out
    kind = ty.kind
    if op in (T.BuilderOp.MIN, T.BuilderOp.MAX):
        binop = BinKind.MIN if op is T.BuilderOp.MIN else BinKind.MAX
        if kind.is_float:
            return float_min_max(cg, binop, acc, value)
        return int_min_max(cg, binop, acc, value, kind.is_signed)
    if kind.is_float:
        fn = b.fadd if op is T.BuilderOp.ADD else b.fmul
        return fn(acc, value, flags=_FAST)
    return (b.add if op is T.BuilderOp.ADD else b.mul)(acc, value)


class Merger:
    @staticmethod
    def new(cg: Codegen, node, ty: T.Merger, initial):
        return identity(ty.op, ty.elem) if initial is None else initial

    @staticmethod
    def merge(cg: Codegen, node, ty: T.Merger, acc, value):
        return combine(cg, ty.op, ty.elem, acc, value)

    @staticmethod
    def result(cg: Codegen, node, ty: T.Merger, acc):
        return acc


class VecMerger:
    @staticmethod
    def new(cg: Codegen, node, ty: T.VecMerger, vec):
        b = cg.builder
        data, length = vec_parts(cg, vec)
        nbytes = b.mul(length, ir.Constant(I64, size_of(ty.elem)))
        copy = cg.alloc(nbytes)
        memcpy(cg, copy, data, nbytes)
        return make_vec(cg, copy, length)

    @staticmethod
    def merge(cg: Codegen, node, ty: T.VecMerger, vec, pair):
        b = cg.builder
        data, length = vec_parts(cg, vec)
        index = b.extract_value(pair, 0)
        cg.check(b.icmp_unsigned("<", index, length), "index",
                 "vecmerger: merge at index {0} out of range for a vector of length {1}",
                 node, (index, length))
        slot = cg.element_ptr(ty.elem, data, index)
        value = cg.from_mem(ty.elem, b.extract_value(pair, 1))
        cg.store(ty.elem, combine(cg, ty.op, ty.elem, cg.load(ty.elem, slot), value), slot)
        return vec

    @staticmethod
    def result(cg: Codegen, node, ty: T.VecMerger, vec):
        return vec


BUILDERS.update({T.Appender: Appender, T.Merger: Merger, T.VecMerger: VecMerger})
