"""The vector and scalar builders: appender, merger, vecmerger (rules for ``rules_loops``).

- ``appender[T]``: a state ``{data, len, cap}`` in a stack slot (promotable to registers);
  ``merge`` grows the run-owned buffer by doubling; ``result`` is ``{data, len}``.
- ``merger[T, op]``: the accumulator itself is the builder value; ``+``/``*`` on floats carry
  ``reassoc`` so reductions vectorise (IR.md allows reassociating reductions); float min/max
  are IEEE 754-2019's NaN-propagating ``minimum``/``maximum`` (-0.0 below 0.0:
  ``scalar_ops.builder_min_max``); structs merge field by field.
- ``vecmerger[T, op](v)``: a run-owned copy of ``v`` updated in place at merged indices.

For parallel loops (``parallel``) each rules class also says how a builder crosses between
functions and how the parts' builders combine: ``portable_type``/``export``/``adopt`` (a
builder as a plain value: the appender's state struct, the other builders' values),
``fresh`` (an empty builder like another, for a part after the first), ``reserve`` (room
for a part's iterations: appenders grow once, not by doubling) and ``absorb`` (fold
a later part's builder into an earlier one, consuming it: appenders concatenate in part
order, mergers and vecmergers combine with their op).
"""

from __future__ import annotations

from llvmlite import ir

from weldpy.backends.llvm.codegen import Codegen
from weldpy.backends.llvm.layout import I8, I64, PTR, mem_type, size_of, value_type
from weldpy.backends.llvm.rules_data import make_vec, vec_parts
from weldpy.backends.llvm.rules_loops import BUILDERS
from weldpy.backends.llvm.rules_scalar import constant, int_min_max, intrinsic
from weldpy.ir import types as T
from weldpy.ir.exprs import BinKind

_STATE = ir.LiteralStructType([PTR, I64, I64])
_INITIAL_CAPACITY = 16
# (not ``nsz`` with it: LLVM then folds acc + (x - x) to acc, though x - x is NaN for an
# infinite x; reassociation alone vectorises the reduction and keeps the merged values' math)
_FAST = ("reassoc",)


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
        if id(node) in cg.unchecked_merges:  # room was reserved (``single_merges``)
            data = b.load(_field(cg, state, 0), typ=PTR)
            cg.store(ty.elem, value, cg.element_ptr(ty.elem, data, length))
            b.store(b.add(length, ir.Constant(I64, 1)), _field(cg, state, 1))
            return state
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

    @staticmethod
    def portable_type(ty: T.Appender) -> ir.Type:
        return _STATE

    @staticmethod
    def export(cg: Codegen, ty: T.Appender, state):
        return cg.builder.load(state, typ=_STATE)

    @staticmethod
    def adopt(cg: Codegen, ty: T.Appender, portable, into=None):
        state = cg.entry_alloca(_STATE) if into is None else into
        cg.builder.store(portable, state)
        return state

    @staticmethod
    def fresh(cg: Codegen, ty: T.Appender, like, hint):
        b = cg.builder
        cap = b.select(b.icmp_signed(">", hint, ir.Constant(I64, 0)), hint, ir.Constant(I64, 1))
        data = cg.alloc(cg.array_bytes(cap, size_of(ty.elem)))
        return _state(b, data, cap)

    @staticmethod
    def reserve(cg: Codegen, ty: T.Appender, state, hint):
        """Room for ``hint`` more elements (a map appends one per iteration: no growth); a
        buffer that must grow at least doubles (a nested loop reserves again each time)."""
        b = cg.builder
        need = b.add(b.load(_field(cg, state, 1), typ=I64), hint)
        cap = b.load(_field(cg, state, 2), typ=I64)
        with b.if_then(b.icmp_signed(">", need, cap), likely=False):
            twice = b.shl(cap, ir.Constant(I64, 1))
            grown = b.select(b.icmp_signed(">", need, twice), need, twice)
            old = b.load(_field(cg, state, 0), typ=PTR)
            b.store(cg.realloc(old, cg.array_bytes(grown, size_of(ty.elem))),
                    _field(cg, state, 0))
            b.store(grown, _field(cg, state, 2))
        return state

    @staticmethod
    def fresh_placed(cg: Codegen, ty: T.Appender, like, lo, hi):
        """A view of ``like``'s buffer from element ``len + lo`` on, room for ``hi - lo``
        (a part of a map writes its elements in place; ``absorb_placed`` then only counts)."""
        b = cg.builder
        at = b.add(b.extract_value(like, 1), lo)
        data = cg.element_ptr(ty.elem, b.extract_value(like, 0), at)
        return _state(b, data, b.sub(hi, lo))

    @staticmethod
    def absorb_placed(cg: Codegen, ty: T.Appender, state, part):
        length = _field(cg, state, 1)
        cg.builder.store(cg.builder.add(cg.builder.load(length, typ=I64),
                                        cg.builder.extract_value(part, 1)), length)
        return state

    @staticmethod
    def absorb(cg: Codegen, ty: T.Appender, state, part):
        b = cg.builder
        esize = size_of(ty.elem)
        length = b.load(_field(cg, state, 1), typ=I64)
        cap = b.load(_field(cg, state, 2), typ=I64)
        extra = b.extract_value(part, 1)
        need = b.add(length, extra)
        with b.if_then(b.icmp_signed(">", need, cap), likely=False):
            doubled = b.mul(cap, ir.Constant(I64, 2))
            bigger = b.select(b.icmp_signed(">", need, doubled), need, doubled)
            old = b.load(_field(cg, state, 0), typ=PTR)
            b.store(cg.realloc(old, cg.array_bytes(bigger, esize)), _field(cg, state, 0))
            b.store(bigger, _field(cg, state, 2))
        data = b.load(_field(cg, state, 0), typ=PTR)
        cg.memcpy(cg.element_ptr(ty.elem, data, length), b.extract_value(part, 0),
               b.mul(extra, ir.Constant(I64, esize)))
        b.store(need, _field(cg, state, 1))
        cg.release(b.extract_value(part, 0))
        return state


def _state(b: ir.IRBuilder, data, cap):
    state = b.insert_value(ir.Constant(_STATE, ir.Undefined), data, 0)
    return b.insert_value(b.insert_value(state, ir.Constant(I64, 0), 1), cap, 2)


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


def part_identity(op: T.BuilderOp, ty: T.Type) -> ir.Constant:
    """The start of a later part's accumulator: ``identity``, except -0.0 for a float sum,
    so that combining a part that merged nothing leaves every value (-0.0 too) as it was."""
    if isinstance(ty, T.Struct):
        return ir.Constant(value_type(ty), [_mem_part_identity(op, f) for f in ty.fields])
    if op is T.BuilderOp.ADD and ty.kind.is_float:
        return constant(ty, -0.0)
    return identity(op, ty)


def _mem_part_identity(op, ty):
    c = part_identity(op, ty)
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
        if kind.is_float:  # (IEEE minimum/maximum: vectorises, any order gives one answer)
            return intrinsic(cg, "llvm.minimum" if binop is BinKind.MIN else "llvm.maximum",
                             acc.type, [acc, value])
        return int_min_max(cg, binop, acc, value, kind.is_signed)
    if kind.is_float:
        fn = b.fadd if op is T.BuilderOp.ADD else b.fmul
        return fn(acc, value, flags=_FAST)
    return (b.add if op is T.BuilderOp.ADD else b.mul)(acc, value)


class SelfBuilder:
    """The rules every builder whose value is the built thing itself shares (the merger's
    accumulator, the vecmerger's vector, a dictionary's table): ``result`` is the value, the
    value is its own portable form, and there is nothing to reserve."""

    @staticmethod
    def result(cg: Codegen, node, ty, value):
        return value

    @staticmethod
    def portable_type(ty) -> ir.Type:
        return value_type(ty)

    @staticmethod
    def export(cg: Codegen, ty, value):
        return value

    @staticmethod
    def adopt(cg: Codegen, ty, value, into=None):
        return value

    @staticmethod
    def reserve(cg: Codegen, ty, value, hint):
        return value


class Merger(SelfBuilder):
    @staticmethod
    def new(cg: Codegen, node, ty: T.Merger, initial):
        return identity(ty.op, ty.elem) if initial is None else initial

    @staticmethod
    def merge(cg: Codegen, node, ty: T.Merger, acc, value):
        return combine(cg, ty.op, ty.elem, acc, value)

    @staticmethod
    def fresh(cg: Codegen, ty: T.Merger, like, hint):
        return part_identity(ty.op, ty.elem)

    @staticmethod
    def absorb(cg: Codegen, ty: T.Merger, acc, part):
        return combine(cg, ty.op, ty.elem, acc, part)


class VecMerger(SelfBuilder):
    @staticmethod
    def new(cg: Codegen, node, ty: T.VecMerger, vec):
        b = cg.builder
        data, length = vec_parts(cg, vec)
        nbytes = b.mul(length, ir.Constant(I64, size_of(ty.elem)))
        copy = cg.alloc(nbytes)
        cg.memcpy(copy, data, nbytes)
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
    def fresh(cg: Codegen, ty: T.VecMerger, like, hint):
        """A vector as long as ``like`` filled with the op's part identity."""
        _, length = vec_parts(cg, like)
        data = cg.alloc(cg.array_bytes(length, size_of(ty.elem)))
        start = part_identity(ty.op, ty.elem)
        cg.counted_loop(length, lambda i: cg.builder.store(
            _as_mem(cg, ty.elem, start), cg.element_ptr(ty.elem, data, i)))
        return make_vec(cg, data, length)

    @staticmethod
    def absorb(cg: Codegen, ty: T.VecMerger, vec, part):
        data, length = vec_parts(cg, vec)
        theirs, _ = vec_parts(cg, part)

        def fold(i):
            mine = cg.element_ptr(ty.elem, data, i)
            other = cg.load(ty.elem, cg.element_ptr(ty.elem, theirs, i))
            cg.store(ty.elem, combine(cg, ty.op, ty.elem, cg.load(ty.elem, mine), other), mine)

        cg.counted_loop(length, fold)
        cg.release(theirs)
        return vec


def _as_mem(cg: Codegen, ty: T.Type, value: ir.Constant) -> ir.Constant:
    return ir.Constant(I8, int(value.constant)) if ty == T.BOOL else value


BUILDERS.update({T.Appender: Appender, T.Merger: Merger, T.VecMerger: VecMerger})
