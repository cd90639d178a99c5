"""Reading through lets of copies (``weldpy.ir.passes.unpack``, fusion's tidy-up): golden
before/after programs, names shadowed by lets and lambdas, structs still read whole, and
generated let chains of structs of copies whose answers stay the same (interpreter, llvm)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.ir.pass_checks import assert_golden, check_keeps_meaning
from weldpy.ir import exprs as E
from weldpy.ir.parser import parse
from weldpy.ir.passes.unpack import unpack
from weldpy.ir.traverse import preorder
from weldpy.ir.typecheck import typecheck

GOLDEN = {
    "a field of a struct of names": (
        "|a: i64, b: i64| let s = {a, b}; s.$1 - s.$0",
        "|a: i64, b: i64| b - a"),
    "a chain of structs and aliases": (
        "|a: i64, b: f64| let s = {a, b}; let t = s; let u = {t.$1, t.$0, 2L}; "
        "f64(u.$1 + u.$2) + u.$0",
        "|a: i64, b: f64| f64(a + 2L) + b"),
    "a struct read whole keeps its let": (
        "|a: i64, b: i64| let s = {a, b}; {s.$0, s}",
        "|a: i64, b: i64| let s = {a, b}; {a, s}"),
    "an alias of a struct read whole": (
        "|a: i64, b: i64| let s = {a, b}; let t = s; {t.$1, t}",
        "|a: i64, b: i64| let s = {a, b}; let t = s; {b, t}"),
    "a struct of computed values stays": (
        "|a: i64| let s = {a + 1L, a}; s.$0 * s.$1",
        "|a: i64| let s = {a + 1L, a}; s.$0 * s.$1"),
    "a let shadowing a name the struct reads": (
        "|a: i64, b: i64| let s = {a, b}; let a = b * 3L; s.$0 + a",
        "|a: i64, b: i64| let s = {a, b}; let a = b * 3L; s.$0 + a"),
    "a lambda shadowing a name the struct reads": (
        "|v: vec[i64], x: i64| let s = {x, 1L}; "
        "result(for(v, merger[i64, +], |b, i, x| merge(b, s.$0 + x + s.$1)))",
        "|v: vec[i64], x: i64| let s = {x, 1L}; "
        "result(for(v, merger[i64, +], |b, i, x| merge(b, s.$0 + x + s.$1)))"),
    "a lambda shadowing the struct's own name": (
        "|v: vec[i64], a: i64| let x = {a, 2L}; "
        "result(for(v, merger[i64, +], |b, i, x| merge(b, x))) + x.$1",
        "|v: vec[i64], a: i64| result(for(v, merger[i64, +], |b, i, x| merge(b, x))) + 2L"),
    "the fields of a loop's element, through an alias": (
        "|v: vec[i64], w: vec[i64]| result(for(zip(v, w), merger[i64, +], "
        "|b, i, e| let z = {e.$1, e.$0}; let y = z; merge(b, y.$0 - y.$1)))",
        "|v: vec[i64], w: vec[i64]| result(for(zip(v, w), merger[i64, +], "
        "|b, i, e| merge(b, e.$1 - e.$0)))"),
}


@pytest.mark.parametrize("name", GOLDEN)
def test_golden(name):
    before, after = GOLDEN[name]
    assert_golden(unpack, before, after)


def test_types_are_kept():
    """Every node put in place of another has its type: no type check is needed after."""
    typed = typecheck(parse("|a: i64, b: f64| let s = {a, b}; let t = s; f64(t.$0) + t.$1"))
    out = unpack(typed)
    assert all(n.ty is not None for n in preorder(out) if isinstance(n, E.Expr))
    assert not any(isinstance(n, E.Let) for n in preorder(out))


def test_a_long_chain_unpacks_in_one_walk():
    steps = 3000
    text = "|a: i64, b: i64| let s0 = {a, b};\n"
    for k in range(1, steps):
        text += f"let s{k} = {{s{k - 1}.$1, s{k - 1}.$0}};\n"
    out = unpack(typecheck(parse(text + f"s{steps - 1}.$0 - s{steps - 1}.$1")))
    assert str(out).endswith("(b - a)" if (steps - 1) % 2 else "(a - b)")  # (swaps)


# ---- generated let chains of structs of copies, with names bound again and again ----------

NAMES = ("x", "y", "z", "s")


def _copy(draw, scope):
    """An i64 copy: a name, a literal or a field of a pair."""
    ints = [n for n, k in scope.items() if k == "i64"]
    pairs = [n for n, k in scope.items() if k == "pair"]
    choices = ["a", "1L", "-7L", *ints] + [f"{p}.${k}" for p in pairs for k in (0, 1)]
    return draw(st.sampled_from(choices))


def _pair(draw, scope, depth):
    pairs = [n for n, k in scope.items() if k == "pair"]
    form = draw(st.sampled_from(["copies", "copies", "computed"] + ["name"] * bool(pairs)))
    if form == "name":
        return draw(st.sampled_from(pairs))
    if form == "copies":
        return f"{{{_copy(draw, scope)}, {_copy(draw, scope)}}}"
    return f"{{{_int(draw, scope, depth - 1)}, {_copy(draw, scope)}}}"


def _int(draw, scope, depth):
    if depth <= 0:
        return _copy(draw, scope)
    form = draw(st.sampled_from(("copy", "op", "let", "let", "loop")))
    if form == "copy":
        return _copy(draw, scope)
    if form == "op":
        return f"({_int(draw, scope, depth - 1)} + {_int(draw, scope, depth - 1)} * 3L)"
    name = draw(st.sampled_from(NAMES))
    if form == "let":
        if draw(st.booleans()):
            value, kind = _pair(draw, scope, depth), "pair"
        else:
            value, kind = _int(draw, scope, depth - 1), "i64"
        body = _int(draw, {**scope, name: kind}, depth - 1)
        return f"(let {name} = {value}; {body})"
    inner = {**scope, name: "i64"}  # the loop's element shadows ``name``
    return (f"result(for(v, merger[i64, +], |b, i, {name}| "
            f"merge(b, {_int(draw, inner, depth - 1)})))")


@st.composite
def chains(draw):
    depth = draw(st.integers(1, 5))
    scope = {"s": "pair"}
    text = (f"|v: vec[i64], a: i64| let s = {{a, 5L}}; "
            f"{{{_int(draw, scope, depth)}, {_pair(draw, scope, depth)}}}")
    values = draw(st.lists(st.integers(-5, 5), max_size=4))
    return text, (np.array(values, dtype=np.int64), draw(st.integers(-9, 9)))


@settings(max_examples=150)
@given(chains())
def test_generated_chains_keep_their_answers(case):
    text, args = case
    check_keeps_meaning(unpack, parse(text), args)


@settings(max_examples=15)
@given(chains())
def test_llvm_agrees_on_unpacked_chains(case):
    text, args = case
    check_keeps_meaning(unpack, parse(text), args, llvm=True)
