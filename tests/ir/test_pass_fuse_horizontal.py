"""Horizontal loop fusion (``weldpy.ir.passes.fuse_horizontal``): golden before/after
programs, the cases it must leave alone, and generated structs of loops over one vector that
mean the same fused, on the interpreter and the llvm backend."""

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
from weldpy.ir.passes import fuse_horizontal
from weldpy.ir.traverse import preorder, rewrite_bottom_up
from weldpy.ir.typecheck import typecheck


def fused(text: str):
    return typecheck(fuse_horizontal.run(typecheck(parse(text))))


def loops(program) -> int:
    return sum(isinstance(n, E.For) for n in preorder(program))


SUM = "result(for(v, merger[f64, +], |b, i, x| merge(b, x)))"
MAX = "result(for(v, merger[f64, max], |b, i, x| merge(b, x)))"
DOUBLED = "result(for(v, appender[f64], |b, i, x| merge(b, x * 2.0)))"

GOLDEN = {
    "sum and max": (
        f"|v: vec[f64]| {{{SUM}, {MAX}}}",
        "|v: vec[f64]| let r = for(v, {merger[f64, +], merger[f64, max]}, |b, i, x| "
        "{merge(b.$0, x), merge(b.$1, x)}); {result(r.$0), result(r.$1)}"),
    "a mean and a map": (
        f"|v: vec[f64]| {{{SUM} / f64(len(v)), {DOUBLED}}}",
        "|v: vec[f64]| let r = for(v, {merger[f64, +], appender[f64]}, |b, i, x| "
        "{merge(b.$0, x), merge(b.$1, x * 2.0)}); "
        "{result(r.$0) / f64(len(v)), result(r.$1)}"),
    "the lets both bodies compute, once": (
        "|v: vec[f64], a: f64| {result(for(v, merger[f64, +], |b, i, x| let s = sqrt(x); "
        "let t = s * a; merge(b, t))), result(for(v, appender[f64], |b, i, x| "
        "let p = sqrt(x); let q = p * a; let w = q + 1.0; merge(b, w / q)))}",
        "|v: vec[f64], a: f64| let r = for(v, {merger[f64, +], appender[f64]}, |b, i, x| "
        "let s = sqrt(x); let t = s * a; let w = t + 1.0; "
        "{merge(b.$0, t), merge(b.$1, w / t)}); {result(r.$0), result(r.$1)}"),
    "a let that may fail ends a body's head": (
        "|v: vec[i64], d: i64| {result(for(v, merger[i64, +], |b, i, x| let s = x * 2L; "
        "merge(b, s))), result(for(v, merger[i64, max], |b, i, x| let q = x / d; "
        "let s = x * 2L; merge(b, s + q)))}",
        "|v: vec[i64], d: i64| let r = for(v, {merger[i64, +], merger[i64, max]}, "
        "|b, i, x| let s = x * 2L; {merge(b.$0, s), let q = x / d; let s2 = x * 2L; "
        "merge(b.$1, s2 + q)}); {result(r.$0), result(r.$1)}"),
}


def bare(program):
    """``program`` without annotations (the passes' provenance, checked apart)."""
    return rewrite_bottom_up(program, lambda n: dataclasses.replace(n, annotations=())
                             if n.annotations else n)


@pytest.mark.parametrize("name", GOLDEN)
def test_golden(name):
    before, after = GOLDEN[name]
    got = fused(before)
    assert alpha_equivalent(bare(got), bare(typecheck(parse(after)))), name
    notes = [dict(n.annotations).get("fused") for n in preorder(got) if isinstance(n, E.For)]
    assert notes == ["2 loops over v side by side"]


LEFT_ALONE = {
    "different vectors": f"|v: vec[f64], w: vec[f64]| {{{SUM}, {MAX.replace('(v,', '(w,')}}}",
    "one loop in a branch": f"|v: vec[f64]| {{{SUM}, if(len(v) > 2L, {MAX}, 0.0)}}",
    "one loop after a short-circuit": (
        f"|v: vec[f64]| {{{SUM}, len(v) > 2L && {MAX} > 0.0}}"),
    "a loop reading a name bound on the way": (
        f"|v: vec[f64]| {{{SUM}, let k = 2.0; "
        "result(for(v, merger[f64, +], |b, i, x| merge(b, x * k)))}"),
    "a size hint that may fail": (
        f"|v: vec[f64], w: vec[i64]| {{{SUM}, len(result(for(v, appender[f64](w / w), "
        "|b, i, x| merge(b, x))))}".replace("w / w", "lookup(w, 0L)")),
}


@pytest.mark.parametrize("name", LEFT_ALONE)
def test_left_alone(name):
    text = LEFT_ALONE[name]
    assert loops(fused(text)) == loops(typecheck(parse(text))), name


def test_sum_mean_min_max_of_one_vector_run_as_one_loop():
    mean = f"{SUM} / f64(len(v))"
    program = compile(f"|v: vec[f64]| {{{SUM}, {mean}, "
                      "result(for(v, merger[f64, min], |b, i, x| merge(b, x))), "
                      f"{MAX}}}")
    v = np.random.default_rng(1).standard_normal(10_000)
    with weldpy.config(backend="llvm", optimize=["fuse_horizontal"], threads=2, grain=100):
        weldpy.stats(reset=True)
        total, average, low, high = program(v)
        assert weldpy.stats()["loops_executed"] == 1
    np.testing.assert_allclose([total, average], [v.sum(), v.mean()], rtol=1e-12)
    assert (low, high) == (v.min(), v.max())


# (backend, threads, optimize) of the generated runs: the pass alone, and the whole pipeline
RUNS = (("interp", 1, ["fuse_horizontal"]), ("llvm", 1, ["fuse_horizontal"]),
        ("llvm", 2, ["fuse_horizontal"]), ("interp", 1, True), ("llvm", 2, True))


# --- generated structs of loops -----------------------------------------------------------
LOOPS = [
    "result(for(v, merger[f64, +], |b, i, x| merge(b, x * x)))",
    "result(for(v, merger[f64, min], |b, i, x| merge(b, x)))",
    "result(for(v, merger[i64, +], |b, i, x| if(x > 0.0, merge(b, 1L), b)))",
    "len(result(for(v, appender[f64], |b, i, x| if(x < 1.0, merge(b, x), b))))",
    "result(for(v, appender[f64], |b, i, x| merge(b, x + f64(i))))",
    "result(for(v, merger[f64, max], |b, i, x| merge(b, -x))) * 2.0",
    "len(tovec(result(for(v, dictmerger[bool, i64, +], |b, i, x| merge(b, {x > 0.5, 1L})))))",
]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(range(len(LOOPS))), min_size=2, max_size=5),
       st.lists(st.sampled_from([-2.0, -0.0, 0.0, 0.25, 1.0, 3.5, float("nan")]),
                max_size=10))
def test_generated_structs_of_loops_mean_the_same_fused(picks, values):
    text = "|v: vec[f64]| {" + ", ".join(LOOPS[k] for k in picks) + "}"
    program, v = compile(text), np.array(values, dtype=np.float64)
    assert loops(fuse_horizontal.run(program.expr)) == 1
    with weldpy.config(backend="interp", optimize=False):
        want = program(v)
    for backend, threads, selection in RUNS:
        with weldpy.config(backend=backend, optimize=selection, threads=threads,
                           grain=1):
            assert_same(program(v), want, loose=True)
