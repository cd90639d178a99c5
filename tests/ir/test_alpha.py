"""Alpha-equivalence and canonical naming of bound variables."""

import pytest

from weldpy.ir import exprs as E
from weldpy.ir.alpha import alpha_equivalent, canonical
from weldpy.ir.parser import parse
from weldpy.ir.printer import pretty
from weldpy.ir.traverse import free_vars
from weldpy.ir.types import I32

EQUIVALENT = [
    ("x", "x"),
    ("|a| a + y", "|b| b + y"),
    ("|a, b| a - b", "|b, a| b - a"),
    ("let a = 1; a", "let z = 1; z"),
    ("let a = 1; let a = a + 1; a", "let p = 1; let q = p + 1; q"),
    ("|a| |b| a", "|b| |a| b"),
    ("|a| (|a| a)(a)", "|p| (|q| q)(p)"),
    ("for(v, appender, |b, i, e| merge(b, e))", "for(v, appender, |x, y, z| merge(x, z))"),
    ("let x = x; x", "let y = x; y"),
    ("@(k: v)(|a| a)", "@(k: v)(|b| b)"),
    ("|a: i32| a", "|b: i32| b"),
]
DIFFERENT = [
    ("x", "y"),
    ("|a| a + y", "|y| y + y"),
    ("|a, b| a - b", "|a, b| b - a"),
    ("let a = 1; a", "let a = 2; a"),
    ("let a = 1; a", "let a = 1; b"),
    ("|a| |b| a", "|a| |b| b"),
    ("let x = x; x", "let x = y; x"),
    ("|a: i32| a", "|a: i64| a"),
    ("|a: i32| a", "|a| a"),
    ("|a, b| a", "|a| a"),
    ("@(k: v)(|a| a)", "@(k: w)(|a| a)"),
    ("1", "1L"),
    ("for(v, appender, |b, i, e| b)", "for(iter(v, 0L, 1L, 1L), appender, |b, i, e| b)"),
    ("a + b", "a - b"),
]


@pytest.mark.parametrize("left, right", EQUIVALENT)
def test_equivalent(left, right):
    a, b = parse(left), parse(right)
    assert alpha_equivalent(a, b) and alpha_equivalent(b, a)
    assert canonical(a) == canonical(b)


@pytest.mark.parametrize("left, right", DIFFERENT)
def test_different(left, right):
    a, b = parse(left), parse(right)
    assert not alpha_equivalent(a, b) and not alpha_equivalent(b, a)
    assert canonical(a) != canonical(b)


def test_canonical_names_by_first_occurrence_avoiding_free_names():
    node = parse("|x, v0| let y = x + v1; (|z| z + y)(v0)")
    assert pretty(canonical(node)) == (
        "|v0, v2| let v3 = (v0 + v1);\n(|v4| (v4 + v3))(v2)")
    assert free_vars(canonical(node)) == {"v1"}


def test_canonical_keeps_types_annotations_and_positions():
    node = parse("@(a: b)(|x: i32| x)")
    out = canonical(node)
    assert out.params[0] == E.Param("v0", I32)
    assert out.annotations == (("a", "b"),)
    assert out.pos == node.pos
    assert alpha_equivalent(out, node)


def test_deep_programs():
    n = 20_000
    text = "".join(f"let x{k} = x{k - 1} + 1L;\n" for k in range(1, n)) + f"x{n - 1}"
    a = parse(text)
    b = parse(text.replace("x", "w"))
    assert not alpha_equivalent(a, b)  # the free x0 became w0
    c = parse(text.replace("x", "w").replace("w0 ", "x0 "))
    assert alpha_equivalent(a, c)
    assert canonical(a) == canonical(c)
    depth = 10_000
    nested = parse("|a| " * depth + "a")
    assert alpha_equivalent(nested, parse("|b| " * depth + "b"))
