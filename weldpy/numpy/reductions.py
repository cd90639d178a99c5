"""Reductions (``sum prod min max mean any all``) of a whole array, or along any axes, as
one loop into a merger (whole: a 0-d lazy value that fuses with what follows) or into a
vecmerger (along axes: each element merged into its output slot).

Dtypes are NumPy's: the result dtype of ``np.add.reduce`` (``sum`` of int8 is int64, of
float16 float16, with a float32 accumulator as NumPy's) and of ``np.mean``, asked of NumPy
on a one-element stand-in. The axis argument is NumPy's (None, an axis, a tuple of axes,
negative ones). Errors known from shapes are raised at the call: ``min``/``max`` over a
zero-length axis (NumPy's ValueError), an axis out of bounds or repeated; ``mean`` over a
zero-length axis is NaN with NumPy's warning.
"""

from __future__ import annotations

import operator
import warnings

import numpy as np

from weldpy.errors import WeldAxisError, WeldShapeError, WeldTypeError
from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.ir.scalar_ops import builder_identity
from weldpy.lazy import Lazy
from weldpy.numpy import fp_errors
from weldpy.numpy.dtypes import compute_kind
from weldpy.numpy.elementwise import broadcast_offset
from weldpy.numpy.loops import ELEMENT, INDEX, count, i64, loop, over, read
from weldpy.numpy.operands import operand

K = T.ScalarKind
_MERGERS = {"sum": T.BuilderOp.ADD, "prod": T.BuilderOp.MUL, "min": T.BuilderOp.MIN,
            "max": T.BuilderOp.MAX, "mean": T.BuilderOp.ADD, "any": T.BuilderOp.MAX,
            "all": T.BuilderOp.MIN}
_NUMPY = {"sum": np.sum, "prod": np.prod, "min": np.min, "max": np.max, "mean": np.mean,
          "any": np.any, "all": np.all}
_UFUNC_NAMES = {"min": "minimum", "max": "maximum"}


def axes_of(axis, ndim: int) -> tuple[int, ...]:
    """NumPy's ``axis`` argument as sorted non-negative axes (None: every axis); NumPy's
    errors for an axis out of bounds, repeated, or not an integer."""
    if axis is None:
        return tuple(range(ndim))
    found: list[int] = []
    for a in axis if isinstance(axis, tuple) else (axis,):
        try:
            a = operator.index(a)
        except TypeError:
            raise WeldTypeError(f"'{type(a).__name__}' object cannot be interpreted as an "
                                "integer (an axis)") from None
        if not -ndim <= a < ndim:
            raise WeldAxisError(f"axis {a} is out of bounds for array of dimension {ndim}")
        if a % ndim in found:
            raise WeldShapeError("duplicate value in 'axis'")
        found.append(a % ndim)
    return tuple(sorted(found))


def reduced_shape(shape: tuple, axes: tuple, keepdims: bool) -> tuple:
    """The shape of a reduction of ``shape`` over ``axes``."""
    if keepdims:
        return tuple(1 if k in axes else s for k, s in enumerate(shape))
    return tuple(s for k, s in enumerate(shape) if k not in axes)


def reduce(how: str, x, axis=None, dtype=None, keepdims: bool = False):
    """``np.<how>(x, axis=axis, dtype=dtype, keepdims=keepdims)`` as a lazy value."""
    from weldpy.numpy.array import ndarray

    a = operand(x, how)
    ndim = len(a.shape)
    axes = axes_of(axis, ndim)
    source = a.dtype if a.dtype is not None else np.asarray(a.literal).dtype
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kwargs = {} if dtype is None or how in ("min", "max", "any", "all") \
            else {"dtype": dtype}
        out = np.asarray(_NUMPY[how](np.ones((1,) * ndim, source), axis=axes,
                                     **kwargs)).dtype
    length = int(np.prod([a.shape[k] for k in axes]))
    if length == 0 and how in ("min", "max"):
        raise WeldShapeError(f"zero-size array to reduction operation {_UFUNC_NAMES[how]} "
                             "which has no identity")
    if length == 0 and how == "mean":
        fp_errors.warn("Mean of empty slice")
        fp_errors.report_now("scalar divide" if len(axes) == ndim else "divide", "invalid")
    if not a.is_array:  # a 0-d value: NumPy's reduction of one element
        return ndarray_of_scalar(a, how, out)
    acc = compute_kind(out, how)  # (a mean of integers sums in f64, as NumPy)
    elem = a.node.ty.elem.kind
    if len(axes) == ndim and not keepdims:
        node = Lazy(lambda exprs: _whole(how, exprs[0], acc, elem), [a.node], T.Scalar(acc),
                    ("reduce", how, acc, elem))
        _check_float_errors(how, a.node, node, elem, length)
        return ndarray(node, (), out)
    kept = reduced_shape(a.shape, axes, keepdims=True)
    if axes == tuple(range(ndim - len(axes), ndim)):  # the innermost axes: row by row
        rows = int(np.prod(a.shape[:ndim - len(axes)]))
        node = Lazy(lambda exprs: _rows(how, exprs[0], rows, length, acc, elem), [a.node],
                    T.Vec(T.Scalar(acc)), ("reduce_rows", how, acc, elem, rows, length))
        _check_float_errors(how, a.node, node, elem, length)
        return ndarray(node, reduced_shape(a.shape, axes, keepdims), out)

    def build(exprs):
        total = into_slots(exprs[0], a.shape, kept, _merger(how, acc), acc,
                           ELEMENT if elem is acc else E.Cast(acc, ELEMENT))
        if how != "mean":
            return total
        return loop([over(total)], E.NewBuilder(T.Appender(T.Scalar(acc))),
                    E.BinOp(E.BinKind.DIV, ELEMENT, E.Literal(acc, float(length))))

    node = Lazy(build, [a.node], T.Vec(T.Scalar(acc)),
                ("reduce_axes", how, acc, elem, a.shape, axes))
    _check_float_errors(how, a.node, node, elem, length)
    return ndarray(node, reduced_shape(a.shape, axes, keepdims), out)


def _check_float_errors(how: str, source: Lazy, node: Lazy, elem: T.ScalarKind,
                        length: int) -> None:
    """NumPy's ``overflow``/``invalid value encountered in reduce`` of a float sum, product
    or mean: an infinite (NaN) result where every element is finite (none is NaN). (The
    mean of nothing is NaN by its division, reported at the call.)"""
    if how not in ("sum", "prod", "mean") or not elem.is_float or length == 0:
        return
    modes = fp_errors.current()
    if modes is None:
        return
    vector_result = isinstance(node.ty, T.Vec)

    def check_node(kind: str, condition) -> Lazy:
        def build(exprs):
            def none_of(test):  # (whether no element passes ``test``)
                found = loop([over(exprs[0])], E.NewBuilder(T.Merger(T.BOOL, T.BuilderOp.MAX)),
                             test(ELEMENT))
                return E.UnaryOp(E.UnaryKind.NOT, found)
            facts = [none_of(lambda e: E.UnaryOp(E.UnaryKind.NOT,
                                                 E.UnaryOp(E.UnaryKind.ISFINITE, e))),
                     none_of(lambda e: E.UnaryOp(E.UnaryKind.ISNAN, e))]
            if not vector_result:
                return condition(facts, exprs[1])
            return E.Let("finite", facts[0], E.Let("numbers", facts[1], loop(
                [over(exprs[1])], E.NewBuilder(T.Merger(T.BOOL, T.BuilderOp.MAX)),
                condition([E.Ident("finite"), E.Ident("numbers")], ELEMENT))))
        return Lazy(build, [source, node], T.BOOL, ("reduce check", kind, vector_result))

    fp_errors.attach(node, "reduce", fp_errors.reduction_conditions(node.ty.elem.kind
                                                                    if vector_result
                                                                    else node.ty.kind),
                     modes, check_node)


def _merger(how: str, acc: T.ScalarKind) -> T.BuilderOp:
    """The merger of reduction ``how`` accumulating in ``acc``: for booleans (``sum`` or
    ``prod`` with ``dtype=bool``), NumPy's ``or`` and ``and``."""
    op = _MERGERS[how]
    if acc is T.ScalarKind.BOOL and op in (T.BuilderOp.ADD, T.BuilderOp.MUL):
        return T.BuilderOp.MAX if op is T.BuilderOp.ADD else T.BuilderOp.MIN
    return op


def into_slots(vector: E.Expr, shape: tuple, kept: tuple, op: T.BuilderOp,
               acc: T.ScalarKind, value: E.Expr) -> E.Expr:
    """One loop over ``vector`` (of ``shape``) merging ``value`` (of its index and element)
    into the output slot of each element, a vecmerger of the reduced shape ``kept`` (1 on
    the reduced axes) starting at the merger's identity."""
    start = builder_identity(op, acc).item()
    n_out = int(np.prod(kept))
    init = loop([count(n_out)], E.NewBuilder(T.Appender(T.Scalar(acc))),
                E.Literal(acc, start))
    slot = broadcast_offset(INDEX, kept, shape)
    return loop([over(vector)], E.NewBuilder(T.VecMerger(T.Scalar(acc), op), init),
                E.MakeStruct((slot, value)))


def _rows(how: str, vector: E.Expr, rows: int, length: int, acc: T.ScalarKind,
          elem: T.ScalarKind) -> E.Expr:
    """The reduction of each of ``rows`` rows of ``length`` elements of ``vector`` (C order):
    a loop over the rows around a merger's loop over the row, whose elements are read in
    place (an
    element a map computes is computed there: a broadcast's rows, n-body's forces, fuse
    into it without an intermediate), with its accumulators in registers."""
    j = E.Ident("row_j")
    element = read(E.Ident("row_v"), E.BinOp(E.BinKind.ADD, E.BinOp(E.BinKind.MUL, INDEX,
                                                                      i64(length)), j))
    value = element if elem is acc else E.Cast(acc, element)
    params = (E.Param("row_b", None), E.Param("row_j", None), E.Param("row_x", None))
    total: E.Expr = E.Result(E.For(
        (count(length),), E.NewBuilder(T.Merger(T.Scalar(acc), _merger(how, acc))),
        E.Lambda(params, E.Merge(E.Ident("row_b"), value))))
    if how == "mean":
        total = E.BinOp(E.BinKind.DIV, total, E.Literal(acc, float(length)))
    # (the vector bound outside the loops: computed once, or element by element in place)
    return E.Let("row_v", vector, loop([count(rows)], E.NewBuilder(T.Appender(T.Scalar(acc))),
                                       total))


def _whole(how: str, vector: E.Expr, acc: T.ScalarKind, elem: T.ScalarKind) -> E.Expr:
    value = ELEMENT if elem is acc else E.Cast(acc, ELEMENT)
    total = loop([over(vector)], E.NewBuilder(T.Merger(T.Scalar(acc), _merger(how, acc))), value)
    if how != "mean":
        return total
    # (the count from the vector, not a literal: one program for every length)
    return E.BinOp(E.BinKind.DIV, total, E.Cast(acc, E.Length(vector)))


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
