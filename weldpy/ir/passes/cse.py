"""Common-subexpression elimination: an expression computed twice where both are always
evaluated is computed once, bound by a ``let`` (a repeated loop runs once).

Within each program or lambda body, the subexpressions in always-evaluated places (``places``:
struct fields, operands, ``let``s, not one branch of an ``if``
or the right of ``&&``) that are equal up to the names of their bound variables are grouped;
a group of two or more becomes ``let cseN = e; ...`` at the body's root, when ``e`` is a loop's
result or an operation of several nodes, is no builder (builders are linear), reads no name
bound on the way down, and cannot fail unless it is a loop (evaluating it once, earlier,
only changes which error a program failing twice reports). Inside a loop's body this
shares work within each iteration.
"""

from __future__ import annotations

from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.ir.alpha import canonical
from weldpy.ir.passes.failures import cannot_fail
from weldpy.ir.passes.places import (
    always_evaluated,
    flat,
    fresh_name,
    in_each_body,
    names_in,
    node_at,
    replace_at,
)
from weldpy.ir.traverse import children, free_vars, postorder

_MIN_NODES = 4  # smaller expressions (x * 2.0, f64(len(v))) cost less than the let
_MAX_NODES = 64  # larger ones are rarely repeated whole; their repeated parts are found


def run(program: E.Expr) -> E.Expr:
    return in_each_body(program, _eliminate)


def _worth(node: E.Node, size: int) -> bool:
    """Whether sharing ``node`` (of ``size`` nodes) pays: a loop, or an operation of a few
    nodes that cannot fail (a ``let`` is not an operation; bounding the size keeps the pass
    linear on long chains)."""
    if node.ty is None or T.contains_builder(node.ty):
        return False
    if isinstance(node, E.Result):
        return True
    if isinstance(node, (E.Ident, E.Literal, E.StringLit, E.Lambda, E.Let)):
        return False
    return _MIN_NODES <= size <= _MAX_NODES and cannot_fail(node)


def _sizes(root: E.Node) -> dict[int, int]:
    """Node id -> nodes in its subtree, for every node of ``root`` (one bottom-up pass)."""
    sizes: dict[int, int] = {}
    for node in postorder(root):
        sizes[id(node)] = 1 + sum(sizes[id(kid)] for kid in children(node))
    return sizes


def _eliminate(root: E.Expr) -> E.Expr:
    groups: dict[E.Node, list[tuple]] = {}
    sizes = _sizes(root)
    for path, node, bound in always_evaluated(root):
        if _worth(node, sizes[id(node)]) and not (free_vars(node) & bound):
            groups.setdefault(canonical(node), []).append(path)
    repeated = [paths for paths in groups.values() if len(paths) >= 2]
    if not repeated:
        return root
    paths = _outermost([flat(p) for p in repeated[0]])
    if len(paths) < 2:
        return root
    name = fresh_name("cse", names_in(root))
    value = node_at(root, paths[0])
    body = replace_at(root, {p: E.Ident(name) for p in paths})
    return E.Let(name, value, _eliminate(body))


def _outermost(paths: list[tuple]) -> list[tuple]:
    """The paths not inside another of them (an expression inside a repeated one goes
    with it)."""
    return [p for p in paths if not any(q != p and p[:len(q)] == q for q in paths)]
