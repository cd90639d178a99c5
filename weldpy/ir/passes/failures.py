"""What may raise: the passes move, merge and copy only what cannot fail, so that a program
that raises still raises the same error first (IR.md: errors are part of a program's
meaning).

Cannot fail: operations but integer division (by a literal other than 0 and -1 it cannot), a
``lookup`` a frontend built in range
(annotated ``inbounds``: a broadcast offset, a view's element), and a loop over one
iterator that cannot fail (a range with a literal step, or a whole vector), into builders
whose merges cannot fail (no vecmerger), whose body cannot fail."""

from __future__ import annotations

from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.ir.traverse import children

_SAFE = (E.Literal, E.StringLit, E.Ident, E.GetField, E.MakeStruct, E.Length, E.UnaryOp,
         E.Cast, E.Select, E.If, E.Ascribe, E.NewBuilder, E.MakeVector, E.Let)
_FAILING_BINOPS = (E.BinKind.DIV, E.BinKind.MOD)


def cannot_fail(node: E.Node, merges: bool = False) -> bool:
    """Whether evaluating ``node`` can never raise (no lookup out of range, integer
    division, loop that may fail, call ...; with ``merges``, merges count as safe: the
    caller knows into which builders)."""
    stack = [(node, merges)]
    while stack:
        n, into_safe = stack.pop()
        if isinstance(n, E.For):
            if not _safe_loop(n):
                return False
            stack.append((n.builder, into_safe))
            stack.extend((part, False) for part in (n.iters[0].data, n.iters[0].start,
                                                    n.iters[0].end, n.iters[0].stride)
                         if part is not None)
            stack.append((n.func.body, True))  # (merges into its own builders)
            continue
        if isinstance(n, E.Result):
            stack.append((n.builder, into_safe))
            continue
        if not safe_node(n, into_safe):
            return False
        stack.extend((kid, into_safe) for kid in children(n))
    return True


def safe_node(node: E.Node, merges: bool = False) -> bool:
    """Whether ``node`` itself (not its children) can never raise."""
    if isinstance(node, E.BinOp):  # (integer division: but by a literal other than 0, -1)
        return node.op not in _FAILING_BINOPS or (
            node.ty is not None and isinstance(node.ty, T.Scalar) and node.ty.kind.is_float
        ) or (isinstance(node.right, E.Literal) and node.right.value not in (0, -1))
    if isinstance(node, E.Lookup):
        return E.INBOUNDS[0] in node.annotations
    if isinstance(node, E.Merge):  # (a vecmerger's merge checks its index)
        ty = node.builder.ty
        return merges and not (ty is None or _has_vecmerger(ty))
    return isinstance(node, _SAFE)


def _safe_loop(loop: E.For) -> bool:
    """Whether ``loop`` iterates as it cannot fail, into builders whose merges cannot."""
    if len(loop.iters) != 1 or not isinstance(loop.func, E.Lambda):
        return False
    it = loop.iters[0]
    if it.kind is E.IterKind.RANGE:
        simple = isinstance(it.stride, E.Literal) and it.stride.value != 0
    else:
        simple = it.kind is E.IterKind.SCALAR and it.start is it.end is it.stride is None
    ty = loop.builder.ty
    return simple and ty is not None and not _has_vecmerger(ty)


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
