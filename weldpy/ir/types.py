"""IR types: scalars, vectors, structs, dictionaries, builders and functions.

Types are small immutable values (frozen dataclasses) compared structurally. A type may hold
``None`` in place of a component the program text left out (a bare ``appender``, an untyped
lambda parameter); the type checker fills every such hole, so a checked program has none.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np


class ScalarKind(enum.Enum):
    """The scalar types; the value is the IR spelling."""

    # members are singletons, equal only to themselves: hashed by identity (Enum's own
    # hash runs Python code, and kinds are in every key the frontends look up)
    __hash__ = object.__hash__

    BOOL = "bool"
    I8 = "i8"
    I16 = "i16"
    I32 = "i32"
    I64 = "i64"
    U8 = "u8"
    U16 = "u16"
    U32 = "u32"
    U64 = "u64"
    F32 = "f32"
    F64 = "f64"

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(_DTYPES[self])

    @property
    def bits(self) -> int:
        return 1 if self is ScalarKind.BOOL else self.dtype.itemsize * 8

    @property
    def is_float(self) -> bool:
        return self in (ScalarKind.F32, ScalarKind.F64)

    @property
    def is_int(self) -> bool:
        return not self.is_float and self is not ScalarKind.BOOL

    @property
    def is_signed(self) -> bool:
        return self.is_float or self.name.startswith("I")

    @classmethod
    def from_dtype(cls, dtype) -> ScalarKind | None:
        """The kind whose NumPy dtype is exactly ``dtype`` (native byte order), else None."""
        dt = np.dtype(dtype)
        if not dt.isnative:
            return None
        return _FROM_DTYPE.get(dt)


_DTYPES = {
    ScalarKind.BOOL: np.bool_, ScalarKind.I8: np.int8, ScalarKind.I16: np.int16,
    ScalarKind.I32: np.int32, ScalarKind.I64: np.int64, ScalarKind.U8: np.uint8,
    ScalarKind.U16: np.uint16, ScalarKind.U32: np.uint32, ScalarKind.U64: np.uint64,
    ScalarKind.F32: np.float32, ScalarKind.F64: np.float64,
}
_FROM_DTYPE = {np.dtype(v): k for k, v in _DTYPES.items()}


class BuilderOp(enum.Enum):
    """The commutative operators of mergers; the value is the IR spelling."""

    ADD = "+"
    MUL = "*"
    MIN = "min"
    MAX = "max"


class Type:
    """Base class of every IR type."""

    __slots__ = ()

    @property
    def is_builder(self) -> bool:
        return isinstance(self, BuilderType)

    def __str__(self) -> str:
        from weldpy.ir.printer import pretty_type

        return pretty_type(self)


@dataclass(frozen=True, slots=True)
class Scalar(Type):
    kind: ScalarKind


@dataclass(frozen=True, slots=True)
class Vec(Type):
    elem: Type | None


@dataclass(frozen=True, slots=True)
class Struct(Type):
    fields: tuple[Type | None, ...]


@dataclass(frozen=True, slots=True)
class Dict(Type):
    key: Type | None
    value: Type | None


@dataclass(frozen=True, slots=True)
class Function(Type):
    params: tuple[Type | None, ...]
    result: Type | None


class BuilderType(Type):
    """Base class of the builder types. ``merge_type`` is what merge() takes,
    ``result_type`` what result() returns."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Appender(BuilderType):
    elem: Type | None

    @property
    def merge_type(self):
        return self.elem

    @property
    def result_type(self):
        return Vec(self.elem)


@dataclass(frozen=True, slots=True)
class Merger(BuilderType):
    elem: Type | None
    op: BuilderOp

    @property
    def merge_type(self):
        return self.elem

    @property
    def result_type(self):
        return self.elem


@dataclass(frozen=True, slots=True)
class VecMerger(BuilderType):
    elem: Type | None
    op: BuilderOp

    @property
    def merge_type(self):
        return Struct((I64, self.elem))

    @property
    def result_type(self):
        return Vec(self.elem)


@dataclass(frozen=True, slots=True)
class DictMerger(BuilderType):
    key: Type | None
    value: Type | None
    op: BuilderOp

    @property
    def merge_type(self):
        return Struct((self.key, self.value))

    @property
    def result_type(self):
        return Dict(self.key, self.value)


@dataclass(frozen=True, slots=True)
class GroupMerger(BuilderType):
    key: Type | None
    value: Type | None

    @property
    def merge_type(self):
        return Struct((self.key, self.value))

    @property
    def result_type(self):
        return Dict(self.key, Vec(self.value))


BOOL = Scalar(ScalarKind.BOOL)
I8 = Scalar(ScalarKind.I8)
I16 = Scalar(ScalarKind.I16)
I32 = Scalar(ScalarKind.I32)
I64 = Scalar(ScalarKind.I64)
U8 = Scalar(ScalarKind.U8)
U16 = Scalar(ScalarKind.U16)
U32 = Scalar(ScalarKind.U32)
U64 = Scalar(ScalarKind.U64)
F32 = Scalar(ScalarKind.F32)
F64 = Scalar(ScalarKind.F64)
STRING = Vec(I8)
SCALARS = tuple(Scalar(k) for k in ScalarKind)


def components(ty: Type) -> tuple[Type | None, ...]:
    """The component types of ``ty`` in a fixed order (empty for scalars)."""
    if isinstance(ty, (Vec, Appender)):
        return (ty.elem,)
    if isinstance(ty, (Merger, VecMerger)):
        return (ty.elem,)
    if isinstance(ty, Struct):
        return ty.fields
    if isinstance(ty, (Dict, DictMerger, GroupMerger)):
        return (ty.key, ty.value)
    if isinstance(ty, Function):
        return (*ty.params, ty.result)
    return ()


def with_components(ty: Type, comps: tuple) -> Type:
    """``ty`` with its components (in the order of ``components``) replaced."""
    if isinstance(ty, Vec):
        return Vec(comps[0])
    if isinstance(ty, Appender):
        return Appender(comps[0])
    if isinstance(ty, Merger):
        return Merger(comps[0], ty.op)
    if isinstance(ty, VecMerger):
        return VecMerger(comps[0], ty.op)
    if isinstance(ty, Struct):
        return Struct(tuple(comps))
    if isinstance(ty, Dict):
        return Dict(comps[0], comps[1])
    if isinstance(ty, DictMerger):
        return DictMerger(comps[0], comps[1], ty.op)
    if isinstance(ty, GroupMerger):
        return GroupMerger(comps[0], comps[1])
    if isinstance(ty, Function):
        return Function(tuple(comps[:-1]), comps[-1])
    return ty


def is_complete(ty: Type | None) -> bool:
    """True when ``ty`` has no hole (``None``) anywhere inside."""
    if ty is None:
        return False
    return all(is_complete(c) for c in components(ty))


def contains_builder(ty: Type) -> bool:
    """True when ``ty`` is a builder or holds one (a struct of builders)."""
    if ty.is_builder:
        return True
    return isinstance(ty, Struct) and any(c is not None and contains_builder(c) for c in ty.fields)
