"""IR.md "Node identity": a program of tens of thousands of nodes (a long Python loop of
updates) parses, prints, type-checks and runs; nothing recurses on the Python stack."""

import numpy as np

import weldpy
from weldpy.ir import compile, parse, pretty, typecheck
from weldpy.ir.traverse import postorder

STEPS = 8_500


def _wrap64(v: int) -> int:
    return (v + 2**63) % 2**64 - 2**63


def test_a_50k_node_program_parses_prints_checks_and_runs():
    body = "".join(f"let a = a * 3L + lookup(x, {i % 4}L);\n" for i in range(STEPS))
    text = f"|x: vec[i64], a: i64|\n{body}a"
    expr = parse(text)
    assert sum(1 for _ in postorder(expr)) > 50_000
    assert parse(pretty(expr)) == expr
    assert typecheck(expr).ty.result == weldpy.ir.types.I64

    x = np.array([5, -7, 2**62, 11], dtype=np.int64)
    expected = 1
    for i in range(STEPS):
        expected = _wrap64(expected * 3 + int(x[i % 4]))
    with weldpy.config(backend="interp"):
        assert compile(expr)(x, 1) == np.int64(expected)
