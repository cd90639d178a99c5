"""What may raise: the passes move, merge and copy only what cannot fail, so that a program
that raises still raises the same error first (IR.md: errors are part of a program's
meaning)."""

from __future__ import annotations

from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.ir.traverse import preorder

_SAFE = (E.Literal, E.StringLit, E.Ident, E.GetField, E.MakeStruct, E.Length, E.UnaryOp,
         E.Cast, E.Select, E.If, E.Ascribe, E.NewBuilder, E.MakeVector, E.Let)
_FAILING_BINOPS = (E.BinKind.DIV, E.BinKind.MOD)


def cannot_fail(node: E.Node, merges: bool = False) -> bool:
    """Whether evaluating ``node`` can never raise (no lookup, integer division, loop, call
    ...; with ``merges``, merges count as safe: the caller knows into which builders)."""
    return all(safe_node(n, merges) for n in preorder(node))


def safe_node(node: E.Node, merges: bool = False) -> bool:
    """Whether ``node`` itself (not its children) can never raise."""
    if isinstance(node, E.BinOp):
        return node.op not in _FAILING_BINOPS or (
            node.ty is not None and isinstance(node.ty, T.Scalar) and node.ty.kind.is_float)
    return isinstance(node, _SAFE) or (merges and isinstance(node, E.Merge))


def body_cannot_fail(loop: E.For) -> bool:
    """Whether no iteration of ``loop``'s body can raise (merging into any builder but a
    vecmerger cannot; an untyped builder counts as one that may)."""
    ty = loop.builder.ty
    return (isinstance(loop.func, E.Lambda) and ty is not None and not _has_vecmerger(ty)
            and cannot_fail(loop.func.body, merges=True))


def iter_cannot_fail(it: E.Iter) -> bool:
    """Whether evaluating iterator ``it`` (its vector and bounds) cannot raise."""
    return all(part is None or cannot_fail(part)
               for part in (it.data, it.start, it.end, it.stride))


def _has_vecmerger(ty: T.Type) -> bool:
    if isinstance(ty, T.Struct):
        return any(_has_vecmerger(f) for f in ty.fields)
    return isinstance(ty, T.VecMerger)
