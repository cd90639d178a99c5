"""The registry of user-defined functions called by ``cudf[name, T](args)``.

A UDF is a Python callable registered under the name a program uses. The interpreter calls it
with canonical values (NumPy scalars, arrays, tuples) and converts what it returns to the
``cudf`` node's type with the calling convention's rules (``weldpy.runtime.marshal``).
"""

from __future__ import annotations

from collections.abc import Callable

from weldpy.errors import WeldTypeError, WeldUnsupportedError

_REGISTRY: dict[str, Callable] = {}


def register(name: str, fn: Callable) -> None:
    """Make ``cudf[name, T](...)`` call ``fn``.

    >>> register("add_five", lambda x: x + 5)
    >>> lookup("add_five")(1)
    6
    >>> unregister("add_five")
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise WeldTypeError(f"udf.register: the name must be an identifier, got {name!r}")
    if not callable(fn):
        raise WeldTypeError(f"udf.register: {name} must be callable, got {type(fn).__name__}")
    _REGISTRY[name] = fn


def unregister(name: str) -> None:
    """Forget the UDF ``name`` (no error if it is not registered)."""
    _REGISTRY.pop(name, None)


def lookup(name: str) -> Callable:
    """The function registered as ``name``."""
    fn = _REGISTRY.get(name)
    if fn is None:
        raise WeldUnsupportedError(f"cudf[{name}]: no function registered under that name "
                                   "(weldpy.ir.udf.register)")
    return fn
