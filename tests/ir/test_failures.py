"""What the passes count as unable to fail (``weldpy.ir.passes.failures``): loops over one
iterator that cannot fail into builders whose merges cannot, and lookups a frontend built
in range (``@(inbounds: true)``); everything else that may raise stays ``may fail``."""

import pytest

from weldpy.ir.parser import parse
from weldpy.ir.passes.failures import cannot_fail
from weldpy.ir.printer import pretty
from weldpy.ir.typecheck import typecheck

SAFE = {
    "a map": "|v: vec[f64]| result(for(v, appender[f64], |b, i, x| merge(b, x * 2.0)))",
    "a sum over a range": ("|v: vec[f64]| result(for(rangeiter(0L, 10L, 1L), merger[i64, +], "
                           "|b, i, x| merge(b, x)))"),
    "a filter": ("|v: vec[f64]| result(for(v, appender[f64], "
                 "|b, i, x| if(x > 0.0, merge(b, x), b)))"),
    "nested loops": ("|v: vec[f64]| result(for(v, merger[f64, +], |b, i, x| merge(b, "
                     "result(for(v, merger[f64, max], |c, j, y| merge(c, y * x))))))"),
    "a lookup in range by construction": (
        "|v: vec[f64]| result(for(rangeiter(0L, 10L, 1L), appender[f64], "
        "|b, i, x| merge(b, @(inbounds: true)lookup(v, i))))"),
}
MAY_FAIL = {
    "a zip (lengths may differ)": ("|v: vec[f64], w: vec[f64]| result(for(zip(v, w), "
                                   "appender[f64], |b, i, x| merge(b, x.$0 + x.$1)))"),
    "a vecmerger (indices may be out of range)": (
        "|v: vec[f64]| result(for(v, vecmerger[f64, +](v), |b, i, x| merge(b, {i, x})))"),
    "a strided iterator": ("|v: vec[f64]| result(for(iter(v, 0L, 20L, 1L), appender[f64], "
                           "|b, i, x| merge(b, x)))"),
    "a lookup": ("|v: vec[f64]| result(for(v, appender[f64], "
                 "|b, i, x| merge(b, lookup(v, i + 1L))))"),
    "an integer division in the body": ("|v: vec[i64]| result(for(v, merger[i64, +], "
                                        "|b, i, x| merge(b, 10L / x)))"),
    "a range with a step that may be zero": (
        "|v: vec[f64], s: i64| result(for(rangeiter(0L, 10L, s), merger[i64, +], "
        "|b, i, x| merge(b, x)))"),
}


@pytest.mark.parametrize("name", SAFE)
def test_cannot_fail(name):
    program = typecheck(parse(SAFE[name]))
    assert cannot_fail(program.body), name


@pytest.mark.parametrize("name", MAY_FAIL)
def test_may_fail(name):
    program = typecheck(parse(MAY_FAIL[name]))
    assert not cannot_fail(program.body), name


def test_the_inbounds_annotation_round_trips():
    program = parse(SAFE["a lookup in range by construction"])
    again = parse(pretty(program))
    assert again == program and cannot_fail(typecheck(again).body)
