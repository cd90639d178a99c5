"""loop_state: a struct of builders carried around a loop in one phi per field, so that each
of several reductions in one loop (horizontal fusion's struct of mergers) vectorises."""

import numpy as np
import pytest

import weldpy
from weldpy.ir import compile

PAIRS = ["merger[f64, +], merger[f64, +]", "merger[f64, min], merger[f64, max]",
         "merger[f64, +], merger[f64, max]", "merger[i64, +], merger[f64, min]"]


@pytest.mark.parametrize("builders", PAIRS)
def test_two_reductions_in_one_loop_vectorise(builders):
    program = compile(f"|v: vec[f64]| let r = for(v, {{{builders}}}, |b, i, e| "
                      "{merge(b.$0, " + ("i64(e)" if "i64" in builders else "e") + "), "
                      "merge(b.$1, e)}); {result(r.$0), result(r.$1)}")
    x = np.linspace(-3.0, 5.0, 1001)
    with weldpy.config(backend="llvm", threads=1):
        (loop,) = weldpy.explain(program.expr).loops
        got = program(x)
    assert loop.vectorised
    with weldpy.config(backend="interp"):
        want = program(x)
    np.testing.assert_allclose(np.array(got, dtype=float), np.array(want, dtype=float),
                               rtol=1e-12)


def test_a_builder_with_nested_struct_fields_still_merges_each_field():
    program = compile("|v: vec[i32]| let r = for(v, {merger[{i32, f64}, max], "
                      "{appender[i32], merger[i64, +]}}, |b, i, e| {merge(b.$0, {e, f64(-e)}), "
                      "{merge(b.$1.$0, e), merge(b.$1.$1, i64(e) * 2L)}}); "
                      "{result(r.$0), result(r.$1.$0), result(r.$1.$1)}")
    x = np.array([4, -2, 9, 0], dtype=np.int32)
    for threads in (1, 2):
        with weldpy.config(backend="llvm", threads=threads, grain=1):
            top, items, total = program(x)
        assert tuple(top) == (9, 2.0) and total == 22
        np.testing.assert_array_equal(items, x)


@pytest.mark.parametrize("op", ["+", "*"])
@pytest.mark.parametrize("value", ["e - e", "(e + 1.0e300) - 1.0e300", "e * 0.0"])
def test_a_reassociating_float_merge_keeps_the_merged_values_math(op, value):
    """Reductions may be reassociated (IR.md), the values merged may not: x - x is NaN for
    an infinite x, and LLVM folds acc + (x - x) to acc under reassoc with nsz."""
    program = compile(f"|v: vec[f64]| result(for(v, merger[f64, {op}], |b, i, e| "
                      f"merge(b, {value})))")
    x = np.array([1.0, np.inf, 2.0, -np.inf, 1e308] * 40)
    with weldpy.config(backend="interp"):
        want = program(x)
    for threads in (1, 2):
        with weldpy.config(backend="llvm", threads=threads, grain=16):
            (loop,) = weldpy.explain(program.expr).loops
            got = program(x)
        assert loop.vectorised
        np.testing.assert_array_equal(got, want)
