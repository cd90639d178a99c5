"""Constant folding and algebraic simplification (``weldpy.ir.passes.fold``): golden
before/after programs, the programs it must leave alone, folded literals bit for bit equal to
what the interpreter computes for every kind and operator, identities checked on hostile
values (-0.0, NaN, infinities, the extreme integers), and generated programs whose answers
and errors are the same before and after it, on the interpreter and on the llvm backend."""

import numpy as np
import pytest
from hypothesis import given, settings

import weldpy
from tests.gen_values import float_edges, float_specials
from tests.ir.pass_checks import (
    apply_pass,
    assert_golden,
    check_keeps_meaning,
    check_selection,
    risky_programs,
)
from tests.strategies import programs
from weldpy.backends.interp.evaluator import Interpreter
from weldpy.config import settings as current_settings
from weldpy.errors import WeldError, WeldValueError, WeldZeroDivisionError
from weldpy.ir import exprs as E
from weldpy.ir import passes
from weldpy.ir import types as T
from weldpy.ir.alpha import alpha_equivalent
from weldpy.ir.exprs import BinKind as B
from weldpy.ir.exprs import UnaryKind as U
from weldpy.ir.parser import parse
from weldpy.ir.passes import fold
from weldpy.ir.printer import pretty
from weldpy.ir.typecheck import typecheck
from weldpy.ir.types import ScalarKind as K

GOLDEN = {
    "literals": ("|x: i32| (2 + 3) * x", "|x: i32| 5 * x"),
    "integer units": ("|x: i64| ((x * 1L) + 0L) - 0L", "|x: i64| x"),
    "float units": ("|x: f64| ((x * 1.0) + -0.0) / 1.0 - 0.0", "|x: f64| x"),
    "f32 units": ("|x: f32| (1.0F * x) + -0.0F", "|x: f32| x"),
    "bit units": ("|x: u32| ((x & 4294967295u) | 0u) ^ 0u", "|x: u32| x"),
    "shifts by zero": ("|x: i16| (x << 0si) >> 0si", "|x: i16| x"),
    "min and max units": ("|x: f64| max(min(x, inf), -inf)", "|x: f64| x"),
    "bool units": ("|c: bool| (c && true) || false", "|c: bool| c"),
    "absorbing integers": ("|x: i32| (x * 0) + 1", "|x: i32| 1"),
    "absorbing bits": ("|x: i8| (x | -1C) & (x & 0C)", "|x: i8| 0C"),
    "absorbing min": ("|x: i32| min(x, -2147483648)", "|x: i32| -2147483648"),
    "short circuits": (
        "|v: vec[i64]| (false && lookup(v, 5L) > 0L) || (true || lookup(v, 6L) > 0L)",
        "|v: vec[i64]| true"),
    "double negation": ("|x: i32, c: bool| {-(-(x)), !(!(c))}", "|x: i32, c: bool| {x, c}"),
    "wrap-around": ("|x: i32| x + (2147483647 + 1)", "|x: i32| x + -2147483648"),
    "unsigned wrap-around": ("|x: u8| x + (0ub - 1ub)", "|x: u8| x + 255ub"),
    "truncating division": ("|x: i64| {x + -7L / 2L, x + -7L % 2L}",
                            "|x: i64| {x + -3L, x + -1L}"),
    "INT_MIN / -1": ("|x: i32| x + (-2147483648 / -1)", "|x: i32| x + -2147483648"),
    "f32 rounding": ("|x: f32| x * (100000000.0F + 1.0F)", "|x: f32| x * 100000000.0F"),
    "casts of literals": ("|x: u8| {x + u8(300), f32(0.1), i32(-2.7)}",
                          "|x: u8| {x + 44ub, 0.1F, -2}"),
    "a cast to the same type": ("|x: i64| i64(x) + 1L", "|x: i64| x + 1L"),
    "comparisons of literals": ("|x: f64| if(nan == nan, x, -x)", "|x: f64| -x"),
    "if on a literal": ("|v: vec[i64]| if(true, 1L, lookup(v, 9L))", "|v: vec[i64]| 1L"),
    "select on a literal": ("|x: i64| select(false, x * 2L, x)", "|x: i64| x"),
    "a field of a struct literal": ("|x: i64| {x, x + 1L}.$1", "|x: i64| x + 1L"),
    "inside loop bodies": (
        "|v: vec[i64]| result(for(v, merger[i64, +], |b, i, e| merge(b, e * (1L + 1L))))",
        "|v: vec[i64]| result(for(v, merger[i64, +], |b, i, e| merge(b, e * 2L)))"),
    "math functions": ("|x: f64| x + sqrt(4.0)", "|x: f64| x + 2.0"),
}


@pytest.mark.parametrize("name", GOLDEN)
def test_golden(name):
    before, after = GOLDEN[name]
    assert_golden(fold.run, before, after)


LEFT_ALONE = {
    "division by zero": "|x: i32| x + 7 / 0",
    "remainder by zero": "|x: u64| x + 7ul % 0ul",
    "x + 0.0 (-0.0 + 0.0 is 0.0)": "|x: f64| x + 0.0",
    "0.0 + x": "|x: f32| 0.0F + x",
    "x - -0.0": "|x: f64| x - -0.0",
    "x * 0.0 (NaN, inf, -0.0)": "|x: f64| x * 0.0",
    "x * -1.0 (the sign of NaN)": "|x: f64| x * -1.0",
    "min with a float's smallest (NaN)": "|x: f64| min(x, -inf)",
    "a product with zero that may raise": "|v: vec[i64]| lookup(v, 0L) * 0L",
    "&& false after what may raise": "|v: vec[i64]| (lookup(v, 5L) > 0L) && false",
    "select evaluates both": "|x: i64, v: vec[i64]| select(true, x, lookup(v, 9L))",
    "a field beside what may raise": "|x: i64, v: vec[i64]| {x, lookup(v, 0L)}.$0",
    "a cast that changes the type": "|x: i32| i64(x)",
    "compare": "|x: i32| compare(1, 2) + x",
}


@pytest.mark.parametrize("name", LEFT_ALONE)
def test_left_alone(name):
    text = LEFT_ALONE[name]
    assert_golden(fold.run, text, text)


# ---- every operator on special literals, against the interpreter --------------------------

def _specials(kind: K) -> list:
    if kind is K.BOOL:
        return [False, True]
    if kind.is_float:
        return list(dict.fromkeys([*float_specials(kind), *float_edges(kind), 1.0, -1.0, 2.5]))
    info = np.iinfo(kind.dtype)
    return sorted({0, 1, 2, 7, info.max, info.min, *([-1, -7] if info.min else [])})


_BINARY = {
    "int": (B.ADD, B.SUB, B.MUL, B.DIV, B.MOD, B.BAND, B.BOR, B.XOR, B.SHL, B.SHR, B.MIN,
            B.MAX, B.EQ, B.LT, B.GE),
    "float": (B.ADD, B.SUB, B.MUL, B.DIV, B.MOD, B.MIN, B.MAX, B.POW, B.ATAN2, B.HYPOT,
              B.EQ, B.NE, B.LT),
    "bool": (B.BAND, B.BOR, B.XOR, B.LAND, B.LOR, B.MIN, B.MAX, B.EQ, B.NE),
}
_UNARY = {
    "int": (U.NEG, U.ABS, U.SIGN),
    "float": tuple(u for u in U if u is not U.NOT),
    "bool": (U.NOT,),
}


def _family(kind: K) -> str:
    return "bool" if kind is K.BOOL else "float" if kind.is_float else "int"


def _bits(value) -> bytes:
    return np.asarray(value).tobytes()


def _check_folded(expr: E.Expr) -> None:
    """``expr`` (literals only) folds to the literal the interpreter computes, or stays and
    raises when run."""
    typed = typecheck(expr)
    try:
        want = Interpreter().eval(typed, {})
    except WeldError:
        assert fold.run(typed) is typed, pretty(expr)
        return
    got = fold.run(typed)
    assert isinstance(got, E.Literal), pretty(expr)
    assert got.kind.dtype == np.asarray(want).dtype, pretty(expr)
    assert _bits(got.kind.dtype.type(got.value)) == _bits(want), (pretty(expr), got, want)


@pytest.mark.parametrize("kind", list(K), ids=lambda k: k.value)
def test_literal_operators_fold_as_the_interpreter_computes(kind):
    lits = [E.Literal(kind, v) for v in _specials(kind)]
    for op in _BINARY[_family(kind)]:
        for a in lits:
            for b in lits:
                _check_folded(E.BinOp(op, a, b))
    for op in _UNARY[_family(kind)]:
        for a in lits:
            _check_folded(E.UnaryOp(op, a))
    for target in K:
        for a in lits:
            _check_folded(E.Cast(target, a))


@pytest.mark.parametrize("kind", list(K), ids=lambda k: k.value)
def test_identities_hold_on_hostile_values(kind):
    """``x op lit`` and ``lit op x`` for every operator and special literal: folding keeps
    the answer (or the error) for every special ``x``, in a loop over all of them."""
    xs = np.array(_specials(kind), dtype=kind.dtype)
    ty = kind.value
    for op in _BINARY[_family(kind)]:
        for lit in _specials(kind):
            text = pretty(E.Literal(kind, lit))
            call = op in E.FUNCTION_BINKINDS
            for left, right in (("x", text), (text, "x")):
                value = f"{op.value}({left}, {right})" if call else f"({left} {op.value} {right})"
                rty = "bool" if op in E.COMPARISON_BINKINDS else ty
                program = parse(f"|xs: vec[{ty}]| result(for(xs, appender[{rty}], "
                                f"|b, i, x| merge(b, {value})))")
                check_keeps_meaning(fold.run, program, (xs,))


# ---- generated programs ---------------------------------------------------------------------

@given(programs())
def test_generated_programs_keep_their_answers(prog):
    check_keeps_meaning(fold.run, prog.expr, prog.args)


@settings(max_examples=80)
@given(risky_programs())
def test_generated_programs_keep_their_errors(case):
    text, args = case
    check_keeps_meaning(fold.run, parse(text), args)


@settings(max_examples=20)
@given(programs())
def test_llvm_agrees_on_folded_programs(prog):
    check_keeps_meaning(fold.run, prog.expr, prog.args, llvm=True)


def test_folding_a_deep_expression_does_not_recurse():
    text = "|x: i64| " + "(" * 20_000 + "x" + "".join(" + 0L)" for _ in range(20_000))
    assert alpha_equivalent(apply_pass(fold.run, text), typecheck(parse("|x: i64| x")))


@settings(max_examples=30)
@given(programs())
def test_generated_programs_keep_their_answers_selected_and_in_the_pipeline(prog):
    for selection in (["fold"], True):
        check_selection(selection, prog.expr, prog.args)


def test_config_selects_fold():
    program = weldpy.ir.compile("|x: i64| (x * 1L) + 7L / 0L")
    with weldpy.config(backend="interp", optimize=["fold"]):
        assert current_settings().optimize == ("fold",)
        with pytest.raises(WeldZeroDivisionError):
            program(1)
    assert alpha_equivalent(passes.optimize(program.expr, ["fold"]),
                            typecheck(parse("|x: i64| x + 7L / 0L")))


def test_config_rejects_an_unknown_pass():
    with pytest.raises(WeldValueError, match="'folding'"):
        weldpy.config(optimize=["folding"])


def test_new_literals_are_typed():
    out = fold.run(typecheck(parse("|x: i64| x + (1L + 2L)")))
    assert out.body.right.ty == T.I64
