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

from weldpy.deepstack import call_deep
from weldpy.ir import exprs as E
from weldpy.ir.passes.places import binds, names_in, substitute
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
        value, body = self.visit(node.value), node.body
        floated = []
        while isinstance(value, E.Let) and not binds(value.body, value.name):
            new = next(self.fresh)  # (a fresh name: nothing the body reads is shadowed)
            floated.append((new, value.value))
            value = substitute(value.body, {value.name: E.Ident(new)})
        out = E.Let(node.name, value, self.visit(body), annotations=node.annotations)
        for name, bound in reversed(floated):
            out = E.Let(name, bound, out)
        return out
