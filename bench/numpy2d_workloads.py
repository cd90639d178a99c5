"""The Weld paper's 2-D NumPy workloads, as plain NumPy code, with NumPy, weldpy.numpy and a
hand-written Numba version, in one run: an n-body step (bench/workloads/nbody.py).

The workload file is written for ``import numpy as np``; weldpy runs the same file with that
line changed to ``import weldpy.numpy as np``. Each timed weldpy run builds its graph from
new arrays and converts the results to NumPy arrays. "cold" is the first run in this process
with an empty compile cache. Every result is checked against NumPy's. BENCH.md's target
(2 threads): >= 10x NumPy and faster than hand-written Numba.

    python bench/numpy2d_workloads.py [--bodies 3000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time

from openblas_env import restart_without_them  # (bench/ is the script's folder)

if __name__ == "__main__":
    restart_without_them()

import numpy as np  # noqa: E402
from numpy_workloads import best_time, check, load  # noqa: E402


def inputs(n: int, seed: int) -> tuple:
    rng = np.random.default_rng(seed)
    return (*(rng.random(n) for _ in range(6)), rng.random(n) * 1e10, 0.01)


def numba_nbody():
    try:
        import numba
        from numba import njit, prange
    except ImportError:
        return None, "not installed"
    numba.set_num_threads(2)
    ns = load("nbody", "numpy")
    g, eps2 = ns["G"], ns["EPS2"]

    @njit(parallel=True, fastmath=True)
    def step(x, y, z, vx, vy, vz, mass, dt, out):
        for i in prange(x.shape[0]):
            sx = sy = sz = 0.0
            for j in range(x.shape[0]):
                dx, dy, dz = x[j] - x[i], y[j] - y[i], z[j] - z[i]
                r2 = dx * dx + dy * dy + dz * dz + eps2
                inv = g * mass[j] / (r2 * math.sqrt(r2))
                sx += dx * inv
                sy += dy * inv
                sz += dz * inv
            nvx, nvy, nvz = vx[i] + sx * dt, vy[i] + sy * dt, vz[i] + sz * dt
            out[0, i], out[1, i], out[2, i] = x[i] + nvx * dt, y[i] + nvy * dt, z[i] + nvz * dt
            out[3, i], out[4, i], out[5, i] = nvx, nvy, nvz

    def run(x, y, z, vx, vy, vz, mass, dt):
        out = np.empty((6, x.shape[0]))
        step(x, y, z, vx, vy, vz, mass, dt, out)
        return tuple(out)
    return run, None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bodies", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ["WELDPY_CACHE_DIR"] = tempfile.mkdtemp(prefix="weldpy-bench-")  # (cold: empty)
    import weldpy
    from weldpy.config import settings

    print(f"weldpy {weldpy.__version__} 2-D NumPy workloads, best of {args.repeat} (ms); "
          f"weldpy on {settings().threads} threads, NumPy on one", flush=True)
    print(f"{'workload':<22}{'system':<18}{'ms':>10}{'x NumPy':>10}  note")
    name = f"n-body ({args.bodies:,})"
    arrays = inputs(args.bodies, 1)
    reference = load("nbody", "numpy")["nbody_step"]
    lazy_step = load("nbody", "weldpy")["nbody_step"]

    def lazy(*arrays):
        return weldpy.evaluate(*lazy_step(*arrays))

    want = reference(*arrays)
    numpy_ms = best_time(reference, arrays, args.repeat) * 1e3
    rows = [("NumPy", numpy_ms, "")]
    start = time.perf_counter()
    check(lazy(*arrays), want)
    rows.append(("weldpy cold", (time.perf_counter() - start) * 1e3, "compiles"))
    fresh = inputs(args.bodies, 2)  # (new arrays: the graph is built again)
    check(lazy(*fresh), reference(*fresh))
    warm = best_time(lazy, fresh, args.repeat) * 1e3
    rows.append(("weldpy warm", warm, ""))
    fn, why = numba_nbody()
    numba_ms = None
    if fn is None:
        rows.append(("Numba 2T", None, f"skipped: {why}"))
    else:
        fn(*(a[:10] if isinstance(a, np.ndarray) else a for a in arrays))  # (compiles)
        check(fn(*arrays), want)
        numba_ms = best_time(fn, arrays, args.repeat) * 1e3
        rows.append(("Numba 2T", numba_ms, "hand-written loops"))
    for system, ms, note in rows:
        ratio = "" if ms is None else f"{numpy_ms / ms:9.1f}x"
        shown = "" if ms is None else f"{ms:10.1f}"
        print(f"{name:<22}{system:<18}{shown:>10}{ratio:>10}  {note}", flush=True)
    met = warm * 10 <= numpy_ms and (numba_ms is None or warm < numba_ms)
    verdict = "yes" if met else f"NO: {numpy_ms / warm:.1f}x NumPy" + (
        f", {numba_ms / warm:.2f}x Numba" if numba_ms else "")
    print(f"{'':<22}target (>= 10x NumPy, faster than Numba): {verdict}")


if __name__ == "__main__":
    sys.exit(main())
