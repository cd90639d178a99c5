"""The Weld paper's NumPy workloads, as plain NumPy code, with NumPy and with weldpy.numpy.

Each workload is one file in ``bench/workloads/`` written for ``import numpy as np``; weldpy
runs the same source with that line changed to ``import weldpy.numpy as np`` (nothing else
differs). Every timed weldpy run builds its lazy graph from new arrays and evaluates it
(``weldpy.evaluate``), so the time includes graph building and finding the compiled program;
"cold" is the first run in this process with an empty compile cache (it compiles). Peers in
the same run where installed: numexpr (2 threads), Polars (lazy), and a hand-fused Numba
loop (``@njit(parallel=True, fastmath=True)``, 2 threads). Every answer is checked against
NumPy's before a time is printed. Targets: BENCH.md (Black-Scholes and Haversine: >= 15x
NumPy, >= 5x the fastest peer).

    python bench/numpy_workloads.py [--size 10000000] [--repeat 5]
"""

from __future__ import annotations

import os
import sys

from openblas_env import restart_without_them  # (bench/ is the script's folder)
from timing import timings

if __name__ == "__main__":
    restart_without_them()

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
R, VOL = 0.02, 0.3


def load(name: str, frontend: str) -> dict:
    """The workload file's namespace, run with NumPy or (its import changed) weldpy.numpy."""
    path = os.path.join(HERE, "workloads", f"{name}.py")
    with open(path) as f:
        source = f.read()
    if frontend == "weldpy":
        source = source.replace("import numpy as np", "import weldpy.numpy as np", 1)
    namespace: dict = {"__name__": f"workload_{name}_{frontend}"}
    exec(compile(source, path, "exec"), namespace)  # noqa: S102 (our own benchmark file)
    return namespace


def inputs(name: str, n: int, seed: int):
    rng = np.random.default_rng(seed)
    if name == "black_scholes":
        return (rng.uniform(50.0, 150.0, n), rng.uniform(50.0, 150.0, n),
                rng.uniform(0.1, 2.0, n))
    return rng.uniform(40.0, 41.0, n), rng.uniform(-74.5, -73.5, n)


def numpy_call(name: str, ns: dict):
    if name == "black_scholes":
        return lambda p, k, t: ns["black_scholes"](p, k, t, R, VOL)
    return lambda lat, lon: (ns["haversine"](lat, lon),)


def weldpy_call(name: str, ns: dict):
    import weldpy

    inner = numpy_call(name, ns)

    def run(*arrays):
        out = inner(*arrays)
        return weldpy.evaluate(*out) if len(out) > 1 else (weldpy.evaluate(*out),)
    return run


def numexpr_call(name: str):
    try:
        import numexpr as ne
    except ImportError:
        return None, "not installed"
    if name == "black_scholes":
        return None, "no erf"
    ne.set_num_threads(2)
    expr = ("3959.0 * 2 * arcsin(sqrt(sin((la2 - la1) / 2) ** 2 + cos(la1) * cos(la2) * "
            "sin((lo2 - lo1) / 2) ** 2))")
    la2, lo2 = np.deg2rad(40.671), np.deg2rad(-73.985)

    def run(lat, lon):
        return (ne.evaluate(expr, {"la1": ne.evaluate("lat * 0.017453292519943295"),
                                   "lo1": ne.evaluate("lon * 0.017453292519943295"),
                                   "la2": la2, "lo2": lo2}),)
    return run, None


def polars_call(name: str):
    try:
        import polars as pl
    except ImportError:
        return None, "not installed"
    if name == "black_scholes":
        return None, "no erf"
    la2, lo2 = np.deg2rad(40.671), np.deg2rad(-73.985)

    def run(lat, lon):
        la1, lo1 = pl.col("lat").radians(), pl.col("lon").radians()
        a = (((la2 - la1) / 2).sin() ** 2
             + la1.cos() * np.cos(la2) * ((lo2 - lo1) / 2).sin() ** 2)
        frame = pl.LazyFrame({"lat": lat, "lon": lon})
        out = frame.select((3959.0 * 2 * a.sqrt().arcsin()).alias("d")).collect()
        return (out["d"].to_numpy(),)
    return run, None


def numba_call(name: str):
    try:
        import numba
        from numba import njit, prange
    except ImportError:
        return None, "not installed"
    numba.set_num_threads(2)
    import math

    if name == "black_scholes":
        @njit(parallel=True, fastmath=True)
        def kernel(p, k, t, call, put):
            for i in prange(p.shape[0]):
                vs = VOL * math.sqrt(t[i])
                d1 = (math.log(p[i] / k[i]) + (R + VOL * VOL * 0.5) * t[i]) / vs
                n1 = 0.5 + 0.5 * math.erf(d1 * 0.7071067811865476)
                n2 = 0.5 + 0.5 * math.erf((d1 - vs) * 0.7071067811865476)
                e = math.exp(-R * t[i])
                call[i] = p[i] * n1 - e * k[i] * n2
                put[i] = e * k[i] * (1.0 - n2) - p[i] * (1.0 - n1)

        def run(p, k, t):
            call, put = np.empty_like(p), np.empty_like(p)
            kernel(p, k, t, call, put)
            return call, put
        return run, None

    @njit(parallel=True, fastmath=True)
    def kernel(lat, lon, out):
        la2, lo2 = math.radians(40.671), math.radians(-73.985)
        for i in prange(lat.shape[0]):
            la1, lo1 = math.radians(lat[i]), math.radians(lon[i])
            a = (math.sin((la2 - la1) / 2) ** 2
                 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2)
            out[i] = 3959.0 * 2 * math.asin(math.sqrt(a))

    def run(lat, lon):
        out = np.empty_like(lat)
        kernel(lat, lon, out)
        return (out,)
    return run, None


def check(got, want) -> None:
    for g, w in zip(got, want, strict=True):
        scale = np.abs(w).max()
        if not np.allclose(g, w, rtol=1e-9, atol=1e-9 * scale):
            raise SystemExit(f"wrong answer: max difference {np.abs(g - w).max()}")


def best_time(fn, arrays, repeat: int) -> float:
    return min(timings(lambda: fn(*arrays), repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ["WELDPY_CACHE_DIR"] = tempfile.mkdtemp(prefix="weldpy-bench-")  # (cold: empty)
    import weldpy
    from weldpy.config import settings

    print(f"weldpy {weldpy.__version__} NumPy workloads, {args.size:,} elements, best of "
          f"{args.repeat} (ms); weldpy on {settings().threads} threads, NumPy on one",
          flush=True)
    print(f"{'workload':<16}{'system':<18}{'ms':>10}{'x NumPy':>10}  note")
    for name in ("black_scholes", "haversine"):
        arrays = inputs(name, args.size, 1)
        reference = numpy_call(name, load(name, "numpy"))
        with np.errstate(all="ignore"):
            want = reference(*arrays)
            numpy_ms = best_time(reference, arrays, args.repeat) * 1e3
        rows = [("NumPy", numpy_ms, "")]
        lazy = weldpy_call(name, load(name, "weldpy"))
        start = time.perf_counter()
        check(lazy(*arrays), want)
        rows.append(("weldpy cold", (time.perf_counter() - start) * 1e3, "compiles"))
        fresh = inputs(name, args.size, 2)  # (new arrays: the graph is built again)
        with np.errstate(all="ignore"):
            check(lazy(*fresh), reference(*fresh))
        rows.append(("weldpy warm", best_time(lazy, fresh, args.repeat) * 1e3, ""))
        peers = []
        for peer, make in (("numexpr 2T", numexpr_call), ("Polars lazy", polars_call),
                           ("Numba fused 2T", numba_call)):
            fn, why = make(name)
            if fn is None:
                rows.append((peer, None, f"skipped: {why}"))
                continue
            fn(*(a[:1000] for a in arrays))  # (compiles)
            check(fn(*arrays), want)
            ms = best_time(fn, arrays, args.repeat) * 1e3
            rows.append((peer, ms, ""))
            peers.append(ms)
        warm = rows[2][1]
        for system, ms, note in rows:
            ratio = "" if ms is None else f"{numpy_ms / ms:9.1f}x"
            shown = "" if ms is None else f"{ms:10.1f}"
            print(f"{name:<16}{system:<18}{shown:>10}{ratio:>10}  {note}", flush=True)
        target = warm * 15 <= numpy_ms and (not peers or warm * 5 <= min(peers))
        verdict = "yes" if target else (
            f"NO: {numpy_ms / warm:.1f}x NumPy"
            + (f", {min(peers) / warm:.1f}x the fastest peer" if peers else ""))
        print(f"{'':<16}target (>= 15x NumPy, >= 5x the fastest peer): {verdict}")


if __name__ == "__main__":
    main()
