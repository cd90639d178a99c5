"""The optimiser: an ordered pipeline of passes over typed programs (DESIGN.md 4).

Each pass is a pure function ``Expr -> Expr`` in its own module, keeping the program's
meaning (the interpreter gives the same answer before and after it). ``optimize(program,
selection)`` runs the selected passes in pipeline order and type-checks the result after
each, so a pass may build new nodes without types. ``weldpy.config(optimize=...)`` selects:
``True`` every pass, ``False`` none, or a list of pass names (cse runs at both of its places).

>>> from weldpy.ir.passes import pipeline_text
>>> print(pipeline_text().splitlines()[0])
weldpy optimiser pipeline (in order):
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from weldpy.deepstack import call_deep
from weldpy.errors import WeldValueError
from weldpy.ir import exprs as E
from weldpy.ir.passes import (
    cse,
    fold,
    fuse_horizontal,
    fuse_vertical,
    infer_sizes,
    inline,
    licm,
    predicate,
)
from weldpy.ir.traverse import preorder
from weldpy.ir.typecheck import typecheck

# (name, pass, what it does), in the order they run
PIPELINE: tuple[tuple[str, Callable[[E.Expr], E.Expr], str], ...] = (
    ("inline", inline.run, "lets used once and lambdas applied to arguments, inlined"),
    ("fold", fold.run, "constant folding and algebraic simplification"),
    ("cse", cse.run, "an expression always computed twice is computed once (a let)"),
    ("fuse_vertical", fuse_vertical.run,
     "a loop over another loop's appender result merges into it"),
    ("fuse_horizontal", fuse_horizontal.run,
     "loops over the same iterators that one expression needs become one loop"),
    ("licm", licm.run,
     "an expression a loop's body computes the same every iteration is computed before it"),
    ("cse", cse.run, "again: what fusion and licm brought together is computed once"),
    ("predicate", predicate.run,
     "a branch merging into a merger becomes a merge of a select (no branch: vectorises)"),
    ("infer_sizes", infer_sizes.run,
     "an appender merged once per iteration is allocated at the loop's length"),
)
NAMES = tuple(dict.fromkeys(name for name, _, _ in PIPELINE))  # (cse runs twice)


def selected(selection: bool | Iterable[str]) -> tuple[str, ...]:
    """The pass names a ``weldpy.config(optimize=...)`` value selects, in pipeline order."""
    if selection is True:
        return NAMES
    if selection is False:
        return ()
    wanted = tuple(selection)
    unknown = [n for n in wanted if n not in NAMES]
    if unknown:
        raise WeldValueError(f"config: unknown optimiser pass {unknown[0]!r}; the passes are "
                             f"{', '.join(NAMES)}")
    return tuple(n for n in NAMES if n in wanted)


def optimize(program: E.Lambda, selection: bool | Iterable[str] = True) -> E.Lambda:
    """``program`` (typed) with the selected passes applied in order, typed again (on a
    deep stack: passes and the type checker recurse on deep programs)."""
    names = selected(selection)
    return call_deep(_run, program, names) if names else program


def _run(program: E.Lambda, names: tuple[str, ...]) -> E.Lambda:
    """The passes in order; a pass's output is type-checked when it made nodes without
    types (the next pass reads types), and the last output once more (type checking a
    10,000-operation program takes seconds: a pass that changed nothing, or kept every
    node's type, is not checked again)."""
    checked = True
    for name, run, _ in PIPELINE:
        if name in names:
            out = run(program)
            if out is not program:
                program, checked = out, False
                if _has_untyped(program):
                    program, checked = typecheck(program), True
    return program if checked else typecheck(program)


def _has_untyped(program: E.Expr) -> bool:
    return any(node.ty is None for node in preorder(program) if isinstance(node, E.Expr))


def pipeline_text() -> str:
    """The pipeline, one pass a line (what ``weldpy.explain`` prints as the optimiser)."""
    lines = ["weldpy optimiser pipeline (in order):"]
    lines += [f"  {i}. {name}: {what}" for i, (name, _, what) in enumerate(PIPELINE, 1)]
    return "\n".join(lines)
