"""Creation functions: ``zeros ones full empty`` and their ``_like`` forms as lazy fills (a
loop writing one value, which fuses with what reads it, or is never run when an ``out=``
overwrites it), ``asarray`` (no copy), ``array`` (a copy), and ``arange`` / ``linspace``,
made by NumPy itself (their values are NumPy's to the bit) and read as inputs.
"""

from __future__ import annotations

import numpy as np

from weldpy.errors import WeldShapeError, WeldTypeError
from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.lazy import Lazy
from weldpy.numpy.array import ndarray
from weldpy.numpy.dtypes import compute_kind
from weldpy.numpy.loops import count, loop
from weldpy.numpy.operands import operand
from weldpy.numpy.reductions import ndarray_of_scalar

K = T.ScalarKind


def full(shape, fill_value, dtype=None, order="C") -> ndarray:
    """A lazy array of ``shape`` holding ``fill_value`` (NumPy's dtype rules for it)."""
    if order not in ("C", "K", "A"):
        raise WeldTypeError(f"full: order={order!r} is not supported (C order is)")
    shape = _shape(shape)
    dtype = np.asarray(fill_value).dtype if dtype is None else np.dtype(dtype)
    kind = compute_kind(dtype, "full")
    with np.errstate(all="ignore"):
        value = np.asarray(fill_value).astype(dtype).astype(kind.dtype).item()
    n = int(np.prod(shape))

    def build(exprs):
        return loop([count(n)], E.NewBuilder(T.Appender(T.Scalar(kind))), exprs[0])

    if shape == ():
        made = ndarray_of_scalar(operand(np.asarray(value, dtype=dtype)[()], "full"), "full",
                                 np.dtype(dtype))
        return ndarray(made.node, (), dtype, scalar=False)
    # (the value is a parameter: one program fills with any value)
    fill = Lazy.source(np.asarray(value, dtype=kind.dtype)[()], T.Scalar(kind))
    return ndarray(Lazy(build, [fill], T.Vec(T.Scalar(kind)), ("fill", kind, n)), shape,
                   dtype)


def zeros(shape, dtype=float, order="C") -> ndarray:
    return full(shape, 0, dtype, order)


def ones(shape, dtype=float, order="C") -> ndarray:
    return full(shape, 1, dtype, order)


def empty(shape, dtype=float, order="C") -> ndarray:
    """As ``zeros`` (NumPy leaves the values undefined; a fill is never read when an
    ``out=`` overwrites it)."""
    return full(shape, 0, dtype, order)


def full_like(a, fill_value, dtype=None, shape=None) -> ndarray:
    like = a if isinstance(a, ndarray) else np.asarray(a)
    return full(like.shape if shape is None else shape, fill_value,
                like.dtype if dtype is None else dtype)


def zeros_like(a, dtype=None, shape=None) -> ndarray:
    return full_like(a, 0, dtype, shape)


def ones_like(a, dtype=None, shape=None) -> ndarray:
    return full_like(a, 1, dtype, shape)


def empty_like(a, dtype=None, shape=None) -> ndarray:
    return full_like(a, 0, dtype, shape)


def asarray(a, dtype=None) -> ndarray:
    """``a`` as a lazy array, referenced without a copy (a lazy array: itself)."""
    if isinstance(a, ndarray):
        if dtype is None or np.dtype(dtype) == a.dtype:
            return a
        return a.astype(dtype)
    return _as_lazy(np.asarray(a, dtype=dtype))


def array(a, dtype=None, copy=True) -> ndarray:
    """A lazy array of a copy of ``a`` (as ``numpy.array`` copies; of a lazy array, its
    current version, lazily)."""
    if isinstance(a, ndarray):
        copied = a.copy()
        return copied if dtype is None or np.dtype(dtype) == a.dtype else copied.astype(dtype)
    return _as_lazy(np.array(a, dtype=dtype, copy=copy))


def arange(*args, **kwargs) -> ndarray:
    return _as_lazy(np.arange(*args, **kwargs))


def linspace(*args, **kwargs):
    made = np.linspace(*args, **kwargs)
    if isinstance(made, tuple):  # (retstep=True)
        return _as_lazy(made[0]), made[1]
    return _as_lazy(made)


def _as_lazy(data: np.ndarray) -> ndarray:
    o = operand(data, "asarray")
    if o.node is None:  # a 0-d array
        made = ndarray_of_scalar(o, "asarray", data.dtype)
        return ndarray(made.node, (), data.dtype, scalar=False)
    return ndarray(o.node, data.shape, data.dtype)


def _shape(shape) -> tuple[int, ...]:
    shape = (shape,) if np.ndim(shape) == 0 else tuple(shape)
    if any(int(s) < 0 for s in shape):
        raise WeldShapeError(f"negative dimensions are not allowed: {shape}")
    return tuple(int(s) for s in shape)
