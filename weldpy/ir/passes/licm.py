"""Loop-invariant code motion: an expression in a loop's body that reads nothing the loop
binds (its builder, index, element, or a name bound inside the body) is computed once,
before the loop, by a ``let``.

    for(v, B, |b, i, x| merge(b, x / (sqrt(s) * 2.0)))
      =>  let inv0 = sqrt(s) * 2.0; for(v, B, |b, i, x| merge(b, x / inv0))

Only expressions that cannot fail move (computing them when the loop would not have, or
before an error the loop reports first, changes nothing), and those worth a ``let``: a
loop's result (an inner reduction over another vector, computed once instead of once an
iteration: its body and iterators cannot fail) or an operation of at least three nodes;
builders never move (a fresh builder per iteration is a different program). Hoisting works
innermost first, so an expression invariant in two nested loops leaves both. Equal
expressions share one ``let``. A loop read by ``result`` keeps ``result`` next to it (the
``let``s go outside), so the other passes and the backends still see a loop's result.
"""

from __future__ import annotations

from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.ir.alpha import canonical
from weldpy.ir.passes.failures import body_cannot_fail, cannot_fail, iter_cannot_fail
from weldpy.ir.passes.places import fresh_name, names_in, node_at, replace_at
from weldpy.ir.traverse import children, free_vars, preorder, rewrite_bottom_up

_MIN_NODES = 3  # smaller operations (f64(n), len(v)) cost less than the let; LLVM hoists them


def run(program: E.Expr) -> E.Expr:
    return rewrite_bottom_up(program, _rewrite)


def _rewrite(node: E.Node) -> E.Node:
    if isinstance(node, E.For) and isinstance(node.func, E.Lambda):
        return _hoisted(node)
    if isinstance(node, E.Result) and isinstance(node.builder, E.Let):
        return _lets_outside(node)
    return node


def _hoisted(loop: E.For) -> E.Expr:
    func = loop.func
    found: dict[E.Node, list[tuple]] = {}
    stack = [((), func.body, frozenset(p.name for p in func.params))]
    while stack:
        path, node, bound = stack.pop()
        if _movable(node, bound):
            found.setdefault(canonical(node), []).append(path)
            continue
        for k, kid in enumerate(children(node)):
            inner = bound
            if isinstance(node, E.Let) and k == 1:
                inner = bound | {node.name}
            elif isinstance(node, E.Lambda):
                inner = bound | {p.name for p in node.params}
            stack.append(((*path, k), kid, inner))
    if not found:
        return loop
    taken = names_in(loop)
    lets, replacements = [], {}
    for paths in found.values():
        name = fresh_name("inv", taken)
        taken.add(name)
        lets.append((name, node_at(func.body, paths[0])))
        replacements.update({p: E.Ident(name) for p in paths})
    body = replace_at(func.body, replacements)
    out: E.Expr = E.For(loop.iters, loop.builder,
                        E.Lambda(func.params, body, annotations=func.annotations),
                        annotations=loop.annotations)
    for name, value in reversed(lets):
        out = E.Let(name, value, out)
    return out


def _movable(node: E.Node, bound: frozenset) -> bool:
    if (node.ty is None or T.contains_builder(node.ty)
            or isinstance(node, (E.Ident, E.Literal, E.StringLit, E.Lambda))
            or free_vars(node) & bound):
        return False
    if isinstance(node, E.Result) and isinstance(node.builder, E.For):
        loop = node.builder
        return (cannot_fail(loop.builder) and body_cannot_fail(loop)
                and len(loop.iters) == 1 and iter_cannot_fail(loop.iters[0]))
    return cannot_fail(node) and sum(1 for _ in preorder(node)) >= _MIN_NODES


def _lets_outside(node: E.Result) -> E.Expr:
    """``result(let a = x; ...; loop)`` as ``let a = x; ...; result(loop)``."""
    lets, inner = [], node.builder
    while isinstance(inner, E.Let):
        lets.append(inner)
        inner = inner.body
    out: E.Expr = E.Result(inner, annotations=node.annotations)
    for let in reversed(lets):
        out = E.Let(let.name, let.value, out, annotations=let.annotations)
    return out
