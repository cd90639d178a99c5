"""Bulk forms of ``marshal``'s argument conversions: large uniform lists and dicts become
canonical values through whole-array NumPy operations instead of a check per element.

Each function returns None when its input is not in the one uniform shape it handles (mixed
types, values that need a lossless-conversion check, keys that may be one key under
``compare``, ...). ``marshal`` then takes its general path, which gives the same canonical
value or raises the error naming the offending element: these fast paths never decide an
error, and never accept what the general path would reject.
"""

from __future__ import annotations

import numpy as np

from weldpy.ir.types import Dict, Scalar, ScalarKind, Struct, Type
from weldpy.runtime.values import VecList, WeldDict


def struct_dtype(ty: Struct) -> np.dtype:
    """The structured dtype of a ``vec[struct of scalars]`` result: fields f0, f1, ... at C
    alignment, the layout compiled code writes, so results need no copy."""
    return np.dtype([(f"f{i}", f.kind.dtype) for i, f in enumerate(ty.fields)], align=True)


def is_flat_struct(ty: Type) -> bool:
    """Whether ``ty`` is a struct whose fields are all scalars (at least one)."""
    return isinstance(ty, Struct) and bool(ty.fields) and all(
        isinstance(f, Scalar) for f in ty.fields)


def _accepted_types(kind: ScalarKind) -> set:
    """Python types whose values ``marshal._scalar_in`` converts to ``kind`` exactly as
    ``np.array(values, dtype)`` does (other NumPy types need a per-value exactness check)."""
    if kind is ScalarKind.BOOL:
        return {bool, np.bool_}
    return {float if kind.is_float else int, kind.dtype.type}


def scalar_column(items: list, kind: ScalarKind) -> tuple[np.ndarray, bool] | None:
    """``items`` (user scalars) as one array of ``kind``, and whether Python floats were
    rounded to f32 (distinct floats may then have become one key)."""
    types = set(map(type, items))
    if not types <= _accepted_types(kind):
        return None
    try:
        if kind is ScalarKind.F32 and float in types:
            wide = np.array(items, dtype=np.float64)
            with np.errstate(over="ignore"):
                out = wide.astype(np.float32)
            if (np.isinf(out) & np.isfinite(wide)).any():
                return None  # overflows f32: an error, which the general path raises
            return out, True
        return np.array(items, dtype=kind.dtype), False  # out of range: OverflowError
    except (OverflowError, ValueError, TypeError):
        return None


def _struct_column(items: list, ty: Struct) -> tuple[np.ndarray, bool] | None:
    n = len(ty.fields)
    if not (set(map(type, items)) <= {tuple} and set(map(len, items)) <= {n}):
        return None
    fields = list(zip(*items, strict=True)) if items else [()] * n
    out = np.empty(len(items), dtype=struct_dtype(ty))
    rounded = False
    for i, (values, f) in enumerate(zip(fields, ty.fields, strict=True)):
        got = scalar_column(list(values), f.kind)
        if got is None:
            return None
        out[f"f{i}"], rounded = got[0], rounded or got[1]
    return out, rounded


def column(items: list, ty: Type) -> tuple[np.ndarray, bool] | None:
    """``items`` of IR type ``ty`` (a scalar or a struct of scalars, given as tuples) as one
    array (structured for a struct), and whether floats were rounded to f32."""
    if isinstance(ty, Scalar):
        return scalar_column(items, ty.kind)
    if is_flat_struct(ty):
        return _struct_column(items, ty)
    return None


def _surely_distinct(keys: np.ndarray, rounded: bool) -> bool:
    """Whether no two of a user dict's keys are one key under ``compare``. Python already
    made them distinct values, and -0.0 == 0.0 in Python too; but several NaN objects, or
    floats rounded to f32, can be one key. Unsure (NaNs in a struct key): False."""
    if keys.dtype.names is None:
        if keys.dtype.kind != "f":
            return True
        if rounded:
            return len(np.unique(keys)) == len(keys)  # NaNs are one value, -0.0 is 0.0
        return np.count_nonzero(np.isnan(keys)) <= 1
    fields = [keys[n] for n in keys.dtype.names]
    if any(f.dtype.kind == "f" and np.isnan(f).any() for f in fields):
        return False
    return not rounded or len(set(zip(*(f.tolist() for f in fields), strict=True))) == len(keys)


def dict_columns(value: dict, ty: Dict) -> WeldDict | None:
    """A user dict whose keys and values are scalars or structs of scalars, as a columns'
    ``WeldDict``."""
    keys = column(list(value), ty.key)
    if keys is None or not _surely_distinct(*keys):
        return None
    values = column(list(value.values()), ty.value)
    if values is None:
        return None
    return WeldDict.from_columns(keys[0], values[0])


def byte_strings(value: list, kind: ScalarKind) -> VecList | None:
    """A list of ``bytes``/``str`` (UTF-8) as a canonical ``vec[vec[i8 or u8]]``: one buffer
    of all the bytes, each element a read-only view of its part."""
    types = set(map(type, value))
    if not types <= {bytes, str}:
        return None
    try:
        if types == {str} and (joined := "".join(value)).isascii():
            data = joined.encode("ascii")  # one byte per character: lengths are len()
        else:
            if str in types:
                value = [v.encode() if type(v) is str else v for v in value]
            data = b"".join(value)
    except UnicodeEncodeError:  # a lone surrogate: the general path raises it
        return None
    offsets = np.zeros(len(value) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, value), np.int64, len(value)), out=offsets[1:])
    return VecList.of_segments([(np.frombuffer(data, dtype=kind.dtype), offsets)])

