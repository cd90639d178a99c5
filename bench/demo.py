"""The main job, for now: compile and run Weld programs with weldpy and check them against NumPy.

Later issues grow this into the benchmark demo of BENCH.md (with the NumPy/pandas
frontends). Today it runs each Weld program on the LLVM backend (compiled, single-threaded)
and on the reference interpreter, checks both answers against NumPy/Python, and prints the
times next to NumPy's.

    python bench/demo.py [--size N]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

import numpy as np

import weldpy

PROGRAMS = {
    "sum of squares": (
        "|x: vec[f64]| result(for(x, merger[f64, +], |b, i, e| merge(b, e * e)))",
        lambda x, words: np.sum(x * x),
    ),
    "filter then count": (
        "|x: vec[f64]| result(for(x, merger[i64, +], |b, i, e| "
        "if(e > 0.5, merge(b, 1L), b)))",
        lambda x, words: np.count_nonzero(x > 0.5),
    ),
    "map, filter, collect": (
        "|x: vec[f64]| result(for(x, appender, |b, i, e| "
        "if(e > 0.9, merge(b, sqrt(e) + 1.0), b)))",
        lambda x, words: np.sqrt(x[x > 0.9]) + 1.0,
    ),
    "word count (dictmerger)": (
        "|w: vec[vec[i8]]| tovec(result(for(w, dictmerger[vec[i8], i64, +], |b, i, e| "
        "merge(b, {e, 1L}))))",
        lambda x, words: sorted(Counter(words).items()),
    ),
    "sum and max in one loop": (
        "|x: vec[f64]| let r = for(x, {merger[f64, +], merger[f64, max]}, |b, i, e| "
        "{merge(b.$0, e), merge(b.$1, e)}); {result(r.$0), result(r.$1)}",
        lambda x, words: (np.sum(x), np.max(x)),
    ),
}


def _same(got, want) -> bool:
    if isinstance(want, list):
        # tovec of dict[vec[i8], i64]: (int8 array, i64) pairs, sorted by key bytes
        return [(k.tobytes().decode(), int(v)) for k, v in got] == want
    if isinstance(want, tuple):
        return all(_same(g, w) for g, w in zip(got, want, strict=True))
    return np.allclose(got, want, rtol=1e-9, atol=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20_000, help="elements per input")
    size = parser.parse_args().size
    rng = np.random.default_rng(42)
    x = rng.random(size)
    words = [rng.choice(["apple", "pear", "fig", "kiwi", "été"]) for _ in range(size // 10)]
    print(f"weldpy {weldpy.__version__}: {len(PROGRAMS)} Weld programs on {size} elements\n")
    print(f"{'program':26} {'compile ms':>10} {'llvm ms':>9} {'NumPy ms':>9} "
          f"{'interp ms':>10}  check")
    for name, (text, numpy_answer) in PROGRAMS.items():
        arg = words if "vec[vec[i8]]" in text else x
        start = time.perf_counter()
        program = weldpy.ir.compile(text)
        program(arg)
        compiled = time.perf_counter()
        got = program(arg)
        ran = time.perf_counter()
        want = numpy_answer(x, words)
        numpy_ms = 1e3 * (time.perf_counter() - ran)
        with weldpy.config(backend="interp"):
            slow_start = time.perf_counter()
            slow = program(arg)
            interp_ms = 1e3 * (time.perf_counter() - slow_start)
        ok = _same(got, want) and _same(slow, want)
        print(f"{name:26} {1e3 * (compiled - start):10.1f} {1e3 * (ran - compiled):9.2f} "
              f"{numpy_ms:9.2f} {interp_ms:10.1f}  {'equal to NumPy' if ok else 'MISMATCH'}")
        if not ok:
            raise SystemExit(f"{name}: weldpy gave {got!r} (interpreter {slow!r})")
    print("\nThe type checker's view of the last program:\n")
    print(weldpy.ir.pretty(weldpy.ir.typecheck(weldpy.ir.parse(text))))


if __name__ == "__main__":
    main()
