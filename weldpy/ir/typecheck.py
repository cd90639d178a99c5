"""The type checker: untyped or partly typed IR in, a fully typed tree out.

Two phases. ``inference.infer`` fills the holes the text may leave (bare builders, untyped
lambda parameters, empty vectors) by unification. Then one local rule per node class computes
each node's type from its children's types and checks the construct (table ``_RULES``); the
rules are the type system of IR.md, and the only place type errors are reported. Finally
``linearity.check_linear`` rejects builders used twice.

The result is a NEW tree: every node has ``.ty``; every NewBuilder and lambda parameter has a
complete type; every empty vector literal has its element type. Checking a checked tree gives
an equal tree, so passes re-verify with the same function.
"""

from __future__ import annotations

from dataclasses import replace

from weldpy.errors import WeldUnsupportedError
from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.ir.inference import has_variables, infer
from weldpy.ir.linearity import check_linear
from weldpy.ir.scoped_walk import Scope, walk
from weldpy.ir.traverse import rebuild
from weldpy.ir.type_rules import RULES, fail


def typecheck(expr: E.Expr, env: dict[str, T.Type] | None = None) -> E.Expr:
    """Type-check ``expr`` whose free names have the types in ``env``.

    >>> from weldpy.ir import parse
    >>> print(typecheck(parse("|x: vec[i32]| result(for(x, appender, |b, i, e| merge(b, e)))")))
    |x: vec[i32]| result(for(x, appender[i32], |b: appender[i32], i: i64, e: i32| merge(b, e)))
    """
    fills = infer(expr, env)
    typed = walk(expr, _Checker(fills), Scope(env))
    check_linear(typed)
    return typed


class _Checker:
    """Visitor of ``scoped_walk.walk``: rebuilds each node with its type."""

    def __init__(self, fills):
        self.fills = fills

    def before_child(self, node, index, done):
        pass

    def bindings(self, node, done):
        if isinstance(node, E.Let):
            return {node.name: done[0].ty}
        return {p.name: p.ty for p in self._params(node)}

    def finish(self, node, done, scope):
        new = _fresh(self._filled(node), done, node.pos)
        if isinstance(node, E.Ident):
            found, ty = scope.lookup(node.name)
            if not found:
                fail(node, f"unknown identifier '{node.name}'")
            if ty is None:
                fail(node, f"cannot infer the type of '{node.name}'")
            return new.with_type(ty)
        rule = RULES.get(type(node))
        if rule is None:
            raise WeldUnsupportedError(f"the type checker has no rule for {type(node).__name__}")
        return new.with_type(rule(new, [c.ty for c in done]))

    def _params(self, lam: E.Lambda) -> tuple[E.Param, ...]:
        fn = self.fills.get(lam)
        out = []
        for param, ty in zip(lam.params, fn.params, strict=True):
            if has_variables(ty):
                fail(lam, f"cannot infer the type of lambda parameter '{param.name}'"
                          " (annotate it: |name: type|)")
            out.append(E.Param(param.name, ty))
        return tuple(out)

    def _filled(self, node):
        """``node`` with the holes of its own fields filled from inference."""
        if isinstance(node, E.Lambda):
            return replace(node, params=self._params(node))
        if isinstance(node, E.NewBuilder):
            ty = self.fills.get(node)
            if has_variables(ty):
                fail(node, f"cannot infer the type of builder {node.type_}"
                           " (give its element type, e.g. appender[i32])")
            return replace(node, type_=ty)
        if isinstance(node, E.MakeVector) and not node.elems:
            elem = self.fills.get(node)
            if has_variables(elem):
                fail(node, "cannot infer the element type of an empty vector"
                           " (write []: vec[T])")
            return replace(node, elem_type=elem)
        return node


def _fresh(node, kids, pos):
    """A new node like ``node`` with children ``kids`` at source position ``pos``, never
    ``node`` itself: types are attached to fresh nodes only, so a node shared by two scopes
    is never retyped."""
    out = rebuild(node, kids)
    if out is node:
        cls = type(node)
        out = cls(**{f: getattr(node, f) for f in cls.__dataclass_fields__})
    return out.with_pos(pos)

