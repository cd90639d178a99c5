"""The parallel-loop driver of the runtime library (``runtime_ir``), the same for every loop.

A parallel loop (``parallel``) fills the head of its ``env`` (the fields below, 8 bytes
each, then the loop's own values) and calls ``weld_rt_run_parts(env, ctx, parts)``, which:
gives every part after the first a context of its own (``init_part_ctx``), enters the pool
(``GOMP_parallel`` at ``ctx[POOL]``) with ``weld_rt_worker`` on every thread, and afterwards
takes back the parts' blocks, counters and first error (``weld_rt_adopt``). A worker claims
parts from the atomic counter ``NEXT`` until none is left, runs each with the loop's part
function ``env[PART_FN](env, ctx, lo, hi, p)``, and raises ``STOP`` when a part failed, so
that the others stop at their next chunk. Before it returns, a worker adds the
floating-point exception flags its thread raised to ``ctx[FP_FLAGS]`` of the run and clears
them (on x86-64: the MXCSR status bits), so that a run reports the flags of every thread.
"""

from __future__ import annotations

import llvmlite.binding as llvm
from llvmlite import ir

from weldpy.backends.llvm import runtime_ir as R
from weldpy.backends.llvm.layout import I32, I64, PTR, VOID

MAIN_CTX, CTXS, PARTIALS, COUNT, PARTS, CHUNK, NEXT, STOP, PART_FN = range(9)
HEAD = [PTR, PTR, PTR, I64, I64, I64, I64, I64, PTR]
MONOTONIC = "monotonic"
PART_FUNCTION = ir.FunctionType(VOID, [PTR, PTR, I64, I64, I64])  # (env, ctx, lo, hi, p)
_GOMP_PARALLEL = ir.FunctionType(VOID, [PTR, PTR, I32, I32])  # (fn, data, threads, flags)


class Indirect:
    """A call through a pointer: llvmlite's ``call`` reads the callee's ``function_type``,
    which an opaque pointer value does not have."""

    def __init__(self, pointer: ir.Value, function_type: ir.FunctionType):
        self.pointer, self.function_type, self.type = pointer, function_type, pointer.type

    def get_reference(self) -> str:
        return self.pointer.get_reference()


def env_word(b: ir.IRBuilder, env, index: int) -> ir.Value:
    """A pointer to field ``index`` of an env's head."""
    return b.gep(env, [ir.Constant(I64, index)], source_etype=I64)


def ctx_of(b: ir.IRBuilder, ctxs, p) -> ir.Value:
    """Part ``p``'s context in the array ``ctxs``."""
    return b.gep(ctxs, [b.mul(p, ir.Constant(I64, R.CTX_WORDS))], source_etype=I64)


def define(module: ir.Module, rt: dict) -> dict[str, ir.Function]:
    """Define ``weld_rt_worker`` and ``weld_rt_run_parts`` in the runtime module."""
    worker = _worker(module)
    return {"weld_rt_worker": worker, "weld_rt_run_parts": _run_parts(module, rt, worker)}


def _worker(module: ir.Module) -> ir.Function:
    fn = ir.Function(module, ir.FunctionType(VOID, [PTR]), "weld_rt_worker")
    (env,) = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    parts, chunk, n = (b.load(env_word(b, env, i), typ=I64) for i in (PARTS, CHUNK, COUNT))
    main_ctx, ctxs, part = (b.load(env_word(b, env, i), typ=PTR)
                            for i in (MAIN_CTX, CTXS, PART_FN))
    claim, run, done = (fn.append_basic_block(s) for s in ("claim", "run", "done"))
    b.branch(claim)
    b.position_at_end(claim)
    p = b.atomic_rmw("add", env_word(b, env, NEXT), ir.Constant(I64, 1), MONOTONIC)
    b.cbranch(b.icmp_signed("<", p, parts), run, done)
    b.position_at_end(run)
    lo = b.mul(p, chunk)
    lo = b.select(b.icmp_signed("<", lo, n), lo, n)
    hi = b.add(lo, chunk)
    hi = b.select(b.icmp_signed("<", hi, n), hi, n)
    ctx = b.select(b.icmp_signed("==", p, ir.Constant(I64, 0)), main_ctx, ctx_of(b, ctxs, p))
    b.call(Indirect(part, PART_FUNCTION), [env, ctx, lo, hi, p])
    failed = b.icmp_signed("!=", b.load(R.ctx_word(b, ctx, R.ERROR), typ=I64),
                           ir.Constant(I64, 0))
    with b.if_then(failed, likely=False):
        # (an exchange: llvmlite's store_atomic does not take opaque pointers)
        b.atomic_rmw("xchg", env_word(b, env, STOP), ir.Constant(I64, 1), MONOTONIC)
    b.branch(claim)
    b.position_at_end(done)
    if llvm.get_process_triple().startswith("x86_64"):
        _hand_over_fp_flags(module, b, main_ctx)
    b.ret_void()
    return fn


FP_STATUS = 0x1D  # MXCSR's invalid, divide-by-zero, overflow and underflow flags


def _hand_over_fp_flags(module: ir.Module, b: ir.IRBuilder, main_ctx) -> None:
    """``ctx[FP_FLAGS] |= this thread's flags``, then clear them (MXCSR's low six bits)."""
    csr_type = ir.FunctionType(VOID, [PTR])
    read = module.globals.get("llvm.x86.sse.stmxcsr") or ir.Function(
        module, csr_type, "llvm.x86.sse.stmxcsr")
    write = module.globals.get("llvm.x86.sse.ldmxcsr") or ir.Function(
        module, csr_type, "llvm.x86.sse.ldmxcsr")
    slot = b.alloca(I32)
    b.call(read, [slot])
    csr = b.load(slot, typ=I32)
    raised = b.zext(b.and_(csr, ir.Constant(I32, FP_STATUS)), I64)
    b.atomic_rmw("or", R.ctx_word(b, main_ctx, R.FP_FLAGS), raised, MONOTONIC)
    b.store(b.and_(csr, ir.Constant(I32, ~0x3F & 0xFFFFFFFF)), slot)
    b.call(write, [slot])


def _run_parts(module: ir.Module, rt: dict, worker: ir.Function) -> ir.Function:
    """``void weld_rt_run_parts(env, ctx, parts)``: see the module doc; on failure the
    error is in ``ctx``."""
    fn = ir.Function(module, ir.FunctionType(VOID, [PTR, PTR, I64]), "weld_rt_run_parts")
    env, ctx, parts = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    ctxs = b.call(rt["weld_rt_alloc"], [ctx, b.mul(parts, ir.Constant(I64, 8 * R.CTX_WORDS))])
    failed, go = fn.append_basic_block("failed"), fn.append_basic_block("go")
    b.cbranch(b.icmp_unsigned("==", ctxs, ir.Constant(PTR, None)), failed, go)
    b.position_at_end(failed)
    b.ret_void()
    b.position_at_end(go)
    R.loop(b, ir.Constant(I64, 1), parts, lambda p: R.init_part_ctx(b, ctx, ctx_of(b, ctxs, p)))
    n = b.load(env_word(b, env, COUNT), typ=I64)
    b.store(ctxs, env_word(b, env, CTXS))
    b.store(parts, env_word(b, env, PARTS))
    b.store(b.sdiv(b.add(n, b.sub(parts, ir.Constant(I64, 1))), parts), env_word(b, env, CHUNK))
    b.store(ir.Constant(I64, 0), env_word(b, env, NEXT))
    b.store(ir.Constant(I64, 0), env_word(b, env, STOP))
    pool = b.inttoptr(b.load(R.ctx_word(b, ctx, R.POOL), typ=I64), PTR)
    b.call(Indirect(pool, _GOMP_PARALLEL),
           [worker, env, b.trunc(parts, I32), ir.Constant(I32, 0)])
    R.loop(b, ir.Constant(I64, 1), parts,
          lambda p: b.call(rt["weld_rt_adopt"], [ctx, ctx_of(b, ctxs, p)]))
    b.call(rt["weld_rt_unlink"], [ctxs])
    b.call(rt["weld_rt_free_block"],
           [b.gep(ctxs, [ir.Constant(I64, -R.HEADER)], source_etype=ir.IntType(8))])
    b.ret_void()
    return fn
