"""Inlining (``weldpy.ir.passes.inline``): golden before/after programs, the programs it must
leave alone (a value that may raise stays where its guard protects it), the order of errors,
and generated programs whose answers are the same before and after it, on the interpreter and
on the llvm backend."""

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
from weldpy.config import settings as current_settings
from weldpy.errors import WeldValueError
from weldpy.ir import exprs as E
from weldpy.ir import passes
from weldpy.ir.alpha import alpha_equivalent
from weldpy.ir.parser import parse
from weldpy.ir.passes import inline
from weldpy.ir.traverse import preorder
from weldpy.ir.typecheck import typecheck

SUM = "merger[i64, +]"

GOLDEN = {
    "used once": (
        "|x: i64| let y = x + 1L; y * 2L",
        "|x: i64| (x + 1L) * 2L"),
    "a lookup evaluated first": (
        "|v: vec[i64]| let y = lookup(v, 0L); y + 1L",
        "|v: vec[i64]| lookup(v, 0L) + 1L"),
    "a division evaluated first": (
        "|x: i64, d: i64| let q = x / d; q + x",
        "|x: i64, d: i64| (x / d) + x"),
    "a value that cannot raise, into a branch": (
        "|v: vec[i64], a: i64| let y = a * 2L; if(len(v) > 5L, y, 0L)",
        "|v: vec[i64], a: i64| if(len(v) > 5L, a * 2L, 0L)"),
    "names and literals, at every use": (
        "|x: i64| let k = 3L; let y = x; (y * k) + (y - k)",
        "|x: i64| (x * 3L) + (x - 3L)"),
    "rebinding one name": (
        "|x: i64| let a = x; let a = a + 1L; let a = a * 2L; a",
        "|x: i64| (x + 1L) * 2L"),
    "unused values that cannot raise": (
        "|x: i64| let y = x + 1L; let z = {x, y}; let f = |e: i64| e / 0L; x",
        "|x: i64| x"),
    "a lambda into the loop": (
        f"|v: vec[i64]| let f = |b: {SUM}, i: i64, e: i64| merge(b, e + 1L); "
        f"result(for(v, {SUM}, f))",
        f"|v: vec[i64]| result(for(v, {SUM}, |b: {SUM}, i: i64, e: i64| merge(b, e + 1L)))"),
    "a lambda applied to arguments": (
        "|x: i64| (|a: i64, b: i64| a * b)(x + 1L, 2L)",
        "|x: i64| (x + 1L) * 2L"),
    "a lambda applied in a loop body": (
        f"|v: vec[i64]| let f = |a: i64| a * 3L; "
        f"result(for(v, {SUM}, |b, i, e| merge(b, f(e))))",
        f"|v: vec[i64]| result(for(v, {SUM}, |b, i, e| merge(b, e * 3L)))"),
    "a builder bound once": (
        "|v: vec[i64]| let b0 = appender[i64]; result(for(v, b0, |b, i, e| merge(b, e)))",
        "|v: vec[i64]| result(for(v, appender[i64], |b, i, e| merge(b, e)))"),
    "merges chained in a loop body": (
        "|v: vec[i64]| result(for(v, appender[i64], "
        "|b, i, e| let b1 = merge(b, e); merge(b1, e * 2L)))",
        "|v: vec[i64]| result(for(v, appender[i64], |b, i, e| merge(merge(b, e), e * 2L)))"),
    "no capture by a later let": (
        "|x: i64, y: i64| let a = x + y; let x = 5L; a * x",
        "|x: i64, y: i64| (x + y) * 5L"),
    "no capture by a loop's parameter": (
        f"|v: vec[i64], k: i64| let g = |e: i64| e + k; "
        f"result(for(v, {SUM}, |b, k, e| merge(b, g(e) * k)))",
        f"|v: vec[i64], k: i64| result(for(v, {SUM}, |b, j, e| merge(b, (e + k) * j)))"),
    "no capture by an argument": (
        "|x: i64, y: i64| (|y: i64, z: i64| y - z)(x, y)",
        "|x: i64, y: i64| x - y"),
    "a value moved into another that then stays out of a branch": (
        "|v: vec[i64], c: bool| let a = lookup(v, 9L); let b = a + 1L; if(c, b, 0L)",
        "|v: vec[i64], c: bool| let b = lookup(v, 9L) + 1L; if(c, b, 0L)"),
    "a lookup after another, in two rounds": (
        "|v: vec[i64]| let y = lookup(v, 1L); let z = lookup(v, 2L); y + z",
        "|v: vec[i64]| lookup(v, 1L) + lookup(v, 2L)"),
}


@pytest.mark.parametrize("name", GOLDEN)
def test_golden(name):
    before, after = GOLDEN[name]
    assert_golden(inline.run, before, after)


LEFT_ALONE = {
    "a lookup behind a guard": (
        "|v: vec[i64], a: i64| let y = lookup(v, a); if(a < len(v), y, 0L)"),
    "a division behind &&": "|x: i64, d: i64| let q = x / d; (d != 0L) && (q > 1L)",
    "a lookup after another that may raise": (
        "|v: vec[i64]| let y = lookup(v, 1L); lookup(v, 2L) + y"),
    "a lookup into a loop body": (
        f"|v: vec[i64]| let y = lookup(v, 0L); result(for(v, {SUM}, |b, i, e| merge(b, e + y)))"),
    "a computed value into a loop body": (
        f"|v: vec[i64], a: i64| let y = a * a; result(for(v, {SUM}, |b, i, e| merge(b, e + y)))"),
    "a value used twice": "|x: i64| let y = x * 3L; y + y",
    "an unused lookup": "|v: vec[i64]| let y = lookup(v, 3L); 1L",
    "an unused division": "|x: i64| let y = 1L / x; 2L",
    "an unused merge into a vecmerger": (
        "|v: vec[i64]| let b = merge(vecmerger[i64, +](v), {5L, 1L}); len(v)"),
    "an unused iterate": "|x: i64| let y = iterate(x, |s: i64| {s + 1L, s < 10L}); 1L",
    "a builder used in both branches": (
        "|c: bool| let b = merge(appender[i64], 1L); if(c, result(b), result(merge(b, 2L)))"),
    "a lambda used twice": "|x: i64| let f = |a: i64| a + 1L; f(x) * f(2L)",
    "the loop's zip check before the builder": (
        "|v: vec[i64], w: vec[i64]| let y = lookup(v, 0L); "
        "result(for(zip(v, w), merger[i64, +](y), |b, i, e| merge(b, e.$0)))"),
}


@pytest.mark.parametrize("name", LEFT_ALONE)
def test_left_alone(name):
    text = LEFT_ALONE[name]
    assert_golden(inline.run, text, text)


# (program, arguments): the first error must stay the first, a guarded one must stay guarded
ERRORS = [
    ("|v: vec[i64], a: i64| let y = lookup(v, a); if(a < len(v), y, 0L)",
     (np.array([1, 2]), 9)),
    ("|v: vec[i64]| let y = lookup(v, 1L); lookup(v, 2L) + y", (np.array([7]),)),
    ("|v: vec[i64]| let y = lookup(v, 1L); let z = lookup(v, 2L); z + y", (np.array([7]),)),
    ("|x: i64, d: i64| let q = x / d; (d != 0L) && (q > 1L)", (5, 0)),
    ("|v: vec[i64], c: bool| let a = lookup(v, 9L); let b = a + 1L; if(c, b, 0L)",
     (np.array([1]), False)),
    ("|v: vec[i64], c: bool| let a = lookup(v, 9L); let b = a; 1L", (np.array([1]), False)),
    ("|x: i64| (|a: i64, b: i64| b)(x / 0L, 1L)", (3,)),
]


@pytest.mark.parametrize("text, args", ERRORS)
def test_errors_keep_their_order(text, args):
    check_keeps_meaning(inline.run, parse(text), args)


def test_a_long_let_chain_inlines_without_recursion():
    steps = 10_000
    body = "".join(f"let a = a * 3L + lookup(x, {i % 2}L);\n" for i in range(steps))
    typed = typecheck(parse(f"|x: vec[i64], a: i64|\n{body}a"))
    out = inline.run(typed)
    assert not any(isinstance(n, E.Let) for n in preorder(out))
    assert sum(isinstance(n, E.Lookup) for n in preorder(out)) == steps


@given(programs())
def test_generated_programs_keep_their_answers(prog):
    check_keeps_meaning(inline.run, prog.expr, prog.args)


@settings(max_examples=80)
@given(risky_programs())
def test_generated_programs_keep_their_errors(case):
    text, args = case
    check_keeps_meaning(inline.run, parse(text), args)


@settings(max_examples=20)
@given(programs())
def test_llvm_agrees_on_inlined_programs(prog):
    check_keeps_meaning(inline.run, prog.expr, prog.args, llvm=True)


@settings(max_examples=30)
@given(programs())
def test_generated_programs_keep_their_answers_selected_and_in_the_pipeline(prog):
    for selection in (["inline"], True):
        check_selection(selection, prog.expr, prog.args)


def test_config_selects_inline():
    program = weldpy.ir.compile("|v: vec[i64]| let y = lookup(v, 0L); y + 1L")
    with weldpy.config(backend="interp", optimize=["inline"]):
        assert current_settings().optimize == ("inline",)
        assert program(np.array([4])) == 5
    assert alpha_equivalent(passes.optimize(program.expr, ["inline"]),
                            typecheck(parse("|v: vec[i64]| lookup(v, 0L) + 1L")))


def test_config_rejects_an_unknown_pass():
    with pytest.raises(WeldValueError, match="'inlining'"):
        weldpy.config(optimize=["inlining"])
