"""Top-level loops split into parts run by the thread pool, and their builders combined.

A ``for`` in the entry function that is not inside another loop becomes:

- a *part* function ``part(env, ctx, lo, hi, p)`` that runs iterations ``lo .. hi-1`` from
  the loop's builder (part 0) or a ``fresh`` empty one (later parts), in sub-chunks of
  ``grain`` iterations; between sub-chunks it stops when another part failed or Ctrl-C
  raised the interrupt flag; it stores its builder (``export``ed) in ``partials[p]``;
- at the loop's place: ``parts = clamp(n // grain, 1, threads)`` equal ranges; one part runs
  directly, several run on the pool through the runtime library's driver
  (``runtime_parallel``), after which a ``parallel`` function folds the parts' builders into
  part 0's in part order (``absorb``). Which thread ran which part never matters, so a given
  thread count gives bit-identical results.

Appenders get room for every iteration before the loop (``reserve``), and the merges that
``single_merges`` finds need no capacity check; an appender merged exactly once per
iteration (a map) is written in place by every part at its own offset, so its parts need no
copying either.

Everything the body uses from outside (the values the body lambda closed over, the
iterators' bounds, the builder) travels in ``env``, one struct per loop (``_Capture``).
"""

from __future__ import annotations

from dataclasses import dataclass

from llvmlite import ir

from weldpy.backends.llvm import runtime_ir as R
from weldpy.backends.llvm import runtime_parallel as D
from weldpy.backends.llvm.codegen import Codegen, LambdaValue
from weldpy.backends.llvm.layout import I32, I64, PTR, VOID, value_type
from weldpy.backends.llvm.loop_state import LoopState
from weldpy.backends.llvm.runtime_parallel import COUNT, MAIN_CTX, PART_FN, PARTIALS, STOP
from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.ir.merge_counts import SingleMerges, single_merges
from weldpy.ir.traverse import free_vars

INITIAL = len(D.HEAD)  # env: the driver's head, the loop's builder, then captured values


# --- builders as plain values, fieldwise through structs of builders ------------------------
def _rules(ty: T.Type):
    from weldpy.backends.llvm.rules_loops import builder_rules

    return builder_rules(ty)


def portable_type(ty: T.Type) -> ir.Type:
    if isinstance(ty, T.Struct):
        return ir.LiteralStructType([portable_type(f) for f in ty.fields])
    return _rules(ty).portable_type(ty)


def export(cg: Codegen, ty: T.Type, builder) -> ir.Value:
    if isinstance(ty, T.Struct):
        return _build_struct(cg, portable_type(ty), [
            export(cg, f, cg.builder.extract_value(builder, i)) for i, f in enumerate(ty.fields)])
    return _rules(ty).export(cg, ty, builder)


def adopt(cg: Codegen, ty: T.Type, portable, into=None) -> ir.Value:
    """The builder held in ``portable``; ``into`` is a builder of the same type whose
    storage to reuse (the loop's own builder, so that its value stays what it was)."""
    if isinstance(ty, T.Struct):
        b = cg.builder
        return _build_struct(cg, value_type(ty), [
            adopt(cg, f, b.extract_value(portable, i),
                  None if into is None else b.extract_value(into, i))
            for i, f in enumerate(ty.fields)])
    return _rules(ty).adopt(cg, ty, portable, into)


def fresh(cg: Codegen, ty: T.Type, like, lo, hi, placed: frozenset, path=()) -> ir.Value:
    """An empty builder like ``like`` (portable) for the part ``lo .. hi-1``; an appender
    in ``placed`` (merged exactly once per iteration) writes into ``like``'s buffer at the
    part's own offset, which ``like`` has room for."""
    if isinstance(ty, T.Struct):
        return _build_struct(cg, portable_type(ty), [
            fresh(cg, f, cg.builder.extract_value(like, i), lo, hi, placed, (*path, i))
            for i, f in enumerate(ty.fields)])
    if path in placed:
        return _rules(ty).fresh_placed(cg, ty, like, lo, hi)
    return _rules(ty).fresh(cg, ty, like, cg.builder.sub(hi, lo))


def reserve(cg: Codegen, ty: T.Type, builder, count) -> ir.Value:
    """``builder`` with room for ``count`` more merges, where that means anything."""
    if isinstance(ty, T.Struct):
        b = cg.builder
        return _build_struct(cg, value_type(ty), [
            reserve(cg, f, b.extract_value(builder, i), count)
            for i, f in enumerate(ty.fields)])
    return _rules(ty).reserve(cg, ty, builder, count)


def absorb(cg: Codegen, ty: T.Type, builder, part, placed: frozenset, path=()) -> ir.Value:
    """``builder`` with the later part's builder ``part`` (portable) folded in."""
    if isinstance(ty, T.Struct):
        b = cg.builder
        return _build_struct(cg, value_type(ty), [
            absorb(cg, f, b.extract_value(builder, i), b.extract_value(part, i), placed,
                   (*path, i))
            for i, f in enumerate(ty.fields)])
    if path in placed:
        return _rules(ty).absorb_placed(cg, ty, builder, part)
    return _rules(ty).absorb(cg, ty, builder, part)


def _build_struct(cg: Codegen, ty: ir.Type, fields: list) -> ir.Value:
    out = ir.Constant(ty, ir.Undefined)
    for i, field in enumerate(fields):
        out = cg.builder.insert_value(out, field, i)
    return out


# --- what the body needs from outside --------------------------------------------------------
@dataclass(frozen=True)
class _Slot:
    index: int  # the captured value's field in env


class _Capture:
    """Values of the parent function a part function needs, as fields of ``env``."""

    def __init__(self, first_field: int):
        self.values: list[ir.Value] = []
        self.first = first_field

    def take(self, value):
        """A template of ``value`` in which each LLVM value is a ``_Slot``."""
        if isinstance(value, LambdaValue):
            names = free_vars(value.node.body) - {p.name for p in value.node.params}
            return LambdaValue(value.node, {n: self.take(value.env[n])
                                            for n in sorted(names) if n in value.env})
        if isinstance(value, ir.Constant) or value is None:
            return value  # constants belong to no function
        self.values.append(value)
        return _Slot(self.first + len(self.values) - 1)

    @staticmethod
    def rebuild(template, load):
        if isinstance(template, LambdaValue):
            return LambdaValue(template.node, {n: _Capture.rebuild(t, load)
                                               for n, t in template.env.items()})
        if isinstance(template, _Slot):
            return load(template.index)
        return template


# --- the three functions -----------------------------------------------------------------------
@dataclass
class _Loop:
    loop_id: int
    node: E.For
    env_type: ir.LiteralStructType
    bounds: object  # Bounds templates (fields as _Slot)
    func: object  # the body lambda's template
    builder_ty: T.Type
    merges: SingleMerges  # the body's appender merges that need no check, or have a place


def _env_field(b: ir.IRBuilder, loop: _Loop, env, index: int):
    return b.gep(env, [ir.Constant(I64, 0), ir.Constant(I32, index)], source_etype=loop.env_type)


def lower_parallel_loop(cg: Codegen, node: E.For, all_bounds: list, initial, emit_range):
    """The loop ``node`` split into parts (see the module doc); ``emit_range(cg, node,
    bounds, func, lo, hi, builder)`` emits the plain loop over ``lo .. hi-1``."""
    from weldpy.backends.llvm.rules_loops import Bounds

    b = cg.builder
    builder_ty = node.builder.ty
    capture = _Capture(INITIAL + 1)
    func = cg.lower(node.func)  # a LambdaValue (node.func may be a name bound to a lambda)
    func_template = capture.take(func)
    bound_templates = [Bounds(bd.node, capture.take(bd.data), capture.take(bd.start),
                              capture.take(bd.stride), None) for bd in all_bounds]
    env_type = ir.LiteralStructType(
        [*D.HEAD, portable_type(builder_ty), *(v.type for v in capture.values)])
    loop = _Loop(_next_loop_id(cg), node, env_type, bound_templates, func_template, builder_ty,
                 single_merges(func.node, builder_ty))
    part_fn = _part_function(cg, loop, emit_range)

    n = all_bounds[0].count
    ctx = cg.func.ctx
    env = cg.entry_alloca(env_type)
    for i, value in enumerate(capture.values):
        b.store(value, _env_field(b, loop, env, INITIAL + 1 + i))
    # room for every iteration in the loop's own appenders (part 0's, and the places of the
    # others' in a map), so a map never grows them
    initial = reserve(cg, builder_ty, initial, n)
    b.store(export(cg, builder_ty, initial), _env_field(b, loop, env, INITIAL))
    b.store(ctx, _env_field(b, loop, env, MAIN_CTX))
    b.store(part_fn, _env_field(b, loop, env, PART_FN))
    b.store(n, _env_field(b, loop, env, COUNT))
    b.store(ir.Constant(I64, 0), _env_field(b, loop, env, STOP))
    parts = _parts(cg, n)
    slot = cg.entry_alloca(value_type(builder_ty))
    b.store(initial, slot)
    with b.if_else(b.icmp_signed(">", parts, ir.Constant(I64, 1))) as (pool, alone):
        with pool:
            b.call(_parallel_function(cg, loop), [env, ctx, parts, slot])
        with alone:
            partial = cg.entry_alloca(portable_type(builder_ty))
            b.store(partial, _env_field(b, loop, env, PARTIALS))
            b.call(part_fn, [env, ctx, ir.Constant(I64, 0), n, ir.Constant(I64, 0)])
    _bail_if_failed(cg)
    with b.if_then(b.icmp_signed("==", parts, ir.Constant(I64, 1))):
        partial = b.load(_env_field(b, loop, env, PARTIALS), typ=PTR)
        b.store(adopt(cg, builder_ty, b.load(partial, typ=portable_type(builder_ty)),
                      initial), slot)
    return b.load(slot, typ=value_type(builder_ty))


def _parts(cg: Codegen, n) -> ir.Value:
    """``clamp(n // grain, 1, threads)``, or 1 without a pool."""
    b, ctx = cg.builder, cg.func.ctx
    word = lambda w: b.load(R.ctx_word(b, ctx, w), typ=I64)  # noqa: E731
    threads = b.select(b.icmp_unsigned("==", word(R.POOL), ir.Constant(I64, 0)),
                       ir.Constant(I64, 1), word(R.THREADS))
    by_grain = b.sdiv(n, word(R.GRAIN))
    parts = b.select(b.icmp_signed("<", by_grain, threads), by_grain, threads)
    return b.select(b.icmp_signed("<", parts, ir.Constant(I64, 1)), ir.Constant(I64, 1), parts)


def _bail_if_failed(cg: Codegen) -> None:
    b = cg.builder
    error = b.load(R.ctx_word(b, cg.func.ctx, R.ERROR), typ=I64)
    ok = b.append_basic_block("parts.ok")
    b.cbranch(b.icmp_signed("!=", error, ir.Constant(I64, 0)), cg.func.bail, ok)
    b.position_at_end(ok)


def _parallel_function(cg: Codegen, loop: _Loop) -> ir.Function:
    """``void parallel(env, ctx, parts, slot)``: run every part on the pool
    (``weld_rt_run_parts``) and fold the parts' builders into the loop's builder at
    ``slot``, in part order. Once per loop run: kept out of the caller, optimised for size."""
    fn = _new_function(cg, loop.loop_id, "parallel", [PTR, PTR, I64, PTR])
    fn.attributes.add("noinline")
    fn.attributes.add("optsize")
    env, ctx, parts, slot = fn.args
    saved = cg.builder, cg.func, cg.env
    cg.env = {}
    try:
        cg.begin_function(fn, ctx)
        ir.IRBuilder(cg.func.bail).ret_void()
        b, ty = cg.builder, loop.builder_ty
        ptype, vtype = portable_type(ty), value_type(ty)
        partials = cg.alloc(b.mul(parts, _size_of(cg, ptype)))
        b.store(partials, _env_field(b, loop, env, PARTIALS))
        b.call(cg.rt["weld_rt_run_parts"], [env, ctx, parts])
        _bail_if_failed(cg)

        def partial(p):
            return b.load(b.gep(partials, [p], source_etype=ptype), typ=ptype)

        b.store(adopt(cg, ty, partial(ir.Constant(I64, 0)), b.load(slot, typ=vtype)), slot)

        def fold(p):
            later = partial(b.add(p, ir.Constant(I64, 1)))
            b.store(absorb(cg, ty, b.load(slot, typ=vtype), later, loop.merges.exact), slot)

        cg.counted_loop(b.sub(parts, ir.Constant(I64, 1)), fold)
        cg.release(partials)
        b.ret_void()
    finally:
        cg.builder, cg.func, cg.env = saved
    return fn


def _next_loop_id(cg: Codegen) -> int:
    """Loops are numbered in the order they are generated (names stable across runs)."""
    return sum(1 for name in cg.module.globals if name.endswith(".part"))


def _size_of(cg: Codegen, ty: ir.Type) -> ir.Value:
    """``ty``'s allocation size (a constant expression: gep from null)."""
    end = cg.builder.gep(ir.Constant(PTR, None), [ir.Constant(I64, 1)], source_etype=ty)
    return cg.builder.ptrtoint(end, I64)


def _new_function(cg: Codegen, loop_id: int, role: str, args: list) -> ir.Function:
    fn = ir.Function(cg.module, ir.FunctionType(VOID, args), f"weld.loop{loop_id}.{role}")
    fn.linkage = "internal"
    return fn


def _part_function(cg: Codegen, loop: _Loop, emit_range) -> ir.Function:
    """``void part(env, ctx, lo, hi, p)``: see the module doc."""
    from weldpy.backends.llvm.rules_loops import Bounds

    fn = ir.Function(cg.module, D.PART_FUNCTION, f"weld.loop{loop.loop_id}.part")
    fn.linkage = "internal"
    fn.attributes.add("noinline")  # called by the worker and the parent: one copy
    env, ctx, lo, hi, p = fn.args
    saved = cg.builder, cg.func, cg.env, cg.loop_depth, cg.unchecked_merges
    cg.env, cg.loop_depth = {}, saved[3] + 1
    try:
        cg.begin_function(fn, ctx)
        ir.IRBuilder(cg.func.bail).ret_void()
        b = cg.builder

        def load(index):
            return b.load(_env_field(b, loop, env, index), typ=loop.env_type.elements[index])

        func = _Capture.rebuild(loop.func, load)
        bounds = [Bounds(t.node, *(_Capture.rebuild(x, load) for x in (t.data, t.start,
                                                                         t.stride)), None)
                  for t in loop.bounds]
        ty = loop.builder_ty
        initial = load(INITIAL)
        with b.if_else(b.icmp_signed("==", p, ir.Constant(I64, 0))) as (first, later):
            with first:
                first_end = b.block
            with later:
                made = fresh(cg, ty, initial, lo, hi, loop.merges.exact)
                later_end = b.block
        start = b.phi(initial.type)
        start.add_incoming(initial, first_end)
        start.add_incoming(made, later_end)
        builder = adopt(cg, ty, start)
        cg.unchecked_merges = loop.merges.unchecked  # every appender has room (fresh)
        final = _chunks(cg, loop, env, bounds, func, lo, hi, builder, emit_range)
        ptype = portable_type(ty)
        b.store(export(cg, ty, final), b.gep(load(PARTIALS), [p], source_etype=ptype))
        b.ret_void()
    finally:
        cg.builder, cg.func, cg.env, cg.loop_depth, cg.unchecked_merges = saved
    return fn


def _chunks(cg: Codegen, loop: _Loop, env, bounds, func, lo, hi, builder, emit_range):
    """``lo .. hi-1`` in sub-chunks of ``grain`` iterations, checking between them whether
    another part failed (leave quietly: its error is reported) or Ctrl-C was pressed."""
    b, ctx = cg.builder, cg.func.ctx
    grain = b.load(R.ctx_word(b, ctx, R.GRAIN), typ=I64)
    flag = b.inttoptr(b.load(R.ctx_word(b, ctx, R.INTERRUPT), typ=I64), PTR)
    stop = _env_field(b, loop, env, STOP)
    pre = b.block
    head, body, done = (b.append_basic_block(f"chunk.{s}") for s in ("head", "body", "end"))
    carried = LoopState(b, builder)
    b.branch(head)
    b.position_at_end(head)
    c = b.phi(I64, "chunk")
    state = carried.enter("builder")
    c.add_incoming(lo, pre)
    b.cbranch(b.icmp_signed("<", c, hi), body, done)
    b.position_at_end(body)
    zero = ir.Constant(I64, 0)
    stopped = b.load_atomic(stop, D.MONOTONIC, 8, typ=I64)
    go_on = b.append_basic_block("chunk.go")
    b.cbranch(b.icmp_signed("!=", stopped, zero), cg.func.bail, go_on)
    b.position_at_end(go_on)
    interrupted = b.load_atomic(flag, D.MONOTONIC, 8, typ=I64)
    irq, run = b.append_basic_block("chunk.interrupted"), b.append_basic_block("chunk.run")
    b.cbranch(b.icmp_signed("!=", interrupted, zero), irq, run)
    b.position_at_end(irq)
    cg.set_error(R.INTERRUPT_SITE)
    b.branch(cg.func.bail)
    b.position_at_end(run)
    room = b.sub(hi, c)
    end = b.add(c, b.select(b.icmp_signed("<", grain, room), grain, room))
    after = emit_range(cg, loop.node, bounds, func, c, end, state)
    c.add_incoming(end, b.block)
    carried.carry(after)
    b.branch(head)
    b.position_at_end(done)
    return state
