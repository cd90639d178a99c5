"""The one loop shape weldpy.numpy's IR is made of: ``result(for(iters, builder, |b, i, e|
merge(b, value)))``, with ``i`` the index and ``e`` the element (``INDEX``, ``ELEMENT``), over
a vector (``over``) or the numbers ``0 .. n-1`` (``count``); and the index arithmetic of
C-order arrays it reads (``i64`` literals, ``axis_index``)."""

from __future__ import annotations

from weldpy.ir import exprs as E
from weldpy.ir import types as T

INDEX, ELEMENT = E.Ident("i"), E.Ident("e")
_PARAMS = (E.Param("b", None), E.Param("i", None), E.Param("e", None))


def loop(iters, builder: E.Expr, value: E.Expr) -> E.Expr:
    """``result(for(iters, builder, |b, i, e| merge(b, value)))``."""
    func = E.Lambda(_PARAMS, E.Merge(E.Ident("b"), value))
    return E.Result(E.For(tuple(iters), builder, func))


def filtered(iters, builder: E.Expr, keep: E.Expr, value: E.Expr) -> E.Expr:
    """``result(for(iters, builder, |b, i, e| if(keep, merge(b, value), b)))``."""
    b = E.Ident("b")
    return E.Result(E.For(tuple(iters), builder,
                          E.Lambda(_PARAMS, E.If(keep, E.Merge(b, value), b))))


def loop_into(iters, builders: tuple[E.Expr, ...], values: tuple[E.Expr, ...]) -> E.Expr:
    """``let r = for(iters, {builders}, |b, i, e| {merge(b.$0, v0), ...}); {result(r.$0),
    ...}``: one loop filling several builders."""
    b = E.Ident("b")
    merges = tuple(E.Merge(E.GetField(b, k), v) for k, v in enumerate(values))
    func = E.Lambda(_PARAMS, E.MakeStruct(merges))
    r = E.Ident("filled")
    return E.Let("filled", E.For(tuple(iters), E.MakeStruct(tuple(builders)), func),
                 E.MakeStruct(tuple(E.Result(E.GetField(r, k)) for k in range(len(values)))))


def read(vector: E.Expr, index: E.Expr) -> E.Lookup:
    """``lookup(vector, index)`` at an index in range by construction (a broadcast offset,
    a view's element, a checked index): annotated ``E.INBOUNDS``."""
    return E.Lookup(vector, index, annotations=E.INBOUNDS)


def over(vector: E.Expr) -> E.Iter:
    return E.Iter(E.IterKind.SCALAR, vector)


def count(n: int) -> E.Iter:
    """The iterator of ``0 .. n-1`` (its element is the number)."""
    return E.Iter(E.IterKind.RANGE, None, i64(0), i64(n), i64(1))


def i64(value: int) -> E.Literal:
    return E.Literal(T.ScalarKind.I64, value)


def axis_index(i: E.Expr, inner: int, length: int, wrap: bool = True) -> E.Expr:
    """The index along an axis (``inner`` elements per step, ``length`` long) of flat index
    ``i`` of a C-order array; ``wrap=False`` for the first axis, which needs no modulo."""
    index = i if inner == 1 else E.BinOp(E.BinKind.DIV, i, i64(inner))
    return E.BinOp(E.BinKind.MOD, index, i64(length)) if wrap else index
