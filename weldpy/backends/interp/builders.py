"""Builder values of the interpreter: appender, merger, vecmerger, dictmerger, groupmerger.

A builder value is a ``BuilderValue``: a handle on a mutable state plus the version of the
state it stands for. ``merge`` and ``result`` consume the handle (the state moves to a new
version) and ``merge`` returns a handle on the new version. Builders are linear (IR.md), so a
correct program never touches a consumed handle; when one does (a pass that broke linearity),
the interpreter raises instead of silently showing a later version.
"""

from __future__ import annotations

import numpy as np

from weldpy.errors import WeldIndexError, WeldRuntimeError
from weldpy.ir import scalar_ops
from weldpy.ir import types as T
from weldpy.ir.exprs import BinKind
from weldpy.runtime.values import WeldDict, make_vec

_OP_BINKIND = {
    T.BuilderOp.ADD: BinKind.ADD, T.BuilderOp.MUL: BinKind.MUL,
    T.BuilderOp.MIN: BinKind.MIN, T.BuilderOp.MAX: BinKind.MAX,
}


def combine(op: T.BuilderOp, a, b, ty: T.Type):
    """``a op b`` for a scalar type, fieldwise for a struct of scalars."""
    if isinstance(ty, T.Struct):
        return tuple(combine(op, x, y, f) for x, y, f in zip(a, b, ty.fields, strict=True))
    if op in (T.BuilderOp.MIN, T.BuilderOp.MAX):
        return scalar_ops.builder_min_max(_OP_BINKIND[op], a, b, ty.kind)
    return scalar_ops.binary(_OP_BINKIND[op], a, b, ty.kind)


def identity(op: T.BuilderOp, ty: T.Type):
    """The identity of ``op`` on ``ty`` (``scalar_ops.builder_identity``), fieldwise for a
    struct."""
    if isinstance(ty, T.Struct):
        return tuple(identity(op, f) for f in ty.fields)
    return scalar_ops.builder_identity(op, ty.kind)


class _Appender:
    def __init__(self, ty: T.Appender, arg):
        self.ty, self.items = ty, []  # arg is a size hint: it does not change the result

    def add(self, value, where):
        self.items.append(value)

    def finish(self):
        return make_vec(self.items, self.ty.elem)


class _Merger:
    def __init__(self, ty: T.Merger, arg):
        self.ty = ty
        self.acc = identity(ty.op, ty.elem) if arg is None else arg

    def add(self, value, where):
        self.acc = combine(self.ty.op, self.acc, value, self.ty.elem)

    def finish(self):
        return self.acc


class _VecMerger:
    def __init__(self, ty: T.VecMerger, arg):
        self.ty = ty
        self.out = np.array(arg) if isinstance(arg, np.ndarray) else list(arg)

    def add(self, value, where):
        index, x = value
        if not 0 <= index < len(self.out):
            raise WeldIndexError(f"merge into vecmerger: index {int(index)} out of range for "
                                 f"a vector of length {len(self.out)}{where}")
        self.out[index] = combine(self.ty.op, self.out[index], x, self.ty.elem)

    def finish(self):
        return self.out


class _DictMerger:
    def __init__(self, ty: T.DictMerger, arg):
        self.ty, self.dict = ty, WeldDict()  # arg is a size hint

    def add(self, value, where):
        key, x = value
        found = self.dict.entry(key)
        self.dict.put(key, x if found is None else combine(self.ty.op, found[1], x,
                                                           self.ty.value))

    def finish(self):
        return self.dict


class _GroupMerger:
    def __init__(self, ty: T.GroupMerger, arg):
        self.ty, self.groups = ty, WeldDict()

    def add(self, value, where):
        key, x = value
        found = self.groups.entry(key)
        if found is None:
            self.groups.put(key, [x])
        else:
            found[1].append(x)

    def finish(self):
        out = WeldDict()
        for key, items in self.groups.items():
            out.put(key, make_vec(items, self.ty.value))
        return out


_STATES = {
    T.Appender: _Appender, T.Merger: _Merger, T.VecMerger: _VecMerger,
    T.DictMerger: _DictMerger, T.GroupMerger: _GroupMerger,
}


class BuilderValue:
    """A builder value: one version of a builder's state (see the module docstring)."""

    __slots__ = ("_state", "_version")

    def __init__(self, state, version: int):
        self._state, self._version = state, version

    def _consume(self, what: str, where: str):
        state = self._state
        if state.version != self._version:
            raise WeldRuntimeError(
                f"{what}: {state.ty} value used after it was merged into or read "
                f"(builders are linear){where}")
        state.version += 1

    def merge(self, value, where: str = "") -> BuilderValue:
        """The builder with ``value`` merged in."""
        self._consume("merge", where)
        self._state.add(value, where)
        return BuilderValue(self._state, self._state.version)

    def result(self, where: str = ""):
        """The builder's result (a canonical value)."""
        self._consume("result", where)
        return self._state.finish()

    def __repr__(self) -> str:
        return f"<builder {self._state.ty} version {self._version}>"


def new_builder(ty: T.BuilderType, arg=None) -> BuilderValue:
    """A fresh builder of type ``ty``; ``arg`` is its optional argument's value."""
    state = _STATES[type(ty)](ty, arg)
    state.version = 0
    return BuilderValue(state, 0)
