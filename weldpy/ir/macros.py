"""Weld's standard macros (``weld/src/resources/standard_macros.weld``), expanded by the parser.

``map(data, f)``, ``filter(data, f)``, ``flatten(data)`` and ``sum(data)`` are calls of these
names in the text; the parser reads ``data`` as a for's iterators (so ``map(zip(a, b), f)``
works as in Weld) and this module builds the loop::

    map(v, |e| e + 1)   ->  result(for(v, appender, |b__0, i__0, x__0|
                                merge(b__0, let e = x__0; (e + 1))))

The loop's own variables get names unused in the program text (Weld's symbol generator does the
same), so they capture nothing. A call of a one-parameter lambda is written as a ``let`` (Weld
inlines it later; the result means the same).
"""

from __future__ import annotations

from collections.abc import Callable

from weldpy.ir import exprs as E
from weldpy.ir import types as T

# name -> number of arguments (the data first).
MACRO_ARITY = {"map": 2, "filter": 2, "flatten": 1, "sum": 1}


def expand_macro(name: str, iters: list[E.Iter], func: E.Expr | None,
                 fresh: Callable[[str], str], pos) -> E.Expr:
    """The loop ``name(data, func)`` stands for; every new node at ``pos``."""

    def at(node):
        return node.with_pos(pos)

    b, i, x = fresh("b"), fresh("i"), fresh("x")
    elem = at(E.Ident(x))
    if name == "map":
        builder, body = E.NewBuilder(T.Appender(None)), E.Merge(at(E.Ident(b)), _call(func, elem))
    elif name == "filter":
        builder = E.NewBuilder(T.Appender(None))
        body = E.If(_call(func, elem), at(E.Merge(at(E.Ident(b)), at(E.Ident(x)))), at(E.Ident(b)))
    elif name == "sum":
        builder, body = E.NewBuilder(T.Merger(None, T.BuilderOp.ADD)), E.Merge(at(E.Ident(b)), elem)
    else:
        b2, i2, x2 = fresh("b"), fresh("i"), fresh("x")
        inner = at(E.Lambda((E.Param(b2), E.Param(i2), E.Param(x2)),
                            at(E.Merge(at(E.Ident(b2)), at(E.Ident(x2))))))
        builder = E.NewBuilder(T.Appender(None))
        body = E.For((at(E.Iter(E.IterKind.SCALAR, elem)),), at(E.Ident(b)), inner)
    func_node = at(E.Lambda((E.Param(b), E.Param(i), E.Param(x)), at(body)))
    return at(E.Result(at(E.For(tuple(iters), at(builder), func_node))))


def _call(func: E.Expr, arg: E.Ident) -> E.Expr:
    """``func(arg)``, as a let when ``func`` is a one-parameter lambda."""
    pos = func.pos
    if isinstance(func, E.Lambda) and len(func.params) == 1 and not func.annotations:
        param = func.params[0]
        value = arg if param.ty is None else E.Ascribe(arg, param.ty).with_pos(pos)
        return E.Let(param.name, value, func.body).with_pos(pos)
    return E.Apply(func, (arg,)).with_pos(pos)
