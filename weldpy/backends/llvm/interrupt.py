"""Ctrl-C for compiled loops: a SIGINT handler in machine code that raises a flag.

While compiled code runs, Python's own SIGINT handler only notes the signal; Python raises
KeyboardInterrupt after the call returns, which for a long loop is much later. So weldpy puts
a small handler in front of Python's (``sigaction``): it sets an i64 flag, then calls the
handler it replaced, so Python still sees the signal. Parallel loops read the flag between
chunks (``parallel``) and stop with ``runtime_ir.INTERRUPT_SITE``; the runner then lets
Python handle the signal (``raise_pending``), which raises KeyboardInterrupt.

The handler is installed on the first run and again whenever Python's SIGINT handler
changed since (``signal.signal`` puts Python's C handler back in front of weldpy's). It is
not installed when SIGINT is ignored or has its default action (no Python handler runs then).
Linux only (the ``struct sigaction`` layout); elsewhere the flag simply never rises.
"""

from __future__ import annotations

import _signal
import ctypes
import functools
import signal
import sys
import threading

_HANDLER = "weld_on_sigint"
_FLAG, _PREVIOUS, _PREVIOUS_SIGINFO = "weld_interrupted", "weld_previous", "weld_previous_siginfo"
_SA_SIGINFO = 4
_SIG_DFL, _SIG_IGN = 0, 1

HANDLER_IR = f"""
@{_FLAG} = global i64 0, align 8
@{_PREVIOUS} = global ptr null, align 8
@{_PREVIOUS_SIGINFO} = global i64 0, align 8

define void @{_HANDLER}(i32 %sig, ptr %info, ptr %context) {{
entry:
  store atomic i64 1, ptr @{_FLAG} monotonic, align 8
  %previous = load ptr, ptr @{_PREVIOUS}, align 8
  %none = icmp eq ptr %previous, null
  br i1 %none, label %done, label %chain
chain:
  %siginfo = load i64, ptr @{_PREVIOUS_SIGINFO}, align 8
  %three = icmp ne i64 %siginfo, 0
  br i1 %three, label %with_info, label %plain
with_info:
  call void %previous(i32 %sig, ptr %info, ptr %context)
  br label %done
plain:
  call void %previous(i32 %sig)
  br label %done
done:
  ret void
}}
"""


class _SigAction(ctypes.Structure):
    """glibc's ``struct sigaction`` on Linux."""

    _fields_ = [("handler", ctypes.c_void_p), ("mask", ctypes.c_ulong * 16),
                ("flags", ctypes.c_int), ("restorer", ctypes.c_void_p)]


_lock = threading.Lock()
_installed_for = None  # Python's SIGINT handler when weldpy's was last put in front of it


EXPORTED = (_HANDLER, _FLAG, _PREVIOUS, _PREVIOUS_SIGINFO)


def _library():
    from weldpy.backends.llvm.runtime_ir import library  # (which holds HANDLER_IR)

    return library()


@functools.cache
def _flag() -> ctypes.c_int64:
    return ctypes.c_int64.from_address(_library().address(_FLAG))


def flag_address() -> int:
    """The flag's address, for the run context; installs the handler when needed and
    lowers the flag (a signal Python already handled must not stop the next run)."""
    _ensure_installed()
    flag = _flag()
    flag.value = 0
    return ctypes.addressof(flag)


def raise_pending() -> None:
    """After a loop stopped on the flag: lower it and run Python's handler now (it raises
    KeyboardInterrupt); if that handler does not raise, raise KeyboardInterrupt anyway, since
    the program did not finish."""
    _flag().value = 0
    ctypes.pythonapi.PyErr_CheckSignals()
    raise KeyboardInterrupt


@functools.cache
def _sigaction():
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)  # the process's symbols: libc's among them
    fn = libc.sigaction
    fn.argtypes = [ctypes.c_int, ctypes.POINTER(_SigAction), ctypes.POINTER(_SigAction)]
    fn.restype = ctypes.c_int
    return fn


def _ensure_installed() -> None:
    global _installed_for
    current = _signal.getsignal(signal.SIGINT)  # (signal.getsignal: 20x slower, an enum)
    if current is _installed_for or _sigaction() is None:
        return
    with _lock:
        if current is not _installed_for:
            _install()
            _installed_for = current


def _install() -> None:
    sigaction = _sigaction()
    old = _SigAction()
    if sigaction(signal.SIGINT, None, ctypes.byref(old)) != 0:
        return
    lib = _library()
    handler = lib.address(_HANDLER)
    if old.handler in (None, _SIG_DFL, _SIG_IGN, handler):
        return
    ctypes.c_void_p.from_address(lib.address(_PREVIOUS)).value = old.handler
    ctypes.c_int64.from_address(lib.address(_PREVIOUS_SIGINFO)).value = int(
        bool(old.flags & _SA_SIGINFO))
    new = _SigAction()
    new.handler = handler
    new.mask = old.mask
    new.flags = old.flags | _SA_SIGINFO
    new.restorer = old.restorer
    sigaction(signal.SIGINT, ctypes.byref(new), None)
