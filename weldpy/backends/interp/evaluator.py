"""The reference interpreter's core: the ``Interpreter`` (rule dispatch, environments,
closures) and the rules for scalars, names, functions, control flow and structs.

Consumes a type-checked tree (every node has ``.ty``) and produces canonical values
(``values``). ``RULES`` maps every node class to ``rule(interp, node, env) -> value``; the
vector, dictionary and loop rules live in ``containers`` and ``loops``. Environments are
plain dicts: a ``let`` binds in place and restores on the way out, and a lambda captures the
values of its free names when it is evaluated, so scoping is lexical. Let chains are walked
in a loop; the rest recurses, so callers run ``Interpreter.eval`` through
``weldpy.deepstack.call_deep``.
"""

from __future__ import annotations

import numpy as np

from weldpy.backends.interp import containers, loops
from weldpy.errors import WeldRuntimeError, WeldTypeError, WeldUnsupportedError, position_suffix
from weldpy.ir import exprs as E
from weldpy.ir import scalar_ops, udf
from weldpy.ir.traverse import free_vars
from weldpy.ir.types import Scalar
from weldpy.runtime.values import compare, values_equal

_UNBOUND = object()


class Interpreter:
    """Evaluates typed nodes. Caches the free names of lambdas by node identity, so one
    instance serves one program (whose tree keeps the nodes alive)."""

    def __init__(self):
        self._free: dict[int, tuple[str, ...]] = {}

    def eval(self, node: E.Node, env: dict):
        """The canonical value of ``node`` with the names in ``env`` bound."""
        rule = RULES.get(type(node))
        if rule is None:
            raise WeldUnsupportedError(f"interp backend has no rule for {type(node).__name__}")
        return rule(self, node, env)

    def closure(self, lam: E.Lambda, env: dict) -> Closure:
        names = self._free.get(id(lam))
        if names is None:
            names = self._free[id(lam)] = tuple(sorted(free_vars(lam)))
        return Closure(self, lam, {n: env[n] for n in names})


class Closure:
    """A lambda value: its node and the values of its free names."""

    __slots__ = ("_interp", "_lam", "_env", "_names")

    def __init__(self, interp: Interpreter, lam: E.Lambda, env: dict):
        self._interp, self._lam, self._env = interp, lam, env
        self._names = tuple(p.name for p in lam.params)

    def __call__(self, *args):
        env = dict(self._env)
        env.update(zip(self._names, args, strict=True))
        return self._interp.eval(self._lam.body, env)


def where(node: E.Node) -> str:
    return position_suffix(node.pos)


def _literal(it, node, env):
    return node.kind.dtype.type(node.value)


def _string(it, node, env):
    return np.frombuffer(node.value, dtype=np.int8)


def _ident(it, node, env):
    value = env.get(node.name, _UNBOUND)
    if value is _UNBOUND:
        raise WeldTypeError(f"interp: unbound name '{node.name}'{where(node)}")
    return value


def _let(it, node, env):
    saved = []
    try:
        while isinstance(node, E.Let):
            value = it.eval(node.value, env)
            saved.append((node.name, env.get(node.name, _UNBOUND)))
            env[node.name] = value
            node = node.body
        return it.eval(node, env)
    finally:
        for name, old in reversed(saved):
            if old is _UNBOUND:
                del env[name]
            else:
                env[name] = old


def _apply(it, node, env):
    fn = it.eval(node.func, env)
    return fn(*(it.eval(a, env) for a in node.args))


def _if(it, node, env):
    return it.eval(node.on_true if it.eval(node.cond, env) else node.on_false, env)


def _select(it, node, env):
    cond = it.eval(node.cond, env)
    on_true, on_false = it.eval(node.on_true, env), it.eval(node.on_false, env)
    return on_true if cond else on_false


def _unary(it, node, env):
    return scalar_ops.unary(node.op, it.eval(node.value, env), node.value.ty.kind)


# Comparisons of vectors and structs (Weld allows them): equality is IEEE on the scalars
# inside, order is compare's (lexicographic, strings by unsigned bytes).
_NON_SCALAR_COMPARISONS = {
    E.BinKind.EQ: values_equal,
    E.BinKind.NE: lambda a, b: not values_equal(a, b),
    E.BinKind.LT: lambda a, b: compare(a, b) < 0,
    E.BinKind.LE: lambda a, b: compare(a, b) <= 0,
    E.BinKind.GT: lambda a, b: compare(a, b) > 0,
    E.BinKind.GE: lambda a, b: compare(a, b) >= 0,
}


def _binop(it, node, env):
    op = node.op
    if op in (E.BinKind.LAND, E.BinKind.LOR):
        left = bool(it.eval(node.left, env))
        if left == (op is E.BinKind.LOR):
            return np.bool_(left)
        return np.bool_(bool(it.eval(node.right, env)))
    a, b = it.eval(node.left, env), it.eval(node.right, env)
    if op is E.BinKind.COMPARE:
        return compare(a, b)
    if not isinstance(node.left.ty, Scalar):
        return np.bool_(_NON_SCALAR_COMPARISONS[op](a, b))
    return scalar_ops.binary(op, a, b, node.left.ty.kind)


def _assert(it, node, env):
    if not it.eval(node.cond, env):
        raise WeldRuntimeError(f"assert: condition is false{where(node)}")
    return np.bool_(True)


def _iterate(it, node, env):
    value, update = it.eval(node.initial, env), it.eval(node.update, env)
    while True:
        value, again = update(value)
        if not again:
            return value


def _cudf(it, node, env):
    # imported here: the runtime's marshal imports this package's value model
    from weldpy.runtime.marshal import to_canonical

    fn = udf.lookup(node.name)
    out = fn(*(it.eval(a, env) for a in node.args))
    return to_canonical(out, node.return_type, f"the result of cudf[{node.name}]")


RULES = {
    E.Literal: _literal,
    E.StringLit: _string,
    E.Ident: _ident,
    E.Let: _let,
    E.Lambda: lambda it, node, env: it.closure(node, env),
    E.Apply: _apply,
    E.Ascribe: lambda it, node, env: it.eval(node.value, env),
    E.If: _if,
    E.Select: _select,
    E.UnaryOp: _unary,
    E.BinOp: _binop,
    E.Cast: lambda it, node, env: scalar_ops.cast(it.eval(node.value, env), node.kind),
    E.MakeStruct: lambda it, node, env: tuple(it.eval(e, env) for e in node.elems),
    E.GetField: lambda it, node, env: it.eval(node.value, env)[node.index],
    E.Iterate: _iterate,
    E.CUDF: _cudf,
    E.Assert: _assert,
    **containers.RULES,
    **loops.RULES,
}
