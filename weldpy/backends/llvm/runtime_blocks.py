"""The runtime library's cache of large freed blocks, so that big results reuse warm memory.

Memory fresh from the kernel costs a page fault per page and the kernel's zeroing of it: a
map writing 160 MB of new output spends more time there than computing (measured: exp(x)*2+1
over 20M f64 takes 24 ms into fresh memory, 11.5 ms into reused memory). So a block of 4 MiB
or more that a run frees, or that a result array held (``OwnedBlock``), is kept in a small
cache (``SLOTS`` blocks, at most ``weld_cache_limit`` bytes) instead of being returned to the
kernel, and the next allocation of a size it fits (up to twice as big) takes it back. The
limit is set from ``WELDPY_BLOCK_CACHE_MB`` (default 1024; 0 turns the cache off) when the
library loads. A spinlock guards the cache: parts of a parallel loop and Python threads
free blocks concurrently, and taking or freeing a large block is rare and short.

Every block's header word 3 holds its capacity (bytes malloc gave it, header included).
"""

from __future__ import annotations

from llvmlite import ir

from weldpy.backends.llvm.layout import I1, I64, PTR, VOID

SLOTS = 8
HUGE = 4 << 20  # smaller blocks go straight back to malloc
LIMIT = "weld_cache_limit"  # i64 global: the most bytes the cache may hold
CAPACITY_WORD = 3


_ARRAY_PTR, _ARRAY_I64 = ir.ArrayType(PTR, SLOTS), ir.ArrayType(I64, SLOTS)


def _globals(module: ir.Module):
    """The lock, the bytes held, the limit, the blocks and their capacities (0: empty)."""
    def define(name, ty, value):
        var = ir.GlobalVariable(module, ty, name)
        var.initializer = ir.Constant(ty, value)
        var.type = PTR  # llvmlite types a global's pointer; every pointer here is opaque
        return var

    return (define("weld_cache_lock", I64, 0), define("weld_cache_bytes", I64, 0),
            define(LIMIT, I64, 0), define("weld_cache_blocks", _ARRAY_PTR, [None] * SLOTS),
            define("weld_cache_capacities", _ARRAY_I64, [0] * SLOTS))


def _at(b: ir.IRBuilder, array, ty, i) -> ir.Value:
    index = i if isinstance(i, ir.Value) else ir.Constant(I64, i)
    return b.gep(array, [ir.Constant(I64, 0), index], source_etype=ty)


def capacity(b: ir.IRBuilder, block) -> ir.Value:
    return b.load(b.gep(block, [ir.Constant(I64, CAPACITY_WORD)], source_etype=I64), typ=I64)


def set_capacity(b: ir.IRBuilder, block, nbytes) -> None:
    b.store(nbytes, b.gep(block, [ir.Constant(I64, CAPACITY_WORD)], source_etype=I64))


def _lock(fn: ir.Function, b: ir.IRBuilder, lock) -> None:
    spin, held = fn.append_basic_block("lock.spin"), fn.append_basic_block("lock.held")
    b.branch(spin)
    b.position_at_end(spin)
    got = b.cmpxchg(lock, ir.Constant(I64, 0), ir.Constant(I64, 1), "acquire", "monotonic")
    b.cbranch(b.extract_value(got, 1), held, spin)
    b.position_at_end(held)


def _unlock(b: ir.IRBuilder, lock) -> None:
    b.atomic_rmw("xchg", lock, ir.Constant(I64, 0), "release")


def define(module: ir.Module, libc: dict) -> dict[str, ir.Function]:
    """``ptr weld_rt_take_block(i64 bytes)`` (a cached block of capacity >= ``bytes`` and
    at most twice that, or null) and ``void weld_rt_free_block(ptr block)``."""
    cache = _globals(module)
    return {"weld_rt_take_block": _take(module, cache),
            "weld_rt_free_block": _free(module, libc, cache)}


def _take(module, cache) -> ir.Function:
    lock, used, _, blocks, caps = cache
    fn = ir.Function(module, ir.FunctionType(PTR, [I64]), "weld_rt_take_block")
    (need,) = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    search, none = fn.append_basic_block("search"), fn.append_basic_block("none")
    # a racy peek first: a miss only costs a fresh block
    b.cbranch(b.icmp_unsigned("==", b.load(used, typ=I64), ir.Constant(I64, 0)), none, search)
    b.position_at_end(none)
    b.ret(ir.Constant(PTR, None))
    b.position_at_end(search)
    _lock(fn, b, lock)
    best_at, best_cap = ir.Constant(I64, -1), ir.Constant(I64, -1)
    for i in range(SLOTS):  # the smallest block that fits, within twice the need
        cap = b.load(_at(b, caps, _ARRAY_I64, i), typ=I64)
        fits = b.and_(b.icmp_unsigned(">=", cap, need),
                      b.icmp_unsigned("<=", cap, b.mul(need, ir.Constant(I64, 2))))
        take = b.and_(fits, b.icmp_unsigned("<", cap, best_cap))
        best_at = b.select(take, ir.Constant(I64, i), best_at)
        best_cap = b.select(take, cap, best_cap)
    found, out = fn.append_basic_block("found"), fn.append_basic_block("out")
    before = b.block
    b.cbranch(b.icmp_signed(">=", best_at, ir.Constant(I64, 0)), found, out)
    b.position_at_end(found)
    block = b.load(_at(b, blocks, _ARRAY_PTR, best_at), typ=PTR)
    b.store(ir.Constant(PTR, None), _at(b, blocks, _ARRAY_PTR, best_at))
    b.store(ir.Constant(I64, 0), _at(b, caps, _ARRAY_I64, best_at))
    b.store(b.sub(b.load(used, typ=I64), best_cap), used)
    b.branch(out)
    b.position_at_end(out)
    result = b.phi(PTR)
    result.add_incoming(block, found)
    result.add_incoming(ir.Constant(PTR, None), before)
    _unlock(b, lock)
    b.ret(result)
    return fn


def _free(module, libc, cache) -> ir.Function:
    lock, used, limit, blocks, caps = cache
    fn = ir.Function(module, ir.FunctionType(VOID, [PTR]), "weld_rt_free_block")
    (block,) = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    cap = capacity(b, block)
    release, keep = fn.append_basic_block("release"), fn.append_basic_block("keep")
    b.cbranch(b.icmp_unsigned("<", cap, ir.Constant(I64, HUGE)), release, keep)
    b.position_at_end(keep)
    _lock(fn, b, lock)
    room = b.icmp_unsigned("<=", b.add(b.load(used, typ=I64), cap), b.load(limit, typ=I64))
    kept = ir.Constant(I1, 0)
    for i in range(SLOTS):  # the first empty slot, if the limit allows
        empty = b.icmp_unsigned("==", b.load(_at(b, caps, _ARRAY_I64, i), typ=I64),
                                ir.Constant(I64, 0))
        put = b.and_(b.and_(room, b.not_(kept)), empty)
        with b.if_then(put):
            b.store(block, _at(b, blocks, _ARRAY_PTR, i))
            b.store(cap, _at(b, caps, _ARRAY_I64, i))
            b.store(b.add(b.load(used, typ=I64), cap), used)
        kept = b.or_(kept, put)
    _unlock(b, lock)
    done = fn.append_basic_block("done")
    b.cbranch(kept, done, release)
    b.position_at_end(release)
    b.call(libc["free"], [block])
    b.branch(done)
    b.position_at_end(done)
    b.ret_void()
    return fn
