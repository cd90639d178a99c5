"""Size inference: an appender that every iteration of its loop merges into exactly once
is created with the loop's length as its size hint, so it is allocated once at its final
size (a map's output is a preallocated vector written by index).

    for(v, appender[f64], |b, i, x| merge(b, f(x)))
      =>  for(v, appender[f64](len(v)), |b, i, x| merge(b, f(x)))

The appender is a fresh one in the loop's builder expression (alone, or a field of a struct
of builders); the count comes from ``merge_counts.single_merges`` (every path through the
body merges into it once), and the length from an iterator over a whole vector bound to a
name (zipped iterators have equal lengths; ``len`` of a name cannot fail). The llvm backend
also reserves that room by itself before a loop; the hint makes the size part of the
program, for every backend. The pass runs last: fusion leaves hinted producers alone.
"""

from __future__ import annotations

from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.ir.merge_counts import single_merges
from weldpy.ir.traverse import rewrite_bottom_up


def run(program: E.Expr) -> E.Expr:
    return rewrite_bottom_up(program, _hinted)


def _hinted(node: E.Node) -> E.Node:
    if not (isinstance(node, E.For) and isinstance(node.func, E.Lambda)
            and node.builder.ty is not None):
        return node
    length = _length(node)
    if length is None:
        return node
    exact = single_merges(node.func, node.builder.ty).exact
    builder = _with_hints(node.builder, (), exact, length)
    if builder is node.builder:
        return node
    return E.For(node.iters, builder, node.func, annotations=node.annotations)


def _length(loop: E.For) -> E.Expr | None:
    """``len`` of a named vector the loop reads whole (None: no such iterator)."""
    for it in loop.iters:
        if it.kind is E.IterKind.SCALAR and it.start is None and isinstance(it.data, E.Ident):
            return E.Length(it.data)
    return None


def _with_hints(builder: E.Expr, path: tuple, exact: frozenset, length: E.Expr) -> E.Expr:
    if isinstance(builder, E.MakeStruct):
        fields = tuple(_with_hints(f, (*path, k), exact, length)
                       for k, f in enumerate(builder.elems))
        if all(new is old for new, old in zip(fields, builder.elems, strict=True)):
            return builder
        return E.MakeStruct(fields, annotations=builder.annotations)
    if (isinstance(builder, E.NewBuilder) and isinstance(builder.type_, T.Appender)
            and builder.arg is None and path in exact):
        return E.NewBuilder(builder.type_, length, annotations=builder.annotations)
    return builder
