"""The calling thread's floating-point exception flags (C99 ``fenv.h`` through libm), which
a native run clears before it starts and reads when it returns (the pool's threads hand
theirs over in the run's context: ``backends.llvm.runtime_parallel``).

The flags use x86-64's bits (the values of ``FE_INVALID`` ... there, and MXCSR's status
bits); elsewhere ``AVAILABLE`` is false and runs report no flags.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform

INVALID, DIVIDE, OVERFLOW, UNDERFLOW = 0x01, 0x04, 0x08, 0x10
_ALL = INVALID | DIVIDE | OVERFLOW | UNDERFLOW

AVAILABLE = platform.machine() in ("x86_64", "AMD64")
if AVAILABLE:
    _libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
    _clear, _test = _libm.feclearexcept, _libm.fetestexcept
    _clear.argtypes = _test.argtypes = [ctypes.c_int]
    _clear.restype = _test.restype = ctypes.c_int


def clear() -> None:
    _clear(_ALL)


def raised() -> int:
    return _test(_ALL)
