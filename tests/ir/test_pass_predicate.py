"""Predication (``weldpy.ir.passes.predicate``): golden before/after programs, the branches
it must keep, and generated filtered reductions (NaN, -0.0, inf, integer extremes) that
give the same answers predicated, on the interpreter and the llvm backend."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import weldpy
from tests.results import assert_same
from weldpy.ir import compile
from weldpy.ir.alpha import alpha_equivalent
from weldpy.ir.parser import parse
from weldpy.ir.passes import predicate
from weldpy.ir.traverse import rewrite_bottom_up
from weldpy.ir.typecheck import typecheck


def bare(program):
    return rewrite_bottom_up(program, lambda n: dataclasses.replace(n, annotations=())
                             if n.annotations else n)


def predicated(text: str):
    return typecheck(predicate.run(typecheck(parse(text))))


def same(got, text: str) -> bool:
    return alpha_equivalent(bare(got), bare(typecheck(parse(text))))


GOLDEN = [
    ("merger[f64, +]", "if(x > 0.0, merge(b, x), b)", "merge(b, select(x > 0.0, x, -0.0))"),
    ("merger[f64, min]", "if(x > 0.0, b, merge(b, x * 2.0))",
     "merge(b, select(x > 0.0, inf, x * 2.0))"),
    ("merger[f64, max]", "if(x > 0.0, merge(b, x), b)", "merge(b, select(x > 0.0, x, -inf))"),
    ("merger[f64, *]", "if(x > 0.0, merge(b, x), b)", "merge(b, select(x > 0.0, x, 1.0))"),
    ("merger[i64, +]", "if(x > 0.0, merge(b, 1L), b)", "merge(b, select(x > 0.0, 1L, 0L))"),
    ("merger[i64, min]", "if(x > 0.0, merge(b, i), b)",
     "merge(b, select(x > 0.0, i, 9223372036854775807L))"),
    ("merger[f64, +]", "if(x > 0.0, let y = x * 2.0; merge(b, y + y), b)",
     "merge(b, select(x > 0.0, let y = x * 2.0; y + y, -0.0))"),
]


@pytest.mark.parametrize("builder,before,after", GOLDEN)
def test_golden(builder, before, after):
    program = f"|v: vec[f64]| result(for(v, {builder}, |b, i, x| {before}))"
    got = predicated(program)
    assert same(got, program.replace(before, after))
    assert "predicated" in dict(got.body.builder.annotations)


KEPT = {
    "a division that may fail": ("|v: vec[i64]| result(for(v, merger[i64, +], "
                                 "|b, i, x| if(x != 0L, merge(b, 100L / x), b)))"),
    "a lookup": ("|v: vec[i64], w: vec[f64]| result(for(v, merger[f64, +], "
                 "|b, i, x| if(x < len(w), merge(b, lookup(w, x)), b)))"),
    "the annotation": ("|v: vec[f64]| result(for(v, merger[f64, +], "
                       "|b, i, x| @(predicate: false) if(x > 0.0, merge(b, x), b)))"),
    "an appender": ("|v: vec[f64]| result(for(v, appender[f64], "
                    "|b, i, x| if(x > 0.0, merge(b, x), b)))"),
    "a nested loop": ("|v: vec[f64]| result(for(v, merger[f64, +], |b, i, x| if(x > 0.0, "
                      "merge(b, result(for(v, merger[f64, +], |c, j, y| merge(c, y)))), b)))"),
}


@pytest.mark.parametrize("name", KEPT)
def test_kept(name):
    text = KEPT[name]
    assert same(predicated(text), text), name


def test_a_filtered_sum_vectorises():
    program = compile("|v: vec[f64]| result(for(v, merger[f64, +], "
                      "|b, i, x| if(x > 0.5, merge(b, x * 2.0), b)))")
    with weldpy.config(backend="llvm", optimize=["predicate"]):
        (loop,) = weldpy.explain(program).loops
    assert loop.predicated and loop.vectorised


OPS = ["merger[f64, +]", "merger[f64, *]", "merger[f64, min]", "merger[f64, max]",
       "merger[i64, +]", "merger[i64, min]", "merger[i64, max]", "merger[f32, +]"]
VALUES = {"merger[f64": "x * 2.0", "merger[i64": "i64(x * 8.0)", "merger[f32": "f32(x)"}


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(OPS), st.sampled_from(["x > 0.0", "x < 1.0", "x == x", "x != x"]),
       st.booleans(),
       st.lists(st.sampled_from([-3.0, -0.0, 0.0, 0.5, 2.0, float("inf"), -float("inf"),
                                 float("nan")]), max_size=12))
def test_generated_filtered_reductions(builder, cond, merge_when_true, values):
    value = next(v for k, v in VALUES.items() if builder.startswith(k))
    branch = (f"if({cond}, merge(b, {value}), b)" if merge_when_true
              else f"if({cond}, b, merge(b, {value}))")
    program = compile(f"|v: vec[f64]| result(for(v, {builder}, |b, i, x| {branch}))")
    v = np.array(values, dtype=np.float64)
    with weldpy.config(backend="interp", optimize=False), np.errstate(all="ignore"):
        want = program(v)
    for backend, threads in (("interp", 1), ("llvm", 1), ("llvm", 2)):
        with weldpy.config(backend=backend, optimize=["predicate"], threads=threads, grain=1), \
                np.errstate(all="ignore"):
            assert_same(program(v), want, loose=builder in ("merger[f64, +]", "merger[f64, *]",
                                                          "merger[f32, +]"))
