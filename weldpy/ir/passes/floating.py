"""Floating lets out of let values: ``let t = (let a = v; e); body`` is ``let a' = v; let
t = e[a := a']; body``, ``a'`` a fresh name.

Nothing is evaluated in another order (``v`` was the first thing ``t``'s value computed),
so it holds whatever ``v`` is. The lazy frontends bind a broadcast operand around the loop
that reads it (``let t = (let x0 = row; result(for(...)))``); floated, ``t`` is bound to
the loop itself, which vertical fusion can copy into every loop that reads ``t``. One walk,
linear in the program (recursive, on a deep stack).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from weldpy.deepstack import call_deep
from weldpy.ir import exprs as E
from weldpy.ir.passes.places import binds, names_in, substitute, typed_like
from weldpy.ir.traverse import children, rebuild


def float_lets(program: E.Expr) -> E.Expr:
    """``program`` with every let's value stripped of the lets at its head (see above)."""
    taken = names_in(program)
    fresh = (f"fl{k}" for k in itertools.count() if f"fl{k}" not in taken)
    return call_deep(_Floating(fresh).visit, program)


class _Floating:
    def __init__(self, fresh):
        self.fresh = fresh

    def visit(self, node: E.Node) -> E.Node:
        if not isinstance(node, E.Let):
            return rebuild(node, [self.visit(kid) for kid in children(node)])
        floated, value = peel_lets(self.visit(node.value), lambda: next(self.fresh))
        out = E.Let(node.name, value, self.visit(node.body), annotations=node.annotations)
        for name, bound in reversed(floated):
            out = E.Let(name, bound, out)
        return out


def peel_lets(expr: E.Expr, fresh: Callable[[], str],
              movable: Callable[[E.Expr], bool] = lambda value: True
              ) -> tuple[list[tuple[str, E.Expr]], E.Expr]:
    """The lets at the head of ``expr`` whose values are ``movable`` (each under a ``fresh``
    name, so nothing they are moved around is shadowed), and the rest, reading those names;
    a let whose name its body binds again stays."""
    lets = []
    while isinstance(expr, E.Let) and movable(expr.value) and not binds(expr.body, expr.name):
        name = fresh()
        lets.append((name, expr.value))
        expr = substitute(expr.body, {expr.name: typed_like(E.Ident(name), expr.value)})
    return lets, expr
