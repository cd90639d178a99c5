"""Inlining (pass "inline"): lets used once, lets of names, literals and lambdas, and lambdas
applied to arguments. Consumes a typed program; every node it builds carries the type of the
node it replaces, so the result is typed too (the pipeline checks it again).

With ``x`` used ``n`` times in the body of ``let x = v; body``:

- ``n == 0`` and evaluating ``v`` cannot raise (``is_total``): the let goes.
  ``let y = a + 1; 2`` -> ``2``; ``let y = lookup(v, 5L); 2`` stays.
- ``v`` a name or a scalar literal: every use becomes ``v``.
  ``let y = 2; a * y + y`` -> ``(a * 2) + 2``
- ``v`` a lambda, or a field of a name (``a.$0``), and ``n == 1``: the use becomes ``v``,
  wherever it is (a loop body included), so loops see their lambdas.
  ``let f = |b, i, e| merge(b, e); for(v, appender, f)`` -> ``for(v, appender, |b, i, e| ..)``
- ``n == 1`` and the use is evaluated exactly once (not in a branch of ``if``, the right of
  ``&&``/``||`` or a lambda body) with nothing that may raise evaluated before it: ``v``
  moves to the use, evaluated at the same moment relative to every possible error.
  ``let y = lookup(v, 0L); y + 1L`` -> ``lookup(v, 0L) + 1L``
- ``n == 1``, ``v`` cannot raise and the use is not inside a lambda of the body (where it
  would run once per iteration): ``let y = a * 2; if(c, y, 0)`` -> ``if(c, a * 2, 0)``.
  Errors are part of the meaning (IR.md), so ``let y = lookup(v, 5L); if(len(v) > 5L, y, 0L)``
  stays: inlining would drop the error when the guard is false.
- ``(|x, y| body)(a, b)`` -> ``let x = a; let y = b; body`` (the same order of evaluation),
  which the let rules then simplify.

A builder expression is never copied: only names and literals are used more than once. The
binders are first renamed where a name is bound twice (``let a = ..; let a = ..`` binds
``a`` then ``a_1``), so moving an expression under other binders can never capture a name.
The rules run until nothing changes.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import Counter

from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.ir.scoped_walk import Scope, walk
from weldpy.ir.traverse import bound_names, children, free_vars, preorder, rebuild

_DROP, _INLINE = "drop", "inline"


def run(expr: E.Expr) -> E.Expr:
    """``expr`` (typed) with the inlining rules applied until nothing changes."""
    expr = walk(expr, _Renamer(expr), Scope())
    while True:
        facts = _Analysis().run(expr)
        if not facts.decisions and not facts.redexes:
            return expr
        expr = walk(expr, _Rewriter(facts.decisions), Scope())


def is_total(expr: E.Expr) -> bool:
    """Whether evaluating the typed ``expr`` can neither raise nor loop forever (a lambda:
    creating it never can). Nodes without a type count as possibly raising."""
    return isinstance(expr, E.Lambda) or _Analysis(decide=False).run(expr).total[id(expr)]


# ---- what may raise -----------------------------------------------------------------------

def _always(node) -> bool:
    return True


def _int_division(node: E.BinOp) -> bool:
    ty = node.left.ty
    return node.op in (E.BinKind.DIV, E.BinKind.MOD) and not (
        isinstance(ty, T.Scalar) and ty.kind.is_float)


def _iter_raises(node: E.Iter) -> bool:
    if node.kind is E.IterKind.RANGE:  # a zero stride raises
        return not (isinstance(node.stride, E.Literal) and node.stride.value != 0)
    return node.start is not None  # bounds are checked against the vector


# A builder whose merges cannot fail (a vecmerger's index may be out of range).
_SAFE_MERGE = (T.Appender, T.Merger, T.DictMerger, T.GroupMerger)

# node class -> whether the node itself (after its children) may raise or not terminate
_RAISES = {
    E.Lookup: _always, E.Slice: _always, E.Assert: _always, E.CUDF: _always,
    E.Iterate: _always, E.Apply: _always,
    E.BinOp: _int_division,
    E.Merge: lambda n: not isinstance(n.builder.ty, _SAFE_MERGE),
    E.Iter: _iter_raises,
    E.For: lambda n: len(n.iters) > 1,  # zipped iterators' lengths are checked
}
# node class -> the child lambda the node calls (For and Sort are total when it is)
_CALLS = {E.For: "func", E.Sort: "cmp"}


# ---- analysis -----------------------------------------------------------------------------

class _Analysis:
    """One walk in evaluation order that decides each let at its use, as the rewritten
    program will evaluate it. A context ``(strict, frame)`` marks where a node is: a new
    ``strict`` token starts wherever evaluation may be skipped or repeated (if branches, the
    right of && and ||, lambda bodies), a new ``frame`` token at each lambda body. ``risk``
    counts the nodes that may raise, completed so far in the current lambda body, a use
    that receives a value that may raise included; a moved value's own nodes also count
    where its let was (over-counting only delays an inlining to the next round). With
    ``decide`` false it only finds which nodes are total."""

    def __init__(self, decide: bool = True):
        self.decide = decide
        self.risk = 0
        self.tokens = itertools.count(1)
        self.total: dict[int, bool] = {}
        self.lets: dict[str, E.Let] = {}
        self.at_body: dict[str, tuple] = {}
        self.uses: Counter[str] = Counter()
        self.decisions: dict[str, str] = {}
        self.moved: set[str] = set()  # inlined lets whose value is not a name or literal
        self.redexes = 0

    def run(self, root: E.Node) -> _Analysis:
        self.uses.update(n.name for n in preorder(root) if isinstance(n, E.Ident))
        stack = [(self._enter, root, (0, 0))]
        while stack:
            step, node, ctx = stack.pop()
            step(node, ctx, stack)
        for name, let in self.lets.items():
            if self.uses[name] == 0 and _is_total_value(let.value, self.total):
                self.decisions[name] = _DROP
        return self

    def _enter(self, node, ctx, stack):
        if isinstance(node, E.Ident):
            self._use(node, ctx)
            return
        stack.append((self._exit, node, ctx))
        steps = _SCHEDULES.get(type(node), _in_order)(self, node, ctx)
        stack.extend(reversed(steps))

    def _use(self, node: E.Ident, ctx):
        name, total = node.name, True
        if self.decide and name not in self.decisions and self._movable(name, ctx):
            self.decisions[name] = _INLINE
            self.moved.add(name)
            total = _is_total_value(self.lets[name].value, self.total)
            self.risk += not total
        self.total[id(node)] = total

    def _exit(self, node, ctx, stack):
        if isinstance(node, E.Lambda):  # calling it is total when its body is
            self.total[id(node)] = self.total[id(node.body)]
            return
        kids = children(node)
        called = getattr(node, _CALLS[type(node)]) if type(node) in _CALLS else None
        risky = _RAISES.get(type(node), lambda n: False)(node) or (
            called is not None and not (isinstance(called, E.Lambda) and self.total[id(called)]))
        self.risk += risky
        self.total[id(node)] = not risky and all(
            self.total[id(c)] for c in kids if not isinstance(c, E.Lambda))
        if isinstance(node, E.Apply) and isinstance(node.func, E.Lambda):
            self.redexes += 1

    def _body_starts(self, node, ctx, stack):
        self.lets[node.name] = node
        self.at_body[node.name] = (*ctx, self.risk)
        value = node.value
        if isinstance(value, E.Literal) or (
                isinstance(value, E.Ident) and value.name not in self.moved):
            self.decisions[node.name] = _INLINE  # a name or literal: at every use

    def _set_risk(self, value, ctx, stack):
        self.risk = value

    def _bump_risk(self, node, ctx, stack):
        self.risk += 1

    def _branch(self, ctx):
        return (next(self.tokens), ctx[1])

    def _movable(self, name: str, ctx) -> bool:
        """Whether ``name`` is a let used once whose value may move to this use (context
        ``ctx``)."""
        if name not in self.lets or self.uses[name] != 1:
            return False
        value = self.lets[name].value
        strict, frame, risk = self.at_body[name]
        total = _is_total_value(value, self.total)
        if isinstance(value, E.Lambda) or (total and _is_field_path(value, self.moved)):
            return True
        if ctx[0] == strict and self.risk == risk:
            return True  # evaluated once, with nothing that may raise before it
        return total and ctx[1] == frame


def _is_total_value(value: E.Expr, total: dict[int, bool]) -> bool:
    return isinstance(value, E.Lambda) or total[id(value)]


def _is_field_path(node: E.Expr, moved: set[str]) -> bool:
    """``a.$0.$1`` with ``a`` staying a name: as cheap as a name, may move into a loop."""
    while isinstance(node, E.GetField):
        node = node.value
    return isinstance(node, E.Ident) and node.name not in moved


def _in_order(an: _Analysis, node, ctx):
    return [(an._enter, c, ctx) for c in children(node)]


def _let(an: _Analysis, node: E.Let, ctx):
    return [(an._enter, node.value, ctx), (an._body_starts, node, ctx),
            (an._enter, node.body, ctx)]


def _lambda(an: _Analysis, node: E.Lambda, ctx):
    inner = (next(an.tokens), next(an.tokens))
    return [(an._enter, node.body, inner), (an._set_risk, an.risk, None)]


def _if(an: _Analysis, node: E.If, ctx):
    return [(an._enter, node.cond, ctx), (an._enter, node.on_true, an._branch(ctx)),
            (an._enter, node.on_false, an._branch(ctx))]


def _binop(an: _Analysis, node: E.BinOp, ctx):
    if node.op not in (E.BinKind.LAND, E.BinKind.LOR):
        return _in_order(an, node, ctx)
    return [(an._enter, node.left, ctx), (an._enter, node.right, an._branch(ctx))]


def _for(an: _Analysis, node: E.For, ctx):
    steps = [(an._enter, it, ctx) for it in node.iters]
    if len(node.iters) > 1:  # the lengths are checked before the builder is evaluated
        steps.append((an._bump_risk, None, None))
    return steps + [(an._enter, node.builder, ctx), (an._enter, node.func, ctx)]


# node class -> the steps that visit its children, in the interpreter's order of evaluation
_SCHEDULES = {E.Let: _let, E.Lambda: _lambda, E.If: _if, E.BinOp: _binop, E.For: _for}


# ---- rewriting ----------------------------------------------------------------------------

def _typed_like(new: E.Node, old: E.Node) -> E.Node:
    if new is not old:
        new.with_type(old.ty)
    return new


class _Rewriter:
    """``scoped_walk`` visitor applying the decisions: an inlined let's value replaces the
    uses of its name; a lambda applied to arguments becomes lets."""

    def __init__(self, decisions: dict[str, str]):
        self.decisions = decisions
        self.values: dict[str, E.Expr] = {}

    def before_child(self, node, index, done):
        if index == 1 and isinstance(node, E.Let) and self.decisions.get(node.name) == _INLINE:
            self.values[node.name] = done[0]

    def bindings(self, node, done):
        return {}

    def finish(self, node, done, scope):
        if isinstance(node, E.Ident):
            return self.values.get(node.name, node)
        if isinstance(node, E.Let) and node.name in self.decisions:
            return done[1]
        if isinstance(node, E.Apply) and isinstance(done[0], E.Lambda):
            body = done[0].body
            for param, arg in reversed(tuple(zip(done[0].params, done[1:], strict=True))):
                body = E.Let(param.name, arg, body).with_type(node.ty)
            return body
        return _typed_like(rebuild(node, done), node)


class _Renamer:
    """``scoped_walk`` visitor renaming each binder whose name is bound earlier or used free
    (``name_1``, ``name_2``, .. avoiding every name of the program)."""

    def __init__(self, root: E.Node):
        self.seen = set(free_vars(root))
        self.taken = {n.name for n in preorder(root) if isinstance(n, E.Ident)}
        self.taken |= {b for n in preorder(root) for b in bound_names(n)}
        self.suffix: dict[str, int] = {}
        self.names: dict[int, tuple[str, ...]] = {}

    def before_child(self, node, index, done):
        pass

    def bindings(self, node, done):
        old = bound_names(node)
        new = self.names[id(node)] = tuple(self._claim(n) for n in old)
        return dict(zip(old, new, strict=True))

    def _claim(self, name: str) -> str:
        if name in self.seen:
            k = self.suffix.get(name, 1)
            while f"{name}_{k}" in self.taken or f"{name}_{k}" in self.seen:
                k += 1
            self.suffix[name] = k + 1
            name = f"{name}_{k}"
        self.seen.add(name)
        return name

    def finish(self, node, done, scope):
        if isinstance(node, E.Ident):
            found, new = scope.lookup(node.name)
            if not found or new == node.name:
                return node
            return dataclasses.replace(node, name=new).with_type(node.ty).with_pos(node.pos)
        out = rebuild(node, done)
        new = self.names.get(id(node))
        if new is not None and new != bound_names(node):
            out = _with_binders(out, new).with_pos(node.pos)
        return _typed_like(out, node)


def _with_binders(node: E.Let | E.Lambda, names: tuple[str, ...]) -> E.Expr:
    """``node`` binding ``names`` instead of its own names."""
    if isinstance(node, E.Let):
        return dataclasses.replace(node, name=names[0])
    return dataclasses.replace(node, params=tuple(
        dataclasses.replace(p, name=n) for p, n in zip(node.params, names, strict=True)))
