"""Builder linearity (IR.md): each builder value is merged into or read at most once along
any path. Consumes a typed tree; raises WeldTypeError at the second use.

A use is an identifier of builder type, or a field path into a struct of builders (``b.$0``
and ``b.$1`` are different builders; ``b`` and ``b.$0`` overlap). The two branches of an
``if`` are different paths, so each may use the same builder.
"""

from __future__ import annotations

from weldpy.errors import WeldTypeError, position_suffix
from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.ir.traverse import bound_names, children

# name -> list of (field path, position of the use)
Uses = dict[str, list[tuple[tuple[int, ...], tuple[int, int] | None]]]


def check_linear(root: E.Node) -> None:
    """Raise WeldTypeError if a builder under ``root`` is used twice on one path."""
    results: dict[int, tuple[Uses, tuple | None]] = {}
    stack: list[tuple[E.Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if not expanded:
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(children(node)))
            continue
        results[id(node)] = _uses_of(node, [results.pop(id(c)) for c in children(node)])


def _uses_of(node, kids) -> tuple[Uses, tuple | None]:
    if isinstance(node, E.Ident):
        if node.ty is not None and T.contains_builder(node.ty):
            return {node.name: [((), node.pos)]}, (node.name, ())
        return {}, None
    if isinstance(node, E.GetField) and kids[0][1] is not None:
        if node.ty is not None and not T.contains_builder(node.ty):
            return {}, None  # (a plain field of a struct that also holds builders)
        name, path = kids[0][1]
        path = path + (node.index,)
        return {name: [(path, node.pos)]}, (name, path)
    if isinstance(node, E.If):
        branches = _union(kids[1][0], kids[2][0])
        return _combine([kids[0][0], branches]), None
    uses = _combine([k[0] for k in kids])
    for name in bound_names(node):
        uses.pop(name, None)
    return uses, None


def _overlap(p: tuple[int, ...], q: tuple[int, ...]) -> bool:
    n = min(len(p), len(q))
    return p[:n] == q[:n]


def _combine(parts: list[Uses]) -> Uses:
    out: Uses = {}
    for part in parts:
        for name, uses in part.items():
            seen = out.setdefault(name, [])
            for path, pos in uses:
                if any(_overlap(path, q) for q, _ in seen):
                    field = "".join(f".${i}" for i in path)
                    raise WeldTypeError(
                        f"builder '{name}{field}' is used more than once (a builder value is "
                        f"merged into or read once; use the builder merge returns)"
                        + position_suffix(pos))
            seen.extend(uses)
    return out


def _union(a: Uses, b: Uses) -> Uses:
    out = {k: list(v) for k, v in a.items()}
    for name, uses in b.items():
        out.setdefault(name, []).extend(uses)
    return out
