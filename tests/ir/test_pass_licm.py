"""Loop-invariant code motion (``weldpy.ir.passes.licm``): golden before/after programs,
what must stay in the loop, generated programs whose answers and errors it keeps, and an
inner reduction that runs once instead of once an iteration (``weldpy.stats()``)."""

import numpy as np
import pytest
from hypothesis import given, settings

import weldpy
from tests.ir.pass_checks import (
    assert_golden,
    check_keeps_meaning,
    check_selection,
    risky_programs,
)
from tests.strategies import programs
from weldpy.ir import compile
from weldpy.ir.parser import parse
from weldpy.ir.passes import licm

SUM_W = "result(for(w, merger[f64, +], |c, j, y| merge(c, y)))"

GOLDEN = {
    "arithmetic on outer names": (
        "|v: vec[f64], s: f64| result(for(v, appender[f64], |b, i, x| "
        "merge(b, x / (sqrt(s) * 2.0))))",
        "|v: vec[f64], s: f64| let inv0 = sqrt(s) * 2.0; result(for(v, appender[f64], "
        "|b, i, x| merge(b, x / inv0)))"),
    "an inner reduction over another vector, twice": (
        f"|v: vec[f64], w: vec[f64]| result(for(v, appender[f64], |b, i, x| "
        f"if(x > 0.0, merge(b, x / {SUM_W}), merge(b, x * {SUM_W}))))",
        f"|v: vec[f64], w: vec[f64]| let inv0 = {SUM_W}; result(for(v, appender[f64], "
        "|b, i, x| if(x > 0.0, merge(b, x / inv0), merge(b, x * inv0))))"),
    "out of two nested loops": (
        "|v: vec[vec[f64]], s: f64| result(for(v, appender[vec[f64]], |b, i, row| "
        "merge(b, result(for(row, appender[f64], |c, j, x| merge(c, x + s * s * 3.0))))))",
        "|v: vec[vec[f64]], s: f64| let inv1 = s * s * 3.0; "
        "result(for(v, appender[vec[f64]], |b, i, row| merge(b, let inv0 = inv1; "
        "result(for(row, appender[f64], |c, j, x| merge(c, x + inv0))))))"),
    "out of the inner loop only": (
        "|v: vec[vec[f64]]| result(for(v, appender[vec[f64]], |b, i, row| "
        "merge(b, result(for(row, appender[f64], |c, j, x| merge(c, x * (f64(i) * 2.0)))))))",
        "|v: vec[vec[f64]]| result(for(v, appender[vec[f64]], |b, i, row| "
        "merge(b, let inv0 = f64(i) * 2.0; "
        "result(for(row, appender[f64], |c, j, x| merge(c, x * inv0))))))"),
}

KEPT = {
    "it reads the element": "|v: vec[f64], s: f64| result(for(v, appender[f64], "
                            "|b, i, x| merge(b, (x + s) * 2.0)))",
    "it reads a name bound in the body": "|v: vec[f64], s: f64| result(for(v, appender[f64], "
                                         "|b, i, x| let t = x; merge(b, (t + s) * 2.0)))",
    "it may fail": "|v: vec[f64], w: vec[f64]| result(for(v, appender[f64], "
                   "|b, i, x| merge(b, x + lookup(w, 3L) * 2.0)))",
    "integer division": "|v: vec[i64], a: i64, d: i64| result(for(v, appender[i64], "
                        "|b, i, x| merge(b, x + a / d)))",
    "a loop that may fail": "|v: vec[f64], w: vec[f64]| result(for(v, appender[f64], "
                            "|b, i, x| merge(b, x + result(for(w, merger[f64, +], "
                            "|c, j, y| merge(c, lookup(w, 0L)))))))",
    "a zip that may fail": "|v: vec[f64], w: vec[f64]| result(for(v, appender[f64], "
                           "|b, i, x| merge(b, x + result(for(zip(w, v), merger[f64, +], "
                           "|c, j, y| merge(c, y.$0))))))",
    "too small to pay": "|v: vec[f64], s: f64| result(for(v, appender[f64], "
                        "|b, i, x| merge(b, x * (-s))))",
    "a builder": "|v: vec[f64]| result(for(v, appender[f64], |b, i, x| merge(b, "
                 "result(merge(merger[f64, +], 1.0)) + x)))",
}


@pytest.mark.parametrize("name", GOLDEN)
def test_golden(name):
    assert_golden(licm.run, *GOLDEN[name])


@pytest.mark.parametrize("name", KEPT)
def test_kept(name):
    assert_golden(licm.run, KEPT[name], KEPT[name])


def test_an_inner_reduction_runs_once():
    program = compile(GOLDEN["an inner reduction over another vector, twice"][0])
    v, w = np.linspace(-1.0, 1.0, 101), np.arange(10.0)
    want = np.where(v > 0.0, v / w.sum(), v * w.sum())
    for selection, loops in ((False, 1 + 101), (["licm"], 2)):
        with weldpy.config(backend="llvm", optimize=selection, threads=1):
            weldpy.stats(reset=True)
            np.testing.assert_array_equal(program(v, w), want)
            assert weldpy.stats()["loops_executed"] == loops


@settings(max_examples=60, deadline=None)
@given(programs())
def test_generated_programs_keep_their_answers(prog):
    check_keeps_meaning(licm.run, prog.expr, prog.args, llvm=True)


@settings(max_examples=60, deadline=None)
@given(risky_programs())
def test_generated_programs_keep_their_errors(case):
    text, args = case
    check_keeps_meaning(licm.run, parse(text), args)


@settings(max_examples=30, deadline=None)
@given(programs())
def test_generated_programs_keep_their_answers_selected_and_in_the_pipeline(prog):
    for selection in (["licm"], True):
        check_selection(selection, prog.expr, prog.args)
