"""Value numbering of straight-line lets: the lets at the head of several loop bodies that
run one after the other (horizontal fusion's), moved into one chain where a value computed
before is not computed again.

Vertical fusion copies a shared producer into every loop that reads it, so two loops fused
side by side often compute the same chain (Black-Scholes' ``d1`` feeds both its outputs):

    {let a = sqrt(x.$2); let b = log(a); merge(c.$0, b),
     let p = sqrt(x.$2); let q = log(p); merge(c.$1, q + 1.0)}
      =>  let a = sqrt(x.$2); let b = log(a); {merge(c.$0, b), merge(c.$1, b + 1.0)}

A let moves only when its value cannot fail and holds no builder (evaluating it earlier, or
once, is then unobservable); the first let that could fail ends its body's head. Names are
distinct (the bodies were renamed apart), so the chain needs no renaming; one walk of the
heads, equal values found by structural hash.
"""

from __future__ import annotations

from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.ir.passes.failures import cannot_fail
from weldpy.ir.passes.places import substitute


def head(body: E.Expr) -> tuple[list[tuple[str, E.Expr]], E.Expr]:
    """The lets at the head of ``body`` that may move (typed values that cannot fail and
    hold no builder), and the rest."""
    lets = []
    while (isinstance(body, E.Let) and body.value.ty is not None
           and not T.contains_builder(body.value.ty) and cannot_fail(body.value)):
        lets.append((body.name, body.value))
        body = body.body
    return lets, body


def numbered(lets: list[tuple[str, E.Expr]], rests: list[E.Expr],
             renames: dict[str, E.Expr]) -> E.Expr:
    """``let``s of ``lets`` (each value equal to an earlier one dropped, its name read as
    the earlier's) around ``{rests}`` (one rest: itself), with ``renames`` (name ->
    expression) applied throughout."""
    kept: list[tuple[str, E.Expr]] = []
    first: dict[E.Expr, str] = {}  # a value -> the name that holds it
    renames = dict(renames)
    for name, value in lets:
        value = substitute(value, renames) if renames else value
        earlier = first.get(value)
        if earlier is not None:
            renames[name] = E.Ident(earlier)
        else:
            first[value] = name
            kept.append((name, value))
    rests = [substitute(rest, renames) if renames else rest for rest in rests]
    out = rests[0] if len(rests) == 1 else E.MakeStruct(tuple(rests))
    for name, value in reversed(kept):
        out = E.Let(name, value, out)
    return out
