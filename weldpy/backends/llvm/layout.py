"""How IR values are laid out for generated code: LLVM types and matching NumPy dtypes.

Two views of every IR type:
- the *value* type, what an SSA value of that IR type is (bool is ``i1``);
- the *memory* type, what is stored in vectors, structs, arguments and results (bool is one
  byte, ``i8``, holding 0 or 1). Only bool differs; a struct's fields always use memory types,
  so a struct value can be stored as it is.

| IR type | LLVM | memory (NumPy) |
|---|---|---|
| bool | i1 | i8 (``np.bool_``) |
| i8/u8 ... i64/u64 | iN | the integer dtype |
| f32, f64 | float, double | float32, float64 |
| ``vec[T]`` | ``{ptr, i64}`` (data, length) | ``{u64 ptr, i64 len}`` |
| struct | literal struct of memory types, C layout | aligned structured dtype |
| ``dict[K, V]`` | ``ptr`` to the table | ``u64`` |
| ``appender``, ``dictmerger``, ``groupmerger`` | ``ptr`` to the builder state | |
| ``merger[T, op]`` | T's value type: the running accumulator | |
| ``vecmerger[T, op]`` | ``{ptr, i64}``: the vector it updates in place | |
"""

from __future__ import annotations

import functools

import numpy as np
from llvmlite import ir

from weldpy.errors import WeldUnsupportedError
from weldpy.ir import types as T

I1 = ir.IntType(1)
I8 = ir.IntType(8)
I16 = ir.IntType(16)
I32 = ir.IntType(32)
I64 = ir.IntType(64)
F32 = ir.FloatType()
F64 = ir.DoubleType()
PTR = ir.PointerType()
VOID = ir.VoidType()
VEC = ir.LiteralStructType([PTR, I64])

_SCALARS = {
    T.ScalarKind.BOOL: I1, T.ScalarKind.I8: I8, T.ScalarKind.U8: I8,
    T.ScalarKind.I16: I16, T.ScalarKind.U16: I16, T.ScalarKind.I32: I32,
    T.ScalarKind.U32: I32, T.ScalarKind.I64: I64, T.ScalarKind.U64: I64,
    T.ScalarKind.F32: F32, T.ScalarKind.F64: F64,
}


@functools.cache
def value_type(t: T.Type) -> ir.Type:
    """The LLVM type of an SSA value of IR type ``t``."""
    if isinstance(t, T.Scalar):
        return _SCALARS[t.kind]
    if isinstance(t, (T.Vec, T.VecMerger)):
        return VEC
    if isinstance(t, T.Struct):
        return ir.LiteralStructType([mem_type(f) for f in t.fields])
    if isinstance(t, T.Merger):
        return value_type(t.elem)
    if isinstance(t, (T.Dict, T.Appender, T.DictMerger, T.GroupMerger)):
        return PTR
    raise WeldUnsupportedError(f"llvm backend: no value layout for {t}")


@functools.cache
def mem_type(t: T.Type) -> ir.Type:
    """The LLVM type of IR type ``t`` stored in memory (bool is a byte)."""
    if t == T.BOOL:
        return I8
    return value_type(t)


def is_bool(t: T.Type) -> bool:
    return t == T.BOOL


@functools.cache
def numpy_dtype(t: T.Type) -> np.dtype:
    """The NumPy dtype with exactly ``mem_type(t)``'s layout (C alignment)."""
    if isinstance(t, T.Scalar):
        return t.kind.dtype
    if isinstance(t, T.Vec):
        return np.dtype([("ptr", np.uint64), ("len", np.int64)], align=True)
    if isinstance(t, T.Struct):
        return np.dtype([(f"f{i}", numpy_dtype(f)) for i, f in enumerate(t.fields)],
                        align=True)
    if isinstance(t, T.Dict):
        return np.dtype(np.uint64)
    raise WeldUnsupportedError(f"llvm backend: {t} cannot cross the Python boundary")


def size_of(t: T.Type) -> int:
    """Bytes of ``t`` in memory (``numpy_dtype(t).itemsize``)."""
    return numpy_dtype(t).itemsize
