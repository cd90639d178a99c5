"""Horizontal loop fusion: independent loops over the same iterators, whose results one
expression needs, become one loop building a struct of their builders.

    {result(for(v, B1, F1)), result(for(v, B2, F2)) / 2.0}
      =>  let r = for(v, {B1, B2}, |b, i, x| {F1(b.$0, i, x), F2(b.$1, i, x)});
          {result(r.$0), result(r.$1) / 2.0}

(with the lets at the head of the bodies computed once for all: ``numbering``).

The loops are looked for where the expression always evaluates them (struct fields,
operands, casts, field accesses, the value and body of a ``let``), not under a lambda, a
loop or one branch of an ``if``; each builds a fresh builder whose size hint or initial value
cannot fail, and nothing the loops read is bound between the expression's root and them (the
fused loop is placed at the root). Each iteration still runs every body in order on its own
builder, so results are the same; only the order in which two failing loops would report
their errors can change.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass, field

from weldpy.ir import exprs as E
from weldpy.ir import printer
from weldpy.ir import types as T
from weldpy.ir.alpha import canonical
from weldpy.ir.passes.failures import cannot_fail
from weldpy.ir.passes.numbering import head, numbered
from weldpy.ir.passes.places import (
    always_evaluated,
    flat,
    fresh_name,
    in_each_body,
    names_in,
    replace_at,
)
from weldpy.ir.passes.provenance import FUSED, annotate, fused_into
from weldpy.ir.traverse import free_vars


def run(program: E.Expr) -> E.Expr:
    """``program`` with the loops of each lambda body and of the program fused by iterators."""
    return in_each_body(program, _fuse)


@dataclass
class _Group:
    iters: tuple
    paths: list = field(default_factory=list)  # child-index paths of the loops' results
    loops: list = field(default_factory=list)


def _fuse(root: E.Expr) -> E.Expr:
    groups: dict[tuple, _Group] = {}
    for place, node, bound in always_evaluated(root):
        if _fusable(node, bound):
            path = flat(place)
            group = groups.setdefault(node.builder.iters, _Group(node.builder.iters))
            if not any(path[:len(p)] == p for p in group.paths):  # (not inside another)
                group.paths.append(path)
                group.loops.append(node.builder)
    for group in groups.values():
        if len(group.loops) >= 2:
            root = _apply(root, group)
            return _fuse(root)  # (paths changed: look again for the other groups)
    return root


def _fusable(node: E.Node, bound: Set[str]) -> bool:
    if not (isinstance(node, E.Result) and isinstance(node.builder, E.For)):
        return False
    loop = node.builder
    new = loop.builder
    return (isinstance(new, E.NewBuilder) and not isinstance(new.type_, T.Struct)
            and (new.arg is None or cannot_fail(new.arg)) and isinstance(loop.func, E.Lambda)
            and not (free_vars(loop) & bound))


def _apply(root: E.Expr, group: _Group) -> E.Expr:
    name = fresh_name("hfused", names_in(root))
    body = replace_at(root, {path: E.Result(E.GetField(E.Ident(name), k))
                             for k, path in enumerate(group.paths)})
    return E.Let(name, _fused_loop(group, name), body)


def _fused_loop(group: _Group, avoid: str) -> E.For:
    """One loop over the group's iterators building the struct of the loops' builders."""
    funcs = [canonical(loop.func, f"h{k}_") for k, loop in enumerate(group.loops)]
    taken = set().union(*(names_in(f) for f in funcs)) | {avoid}
    b, i, x = (fresh_name(stem, taken) for stem in ("hb", "hi", "hx"))
    lets, rests, renames = [], [], {}
    for k, func in enumerate(funcs):
        pb, pi, px = func.params
        renames.update({pb.name: E.GetField(E.Ident(b), k), pi.name: E.Ident(i),
                        px.name: E.Ident(x)})
        moved, rest = head(func.body)  # (computed once for every body: ``numbering``)
        lets += moved
        rests.append(rest)
    builders = E.MakeStruct(tuple(loop.builder for loop in group.loops))
    params = (E.Param(b, None), E.Param(i, None), E.Param(x, None))
    body = numbered(lets, rests, renames)
    loop = E.For(group.iters, builders, E.Lambda(params, body))
    what = (f"{len(group.loops)} loops over "
            f"{', '.join(printer.pretty(it) for it in group.iters)} side by side")
    return annotate(loop, FUSED, fused_into(loop, what, *group.loops))
