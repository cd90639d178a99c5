"""The thread pool that runs parallel loops: GNU OpenMP's, entered with ``GOMP_parallel``.

Generated code calls ``GOMP_parallel(worker, env, parts, 0)`` through an address in the run
context (``runtime_ir.POOL``): 1.4 us per parallel loop on these machines, against ~50 us for
a pool of Python threads (notes/llvmlite.md). Pool threads run machine code only; the GIL is
released for the whole call. ``settings()`` (``weldpy.config(threads=...)``,
``WELDPY_THREADS``) is the pool's size per run, so a Dask worker sets it to its share of
the cores.

Its threads spin only briefly after a loop (``GOMP_SPINCOUNT``, unless the environment sets
it or ``OMP_WAIT_POLICY``), so they do not compete with the NumPy or pandas code that runs
between weldpy's loops. libgomp is not fork-safe (a child that enters the pool its parent
started waits forever), so a process forked from one that may have used the pool runs every
loop on one thread. When libgomp is missing, asking for more than one thread raises an error
that says so.
"""

from __future__ import annotations

import ctypes
import functools
import os

from weldpy.errors import WeldUnsupportedError

LIBGOMP = "libgomp.so.1"
DEFAULT_GRAIN = 4096  # iterations per part at least: below 2 * this a loop runs on one thread
_MAX_GRAIN = 1 << 40
_SPINS = 10_000
_forked = False


def _after_fork_in_child() -> None:
    global _forked
    _forked = True


os.register_at_fork(after_in_child=_after_fork_in_child)


@functools.cache
def _gomp_parallel() -> int | None:
    """The address of libgomp's ``GOMP_parallel``, or None when libgomp is missing."""
    if not {"OMP_WAIT_POLICY", "GOMP_SPINCOUNT"} & os.environ.keys():
        # after a loop, libgomp's threads spin for ~10 ms by default, taking a core from
        # whatever runs next (NumPy's BLAS, pandas); spin ~0.1 ms, then sleep (read by
        # libgomp when it loads, just below)
        os.environ["GOMP_SPINCOUNT"] = str(_SPINS)
    try:
        lib = ctypes.CDLL(LIBGOMP)
    except OSError:
        return None
    return ctypes.cast(lib.GOMP_parallel, ctypes.c_void_p).value


def available() -> bool:
    """Whether loops can run on more than one thread in this process."""
    return _gomp_parallel() is not None


def run_words(threads: int, grain: int | None) -> tuple[int, int, int]:
    """The context's (threads, grain, pool address) for a run with these settings."""
    grain = DEFAULT_GRAIN if grain is None else min(grain, _MAX_GRAIN)
    if threads <= 1 or _forked:
        return 1, grain, 0
    address = _gomp_parallel()
    if address is None:
        raise WeldUnsupportedError(
            f"llvm backend: threads={threads} needs the GNU OpenMP runtime {LIBGOMP}, which "
            f"is not installed (Debian/Ubuntu: apt install libgomp1); set "
            f"weldpy.config(threads=1) or WELDPY_THREADS=1 to run on one thread")
    return threads, grain, address
