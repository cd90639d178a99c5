"""BENCH.md: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE slow a current NumPy on these machines,
so a benchmark runs without them (tests never touch them). They are read when NumPy loads
OpenBLAS, so a script calls ``restart_without_them()`` before importing NumPy: it re-runs
the script with the same arguments and the two variables gone.
"""

from __future__ import annotations

import os
import sys

VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def restart_without_them() -> None:
    if any(v in os.environ for v in VARIABLES):
        env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
        os.execve(sys.executable, [sys.executable, *sys.argv], env)
