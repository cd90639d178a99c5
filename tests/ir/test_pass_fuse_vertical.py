"""Vertical loop fusion (``weldpy.ir.passes.fuse_vertical``): golden before/after programs,
the cases it must leave alone, and generated chains of maps, filters and reductions whose
answers are the same before and after it, on the interpreter and on the llvm backend."""

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
from weldpy.ir.passes import fuse_vertical
from weldpy.ir.traverse import preorder, rewrite_bottom_up
from weldpy.ir.typecheck import typecheck


def fused(text: str):
    return typecheck(fuse_vertical.run(typecheck(parse(text))))


def bare(program):
    """``program`` without annotations (the passes' provenance, checked apart)."""
    return rewrite_bottom_up(program, lambda n: dataclasses.replace(n, annotations=())
                             if n.annotations else n)


def same_program(got, text: str) -> bool:
    return alpha_equivalent(bare(got), bare(typecheck(parse(text))))


def loop_notes(program, key: str) -> list[str]:
    return [dict(n.annotations)[key] for n in preorder(program)
            if isinstance(n, E.For) and key in dict(n.annotations)]


MAP = "result(for(v, appender[f64], |b, i, x| merge(b, x * 2.0)))"
FILTER = "result(for(v, appender[f64], |b, i, x| if(x > 0.0, merge(b, x), b)))"

GOLDEN = {
    "map then sum": (
        f"|v: vec[f64]| result(for({MAP}, merger[f64, +], |c, j, y| merge(c, y + 1.0)))",
        "|v: vec[f64]| result(for(v, merger[f64, +], |c, i, x| let y = x * 2.0; "
        "merge(c, y + 1.0)))"),
    "map then map using the index": (
        f"|v: vec[f64]| result(for({MAP}, appender[f64], |c, j, y| merge(c, y * f64(j))))",
        "|v: vec[f64]| result(for(v, appender[f64], |c, i, x| let y = x * 2.0; "
        "merge(c, y * f64(i))))"),
    "filter then sum": (
        f"|v: vec[f64]| result(for({FILTER}, merger[f64, +], |c, j, y| merge(c, y)))",
        "|v: vec[f64]| result(for(v, merger[f64, +], |c, i, x| "
        "if(x > 0.0, merge(c, x), c)))"),
    "map into a dictmerger": (
        f"|v: vec[f64]| result(for({MAP}, dictmerger[f64, i64, +], "
        "|c, j, y| merge(c, {y, 1L})))",
        "|v: vec[f64]| result(for(v, dictmerger[f64, i64, +], |c, i, x| let y = x * 2.0; "
        "merge(c, {y, 1L})))"),
    "two merges an iteration, in order": (
        "|v: vec[f64]| result(for(result(for(v, appender[f64], "
        "|b, i, x| merge(merge(b, x), -x))), appender[f64], |c, j, y| merge(c, y + 1.0)))",
        "|v: vec[f64]| result(for(v, appender[f64], |c, i, x| "
        "let c2 = merge(c, x + 1.0); let y2 = -x; merge(c2, y2 + 1.0)))"),
    "a map zipped with its input": (
        f"|v: vec[f64]| result(for(zip({MAP}, v), merger[f64, +], "
        "|c, j, y| merge(c, y.$0 * y.$1)))",
        "|v: vec[f64]| result(for(v, merger[f64, +], |c, i, x| let y = x * 2.0; "
        "merge(c, y * x)))"),
    "two maps zipped": (
        "|v: vec[f64], w: vec[f64]| result(for(zip(" + MAP + ", result(for(w, appender[f64], "
        "|b, i, x| merge(b, x + 1.0)))), appender[f64], |c, j, y| merge(c, y.$0 - y.$1)))",
        "|v: vec[f64], w: vec[f64]| result(for(zip(v, w), appender[f64], |c, i, z| "
        "let y1 = z.$1 + 1.0; let y0 = z.$0 * 2.0; merge(c, y0 - y1)))"),
    "a map over a zip": (
        "|s: vec[f64], k: vec[f64]| result(for(result(for(zip(s, k), appender[f64], "
        "|b, i, x| merge(b, x.$0 / x.$1))), merger[f64, max], |c, j, y| merge(c, y)))",
        "|s: vec[f64], k: vec[f64]| result(for(zip(k, s), merger[f64, max], |c, i, x| "
        "let y = x.$1 / x.$0; merge(c, y)))"),  # (a zip's vectors in a canonical order)
    "a vector zipped with itself is read once": (
        "|v: vec[f64]| result(for(zip(v, v), appender[f64], "
        "|c, j, y| merge(c, y.$0 - y.$1 * f64(j))))",
        "|v: vec[f64]| result(for(v, appender[f64], |c, j, y| merge(c, y - y * f64(j))))"),
    "a map bound by a let, copied into the loops that read it": (
        f"|v: vec[f64]| let m = {MAP}; {{result(for(m, merger[f64, +], |c, j, y| merge(c, y))), "
        "result(for(zip(m, v), merger[f64, max], |c, j, y| merge(c, y.$0 + y.$1)))}",
        "|v: vec[f64]| {result(for(v, merger[f64, +], |c, i, x| let y = x * 2.0; "
        "merge(c, y))), result(for(v, merger[f64, max], |c, i, x| let y = x * 2.0; "
        "merge(c, y + x)))}"),
    "a map bound by a let, read twice by one zip": (
        f"|v: vec[f64]| let m = {MAP}; result(for(zip(m, v, m), merger[f64, +], "
        "|c, j, y| merge(c, y.$0 * y.$1 + y.$2)))",
        "|v: vec[f64]| result(for(v, merger[f64, +], |c, i, x| let y = x * 2.0; "
        "merge(c, y * x + y)))"),
}


GOLDEN["a map bound to a scalar's let, in a zip"] = (
    "|v: vec[f64], a: f64| result(for(zip(v, let k = a * 3.0; result(for(v, appender[f64], "
    "|b, i, x| merge(b, x * k)))), merger[f64, +], |c, j, y| merge(c, y.$0 - y.$1)))",
    "|v: vec[f64], a: f64| result(let h = a * 3.0; for(v, merger[f64, +], "
    "|c, i, x| let y = x * h; merge(c, x - y)))")

GOLDEN["a map read through lookups in range, computed in place"] = (
    "|v: vec[f64]| let m = result(for(v, appender[f64], |b, i, x| merge(b, x * 2.0))); "
    "result(for(rangeiter(0L, 3L, 1L), merger[f64, +], "
    "|c, j, y| merge(c, @(inbounds: true)lookup(m, j * 2L))))",
    "|v: vec[f64]| result(for(rangeiter(0L, 3L, 1L), merger[f64, +], |c, j, y| "
    "merge(c, let k = j * 2L; let x = @(inbounds: true)lookup(v, k); let w = x * 2.0; w)))")

FUSED = {"a map bound to a scalar's let, in a zip": ["map over v"],
         "a map read through lookups in range, computed in place": [],
         "map then sum": ["map over v"], "map then map using the index": ["map over v"],
         "filter then sum": ["filter over v"], "map into a dictmerger": ["map over v"],
         "two merges an iteration, in order": ["flatten over v"],
         "a map zipped with its input": ["map over v"],
         "two maps zipped": ["map over v; map over w"], "a map over a zip": ["map over k, s"],
         "a vector zipped with itself is read once": [],
         "a map bound by a let, copied into the loops that read it": ["map over v"] * 2,
         "a map bound by a let, read twice by one zip": ["map over v"]}


@pytest.mark.parametrize("name", GOLDEN)
def test_golden(name):
    before, after = GOLDEN[name]
    got = fused(before)
    assert same_program(got, after), name
    assert loop_notes(got, "fused") == FUSED[name]  # (what weldpy.explain reports)


LEFT_ALONE = {
    "the filtered index is used": (
        f"|v: vec[f64]| result(for({FILTER}, appender[i64], |c, j, y| merge(c, j)))"),
    "a size hint": (
        "|v: vec[f64]| result(for(result(for(v, appender[f64](len(v)), "
        "|b, i, x| merge(b, x))), merger[f64, +], |c, j, y| merge(c, y)))"),
    "zipped with a filtered vector": (
        f"|v: vec[f64]| result(for(zip({FILTER}, v), merger[f64, +], "
        "|c, j, y| merge(c, y.$0 * y.$1)))"),
    "a zipped producer that may fail": (
        "|v: vec[f64], w: vec[f64]| result(for(zip(result(for(v, appender[f64], "
        "|b, i, x| merge(b, lookup(w, i)))), v), merger[f64, +], "
        "|c, j, y| merge(c, y.$0 * y.$1)))"),
    "a producer and a consumer that may both fail": (
        "|v: vec[f64], w: vec[f64]| result(for(result(for(v, appender[f64], "
        "|b, i, x| merge(b, lookup(w, i)))), merger[f64, +], "
        "|c, j, y| merge(c, y / f64(3L / (3L - j)))))"),
    "a strided view of the result": (
        f"|v: vec[f64]| result(for(iter({MAP}, 0L, 2L, 1L), merger[f64, +], "
        "|c, j, y| merge(c, y)))"),
    "a consumer builder that may fail": (
        f"|v: vec[f64], w: vec[i64]| result(for({MAP}, vecmerger[i64, +](slice(w, 1L, 2L)), "
        "|c, j, y| merge(c, {0L, i64(y)})))"),
    "a map bound to a let that may fail, in a zip": (
        "|v: vec[f64], w: vec[f64]| result(for(zip(v, let k = lookup(w, 5L); "
        "result(for(v, appender[f64], |b, i, x| merge(b, x * k)))), merger[f64, +], "
        "|c, j, y| merge(c, y.$0 - y.$1)))"),
    "the builder passed to a lambda": (
        "|v: vec[f64]| result(for(result(for(v, appender[f64], "
        "|b, i, x| (|a: appender[f64]| merge(a, x))(b))), merger[f64, +], "
        "|c, j, y| merge(c, y)))"),
}


REASONS = {"the filtered index is used": "the consumer uses the index of a filtered vector",
           "a size hint": "the producer's appender has a size hint",
           "zipped with a filtered vector": "zipped with a filtered vector",
           "a zipped producer that may fail": "a zipped producer that may fail",
           "a producer and a consumer that may both fail":
               "the producer and the consumer may both fail",
           "a strided view of the result": "read through a strided iterator",
           "a consumer builder that may fail": "the consumer's builder may fail",
           "a map bound to a let that may fail, in a zip":
               "read through a let whose value may fail",
           "the builder passed to a lambda":
               "the producer's appender flows where fusion does not follow"}


# what is left alone, as the pass leaves it (a zip's vectors by name first)
SORTED = {"zipped with a filtered vector": (
              f"|v: vec[f64]| result(for(zip(v, {FILTER}), merger[f64, +], "
              "|c, j, y| merge(c, y.$1 * y.$0)))"),
          "a zipped producer that may fail": (
              "|v: vec[f64], w: vec[f64]| result(for(zip(v, result(for(v, appender[f64], "
              "|b, i, x| merge(b, lookup(w, i))))), merger[f64, +], "
              "|c, j, y| merge(c, y.$1 * y.$0)))")}


@pytest.mark.parametrize("name", LEFT_ALONE)
def test_left_alone(name):
    text = LEFT_ALONE[name]
    got = fused(text)
    assert same_program(got, SORTED.get(name, text)), name
    assert loop_notes(got, "materialized") == [REASONS[name]]


def test_a_map_read_through_a_lookup_that_may_be_out_of_range_stays_materialised():
    """(Computed in place, an index out of range would raise nothing.)"""
    text = ("|v: vec[f64]| let m = result(for(v, appender[f64], |b, i, x| merge(b, x * 2.0))); "
            "result(for(rangeiter(0L, 3L, 1L), merger[f64, +], "
            "|c, j, y| merge(c, lookup(m, j * 2L))))")
    assert same_program(fused(text), text)


def test_a_let_bound_vector_used_whole_stays_materialised():
    text = (f"|v: vec[f64]| let m = {MAP}; "
            "{result(for(m, merger[f64, +], |c, j, y| merge(c, y))), len(m)}")
    assert same_program(fused(text), text)


@pytest.mark.parametrize("name", ["a zipped producer that may fail",
                                  "a producer and a consumer that may both fail"])
def test_failing_bodies_report_the_first_error_as_before(name):
    program = compile(LEFT_ALONE[name])
    v, w = np.arange(6.0), np.arange(4.0)  # the producer fails at element 4, the consumer at 3
    # (interleaved, the consumer's error would come first)
    for selection in (False, ["fuse_vertical"]):
        with weldpy.config(backend="interp", optimize=selection):
            with pytest.raises(weldpy.WeldError, match="lookup.*index 4"):
                program(v, w)


def test_zipped_vectors_of_different_lengths_still_raise():
    program = compile(f"|v: vec[f64], w: vec[f64]| result(for(zip({MAP}, w), merger[f64, +], "
                      "|c, j, y| merge(c, y.$0 * y.$1)))")
    for backend in ("interp", "llvm"):
        with weldpy.config(backend=backend, optimize=["fuse_vertical"]):
            with pytest.raises(weldpy.WeldError, match="zipped iterators have different length"):
                program(np.arange(3.0), np.arange(4.0))


def test_a_chain_of_ten_maps_and_a_sum_is_one_loop_allocating_nothing():
    stages = "v"
    for k in range(10):
        stages = f"result(for({stages}, appender[f64], |b, i, x| merge(b, x * 1.5 + {k}.0)))"
    program = compile(f"|v: vec[f64]| result(for({stages}, merger[f64, +], "
                      f"|b, i, x| merge(b, x)))")
    v = np.linspace(-1.0, 1.0, 10_000)
    want = v.copy()
    for k in range(10):
        want = want * 1.5 + k
    for backend in ("interp", "llvm"):
        with weldpy.config(backend=backend, optimize=["fuse_vertical"], threads=1):
            weldpy.stats(reset=True)
            got = program(v)
            counters = weldpy.stats()
        np.testing.assert_allclose(got, want.sum(), rtol=1e-12)
        if backend == "llvm":
            assert counters["loops_executed"] == 1 and counters["bytes_allocated"] == 0


# (backend, threads, optimize) of the generated runs: the pass alone, and the whole pipeline
RUNS = (("interp", 1, ["fuse_vertical"]), ("llvm", 1, ["fuse_vertical"]),
        ("llvm", 2, ["fuse_vertical"]), ("interp", 1, True), ("llvm", 2, True))


# --- generated chains ----------------------------------------------------------------------
STAGES = {
    "map": "merge(b, {e})",
    "filter": "if({c}, merge(b, x), b)",
    "map filter": "if({c}, merge(b, {e}), b)",
    "flatten": "merge(merge(b, x), {e})",
}
EXPRS = ["x * 2.0", "x + 1.0", "-x", "x * x - 3.0", "x / 4.0", "f64(i) + x"]
CONDS = ["x > 0.0", "x < 1.0", "x * x > 2.0", "i % 2L == 0L"]
ENDS = {
    "sum": ("merger[f64, +]", "merge(b, x)"),
    "max": ("merger[f64, max]", "merge(b, x)"),
    "collect": ("appender[f64]", "merge(b, x)"),
    "indexed": ("appender[f64]", "merge(b, x + f64(i))"),
    "count by sign": ("dictmerger[bool, i64, +]", "merge(b, {x > 0.0, 1L})"),
}


@st.composite
def chains(draw):
    text = "v"
    for _ in range(draw(st.integers(1, 4))):
        shape = STAGES[draw(st.sampled_from(sorted(STAGES)))]
        body = shape.format(e=draw(st.sampled_from(EXPRS)), c=draw(st.sampled_from(CONDS)))
        text = f"result(for({text}, appender[f64], |b, i, x| {body}))"
    builder, merge = ENDS[draw(st.sampled_from(sorted(ENDS)))]
    values = draw(st.lists(st.sampled_from([-2.5, -1.0, -0.0, 0.0, 0.5, 1.0, 3.0, 7.25]),
                           max_size=12))
    return f"|v: vec[f64]| result(for({text}, {builder}, |b, i, x| {merge}))", values


@settings(max_examples=60, deadline=None)
@given(chains())
def test_generated_chains_mean_the_same_fused(chain):
    text, values = chain
    program, v = compile(text), np.array(values, dtype=np.float64)
    loops = [n for n in preorder(fuse_vertical.run(program.expr)) if isinstance(n, E.For)]
    # every stage fuses, except into a consumer that needs the index of a filtered vector
    assert len(loops) == 1 or "f64(i)" in text or "i % 2L" in text
    with weldpy.config(backend="interp", optimize=False):
        want = program(v)
    for backend, threads, selection in RUNS:
        with weldpy.config(backend=backend, optimize=selection, threads=threads,
                           grain=1):
            got = program(v)
        assert_same(got, want, loose="merger[f64, +]" in text)


@st.composite
def zipped_chains(draw):
    """Two chains over ``v`` zipped by a consumer (unequal lengths when a side filters: both
    forms then raise); the left one sometimes bound by a let and read by a second loop."""
    sides = []
    for _ in range(2):
        text = "v"
        for _ in range(draw(st.integers(0, 3))):
            shape = STAGES[draw(st.sampled_from(["map", "map", "map", "map filter"]))]
            body = shape.format(e=draw(st.sampled_from(EXPRS)), c=draw(st.sampled_from(CONDS)))
            text = f"result(for({text}, appender[f64], |b, i, x| {body}))"
        sides.append(text)
    op = draw(st.sampled_from(["+", "-", "*"]))
    builder, merge = ENDS[draw(st.sampled_from(sorted(ENDS)))]
    merge = merge.replace("x", f"(x.$0 {op} x.$1)")
    def consumer(left):
        return f"result(for(zip({left}, {sides[1]}), {builder}, |b, i, x| {merge}))"

    if draw(st.booleans()):
        text = (f"|v: vec[f64]| let m = {sides[0]}; {{{consumer('m')}, "
                "result(for(m, merger[f64, +], |b, i, x| merge(b, x)))}")
    else:
        text = f"|v: vec[f64]| {consumer(sides[0])}"
    values = draw(st.lists(st.sampled_from([-2.5, -1.0, -0.0, 0.0, 0.5, 1.0, 3.0, 7.25]),
                           max_size=12))
    return text, values


@settings(max_examples=60, deadline=None)
@given(zipped_chains())
def test_generated_zips_mean_the_same_fused(case):
    text, values = case
    program, v = compile(text), np.array(values, dtype=np.float64)
    with weldpy.config(backend="interp", optimize=False):
        try:
            want = program(v)
        except weldpy.WeldError as exc:  # zipped vectors of different lengths
            want = type(exc)
    if "if(" not in text:  # maps only: every loop fuses, the let's vector included
        loops = [n for n in preorder(fuse_vertical.run(program.expr)) if isinstance(n, E.For)]
        assert len(loops) == (2 if "let m" in text else 1)
    for backend, threads, selection in RUNS:
        with weldpy.config(backend=backend, optimize=selection, threads=threads,
                           grain=1):
            if isinstance(want, type):
                with pytest.raises(want):
                    program(v)
                continue
            got = program(v)
        assert_same(got, want, loose="merger[f64, +]" in text)


def test_a_long_chain_fuses_into_loops_of_bounded_size():
    ops = 600  # ~4,800 nodes: three or four loops of at most MAX_FUSED_NODES
    src = "v"
    for k in range(ops):
        src = (f"result(for(zip({src}, v), appender[f64], |b, i, x| merge(b, x.$0 * x.$1)))"
               if k % 3 == 0 else
               f"result(for({src}, appender[f64], |b, i, x| merge(b, x * 0.5 + {k}.0)))")
    program = compile(f"|v: vec[f64]| result(for({src}, merger[f64, max], "
                      "|b, i, x| merge(b, x)))")
    loops = [n for n in preorder(fuse_vertical.run(program.expr)) if isinstance(n, E.For)]
    sizes = [sum(1 for _ in preorder(loop.func)) for loop in loops]
    assert 2 <= len(loops) <= 6 and max(sizes) <= fuse_vertical.MAX_FUSED_NODES * 1.1
    assert "too large to compile" in loop_notes(loops[0], "materialized")[0]
    v = np.linspace(-1.0, 1.0, 7)
    with weldpy.config(backend="interp", optimize=False):
        want = program(v)
    with weldpy.config(backend="interp", optimize=["fuse_vertical"]):
        assert_same(program(v), want, loose=False)
