"""The optimiser's gains: pipelines written as a frontend emits them, optimiser on and off.

Each pipeline is IR text with one loop per NumPy operation, ``result(for(..., appender[f64],
...))`` feeding the next (a binary operation of two vectors iterates over their ``zip``; a
vector used twice is bound by ``let``, as a lazy frontend shares a node of its graph). For
each, at 20M f64 elements on the llvm backend at 1 and 2 threads, one run prints:
- weldpy with ``weldpy.config(optimize=True)`` (every pass in ``weldpy.ir.passes.NAMES``) and
  ``optimize=False``: best/median time, the loops executed and the bytes allocated by
  compiled code (``weldpy.stats()``, results included) in one call, the call's peak extra
  memory, and what the process still held after it once its result was dropped ("kept": the
  runtime's cache of warm blocks, runtime_blocks.py);
- a hand-fused Numba loop of the same math (``@njit(parallel=True, fastmath=True)``,
  ``numba.set_num_threads``) and NumPy (one thread: its ufuncs are), with their peak extra
  memory;
- the ratio weldpy / Numba, and BENCH.md's targets on the optimised 2-thread line: one loop,
  no intermediate allocation, at least as fast as the hand-fused Numba loop, and a peak extra
  memory no more than the outputs' size (the failed parts are named).

Peak extra memory: every measured configuration (pipeline x system x optimiser x threads)
runs in a fresh process (``--child``). It makes its inputs and NumPy's answer, compiles its
program (weldpy: ``ir.compile`` then a call on the first 1,000 elements, which compiles the
code for these types; Numba: the same call, which compiles), then resets the kernel's
peak-RSS counter (writing 5 to ``/proc/self/clear_refs``, Linux >= 4.0), reads VmRSS, makes
ONE full-size call keeping its result, and reads VmHWM: the difference is the most memory the
call held at once beyond what the process held before, result included, counted in resident
pages (what the machine must supply; an allocation never touched does not count). It is the
first full-size call of the process, so no memory freed by an earlier call (weldpy's block
cache, malloc's free lists) can be reused unseen. The call's stats are read then, and its
answer checked, before the timed runs. ``SLACK`` (1 MiB) absorbs page-granular noise (and
thread stacks first touched) in the targets on memory. In the timed runs weldpy's results
and intermediates reuse its warm blocks, as they would in a user's loop; NumPy's and the
Numba wrappers' outputs (``np.empty_like``) are fresh pages from the kernel each run.
Every answer is checked against NumPy before a time is printed (sums with a relative
tolerance: they are reassociated); times are the best and median of --repeat runs after a
warm-up, on a program compiled outside the timing; ratios use the best times. --quick (a
smoke run of small sizes) measures every configuration in this process instead, 2 threads.
OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed from the environment (BENCH.md): the script
re-runs itself without them.

    python bench/fusion.py [--quick] [--repeat 5] [--only "chain"]
"""

from __future__ import annotations

import os
import sys

from openblas_env import restart_without_them  # (bench/ is the script's folder)
from timing import timings

if __name__ == "__main__":
    restart_without_them()  # before NumPy loads OpenBLAS, so before the imports below

import argparse  # noqa: E402
import json  # noqa: E402
import operator  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

FULL_N, QUICK_N = 20_000_000, 200_000
SLACK = 1 << 20  # bytes of page-granular noise allowed in the peak-memory target
WARM_N = 1000  # elements of the call that compiles (outside every measure)


# --- the pipelines in the IR, one loop per NumPy operation -------------------------------

def _map(src: str, body) -> str:
    """One NumPy operation on one vector (``body(e)``: the element's expression)."""
    return f"result(for({src}, appender[f64], |b, i, e| merge(b, {body('e')})))"


def _zip(left: str, right: str, body) -> str:
    """One NumPy operation on two vectors (``body(l, r)``)."""
    return (f"result(for(zip({left}, {right}), appender[f64], "
            f"|b, i, e| merge(b, {body('e.$0', 'e.$1')})))")


def _reduce(src: str, op: str = "+") -> str:
    return f"result(for({src}, merger[f64, {op}], |b, i, e| merge(b, e)))"


_OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul}
# ten operations; "x" mixes the input in again (a zip with x)
CHAIN_SCALARS = (("*", 1.0001), ("+", 0.5), ("*", 0.999), ("-", 0.25), ("*", 1.5),
                 ("+", 0.125), ("*", 0.75), ("-", 0.0625), ("*", 1.25), ("+", 1.0))
CHAIN_MIXED = (("*", 1.0001), ("+", 0.5), ("*", "x"), ("-", 0.25), ("*", 1.5),
               ("+", "x"), ("*", 0.75), ("-", 0.0625), ("*", "x"), ("+", 1.0))


def _chain_ir(ops) -> str:
    src = "x"
    for op, operand in ops:
        if operand == "x":
            src = _zip(src, "x", lambda l, r, op=op: f"{l} {op} {r}")
        else:
            src = _map(src, lambda e, op=op, c=operand: f"{e} {op} {c!r}")
    return f"|x: vec[f64]| {_reduce(src)}"


def _chain_numpy(ops):
    def run(x):
        v = x
        for op, operand in ops:
            v = _OPS[op](v, x if operand == "x" else operand)
        return v.sum()
    return run


FILTER_SUM = ("|x: vec[f64]| " + _reduce(
    "result(for(x, appender[f64], |b, i, e| if(e > 0.5, merge(b, e), b)))"))
STATS = ("|x: vec[f64]| {" + _reduce("x") + ", " + _reduce("x") + " / f64(len(x)), "
         + _reduce("x", "min") + ", " + _reduce("x", "max") + "}")
MAP_ZIP = "|x: vec[f64]| " + _zip(_map(_map("x", lambda e: f"{e} * 2.0"),
                                       lambda e: f"{e} + 1.0"), "x", lambda l, r: f"{l} * {r}")
MAP_SCALARS = "|x: vec[f64]| " + _map(_map(_map("x", lambda e: f"{e} * 2.0"),
                                           lambda e: f"{e} + 1.0"), lambda e: f"{e} * 0.5")

R, SIGMA = 0.02, 0.3
DRIFT = R + 0.5 * SIGMA * SIGMA
HALF_SQRT = 0.7071067811865476  # 1/sqrt(2)


def _ncdf(v: str) -> str:
    """0.5 + 0.5 * erf(v / sqrt(2)), four NumPy operations."""
    return _map(_map(_map(_map(v, lambda e: f"{e} * {HALF_SQRT!r}"), lambda e: f"erf({e})"),
                     lambda e: f"{e} * 0.5"), lambda e: f"{e} + 0.5")


def _black_scholes_ir() -> str:
    mul, sub = (lambda l, r: f"{l} * {r}"), (lambda l, r: f"{l} - {r}")
    vst = _map(_map("t", lambda e: f"sqrt({e})"), lambda e: f"{e} * {SIGMA!r}")
    ln = _map(_zip("s", "k", lambda l, r: f"{l} / {r}"), lambda e: f"log({e})")
    num = _zip(ln, _map("t", lambda e: f"{e} * {DRIFT!r}"), lambda l, r: f"{l} + {r}")
    discount = _map(_map("t", lambda e: f"{e} * {-R!r}"), lambda e: f"exp({e})")
    put = _zip(_zip("k", discount, mul), _ncdf("d2"), mul)
    return (f"|s: vec[f64], k: vec[f64], t: vec[f64]| let vst = {vst}; "
            f"let d1 = {_zip(num, 'vst', lambda l, r: f'{l} / {r}')}; "
            f"let d2 = {_zip('d1', 'vst', sub)}; "
            f"{_zip(_zip('s', _ncdf('d1'), mul), put, sub)}")


def _black_scholes_numpy(s, k, t):
    from scipy.special import erf

    vst = np.sqrt(t) * SIGMA
    d1 = (np.log(s / k) + t * DRIFT) / vst
    d2 = d1 - vst
    ncdf = lambda d: erf(d * HALF_SQRT) * 0.5 + 0.5  # noqa: E731
    return s * ncdf(d1) - k * np.exp(t * -R) * ncdf(d2)


def _uniform(rng, n):
    return (rng.random(n),)


def _options(rng, n):
    return (rng.uniform(50.0, 150.0, n), rng.uniform(50.0, 150.0, n), rng.uniform(0.1, 2.0, n))


@dataclass(frozen=True)
class Pipeline:
    text: str
    inputs: object  # (rng, n) -> tuple of arrays
    numpy: object  # (*inputs) -> the answer, one temporary per operation
    numba: str  # name of the hand-fused kernel in numba_kernels()
    outputs: object  # n -> bytes of the result


_VEC = lambda n: 8 * n  # noqa: E731
PIPELINES = {
    "10-op chain + sum": Pipeline(_chain_ir(CHAIN_SCALARS), _uniform,
                                  _chain_numpy(CHAIN_SCALARS), "chain_scalars", lambda n: 8),
    "10-op chain(x) + sum": Pipeline(_chain_ir(CHAIN_MIXED), _uniform,
                                     _chain_numpy(CHAIN_MIXED), "chain_mixed", lambda n: 8),
    "filter + sum": Pipeline(FILTER_SUM, _uniform, lambda x: x[x > 0.5].sum(), "filter_sum",
                             lambda n: 8),
    "sum,mean,min,max": Pipeline(STATS, _uniform, lambda x: (x.sum(), x.mean(), x.min(),
                                                             x.max()), "stats", lambda n: 32),
    "y=(x*2+1)*x": Pipeline(MAP_ZIP, _uniform, lambda x: (x * 2.0 + 1.0) * x, "map_zip", _VEC),
    "y=(x*2+1)*0.5": Pipeline(MAP_SCALARS, _uniform, lambda x: (x * 2.0 + 1.0) * 0.5,
                              "map_scalars", _VEC),
    "Black-Scholes call": Pipeline(_black_scholes_ir(), _options, _black_scholes_numpy,
                                   "black_scholes", _VEC),
}


def numba_kernels() -> dict:
    """The hand-fused loops, as a competent Numba user writes them (compiled on first call).
    A vector result is allocated by NumPy and passed in: Numba's own ``np.empty`` inside the
    kernel takes memory without transparent-huge-page advice, and first touching its 4 KiB
    pages cost ~45 ms more per 160 MB here; the faster form is the baseline."""
    import math

    from numba import njit, prange

    # cached (in bench/__pycache__): compiling is not measured, and a --quick run stays short
    jit = njit(parallel=True, fastmath=True, cache=True)

    @jit
    def chain_scalars(x):
        s = 0.0
        for i in prange(x.shape[0]):
            s += ((((x[i] * 1.0001 + 0.5) * 0.999 - 0.25) * 1.5 + 0.125) * 0.75
                  - 0.0625) * 1.25 + 1.0
        return s

    @jit
    def chain_mixed(x):
        s = 0.0
        for i in prange(x.shape[0]):
            v = x[i]
            s += (((((v * 1.0001 + 0.5) * v - 0.25) * 1.5 + v) * 0.75 - 0.0625) * v) + 1.0
        return s

    @jit
    def filter_sum(x):
        s = 0.0
        for i in prange(x.shape[0]):
            if x[i] > 0.5:
                s += x[i]
        return s

    @jit
    def stats(x):
        s, lo, hi = 0.0, np.inf, -np.inf
        for i in prange(x.shape[0]):
            s += x[i]
            lo = min(lo, x[i])
            hi = max(hi, x[i])
        return s, s / x.shape[0], lo, hi

    @jit
    def map_zip(x, y):
        for i in prange(x.shape[0]):
            y[i] = (x[i] * 2.0 + 1.0) * x[i]
        return y

    @jit
    def map_scalars(x, y):
        for i in prange(x.shape[0]):
            y[i] = (x[i] * 2.0 + 1.0) * 0.5
        return y

    @jit
    def black_scholes(s, k, t, out):
        for i in prange(s.shape[0]):
            vst = math.sqrt(t[i]) * SIGMA
            d1 = (math.log(s[i] / k[i]) + t[i] * DRIFT) / vst
            d2 = d1 - vst
            n1 = 0.5 + 0.5 * math.erf(d1 * HALF_SQRT)
            n2 = 0.5 + 0.5 * math.erf(d2 * HALF_SQRT)
            out[i] = s[i] * n1 - k[i] * math.exp(-R * t[i]) * n2
        return out

    def into_new(kernel):
        return lambda *inputs: kernel(*inputs, np.empty_like(inputs[0]))

    kernels = {f.__name__: f for f in (chain_scalars, chain_mixed, filter_sum, stats)}
    kernels.update({f.__name__: into_new(f) for f in (map_zip, map_scalars, black_scholes)})
    return kernels


# --- one measured configuration ------------------------------------------------------------

def close(got, want) -> bool:
    """Equal up to reassociated sums and a few ULP of the math library."""
    if isinstance(want, tuple):
        return (isinstance(got, tuple) and len(got) == len(want)
                and all(close(g, w) for g, w in zip(got, want, strict=True)))
    if np.ndim(want):
        return (np.shape(got) == np.shape(want)
                and np.allclose(got, want, rtol=1e-9, atol=1e-12 * np.abs(want).max()))
    return bool(np.isclose(got, want, rtol=1e-9, atol=0))


def _memory() -> dict[str, int]:
    """VmRSS and VmHWM of this process, in bytes."""
    out = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) * 1024
    return out


def peak_call(fn, want) -> tuple[int, int]:
    """The most resident memory ``fn()`` held beyond the process's before it, and what the
    process still holds once the (checked) result is dropped: caches the call filled."""
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # the peak-RSS counter restarts from the current RSS
    before = _memory()["VmRSS"]
    result = fn()
    peak = _memory()["VmHWM"] - before
    if not close(result, want):
        raise SystemExit(f"wrong result {result!r}, NumPy {want!r}")
    del result
    return peak, _memory()["VmRSS"] - before


def _prepare(name: str, system: str, threads: int, inputs: tuple):
    """The call to measure, compiled (and its thread pool started) on a small input."""
    pipeline = PIPELINES[name]
    if system == "numpy":
        return lambda: pipeline.numpy(*inputs)
    if system == "numba":
        import numba

        numba.set_num_threads(threads)
        kernel = numba_kernels()[pipeline.numba]
        kernel(*(a[:WARM_N] for a in inputs))
        return lambda: kernel(*inputs)
    import weldpy
    import weldpy.backends.llvm  # noqa: F401

    program = weldpy.ir.compile(pipeline.text)
    program(*(a[:WARM_N] for a in inputs))
    return lambda: program(*inputs)


def measure(name: str, system: str, optimize: bool, threads: int, n: int, repeat: int
            ) -> dict:
    """Peak memory, counters and times of one configuration (see the module docstring)."""
    import weldpy

    pipeline = PIPELINES[name]
    inputs = pipeline.inputs(np.random.default_rng(42), n)
    want = pipeline.numpy(*inputs)  # (before the measured call: not in its memory)
    with weldpy.config(backend="llvm", threads=threads, optimize=optimize):
        fn = _prepare(name, system, threads, inputs)
        weldpy.stats(reset=True)
        peak, kept = peak_call(fn, want)
        stats = weldpy.stats()
        fn()  # the warm-up
        times = timings(fn, repeat)
        result = fn()
        if not close(result, want):
            raise SystemExit(f"wrong result in a timed run {result!r}")
    return {"times": times, "peak": peak, "kept": kept, "loops": stats["loops_executed"],
            "allocated": stats["bytes_allocated"], "outputs": pipeline.outputs(n)}


def run_child(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", *args],
                         capture_output=True, text=True, timeout=900)
    if out.returncode != 0:  # (the last line of its error: a wrong result names both)
        lines = (out.stderr.strip() or out.stdout.strip()).splitlines()
        raise RuntimeError(lines[-1] if lines else f"exit status {out.returncode}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- the table -----------------------------------------------------------------------------

def _mb(nbytes: int) -> str:
    return f"{nbytes / 2**20:.1f}"


def _ms(m: dict) -> str:
    return f"{min(m['times']) * 1e3:7.1f} {statistics.median(m['times']) * 1e3:7.1f}"


HEADER = (f"{'pipeline':<21} {'opt':>3} {'thr':>3}  {'weldpy best/med':>15} {'loops':>5} "
          f"{'alloc MB':>8} {'peak MB':>7} {'kept':>6} {'out MB':>6}  {'Numba best/med':>15} "
          f"{'peak':>5}  {'NumPy best':>10} {'peak':>6}  {'wp/Numba':>8}  "
          f"target: 1 loop, 0 alloc, <= Numba, peak <= out")


def _verdict(weld: dict, numba: dict) -> str:
    """BENCH.md's targets for the optimised 2-thread line; the failed parts named."""
    failed = [what for what, ok in (
        ("loops", weld["loops"] == 1),
        ("alloc", weld["allocated"] <= weld["outputs"] + SLACK),
        ("time", min(weld["times"]) <= min(numba["times"])),
        ("peak", weld["peak"] <= weld["outputs"] + SLACK)) if not ok]
    return "yes" if not failed else "NO: " + ", ".join(failed)


def emit(name: str, threads: int, runs: dict, gated: bool) -> None:
    """The optimiser-on and -off lines of one pipeline at one thread count."""
    numba, numpy = runs["numba", threads], runs["numpy", 1]
    for optimize in (True, False):
        weld = runs["weldpy", optimize, threads]
        ratio = min(weld["times"]) / min(numba["times"])
        verdict = _verdict(weld, numba) if optimize and gated else ""
        print(f"{name:<21} {'on' if optimize else 'off':>3} {threads:>3}  {_ms(weld)} "
              f"{weld['loops']:>5} {_mb(weld['allocated']):>8} {_mb(weld['peak']):>7} "
              f"{_mb(weld['kept']):>6} {_mb(weld['outputs']):>6}  {_ms(numba)} "
              f"{_mb(numba['peak']):>5}  "
              f"{min(numpy['times']) * 1e3:10.1f} {_mb(numpy['peak']):>6}  "
              f"{ratio:8.2f}  {verdict}", flush=True)


def bench(name: str, n: int, repeat: int, thread_counts: tuple, fresh: bool) -> None:
    """Every configuration of one pipeline measured (in fresh processes when ``fresh``),
    then its lines printed."""
    configs = [("numpy", False, 1)] + [c for t in thread_counts for c in (
        ("numba", False, t), ("weldpy", True, t), ("weldpy", False, t))]
    runs = {}
    for system, optimize, threads in configs:
        key = (system, optimize, threads) if system == "weldpy" else (system, threads)
        if fresh:
            runs[key] = run_child([name, system, str(int(optimize)), str(threads), str(n),
                                   str(repeat)])
        else:
            runs[key] = measure(name, system, optimize, threads, n, repeat)
    for threads in thread_counts:
        emit(name, threads, runs, gated=fresh and threads == 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs after a warm-up")
    parser.add_argument("--only", action="append", metavar="TEXT",
                        help="only the pipelines whose name contains TEXT (repeatable)")
    parser.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        name, system, optimize, threads, n, repeat = options.child
        print(json.dumps(measure(name, system, optimize == "1", int(threads), int(n),
                                 int(repeat))))
        return
    import weldpy
    from weldpy.ir.passes import NAMES

    n = QUICK_N if options.quick else FULL_N
    threads = (2,) if options.quick else (1, 2)
    print(f"weldpy {weldpy.__version__} fusion benchmark, llvm backend, {n:,} f64 elements; "
          f"optimiser passes: {', '.join(NAMES)}; best/median ms of {options.repeat} runs "
          f"after a warm-up; NumPy on one thread; peak MB: resident memory a call held beyond "
          f"the process's before it, result included"
          f"{'; --quick: one process, small sizes, no target judged' if options.quick else ''}"
          f"\n")
    load = os.getloadavg()[0]
    print(HEADER)
    print("-" * len(HEADER))
    failed = False
    names = [p for p in PIPELINES if not options.only or any(t in p for t in options.only)]
    for name in names:
        try:
            bench(name, n, options.repeat, threads, fresh=not options.quick)
        except (RuntimeError, SystemExit) as error:
            print(f"{name:<21} not measured: {error}", flush=True)
            failed = True
    print(f"\nload average (1 min) at the start {load:.2f}, at the end {os.getloadavg()[0]:.2f}")
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
