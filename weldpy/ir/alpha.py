"""Equality of expression trees up to renaming of bound variables, and canonical names.

``alpha_equivalent(a, b)`` walks both trees in lockstep, matching each variable use to the
binder (a ``let`` or a lambda parameter) it refers to; free names must be equal. ``canonical``
renames every binder to ``v0, v1, ...`` in order of first occurrence (skipping names used
free), so alpha-equivalent programs get equal canonical forms. Both are iterative.
"""

from __future__ import annotations

import dataclasses

from weldpy.ir.exprs import Ident, Lambda, Let, Node, _leaf_key, child_fields, field_names
from weldpy.ir.traverse import free_vars, node_children, rebuild

_BINDER_FIELDS = {Let: "name", Lambda: "params"}


def alpha_equivalent(a: Node, b: Node) -> bool:
    """True when ``a`` and ``b`` are equal up to consistent renaming of bound variables.

    Examples
    --------
    >>> from weldpy.ir.parser import parse
    >>> alpha_equivalent(parse("|x| x + y"), parse("|z| z + y"))
    True
    >>> alpha_equivalent(parse("|x| x + y"), parse("|y| y + y"))
    False
    """
    scopes_a: dict[str, list[int]] = {}
    scopes_b: dict[str, list[int]] = {}
    binder_id = 0
    stack: list[tuple] = [("visit", a, b)]
    while stack:
        action, x, y = stack.pop()
        if action == "bind":
            binder_id += 1
            for k, (na, nb) in enumerate(zip(x, y, strict=True)):
                scopes_a.setdefault(na, []).append((binder_id, k))
                scopes_b.setdefault(nb, []).append((binder_id, k))
            continue
        if action == "unbind":
            for na, nb in zip(x, y, strict=True):
                scopes_a[na].pop()
                scopes_b[nb].pop()
            continue
        if type(x) is not type(y) or not _same_fields(x, y):
            return False
        if isinstance(x, Ident):
            sa, sb = scopes_a.get(x.name), scopes_b.get(y.name)
            ida, idb = (sa[-1] if sa else None), (sb[-1] if sb else None)
            if ida != idb or (ida is None and x.name != y.name):
                return False
            continue
        if not _push_children(x, y, stack):
            return False
    return True


def _same_fields(x: Node, y: Node) -> bool:
    """The non-child fields agree, binder names aside (parameter types must agree)."""
    skip = child_fields(type(x))
    for name in field_names(type(x)):
        if name in skip or (name == "name" and isinstance(x, (Let, Ident))):
            continue
        u, v = getattr(x, name), getattr(y, name)
        if name == "params" and isinstance(x, Lambda):
            if len(u) != len(v) or any(p.ty != q.ty for p, q in zip(u, v, strict=True)):
                return False
        elif _leaf_key(u) != _leaf_key(v):
            return False
    return True


def _push_children(x: Node, y: Node, stack: list) -> bool:
    for name in child_fields(type(x)):
        u, v = getattr(x, name), getattr(y, name)
        if isinstance(u, tuple):
            if not isinstance(v, tuple) or len(u) != len(v):
                return False
            stack.extend(("visit", p, q) for p, q in zip(u, v, strict=True))
        elif (u is None) != (v is None):
            return False
        elif u is not None:
            scoped = name == "body" and isinstance(x, (Let, Lambda))
            if scoped:
                stack.append(("unbind", _binders(x), _binders(y)))
            stack.append(("visit", u, v))
            if scoped:
                stack.append(("bind", _binders(x), _binders(y)))
    return True


def _binders(node: Node) -> tuple[str, ...]:
    if isinstance(node, Let):
        return (node.name,)
    return tuple(p.name for p in node.params)


def canonical(expr: Node, prefix: str = "v") -> Node:
    """``expr`` with every bound variable renamed ``v0, v1, ...`` by first occurrence.

    Free names are kept and never reused, so the result means the same as ``expr``."""
    avoid = free_vars(expr)
    counter = 0
    scopes: dict[str, list[str]] = {}
    results: list[Node] = []
    stack: list[tuple] = [("visit", expr, None)]
    while stack:
        action, node, extra = stack.pop()
        if action == "bind":
            for old, new in extra:
                scopes.setdefault(old, []).append(new)
            continue
        if action == "unbind":
            for old, _ in extra:
                scopes[old].pop()
            continue
        if action == "exit":
            kids = node_children(node)
            new_kids = results[len(results) - len(kids):] if kids else []
            del results[len(results) - len(kids):]
            results.append(_renamed(rebuild(node, new_kids), node, extra))
            continue
        if isinstance(node, Ident):
            scope = scopes.get(node.name)
            results.append(_renamed(node, node, scope[-1]) if scope else node)
            continue
        renames = None
        if isinstance(node, (Let, Lambda)):
            renames = []
            for old in _binders(node):
                new = f"{prefix}{counter}"
                while new in avoid:
                    counter += 1
                    new = f"{prefix}{counter}"
                counter += 1
                renames.append((old, new))
        stack.append(("exit", node, renames))
        kids = node_children(node)
        for k in range(len(kids) - 1, -1, -1):
            if renames is not None and k == len(kids) - 1:
                stack.append(("unbind", None, renames))
                stack.append(("visit", kids[k], None))
                stack.append(("bind", None, renames))
            else:
                stack.append(("visit", kids[k], None))
    return results[0]


def _renamed(new: Node, old: Node, renames) -> Node:
    """``new`` with its binder names (or, for an Ident, its name) replaced (a renaming
    keeps the checked type)."""
    if renames is None:
        return new
    if isinstance(new, Ident):
        out = dataclasses.replace(new, name=renames)
    elif isinstance(new, Let):
        out = dataclasses.replace(new, name=renames[0][1])
    else:
        params = tuple(dataclasses.replace(p, name=n) for p, (_, n) in zip(
            new.params, renames, strict=True))
        out = dataclasses.replace(new, params=params)
    if new.ty is not None:
        out.with_type(new.ty)
    return out.with_pos(old.pos)
