"""Running naturally recursive code (the parser, the reference interpreter) on deep programs.

Walkers over nodes are iterative (``weldpy.ir.traverse``), but a recursive-descent parser and
an evaluator read best as recursion. They run through ``call_deep``, which, when the input is
deep, runs the function on a helper thread with a large stack and a high recursion limit, so
tens of thousands of nested nodes never overflow the interpreter's stack.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

_STACK_BYTES = 1 << 30
_RECURSION_LIMIT = 2_000_000
_lock = threading.Lock()
_local = threading.local()


def call_deep(fn: Callable[..., T], *args, **kwargs) -> T:
    """``fn(*args, **kwargs)`` on a thread with a 1 GiB stack; exceptions propagate."""
    if getattr(_local, "inside", False):
        return fn(*args, **kwargs)
    box: dict[str, object] = {}

    def target():
        _local.inside = True
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    # The limit is process-wide: raise it while the deep thread runs, then restore it.
    with _lock:
        old_limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(old_limit, _RECURSION_LIMIT))
        old_size = threading.stack_size(_STACK_BYTES)
        try:
            thread = threading.Thread(target=target, name="weldpy-deep")
            thread.start()
        finally:
            threading.stack_size(old_size)
        thread.join()
        sys.setrecursionlimit(old_limit)
    if "error" in box:
        raise box["error"]
    return box["value"]

