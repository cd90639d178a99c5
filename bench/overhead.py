"""What weldpy.numpy costs beyond its loops (BENCH.md's "overhead" and "small data" rows).

A pipeline of ten NumPy operations and a sum, written for ``import numpy as np`` and run with
``import weldpy.numpy as np`` (only the import differs), on new arrays at every run: graph
building, finding the compiled program, the run and the conversion of the result, timed
together ("graph to result"). Next to it: the same compiled program called directly on the
same arrays ("the loop alone", what the graph costs nothing in), and NumPy. Sizes 1,000
(small data) and 1,000,000 elements, one thread (small inputs run on one anyway), NumPy's
default error state (weldpy's floating-point checks planned, not run) and ``errstate(all=
"ignore")``. Best and median of --repeat runs after warm-up; the results are checked
against NumPy's first.

    python bench/overhead.py [--repeat 2000]
"""

from __future__ import annotations

import os
import sys

from openblas_env import restart_without_them  # (bench/ is the script's folder)
from timing import timings

if __name__ == "__main__":
    restart_without_them()

import argparse  # noqa: E402
import statistics  # noqa: E402

import numpy  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OVERHEAD_US = 200.0  # BENCH.md: graph to result, above the loop's own time
SMALL_US = 20.0  # BENCH.md: at 1,000 elements, above NumPy's time


def pipeline(np, x, y):
    """Ten operations and a sum (the same code for NumPy and weldpy.numpy)."""
    a = np.exp(x) * 2.0 + 1.0
    b = np.sqrt(y) - a / 3.0
    c = np.maximum(a, b) * np.sin(x)
    return float((c + y).sum())


def measure(n: int, repeat: int, errors: str) -> dict[str, list[float]]:
    import weldpy
    import weldpy.numpy as wnp
    from weldpy import lazy

    rng = numpy.random.default_rng(7)
    pool = [rng.random(n) + 0.5 for _ in range(64)]  # (new arrays at every run)
    turn = iter(range(1 << 62))

    def arrays():
        k = next(turn)
        return pool[k % 64], pool[(k + 1) % 64]

    with numpy.errstate(all=errors), weldpy.config(threads=1):
        for _ in range(3):
            x, y = arrays()
            got, want = pipeline(wnp, x, y), pipeline(numpy, x, y)
            if not numpy.isclose(got, want, rtol=1e-12):
                raise SystemExit(f"wrong result at n={n}: {got} against {want}")
        x, y = arrays()
        program, inputs = lazy.compose([_lazy_sum(wnp, x, y).node])
        return {
            "NumPy": timings(lambda: pipeline(numpy, *arrays()), repeat),
            "weldpy graph to result": timings(lambda: pipeline(wnp, *arrays()), repeat),
            "the loop alone": timings(lambda: program(*inputs), repeat),
        }


def _lazy_sum(np, x, y):
    a = np.exp(x) * 2.0 + 1.0
    b = np.sqrt(y) - a / 3.0
    c = np.maximum(a, b) * np.sin(x)
    return (c + y).sum()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()
    print(f"{'elements':>10}  {'error state':<12}{'system':<26}{'best us':>10}{'median us':>11}"
          "  target")
    for n in (1_000, 1_000_000):
        for errors in ("warn", "ignore"):
            repeat = args.repeat if n <= 10_000 else max(args.repeat // 50, 5)
            times = measure(n, repeat, errors)
            best = {k: min(v) * 1e6 for k, v in times.items()}
            extra = best["weldpy graph to result"] - best["the loop alone"]
            verdicts = {"weldpy graph to result": f"<= loop + {OVERHEAD_US:.0f} us: "
                                                  f"{_yes(extra <= OVERHEAD_US)} "
                                                  f"({extra:.0f} us above)"}
            if n <= 1_000:
                above = best["weldpy graph to result"] - best["NumPy"]
                verdicts["NumPy"] = (f"small data <= NumPy + {SMALL_US:.0f} us: "
                                     f"{_yes(above <= SMALL_US)} (weldpy {above:+.0f} us)")
            for system, seconds in times.items():
                print(f"{n:>10,}  {errors:<12}{system:<26}{best[system]:>10.1f}"
                      f"{statistics.median(seconds) * 1e6:>11.1f}  {verdicts.get(system, '')}",
                      flush=True)


def _yes(met: bool) -> str:
    return "yes" if met else "NO"


if __name__ == "__main__":
    main()
