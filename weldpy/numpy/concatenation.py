"""``np.concatenate`` (and ``stack``, ``hstack``, ``vstack``, made of it) of lazy and
concrete arrays along an axis (or flattened, for ``axis=None``) as one loop over the result:
each element read from the input whose part of the axis it falls in (a chain of selects
over lookups), the inputs cast to the result's dtype as NumPy's ``same_kind`` rule allows."""

from __future__ import annotations

import numpy as np

from weldpy.errors import WeldShapeError, WeldTypeError
from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.lazy import Lazy
from weldpy.numpy import elementwise
from weldpy.numpy.dtypes import compute_kind
from weldpy.numpy.loops import INDEX, axis_index, count, i64, loop, read
from weldpy.numpy.reductions import axes_of

B, K = E.BinKind, T.ScalarKind


def concatenate(arrays, axis=0, dtype=None, casting="same_kind"):
    from weldpy.numpy.array import ndarray
    from weldpy.numpy.creation import asarray

    parts = [asarray(a) for a in arrays]
    if not parts:
        raise WeldShapeError("need at least one array to concatenate")
    if axis is None:
        parts, axis = [p.reshape(-1) for p in parts], 0
    ndim = parts[0].ndim
    if ndim == 0:
        raise WeldShapeError("zero-dimensional arrays cannot be concatenated")
    (axis,) = axes_of(axis, ndim)
    for k, p in enumerate(parts):
        if p.ndim != ndim:
            raise WeldShapeError(
                "all the input array dimensions except for the concatenation axis must match "
                f"exactly, but along dimension 0, the array at index 0 has {ndim} "
                f"dimension(s) and the array at index {k} has {p.ndim} dimension(s)")
        for d in range(ndim):
            if d != axis and p.shape[d] != parts[0].shape[d]:
                raise WeldShapeError(
                    "all the input array dimensions except for the concatenation axis must "
                    f"match exactly, but along dimension {d}, the array at index 0 has size "
                    f"{parts[0].shape[d]} and the array at index {k} has size {p.shape[d]}")
    out = np.dtype(dtype) if dtype is not None else np.result_type(*(p.dtype for p in parts))
    for p in parts:
        if not np.can_cast(p.dtype, out, casting=casting):
            raise WeldTypeError(f"concatenate: Cannot cast array data from {p.dtype!r} to "
                                f"{out!r} according to the rule {casting!r}")
    parts = [p if p.dtype == out else elementwise.astype(p, out) for p in parts]
    lengths = [p.shape[axis] for p in parts]
    shape = parts[0].shape[:axis] + (sum(lengths),) + parts[0].shape[axis + 1:]
    inner = int(np.prod(shape[axis + 1:]))
    n = int(np.prod(shape))
    kind = compute_kind(out, "concatenate")

    def build(exprs):
        along = axis_index(INDEX, inner, shape[axis], axis > 0)
        outer = E.BinOp(B.DIV, INDEX, i64(inner * shape[axis]))
        within = E.BinOp(B.MOD, INDEX, i64(inner))
        value: E.Expr | None = None
        starts = np.cumsum([0, *lengths])[:-1].tolist()
        for vector, length, start in reversed(list(zip(exprs, lengths, starts, strict=True))):
            if length == 0:
                continue
            here = E.BinOp(B.SUB, along, i64(start))  # (the index along this input's axis)
            at = E.BinOp(B.ADD, E.BinOp(B.MUL, E.BinOp(B.ADD, E.BinOp(
                B.MUL, outer, i64(length)), here), i64(inner)), within)
            inside = E.BinOp(B.BAND, E.BinOp(B.GE, along, i64(start)),
                             E.BinOp(B.LT, along, i64(start + length)))
            element = read(vector, E.Select(inside, at, i64(0)))  # (never out of range)
            value = element if value is None else E.Select(inside, element, value)
        return loop([count(n)], E.NewBuilder(T.Appender(T.Scalar(kind))),
                    value if value is not None else E.Literal(kind, 0))

    node = Lazy(build, [p.node for p in parts], T.Vec(T.Scalar(kind)),
                ("concatenate", tuple(p.shape for p in parts), axis, kind))
    return ndarray(node, shape, out)


def stack(arrays, axis=0, dtype=None, casting="same_kind"):
    """``np.stack``: the arrays (all of one shape) along a new axis."""
    from weldpy.numpy.creation import asarray

    parts = [asarray(a) for a in arrays]
    if not parts:
        raise WeldShapeError("need at least one array to stack")
    if any(p.shape != parts[0].shape for p in parts):
        raise WeldShapeError("all input arrays must have the same shape")
    (axis,) = axes_of(axis, parts[0].ndim + 1)
    where = (slice(None),) * axis + (None,)
    return concatenate([p[where] if p.ndim else p.reshape(1) for p in parts], axis, dtype,
                       casting)


def hstack(tup, dtype=None, casting="same_kind"):
    """``np.hstack``: along the first axis of 1-D arrays, else the second."""
    from weldpy.numpy.creation import asarray

    parts = [_at_least(asarray(a), 1) for a in tup]
    return concatenate(parts, 0 if parts and parts[0].ndim == 1 else 1, dtype, casting)


def vstack(tup, dtype=None, casting="same_kind"):
    """``np.vstack``: along the first axis, 1-D arrays as rows."""
    from weldpy.numpy.creation import asarray

    return concatenate([_at_least(asarray(a), 2) for a in tup], 0, dtype, casting)


def _at_least(a, ndim: int):
    if a.ndim >= ndim:
        return a
    if a.ndim == 0:
        return a.reshape((1,) * ndim)
    return a[None]  # (1-D to a row)
