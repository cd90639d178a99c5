"""The lazy graph through weldpy.numpy: ONE program per evaluation (shared nodes and inputs
once), memoised results, compiled programs reused on new arrays, a 10-operation chain with a
reduction as one loop with no intermediate, long chains, and evaluate/explain of several
values together."""

import numpy
import pytest

import weldpy
import weldpy.numpy as wnp
from tests.numpy.checks import MATH_ULPS, assert_like_numpy


def run(*values):
    """``weldpy.evaluate(*values)`` on one llvm thread, with the counters of that call."""
    with weldpy.config(backend="llvm", threads=1):
        weldpy.stats(reset=True)
        got = weldpy.evaluate(*values)
        return got, weldpy.stats()


def chain(a, ops=10):
    for k in range(ops):
        a = (a * 1.5 - k) if k % 2 else (a + 0.25) / 2.0
    return a


def test_ten_operations_and_a_sum_are_one_loop_with_no_intermediate():
    x = numpy.linspace(-1.0, 1.0, 10_001)
    got, stats = run(chain(wnp.asarray(x)).sum())
    want = chain(x).sum()
    assert abs(got - want) <= 1e-12 * numpy.abs(chain(x)).sum()
    assert stats["loops_executed"] == 1 and stats["bytes_allocated"] == 0


def test_values_requested_together_run_as_one_program_reading_shared_work_once():
    x = numpy.random.default_rng(0).standard_normal(1000)
    a = wnp.asarray(x)
    shared = wnp.exp(a) * 2.0
    total, largest, shifted = shared.sum(), shared.max(), shared - 1.0
    (t, m, s), stats = run(total, largest, shifted)
    assert stats["programs_compiled"] + stats["cache_hits_memory"] + \
        stats["cache_hits_disk"] <= 1  # (one program, maybe compiled earlier)
    assert stats["loops_executed"] == 1  # the reductions and the map fused side by side
    want = numpy.exp(x) * 2.0
    # (exp within a few ULP on both sides; the subtraction then cancels: an absolute bound)
    numpy.testing.assert_allclose(s, want - 1.0, rtol=0, atol=16 * numpy.finfo(float).eps
                                  * numpy.abs(want).max())
    assert abs(t - want.sum()) < 1e-9 and abs(m - want.max()) <= 8 * numpy.spacing(m)


def test_results_are_memoised():
    a = wnp.asarray(numpy.arange(5.0)) * 3.0
    first, _ = run(a)
    second, stats = run(a)
    assert stats["loops_executed"] == 0
    numpy.testing.assert_array_equal(first, second)
    later, stats = run(a + 1.0)  # (an evaluated value is an input of later programs)
    numpy.testing.assert_array_equal(later, numpy.arange(5.0) * 3.0 + 1.0)
    assert stats["loops_executed"] == 1


def test_a_pipeline_on_new_arrays_reuses_its_compiled_program():
    def pipeline(x):
        a = wnp.asarray(x)
        return ((a - a.mean()) * 2.0).max()

    run(pipeline(numpy.arange(10.0)))
    got, stats = run(pipeline(numpy.arange(20.0)))
    assert stats["programs_compiled"] == 0 and got == pipeline(numpy.arange(20.0)).evaluate()


@pytest.mark.parametrize("values", [
    (0.02, 0.3, 2), (0.05, -1.5, 7), (numpy.float64(-1e-300), numpy.float64("nan"), -3),
    (numpy.float32(0.25), numpy.float32(-0.0), 0)])
def test_python_and_numpy_scalars_are_parameters_not_literals(values):
    """DESIGN.md: one compiled program serves every value of a scalar (typed as NumPy types
    it: a float32 scalar with float32 arrays stays float32), but structural ones."""
    def pipeline(np, x, y, rate, scale, k):
        return np.exp(-rate * y) * scale + (x > k) - (x * rate + k) ** 2 / 0.5 + np.full(11, k)

    x = numpy.linspace(-3.0, 3.0, 11, dtype=numpy.float32)
    y = numpy.linspace(0.0, 1.0, 11)
    kind = type(values[0])  # (np.float64 is a float too, but strongly typed)
    first = (kind(0.01), kind(0.2), 1)
    run(pipeline(wnp, x, y, *first))
    with numpy.errstate(all="ignore"):
        want = pipeline(numpy, x, y, *values)
    got, stats = run(pipeline(wnp, x, y, *values))
    assert stats["programs_compiled"] == 0
    assert_like_numpy(got, want, ulps=MATH_ULPS)  # (exp)


def test_structural_scalars_stay_literals():
    """An integer power's exponent is unrolled and a float's 2 or 0.5 is a square or a
    square root: each exponent is its own program (and equal to NumPy's)."""
    x = numpy.linspace(-2.0, 2.0, 9)
    i = numpy.arange(-4, 5)
    for base, exponent in [(x, 2), (x, 0.5), (x, 3.0), (i, 3), (i, 5)]:
        with numpy.errstate(all="ignore"):
            want = base ** exponent
        got, stats = run(wnp.asarray(base) ** exponent)
        assert_like_numpy(got, want)
    _, stats = run(wnp.asarray(x) ** 1.7)
    _, again = run(wnp.asarray(x) ** 2.9)
    assert again["programs_compiled"] == 0

def test_a_long_python_loop_of_updates():
    x = numpy.linspace(0.0, 1.0, 101)
    a, b = wnp.asarray(x), x.copy()
    for k in range(300):
        a = a * 0.999 + (k % 7) * 0.001
        b = b * 0.999 + (k % 7) * 0.001
    got, _ = run(a)
    assert_like_numpy(got, b)


def test_evaluate_passes_other_values_through_and_explain_sees_one_program():
    a = wnp.asarray(numpy.arange(4.0))
    assert weldpy.evaluate(3, a * 2)[0] == 3
    e = weldpy.explain((a + 1).sum(), (a * 2).max())
    assert e.loops_after == 1 and e.loops_before == 4


@pytest.mark.usefixtures("fallbacks_allowed")
def test_a_numpy_function_weldpy_does_not_compile_runs_visibly():
    weldpy.stats(reset=True)
    a = wnp.asarray(numpy.array([3.0, 1.0, 2.0])) * 2
    assert wnp.median(a) == 4.0 and numpy.median(a) == 4.0
    assert weldpy.stats()["fallbacks"] == {"numpy.median": 2}


@pytest.mark.usefixtures("fallbacks_allowed")
def test_explain_names_the_fallbacks_that_made_a_programs_inputs():
    a = wnp.asarray(numpy.array([3.0, 1.0, 2.0]))
    ordered = wnp.sort(a)  # (not compiled yet: NumPy's, visibly)
    e = weldpy.explain(wnp.exp(ordered) + 1)
    assert e.fallbacks == {"numpy.sort": 1}
    assert weldpy.explain(wnp.exp(a)).fallbacks == {}


def test_a_program_found_compiled_is_not_type_checked_again(monkeypatch):
    """The lazy graph's programs are type-checked only when a backend compiles them: one
    found in the compilation cache (here, the in-memory one) skips the type checker."""
    import weldpy.ir.program
    import weldpy.lazy

    def pipeline():
        a = wnp.asarray(numpy.linspace(0.0, 1.0, 7))
        return wnp.sqrt(a * 3.0 + 1.0).sum()

    want, _ = run(pipeline())
    weldpy.lazy._PROGRAMS.clear()  # (the graph's shape finds nothing: a new Program)

    def refuse(expr):
        raise AssertionError("type-checked again")

    monkeypatch.setattr(weldpy.ir.program, "typecheck", refuse)
    got, stats = run(pipeline())
    assert got == want and stats["cache_hits_memory"] == 1
