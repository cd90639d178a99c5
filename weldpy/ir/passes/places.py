"""Where in an expression subexpressions are always evaluated, and rewriting at places.

A *place* is the path of child indices from a root to a node (``always_evaluated`` links
them, ``flat`` spells them out). ``always_evaluated(root)`` yields the places whose node
runs whenever ``root`` does: through struct fields, operands,
casts, field accesses, lookups, merges, an ``if``'s condition, and both the value and the body
of a ``let``; not into a lambda (it may run any number of times), a loop, one branch of an
``if``, or the right operand of ``&&``/``||``. Passes that move such nodes to the root
(``fuse_horizontal``, ``cse``) share these helpers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, KeysView

from weldpy.ir import exprs as E
from weldpy.ir.traverse import children, free_vars, preorder, rebuild, rewrite_bottom_up

_ALWAYS = (E.MakeStruct, E.BinOp, E.UnaryOp, E.Cast, E.GetField, E.Let, E.Ascribe,
           E.Length, E.Select, E.Result, E.ToVec, E.Sort, E.Lookup, E.OptLookup,
           E.KeyExists, E.Slice, E.Merge, E.MakeVector)


def in_each_body(program: E.Expr, rewrite: Callable[[E.Expr], E.Expr]) -> E.Expr:
    """``program`` with ``rewrite`` applied to the body of every lambda (the program's own
    included), innermost first: the roots the always-evaluated places start from."""
    def body_of(node: E.Node) -> E.Node:
        if not isinstance(node, E.Lambda):
            return node
        body = rewrite(node.body)
        return node if body is node.body else E.Lambda(node.params, body,
                                                       annotations=node.annotations)

    return rewrite_bottom_up(program, body_of)


def always_evaluated(root: E.Node) -> Iterator[tuple[tuple, E.Node, KeysView[str]]]:
    """(place, node, names bound between ``root`` and it) for every always-evaluated node,
    parents before children, left to right. The place is linked (``(parent's place,
    index)``, ``()`` for the root: ``flat`` gives the child indices) and the names a live
    view, valid when yielded: one walk, linear in the nodes however deep the program."""
    bound: dict[str, int] = {}
    stack: list[tuple] = [("visit", (), root)]
    while stack:
        action, path, item = stack.pop()
        if action == "bind":
            bound[item] = bound.get(item, 0) + 1
            continue
        if action == "unbind":
            bound[item] -= 1
            if not bound[item]:
                del bound[item]
            continue
        yield path, item, bound.keys()
        kids = children(item)
        for k in reversed(always_evaluated_children(item)):
            if isinstance(item, E.Let) and k == 1:  # (the body sees the let's name)
                stack += [("unbind", None, item.name), ("visit", (path, k), kids[k]),
                          ("bind", None, item.name)]
            else:
                stack.append(("visit", (path, k), kids[k]))


def flat(path: tuple) -> tuple[int, ...]:
    """The child indices of a linked place (``always_evaluated``)."""
    out = []
    while path:
        path, k = path
        out.append(k)
    return tuple(reversed(out))


def always_evaluated_children(node: E.Node) -> range:
    """The indices of the children evaluated whenever ``node`` is."""
    if isinstance(node, E.BinOp) and node.op in (E.BinKind.LAND, E.BinKind.LOR):
        return range(1)  # (short-circuit: the right operand may not run)
    if isinstance(node, E.If):
        return range(1)  # the condition
    return range(len(children(node))) if isinstance(node, _ALWAYS) else range(0)


def node_at(node: E.Node, path: tuple) -> E.Node:
    for k in path:
        node = children(node)[k]
    return node


def replace_at(node: E.Node, replacements: dict) -> E.Node:
    """``node`` with the node at each place (child indices) in ``replacements`` replaced
    (a place inside another replaced one goes with it). Only the nodes on the way to a
    place are rebuilt."""
    trie: dict = {}
    for path, new in replacements.items():
        at = trie
        for k in path:
            at = at.setdefault(k, {})
        at[None] = new
    return _replace(node, trie)


def _replace(node: E.Node, trie: dict) -> E.Node:
    if None in trie:
        return trie[None]
    return rebuild(node, [_replace(kid, trie[k]) if k in trie else kid
                          for k, kid in enumerate(children(node))])


def substitute(expr: E.Expr, values: dict[str, E.Expr]) -> E.Expr:
    """``expr`` with each identifier named in ``values`` replaced by its value (``expr``
    binds none of those names: its binders were renamed apart first)."""
    return rewrite_bottom_up(expr, lambda n: values.get(n.name, n)
                             if isinstance(n, E.Ident) else n)


def typed_like(node: E.Expr, like: E.Expr) -> E.Expr:
    """``node`` with ``like``'s type (a name bound to ``like``), if that is known."""
    return node if like.ty is None else node.with_type(like.ty)


def binds(node: E.Expr, name: str) -> bool:
    """Whether a let or lambda in ``node`` binds ``name``."""
    return any(isinstance(n, E.Let) and n.name == name or isinstance(n, E.Lambda)
               and any(p.name == name for p in n.params) for n in preorder(node))


def names_in(root: E.Node) -> set[str]:
    """Every name ``root`` uses or binds (a fresh name avoids them all)."""
    names = set(free_vars(root))
    for n in preorder(root):
        if isinstance(n, E.Let):
            names.add(n.name)
        elif isinstance(n, E.Lambda):
            names.update(p.name for p in n.params)
    return names


def fresh_name(stem: str, taken: set) -> str:
    k = 0
    while f"{stem}{k}" in taken:
        k += 1
    return f"{stem}{k}"
