"""Common-subexpression elimination (``weldpy.ir.passes.cse``): golden programs, what it
must keep, and generated programs with repeated subexpressions that mean the same after it."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import weldpy
from tests.results import assert_same
from weldpy.ir import compile
from weldpy.ir import exprs as E
from weldpy.ir.alpha import alpha_equivalent
from weldpy.ir.parser import parse
from weldpy.ir.passes import cse
from weldpy.ir.traverse import preorder, rewrite_bottom_up
from weldpy.ir.typecheck import typecheck


def bare(program):
    return rewrite_bottom_up(program, lambda n: dataclasses.replace(n, annotations=())
                             if n.annotations else n)


def eliminated(text: str):
    return typecheck(cse.run(typecheck(parse(text))))


SUM = "result(for(v, merger[f64, +], |b, i, x| merge(b, x)))"
SUM_AGAIN = "result(for(v, merger[f64, +], |c, j, y| merge(c, y)))"

GOLDEN = {
    "a loop twice, names aside": (
        f"|v: vec[f64]| {{{SUM}, {SUM_AGAIN} / 2.0}}",
        f"|v: vec[f64]| let s = {SUM}; {{s, s / 2.0}}"),
    "arithmetic repeated in a loop body": (
        "|v: vec[f64]| result(for(v, merger[f64, +], |b, i, x| "
        "merge(b, (x * 2.0 + 1.0) * (x * 2.0 + 1.0))))",
        "|v: vec[f64]| result(for(v, merger[f64, +], |b, i, x| let t = x * 2.0 + 1.0; "
        "merge(b, t * t)))"),
}


@pytest.mark.parametrize("name", GOLDEN)
def test_golden(name):
    before, after = GOLDEN[name]
    assert alpha_equivalent(bare(eliminated(before)), bare(typecheck(parse(after)))), name


KEPT = {
    "one copy in a branch": f"|v: vec[f64]| {{{SUM}, if(len(v) > 1L, {SUM_AGAIN}, 0.0)}}",
    "a division that may fail": ("|v: vec[i64], k: i64| {len(v) / k + 1L, len(v) / k + 1L}"),
    "a name bound on the way": (
        "|v: vec[f64]| {let k = 2.0; k * k + 1.0, let k = 3.0; k * k + 1.0}"),
    "too small to pay": "|v: vec[f64]| {f64(len(v)), f64(len(v))}",
}


@pytest.mark.parametrize("name", KEPT)
def test_kept(name):
    text = KEPT[name]
    assert alpha_equivalent(bare(eliminated(text)), bare(typecheck(parse(text)))), name


def test_a_repeated_loop_runs_once():
    program = compile(f"|v: vec[f64]| {{{SUM}, {SUM_AGAIN} * 2.0, {SUM} + 1.0}}")
    v = np.arange(100.0)
    with weldpy.config(backend="llvm", optimize=["cse"], threads=1):
        weldpy.stats(reset=True)
        assert program(v) == (v.sum(), 2 * v.sum(), v.sum() + 1)
        assert weldpy.stats()["loops_executed"] == 1


PIECES = ["(x * 2.0 + 1.0)", "(x - 3.0)", "sqrt(x * x + 1.0)", "f64(i) * 0.5", "x"]
BIG = {"(x * 2.0 + 1.0)", "sqrt(x * x + 1.0)"}  # (the others are too small to share)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=2, max_size=6),
       st.lists(st.sampled_from([-1.5, -0.0, 0.0, 2.0, float("inf"), float("nan")]),
                max_size=8))
def test_generated_repeats_mean_the_same(picks, values):
    value = " * ".join(picks)
    text = (f"|v: vec[f64]| {{result(for(v, appender[f64], |b, i, x| merge(b, {value}))), "
            f"result(for(v, merger[f64, max], |b, i, x| merge(b, {value})))}}")
    program, v = compile(text), np.array(values, dtype=np.float64)
    lets = [n for n in preorder(cse.run(program.expr)) if isinstance(n, E.Let)]
    if any(picks.count(p) > 1 for p in picks if p in BIG):
        assert lets  # a repeated piece worth a let is computed once
    with weldpy.config(backend="interp", optimize=False), np.errstate(all="ignore"):
        want = program(v)
    for backend in ("interp", "llvm"):
        with weldpy.config(backend=backend, optimize=["cse"], threads=1), \
                np.errstate(all="ignore"):
            assert_same(program(v), want, loose=False)
