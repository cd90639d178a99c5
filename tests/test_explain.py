"""weldpy.explain for IR programs: the fields API.md names, read by tests and tools."""

import weldpy
from weldpy.ir.parser import parse

CHAIN = ("|v: vec[f64]| result(for(result(for(result(for(v, appender[f64], "
         "|b, i, x| merge(b, x * 2.0))), appender[f64], |b, i, x| if(x > 3.0, merge(b, x), b))), "
         "merger[f64, +], |b, i, x| merge(b, x)))")
ZIPPED = ("|w: vec[f64]| result(for(zip(result(for(w, appender[f64], |b, i, x| "
          "if(x > 0.0, merge(b, x + 1.0), b))), w), merger[f64, +], "
          "|b, i, x| merge(b, x.$0 * x.$1)))")


def test_a_fused_chain():
    with weldpy.config(backend="llvm", optimize=True, threads=2):
        e = weldpy.explain(CHAIN)
    assert (e.loops_before, e.loops_after) == (3, 1)
    (loop,) = e.loops
    assert loop.fused == ("map over v", "filter over v")
    assert loop.inputs == ("v",) and loop.builders == "merger[f64, +]"
    assert (loop.backend, loop.threads, loop.top_level) == ("llvm", 2, True)
    assert e.materialized == () and e.fallbacks == {}
    parse(e.before), parse(e.after)  # both are programs
    assert "fused into it: map over v" in str(e)


def test_what_stays_materialised_and_why():
    with weldpy.config(backend="llvm"):
        e = weldpy.explain(ZIPPED)
    assert e.loops_after == 2
    ((producer, reason),) = e.materialized
    assert "appender" in producer and reason == "zipped with a filtered vector"
    # a sum of products vectorises on the llvm backend; a filter into an appender does not
    assert [loop.vectorised for loop in e.loops] == [True, False]  # (outer loop first)


def test_without_the_optimiser_and_on_the_interpreter():
    with weldpy.config(backend="interp"):
        plain = weldpy.explain(CHAIN, optimized=False)
    assert plain.after == plain.before and plain.loops_after == 3
    assert all(loop.vectorised is None and loop.fused == () for loop in plain.loops)
