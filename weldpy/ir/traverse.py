"""Generic, iterative walkers over IR nodes: children, rebuild, post-order, bottom-up and
top-down rewrites, fixpoint, binders and free variables.

Nothing here recurses in Python, so programs tens of thousands of nodes deep (a long Python
loop of updates becomes a long chain of lets) are walked without hitting the recursion limit.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator

from weldpy.ir.exprs import Ident, Lambda, Let, Node, node_children, with_children

children = node_children


def rebuild(node: Node, new_children: list[Node]) -> Node:
    """A copy of ``node`` whose child nodes are ``new_children`` (in ``children`` order).

    Returns ``node`` itself when nothing changed. The copy keeps annotations and source
    position, and the checked type when every child kept its type (a node's type follows
    from its own fields and its children's types); otherwise it must be checked again."""
    old = node_children(node)
    if len(old) == len(new_children) and all(map(operator.is_, old, new_children)):
        return node
    out = with_children(node, new_children)
    pos = node.pos
    if pos is not None:
        out.with_pos(pos)
    ty = node.ty
    if ty is not None:
        for o, n in zip(old, new_children, strict=True):
            if n is not o and (n.ty is None or n.ty != o.ty):
                return out
        out.with_type(ty)
    return out


def postorder(root: Node) -> Iterator[Node]:
    """Every node occurrence under ``root``, children before parents, left to right."""
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            yield node
            continue
        stack.append((node, True))
        stack.extend((c, False) for c in reversed(node_children(node)))


def preorder(root: Node) -> Iterator[Node]:
    """Every node occurrence under ``root``, parents before children, left to right."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node_children(node)))


def rewrite_bottom_up(root: Node, fn: Callable[[Node], Node]) -> Node:
    """Apply ``fn`` to every node after its children were rewritten; shared subtrees once."""
    done: dict[int, Node] = {}
    stack: list[tuple[Node, bool]] = [(root, False)]
    keep_alive = []
    while stack:
        node, expanded = stack.pop()
        if id(node) in done:
            continue
        kids = node_children(node)
        if not expanded:
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(kids) if id(c) not in done)
            continue
        new = rebuild(node, [done[id(c)] for c in kids])
        done[id(node)] = fn(new)
        keep_alive.append(node)
    return done[id(root)]


def rewrite_top_down(root: Node, fn: Callable[[Node], Node]) -> Node:
    """Apply ``fn`` to every node before its children, then rewrite the children of what
    ``fn`` returned (not ``fn``'s result itself again); shared subtrees once."""
    done: dict[int, Node] = {}
    tops: dict[int, Node] = {}
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if not expanded:
            if id(node) in done or id(node) in tops:
                continue
            top = tops[id(node)] = fn(node)
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(node_children(top)))
            continue
        top = tops[id(node)]
        done[id(node)] = rebuild(top, [done[id(c)] for c in node_children(top)])
    return done[id(root)]


def fixpoint(root: Node, fn: Callable[[Node], Node], limit: int = 100) -> Node:
    """Rewrite bottom-up with ``fn`` until the program stops changing."""
    for _ in range(limit):
        new = rewrite_bottom_up(root, fn)
        if new is root or new == root:
            return new
        root = new
    return root


def bound_names(node: Node) -> tuple[str, ...]:
    """Names a node binds in its last child, its body (Let and Lambda)."""
    if isinstance(node, Let):
        return (node.name,)
    if isinstance(node, Lambda):
        return tuple(p.name for p in node.params)
    return ()


def free_vars(root: Node) -> set[str]:
    """Names used under ``root`` that no enclosing let or lambda under ``root`` binds."""
    free: set[str] = set()
    bound: dict[str, int] = {}
    stack: list[tuple[str, object]] = [("visit", root)]
    while stack:
        action, item = stack.pop()
        if action == "unbind":
            for name in item:
                bound[name] -= 1
            continue
        if action == "bind":
            for name in item:
                bound[name] = bound.get(name, 0) + 1
            continue
        node = item
        if isinstance(node, Ident):
            if not bound.get(node.name):
                free.add(node.name)
            continue
        kids = node_children(node)
        scoped = len(kids) - 1 if isinstance(node, (Let, Lambda)) else -1
        for index in range(len(kids) - 1, -1, -1):
            child = kids[index]
            if index == scoped:
                names = bound_names(node)
                stack.append(("unbind", names))
                stack.append(("visit", child))
                stack.append(("bind", names))
            else:
                stack.append(("visit", child))
    return free
