"""Floating lets out of let values (``weldpy.ir.passes.floating``, run before vertical
fusion): golden programs, names it must rename, and generated programs (errors included)
whose outcomes stay the same."""

import pytest
from hypothesis import given, settings

from tests.ir.pass_checks import assert_golden, check_keeps_meaning, risky_programs
from tests.strategies import programs
from weldpy.ir.parser import parse
from weldpy.ir.passes.floating import float_lets

GOLDEN = {
    "a let in a let's value": (
        "|a: i64| let t = (let x = a + 1L; x * 2L); t - a",
        "|a: i64| let x = a + 1L; let t = x * 2L; t - a"),
    "the body reads another x: renamed": (
        "|a: i64, x: i64| let t = (let x = a + 1L; x * 2L); t - x",
        "|a: i64, x: i64| let y = a + 1L; let t = y * 2L; t - x"),
    "several, in order": (
        "|a: i64| let t = (let x = a + 1L; let y = x * 3L; y - x); t",
        "|a: i64| let x = a + 1L; let y = x * 3L; let t = y - x; t"),
    "a value that may fail floats too (evaluated first all the same)": (
        "|v: vec[i64]| let t = (let x = lookup(v, 3L); x + 1L); t * t",
        "|v: vec[i64]| let x = lookup(v, 3L); let t = x + 1L; t * t"),
    "a name bound again inside stays": (
        "|a: i64| let t = (let x = a + 1L; let x = x * 2L; x); t",
        "|a: i64| let t = (let x = a + 1L; let x = x * 2L; x); t"),
}


@pytest.mark.parametrize("name", GOLDEN)
def test_golden(name):
    before, after = GOLDEN[name]
    assert_golden(float_lets, before, after)


@given(programs())
def test_generated_programs_keep_their_answers(prog):
    check_keeps_meaning(float_lets, prog.expr, prog.args)


@settings(max_examples=80)
@given(risky_programs())
def test_generated_programs_keep_their_errors(case):
    text, args = case
    check_keeps_meaning(float_lets, parse(text), args)
