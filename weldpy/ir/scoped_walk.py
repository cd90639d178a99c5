"""An iterative, scope-aware post-order walk: the skeleton of the type checker's two phases.

``walk(root, visitor)`` visits every node occurrence children-first without Python recursion.
Before a node's last child (a Let's body, a Lambda's body) the names the node binds are bound
to what ``visitor.binding`` returns, and unbound when the node is finished, so an identifier
always sees its nearest binder. ``visitor.before_child`` runs before each child, after the
earlier children finished, which lets inference push expected types into lambdas.
"""

from __future__ import annotations

from typing import Any, Protocol

from weldpy.ir.exprs import Lambda, Let, Node, node_children


class Visitor(Protocol):
    def before_child(self, node: Node, index: int, done: list[Any]) -> None: ...

    def bindings(self, node: Node, done: list[Any]) -> dict[str, Any]: ...

    def finish(self, node: Node, done: list[Any], scope: Scope) -> Any: ...


class Scope:
    """Names in scope, each a stack of bindings (innermost last)."""

    def __init__(self, initial: dict[str, Any] | None = None):
        self._stacks: dict[str, list[Any]] = {k: [v] for k, v in (initial or {}).items()}

    def lookup(self, name: str) -> tuple[bool, Any]:
        stack = self._stacks.get(name)
        if stack:
            return True, stack[-1]
        return False, None

    def push(self, names: dict[str, Any]) -> None:
        for name, value in names.items():
            self._stacks.setdefault(name, []).append(value)

    def pop(self, names) -> None:
        for name in names:
            self._stacks[name].pop()


def walk(root: Node, visitor: Visitor, scope: Scope) -> Any:
    """Post-order walk of ``root``; returns ``visitor.finish`` of the root."""
    # each frame: [node, children, results of finished children, bound names or None]
    stack: list[list[Any]] = [[root, node_children(root), [], None]]
    while True:
        frame = stack[-1]
        node, kids, done, bound = frame
        index = len(done)
        if index < len(kids):
            visitor.before_child(node, index, done)
            if index == len(kids) - 1 and isinstance(node, (Let, Lambda)):
                names = visitor.bindings(node, done)
                scope.push(names)
                frame[3] = tuple(names)
            child = kids[index]
            stack.append([child, node_children(child), [], None])
            continue
        result = visitor.finish(node, done, scope)
        if bound is not None:
            scope.pop(bound)
        stack.pop()
        if not stack:
            return result
        stack[-1][2].append(result)
