"""Parallel loops on the llvm backend: every builder's parts combine into NumPy's answer,
results are bit-identical run to run, failures and Ctrl-C stop every part, fork is safe.

(The whole backend suite also runs as ``llvm@2``: 2 threads, grain 1; see conftest.)"""

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import weldpy
from weldpy.backends.llvm import pool
from weldpy.errors import WeldIndexError, WeldZeroDivisionError
from weldpy.ir import compile

pytestmark = pytest.mark.skipif(not pool.available(),
                                reason="libgomp (the thread pool) is not installed")

SUM = compile("|v: vec[f64]| result(for(v, merger[f64,+], |b,i,x| merge(b, x)))")
FILTER = compile("|v: vec[i64]| result(for(v, appender[i64], |b,i,x| "
                 "if(x % 3L == 0L, merge(b, x * 2L), b)))")


def on(threads, grain=None):
    return weldpy.config(backend="llvm", threads=threads, grain=grain)


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(7)


@pytest.mark.parametrize("threads,grain", [(2, 1), (2, 3), (3, 5), (4, 1000), (2, None)])
def test_appender_parts_concatenate_in_order(threads, grain, rng):
    v = rng.integers(-1000, 1000, 20_011)
    with on(threads, grain):
        got = FILTER(v)
    np.testing.assert_array_equal(got, v[v % 3 == 0] * 2)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 17])
def test_tiny_loops_split_into_more_parts_than_elements(n, rng):
    v = rng.integers(-9, 9, n)
    with on(4, 1):
        np.testing.assert_array_equal(FILTER(v), v[v % 3 == 0] * 2)
        assert compile("|v: vec[i64]| result(for(v, merger[i64,*], |b,i,x| merge(b, x)))")(
            v) == np.prod(v)


def test_float_sum_is_bit_identical_run_to_run(rng):
    x = rng.standard_normal(300_000)
    for grain in (1000, None):
        with on(2, grain):
            first = SUM(x)
            assert all(SUM(x).tobytes() == first.tobytes() for _ in range(20))
        np.testing.assert_allclose(first, x.sum(), rtol=1e-10)


def test_minus_zero_survives_parts_that_merge_nothing():
    x = np.full(10, -0.0)
    with on(2, 1):
        got = SUM(x)
        assert got == 0.0 and np.signbit(got) == np.signbit(np.float64(0.0) + -0.0)
        program = compile("|v: vec[f64]| result(for(v, merger[f64,+](-0.0), "
                          "|b,i,x| if(x > 0.0, merge(b, x), b)))")
        assert np.signbit(program(np.zeros(9)))


def test_min_max_with_nan_in_any_part():
    program = compile("|v: vec[f64]| {result(for(v, merger[f64,min], |b,i,x| merge(b, x))), "
                      "result(for(v, merger[f64,max], |b,i,x| merge(b, x)))}")
    for where in (0, 5, 9):
        x = np.arange(10.0)
        x[where] = np.nan
        with on(3, 2):
            low, high = program(x)
        assert np.isnan(low) and np.isnan(high)


def test_struct_of_builders_combines_fieldwise(rng):
    program = compile("""|v: vec[f64]|
        let r = for(v, {merger[f64,+], merger[i64,+], appender[f64], merger[f64,max]},
            |b,i,x| {merge(b.$0, x), merge(b.$1, 1L),
                     if(x > 0.5, merge(b.$2, x), b.$2), merge(b.$3, x)});
        {result(r.$0), result(r.$1), result(r.$2), result(r.$3)}""")
    x = rng.random(10_000)
    with on(2, 7):
        total, count, big, top = program(x)
    np.testing.assert_allclose(total, x.sum(), rtol=1e-12)
    assert count == len(x) and top == x.max()
    np.testing.assert_array_equal(big, x[x > 0.5])


def test_vecmerger_parts_add_elementwise(rng):
    program = compile("|idx: vec[i64], w: vec[i64], base: vec[i64]| "
                      "result(for(zip(idx, w), vecmerger[i64,+](base), "
                      "|b,i,e| merge(b, {e.$0, e.$1})))")
    idx, w = rng.integers(0, 50, 5_000), rng.integers(-5, 5, 5_000)
    base = np.arange(50)
    want = base.copy()
    np.add.at(want, idx, w)
    with on(3, 11):
        np.testing.assert_array_equal(program(idx, w, base), want)
    np.testing.assert_array_equal(base, np.arange(50))  # the input is not written


@pytest.mark.parametrize("keys", [7, 3_000])
def test_dictmerger_parts_merge_per_key(keys, rng):
    program = compile("|k: vec[i64], v: vec[i64]| result(for(zip(k, v), "
                      "dictmerger[i64,i64,+], |b,i,e| merge(b, {e.$0, e.$1})))")
    k, v = rng.integers(0, keys, 20_000), rng.integers(-100, 100, 20_000)
    with on(2, 64):
        got = program(k, v)
    want = {}
    for key, value in zip(k.tolist(), v.tolist(), strict=True):
        want[key] = want.get(key, 0) + value
    assert {int(key): int(value) for key, value in got.items()} == want


def test_groupmerger_keeps_merge_order_across_parts(rng):
    program = compile("|k: vec[i32], v: vec[i64]| tovec(result(for(zip(k, v), "
                      "groupmerger[i32,i64], |b,i,e| merge(b, {e.$0, e.$1}))))")
    k, v = rng.integers(0, 20, 3_001).astype(np.int32), np.arange(3_001)
    with on(4, 5):
        got = program(k, v)
    assert [int(key) for key, _ in got] == sorted(set(k.tolist()))
    for key, group in got:
        np.testing.assert_array_equal(group, v[k == key])


def test_nested_loops_run_inside_each_part():
    program = compile("|n: i64| result(for(rangeiter(0L, n, 1L), merger[i64,+], "
                      "|b,i,x| for(rangeiter(0L, x, 1L), b, |c,j,y| merge(c, y))))")
    with on(2, 3):
        assert program(500) == sum(x * (x - 1) // 2 for x in range(500))


def test_a_failure_in_a_later_part_raises_and_frees_its_memory(rng):
    program = compile("|v: vec[i64], w: vec[i64]| result(for(v, appender[i64], "
                      "|b,i,x| merge(b, lookup(w, x))))")
    w = np.arange(100)
    v = rng.integers(0, 100, 50_000)
    v[40_000] = 100  # out of range, in the last part
    with on(2, 100):
        weldpy.stats(reset=True)
        with pytest.raises(WeldIndexError, match="100"):
            program(v, w)
        v[40_000] = 0
        np.testing.assert_array_equal(program(v, w), w[v])
    divide = compile("|v: vec[i64]| result(for(v, merger[i64,+], |b,i,x| merge(b, 10L / x)))")
    with on(2, 1), pytest.raises(WeldZeroDivisionError):
        divide(np.array([1, 2, 3, 0, 5, 6], dtype=np.int64))


def test_loops_below_the_grain_run_on_one_thread_and_still_count():
    with on(2):
        weldpy.stats(reset=True)
        SUM(np.ones(100))
        assert weldpy.stats()["loops_executed"] == 1


def test_programs_run_concurrently_from_python_threads(rng):
    x = rng.standard_normal(200_000)
    with on(2, 1000):
        want = SUM(x)
        results, errors = [], []

        def work():
            try:
                results.extend(SUM(x) for _ in range(20))
            except Exception as error:  # noqa: BLE001  (reported below)
                errors.append(error)

        threads = [threading.Thread(target=work) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors and len(results) == 60
    assert all(r.tobytes() == want.tobytes() for r in results)


def _child_sum(queue):
    with on(2, 1000):
        queue.put(float(SUM(np.arange(100_000, dtype=np.float64))))


def test_a_forked_child_runs_loops_without_hanging():
    with on(2, 1000):
        SUM(np.arange(100_000, dtype=np.float64))  # the parent's pool has started
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_child_sum, args=(queue,))
    child.start()
    child.join(timeout=60)
    if child.is_alive():
        child.kill()
        pytest.fail("a forked child hung in a parallel loop")
    assert child.exitcode == 0 and queue.get(timeout=5) == sum(range(100_000))


INTERRUPTED = textwrap.dedent("""
    import os, signal, sys, threading, time
    import weldpy
    from weldpy.ir import compile
    program = compile("|n: i64| result(for(rangeiter(0L, n, 1L), merger[i64,+], "
                      "|b,i,x| merge(b, x * x % 7L)))")
    weldpy.config(threads=int(sys.argv[1]), backend="llvm")
    program(10)  # compiled before the clock starts
    threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
    start = time.perf_counter()
    try:
        program(10**14)  # hours of work
    except KeyboardInterrupt:
        print(f"interrupted {time.perf_counter() - start:.2f}")
""")


@pytest.mark.parametrize("threads", [1, 2])
def test_ctrl_c_interrupts_a_long_loop(threads, tmp_path):
    env = dict(os.environ, WELDPY_CACHE_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", INTERRUPTED, str(threads)], env=env,
                         capture_output=True, text=True, timeout=120,
                         cwd=os.path.dirname(os.path.dirname(weldpy.__file__)))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("interrupted"), (out.stdout, out.stderr)
    assert float(out.stdout.split()[1]) < 10


def test_interrupt_handler_chains_to_python_handler():
    """A Python SIGINT handler installed after weldpy's still runs (and the next run puts
    weldpy's handler back in front)."""
    seen = []
    old = signal.signal(signal.SIGINT, lambda *_: seen.append(1))
    try:
        with on(2):
            SUM(np.ones(10))
            signal.raise_signal(signal.SIGINT)
            SUM(np.ones(10))  # the flag raised above was lowered: this run completes
        assert seen == [1]
    finally:
        signal.signal(signal.SIGINT, old)


# --- appenders merged once per iteration: unchecked merges, parts written in place ---------
MAPS = {
    "map": ("|v: vec[i64]| result(for(v, appender[i64], |b,i,x| merge(b, x * 3L)))",
            lambda v: v * 3),
    "both branches": ("|v: vec[i64]| result(for(v, appender[i64], |b,i,x| "
                      "if(x > 0L, merge(b, x), merge(b, -x))))", np.abs),
    "twice": ("|v: vec[i64]| result(for(v, appender[i64], |b,i,x| merge(merge(b, x), i)))",
              lambda v: np.stack([v, np.arange(len(v))], axis=1).ravel()),
    "let": ("|v: vec[i64]| result(for(v, appender[i64], |b,i,x| let c = merge(b, x); c))",
            lambda v: v),
    "after a loop": ("|v: vec[i64]| let first = for(v, appender[i64], |b,i,x| merge(b, x)); "
                     "result(for(v, first, |b,i,x| merge(b, x + 1L)))",
                     lambda v: np.concatenate([v, v + 1])),
    "hinted": ("|v: vec[i64]| result(for(v, appender[i64](3L), |b,i,x| merge(b, x - 1L)))",
               lambda v: v - 1),
}


@pytest.mark.parametrize("name", MAPS)
@pytest.mark.parametrize("threads,grain", [(1, None), (2, 1), (3, 7), (2, None)])
def test_maps_write_each_part_in_place(name, threads, grain, rng):
    text, want = MAPS[name]
    program = compile(text)
    for n in (0, 1, 2, 5, 10_007):
        v = rng.integers(-50, 50, n)
        with on(threads, grain):
            np.testing.assert_array_equal(program(v), want(v), err_msg=f"{name} n={n}")


def test_struct_of_a_map_and_a_filter(rng):
    program = compile("""|v: vec[f64]|
        let r = for(v, {appender[f64], appender[i64], merger[i64,+]}, |b,i,x|
            {merge(b.$0, x * 2.0), if(x > 0.0, merge(b.$1, i), b.$1), merge(b.$2, 1L)});
        {result(r.$0), result(r.$1), result(r.$2)}""")
    v = rng.standard_normal(30_001)
    for threads, grain in ((1, None), (2, 1), (4, 13), (2, None)):
        with on(threads, grain):
            doubled, positive, count = program(v)
        np.testing.assert_array_equal(doubled, v * 2)
        np.testing.assert_array_equal(positive, np.flatnonzero(v > 0))
        assert count == len(v)


def test_a_loop_body_given_by_name():
    program = compile("|v: vec[i64]| let f = |b: appender[i64], i: i64, x: i64| merge(b, x + i);"
                      " result(for(v, appender[i64], f))")
    v = np.arange(10_000)
    with on(2, 3):
        np.testing.assert_array_equal(program(v), v * 2)


def test_without_libgomp_more_than_one_thread_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(pool, "_gomp_parallel", lambda: None)
    with pytest.raises(weldpy.errors.WeldUnsupportedError, match="libgomp1.*threads=1"):
        pool.run_words(2, None)
    assert pool.run_words(1, 7) == (1, 7, 0)
