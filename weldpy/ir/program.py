"""``weldpy.ir.compile``: IR text or an expression -> a ``Program`` callable with IR.md's
calling convention.

The program is parsed and type-checked once, at ``compile``. Each call converts the
arguments (``weldpy.runtime.marshal``), runs the backend that ``weldpy.config`` names at the
time of the call (prepared once per backend and kept), and converts the result back.
A program the lazy frontends compose (``Program.of_types``: its parameters' and result's
types known) is type-checked only when a backend needs its typed form: a program found in
the compilation cache never is.
"""

from __future__ import annotations

import time

from weldpy.config import backend_module, count, count_all, settings
from weldpy.errors import WeldTypeError, position_suffix
from weldpy.ir import exprs as E
from weldpy.ir.parser import parse
from weldpy.ir.typecheck import typecheck
from weldpy.ir.types import is_complete
from weldpy.runtime import marshal


class Program:
    """A type-checked program: call it with one argument per lambda parameter.

    >>> from weldpy.config import config
    >>> prog = compile("|x: i32, y: i32| x * y + 1")
    >>> with config(backend="interp"):
    ...     prog(6, 7)
    np.int32(43)
    """

    def __init__(self, typed: E.Lambda):
        self.source = self._typed = typed
        self.params: tuple[E.Param, ...] = typed.params
        self.result_type = typed.body.ty
        self._runners: dict[str, object] = {}

    @classmethod
    def of_types(cls, expr: E.Lambda, result_type) -> Program:
        """The program ``expr`` (its parameters typed) whose result is of ``result_type``,
        type-checked when ``expr`` (the typed program) is first read."""
        program = cls(expr)
        program._typed, program.result_type = None, result_type
        return program

    @property
    def expr(self) -> E.Lambda:
        """The type-checked program."""
        if self._typed is None:
            typed = typecheck(self.source)
            if typed.body.ty != self.result_type:
                raise WeldTypeError(f"compile: the program's result is a {typed.body.ty}, "
                                    f"not the {self.result_type} it was built for (a weldpy "
                                    f"bug: please report it)")
            self._typed = typed
        return self._typed

    def _runner(self, backend: str, optimize):
        run = self._runners.get((backend, optimize))
        if run is None:  # the backend counts its own compilations and cache hits
            run = backend_module(backend).prepare(self, optimize)
            self._runners[backend, optimize] = run
        return run

    def __call__(self, *args):
        now = settings()
        run = self._runner(now.backend, now.optimize)
        canonical = marshal.args_to_canonical(args, self.params)
        start = time.perf_counter()
        result = run(canonical)
        count_all(run_seconds=time.perf_counter() - start, bytes_in=marshal.nbytes(canonical),
                  bytes_out=marshal.nbytes(result))
        return marshal.to_user(result, self.result_type)

    def call_flagged(self, *args) -> tuple[object, int | None]:
        """``(self(*args), flags)``: the floating-point exception flags the run raised
        (``weldpy.runtime.fp_flags``' bits), or None where the backend does not report
        them."""
        now = settings()
        run = self._runner(now.backend, now.optimize)
        if not getattr(run, "reports_fp_flags", False):
            return self(*args), None
        canonical = marshal.args_to_canonical(args, self.params)
        start = time.perf_counter()
        raised: list[int] = []
        result = run(canonical, raised)
        count_all(run_seconds=time.perf_counter() - start, bytes_in=marshal.nbytes(canonical),
                  bytes_out=marshal.nbytes(result))
        return marshal.to_user(result, self.result_type), raised[0]

    def __repr__(self) -> str:
        return f"<weldpy.ir.Program {self.source}>"


def compile(program: str | E.Expr) -> Program:  # shadows the builtin: API.md's name
    """Parse (if text) and type-check a program, a lambda whose parameters all have types.

    >>> compile("|x: vec[f64]| len(x)").result_type
    Scalar(kind=<ScalarKind.I64: 'i64'>)
    """
    start = time.perf_counter()
    expr = parse(program) if isinstance(program, str) else program
    if not isinstance(expr, E.Lambda):
        raise WeldTypeError(f"compile: a program is a lambda |params| body, got a "
                            f"{type(expr).__name__}{position_suffix(expr.pos)}")
    for i, param in enumerate(expr.params):
        if not is_complete(param.ty):
            raise WeldTypeError(f"compile: parameter {i} ('{param.name}') needs a complete type "
                                f"(|{param.name}: T|){position_suffix(expr.pos)}")
    typed = typecheck(expr)
    count("compile_seconds", time.perf_counter() - start)
    return Program(typed)

