"""Predication: ``if(c, merge(b, x), b)`` into a merger becomes ``merge(b, select(c, x, e))``
with ``e`` the merger's identity, so a filtered reduction's loop has no branch and
vectorises.

The identity leaves every accumulator as it was: ``-0.0`` for a float sum (``x + -0.0`` is
``x``, -0.0 included), ``1`` for a product, ``+inf``/``-inf`` (or the integer extremes) for
``min``/``max``. ``select`` evaluates ``x`` when ``c`` is false too, so only an ``x`` that
cannot fail and is cheap (``_COST`` nodes at most, no loop or call) is predicated: no pass
may run a lookup or a division its guard skipped (IR.md). ``@(predicate: false)`` on the
``if`` keeps the branch; ``let``s around the merge (a fused consumer's) move into the
select with the value. The loop is annotated ``predicated`` (``weldpy.explain``).
"""

from __future__ import annotations

import numpy as np

from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.ir.passes.failures import cannot_fail
from weldpy.ir.passes.provenance import annotate, annotation
from weldpy.ir.traverse import free_vars, preorder, rewrite_bottom_up

_COST = 24  # nodes: a select of more costs more than the branch saves (measured: bench)
_OPS = (T.BuilderOp.ADD, T.BuilderOp.MUL, T.BuilderOp.MIN, T.BuilderOp.MAX)


def run(program: E.Expr) -> E.Expr:
    return rewrite_bottom_up(program, _predicate_loop)


def _predicate_loop(node: E.Node) -> E.Node:
    if not (isinstance(node, E.For) and isinstance(node.func, E.Lambda)):
        return node
    func = node.func
    b = func.params[0].name
    changed = []

    def rewrite(n: E.Node) -> E.Node:
        out = _predicated(n, b)
        if out is not n:
            changed.append(n)
        return out

    body = rewrite_bottom_up(func.body, rewrite)
    if not changed:
        return node
    loop = E.For(node.iters, node.builder, E.Lambda(func.params, body,
                                                    annotations=func.annotations),
                 annotations=node.annotations)
    return annotate(loop, "predicated", str(len(changed)))


def _predicated(node: E.Node, b: str) -> E.Node:
    """``node`` as a merge of a select, when it is a predicable branch into ``b``."""
    if not isinstance(node, E.If) or annotation(node, "predicate") == "false":
        return node
    on_true = not isinstance(node.on_false, E.Let | E.Merge)
    branch, other = (node.on_true, node.on_false) if on_true else (node.on_false, node.on_true)
    lets, merge = _under_lets(branch)
    if not (isinstance(merge, E.Merge) and isinstance(merge.builder, E.Ident)
            and merge.builder.name == b and isinstance(other, E.Ident) and other.name == b):
        return node
    ty = merge.builder.ty
    if not (isinstance(ty, T.Merger) and ty.op in _OPS and isinstance(ty.elem, T.Scalar)
            and ty.elem.kind is not T.ScalarKind.BOOL):
        return node
    value = merge.value
    for name, bound in reversed(lets):  # (the lets a fused consumer left: part of the value)
        value = E.Let(name, bound, value)
    if (b in free_vars(value) or not cannot_fail(value)
            or sum(1 for _ in preorder(value)) > _COST
            or any(isinstance(n, E.For) for n in preorder(value))):
        return node
    identity = _identity(ty.op, ty.elem)
    chosen = (E.Select(node.cond, value, identity) if on_true
              else E.Select(node.cond, identity, value))
    return E.Merge(merge.builder, chosen)


def _under_lets(node: E.Node) -> tuple[list, E.Node]:
    """The ``(name, value)`` of the lets wrapping ``node``, and what they wrap."""
    lets = []
    while isinstance(node, E.Let):
        lets.append((node.name, node.value))
        node = node.body
    return lets, node


def _identity(op: T.BuilderOp, elem: T.Scalar) -> E.Literal:
    kind = elem.kind
    if op is T.BuilderOp.ADD:
        value = -0.0 if kind.is_float else 0
    elif op is T.BuilderOp.MUL:
        value = 1.0 if kind.is_float else 1
    elif kind.is_float:
        value = float("inf") if op is T.BuilderOp.MIN else float("-inf")
    else:
        limits = np.iinfo(kind.dtype)
        value = int(limits.max) if op is T.BuilderOp.MIN else int(limits.min)
    return E.Literal(kind, value)
