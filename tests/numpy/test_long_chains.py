"""Long chains of updates (a Python loop of operations, API.md's 10,000): they build,
compile and run, nothing recursing on the Python stack; a program that computes their
floating-point checks computes each operation once (linear in the chain, not quadratic)."""

import warnings

import numpy

import weldpy
import weldpy.numpy as wnp
from weldpy import lazy
from weldpy.ir import exprs as E
from weldpy.ir.traverse import preorder


def chain(module, start, steps: int):
    value = start
    for k in range(steps):
        value = value * 0.999 + 0.001 if k % 2 else module.sqrt(value + 1.0)
    return value


def test_a_chain_of_10000_operations():
    x = numpy.linspace(0.0, 1.0, 101)
    got = chain(wnp, wnp.asarray(x).sum(), 10_000).evaluate()
    assert got == chain(numpy, x.sum(), 10_000)  # (IEEE operations in NumPy's order)


def test_the_checks_of_a_long_chain_compute_each_operation_once():
    x = numpy.linspace(0.0, 1.0, 11)
    steps = 150
    value = chain(wnp, wnp.log(wnp.asarray(x)), steps)  # (log(0): a division by zero)
    order, _ = lazy._graph([value.node])
    checks = [c.node for c in lazy._checks(order, make=True)]
    program, _ = lazy.compose([value.node, *checks])
    loops = sum(1 for node in preorder(program.expr) if isinstance(node, E.For))
    operations = 2 * steps + 1
    assert len(checks) >= operations and loops <= operations  # (one loop per operation)
    with warnings.catch_warnings(record=True) as said, weldpy.config(backend="interp"):
        warnings.simplefilter("always")
        got = value.evaluate()
    with warnings.catch_warnings(record=True) as numpy_said:
        warnings.simplefilter("always")
        want = chain(numpy, numpy.log(x), steps)
    assert {str(w.message) for w in said} == {str(w.message) for w in numpy_said}
    numpy.testing.assert_array_equal(got, want)
