"""``ufunc.accumulate`` and ``cumsum``/``cumprod``: a sequential scan, as NumPy's, so that
the results equal NumPy's to the bit (floats included).

One ``iterate`` visits the elements axis-last (each run along the axis in turn), carrying
the running value and an appender of the results; the running value restarts at the first
element of each run. Along an axis that is not the last, a second loop puts the results
back in C order. The dtypes are NumPy's (``np.add.accumulate`` of int8 is int64), asked of
NumPy on a one-element stand-in; the step is the ufunc's own elementwise operation.
"""

from __future__ import annotations

import numpy as np

from weldpy.errors import WeldShapeError, WeldTypeError
from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.lazy import Lazy
from weldpy.numpy import elementwise
from weldpy.numpy.dtypes import compute_kind
from weldpy.numpy.loops import INDEX, axis_index, count, i64, loop
from weldpy.numpy.operands import operand
from weldpy.numpy.reductions import axes_of

B, K = E.BinKind, T.ScalarKind


def accumulate(ufunc: np.ufunc, x, axis=0, dtype=None):
    """``ufunc.accumulate(x, axis=axis, dtype=dtype)`` as a lazy array;
    ``elementwise.NotCompiled`` for a ufunc weldpy does not compile for these types."""
    from weldpy.numpy.array import ndarray

    name = f"{ufunc.__name__}.accumulate"
    if ufunc not in elementwise.OPERATIONS or ufunc.nin != 2 or ufunc.nout != 1:
        raise elementwise.NotCompiled(name)
    a = operand(x, name)
    if not a.is_array:
        raise WeldTypeError(f"{name}: cannot accumulate on a scalar")
    if axis is None or isinstance(axis, tuple) and len(axis) != 1:
        raise WeldShapeError(f"{name}: accumulate does not allow multiple axes")
    (axis,) = axes_of(axis, len(a.shape))
    try:
        with np.errstate(all="ignore"):
            out = ufunc.accumulate(np.ones((1,) * len(a.shape), a.dtype), axis=axis,
                                   dtype=dtype).dtype
            step_in = ufunc.resolve_dtypes((out, out, None))
    except TypeError as exc:
        raise WeldTypeError(f"{name}: {exc}") from None
    kinds = [compute_kind(d, name) for d in step_in[:2]]
    if not elementwise.COMPILED_FOR.get(ufunc, lambda k: True)(kinds) \
            or ufunc is np.power and not kinds[0].is_float:  # (a negative power: NumPy's error)
        raise elementwise.NotCompiled(name)
    source, acc = a.node.ty.elem.kind, compute_kind(out, name)
    operation = elementwise.OPERATIONS[ufunc]
    made = elementwise.result_kind(ufunc, kinds[0])

    def step(running: E.Expr, element: E.Expr) -> E.Expr:
        args = [running if acc is kinds[0] else elementwise.cast(running, acc, kinds[0]),
                element if source is kinds[1] else elementwise.cast(element, source, kinds[1])]
        value = operation(args, kinds)
        return value if made is acc else elementwise.cast(value, made, acc)

    def first(element: E.Expr) -> E.Expr:
        return element if source is acc else elementwise.cast(element, source, acc)

    shape = a.shape
    node = Lazy(lambda exprs: _scan(exprs[0], shape, axis, acc, first, step), [a.node],
                T.Vec(T.Scalar(acc)), ("accumulate", ufunc, source, out, shape, axis))
    return ndarray(node, shape, out)


def cumulative(ufunc: np.ufunc, a, axis=None, dtype=None):
    """``np.cumsum``/``np.cumprod``: the accumulation of the flattened array for
    ``axis=None``."""
    from weldpy.numpy.array import ndarray

    o = operand(a, f"cum{ufunc.__name__}")
    if axis is None:
        a = ndarray(o.node, (int(np.prod(o.shape)),), o.dtype) if o.is_array \
            else np.reshape(o.literal, 1)
        axis = 0
    return accumulate(ufunc, a, axis, dtype)


def _scan(vector: E.Expr, shape: tuple, axis: int, acc: T.ScalarKind, first, step) -> E.Expr:
    length = shape[axis]
    inner = int(np.prod(shape[axis + 1:]))
    n = int(np.prod(shape))
    t = E.GetField(E.Ident("s"), 0)
    if inner == 1:
        source = t
    else:  # t runs (outer, inner, along); the element it reads is (outer, along, inner)
        along = E.BinOp(B.MOD, t, i64(length))
        rest = E.BinOp(B.DIV, t, i64(length))
        source = E.BinOp(B.ADD, E.BinOp(B.ADD,
                                        E.BinOp(B.MUL, E.BinOp(B.DIV, rest, i64(inner)),
                                                i64(length * inner)),
                                        E.BinOp(B.MUL, along, i64(inner))),
                         E.BinOp(B.MOD, rest, i64(inner)))
    element = E.Lookup(vector, source)
    restart = E.BinOp(B.EQ, E.BinOp(B.MOD, t, i64(length)), i64(0))
    running = E.If(restart, first(E.Ident("v")), step(E.GetField(E.Ident("s"), 1),
                                                      E.Ident("v")))
    advanced = E.Let("v", element, E.Let("r", running, E.MakeStruct((
        E.BinOp(B.ADD, t, i64(1)), E.Ident("r"),
        E.Merge(E.GetField(E.Ident("s"), 2), E.Ident("r"))))))
    update = E.Lambda((E.Param("s", None),), E.If(
        E.BinOp(B.LT, t, i64(n)), E.MakeStruct((advanced, E.Literal(K.BOOL, True))),
        E.MakeStruct((E.Ident("s"), E.Literal(K.BOOL, False)))))
    start = E.MakeStruct((i64(0), E.Literal(acc, acc.dtype.type(0).item()),
                          E.NewBuilder(T.Appender(T.Scalar(acc)), i64(n))))
    scanned = E.Result(E.GetField(E.Iterate(start, update), 2))
    if inner == 1:
        return scanned
    # back to C order: element (outer, along, inner) is scan result (outer, inner, along)
    outer_of = E.BinOp(B.DIV, INDEX, i64(length * inner))
    along_of = axis_index(INDEX, inner, length)
    inner_of = E.BinOp(B.MOD, INDEX, i64(inner))
    at = E.BinOp(B.ADD, E.BinOp(B.MUL, E.BinOp(B.ADD, E.BinOp(B.MUL, outer_of, i64(inner)),
                                               inner_of), i64(length)), along_of)
    return E.Let("scanned", scanned,
                 loop([count(n)], E.NewBuilder(T.Appender(T.Scalar(acc))),
                      E.Lookup(E.Ident("scanned"), at)))
