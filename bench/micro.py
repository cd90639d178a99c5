"""Micro-benchmarks of the llvm backend at 1 and 2 threads, next to BENCH.md's targets.

In one run, with every weldpy program written in the IR and compiled by ``weldpy.ir.compile``:
- NumPy's ``x.sum()`` over 50M f64: the machine's practical read bandwidth (GB/s), BENCH.md's
  reference; ``np.dot(x, y)`` (OpenBLAS, all cores) read rate is shown as a stricter one;
- a fused map+reduce, ``sum(x*y)`` over 50M f64, in GB/s of the bytes it must read and as a
  fraction of both (NumPy's ``(x*y).sum()`` timed next to it);
- ``exp(x)*2+1`` and ``sin(x)`` over 20M f64 against NumPy's ``np.exp(x)*2+1`` and ``np.sin``,
  and their sums, and a sum of four math functions (compute-bound: the loop of the
  2-thread/1-thread gate);
- a groupby-sum through a dictmerger over 10M rows with 1k and 1M distinct random int64 keys
  against pandas ``df.groupby('k')['v'].sum()``. The weldpy result is converted inside the
  timing to a pandas Series sorted by key: from the returned Python dict (``result``), and
  from the sorted entries array (``tovec(result)``, the gated form: what a frontend building
  a frame reads);
- the 2-thread/1-thread ratio of each loop.
Each program is compiled once outside the timing (its cold compile time, empty cache
directory, is shown apart, after a first program that absorbs the process's one-time set-up;
bench/compile.py measures cold compiles in fresh processes); every answer is checked against
NumPy/pandas before a time is printed; times are the best and median of --repeat runs after a
warm-up, and ratios use the best times. The baselines run once per run (NumPy and pandas on
one thread). The load average is printed: the machine is shared, and only a quiet run judges
the 2-thread numbers.
OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed from the environment (BENCH.md): the script
re-runs itself without them.

    python bench/micro.py [--quick] [--repeat 5]     (--quick: a smoke run of ~2 s)
"""

from __future__ import annotations

import os
import sys

from openblas_env import VARIABLES as _OPENBLAS_VARS  # (bench/ is the script's folder)
from openblas_env import restart_without_them
from timing import timings

if __name__ == "__main__":
    restart_without_them()  # before NumPy loads OpenBLAS, so before the imports below

import argparse  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from functools import partial  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import weldpy  # noqa: E402
import weldpy.backends.llvm  # noqa: E402, F401  (llvmlite's import is not compile time)

THREADS = (1, 2)
FULL = {"stream": 50_000_000, "math": 20_000_000, "group": 10_000_000,
        "keys": (1_000, 1_000_000)}
QUICK = {"stream": 2_000_000, "math": 1_000_000, "group": 200_000, "keys": (100, 10_000)}

GROUPBY = ("for(zip(k, v), dictmerger[i64, f64, +], |b, i, e| merge(b, {e.$0, e.$1}))")
# name -> (IR text, cold compile target in ms: BENCH.md's "compile" line)
PROGRAMS = {
    "sum(x*y)": ("|x: vec[f64], y: vec[f64]| result(for(zip(x, y), merger[f64, +], "
                 "|b, i, e| merge(b, e.$0 * e.$1)))", 100.0),
    "exp(x)*2+1": ("|x: vec[f64]| result(for(x, appender[f64], "
                   "|b, i, e| merge(b, exp(e) * 2.0 + 1.0)))", 100.0),
    "sin(x)": ("|x: vec[f64]| result(for(x, appender[f64], |b, i, e| merge(b, sin(e))))",
               100.0),
    "sum(exp(x)*2+1)": ("|x: vec[f64]| result(for(x, merger[f64, +], "
                        "|b, i, e| merge(b, exp(e) * 2.0 + 1.0)))", 100.0),
    "sum(sin(x))": ("|x: vec[f64]| result(for(x, merger[f64, +], |b, i, e| merge(b, sin(e))))",
                    100.0),
    "sum(4 math fns)": ("|x: vec[f64]| result(for(x, merger[f64, +], |b, i, e| "
                        "merge(b, sin(e) + cos(e) + erf(e) + log1p(e * e))))", 100.0),
    "groupby (dict)": (f"|k: vec[i64], v: vec[f64]| result({GROUPBY})", 300.0),
    "groupby (tovec)": (f"|k: vec[i64], v: vec[f64]| tovec(result({GROUPBY}))", 300.0),
}
# compiled first: whatever the backend builds once per process (LLVM's set-up, run-time
# support code) is timed here, not charged to the first program below
FIRST_USE = "|x: vec[f64]| result(for(x, merger[f64, +], |b, i, e| merge(b, e)))"


@dataclass
class Row:
    """One line of the table: a weldpy or baseline measure and its target."""

    workload: str
    size: int
    threads: str
    weld: list[float] | None  # seconds of each timed run
    base_name: str
    base: list[float] | None
    measure: str
    target: str = "-"
    met: bool | None = None


class WrongResult(Exception):
    """A weldpy or baseline answer that differs from the reference: no time is printed."""


def timed(fn, repeat: int, check) -> tuple[object, list[float]]:
    """One warm-up call, checked, then ``repeat`` timed calls (the last one checked too)."""
    result = fn()
    if not check(result):
        raise WrongResult(f"in the warm-up: {result!r}")
    times = timings(fn, repeat)
    result = fn()
    if not check(result):
        raise WrongResult(f"in a timed run: {result!r}")
    return result, times


def per_threads(fn, repeat: int, check) -> dict[int, list[float]]:
    """Times of ``fn`` under ``weldpy.config(threads=t)`` for each thread count."""
    out = {}
    for threads in THREADS:
        with weldpy.config(threads=threads):
            out[threads] = timed(fn, repeat, check)[1]
    return out


def cold_compile(text: str, args: tuple) -> float:
    """ms from ``compile(text)`` to the first result on small inputs, empty cache directory."""
    before = weldpy.stats()["programs_compiled"]
    with tempfile.TemporaryDirectory(prefix="weldpy-micro-") as cache_dir:
        with weldpy.config(cache_dir=cache_dir):
            start = time.perf_counter()
            weldpy.ir.compile(text)(*args)
            elapsed = time.perf_counter() - start
    if weldpy.stats()["programs_compiled"] == before:
        raise RuntimeError("the program was not compiled (a cache hit?)")
    return elapsed * 1e3


Times = dict[int, list[float]]  # thread count -> seconds of each timed run


def bench_stream(n: int, repeat: int, rng) -> dict[str, Times]:
    """x.sum() bandwidth, then the fused sum(x*y) as a fraction of it."""
    x, y = rng.random(n), rng.random(n)
    want = float(np.dot(x, y))
    close = lambda r: np.isclose(r, want, rtol=1e-9, atol=0)  # noqa: E731
    _, numpy_sum = timed(x.sum, repeat, lambda r: np.isclose(r, np.sum(x), rtol=0, atol=0))
    bandwidth = x.nbytes / min(numpy_sum) / 1e9
    _, numpy_xy = timed(lambda: (x * y).sum(), repeat, close)
    program = weldpy.ir.compile(PROGRAMS["sum(x*y)"][0])
    weld = per_threads(lambda: program(x, y), repeat, close)
    # x.sum() is the gate's reference; np.dot (OpenBLAS, all cores) is a second, stricter
    # one, timed after weldpy: OpenBLAS's threads spin for ~0.2 s after a call and slow a
    # 2-thread weldpy loop started meanwhile (a 2M-element sum: 0.4 ms -> up to 12 ms)
    _, numpy_dot = timed(lambda: np.dot(x, y), repeat, close)
    time.sleep(0.5)
    dot = (x.nbytes + y.nbytes) / min(numpy_dot) / 1e9
    emit([Row("x.sum() (the bandwidth)", n, "1", None, "NumPy x.sum()", numpy_sum,
              f"{bandwidth:.1f} GB/s read"),
          Row("np.dot(x, y) (reference)", n, "all", None, "NumPy np.dot", numpy_dot,
              f"{dot:.1f} GB/s read")])
    for t, times in weld.items():
        gbs = (x.nbytes + y.nbytes) / min(times) / 1e9
        emit([Row("sum(x*y) fused", n, str(t), times, "NumPy (x*y).sum()", numpy_xy,
                  f"{gbs:.1f} GB/s={gbs / bandwidth:.0%} sum,{gbs / dot:.0%} dot",
                  ">= 90% of x.sum()" if t == 2 else "(2 threads)",
                  gbs / bandwidth >= 0.9 if t == 2 else None)])
    return {"sum(x*y)": weld}


def bench_math(name: str, n: int, repeat: int, rng, numpy_fn, target: float | None
               ) -> dict[str, Times]:
    """An elementwise program (or its sum) against NumPy; BENCH.md's target is for 1 thread.
    Reductions write nothing: their 2-thread/1-thread ratio is the compute-bound one."""
    x = rng.uniform(-5.0, 5.0, n) if "exp" in name else rng.uniform(-np.pi, np.pi, n)
    want = numpy_fn(x)
    rtol = 1e-14 if np.ndim(want) else 1e-9  # a sum: reassociated (IR.md)
    close = lambda r: np.shape(r) == np.shape(want) and np.allclose(  # noqa: E731
        r, want, rtol=rtol, atol=1e-15)
    _, numpy_times = timed(lambda: numpy_fn(x), repeat, close)
    program = weldpy.ir.compile(PROGRAMS[name][0])
    weld = per_threads(lambda: program(x), repeat, close)
    for t, times in weld.items():
        speedup = min(numpy_times) / min(times)
        gated = target is not None and t == 1
        emit([Row(name, n, str(t), times, "NumPy", numpy_times, f"{speedup:.2f}x NumPy",
                  f">= {target:g}x NumPy" if gated else "-",
                  speedup >= target if gated else None)])
    return {name: weld}


def _four_functions(x: np.ndarray) -> float:
    from scipy.special import erf

    return (np.sin(x) + np.cos(x) + erf(x) + np.log1p(x * x)).sum()


def distinct_keys(rng, rows: int, distinct: int) -> np.ndarray:
    """``rows`` int64 keys holding exactly ``distinct`` random values, in random order."""
    pool = np.unique(rng.integers(-2**62, 2**62, distinct + distinct // 10 + 10))
    pool = rng.permutation(pool)[:distinct]
    picks = np.concatenate([np.arange(distinct), rng.integers(0, distinct, rows - distinct)])
    return pool[rng.permutation(picks)]


def series_from_dict(d: dict) -> pd.Series:
    """What a user reads: the dict result as a Series indexed by key, sorted by key."""
    keys = np.fromiter(d.keys(), dtype=np.int64, count=len(d))
    values = np.fromiter(d.values(), dtype=np.float64, count=len(d))
    return pd.Series(values, index=pd.Index(keys, name="k"), name="v").sort_index()


def series_from_entries(entries: np.ndarray) -> pd.Series:
    """The ``tovec`` result, already sorted by key (IR.md), as a Series."""
    return pd.Series(entries["f1"], index=pd.Index(entries["f0"], name="k"), name="v")


def bench_groupby(n: int, distinct: int, repeat: int, rng) -> dict[str, Times]:
    """A dictmerger groupby-sum (both result forms) against pandas."""
    k, v = distinct_keys(rng, n, distinct), rng.random(n)
    df = pd.DataFrame({"k": k, "v": v})
    want = df.groupby("k")["v"].sum()

    def same(got: pd.Series) -> bool:
        return (len(got) == len(want) and np.array_equal(got.index.to_numpy(), want.index)
                and np.allclose(got.to_numpy(), want.to_numpy(), rtol=1e-9, atol=1e-12))

    _, pandas_times = timed(lambda: df.groupby("k")["v"].sum(), repeat, same)
    target = 3.0 if distinct <= 1_000 else 4.0
    weld_all = {}
    for name, convert in (("groupby (dict)", series_from_dict),
                          ("groupby (tovec)", series_from_entries)):
        program = weldpy.ir.compile(PROGRAMS[name][0])
        weld = per_threads(lambda p=program, c=convert: c(p(k, v)), repeat, same)
        weld_all[f"{name} {_count(distinct)}"] = weld
        for t, times in weld.items():
            speedup = min(pandas_times) / min(times)
            # the gate reads sorted columns, as a frame-building frontend does; the Python
            # dict form spends most of its time making 1M NumPy scalars for the dict
            gated = t == 2 and "tovec" in name
            emit([Row(f"{name} {_count(distinct)} keys", n, str(t), times, "pandas",
                      pandas_times, f"{speedup:.2f}x pandas",
                      f">= {target:g}x pandas" if gated else "-",
                      speedup >= target if gated else None)])
    return weld_all


def scaling_rows(loops: dict[str, Times]) -> list[Row]:
    """2-thread/1-thread ratio of best times; the target is for compute-bound loops."""
    rows = []
    for name, weld in loops.items():
        ratio = min(weld[1]) / min(weld[2])
        # compute-bound: ~2 ns of math per element read, nothing written (a sum of one
        # vectorised function reads its input nearly as fast as one core's bandwidth)
        compute = name == "sum(4 math fns)"
        rows.append(Row(f"{name} 2T/1T", 0, "2/1", None, "", None, f"{ratio:.2f}x",
                        ">= 1.8x" if compute else "(no target)",
                        ratio >= 1.8 if compute else None))
    return rows


def _count(n: int) -> str:
    for unit, scale in (("M", 1_000_000), ("k", 1_000)):
        if n >= scale and n % (scale // 10) == 0:
            return f"{n / scale:g}{unit}"
    return str(n)


def _times(times: list[float] | None) -> str:
    if times is None:
        return f"{'':>17}"
    return f"{min(times) * 1e3:8.1f} {statistics.median(times) * 1e3:8.1f}"


def _met(met: bool | None) -> str:
    return "" if met is None else ("yes" if met else "NO")


HEADER = (f"{'workload':<30} {'n':>5} {'thr':>3}  {'weldpy best/med ms':>17}  "
          f"{'baseline':<18} {'best/med ms':>17}  {'result':<30} {'target':<19} met")


def emit(rows: list[Row]) -> None:
    """Print rows as soon as they are measured (a full run takes minutes)."""
    for r in rows:
        size = _count(r.size) if r.size else ""
        print(f"{r.workload:<30} {size:>5} {r.threads:>3}  {_times(r.weld)}  "
              f"{r.base_name:<18} {_times(r.base)}  {r.measure:<30} {r.target:<19} "
              f"{_met(r.met)}", flush=True)


def print_cold() -> bool:
    """Cold compile of each program (first call on 1,000 elements, empty cache directory)."""
    x = np.linspace(-1.0, 1.0, 1000)
    k = np.arange(1000, dtype=np.int64) % 7
    args = {"sum(x*y)": (x, x), "exp(x)*2+1": (x,), "sin(x)": (x,), "sum(exp(x)*2+1)": (x,),
            "sum(sin(x))": (x,), "sum(4 math fns)": (x,), "groupby (dict)": (k, x),
            "groupby (tovec)": (k, x)}
    print("cold compile, ms from compile(text) to the first result (1,000 elements, empty "
          "cache directory):")
    ok = True
    programs = {"first use": (FIRST_USE, None), **PROGRAMS}
    args["first use"] = (x,)
    for name, (text, target) in programs.items():
        try:
            ms = cold_compile(text, args[name])
        except Exception as error:  # noqa: BLE001  (report it, time the others)
            print(f"  {name:<18} not compiled: {type(error).__name__}: {error}")
            ok = False
            continue
        if target is None:
            print(f"  {name:<18} {ms:7.1f} ms  (a trivial program: the process's one-time "
                  f"set-up, kept out of the lines below)")
            continue
        print(f"  {name:<18} {ms:7.1f} ms  target <= {target:g} ms  "
              f"{'yes' if ms <= target else 'NO'}")
    print()
    return ok


def run_all(sizes: dict, repeat: int, rng) -> bool:
    """Every workload; one that fails prints its error and the others still run."""
    workloads = [("sum(x*y)", partial(bench_stream, sizes["stream"], repeat, rng)),
                 ("exp(x)*2+1", partial(bench_math, "exp(x)*2+1", sizes["math"], repeat, rng,
                                        lambda x: np.exp(x) * 2.0 + 1.0, 2.0)),
                 ("sin(x)", partial(bench_math, "sin(x)", sizes["math"], repeat, rng,
                                    np.sin, 8.0)),
                 ("sum(exp(x)*2+1)", partial(bench_math, "sum(exp(x)*2+1)", sizes["math"],
                                             repeat, rng,
                                             lambda x: (np.exp(x) * 2.0 + 1.0).sum(), None)),
                 ("sum(sin(x))", partial(bench_math, "sum(sin(x))", sizes["math"], repeat, rng,
                                         lambda x: np.sin(x).sum(), None)),
                 ("sum(4 math fns)", partial(bench_math, "sum(4 math fns)", sizes["math"],
                                             repeat, rng, _four_functions, None))]
    workloads += [(f"groupby {_count(d)} keys",
                   partial(bench_groupby, sizes["group"], d, repeat, rng))
                  for d in sizes["keys"]]
    loops, ok = {}, True
    for name, run in workloads:
        try:
            loops.update(run())
        except Exception as error:  # noqa: BLE001  (report it, measure the rest)
            print(f"{name:<30} not measured: {type(error).__name__}: {error}", flush=True)
            ok = False
    emit(scaling_rows(loops))
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs after a warm-up")
    options = parser.parse_args()
    openblas = "set (run as a script to unset them)" if any(
        v in os.environ for v in _OPENBLAS_VARS) else "unset"
    print(f"weldpy {weldpy.__version__} micro-benchmarks, llvm backend, threads {THREADS}; "
          f"best/median of {options.repeat} runs after a warm-up; ratios from best times; "
          f"{', '.join(_OPENBLAS_VARS)} {openblas}\n")
    if options.quick:
        print("--quick: small sizes that fit in caches, a smoke run; its ratios do not judge "
              "the targets\n")
    load = os.getloadavg()[0]
    ok = print_cold()
    print(HEADER)
    print("-" * len(HEADER))
    measured = run_all(QUICK if options.quick else FULL, options.repeat,
                       np.random.default_rng(42))
    # the machine is shared: a load above ~0 means other work competed for the 2 cores
    print(f"\nload average (1 min) at the start {load:.2f}, at the end {os.getloadavg()[0]:.2f}")
    if not (ok and measured):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
