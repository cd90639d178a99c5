"""Memory of the llvm backend: results own their buffers and are freed exactly once, runs
that fail free what they allocated, impossible sizes raise MemoryError."""

import gc

import numpy as np
import pytest

import weldpy
from weldpy.ir import compile

pytestmark = pytest.mark.usefixtures("llvm")


@pytest.fixture
def llvm():
    with weldpy.config(backend="llvm"):
        yield


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


FILTER_AND_SUMS = compile(
    "|x: vec[f64]| let big = result(for(x, appender, |b, i, e| if(e > 0.5, merge(b, e), b)));"
    "{big, result(for(big, merger[f64, +], |b, i, e| merge(b, e))),"
    " result(for(slice(x, 0L, 200L), appender, |b, i, e| merge(b, [e, e])))}")


def test_rss_stays_flat_over_1000_runs():
    x = np.random.default_rng(0).random(20_000)
    for _ in range(50):  # warm up allocator and caches
        FILTER_AND_SUMS(x)
    gc.collect()
    before = _rss_bytes()
    for _ in range(1000):
        kept, total, nested = FILTER_AND_SUMS(x)
        assert len(nested) == 200
    del kept, nested
    gc.collect()
    grown = _rss_bytes() - before
    assert grown < 8 * 2**20, f"RSS grew by {grown / 2**20:.1f} MiB over 1000 runs"


def test_result_arrays_own_memory_and_outlive_the_program():
    program = compile("|x: vec[i64]| result(for(x, appender, |b, i, e| merge(b, e * 2L)))")
    got = program(np.arange(5))
    del program
    gc.collect()
    np.testing.assert_array_equal(got, np.arange(5) * 2)
    got[0] = 7  # writeable, not shared with anything else
    assert got[0] == 7


def test_results_that_alias_inputs_or_constants_are_copies():
    x = np.arange(6.0)
    whole, part, text = compile('|x: vec[f64]| {x, slice(x, 2L, 3L), "abc"}')(x)
    assert not np.shares_memory(whole, x) and not np.shares_memory(part, x)
    np.testing.assert_array_equal(part, [2.0, 3.0, 4.0])
    assert text.tobytes() == b"abc"


def test_the_same_buffer_returned_twice_is_shared_not_freed_twice():
    a, b = compile("|x: vec[i32]| let v = result(for(x, appender, |b, i, e| merge(b, e)));"
                   "{v, v}")(np.arange(4, dtype=np.int32))
    del a
    gc.collect()
    np.testing.assert_array_equal(b, np.arange(4))


def test_failing_runs_free_what_they_allocated():
    program = compile("|x: vec[f64], k: i64| let v = result(for(x, appender, |b, i, e| "
                      "merge(b, e))); lookup(v, k)")
    x = np.random.default_rng(1).random(50_000)
    for _ in range(30):
        with pytest.raises(IndexError):
            program(x, 10**9)
    gc.collect()
    before = _rss_bytes()
    for _ in range(300):
        with pytest.raises(IndexError):
            program(x, 10**9)
    gc.collect()
    assert _rss_bytes() - before < 8 * 2**20


@pytest.mark.parametrize("hint", ["4611686018427387904L", "2305843009213693952L"])
def test_impossible_sizes_raise_memory_error(hint):
    program = compile(f"|x: vec[f64]| result(for(x, appender[f64]({hint}), |b, i, e| "
                      "merge(b, e)))")
    with pytest.raises(MemoryError, match="could not allocate"):
        program(np.arange(3.0))
