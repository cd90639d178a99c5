"""Checks shared by the tests of the inline and fold passes: golden comparisons, and
differential runs in which a pass must keep a program's meaning, errors included.

``risky_programs()`` generates small programs that, unlike ``tests.strategies.programs()``,
may raise (lookups at any index, integer division by any value) with guards (``if``,
``&&``, ``||``) in front of some of them, names bound again and again (``x``, ``y``, ``z``)
and lambdas applied to arguments, and hostile floats (-0.0, NaN, inf) among the inputs: the
optimised program must give the same value or raise the same error with the same message.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import weldpy
from tests.results import assert_same, reassociates, uses_math_library
from weldpy.errors import WeldError
from weldpy.ir import compile
from weldpy.ir.alpha import alpha_equivalent
from weldpy.ir.parser import parse
from weldpy.ir.typecheck import typecheck


def apply_pass(run, text_or_expr):
    """The typed program after ``run`` (itself typed again, as the pipeline does)."""
    expr = parse(text_or_expr) if isinstance(text_or_expr, str) else text_or_expr
    return typecheck(run(typecheck(expr)))


def assert_golden(run, before: str, after: str) -> None:
    got = apply_pass(run, before)
    want = typecheck(parse(after))
    assert alpha_equivalent(got, want), f"\n got: {got}\nwant: {want}"


def outcome(expr, args, backend: str = "interp"):
    """("value", v) or ("raised", error type, message) of ``expr`` run unoptimised."""
    with weldpy.config(backend=backend, optimize=False, threads=1), \
            np.errstate(all="ignore"):
        try:
            return ("value", compile(expr)(*args))
        except WeldError as exc:
            return ("raised", type(exc), str(exc))


def assert_same_outcome(got, want, loose: bool = False) -> None:
    assert got[0] == want[0], (got, want)
    if want[0] == "value":
        assert_same(got[1], want[1], loose)
    else:
        assert got[1:] == want[1:], (got, want)


def check_keeps_meaning(run, expr, args, llvm: bool = False) -> None:
    """The interpreter gives the same outcome before and after ``run``; with ``llvm``, the
    llvm backend on the optimised program agrees with the interpreter on the original (NaNs
    compared as NaNs: which NaN an operation on two NaNs gives depends on the order of its
    operands, which LLVM may swap)."""
    before = typecheck(expr)
    after = typecheck(run(before))
    want = outcome(before, args)
    assert_same_outcome(outcome(after, args), want)
    if llvm and want[0] == "value" and not uses_math_library(before):
        got = outcome(after, args, "llvm")
        assert got[0] == "value", got
        assert_same(one_nan(got[1]), one_nan(want[1]), loose=reassociates(before))


def check_selection(selection, expr, args) -> None:
    """Under ``weldpy.config(optimize=selection)`` the interpreter gives the answer it gives
    with ``optimize=False``, bit for bit, and the llvm backend agrees with it."""
    program = compile(expr)
    want = outcome(program.expr, args)
    assert want[0] == "value", want
    with weldpy.config(backend="interp", optimize=selection), np.errstate(all="ignore"):
        assert_same(program(*args), want[1], loose=False)
    if not uses_math_library(program.expr):
        with weldpy.config(backend="llvm", optimize=selection, threads=1), \
                np.errstate(all="ignore"):
            got = program(*args)
        assert_same(one_nan(got), one_nan(want[1]), loose=reassociates(program.expr))


def one_nan(value):
    """``value`` with every float NaN replaced by NumPy's NaN (one sign, one payload)."""
    if isinstance(value, dict):
        return {k: one_nan(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(one_nan(v) for v in value)
    if not isinstance(value, (np.ndarray, np.floating)):
        return value
    array = np.array(value)
    if array.dtype.names:
        for name in array.dtype.names:
            array[name] = one_nan(array[name])
    elif array.dtype.kind == "f":
        array[np.isnan(array)] = np.nan
    return array if isinstance(value, np.ndarray) else array[()]


# ---- risky programs -----------------------------------------------------------------------

NAMES = ("x", "y", "z")
INT_LITERALS = ("0L", "1L", "-1L", "2L", "3L", "7L", "-9223372036854775808L")
FLOAT_LITERALS = ("0.0", "-0.0", "1.0", "-1.0", "2.5", "nan", "inf", "-inf")
PARAMS = "|v: vec[i64], a: i64, f: f64, c: bool|"


def _leaf(draw, names, kind):
    scope = [n for n, k in names.items() if k == kind]
    if scope and draw(st.booleans()):  # bound names often, so that lets get used
        return draw(st.sampled_from(scope))
    base = {"i64": ["a", *INT_LITERALS], "f64": ["f", *FLOAT_LITERALS],
            "bool": ["c", "true", "false"]}[kind]
    return draw(st.sampled_from(base))


def _i64(draw, names, depth):
    if depth <= 0:
        return _leaf(draw, names, "i64")
    d = depth - 1
    form = draw(st.sampled_from(("leaf", "op", "op", "div", "lookup", "if", "select", "let",
                                 "guarded", "ordered", "apply", "loop", "filter", "neg",
                                 "cast")))
    sub = lambda kind="i64": _expr(draw, names, d, kind)  # noqa: E731
    return {
        "leaf": lambda: _leaf(draw, names, "i64"),
        "op": lambda: f"({sub()} {draw(st.sampled_from('+-*&|'))} {sub()})",
        "div": lambda: f"({sub()} {draw(st.sampled_from('/%'))} {sub()})",
        "lookup": lambda: f"lookup(v, {sub()})",
        "if": lambda: f"if({sub('bool')}, {sub()}, {sub()})",
        "select": lambda: f"select({sub('bool')}, {sub()}, {sub()})",
        "let": lambda: _let(draw, names, d, "i64"),
        "guarded": lambda: _guarded(draw, names, d),
        "ordered": lambda: _ordered(draw, names, d),
        "apply": lambda: _apply(draw, names, d),
        "loop": lambda: _loop(draw, names, d),
        "filter": lambda: (f"len(result(for(v, appender[i64], |b, i, x| "
                           f"if({_expr(draw, {**names, 'x': 'i64'}, d, 'bool')}, "
                           f"merge(b, x), b))))"),
        "neg": lambda: f"-({sub()})",
        "cast": lambda: f"i64({sub('f64')})",
    }[form]()


def _f64(draw, names, depth):
    if depth <= 0:
        return _leaf(draw, names, "f64")
    d = depth - 1
    form = draw(st.sampled_from(("leaf", "op", "op", "minmax", "if", "select", "let", "neg",
                                 "cast")))
    sub = lambda kind="f64": _expr(draw, names, d, kind)  # noqa: E731
    return {
        "leaf": lambda: _leaf(draw, names, "f64"),
        "op": lambda: f"({sub()} {draw(st.sampled_from('+-*/'))} {sub()})",
        "minmax": lambda: f"{draw(st.sampled_from(('min', 'max')))}({sub()}, {sub()})",
        "if": lambda: f"if({sub('bool')}, {sub()}, {sub()})",
        "select": lambda: f"select({sub('bool')}, {sub()}, {sub()})",
        "let": lambda: _let(draw, names, d, "f64"),
        "neg": lambda: f"-({sub()})",
        "cast": lambda: f"f64({sub('i64')})",
    }[form]()


def _bool(draw, names, depth):
    if depth <= 0:
        return _leaf(draw, names, "bool")
    d = depth - 1
    form = draw(st.sampled_from(("leaf", "cmp", "fcmp", "and", "or", "not", "bits", "let")))
    sub = lambda kind="bool": _expr(draw, names, d, kind)  # noqa: E731
    cmp = draw(st.sampled_from(("<", "==", "!=", ">=")))
    return {
        "leaf": lambda: _leaf(draw, names, "bool"),
        "cmp": lambda: f"({sub('i64')} {cmp} {sub('i64')})",
        "fcmp": lambda: f"({sub('f64')} {cmp} {sub('f64')})",
        "and": lambda: f"({sub()} && {sub()})",
        "or": lambda: f"({sub()} || {sub()})",
        "not": lambda: f"!({sub()})",
        "bits": lambda: f"({sub()} {draw(st.sampled_from('&|^'))} {sub()})",
        "let": lambda: _let(draw, names, d, "bool"),
    }[form]()


_KINDS = {"i64": _i64, "f64": _f64, "bool": _bool}


def _expr(draw, names, depth, kind):
    return _KINDS[kind](draw, names, depth)


def _let(draw, names, depth, kind):
    name = draw(st.sampled_from(NAMES))
    vkind = draw(st.sampled_from(tuple(_KINDS)))
    value = _expr(draw, names, depth, vkind)
    return f"(let {name} = {value}; {_expr(draw, {**names, name: vkind}, depth, kind)})"


def _risky(draw, names, depth):
    """A lookup or an integer division that may raise."""
    index = _expr(draw, names, depth, "i64")
    if draw(st.booleans()):
        return f"lookup(v, {index})"
    return f"({_expr(draw, names, depth, 'i64')} {draw(st.sampled_from('/%'))} {index})"


def _guarded(draw, names, depth):
    """A value that may raise, bound, then used behind a guard."""
    name = draw(st.sampled_from(NAMES))
    value = _risky(draw, names, depth)
    inner = {**names, name: "i64"}  # the guard and both branches are in the let's scope
    guard = draw(st.sampled_from(("a < len(v)", "a != 0L", "c")) | st.just(
        _expr(draw, inner, depth, "bool")))
    use = _expr(draw, inner, depth, "i64")
    other = _expr(draw, inner, depth, "i64")
    body = draw(st.sampled_from((f"if({guard}, {use}, {other})",
                                 f"if(({guard}) && ({use} > 0L), 1L, {other})")))
    return f"(let {name} = {value}; {body})"


def _ordered(draw, names, depth):
    """A value that may raise, bound, then used after another that may raise."""
    name = draw(st.sampled_from(NAMES))
    first = _risky(draw, names, depth)
    second = _risky(draw, {**names, name: "i64"}, depth)
    return f"(let {name} = {first}; ({second} + {name}))"


def _apply(draw, names, depth):
    name = draw(st.sampled_from(NAMES))
    body = _expr(draw, {**names, name: "i64"}, depth, "i64")
    return f"((|{name}: i64| {body})({_expr(draw, names, depth, 'i64')}))"


def _loop(draw, names, depth):
    index, elem = draw(st.permutations(NAMES))[:2]
    inner = {**names, index: "i64", elem: "i64"}
    return (f"result(for(v, merger[i64, +], |b, {index}, {elem}| "
            f"merge(b, {_expr(draw, inner, depth, 'i64')})))")


@st.composite
def risky_programs(draw, depth: int = 4):
    """(program text, arguments): a ``{i64, f64, bool}`` of generated expressions."""
    body = ", ".join(_expr(draw, {}, depth, kind) for kind in ("i64", "f64", "bool"))
    v = np.array(draw(st.lists(st.sampled_from([0, 1, 2, -1, 5]), max_size=4)),
                 dtype=np.int64)
    a = draw(st.sampled_from([0, 1, -1, 2, 3, 9, -2**63, 2**63 - 1]))
    f = draw(st.sampled_from([0.0, -0.0, 1.0, -2.5, np.nan, np.inf, -np.inf, 1e308]))
    return f"{PARAMS} {{{body}}}", (v, a, f, draw(st.booleans()))
