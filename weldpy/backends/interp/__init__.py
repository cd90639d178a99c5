"""The reference interpreter (backend "interp"): IR.md's semantics, executable.

Plain, slow and obviously correct: it is the oracle that every pass and every other backend
is tested against. ``prepare(program)`` returns ``run(canonical_args) -> canonical
result``; values are those of ``values``. The rules (one per node class) are in
``evaluator``, ``containers`` and ``loops``.
"""

from __future__ import annotations

import time

from weldpy.backends.interp.evaluator import RULES, Interpreter
from weldpy.config import count
from weldpy.deepstack import call_deep
from weldpy.ir import exprs as E
from weldpy.ir import passes
from weldpy.ir.traverse import children

# Trees at most this deep evaluate on the caller's stack (a few frames per level); deeper
# ones on call_deep's big-stack thread, whose start costs more than a small program's run.
_SHALLOW = 100


def _depth(root: E.Node) -> int:
    deepest, stack = 0, [(root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((c, depth + 1) for c in children(node))
    return deepest


def prepare(program, optimize=False):
    """A function running ``program`` (a ``weldpy.ir.Program``), optimised with the
    ``weldpy.config(optimize=...)`` selection ``optimize``, on canonical arguments (one per
    parameter, in order). Preparing is this backend's compilation: counted."""
    start = time.perf_counter()
    typed_lambda = passes.optimize(program.expr, optimize)
    interp = Interpreter()
    names = [p.name for p in typed_lambda.params]
    shallow = _depth(typed_lambda) <= _SHALLOW
    count("programs_compiled")
    count("compile_seconds", time.perf_counter() - start)

    def run(args):
        env = dict(zip(names, args, strict=True))
        if shallow:
            return interp.eval(typed_lambda.body, env)
        return call_deep(interp.eval, typed_lambda.body, env)

    return run


def evaluate(typed_expr: E.Expr, env: dict | None = None):
    """The canonical value of a type-checked expression whose free names are bound in
    ``env`` (to canonical values)."""
    return call_deep(Interpreter().eval, typed_expr, dict(env or {}))


__all__ = ["RULES", "evaluate", "prepare"]
