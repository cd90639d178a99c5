"""NumPy's advanced indexing of lazy arrays by one array: a boolean mask (``x[mask]``) and
integer indices (``x[idx]``), along the leading axes; reading and assigning.

``x[mask]``, a mask of ``x.shape[:k]``, is a filter: one loop over ``x`` keeping the
elements (or rows of ``x.shape[k:]``) where the mask is true, in C order, that fuses with
what reads it (``x[x > 0].sum()`` is one loop). Its length is the mask's count: NumPy's
shape at the call, so the count is computed at the call (a mask computed lazily is counted
by a program of its own, without writing it; the selection stays lazy).

``x[idx]`` takes rows of ``x`` along its first axis at integer indices (negative ones from
the end) of any shape: result ``idx.shape + x.shape[1:]``. The indices are checked at the
call, with NumPy's IndexError for the first out of bounds, so a lazy index array is
evaluated there; the gather itself stays lazy.

``x[key] = v`` (``assign``) makes a new version of ``x`` (API.md's versioning rule): one loop
over ``x`` taking, where ``key`` selects a row, the row of ``v`` (broadcast to the selection's
shape and cast as NumPy casts on assignment) that NumPy's assignment puts there (for repeated
indices, the last); the map from rows of ``x`` to rows of ``v`` is made at the call (a lazy
mask is evaluated there).
"""

from __future__ import annotations

import numpy as np

from weldpy.errors import WeldIndexError, WeldValueError
from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.lazy import Lazy
from weldpy.numpy.loops import ELEMENT, INDEX, count, filtered, i64, loop, over, read

B = E.BinKind


def advanced(key) -> np.ndarray | object | None:
    """``key`` as an index array (a lazy array, a NumPy array or a list of booleans or
    integers), or None when it is something else (basic indexing, a tuple)."""
    from weldpy.numpy.array import ndarray

    if isinstance(key, ndarray):
        return key if key.ndim and (key.dtype == np.bool_ or key.dtype.kind in "iu") else None
    if isinstance(key, list):
        array = np.asarray(key) if key else np.empty(0, dtype=np.intp)
        return array if array.dtype == np.bool_ or array.dtype.kind in "iu" else None
    if isinstance(key, np.ndarray) and key.ndim > 0 and (
            key.dtype == np.bool_ or key.dtype.kind in "iu"):
        return key
    return None


def select(a, key):
    """``a[key]`` for an index array ``key`` (``advanced``)."""
    if key.dtype == np.bool_:
        return _masked(a, key)
    return _taken(a, key)


def assign(a, key, value) -> None:
    """``a[key] = value`` for an index array ``key`` (``advanced``): ``a`` gets a new
    version."""
    from weldpy.numpy import elementwise, views
    from weldpy.numpy.array import ndarray
    from weldpy.numpy.creation import full
    from weldpy.numpy.operands import operand

    if key.dtype == np.bool_:
        _check_mask(a, key)
        flags = np.asarray(key.evaluate() if isinstance(key, ndarray) else key).ravel()
        which = np.where(flags, np.cumsum(flags) - 1, -1).astype(np.int64)
        rest = a.shape[key.ndim:]
        shape = (int(flags.sum()), *rest)
        if not rest and np.ndim(value) == 1 and np.size(value) not in (1, shape[0]):
            raise WeldValueError(
                f"NumPy boolean array indexing assignment cannot assign {np.size(value)} "
                f"input values to the {shape[0]} output values where the mask is true")
    else:
        positions = _positions(a, key)
        which = np.full(a.shape[0], -1, dtype=np.int64)
        which[positions.ravel()] = np.arange(positions.size)  # (repeated: the last wins)
        rest = a.shape[1:]
        shape = (*positions.shape, *rest)
    views.check_assignable(shape, np.shape(value))
    values = elementwise.select(full(shape, True), value, value, a.dtype).node
    rows = int(np.prod(rest))
    source, rows_of = a.node, operand(which, "setitem").node

    def build(exprs):
        x, w, v = exprs
        row = read(w, E.BinOp(B.DIV, INDEX, i64(rows)) if rows != 1 else INDEX)
        at = E.Ident("row")
        offset = at if rows == 1 else E.BinOp(B.ADD, E.BinOp(B.MUL, at, i64(rows)),
                                              E.BinOp(B.MOD, INDEX, i64(rows)))
        value_at = E.Let("row", row, E.If(E.BinOp(B.GE, at, i64(0)), read(v, offset),
                                          ELEMENT))
        return loop([over(x)], E.NewBuilder(T.Appender(source.ty.elem)), value_at)

    a.node = Lazy(build, [source, rows_of, values], source.ty, ("assign rows", rows))


def _check_mask(a, mask) -> None:
    """NumPy's IndexError for a mask that does not fit ``a``'s leading axes."""
    k = mask.ndim
    if k > a.ndim:
        raise WeldIndexError(f"too many indices for array: array is {a.ndim}-dimensional, "
                             f"but {k} were indexed")
    for axis, (size, flags) in enumerate(zip(a.shape, mask.shape, strict=False)):
        if size != flags:
            raise WeldIndexError(
                f"boolean index did not match indexed array along axis {axis}; size of axis "
                f"is {size} but size of corresponding boolean axis is {flags}")


def _positions(a, idx) -> np.ndarray:
    """The integer indices ``idx`` into ``a``'s first axis, checked (NumPy's IndexError for
    the first out of bounds) and from the start (int64, ``idx``'s shape)."""
    from weldpy.numpy.array import ndarray

    if not a.shape:
        raise WeldIndexError("too many indices for array: array is 0-dimensional, but 1 "
                             "were indexed")
    indices = np.asarray(idx.evaluate() if isinstance(idx, ndarray) else idx)
    n = a.shape[0]
    bad = (indices < -n) | (indices >= n)
    if bad.any():
        first = indices[np.unravel_index(int(np.argmax(bad)), indices.shape)]
        raise WeldIndexError(f"index {first} is out of bounds for axis 0 with size {n}")
    return np.where(indices < 0, indices + n, indices).astype(np.int64)


def _masked(a, mask):
    from weldpy.numpy import count_nonzero
    from weldpy.numpy.array import ndarray
    from weldpy.numpy.operands import operand

    _check_mask(a, mask)
    k = mask.ndim
    # (NumPy's shape, known at the call)
    chosen = int(count_nonzero(mask) if isinstance(mask, ndarray) else np.count_nonzero(mask))
    rows = int(np.prod(a.shape[k:]))
    source, flags = a.node, operand(mask, "getitem").node
    elem = source.ty.elem

    def build(exprs):
        x, m = exprs
        builder = E.NewBuilder(T.Appender(elem))
        if rows == 1:  # (a mask of the whole shape: read side by side)
            return filtered([over(x), over(m)], builder, E.GetField(ELEMENT, 1),
                            E.GetField(ELEMENT, 0))
        return filtered([over(x)], builder, read(m, E.BinOp(B.DIV, INDEX, i64(rows))),
                        ELEMENT)

    node = Lazy(build, [source, flags], source.ty, ("mask", rows))
    return ndarray(node, (chosen, *a.shape[k:]), a.dtype)


def _taken(a, idx):
    from weldpy.numpy.array import ndarray
    from weldpy.numpy.operands import operand

    positions = _positions(a, idx)
    rows = int(np.prod(a.shape[1:]))
    source, where = a.node, operand(positions, "getitem").node
    total = positions.size * rows

    def build(exprs):
        x, p = exprs
        builder = E.NewBuilder(T.Appender(source.ty.elem))
        if rows == 1:
            return loop([over(p)], builder, read(x, ELEMENT))
        row = read(p, E.BinOp(B.DIV, INDEX, i64(rows)))
        offset = E.BinOp(B.ADD, E.BinOp(B.MUL, row, i64(rows)),
                         E.BinOp(B.MOD, INDEX, i64(rows)))
        return loop([count(total)], builder, read(x, offset))

    node = Lazy(build, [source, where], source.ty, ("take", rows, total))
    return ndarray(node, (*positions.shape, *a.shape[1:]), a.dtype)
