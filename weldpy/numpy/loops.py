"""The one loop shape weldpy.numpy's IR is made of: ``result(for(iters, builder, |b, i, e|
merge(b, value)))``, with ``i`` the index and ``e`` the element (``INDEX``, ``ELEMENT``), over
a vector (``over``) or the numbers ``0 .. n-1`` (``count``)."""

from __future__ import annotations

from weldpy.ir import exprs as E
from weldpy.ir import types as T

INDEX, ELEMENT = E.Ident("i"), E.Ident("e")
_PARAMS = (E.Param("b", None), E.Param("i", None), E.Param("e", None))


def loop(iters, builder: E.Expr, value: E.Expr) -> E.Expr:
    """``result(for(iters, builder, |b, i, e| merge(b, value)))``."""
    func = E.Lambda(_PARAMS, E.Merge(E.Ident("b"), value))
    return E.Result(E.For(tuple(iters), builder, func))


def loop_into(iters, builders: tuple[E.Expr, ...], values: tuple[E.Expr, ...]) -> E.Expr:
    """``let r = for(iters, {builders}, |b, i, e| {merge(b.$0, v0), ...}); {result(r.$0),
    ...}``: one loop filling several builders."""
    b = E.Ident("b")
    merges = tuple(E.Merge(E.GetField(b, k), v) for k, v in enumerate(values))
    func = E.Lambda(_PARAMS, E.MakeStruct(merges))
    r = E.Ident("filled")
    return E.Let("filled", E.For(tuple(iters), E.MakeStruct(tuple(builders)), func),
                 E.MakeStruct(tuple(E.Result(E.GetField(r, k)) for k in range(len(values)))))


def over(vector: E.Expr) -> E.Iter:
    return E.Iter(E.IterKind.SCALAR, vector)


def count(n: int) -> E.Iter:
    """The iterator of ``0 .. n-1`` (its element is the number)."""
    lit = lambda v: E.Literal(T.ScalarKind.I64, v)  # noqa: E731
    return E.Iter(E.IterKind.RANGE, None, lit(0), lit(n), lit(1))
