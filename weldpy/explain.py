"""``weldpy.explain``: what the optimiser did to a program and how it would run (API.md).

For an IR program (text, a ``weldpy.ir.Program`` or a typed lambda; lazy values join with
the frontends), ``explain(program)`` optimises it as ``weldpy.config(optimize=...)`` says
and reports: the program before and after, its loops before and after, and per loop of the
optimised program the inputs it reads, its builders, what was fused into it (the passes
record it in the loop's ``fused`` annotation), whether it was predicated, whether the llvm
backend vectorised it (read from the optimised LLVM IR of the loop's part function), and
the backend and threads that would run it; ``materialized`` lists the intermediate vectors
still built, with the reason the optimiser gave. ``str()`` is a readable report.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from weldpy.config import settings
from weldpy.ir import exprs as E
from weldpy.ir import passes, printer
from weldpy.ir.passes.provenance import FUSED, MATERIALIZED, annotation
from weldpy.ir.traverse import children, free_vars, preorder


@dataclass(frozen=True)
class LoopInfo:
    """One loop of the optimised program (top-level loops in the order they run, then the
    loops inside them)."""

    inputs: tuple[str, ...]  # the names its iterators read
    builders: str  # the builder type, as the IR spells it
    fused: tuple[str, ...]  # the loops fused into it, in the order they were
    predicated: bool
    vectorised: bool | None  # None: not known (a nested loop, or not the llvm backend)
    backend: str
    threads: int
    top_level: bool  # (a top-level loop runs in parallel parts; a nested one inside them)


@dataclass(frozen=True)
class Explanation:
    before: str
    after: str
    loops_before: int
    loops_after: int
    loops: tuple[LoopInfo, ...]
    materialized: tuple[tuple[str, str], ...]  # (the vector's producer, why it is built)
    fallbacks: dict = field(default_factory=dict)  # (IR programs have none)

    def __str__(self) -> str:
        lines = [f"weldpy program: {self.loops_before} loops before optimisation, "
                 f"{self.loops_after} after",
                 passes.pipeline_text(), "", "after:", self.after, ""]
        for k, loop in enumerate(self.loops):
            vector = {True: "vectorised", False: "not vectorised", None: "vectorisation n/a"}
            lines.append(f"loop {k}: reads {', '.join(loop.inputs) or 'nothing'}; builds "
                         f"{loop.builders}; {vector[loop.vectorised]}; "
                         f"{'predicated; ' if loop.predicated else ''}"
                         f"{loop.backend}, {loop.threads if loop.top_level else 1} thread(s)")
            lines += [f"  fused into it: {what}" for what in loop.fused]
        lines += [f"materialised: {what} ({why})" for what, why in self.materialized]
        lines += [f"fallback: {name} x{n}" for name, n in self.fallbacks.items()]
        return "\n".join(lines)


def explain(*values, optimized: bool = True) -> Explanation:
    """The ``Explanation`` of an IR program (text, a ``Program`` or a typed lambda), or of
    the one program ``weldpy.evaluate(*values)`` would run for lazy values."""
    from weldpy.ir.program import Program, compile
    from weldpy.lazy import program_of

    if any(hasattr(v, "__weld_lazy__") for v in values):
        program, fallbacks = program_of(*values)
        return dataclasses.replace(explain(program, optimized=optimized), fallbacks=fallbacks)
    (program,) = values
    if isinstance(program, str):
        program = compile(program)
    typed = program.expr if isinstance(program, Program) else program
    now = settings()
    after = passes.optimize(typed, now.optimize if optimized else False)
    top = _top_level_loops(after)
    vectorised = _vectorised(after, len(top)) if now.backend == "llvm" else {}
    loops = tuple(_loop_info(loop, loop_id_of(top, loop), vectorised, now)
                  for loop in _loops(after))
    return Explanation(
        before=printer.pretty(typed), after=printer.pretty(after),
        loops_before=len(_loops(typed)), loops_after=len(loops), loops=loops,
        materialized=tuple(_materialized(after)))


def _loops(program: E.Node) -> list[E.For]:
    return [n for n in preorder(program) if isinstance(n, E.For)]


def _top_level_loops(program: E.Lambda) -> list[E.For]:
    """Top-level loops (not in a lambda's body) in the order the llvm backend numbers them:
    a loop after the loops its iterators and builder evaluate."""
    order: list[E.For] = []

    def visit(node):
        if isinstance(node, E.Lambda):
            return  # (loops in a lambda run inside the loop that calls it)
        if isinstance(node, E.For):
            for it in node.iters:
                visit(it)
            visit(node.builder)
            order.append(node)
            return
        for kid in children(node):
            visit(kid)

    visit(program.body)
    return order


def loop_id_of(top: list[E.For], loop: E.For) -> int | None:
    return next((k for k, t in enumerate(top) if t is loop), None)


def _vectorised(program: E.Lambda, count: int) -> dict[int, bool]:
    """Loop number -> whether its part function has vector instructions (llvm backend)."""
    from weldpy.backends.llvm import jit
    from weldpy.backends.llvm.codegen import lower_program
    from weldpy.deepstack import call_deep

    text = jit.optimized_ir(call_deep(lower_program, program))
    out = {}
    for k in range(count):
        body = re.search(rf'define internal [^\n]*@"?weld\.loop{k}\.part"?\(.*?\n}}', text,
                         re.S)
        out[k] = bool(body and re.search(r"<\d+ x ", body.group(0)))
    return out


def _loop_info(loop: E.For, loop_id: int | None, vectorised: dict, now) -> LoopInfo:
    inputs = sorted(set().union(*(free_vars(it) for it in loop.iters)))
    fused = annotation(loop, FUSED)
    return LoopInfo(
        inputs=tuple(inputs), builders=printer.pretty_type(loop.builder.ty),
        fused=tuple(fused.split("; ")) if fused else (),
        predicated=annotation(loop, "predicated") is not None,
        vectorised=vectorised.get(loop_id), backend=now.backend, threads=now.threads,
        top_level=loop_id is not None)


def _materialized(program: E.Lambda):
    for loop in _loops(program):
        reason = annotation(loop, MATERIALIZED)
        if reason:
            producers = [printer.pretty(it.data.builder)[:80] for it in loop.iters
                         if isinstance(it.data, E.Result)]
            yield "; ".join(producers), reason
