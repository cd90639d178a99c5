"""The optimiser's pipeline (``weldpy.ir.passes``) and ``weldpy.config(optimize=...)``."""

import numpy as np
import pytest

import weldpy
from weldpy.config import settings
from weldpy.errors import WeldTypeError, WeldValueError
from weldpy.ir import compile, passes


def test_selection_names_passes_in_pipeline_order():
    assert passes.selected(True) == passes.NAMES
    assert passes.selected(False) == ()
    assert passes.selected(list(reversed(passes.NAMES))) == passes.NAMES


def test_config_checks_the_names():
    with pytest.raises(WeldValueError, match="'unrolling'.*fuse_vertical"):
        weldpy.config(optimize=["unrolling"])
    with pytest.raises(WeldTypeError, match="optimize"):
        weldpy.config(optimize="fuse_vertical")
    with weldpy.config(optimize=["fuse_vertical"]):
        assert settings().optimize == ("fuse_vertical",)


def test_each_setting_runs_its_own_program():
    program = compile("|v: vec[f64]| result(for(result(for(v, appender[f64], "
                      "|b, i, x| merge(b, x + 1.0))), merger[f64, +], |b, i, x| merge(b, x)))")
    v = np.arange(1000.0)
    for optimize, loops in ((False, 2), (True, 1), (["fuse_vertical"], 1), ([], 2)):
        with weldpy.config(backend="llvm", optimize=optimize, threads=1):
            weldpy.stats(reset=True)
            assert program(v) == (v + 1).sum()
            assert weldpy.stats()["loops_executed"] == loops, optimize


def test_the_pipeline_prints():
    text = passes.pipeline_text()
    assert all(name in text for name in passes.NAMES)


# --- the acceptance, through the whole pipeline (as a frontend would write it) ----
SUM = "result(for(v, merger[f64, +], |b, i, x| merge(b, x)))"


def counted(program, *args):
    """The result and (loops executed, bytes allocated) of one optimised llvm call (on one
    thread: more parts allocate their few words of state)."""
    with weldpy.config(backend="llvm", optimize=True, threads=1):
        weldpy.stats(reset=True)
        got = program(*args)
        stats = weldpy.stats()
    return got, (stats["loops_executed"], stats["bytes_allocated"])


def test_ten_elementwise_operations_and_a_sum_are_one_loop_allocating_nothing():
    ops = [("*", 1.5), ("+", 2.0), ("-", 0.25), ("*", 0.5), ("/", 3.0), ("+", 1.0),
           ("*", 2.0), ("-", 1.0), ("*", 1.25), ("+", 0.5)]
    src = "v"
    for op, c in ops:
        src = f"result(for({src}, appender[f64], |b, i, x| merge(b, x {op} {c!r})))"
    program = compile(f"|v: vec[f64]| result(for({src}, merger[f64, +], "
                      "|b, i, x| merge(b, x)))")
    v = np.linspace(-1.0, 1.0, 10_000)
    want = v.copy()
    for op, c in ops:  # (NumPy, one operation at a time)
        want = {"*": np.multiply, "+": np.add, "-": np.subtract, "/": np.divide}[op](want, c)
    got, (loops, allocated) = counted(program, v)
    np.testing.assert_allclose(got, want.sum(), rtol=1e-12)
    assert (loops, allocated) == (1, 0)


def test_sum_mean_min_max_are_one_loop_and_var_one_more():
    program = compile(
        f"|v: vec[f64]| let n = f64(len(v)); let mean = {SUM} / n; "
        f"{{{SUM}, mean, result(for(v, merger[f64, min], |b, i, x| merge(b, x))), "
        "result(for(v, merger[f64, max], |b, i, x| merge(b, x))), "
        "result(for(v, merger[f64, +], |b, i, x| merge(b, (x - mean) * (x - mean)))) / n}")
    v = np.random.default_rng(3).standard_normal(10_000)
    (total, mean, low, high, var), (loops, _) = counted(program, v)
    np.testing.assert_allclose([total, mean, var], [v.sum(), v.mean(), v.var()], rtol=1e-12)
    assert (low, high) == (v.min(), v.max())
    assert loops == 2  # (the variance needs the mean first: two passes, as NumPy)


def test_a_filter_then_a_reduction_is_one_loop_without_an_appender():
    program = compile("|v: vec[f64]| result(for(result(for(v, appender[f64], "
                      "|b, i, x| if(x > 0.25, merge(b, x), b))), merger[f64, +], "
                      "|b, i, x| merge(b, x * x)))")
    v = np.random.default_rng(4).standard_normal(10_000)
    got, (loops, allocated) = counted(program, v)
    np.testing.assert_allclose(got, (v[v > 0.25] ** 2).sum(), rtol=1e-12)
    assert (loops, allocated) == (1, 0)
    (loop,) = weldpy.explain(program).loops
    assert loop.predicated and "appender" not in loop.builders


def test_loops_zipping_the_same_vectors_in_another_order_fuse_side_by_side():
    program = compile("|a: vec[f64], b: vec[f64]| {"
                      "result(for(zip(a, b), merger[f64, +], |s, i, x| merge(s, x.$0 * x.$1))), "
                      "result(for(zip(b, a), merger[f64, +], |s, i, x| merge(s, x.$0 - x.$1)))}")
    a, b = np.arange(100.0), np.linspace(0.0, 1.0, 100)
    got, (loops, _) = counted(program, a, b)
    np.testing.assert_allclose(got, ((a * b).sum(), (b - a).sum()), rtol=1e-12)
    assert loops == 1
