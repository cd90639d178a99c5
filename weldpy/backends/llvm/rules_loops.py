"""Lowering of loops and builders: For (with its iterators), NewBuilder, Merge, Result.

A ``for`` becomes a counted loop ``i = 0 .. n-1`` whose loop-carried value is the builder;
the body lambda is inlined with ``b``, ``i`` and the element bound. Each builder kind
is a ``BuilderRules`` entry in ``BUILDERS`` (``builders``, ``dicts``), so the loop does not
know what it builds. A top-level loop is split into parts for the thread pool by
``parallel``, which runs this module's ``emit_range`` over each part.
"""

from __future__ import annotations

from dataclasses import dataclass

from llvmlite import ir

from weldpy.backends.llvm import prefetch, runtime_ir
from weldpy.backends.llvm.codegen import ENTRY, RULES, Codegen
from weldpy.backends.llvm.layout import I64, mem_type, value_type
from weldpy.backends.llvm.loop_state import LoopState
from weldpy.backends.llvm.parallel import lower_parallel_loop, reserve
from weldpy.backends.llvm.rules_data import vec_parts
from weldpy.errors import WeldUnsupportedError
from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.ir.merge_counts import single_merges

# builder type class -> rules with new(cg, node, ty, arg), merge(cg, node, ty, b, v),
# result(cg, node, ty, b); filled by the builder modules
BUILDERS: dict[type, object] = {}


def builder_rules(ty: T.Type):
    rules = BUILDERS.get(type(ty))
    if rules is None:
        raise WeldUnsupportedError(f"llvm backend: builder {ty} is not supported")
    return rules


@dataclass
class Bounds:
    """One iterator, evaluated: where its elements are and how many there are."""

    node: E.Iter
    data: ir.Value | None  # the vector's data pointer (None for rangeiter)
    start: ir.Value
    stride: ir.Value
    count: ir.Value


def _ceil_div(b, distance, stride):
    return b.sdiv(b.add(distance, b.sub(stride, ir.Constant(I64, 1))), stride)


def _vector_bounds(cg: Codegen, it: E.Iter) -> Bounds:
    b = cg.builder
    data, length = vec_parts(cg, cg.lower(it.data))
    if it.start is None:
        return Bounds(it, data, ir.Constant(I64, 0), ir.Constant(I64, 1), length)
    start, end, stride = cg.lower(it.start), cg.lower(it.end), cg.lower(it.stride)
    zero = ir.Constant(I64, 0)
    ok = b.and_(b.and_(b.icmp_signed(">=", start, zero), b.icmp_signed("<=", start, end)),
                b.and_(b.icmp_signed("<=", end, length), b.icmp_signed(">", stride, zero)))
    cg.check(ok, "index", "iter(v, {0}, {1}, stride) out of range for the vector", it,
             (start, end))
    return Bounds(it, data, start, stride, _ceil_div(b, b.sub(end, start), stride))


def _range_bounds(cg: Codegen, it: E.Iter) -> Bounds:
    b = cg.builder
    start, end, stride = cg.lower(it.start), cg.lower(it.end), cg.lower(it.stride)
    zero = ir.Constant(I64, 0)
    cg.check(b.icmp_signed("!=", stride, zero), "value",
             "rangeiter({0}, {1}, 0): the stride must not be 0", it, (start, end))
    up = b.icmp_signed(">", stride, zero)
    distance = b.select(up, b.sub(end, start), b.sub(start, end))
    step = b.select(up, stride, b.sub(zero, stride))
    count = _ceil_div(b, distance, step)
    count = b.select(b.icmp_signed(">", count, zero), count, zero)
    return Bounds(it, None, start, stride, count)


def _element(cg: Codegen, bounds: Bounds, i: ir.Value) -> ir.Value:
    """The element of iteration ``i`` in its memory form (fields of a zipped struct)."""
    b = cg.builder
    position = b.add(bounds.start, b.mul(i, bounds.stride))
    if bounds.data is None:
        return position
    elem = bounds.node.ty
    ptr = cg.element_ptr(elem, bounds.data, position)
    return b.load(ptr, typ=mem_type(elem))


def _check_zip(cg: Codegen, node: E.For, all_bounds: list[Bounds]) -> None:
    b, first = cg.builder, all_bounds[0].count
    for other in all_bounds[1:]:
        cg.check(b.icmp_signed("==", first, other.count), "value",
                 "for: zipped iterators have different lengths {0} and {1}", node,
                 (first, other.count))


def emit_range(cg: Codegen, node: E.For, all_bounds: list[Bounds], func, lo, hi, initial):
    """The plain loop over iterations ``lo .. hi-1`` of ``node`` from builder ``initial``,
    the body lambda value ``func`` inlined; returns the final builder. A groupby's body
    (``prefetch.batchable``) into a table larger than the caches runs in batches that
    prefetch the table's slots."""
    if prefetch.batchable(func, node.builder.ty):
        with cg.builder.if_else(prefetch.table_is_large(cg, initial)) as (large, small):
            with large:
                prefetch.emit_batched(cg, node, func, lo, hi, initial,
                                      lambda i: _element_value(cg, node, all_bounds, i))
            with small:
                _emit_plain(cg, node, all_bounds, func, lo, hi, initial)
        return initial  # (a dictmerger's value is its table, whatever is merged)
    return _emit_plain(cg, node, all_bounds, func, lo, hi, initial)


def _emit_plain(cg: Codegen, node: E.For, all_bounds: list[Bounds], func, lo, hi, initial):
    b = cg.builder
    pre = b.block
    header, loop_body = b.append_basic_block("for.head"), b.append_basic_block("for.body")
    done = b.append_basic_block("for.end")
    carried = LoopState(b, initial)
    b.branch(header)
    b.position_at_end(header)
    i = b.phi(I64, "i")
    state = carried.enter("builder")
    i.add_incoming(lo, pre)
    b.cbranch(b.icmp_signed("<", i, hi), loop_body, done)
    b.position_at_end(loop_body)
    after = cg.apply(func, [state, i, _element_value(cg, node, all_bounds, i)])
    i.add_incoming(b.add(i, ir.Constant(I64, 1)), b.block)
    carried.carry(after)
    b.branch(header)
    b.position_at_end(done)
    return state


def _element_value(cg: Codegen, node: E.For, all_bounds: list[Bounds], i) -> ir.Value:
    """Iteration ``i``'s element: one iterator's value, or the struct of zipped ones."""
    elems = [_element(cg, bounds, i) for bounds in all_bounds]
    if len(elems) == 1:
        return cg.from_mem(node.iters[0].ty, elems[0])
    elem = ir.Constant(value_type(T.Struct(tuple(it.ty for it in node.iters))), ir.Undefined)
    for k, e in enumerate(elems):
        elem = cg.builder.insert_value(elem, e, k)
    return elem


def _for(cg: Codegen, node: E.For):
    """A loop at the top level of the program runs in parallel parts (``parallel``); a loop
    inside another loop's body (or in a helper function) is a plain loop."""
    b = cg.builder
    func = cg.lower(node.func)
    all_bounds = [(_range_bounds if it.kind is E.IterKind.RANGE else _vector_bounds)(cg, it)
                  for it in node.iters]
    _check_zip(cg, node, all_bounds)
    initial = cg.lower(node.builder)
    if cg.loop_depth == 0 and cg.func.fn.name == ENTRY:
        state = lower_parallel_loop(cg, node, all_bounds, initial, emit_range)
    else:
        # room for one element per iteration in each appender no iteration merges into
        # twice, whose merges then skip the capacity check (the outer body's do not)
        merges = single_merges(func.node, node.builder.ty)
        count = all_bounds[0].count
        if merges.unchecked:
            initial = reserve(cg, node.builder.ty, initial, count)
        saved = cg.unchecked_merges
        cg.loop_depth, cg.unchecked_merges = cg.loop_depth + 1, merges.unchecked
        try:
            state = emit_range(cg, node, all_bounds, func, ir.Constant(I64, 0), count,
                               initial)
        finally:
            cg.loop_depth, cg.unchecked_merges = cg.loop_depth - 1, saved
    loops = runtime_ir.ctx_word(b, cg.func.ctx, runtime_ir.LOOPS_EXECUTED)
    b.store(b.add(b.load(loops, typ=I64), ir.Constant(I64, 1)), loops)
    return state


def _new_builder(cg: Codegen, node: E.NewBuilder):
    arg = None if node.arg is None else cg.lower(node.arg)
    return builder_rules(node.type_).new(cg, node, node.type_, arg)


def _merge(cg: Codegen, node: E.Merge):
    builder = cg.lower(node.builder)
    value = cg.lower(node.value)
    ty = node.builder.ty
    return builder_rules(ty).merge(cg, node, ty, builder, value)


def _result(cg: Codegen, node: E.Result):
    ty = node.builder.ty
    return builder_rules(ty).result(cg, node, ty, cg.lower(node.builder))


RULES.update({E.For: _for, E.NewBuilder: _new_builder, E.Merge: _merge, E.Result: _result})
