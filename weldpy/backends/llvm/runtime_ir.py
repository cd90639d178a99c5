"""The runtime that generated code carries with it: the run context, memory, error sites.

Every program module gets these functions (generated LLVM IR; installing weldpy compiles
nothing). The *context* is a block of i64 words the caller allocates per run:

| word | meaning |
|---|---|
| 0 | error site: 0 while all is well, else the 1-based index of the failing check |
| 1, 2 | two i64 details of the error (the index, the length ...) |
| 3, 4 | the sentinel of the list of live allocations (prev, next) |
| 5 | bytes allocated by this run |
| 6 | loops executed by this run |

Every allocation is a block ``[prev, next, size, unused | data ...]`` (a 32-byte header keeps
the data 16-byte aligned) linked into the context's list, so after a run the caller can hand
the blocks that hold results to NumPy (``weld_rt_unlink``) and free the rest at once
(``weld_rt_free_all``). ``weld_rt_blocks`` lists them (data pointer, size) for that.
"""

from __future__ import annotations

from llvmlite import ir

from weldpy.backends.llvm.layout import I8, I32, I64, PTR, VOID

HEADER = 32
CTX_WORDS = 8
ERROR, DETAIL0, DETAIL1, SENTINEL, BYTES_ALLOCATED, LOOPS_EXECUTED = 0, 1, 2, 3, 5, 6
MEMORY_SITE = -1  # error word for a failed allocation (detail 0: the size asked for)
MAX_BYTES = 1 << 62  # larger requests fail at once (and size + header cannot wrap)

EXPORTED = ("weld_rt_free_all", "weld_rt_unlink", "weld_rt_blocks")


def ctx_word(b: ir.IRBuilder, ctx, index: int):
    """A pointer to word ``index`` of the context."""
    return b.gep(ctx, [ir.Constant(I64, index)], source_etype=I64)


def _header_word(b, block, index):
    return b.gep(block, [ir.Constant(I64, index)], source_etype=I64)


def _link(b, ctx, block):
    """Insert ``block`` after the sentinel."""
    sentinel = ctx_word(b, ctx, SENTINEL)
    first = b.load(_header_word(b, sentinel, 1), typ=PTR)
    b.store(sentinel, _header_word(b, block, 0))
    b.store(first, _header_word(b, block, 1))
    b.store(block, _header_word(b, first, 0))
    b.store(block, _header_word(b, sentinel, 1))


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


def _define(module, name, ret, args, linkage="internal"):
    fn = ir.Function(module, ir.FunctionType(ret, args), name)
    fn.linkage = linkage
    return fn, ir.IRBuilder(fn.append_basic_block("entry"))


def add_runtime(module: ir.Module) -> dict[str, ir.Function]:
    """Declare libc and define the runtime functions in ``module``; returns them by name."""
    libc = {
        "malloc": ir.Function(module, ir.FunctionType(PTR, [I64]), "malloc"),
        "realloc": ir.Function(module, ir.FunctionType(PTR, [PTR, I64]), "realloc"),
        "free": ir.Function(module, ir.FunctionType(VOID, [PTR]), "free"),
        "memcmp": ir.Function(module, ir.FunctionType(I32, [PTR, PTR, I64]), "memcmp"),
    }
    out = dict(libc)
    out["weld_rt_alloc"] = _alloc(module, libc)
    out["weld_rt_realloc"] = _realloc(module, libc)
    out["weld_rt_free_all"] = _free_all(module, libc)
    out["weld_rt_unlink"] = _unlink_fn(module)
    out["weld_rt_blocks"] = _blocks(module)
    return out


def _alloc(module, libc):
    """``ptr weld_rt_alloc(ctx, size)``: a new linked block's data, or null (error set)."""
    fn, b = _define(module, "weld_rt_alloc", PTR, [PTR, I64])
    ctx, size = fn.args
    with b.if_then(b.icmp_unsigned(">", size, ir.Constant(I64, MAX_BYTES)), likely=False):
        _fail_memory(b, ctx, size)
    block = b.call(libc["malloc"], [b.add(size, ir.Constant(I64, HEADER))])
    with b.if_then(b.icmp_unsigned("==", block, ir.Constant(PTR, None)), likely=False):
        _fail_memory(b, ctx, size)
    b.store(size, _header_word(b, block, 2))
    _link(b, ctx, block)
    _count_bytes(b, ctx, size)
    b.ret(b.gep(block, [ir.Constant(I64, HEADER)], source_etype=I8))
    return fn


def _realloc(module, libc):
    """``ptr weld_rt_realloc(ctx, data, size)``: the block resized (moved, relinked)."""
    fn, b = _define(module, "weld_rt_realloc", PTR, [PTR, PTR, I64])
    ctx, data, size = fn.args
    with b.if_then(b.icmp_unsigned(">", size, ir.Constant(I64, MAX_BYTES)), likely=False):
        _fail_memory(b, ctx, size)
    block = b.gep(data, [ir.Constant(I64, -HEADER)], source_etype=I8)
    old = b.load(_header_word(b, block, 2), typ=I64)
    _unlink(b, block)
    moved = b.call(libc["realloc"], [block, b.add(size, ir.Constant(I64, HEADER))])
    with b.if_then(b.icmp_unsigned("==", moved, ir.Constant(PTR, None)), likely=False):
        _link(b, ctx, block)
        _fail_memory(b, ctx, size)
    b.store(size, _header_word(b, moved, 2))
    _link(b, ctx, moved)
    _count_bytes(b, ctx, b.sub(size, old))
    b.ret(b.gep(moved, [ir.Constant(I64, HEADER)], source_etype=I8))
    return fn


def _free_all(module, libc):
    """``void weld_rt_free_all(ctx)``: free every block still linked."""
    fn, b = _define(module, "weld_rt_free_all", VOID, [PTR], linkage="external")
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
    b.call(libc["free"], [node])
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
    fn, b = _define(module, "weld_rt_unlink", VOID, [PTR], linkage="external")
    block = b.gep(fn.args[0], [ir.Constant(I64, -HEADER)], source_etype=I8)
    _unlink(b, block)
    b.ret_void()
    return fn


def _blocks(module):
    """``i64 weld_rt_blocks(ctx, out, cap)``: the number of live blocks; writes up to ``cap``
    (data pointer, size) pairs of i64 to ``out``."""
    fn, b = _define(module, "weld_rt_blocks", I64, [PTR, PTR, I64], linkage="external")
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
