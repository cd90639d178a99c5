"""weldpy.ir.compile: checked once at compile time, run by the backend in force at each call,
with the counters of weldpy.stats."""

import numpy as np
import pytest

import weldpy
from weldpy.errors import WeldSyntaxError, WeldTypeError, WeldUnsupportedError
from weldpy.ir import exprs as E
from weldpy.ir import parse
from weldpy.ir import types as T
from weldpy.ir.program import Program, compile


def test_compile_text_and_expressions():
    prog = compile("|x: vec[i32]| result(for(x, merger[i64, +], |b, i, e| merge(b, i64(e))))")
    assert isinstance(prog, Program) and prog.result_type == T.I64
    assert [p.name for p in prog.params] == ["x"] and prog.params[0].ty == T.Vec(T.I32)
    same = compile(parse("|a: f64| a * 2.0"))
    with weldpy.config(backend="interp"):
        assert prog(np.array([1, 2, 3], np.int32)) == 6
        assert same(1.5) == 3.0


def test_compile_rejects_non_lambdas_and_untyped_parameters():
    with pytest.raises(WeldTypeError, match="lambda"):
        compile("1 + 2")
    with pytest.raises(WeldTypeError, match=r"parameter 1 \('y'\) needs a complete type"):
        compile("|x: i32, y| x + y")
    with pytest.raises(WeldTypeError, match="parameter 0"):
        compile(E.Lambda((E.Param("x", T.Vec(None)),), E.Ident("x")))


def test_compile_reports_type_and_syntax_errors_at_compile_time():
    with pytest.raises(WeldTypeError):
        compile("|x: i32| x + 1.0")
    with pytest.raises(WeldSyntaxError):
        compile("|x: i32| x +")


def test_backend_is_chosen_at_call_time():
    prog = compile("|x: i32| x + 1")
    with weldpy.config(backend="llvm"):
        assert prog(1) == 2
    with weldpy.config(backend="cuda"):
        with pytest.raises(WeldUnsupportedError, match="'cuda' is not built yet"):
            prog(1)
    with weldpy.config(backend="interp"):
        assert prog(1) == 2


def test_stats_count_compiles_runs_and_bytes():
    prog = compile("|x: vec[f64]| result(for(x, appender, |b, i, e| merge(b, e)))")
    weldpy.stats(reset=True)
    with weldpy.config(backend="interp"):
        prog(np.zeros(4))
        prog(np.zeros(2))
    s = weldpy.stats()
    assert s["programs_compiled"] == 1  # prepared once per backend
    assert s["loops_executed"] == 2
    assert s["bytes_in"] == 48 and s["bytes_out"] == 48
    assert s["run_seconds"] > 0 and s["compile_seconds"] > 0
