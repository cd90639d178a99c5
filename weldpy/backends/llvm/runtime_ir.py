"""The runtime library: the run context, memory, the parallel-loop driver, Ctrl-C.

Its functions are generated LLVM IR too (installing weldpy compiles nothing), in ONE module
(``runtime_module``) compiled once per machine (the disk cache) and loaded once per process
(``library``); every program declares them (``add_runtime``) and is linked to their
addresses. The *context* is a block of i64 words the caller allocates per run:

| word | meaning |
|---|---|
| 0 | error site: 0 while all is well, else the 1-based index of the failing check |
| 1, 2 | two i64 details of the error (the index, the length ...) |
| 3, 4 | the sentinel of the list of live allocations (prev, next) |
| 5 | bytes allocated by this run |
| 6 | loops executed by this run |
| 7 | threads a parallel loop may use (1: run every loop on this thread) |
| 8 | grain: a parallel loop takes at least this many iterations per part |
| 9 | address of ``GOMP_parallel`` (libgomp), or 0: no pool |
| 10 | address of the interrupt flag (an i64 a SIGINT handler sets), never 0 |

A parallel loop gives each part after the first a context of its own (``init_part_ctx``:
same settings, its own allocation list and counters), and after the loop the parent takes
back the parts' blocks, counters and first error (``weld_rt_adopt``).

Blocks of 4 MiB and more are advised to use transparent huge pages (``madvise``, as NumPy
does): where the kernel leaves huge pages to ``madvise`` (these machines), that makes a fresh
400 MB result ~4x faster to fill, since it takes 512 times fewer page faults.

Blocks of 4 MiB and more are taken from and given back to a cache of warm blocks
(``runtime_blocks``) when they fit.

Every allocation is a block ``[prev, next, size, capacity | data ...]`` (a 32-byte header
keeps the data 16-byte aligned) linked into the context's list, so after a run the caller can hand
the blocks that hold results to NumPy (``weld_rt_unlink``) and free the rest at once
(``weld_rt_free_all``). ``weld_rt_blocks`` lists them (data pointer, size) for that.
"""

from __future__ import annotations

import ctypes
import functools
import os

from llvmlite import ir

from weldpy.backends.llvm import runtime_blocks
from weldpy.backends.llvm.layout import I8, I32, I64, PTR, VOID
from weldpy.errors import WeldValueError

HEADER = 32
CTX_WORDS = 12
ERROR, DETAIL0, DETAIL1, SENTINEL, BYTES_ALLOCATED, LOOPS_EXECUTED = 0, 1, 2, 3, 5, 6
THREADS, GRAIN, POOL, INTERRUPT, FP_FLAGS = 7, 8, 9, 10, 11
MEMORY_SITE = -1  # error word for a failed allocation (detail 0: the size asked for)
INTERRUPT_SITE = -2  # error word of a loop stopped by Ctrl-C
MAX_BYTES = 1 << 62  # larger requests fail at once (and size + header cannot wrap)

# (return type, parameter types) of the functions programs call
_SIGNATURES = {
    "weld_rt_alloc": (PTR, [PTR, I64]),
    "weld_rt_realloc": (PTR, [PTR, PTR, I64]),
    "weld_rt_free_all": (VOID, [PTR]),
    "weld_rt_unlink": (VOID, [PTR]),
    "weld_rt_blocks": (I64, [PTR, PTR, I64]),
    "weld_rt_adopt": (VOID, [PTR, PTR]),
    "weld_rt_run_parts": (VOID, [PTR, PTR, I64]),
    "weld_rt_free_block": (VOID, [PTR]),
    "weld_rt_resize_table": (ir.IntType(1), [PTR, PTR, I64, I64]),
}


def loop(b: ir.IRBuilder, start, stop, body, step: int = 1) -> None:
    """``for p = start; p < stop; p += step: body(p)`` (i64) at the builder's position;
    ``body`` may leave the function on its own."""
    pre = b.block
    head, work, done = (b.append_basic_block(s) for s in ("loop", "loop.body", "loop.end"))
    b.branch(head)
    b.position_at_end(head)
    p = b.phi(I64)
    p.add_incoming(start, pre)
    b.cbranch(b.icmp_signed("<", p, stop), work, done)
    b.position_at_end(work)
    body(p)
    p.add_incoming(b.add(p, ir.Constant(I64, step)), b.block)
    b.branch(head)
    b.position_at_end(done)


def ctx_word(b: ir.IRBuilder, ctx, index: int):
    """A pointer to word ``index`` of the context."""
    return b.gep(ctx, [ir.Constant(I64, index)], source_etype=I64)


def _header_word(b, block, index):
    return b.gep(block, [ir.Constant(I64, index)], source_etype=I64)


def _link(b, ctx, block):
    """Insert ``block`` after the sentinel."""
    _splice(b, ctx, block, block)


def _splice(b, ctx, first, last):
    """Insert the chain of blocks ``first .. last`` (linked among themselves) after the
    sentinel of ``ctx``'s list."""
    sentinel = ctx_word(b, ctx, SENTINEL)
    after = b.load(_header_word(b, sentinel, 1), typ=PTR)
    b.store(sentinel, _header_word(b, first, 0))
    b.store(after, _header_word(b, last, 1))
    b.store(last, _header_word(b, after, 0))
    b.store(first, _header_word(b, sentinel, 1))


def _unlink(b, block):
    prev = b.load(_header_word(b, block, 0), typ=PTR)
    nxt = b.load(_header_word(b, block, 1), typ=PTR)
    b.store(nxt, _header_word(b, prev, 1))
    b.store(prev, _header_word(b, nxt, 0))


def _fail_memory(b, ctx, size):
    b.store(ir.Constant(I64, MEMORY_SITE), ctx_word(b, ctx, ERROR))
    b.store(size, ctx_word(b, ctx, DETAIL0))
    b.ret(ir.Constant(PTR, None))


def _count_bytes(b, ctx, size):
    slot = ctx_word(b, ctx, BYTES_ALLOCATED)
    b.store(b.add(b.load(slot, typ=I64), size), slot)


_HUGE_BLOCK = 4 << 20
_PAGE = 4096
_MADV_HUGEPAGE = 14


def _advise_huge_pages(b, libc, block, size):
    """``madvise(MADV_HUGEPAGE)`` on the whole pages of a block of 4 MiB or more (a hint:
    its result does not matter)."""
    with b.if_then(b.icmp_unsigned(">=", size, ir.Constant(I64, _HUGE_BLOCK))):
        start = b.ptrtoint(block, I64)
        first = b.and_(b.add(start, ir.Constant(I64, _PAGE - 1)), ir.Constant(I64, -_PAGE))
        end = b.add(start, b.add(size, ir.Constant(I64, HEADER)))
        b.call(libc["madvise"], [b.inttoptr(first, PTR), b.sub(end, first),
                                 ir.Constant(I32, _MADV_HUGEPAGE)])


def _define(module, name, ret, args):
    fn = ir.Function(module, ir.FunctionType(ret, args), name)
    return fn, ir.IRBuilder(fn.append_basic_block("entry"))


def _libc(module: ir.Module) -> dict[str, ir.Function]:
    return {
        "malloc": ir.Function(module, ir.FunctionType(PTR, [I64]), "malloc"),
        "realloc": ir.Function(module, ir.FunctionType(PTR, [PTR, I64]), "realloc"),
        "free": ir.Function(module, ir.FunctionType(VOID, [PTR]), "free"),
        "memcmp": ir.Function(module, ir.FunctionType(I32, [PTR, PTR, I64]), "memcmp"),
        "madvise": ir.Function(module, ir.FunctionType(I32, [PTR, I64, I32]), "madvise"),
        "memcpy": ir.Function(module, ir.FunctionType(VOID, [PTR, PTR, I64, ir.IntType(1)]),
                              "llvm.memcpy.p0.p0.i64"),
    }


def add_runtime(module: ir.Module) -> dict[str, ir.Function]:
    """Declare libc and the runtime library's functions in a program's ``module``."""
    out = _libc(module)
    for name, (ret, args) in _SIGNATURES.items():
        out[name] = ir.Function(module, ir.FunctionType(ret, args), name)
    return out


def runtime_module() -> str:
    """The runtime library's LLVM IR: every function of ``_SIGNATURES`` defined."""
    from weldpy.backends.llvm import interrupt, runtime_parallel, runtime_tables

    module = ir.Module(name="weldpy_runtime")
    rt = _libc(module)
    rt.update(runtime_blocks.define(module, rt))
    rt["weld_rt_alloc"] = _alloc(module, rt)
    rt["weld_rt_realloc"] = _realloc(module, rt)
    rt["weld_rt_free_all"] = _free_all(module, rt)
    rt["weld_rt_unlink"] = _unlink_fn(module)
    rt["weld_rt_blocks"] = _blocks(module)
    rt["weld_rt_adopt"] = _adopt(module)
    rt.update(runtime_parallel.define(module, rt))
    rt.update(runtime_tables.define(module, rt))
    return f"{module}\n{interrupt.HANDLER_IR}"


@functools.cache
def library():
    """The runtime library, loaded (and compiled, the first time on this machine) once."""
    from weldpy.backends.llvm import GENERATOR  # the digest of the code that generates it
    from weldpy.backends.llvm.interrupt import EXPORTED as HANDLER_EXPORTS
    from weldpy.backends.llvm.jit import cached_library

    # keyed by that digest: generating the module's text just to key it takes ~7 ms
    lib = cached_library(f"weldpy runtime library\n{GENERATOR}", runtime_module,
                         (*_SIGNATURES, "weld_rt_worker", runtime_blocks.LIMIT,
                          *HANDLER_EXPORTS), name="runtime", counted=False)
    ctypes.c_int64.from_address(lib.address(runtime_blocks.LIMIT)).value = _cache_limit()
    return lib


def _cache_limit() -> int:
    """Bytes of freed large blocks to keep for reuse (``runtime_blocks``)."""
    text = os.environ.get("WELDPY_BLOCK_CACHE_MB", "").strip()
    try:
        megabytes = int(text) if text else 1024
    except ValueError:
        raise WeldValueError(f"environment variable WELDPY_BLOCK_CACHE_MB={text!r} is not an "
                             f"integer") from None
    return max(megabytes, 0) << 20


@functools.cache
def addresses() -> dict[str, int]:
    """The runtime functions' addresses, which every program is linked to."""
    lib = library()
    return {name: lib.address(name) for name in _SIGNATURES}


def _alloc(module, libc):
    """``ptr weld_rt_alloc(ctx, size)``: a new linked block's data, or null (error set)."""
    fn, b = _define(module, "weld_rt_alloc", PTR, [PTR, I64])
    ctx, size = fn.args
    with b.if_then(b.icmp_unsigned(">", size, ir.Constant(I64, MAX_BYTES)), likely=False):
        _fail_memory(b, ctx, size)
    need = b.add(size, ir.Constant(I64, HEADER))
    cache, fresh, made_ok, have = (fn.append_basic_block(n)
                                   for n in ("cache", "fresh", "made", "have"))
    b.cbranch(b.icmp_unsigned(">=", need, ir.Constant(I64, runtime_blocks.HUGE)), cache, fresh)
    b.position_at_end(cache)  # a warm block from the cache, else a fresh one
    cached = b.call(libc["weld_rt_take_block"], [need])
    b.cbranch(b.icmp_unsigned("==", cached, ir.Constant(PTR, None)), fresh, have)
    b.position_at_end(fresh)
    made = b.call(libc["malloc"], [need])
    with b.if_then(b.icmp_unsigned("==", made, ir.Constant(PTR, None)), likely=False):
        _fail_memory(b, ctx, size)
    b.branch(made_ok)
    b.position_at_end(made_ok)
    runtime_blocks.set_capacity(b, made, need)
    _advise_huge_pages(b, libc, made, size)
    made_end = b.block
    b.branch(have)
    b.position_at_end(have)
    block = b.phi(PTR)
    block.add_incoming(cached, cache)
    block.add_incoming(made, made_end)
    b.store(size, _header_word(b, block, 2))
    _link(b, ctx, block)
    _count_bytes(b, ctx, size)
    b.ret(b.gep(block, [ir.Constant(I64, HEADER)], source_etype=I8))
    return fn


def _realloc(module, libc):
    """``ptr weld_rt_realloc(ctx, data, size)``: the block resized: in place when its
    capacity allows, into a warm cached block when one fits, else by libc (moved, relinked)."""
    fn, b = _define(module, "weld_rt_realloc", PTR, [PTR, PTR, I64])
    ctx, data, size = fn.args
    with b.if_then(b.icmp_unsigned(">", size, ir.Constant(I64, MAX_BYTES)), likely=False):
        _fail_memory(b, ctx, size)
    block = b.gep(data, [ir.Constant(I64, -HEADER)], source_etype=I8)
    old = b.load(_header_word(b, block, 2), typ=I64)
    need = b.add(size, ir.Constant(I64, HEADER))
    with b.if_then(b.icmp_unsigned("<=", need, runtime_blocks.capacity(b, block))):
        b.store(size, _header_word(b, block, 2))  # room enough (a reused block): stay
        _count_bytes(b, ctx, b.sub(size, old))
        b.ret(data)
    with b.if_then(b.icmp_unsigned(">=", need, ir.Constant(I64, runtime_blocks.HUGE))):
        warm = b.call(libc["weld_rt_take_block"], [need])
        with b.if_then(b.icmp_unsigned("!=", warm, ir.Constant(PTR, None))):
            b.call(libc["memcpy"], [warm, block, b.add(old, ir.Constant(I64, HEADER)),
                                    ir.Constant(ir.IntType(1), 0)])
            _unlink(b, block)
            b.call(libc["weld_rt_free_block"], [block])
            b.store(size, _header_word(b, warm, 2))
            _link(b, ctx, warm)
            _count_bytes(b, ctx, b.sub(size, old))
            b.ret(b.gep(warm, [ir.Constant(I64, HEADER)], source_etype=I8))
    _unlink(b, block)
    moved = b.call(libc["realloc"], [block, need])
    with b.if_then(b.icmp_unsigned("==", moved, ir.Constant(PTR, None)), likely=False):
        _link(b, ctx, block)
        _fail_memory(b, ctx, size)
    b.store(size, _header_word(b, moved, 2))
    runtime_blocks.set_capacity(b, moved, b.add(size, ir.Constant(I64, HEADER)))
    _link(b, ctx, moved)
    _count_bytes(b, ctx, b.sub(size, old))
    _advise_huge_pages(b, libc, moved, size)
    b.ret(b.gep(moved, [ir.Constant(I64, HEADER)], source_etype=I8))
    return fn


def init_part_ctx(b: ir.IRBuilder, parent, ctx) -> None:
    """Make ``ctx`` a part's context: no error, an empty allocation list, zero counters,
    and the parent's grain and interrupt flag (one thread, no pool: parts do not nest)."""
    for word in (ERROR, DETAIL0, DETAIL1, BYTES_ALLOCATED, LOOPS_EXECUTED, POOL):
        b.store(ir.Constant(I64, 0), ctx_word(b, ctx, word))
    b.store(ir.Constant(I64, 1), ctx_word(b, ctx, THREADS))
    for word in (GRAIN, INTERRUPT):
        b.store(b.load(ctx_word(b, parent, word), typ=I64), ctx_word(b, ctx, word))
    sentinel = ctx_word(b, ctx, SENTINEL)
    b.store(sentinel, _header_word(b, sentinel, 0))
    b.store(sentinel, _header_word(b, sentinel, 1))


def _adopt(module):
    """``void weld_rt_adopt(ctx, part)``: move a part context's blocks into ``ctx``'s list,
    add its counters, and take its error if ``ctx`` has none."""
    fn, b = _define(module, "weld_rt_adopt", VOID, [PTR, PTR])
    ctx, part = fn.args
    for word in (BYTES_ALLOCATED, LOOPS_EXECUTED):
        mine, theirs = ctx_word(b, ctx, word), ctx_word(b, part, word)
        b.store(b.add(b.load(mine, typ=I64), b.load(theirs, typ=I64)), mine)
    with b.if_then(b.and_(
            b.icmp_signed("==", b.load(ctx_word(b, ctx, ERROR), typ=I64), ir.Constant(I64, 0)),
            b.icmp_signed("!=", b.load(ctx_word(b, part, ERROR), typ=I64), ir.Constant(I64, 0)))):
        for word in (ERROR, DETAIL0, DETAIL1):
            b.store(b.load(ctx_word(b, part, word), typ=I64), ctx_word(b, ctx, word))
    theirs = ctx_word(b, part, SENTINEL)
    first = b.load(_header_word(b, theirs, 1), typ=PTR)
    with b.if_then(b.icmp_unsigned("!=", first, theirs)):
        _splice(b, ctx, first, b.load(_header_word(b, theirs, 0), typ=PTR))
    b.ret_void()
    return fn


def _free_all(module, libc):
    """``void weld_rt_free_all(ctx)``: free every block still linked."""
    fn, b = _define(module, "weld_rt_free_all", VOID, [PTR])
    (ctx,) = fn.args
    sentinel = ctx_word(b, ctx, SENTINEL)
    loop, done = fn.append_basic_block("loop"), fn.append_basic_block("done")
    first = b.load(_header_word(b, sentinel, 1), typ=PTR)
    entry = b.block
    b.branch(loop)
    b.position_at_end(loop)
    node = b.phi(PTR)
    node.add_incoming(first, entry)
    at_end = b.icmp_unsigned("==", node, sentinel)
    body = fn.append_basic_block("free")
    b.cbranch(at_end, done, body)
    b.position_at_end(body)
    nxt = b.load(_header_word(b, node, 1), typ=PTR)
    b.call(libc["weld_rt_free_block"], [node])
    node.add_incoming(nxt, body)
    b.branch(loop)
    b.position_at_end(done)
    b.store(sentinel, _header_word(b, sentinel, 0))
    b.store(sentinel, _header_word(b, sentinel, 1))
    b.ret_void()
    return fn


def _unlink_fn(module):
    """``void weld_rt_unlink(data)``: take a block out of its run (its memory now belongs to
    the caller, who frees ``data - 32``)."""
    fn, b = _define(module, "weld_rt_unlink", VOID, [PTR])
    block = b.gep(fn.args[0], [ir.Constant(I64, -HEADER)], source_etype=I8)
    _unlink(b, block)
    b.ret_void()
    return fn


def _blocks(module):
    """``i64 weld_rt_blocks(ctx, out, cap)``: the number of live blocks; writes up to ``cap``
    (data pointer, size) pairs of i64 to ``out``."""
    fn, b = _define(module, "weld_rt_blocks", I64, [PTR, PTR, I64])
    ctx, out, cap = fn.args
    sentinel = ctx_word(b, ctx, SENTINEL)
    entry = b.block
    loop, body, done = (fn.append_basic_block(n) for n in ("loop", "body", "done"))
    first = b.load(_header_word(b, sentinel, 1), typ=PTR)
    b.branch(loop)
    b.position_at_end(loop)
    node, count = b.phi(PTR), b.phi(I64)
    node.add_incoming(first, entry)
    count.add_incoming(ir.Constant(I64, 0), entry)
    b.cbranch(b.icmp_unsigned("==", node, sentinel), done, body)
    b.position_at_end(body)
    with b.if_then(b.icmp_signed("<", count, cap)):
        pair = b.gep(out, [b.mul(count, ir.Constant(I64, 2))], source_etype=I64)
        data = b.gep(node, [ir.Constant(I64, HEADER)], source_etype=I8)
        b.store(b.ptrtoint(data, I64), pair)
        size = b.load(_header_word(b, node, 2), typ=I64)
        b.store(size, b.gep(pair, [ir.Constant(I64, 1)], source_etype=I64))
    node.add_incoming(b.load(_header_word(b, node, 1), typ=PTR), b.block)
    count.add_incoming(b.add(count, ir.Constant(I64, 1)), b.block)
    b.branch(loop)
    b.position_at_end(done)
    b.ret(count)
    return fn
