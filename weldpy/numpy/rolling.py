"""``np.roll``: elements shifted along axes, those leaving one end coming back at the other,
as one loop reading each result element from its source (a lookup at the shifted index)."""

from __future__ import annotations

import operator

import numpy as np

from weldpy.errors import WeldShapeError
from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.lazy import Lazy
from weldpy.numpy.loops import INDEX, axis_index, count, i64, loop, read
from weldpy.numpy.reductions import axes_of

B, K = E.BinKind, T.ScalarKind


def roll(a, shift, axis=None):
    from weldpy.numpy.array import ndarray
    from weldpy.numpy.creation import asarray

    x = asarray(a)
    if axis is None:
        flat = x.reshape(-1) if x.ndim != 1 else x
        return roll(flat, shift, 0).reshape(x.shape) if x.ndim != 1 else roll(flat, shift, 0)
    shifts = shift if isinstance(shift, (tuple, list)) else (shift,)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    if len(shifts) == 1:
        shifts = shifts * len(axes)
    if len(axes) == 1:
        axes = axes * len(shifts)
    if len(shifts) != len(axes):
        raise WeldShapeError("'shift' and 'axis' should be scalars or 1D sequences")
    by_axis = [0] * x.ndim
    for s, ax in zip(shifts, axes, strict=True):
        (ax,) = axes_of(ax, x.ndim)
        by_axis[ax] += operator.index(s)
    shape = x.shape
    moves = {ax: s % shape[ax] for ax, s in enumerate(by_axis) if shape[ax] and s % shape[ax]}
    if not moves:
        return x.copy()
    inner = [int(np.prod(shape[ax + 1:])) for ax in range(len(shape))]

    def build(exprs):
        source: E.Expr = INDEX
        for ax, s in moves.items():
            digit = axis_index(INDEX, inner[ax], shape[ax], ax > 0)
            # (digit - s) mod n, as digit + (n - s) wrapped: never negative
            moved = E.BinOp(B.ADD, digit, i64(shape[ax] - s))
            moved = E.Select(E.BinOp(B.GE, moved, i64(shape[ax])),
                             E.BinOp(B.SUB, moved, i64(shape[ax])), moved)
            source = E.BinOp(B.ADD, source,
                             E.BinOp(B.MUL, E.BinOp(B.SUB, moved, digit), i64(inner[ax])))
        return loop([count(int(np.prod(shape)))], E.NewBuilder(T.Appender(x.node.ty.elem)),
                    read(exprs[0], source))

    node = Lazy(build, [x.node], x.node.ty, ("roll", shape, tuple(sorted(moves.items()))))
    return ndarray(node, shape, x.dtype)
