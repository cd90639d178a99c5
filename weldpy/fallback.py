"""The one way a frontend runs what weldpy does not compile: evaluate the lazy arguments and
call the library (NumPy, pandas, pyarrow), visibly (``weldpy.stats()["fallbacks"]`` counts
each by name).

Tests of supported operations run inside ``forbidden()``, where a fallback raises instead:
a counter alone would not prove that an operation was compiled.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager

from weldpy.config import count_fallback

_forbidden = 0


@contextmanager
def forbidden():
    """Within the block, any fallback raises ``AssertionError`` (for tests)."""
    global _forbidden
    _forbidden += 1
    try:
        yield
    finally:
        _forbidden -= 1


def call(name: str, fn: Callable, args: tuple, kwargs: dict, concrete: Callable):
    """``fn(*args, **kwargs)`` with every lazy value in them made concrete by ``concrete``
    (applied to the argument tuple and the keyword dict), counted as a fallback to ``name``."""
    if _forbidden:
        raise AssertionError(f"weldpy fell back to {name} where every operation must compile")
    count_fallback(name)
    return fn(*concrete(args), **concrete(kwargs))
