"""The reductions NumPy builds from others, built the same way from weldpy's lazy pieces (so
they fuse like the rest): ``var``/``std`` (two passes, as NumPy: the mean, then the squared
deviations), ``any``/``all``/``count_nonzero``, ``argmin``/``argmax`` (the extreme, then the
first index holding it; the first NaN where there is one), and the NaN-ignoring
``nansum nanmean nanmin nanmax``; each of a whole array or along axes, with ``keepdims``;
dtypes as NumPy gives them.
"""

from __future__ import annotations

import operator

import numpy as np

from weldpy.errors import WeldShapeError, WeldTypeError
from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.lazy import Lazy
from weldpy.numpy import elementwise, fp_errors
from weldpy.numpy.array import ndarray
from weldpy.numpy.creation import asarray
from weldpy.numpy.dtypes import FLOAT16, compute_kind
from weldpy.numpy.loops import ELEMENT, INDEX, axis_index, loop, over
from weldpy.numpy.reductions import axes_of, into_slots, reduce, reduced_shape


def var(x, axis=None, dtype=None, ddof=0, keepdims=False):
    a = asarray(x)
    axes = axes_of(axis, a.ndim)
    work = _work_dtype(a.dtype, dtype)
    xf = a if a.dtype == work else elementwise.astype(a, work)
    n = int(np.prod([a.shape[k] for k in axes]))
    if n - ddof <= 0:
        fp_errors.warn("Degrees of freedom <= 0 for slice")
    whole = len(axes) == a.ndim
    # the count: read from the vector for a whole array (one program for every length)
    count = _length(xf, work) if whole and a.ndim else n
    mean = reduce("sum", xf, axes, keepdims=not whole) / count
    deviation = xf - mean
    total = reduce("sum", deviation * deviation, axes, keepdims=keepdims)
    result = total / elementwise.apply(np.maximum, count - ddof, 0)
    out = FLOAT16 if a.dtype == FLOAT16 and dtype is None else np.dtype(work)
    return result if result.dtype == out else elementwise.astype(result, out)


def std(x, axis=None, dtype=None, ddof=0, keepdims=False):
    return elementwise.apply(np.sqrt, var(x, axis, dtype, ddof, keepdims))


def any(x, axis=None, keepdims=False):  # noqa: A001 (NumPy's name)
    return reduce("any", _truth(asarray(x)), axis, keepdims=keepdims)


def all(x, axis=None, keepdims=False):  # noqa: A001
    return reduce("all", _truth(asarray(x)), axis, keepdims=keepdims)


def count_nonzero(x, axis=None, keepdims=False):
    a = asarray(x)
    return reduce("sum", _truth(a), axis, np.intp, keepdims)


def argmax(x, axis=None, keepdims=False):
    return _arg(x, "max", axis, keepdims)


def argmin(x, axis=None, keepdims=False):
    return _arg(x, "min", axis, keepdims)


def nansum(x, axis=None, dtype=None, keepdims=False):
    a = asarray(x)
    return reduce("sum", _without_nan(a, 0.0), axis, dtype, keepdims)


def nanmean(x, axis=None, dtype=None, keepdims=False):
    a = asarray(x)
    if a.dtype.kind != "f":
        return reduce("mean", a, axis, dtype, keepdims)
    axes = axes_of(axis, a.ndim)
    if int(np.prod([a.shape[k] for k in axes])) == 0:
        fp_errors.warn("Mean of empty slice")
    present = elementwise.apply(np.logical_not, elementwise.apply(np.isnan, a))
    work = _work_dtype(a.dtype, dtype)
    total = reduce("sum", elementwise.astype(_without_nan(a, 0.0), work), axes,
                   keepdims=keepdims)
    count = reduce("sum", elementwise.astype(present, work), axes, keepdims=keepdims)
    with np.errstate(divide="ignore", invalid="ignore"):  # (NumPy's own warning instead)
        mean = total / count
    out = a.dtype if dtype is None else np.dtype(dtype)
    if mean.dtype != out:
        mean = elementwise.astype(mean, out)
    fp_errors.warn_when(mean.node, any(elementwise.apply(np.equal, count, 0)).node,
                        "Mean of empty slice")
    return mean


def nanmin(x, axis=None, keepdims=False):
    return _nan_extreme(x, "min", axis, keepdims)


def nanmax(x, axis=None, keepdims=False):
    return _nan_extreme(x, "max", axis, keepdims)


# --- pieces ---------------------------------------------------------------------------------
def _work_dtype(dtype: np.dtype, requested) -> np.dtype:
    """The dtype NumPy's var/mean compute in: float64 for integers and bools, float32 for
    float16 (stored back as float16), the float itself otherwise, or ``requested``."""
    if requested is not None:
        return np.dtype(requested)
    if dtype.kind == "f":
        return np.dtype(np.float32) if dtype == FLOAT16 else dtype
    return np.dtype(np.float64)


def _length(a: ndarray, dtype: np.dtype) -> ndarray:
    """The number of elements of ``a`` as a lazy 0-d value (read from its vector, so that
    one program serves every length)."""
    kind = compute_kind(dtype, "len")
    node = Lazy(lambda exprs: E.Cast(kind, E.Length(exprs[0])), [a.node], T.Scalar(kind),
                ("length", kind))
    return ndarray(node, (), dtype)


def _truth(a: ndarray) -> ndarray:
    return a if a.dtype == np.bool_ else elementwise.astype(a, np.bool_)


def _without_nan(a: ndarray, value: float) -> ndarray:
    if a.dtype.kind != "f":
        return a
    return elementwise.select(elementwise.apply(np.isnan, a), a.dtype.type(value), a, a.dtype)


def _arg(x, how: str, axis, keepdims: bool) -> ndarray:
    """The index of the first extreme (the first NaN where there is one): of the flattened
    array for ``axis=None``, else along ``axis``."""
    a = asarray(x)
    if axis is not None:
        try:
            axis = operator.index(axis)
        except TypeError:
            raise WeldTypeError(f"arg{how}: '{type(axis).__name__}' object cannot be "
                                "interpreted as an integer (an axis)") from None
    axes = axes_of(axis, a.ndim)
    axis = None if axis is None else axes[0]
    length = int(np.prod([a.shape[k] for k in axes]))
    if length == 0:
        raise WeldShapeError(f"attempt to get arg{how} of an empty sequence")
    whole = len(axes) == a.ndim
    extreme = reduce(how, a, axes, keepdims=not whole)
    same = elementwise.apply(np.equal, a, extreme)
    if a.dtype.kind == "f":
        both_nan = elementwise.apply(np.logical_and, elementwise.apply(np.isnan, a),
                                     elementwise.apply(np.isnan, extreme))
        same = elementwise.apply(np.logical_or, same, both_nan)
    if not a.ndim:
        return ndarray(Lazy.source(np.int64(0), T.I64), (), np.int64)
    shape, i64 = a.shape, T.ScalarKind.I64

    def build(exprs):
        if whole and not keepdims:
            return loop([over(exprs[0])], E.NewBuilder(T.Merger(T.I64, T.BuilderOp.MIN)),
                        E.Select(ELEMENT, INDEX, E.Length(exprs[0])))
        kept = reduced_shape(shape, axes, keepdims=True)
        return into_slots(exprs[0], shape, kept, T.BuilderOp.MIN, i64,
                          E.Select(ELEMENT, _position(shape, axis), E.Literal(i64, length)))

    if whole and not keepdims:  # (one program for every shape)
        return ndarray(Lazy(build, [same.node], T.I64, ("first",)), (), np.int64)
    node = Lazy(build, [same.node], T.Vec(T.I64), ("first", shape, axis))
    return ndarray(node, reduced_shape(shape, axes, keepdims), np.int64)


def _position(shape: tuple, axis: int | None) -> E.Expr:
    """The index along ``axis`` of element ``INDEX`` of a C-order array of ``shape`` (its
    flat index for ``axis=None``)."""
    if axis is None:
        return INDEX
    return axis_index(INDEX, int(np.prod(shape[axis + 1:])), shape[axis], axis > 0)


def _nan_extreme(x, how: str, axis, keepdims: bool) -> ndarray:
    a = asarray(x)
    if a.dtype.kind != "f":
        return reduce(how, a, axis, keepdims=keepdims)
    axes = axes_of(axis, a.ndim)
    if int(np.prod([a.shape[k] for k in axes])) == 0:
        raise WeldShapeError(f"zero-size array to reduction operation "
                             f"{'fmin' if how == 'min' else 'fmax'} which has no identity")
    fill = np.inf if how == "min" else -np.inf
    extreme = reduce(how, _without_nan(a, fill), axes, keepdims=keepdims)
    present = reduce("any", elementwise.apply(np.logical_not, elementwise.apply(np.isnan, a)),
                     axes, keepdims=keepdims)
    result = elementwise.select(present, extreme, a.dtype.type(np.nan), a.dtype)
    fp_errors.warn_when(result.node, elementwise.apply(np.logical_not, all(present)).node,
                        "All-NaN slice encountered")
    return result
