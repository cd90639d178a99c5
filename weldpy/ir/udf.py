"""The registry of user-defined functions called by ``cudf[name, T](args)``.

A UDF is registered under the name a program uses, as a Python callable (for the
interpreter, which calls it with canonical values and converts what it returns with the
calling convention's rules) and/or as the address of a native function (for compiled
backends), which follows Weld's convention: ``void f(A1 *a1, ..., R *result)``, every argument
and the result passed by pointer to its memory layout.
"""

from __future__ import annotations

from collections.abc import Callable

from weldpy.errors import WeldTypeError, WeldUnsupportedError

_REGISTRY: dict[str, Callable] = {}
_NATIVE: dict[str, int] = {}


def register(name: str, fn: Callable | None = None, native: int | None = None) -> None:
    """Make ``cudf[name, T](...)`` call ``fn`` (interpreter) and/or the native function at
    address ``native`` (compiled backends).

    >>> register("add_five", lambda x: x + 5)
    >>> lookup("add_five")(1)
    6
    >>> unregister("add_five")
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise WeldTypeError(f"udf.register: the name must be an identifier, got {name!r}")
    if fn is None and native is None:
        raise WeldTypeError(f"udf.register: {name} needs a Python function or a native address")
    if fn is not None and not callable(fn):
        raise WeldTypeError(f"udf.register: {name} must be callable, got {type(fn).__name__}")
    if native is not None and (isinstance(native, bool) or not isinstance(native, int)
                               or native <= 0):
        raise WeldTypeError(f"udf.register: {name}'s native address must be a positive int, "
                            f"got {native!r}")
    if fn is not None:
        _REGISTRY[name] = fn
    if native is not None:
        _NATIVE[name] = native


def unregister(name: str) -> None:
    """Forget the UDF ``name`` (no error if it is not registered)."""
    _REGISTRY.pop(name, None)
    _NATIVE.pop(name, None)


def native_address(name: str) -> int | None:
    """The address of the native function registered as ``name``, or None."""
    return _NATIVE.get(name)


def lookup(name: str) -> Callable:
    """The function registered as ``name``."""
    fn = _REGISTRY.get(name)
    if fn is None:
        raise WeldUnsupportedError(f"cudf[{name}]: no function registered under that name "
                                   "(weldpy.ir.udf.register)")
    return fn
