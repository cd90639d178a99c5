"""Basic indexing of lazy arrays (integers, slices, ``np.newaxis``, ``...``) as NumPy's
views, and writes through them (API.md's versioning rule).

A view is a ``Region`` of its base array (the array that owns the elements): for each of the
view's axes, the base axis it walks, where it starts and its step (or none, for a new axis
of length 1), and the base axes an integer index fixed. A view reads its base's current
version (``gather``: one loop looking each element up), so a write to the base, or through
another view of it, is seen, as NumPy's views share memory. A write through a view (item
assignment, an in-place operator, ``out=``) makes a new version of the base (``scatter``:
one loop over the base keeping every element outside the region); values computed earlier
keep reading the version they were computed from. ``fill_diagonal`` writes the same way.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

import numpy as np

from weldpy.errors import WeldIndexError, WeldShapeError
from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.lazy import Lazy
from weldpy.numpy.loops import ELEMENT, INDEX, axis_index, count, i64, loop, over, read

B, K = E.BinKind, T.ScalarKind
NEW_AXIS = None


class NotBasic(Exception):
    """An index that is not basic (arrays, lists, booleans): NumPy's advanced indexing."""


@dataclass(frozen=True)
class Region:
    """Where a view's elements are in its base (a C-order array of ``base_shape``)."""

    base_shape: tuple[int, ...]
    axes: tuple[tuple[int | None, int, int, int], ...]  # (base axis, start, step, length)
    fixed: tuple[tuple[int, int], ...] = ()  # (base axis, index) an integer index took

    @classmethod
    def whole(cls, shape: tuple[int, ...]) -> Region:
        return cls(tuple(shape), tuple((a, 0, 1, n) for a, n in enumerate(shape)))

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(length for _, _, _, length in self.axes)

    def select(self, key) -> Region:
        """The region ``view[key]`` of this one's view; NumPy's IndexError for an integer
        out of range or too many indices; ``NotBasic`` for advanced indexing."""
        items = _items(key, len(self.axes))
        out, fixed, axis = [], list(self.fixed), 0
        for item in items:
            if item is NEW_AXIS:
                out.append((None, 0, 0, 1))
                continue
            base_axis, start, step, length = self.axes[axis]
            if isinstance(item, slice):
                first, stop, by = item.indices(length)
                n = len(range(first, stop, by))
                out.append((base_axis, start + first * step, step * by, n)
                           if base_axis is not None else (None, 0, 0, n))
            else:
                if not -length <= item < length:
                    raise WeldIndexError(f"index {item} is out of bounds for axis {axis} "
                                         f"with size {length}")
                if base_axis is not None:
                    fixed.append((base_axis, start + (item % length) * step))
            axis += 1
        out += self.axes[axis:]
        return Region(self.base_shape, tuple(out), tuple(sorted(fixed)))

    def transpose(self, order: tuple[int, ...]) -> Region:
        """The region of this view with its axes in ``order`` (``.T``: reversed)."""
        return Region(self.base_shape, tuple(self.axes[a] for a in order), self.fixed)

    @property
    def is_whole(self) -> bool:
        """Whether the view is its base in the base's own order (a reshape of it is too)."""
        return self == Region.whole(self.base_shape)

    def key(self) -> tuple:
        return (self.base_shape, self.axes, self.fixed)


def _items(key, ndim: int) -> list:
    """``key`` as a list of ints, slices and new axes, ``...`` expanded."""
    items = list(key) if isinstance(key, tuple) else [key]
    out = []
    for item in items:
        if item is None or item is Ellipsis or isinstance(item, slice):
            out.append(item)
        elif isinstance(item, (bool, np.bool_)) or not _is_integer(item):
            raise NotBasic(item)
        else:
            out.append(operator.index(item))
    if sum(1 for i in out if i is Ellipsis) > 1:
        raise WeldIndexError("an index can only have a single ellipsis ('...')")
    indexed = sum(1 for i in out if i is not None and i is not Ellipsis)
    if indexed > ndim:
        raise WeldIndexError(f"too many indices for array: array is {ndim}-dimensional, but "
                             f"{indexed} were indexed")
    if Ellipsis in out:
        at = out.index(Ellipsis)
        out[at:at + 1] = [slice(None)] * (ndim - indexed)
    return out


def _is_integer(item) -> bool:
    try:
        operator.index(item)
    except TypeError:
        return False
    return not isinstance(item, (np.ndarray, list))


def gather(base: Lazy, region: Region) -> Lazy:
    """The view's elements (C order) from the base's vector: one loop of lookups."""
    n = int(np.prod(region.shape))
    inner = _inner(region.base_shape)
    fixed = sum(index * inner[a] for a, index in region.fixed)
    view_inner = _inner(region.shape)

    def build(exprs):
        offset: E.Expr = i64(fixed + sum(
            start * inner[a] for a, start, _, _ in region.axes if a is not None))
        for v, (a, _, step, length) in enumerate(region.axes):
            if a is None or length == 1:
                continue
            position = axis_index(INDEX, view_inner[v], length, v > 0)
            offset = E.BinOp(B.ADD, offset, E.BinOp(B.MUL, position, i64(step * inner[a])))
        elem = base.ty.elem
        return loop([count(n)], E.NewBuilder(T.Appender(elem)), read(exprs[0], offset))

    return Lazy(build, [base], base.ty, ("gather", region.key()))


def scatter(base: Lazy, region: Region, values: Lazy) -> Lazy:
    """A new version of the base: ``values`` (the view's elements, C order) in the region,
    the base's own elements elsewhere. One loop over the base."""
    if int(np.prod(region.shape)) == 0:
        return base
    inner, view_inner = _inner(region.base_shape), _inner(region.shape)
    dims = region.base_shape

    def build(exprs):
        def digit(a):
            return axis_index(INDEX, inner[a], dims[a], a > 0)
        inside: list[E.Expr] = [E.BinOp(B.EQ, digit(a), i64(index))
                                for a, index in region.fixed]
        position: E.Expr = i64(0)
        for v, (a, start, step, length) in enumerate(region.axes):
            if a is None:
                continue
            d = E.BinOp(B.SUB, digit(a), i64(start))
            q = E.BinOp(B.DIV, d, i64(step))
            inside += [E.BinOp(B.EQ, E.BinOp(B.MUL, q, i64(step)), d),
                       E.BinOp(B.GE, q, i64(0)), E.BinOp(B.LT, q, i64(length))]
            position = E.BinOp(B.ADD, position, E.BinOp(B.MUL, q, i64(view_inner[v])))
        cond: E.Expr = E.Literal(K.BOOL, True)
        for term in inside:
            cond = E.BinOp(B.BAND, cond, term)
        if isinstance(values.ty, T.Vec):
            new = read(exprs[1], E.Select(cond, position, i64(0)))
        else:  # (one element: a 0-d value)
            new = exprs[1]
        value = E.Select(cond, new, ELEMENT)
        return loop([over(exprs[0])], E.NewBuilder(T.Appender(base.ty.elem)), value)

    return Lazy(build, [base, values], base.ty, ("scatter", region.key()))


def element(base: Lazy, region: Region) -> Lazy:
    """The one element an all-integer index names, as a 0-d value."""
    inner = _inner(region.base_shape)
    offset = sum(index * inner[a] for a, index in region.fixed)
    return Lazy(lambda exprs: read(exprs[0], i64(offset)), [base],
                base.ty.elem, ("element", offset))


def check_assignable(shape: tuple, value_shape: tuple) -> None:
    """NumPy's broadcasting of an assigned value into a region."""
    try:
        fits = np.broadcast_shapes(tuple(value_shape), tuple(shape)) == tuple(shape)
    except ValueError:
        fits = False
    if not fits:
        raise WeldShapeError(f"could not broadcast input array from shape "
                             f"{tuple(value_shape)} into shape {tuple(shape)}")


def _inner(shape: tuple) -> list[int]:
    """Elements per step of each axis of a C-order array of ``shape``."""
    inner, size = [0] * len(shape), 1
    for a in range(len(shape) - 1, -1, -1):
        inner[a], size = size, size * shape[a]
    return inner



def fill_diagonal(a, val, wrap: bool = False) -> None:
    """``np.fill_diagonal`` on a lazy array: a new version of ``a`` (of its base, for a
    view) with NumPy's diagonal positions set to ``val`` (a scalar, or values cycled along
    the diagonal, as NumPy's flat assignment cycles them). NumPy's rule: every
    ``1 + sum(cumulative sizes)``-th flat element, up to ``cols * cols`` for a tall 2-D
    array unless ``wrap``."""
    from weldpy.numpy import elementwise
    from weldpy.numpy.creation import asarray

    if a.ndim < 2:
        raise WeldShapeError("array must be at least 2-d")
    if a.ndim > 2 and len(set(a.shape)) != 1:
        raise WeldShapeError("All dimensions of input must be of equal length")
    n = a.size
    step = 1 + sum(int(np.prod(a.shape[k + 1:])) for k in range(a.ndim - 1))
    end = n if a.ndim > 2 or wrap else min(n, a.shape[1] * a.shape[1])
    values = asarray(val)
    if values.ndim > 1:
        values = values.reshape(-1)
    if values.ndim == 1 and values.size == 0:
        return
    kind = a.node.ty.elem.kind  # (at least 2-d: a vector)
    cast = values if values.dtype == a.dtype else elementwise.astype(values, a.dtype)

    def build(exprs):
        on = E.BinOp(B.BAND, E.BinOp(B.EQ, E.BinOp(B.MOD, INDEX, i64(step)), i64(0)),
                     E.BinOp(B.LT, INDEX, i64(end)))
        if values.ndim == 0:
            new = exprs[1]
        else:  # (the k-th diagonal element takes value k mod len)
            at = E.BinOp(B.MOD, E.BinOp(B.DIV, INDEX, i64(step)), i64(values.size))
            new = read(exprs[1], E.Select(on, at, i64(0)))
        return loop([over(exprs[0])], E.NewBuilder(T.Appender(T.Scalar(kind))),
                    E.Select(on, new, ELEMENT))

    node = a.node
    a.node = Lazy(build, [node, cast.node], node.ty,
                  ("fill_diagonal", a.shape, step, end, values.ndim, values.size))

