"""Where results go: a ufunc's ``out=`` and ``where=``, and the in-place operators, as NumPy
has them, on lazy arrays as new versions (API.md).

A lazy ``out`` is rebound to the new value (cast to its dtype by NumPy's ``same_kind``
rule); values built from it earlier keep reading the version they were built from (they hold
its graph node, not the array). A concrete NumPy ``out`` is filled at the call, as NumPy
does. ``where=`` keeps ``out``'s value where the mask is false (without ``out``, NumPy leaves
those elements undefined; here they are 0).
"""

from __future__ import annotations

import numpy as np

from weldpy.errors import WeldShapeError, WeldTypeError
from weldpy.numpy import elementwise
from weldpy.numpy.array import ndarray


def call(ufunc: np.ufunc, args: tuple, out=None, where=True, dtype=None):
    """``ufunc(*args, out=out, where=where, dtype=dtype)``; ``elementwise.NotCompiled`` when
    weldpy does not compile the call."""
    if isinstance(out, tuple):
        if len(out) != 1:
            raise WeldTypeError(f"{ufunc.__name__}: out must be one array, got {len(out)}")
        (out,) = out
    result = elementwise.apply(ufunc, *args, dtype=dtype, where=where)
    if out is None and where is True:
        return result
    if out is not None:
        if not isinstance(out, (ndarray, np.ndarray)):
            raise WeldTypeError(f"{ufunc.__name__}: out must be an array, got "
                                f"{type(out).__name__}")
        _check_shape(ufunc.__name__, result.shape, out.shape)
        result = cast_to(ufunc.__name__, result, out.dtype)
    if where is not True:
        kept = out if out is not None else np.zeros((), result.dtype)
        result = elementwise.select(where, result, kept, result.dtype)
    if out is None:
        return result
    if isinstance(out, ndarray):
        out.node = result.node  # the new version
        return out
    np.copyto(out, result.evaluate(), casting="unsafe")  # (a concrete out: filled now)
    return out


def deliver(name: str, value: ndarray, out, casting: str = "unsafe"):
    """``value`` written to a function's ``out=`` (NumPy's reductions cast into it unsafely,
    its ufuncs by ``same_kind``): a lazy ``out`` becomes the new value, a NumPy one is
    filled now. Returns ``out``."""
    if not isinstance(out, (ndarray, np.ndarray)):
        raise WeldTypeError(f"{name}: out must be an array, got {type(out).__name__}")
    if tuple(out.shape) != tuple(value.shape):
        raise WeldShapeError(f"{name}: output parameter has shape {tuple(out.shape)}, "
                             f"the result has {tuple(value.shape)}")
    value = cast_to(name, value, out.dtype) if casting == "same_kind" \
        else value if value.dtype == out.dtype else elementwise.astype(value, out.dtype)
    if isinstance(out, ndarray):
        out.node = value.node  # the new version
        return out
    np.copyto(out, value.evaluate(), casting="unsafe")
    return out


def in_place(ufunc: np.ufunc, target: ndarray, other) -> ndarray:
    """``target op= other``: a new version of ``target`` in its own dtype."""
    return call(ufunc, (target, other), out=target)


def cast_to(name: str, value: ndarray, dtype: np.dtype) -> ndarray:
    """``value`` in ``dtype``, if NumPy's ``same_kind`` rule allows the cast."""
    if value.dtype == dtype:
        return value
    if not np.can_cast(value.dtype, dtype, casting="same_kind"):
        raise WeldTypeError(f"Cannot cast ufunc '{name}' output from {value.dtype!r} to "
                            f"{np.dtype(dtype)!r} with casting rule 'same_kind'")
    return elementwise.astype(value, dtype)


def _check_shape(name: str, shape: tuple, out_shape: tuple) -> None:
    if tuple(out_shape) != tuple(shape):
        raise WeldShapeError(f"{name}: non-broadcastable output operand with shape "
                             f"{tuple(out_shape)} doesn't match the broadcast shape "
                             f"{tuple(shape)}")
