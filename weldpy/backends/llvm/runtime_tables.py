"""The hash tables' resize, in the runtime library: one function for every key and value type.

A table (``hashtable``) is a header ``{ptr entries, i64 mask, i64 size}`` and slots that
each start with the key's tag (0: empty). Resizing re-places every slot by its stored tag,
so it needs no hashing, comparing or knowledge of the types: only the slot's size. Growing
is cold (a table doubles a few dozen times in its life), so it is compiled once here and
called by every program, while the hot probes stay specialised per type (``hashtable``).
"""

from __future__ import annotations

from llvmlite import ir

from weldpy.backends.llvm import runtime_ir as R
from weldpy.backends.llvm.layout import I1, I8, I64, PTR, VOID

ENTRIES, MASK, SIZE = 0, 1, 2  # the header's words


def _word(b: ir.IRBuilder, ptr, index: int) -> ir.Value:
    return b.gep(ptr, [ir.Constant(I64, index)], source_etype=I64)


def define(module: ir.Module, rt: dict) -> dict[str, ir.Function]:
    """``i1 weld_rt_resize_table(ctx, table, capacity, slot_bytes)``: move the slots into
    ``capacity`` new ones (a power of two, more than the table's); false if allocation
    failed (the error is in ``ctx``, the table unchanged)."""
    fn = ir.Function(module, ir.FunctionType(I1, [PTR, PTR, I64, I64]), "weld_rt_resize_table")
    ctx, table, capacity, slot_bytes = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    nbytes = b.mul(capacity, slot_bytes)
    fresh = b.call(rt["weld_rt_alloc"], [ctx, nbytes])
    failed, go = fn.append_basic_block("failed"), fn.append_basic_block("go")
    b.cbranch(b.icmp_unsigned("==", fresh, ir.Constant(PTR, None)), failed, go)
    b.position_at_end(failed)
    b.ret(ir.Constant(I1, 0))
    b.position_at_end(go)
    memset = ir.Function(module, ir.FunctionType(VOID, [PTR, I8, I64, I1]),
                         "llvm.memset.p0.i64")
    b.call(memset, [fresh, ir.Constant(I8, 0), nbytes, ir.Constant(I1, 0)])
    old = b.load(_word(b, table, ENTRIES), typ=PTR)
    old_capacity = b.add(b.load(_word(b, table, MASK), typ=I64), ir.Constant(I64, 1))
    mask = b.sub(capacity, ir.Constant(I64, 1))

    def move(i):
        slot = b.gep(old, [b.mul(i, slot_bytes)], source_etype=I8)
        tag = b.load(slot, typ=I64)
        with b.if_then(b.icmp_unsigned("!=", tag, ir.Constant(I64, 0))):
            home, pre = b.and_(tag, mask), b.block
            probe, placed = b.append_basic_block("probe"), b.append_basic_block("placed")
            b.branch(probe)
            b.position_at_end(probe)
            at = b.phi(I64)
            at.add_incoming(home, pre)
            at.add_incoming(b.and_(b.add(at, ir.Constant(I64, 1)), mask), probe)
            dest = b.gep(fresh, [b.mul(at, slot_bytes)], source_etype=I8)
            taken = b.icmp_unsigned("!=", b.load(dest, typ=I64), ir.Constant(I64, 0))
            b.cbranch(taken, probe, placed)
            b.position_at_end(placed)
            b.call(rt["memcpy"], [dest, slot, slot_bytes, ir.Constant(I1, 0)])

    R.loop(b, ir.Constant(I64, 0), old_capacity, move)
    b.call(rt["weld_rt_unlink"], [old])
    b.call(rt["weld_rt_free_block"], [b.gep(old, [ir.Constant(I64, -R.HEADER)],
                                            source_etype=I8)])
    b.store(fresh, _word(b, table, ENTRIES))
    b.store(mask, _word(b, table, MASK))
    b.ret(ir.Constant(I1, 1))
    return {"weld_rt_resize_table": fn}
