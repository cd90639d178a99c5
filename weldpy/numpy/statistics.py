"""The reductions NumPy builds from others, built the same way from weldpy's lazy pieces (so
they fuse like the rest): ``var``/``std`` (two passes, as NumPy: the mean, then the squared
deviations), ``any``/``all``/``count_nonzero``, ``argmin``/``argmax`` (the extreme, then the
first index holding it; the first NaN where there is one), and the NaN-ignoring
``nansum nanmean nanmin nanmax``. Whole arrays (``axis=None``); dtypes as NumPy gives them.
"""

from __future__ import annotations

import warnings

import numpy as np

from weldpy.errors import WeldShapeError
from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.lazy import Lazy
from weldpy.numpy import elementwise
from weldpy.numpy.array import ndarray
from weldpy.numpy.creation import asarray
from weldpy.numpy.dtypes import FLOAT16, compute_kind
from weldpy.numpy.loops import ELEMENT, INDEX, loop, over
from weldpy.numpy.reductions import reduce

B, U = E.BinKind, E.UnaryKind


def var(x, ddof=0, dtype=None):
    a = asarray(x)
    work = _work_dtype(a.dtype, dtype)
    xf = a if a.dtype == work else elementwise.astype(a, work)
    deviation = xf - reduce("mean", xf)
    n = a.size
    if n - ddof <= 0:
        warnings.warn("Degrees of freedom <= 0 for slice", RuntimeWarning, stacklevel=3)
    total = reduce("sum", deviation * deviation)
    result = total / (_length(xf, work) - ddof)
    out = FLOAT16 if a.dtype == FLOAT16 and dtype is None else np.dtype(work)
    return result if result.dtype == out else elementwise.astype(result, out)


def std(x, ddof=0, dtype=None):
    v = var(x, ddof, dtype)
    return elementwise.apply(np.sqrt, v)


def any(x):  # noqa: A001 (NumPy's name)
    return _truths(x, T.BuilderOp.MAX)


def all(x):  # noqa: A001
    return _truths(x, T.BuilderOp.MIN)


def count_nonzero(x):
    a = asarray(x)
    return reduce("sum", elementwise.astype(_truth(a), np.int64))


def argmax(x):
    return _arg(x, "max")


def argmin(x):
    return _arg(x, "min")


def nansum(x, dtype=None):
    a = asarray(x)
    return reduce("sum", _without_nan(a, 0.0), dtype)


def nanmean(x, dtype=None):
    a = asarray(x)
    if a.dtype.kind != "f":
        return reduce("mean", a, dtype)
    present = elementwise.apply(np.logical_not, elementwise.apply(np.isnan, a))
    work = _work_dtype(a.dtype, dtype)
    total = reduce("sum", elementwise.astype(_without_nan(a, 0.0), work))
    count = reduce("sum", elementwise.astype(present, work))
    mean = total / count
    out = a.dtype if dtype is None else np.dtype(dtype)
    return mean if mean.dtype == out else elementwise.astype(mean, out)


def nanmin(x):
    return _nan_extreme(x, "min")


def nanmax(x):
    return _nan_extreme(x, "max")


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


def _truths(x, op: T.BuilderOp) -> ndarray:
    a = _truth(asarray(x))

    def build(exprs):
        return loop([over(exprs[0])], E.NewBuilder(T.Merger(T.BOOL, op)), ELEMENT)

    if not a.shape:  # (a 0-d value: its own truth)
        return a
    return ndarray(Lazy(build, [a.node], T.BOOL, ("truths", op)), (), np.bool_)


def _without_nan(a: ndarray, value: float) -> ndarray:
    if a.dtype.kind != "f":
        return a
    return elementwise.select(elementwise.apply(np.isnan, a), a.dtype.type(value), a, a.dtype)


def _arg(x, how: str) -> ndarray:
    a = asarray(x)
    if a.size == 0:
        raise WeldShapeError(f"attempt to get arg{how} of an empty sequence")
    extreme = reduce(how, a)  # (NaN if there is one: its first index is the answer)
    same = elementwise.apply(np.equal, a, extreme)
    if a.dtype.kind == "f":
        both_nan = elementwise.apply(np.logical_and, elementwise.apply(np.isnan, a),
                                     elementwise.apply(np.isnan, extreme))
        same = elementwise.apply(np.logical_or, same, both_nan)

    def build(exprs):
        return loop([over(exprs[0])], E.NewBuilder(T.Merger(T.I64, T.BuilderOp.MIN)),
                    E.Select(ELEMENT, INDEX, E.Length(exprs[0])))

    return ndarray(Lazy(build, [same.node], T.I64, ("first",)), (), np.int64)


def _nan_extreme(x, how: str) -> ndarray:
    a = asarray(x)
    if a.dtype.kind != "f":
        return reduce(how, a)
    if a.size == 0:
        raise WeldShapeError(f"zero-size array to reduction operation "
                             f"{'minimum' if how == 'min' else 'maximum'} which has no "
                             "identity")
    fill = np.inf if how == "min" else -np.inf
    extreme = reduce(how, _without_nan(a, fill))
    present = _truths(elementwise.apply(np.logical_not, elementwise.apply(np.isnan, a)),
                      T.BuilderOp.MAX)
    return elementwise.select(present, extreme, a.dtype.type(np.nan), a.dtype)
