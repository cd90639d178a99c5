"""Compile latency and call overhead of the llvm backend, next to BENCH.md's targets.

For an elementwise, a reduction and a groupby program (weldpy IR text), and the weldpy.numpy
workloads Black-Scholes and Haversine (bench/workloads, their graphs built on 1,000
elements: the program BENCH.md's compile row means for a frontend), prints:
- cold: ``weldpy.ir.compile(text)`` to the first result, in a fresh process with an empty
  cache directory (imports of weldpy and its llvm backend not included: shown apart; nor
  the compile of weldpy's runtime library, which happens once per machine: shown apart);
- disk: the same in a fresh process whose cache directory holds the program (the disk
  cache's object code, no code generation, no LLVM);
- call: the per-call time of an already compiled program on a 1-element input, and
  ``compile(text)`` + call again in the same process (the in-memory cache).
Every result is checked against NumPy before a time is printed.

    python bench/compile.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def _groupby_expected(k, v):
    keys, inverse = np.unique(k, return_inverse=True)
    return keys, np.bincount(inverse, weights=v, minlength=len(keys))


def _groupby_check(result, k, v):
    keys, sums = _groupby_expected(k, v)
    pairs = sorted((int(row[0]), float(row[1])) for row in result)
    return ([p[0] for p in pairs] == keys.tolist()
            and np.allclose([p[1] for p in pairs], sums, rtol=1e-12))


# name -> (IR text, arguments of size n, check(result, *args), cold target in ms)
PROGRAMS = {
    "elementwise x*2+1": (
        "|x: vec[f64]| result(for(x, appender[f64], |b,i,e| merge(b, e*2.0+1.0)))",
        lambda n: (np.linspace(-1.0, 1.0, n),),
        lambda r, x: np.array_equal(r, x * 2.0 + 1.0),
        100.0),
    "reduction sum": (
        "|x: vec[f64]| result(for(x, merger[f64,+], |b,i,e| merge(b,e)))",
        lambda n: (np.linspace(-1.0, 3.0, n),),
        lambda r, x: np.isclose(r, x.sum(), rtol=1e-12),
        100.0),
    "groupby sum (dictmerger)": (
        "|k: vec[i64], v: vec[f64]| tovec(result(for(zip(k,v), dictmerger[i64,f64,+], "
        "|b,i,e| merge(b,e))))",
        lambda n: (np.arange(n, dtype=np.int64) % 7, np.linspace(0.0, 1.0, n)),
        _groupby_check,
        300.0),
}
# weldpy.numpy workloads: name -> (workload file in bench/workloads, cold target in ms)
WORKLOADS = {"Black-Scholes (numpy)": ("black_scholes", 100.0),
             "Haversine (numpy)": ("haversine", 100.0)}
DISK_TARGET_MS = 10.0
CALL_TARGET_US = 20.0


def child(name: str, cache_dir: str) -> None:
    """In a fresh process: time compile + first call of program ``name``; print JSON."""
    start = time.perf_counter()
    import weldpy
    import weldpy.backends.llvm  # noqa: F401  (imports, llvmlite's ~60 ms, are not compiling)
    import weldpy.numpy  # noqa: F401
    imported = time.perf_counter()
    run, check, args = _runnable(name)
    with weldpy.config(backend="llvm", cache_dir=cache_dir):
        runtime_ms = 0.0
        if not os.listdir(cache_dir):  # cold: compile the runtime library (once a machine)
            from weldpy.backends.llvm import runtime_ir
            runtime_ms = _ms(runtime_ir.library)
        weldpy.stats(reset=True)
        t0 = time.perf_counter()
        result = run(*args)
        t1 = time.perf_counter()
    if not check(result, *args):
        raise SystemExit(f"{name}: wrong result {result!r}")
    stats = weldpy.stats()
    print(json.dumps({"ms": (t1 - t0) * 1e3, "import_ms": (imported - start) * 1e3,
                      "disk_hits": stats["cache_hits_disk"], "runtime_ms": runtime_ms}))


def _runnable(name: str):
    """(run(*args) -> result, check(result, *args), args on 1,000 elements) of ``name``:
    an IR program compiled by ``weldpy.ir.compile``, or a workload's graph evaluated."""
    if name in PROGRAMS:
        from weldpy.ir import compile

        text, make_args, check, _ = PROGRAMS[name]
        return (lambda *args: compile(text)(*args)), check, make_args(1000)
    import numpy_workloads as workloads

    file = WORKLOADS[name][0]
    run = workloads.weldpy_call(file, workloads.load(file, "weldpy"))
    reference = workloads.numpy_call(file, workloads.load(file, "numpy"))

    def check(result, *args):
        workloads.check(result, reference(*args))  # (the workload benchmark's own check)
        return True
    return run, check, workloads.inputs(file, 1000, seed=0)


def _ms(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1e3


def run_child(name: str, cache_dir: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", name, cache_dir],
                         capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        lines = (out.stderr.strip() or out.stdout.strip()).splitlines()
        raise RuntimeError(lines[-1] if lines else f"exit status {out.returncode}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def call_overhead(name: str, calls: int = 2000, repeat: int = 5) -> tuple[float, float]:
    """us per call of a compiled program on 1 element; ms of compile(text)+call from memory."""
    import weldpy
    from weldpy.ir import compile
    text, make_args, check, _ = PROGRAMS[name]
    args = make_args(1)
    with weldpy.config(backend="llvm", cache_dir=tempfile.mkdtemp(prefix="weldpy-bench-")):
        program = compile(text)
        if not check(program(*args), *args):
            raise RuntimeError(f"{name}: wrong result")
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            for _ in range(calls):
                program(*args)
            best = min(best, (time.perf_counter() - t0) / calls)
        again = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            compile(text)(*args)
            again = min(again, time.perf_counter() - t0)
        if weldpy.stats()["cache_hits_memory"] < repeat:
            raise RuntimeError(f"{name}: compiling again missed the in-memory cache")
    return best * 1e6, again * 1e3


def measure(name: str, repeat: int) -> dict:
    cold, disk, imports, runtimes = [], [], [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="weldpy-bench-") as cache_dir:
            first = run_child(name, cache_dir)
            second = run_child(name, cache_dir)
            if first["disk_hits"] != 0 or second["disk_hits"] != 1:
                raise RuntimeError(f"{name}: expected a cold compile then a disk hit, got "
                                   f"{first['disk_hits']} and {second['disk_hits']} disk hits")
            cold.append(first["ms"])
            runtimes.append(first["runtime_ms"])
            disk.append(second["ms"])
            imports.append(second["import_ms"])
    # (a workload's graph to result on new data: bench/overhead.py)
    call_us, again_ms = call_overhead(name) if name in PROGRAMS else (None, None)
    return {"cold": cold, "disk": disk, "import": imports, "call_us": call_us,
            "again_ms": again_ms, "runtime": runtimes}


def _fmt(values: list[float]) -> str:
    return f"{min(values):7.1f} {statistics.median(values):7.1f}"


def _ok(value: float, target: float) -> str:
    return "ok" if value <= target else "MISS"


def _calls(m: dict) -> str:
    if m["call_us"] is None:
        return f"{'-':>8} {'':5} {'':>2}  {'-':>8}"
    return (f"{m['call_us']:8.1f} {CALL_TARGET_US:5.0f} {_ok(m['call_us'], CALL_TARGET_US):>2}"
            f"  {m['again_ms']:8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="fresh processes per measure")
    parser.add_argument("--child", nargs=2, metavar=("PROGRAM", "CACHE_DIR"),
                        help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(*options.child)
        return
    print(f"weldpy compile latency: best and median of {options.repeat} fresh processes; "
          f"ms from compile(text) to the first result (1,000 elements)")
    header = (f"{'program':<26} {'cold best/med':>15} {'target':>7}  {'disk best/med':>15} "
              f"{'target':>7}  {'call us':>8} {'target':>7}  {'again ms':>8}  {'import ms':>9}")
    print(header)
    print("-" * len(header))
    runtimes = []
    targets = {name: row[-1] for name, row in {**PROGRAMS, **WORKLOADS}.items()}
    for name, target in targets.items():
        try:
            m = measure(name, options.repeat)
        except RuntimeError as error:
            print(f"{name:<26} not measured: {error}")
            continue
        runtimes += m["runtime"]
        print(f"{name:<26} {_fmt(m['cold'])} {target:5.0f} {_ok(min(m['cold']), target):>2}  "
              f"{_fmt(m['disk'])} {DISK_TARGET_MS:5.0f} {_ok(min(m['disk']), DISK_TARGET_MS):>2}"
              f"  {_calls(m)}  {statistics.median(m['import']):9.0f}")
    print("cold: empty cache directory; disk: a new process, object code from the disk cache; "
          "(for a workload: building its graph and evaluating it, 1,000 elements); "
          "call: a compiled program on 1 element; again: compile(text)+call served from the "
          "in-memory cache;\nimport: importing weldpy and weldpy.backends.llvm (llvmlite) in the "
          "child, not in any time above")
    if runtimes:
        print(f"weldpy's runtime library, compiled once per machine (first use), not in cold: "
              f"best {min(runtimes):.1f} ms, median {statistics.median(runtimes):.1f} ms; "
              f"loading it from the disk cache is part of every disk time")


if __name__ == "__main__":
    main()
