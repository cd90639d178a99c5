"""The one way a frontend runs what weldpy does not compile: evaluate the lazy arguments and
call the library (NumPy, pandas, pyarrow), visibly (``weldpy.stats()["fallbacks"]`` counts
each by name).

Tests of supported operations run inside ``forbidden()``, where a fallback raises instead:
a counter alone would not prove that an operation was compiled.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from contextlib import contextmanager

from weldpy.config import count_fallback

_forbidden = 0
_made_by: dict[int, tuple[weakref.ref, str]] = {}  # id of a result -> (it, the operation)


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
    result = fn(*concrete(args), **concrete(kwargs))
    try:  # (remembered while it lives, so that explain names it where a graph reads it)
        key = id(result)
        _made_by[key] = (weakref.ref(result, lambda _: _made_by.pop(key, None)), name)
    except TypeError:  # (a value that cannot be weakly referenced: a scalar)
        pass
    return result


def made_by(value) -> str | None:
    """The fallback that made ``value``, if one did and it is still the same object."""
    found = _made_by.get(id(value))
    return found[1] if found is not None and found[0]() is value else None
