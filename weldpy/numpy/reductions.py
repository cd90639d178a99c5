"""Reductions of a whole array (``sum prod min max mean``) as one loop into a merger, whose
0-d lazy result fuses with what follows.

Dtypes are NumPy's: the result dtype of ``np.add.reduce`` (``sum`` of int8 is int64, of
float16 float16, with a float32 accumulator as NumPy's) and of ``np.mean``, asked of NumPy
on a one-element stand-in. ``min``/``max`` of an empty array raise NumPy's ValueError at the
call (the shape is known); ``mean`` of one is NaN with NumPy's warning.
"""

from __future__ import annotations

import warnings

import numpy as np

from weldpy.errors import WeldAxisError, WeldShapeError
from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.ir.scalar_ops import builder_identity
from weldpy.lazy import Lazy
from weldpy.numpy.dtypes import compute_kind
from weldpy.numpy.loops import ELEMENT, INDEX, count, loop, over
from weldpy.numpy.operands import operand

K = T.ScalarKind
_MERGERS = {"sum": T.BuilderOp.ADD, "prod": T.BuilderOp.MUL, "min": T.BuilderOp.MIN,
            "max": T.BuilderOp.MAX, "mean": T.BuilderOp.ADD}
_NUMPY = {"sum": np.sum, "prod": np.prod, "min": np.min, "max": np.max, "mean": np.mean}
_UFUNC_NAMES = {"min": "minimum", "max": "maximum"}


def reduce(how: str, x, dtype=None):
    """``np.<how>(x)`` of the whole array as a lazy 0-d value."""
    from weldpy.numpy.array import ndarray

    a = operand(x, how)
    source = a.dtype if a.dtype is not None else np.asarray(a.literal).dtype
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kwargs = {} if dtype is None or how in ("min", "max") else {"dtype": dtype}
        out = np.asarray(_NUMPY[how](np.ones(1, source), **kwargs)).dtype
    n = int(np.prod(a.shape))
    if n == 0 and how in ("min", "max"):
        raise WeldShapeError(f"zero-size array to reduction operation {_UFUNC_NAMES[how]} "
                             "which has no identity")
    if n == 0 and how == "mean":
        warnings.warn("Mean of empty slice.", RuntimeWarning, stacklevel=3)
    if not a.is_array:  # a 0-d value: NumPy's reduction of one element
        return ndarray_of_scalar(a, how, out)
    # the accumulator: the result's kind (a mean of integers sums in f64, as NumPy)
    acc = compute_kind(out, how)
    elem = a.node.ty.elem.kind
    op = _MERGERS[how]

    def build(exprs):
        value = ELEMENT if elem is acc else E.Cast(acc, ELEMENT)
        total = loop([over(exprs[0])], E.NewBuilder(T.Merger(T.Scalar(acc), op)), value)
        if how != "mean":
            return total
        # (the count from the vector, not a literal: one program for every length)
        return E.BinOp(E.BinKind.DIV, total, E.Cast(acc, E.Length(exprs[0])))

    return ndarray(Lazy(build, [a.node], T.Scalar(acc), ("reduce", how, acc, elem)), (), out)


def reduce_axis(how: str, x, axis: int, dtype=None, keepdims: bool = False):
    """``np.<how>(x, axis=axis, keepdims=keepdims)`` for one axis: one loop merging each
    element into its output slot (a vecmerger), then, for ``mean``, the division."""
    from weldpy.numpy.array import ndarray

    a = operand(x, how)
    if not a.is_array:
        raise WeldAxisError(f"axis {axis} is out of bounds for array of dimension 0")
    ndim = len(a.shape)
    if not -ndim <= axis < ndim:
        raise WeldAxisError(f"axis {axis} is out of bounds for array of dimension {ndim}")
    axis %= ndim
    if ndim == 1 and not keepdims:  # (the whole array)
        return reduce(how, x, dtype)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kwargs = {} if dtype is None or how in ("min", "max") else {"dtype": dtype}
        out = np.asarray(_NUMPY[how](np.ones((1,) * ndim, a.dtype), axis=axis,
                                     **kwargs)).dtype
    length = a.shape[axis]
    if length == 0 and how in ("min", "max"):
        raise WeldShapeError(f"zero-size array to reduction operation {_UFUNC_NAMES[how]} "
                             "which has no identity")
    if length == 0 and how == "mean":
        warnings.warn("Mean of empty slice.", RuntimeWarning, stacklevel=3)
    shape = a.shape[:axis] + a.shape[axis + 1:]
    inner = int(np.prod(a.shape[axis + 1:]))
    n_out = int(np.prod(shape))
    acc, elem, op = compute_kind(out, how), a.node.ty.elem.kind, _MERGERS[how]
    start = builder_identity(op, acc).item()

    def build(exprs):
        i, e = INDEX, ELEMENT
        lit = lambda v: E.Literal(K.I64, v)  # noqa: E731
        init = loop([count(n_out)], E.NewBuilder(T.Appender(T.Scalar(acc))),
                    E.Literal(acc, start))
        # the output slot of element i: its index with the reduced axis taken out
        slot = E.BinOp(E.BinKind.ADD,
                       E.BinOp(E.BinKind.MUL, E.BinOp(E.BinKind.DIV, i, lit(inner * length)),
                               lit(inner)),
                       E.BinOp(E.BinKind.MOD, i, lit(inner)))
        value = e if elem is acc else E.Cast(acc, e)
        total = loop([over(exprs[0])], E.NewBuilder(T.VecMerger(T.Scalar(acc), op), init),
                     E.MakeStruct((slot, value)))
        if how != "mean":
            return total
        return loop([over(total)], E.NewBuilder(T.Appender(T.Scalar(acc))),
                    E.BinOp(E.BinKind.DIV, e, E.Literal(acc, float(length))))

    if keepdims:
        shape = a.shape[:axis] + (1,) + a.shape[axis + 1:]
    node = Lazy(build, [a.node], T.Vec(T.Scalar(acc)),
                ("reduce_axis", how, acc, elem, a.shape, axis))
    return ndarray(node, shape, out)


def ndarray_of_scalar(a, how: str, out: np.dtype):
    """The reduction of a 0-d operand: itself, in the result's dtype."""
    from weldpy.numpy.array import ndarray

    kind = compute_kind(out, how)
    if a.node is None:
        value = np.asarray(a.literal).astype(out)
        return ndarray(Lazy.source(value[()], T.Scalar(kind)), (), out)
    node_kind = a.node.ty.kind
    return ndarray(Lazy(lambda exprs: exprs[0] if node_kind is kind else E.Cast(kind, exprs[0]),
                        [a.node], T.Scalar(kind), ("cast", node_kind, kind)), (), out)
