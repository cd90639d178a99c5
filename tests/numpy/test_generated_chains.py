"""Generated chains of 2-15 weldpy.numpy operations (unary and binary ufuncs, operators with
scalars and with earlier values of the chain, reductions feeding later steps), evaluated
lazily as ONE program against NumPy step by step; zero fallbacks (tests/numpy/conftest.py),
on the llvm backend at 1 and 2 threads (grain 1: every parallel combine runs) and on the
interpreter."""

import numpy
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import weldpy
import weldpy.numpy as wnp
from tests.numpy.checks import assert_like_numpy

UNARY = ["negative", "absolute", "sqrt", "exp", "sin", "floor", "square", "isnan", "sign"]
BINARY = ["add", "subtract", "multiply", "divide", "maximum", "minimum", "less", "hypot",
          "floor_divide", "remainder"]
REDUCE = ["sum", "max", "min", "mean"]
MATH = {"sqrt", "exp", "sin", "hypot"}


@st.composite
def chains(draw):
    dtype = draw(st.sampled_from(["float64", "float32", "int32", "int64", "uint8"]))
    n = draw(st.integers(0, 17))
    elements = st.floats(-50, 50, width=32) if "float" in dtype else st.integers(0, 50)
    x = draw(hnp.arrays(dtype, n, elements=elements))
    steps = []
    for _ in range(draw(st.integers(2, 15))):
        kind = draw(st.sampled_from(["unary", "binary scalar", "binary earlier", "reduce"]))
        if kind == "unary":
            steps.append((kind, draw(st.sampled_from(UNARY)), None))
        elif kind == "binary scalar":
            scalar = draw(st.sampled_from([2, 3, 0.5, -1.25, 7]))
            steps.append((kind, draw(st.sampled_from(BINARY)), scalar))
        elif kind == "binary earlier":
            steps.append((kind, draw(st.sampled_from(BINARY)), draw(st.integers(0, 20))))
        else:
            steps.append((kind, draw(st.sampled_from(REDUCE)), None))
    return x, steps


def run(module, x, steps):
    """The chain in ``module`` (numpy or weldpy.numpy), the last value, whether a step did
    math or a reduction, and whether a step made float16."""
    values = [module.asarray(x)]
    math = half = False
    for kind, name, arg in steps:
        current = values[-1]
        if kind == "unary":
            value = getattr(module, name)(current)
        elif kind == "binary scalar":
            value = getattr(module, name)(current, arg)
        elif kind == "binary earlier":
            value = getattr(module, name)(current, values[arg % len(values)])
        else:
            if numpy.shape(current) == () or 0 in numpy.shape(current):
                continue  # (reducing a 0-d value or an empty array: nothing new)
            value = getattr(module, name)(current) + values[0]  # (fed back elementwise)
        if numpy.asarray(value).dtype == numpy.bool_ if module is numpy else \
                value.dtype == numpy.bool_:
            continue  # (keep numbers flowing: comparisons end a step)
        math = math or name in MATH or kind == "reduce"
        half = half or value.dtype == numpy.float16
        values.append(value)
    return values[-1], math, half


@settings(max_examples=60, deadline=None)
@given(chains())
def test_generated_chains_lazy_equal_eager(chain):
    x, steps = chain
    with numpy.errstate(all="ignore"):
        want, math, half = run(numpy, x, steps)
    # float16 is computed in float32 through a fused chain and rounded once (README,
    # "Differences from NumPy"): NumPy rounds, and overflows, after every step
    assume(not half)
    for backend, threads in (("llvm", 1), ("llvm", 2), ("interp", 1)):
        with weldpy.config(backend=backend, threads=threads, grain=1), \
                numpy.errstate(all="ignore"):
            got, _, _ = run(wnp, x, steps)
            value = got.evaluate()
        if math:  # (math functions and reassociated reductions: close, not equal)
            got_array, want_array = numpy.asarray(value), numpy.asarray(want)
            assert got_array.dtype == want_array.dtype and got_array.shape == want_array.shape
            if want_array.dtype.kind == "f":
                numpy.testing.assert_allclose(got_array, want_array, rtol=1e-4, atol=1e-3,
                                              equal_nan=True)
            continue
        assert_like_numpy(value, want, zero_signs=False)
