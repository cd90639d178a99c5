"""Size inference (``weldpy.ir.passes.infer_sizes``): golden before/after programs, the
appenders it must leave alone, and generated programs whose answers it keeps."""

import numpy as np
import pytest
from hypothesis import given, settings

import weldpy
from tests.ir.pass_checks import assert_golden, check_keeps_meaning, check_selection
from tests.strategies import programs
from weldpy.ir import compile
from weldpy.ir.passes import infer_sizes

GOLDEN = {
    "a map": (
        "|v: vec[f64]| result(for(v, appender[f64], |b, i, x| merge(b, x * 2.0)))",
        "|v: vec[f64]| result(for(v, appender[f64](len(v)), |b, i, x| merge(b, x * 2.0)))"),
    "a map over a zip, through a let and both branches": (
        "|v: vec[f64], w: vec[i64]| result(for(zip(w, v), appender[f64], |b, i, x| "
        "let c = b; if(x.$0 > 0L, merge(c, x.$1), merge(c, 0.0))))",
        "|v: vec[f64], w: vec[i64]| result(for(zip(w, v), appender[f64](len(w)), |b, i, x| "
        "let c = b; if(x.$0 > 0L, merge(c, x.$1), merge(c, 0.0))))"),
    "the exact field of a struct of builders": (
        "|v: vec[f64]| let r = for(v, {appender[f64], appender[f64], merger[f64, +]}, "
        "|b, i, x| {merge(b.$0, x), if(x > 0.0, merge(b.$1, x), b.$1), merge(b.$2, x)}); "
        "{result(r.$0), result(r.$1), result(r.$2)}",
        "|v: vec[f64]| let r = for(v, {appender[f64](len(v)), appender[f64], "
        "merger[f64, +]}, |b, i, x| {merge(b.$0, x), if(x > 0.0, merge(b.$1, x), b.$1), "
        "merge(b.$2, x)}); {result(r.$0), result(r.$1), result(r.$2)}"),
    "a nested map": (
        "|v: vec[vec[f64]]| result(for(v, appender[vec[f64]], |b, i, row| merge(b, "
        "result(for(row, appender[f64], |c, j, x| merge(c, x + 1.0))))))",
        "|v: vec[vec[f64]]| result(for(v, appender[vec[f64]](len(v)), |b, i, row| merge(b, "
        "result(for(row, appender[f64](len(row)), |c, j, x| merge(c, x + 1.0))))))"),
}

LEFT_ALONE = {
    "a filter": "|v: vec[f64]| result(for(v, appender[f64], |b, i, x| "
                "if(x > 0.0, merge(b, x), b)))",
    "two merges an iteration": "|v: vec[f64]| result(for(v, appender[f64], |b, i, x| "
                               "merge(merge(b, x), x)))",
    "a range": "|n: i64| result(for(rangeiter(0L, n, 1L), appender[i64], "
               "|b, i, x| merge(b, x)))",
    "a strided view": "|v: vec[f64]| result(for(iter(v, 0L, 4L, 2L), appender[f64], "
                      "|b, i, x| merge(b, x)))",
    "a vector computed in place": "|v: vec[f64]| result(for(result(for(v, appender[f64], "
                                  "|b, i, x| if(x > 0.0, merge(b, x), b))), "
                                  "merger[f64, +], |b, i, x| merge(b, x)))",
    "a hint already": "|v: vec[f64]| result(for(v, appender[f64](3L), "
                      "|b, i, x| merge(b, x)))",
    "a builder from outside": "|v: vec[f64]| result(for(v, merge(appender[f64], 1.0), "
                              "|b, i, x| merge(b, x)))",
}


@pytest.mark.parametrize("name", GOLDEN)
def test_golden(name):
    assert_golden(infer_sizes.run, *GOLDEN[name])


@pytest.mark.parametrize("name", LEFT_ALONE)
def test_left_alone(name):
    assert_golden(infer_sizes.run, LEFT_ALONE[name], LEFT_ALONE[name])


def test_a_nested_map_allocates_each_row_once_at_its_size():
    program = compile(GOLDEN["a nested map"][0])
    rows = [np.arange(float(n)) for n in (0, 1, 5, 1000)]
    with weldpy.config(backend="llvm", optimize=["infer_sizes"], threads=1):
        weldpy.stats(reset=True)
        got = program(rows)
        allocated = weldpy.stats()["bytes_allocated"]
    for row, out in zip(rows, got, strict=True):
        np.testing.assert_array_equal(out, row + 1.0)
    # the rows' elements and the outer vector of (pointer, length) pairs, with no growth on
    # the way; at most one element more a row (an empty appender's smallest buffer)
    assert allocated <= 8 * sum(len(r) for r in rows) + 16 * len(rows) + 8 * len(rows)


@settings(max_examples=60, deadline=None)
@given(programs())
def test_generated_programs_keep_their_answers(prog):
    check_keeps_meaning(infer_sizes.run, prog.expr, prog.args, llvm=True)


@settings(max_examples=30, deadline=None)
@given(programs())
def test_generated_programs_keep_their_answers_selected_and_in_the_pipeline(prog):
    for selection in (["infer_sizes"], True):
        check_selection(selection, prog.expr, prog.args)
