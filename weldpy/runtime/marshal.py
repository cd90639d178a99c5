"""The calling convention of IR.md: user arguments -> canonical values, canonical results ->
user values (canonical values: ``weldpy.runtime.values``).

Arguments are checked strictly and never copied when they can be referenced: a contiguous
NumPy array of exactly the element dtype is passed as a read-only view (a non-contiguous one
is copied and counted in ``stats()['inputs_copied']``), a pyarrow array without nulls as a
view of its buffers, ``bytes``/``str`` as a view of their bytes. Anything else raises
``WeldTypeError`` naming the parameter and the types. Results own their memory.
"""

from __future__ import annotations

from operator import attrgetter

import numpy as np

from weldpy.config import count
from weldpy.errors import WeldTypeError, WeldValueError
from weldpy.ir.exprs import Param
from weldpy.ir.types import Dict, Scalar, ScalarKind, Struct, Type, Vec
from weldpy.runtime import columns
from weldpy.runtime.buffers import owns_its_block
from weldpy.runtime.columns import is_flat_struct, struct_dtype
from weldpy.runtime.values import VecList, WeldDict, describe, make_vec

_BYTE_KINDS = (ScalarKind.I8, ScalarKind.U8)


def _what(value) -> str:
    if isinstance(value, np.ndarray):
        return f"a {value.ndim}-D NumPy array of {value.dtype}"
    if isinstance(value, (bool, int, float, np.generic)):
        return f"{type(value).__name__} {value!r}"
    return f"a {type(value).__module__}.{type(value).__qualname__}".replace("builtins.", "")


def _fail(value, ty: Type, where: str, why: str = ""):
    raise WeldTypeError(f"{where}: expected {ty}, got {_what(value)}{why}")


def _readonly(a: np.ndarray) -> np.ndarray:
    view = a.view()
    view.flags.writeable = False
    return view


def _is_arrow(value) -> bool:
    return type(value).__module__.startswith("pyarrow")


def _float_in(value, kind: ScalarKind, ty, where):
    if isinstance(value, float) and not isinstance(value, np.floating):
        with np.errstate(all="ignore"):
            out = kind.dtype.type(value)  # NumPy's weak-scalar rule: a Python float rounds
        if np.isinf(out) and np.isfinite(value):
            _fail(value, ty, where, f" (overflows {kind.value})")
        return out
    if isinstance(value, (np.floating, int, np.integer)):
        try:
            with np.errstate(all="ignore"):
                out = kind.dtype.type(value)
        except OverflowError:  # a Python int beyond every float
            _fail(value, ty, where, f" (overflows {kind.value})")
        exact = out == value if isinstance(value, np.floating) else (
            np.isfinite(out) and int(out) == int(value))
        if exact or (isinstance(value, np.floating) and np.isnan(value)):
            return out
        _fail(value, ty, where, f" (not representable exactly in {kind.value})")
    _fail(value, ty, where)


def _scalar_in(value, ty: Scalar, where: str):
    kind = ty.kind
    if type(value) is kind.dtype.type:  # (a NumPy scalar of the kind itself: as it is)
        return value
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    is_bool = isinstance(value, (bool, np.bool_))
    if kind is ScalarKind.BOOL or is_bool:
        if kind is ScalarKind.BOOL and is_bool:
            return np.bool_(value)
        _fail(value, ty, where, " (bools only pass as bool parameters)" if is_bool else "")
    if kind.is_float:
        return _float_in(value, kind, ty, where)
    if not isinstance(value, (int, np.integer)):
        _fail(value, ty, where)
    info = np.iinfo(kind.dtype)
    if not info.min <= int(value) <= info.max:
        _fail(value, ty, where, f" (out of range for {kind.value})")
    return kind.dtype.type(int(value))


def _array_in(value, ty: Vec, where: str):
    kind = ty.elem.kind
    if kind in _BYTE_KINDS and isinstance(value, (str, bytes, bytearray)):
        data = value.encode() if isinstance(value, str) else value
        return np.frombuffer(data, dtype=kind.dtype)
    if _is_arrow(value):
        return _arrow_array_in(value, ty, where)
    if not isinstance(value, np.ndarray):
        _fail(value, ty, where, f" (pass a 1-D NumPy array of {kind.dtype})")
    if value.ndim != 1:
        _fail(value, ty, where, " (a vector is a 1-D array)")
    if ScalarKind.from_dtype(value.dtype) is not kind:
        _fail(value, ty, where, f" (the dtype must be exactly {kind.dtype})")
    if not value.flags.c_contiguous:
        value = np.ascontiguousarray(value)
        count("inputs_copied")
    return _readonly(value)


def _arrow_chunks(value, ty, where):
    import pyarrow as pa

    if isinstance(value, pa.ChunkedArray):
        return value.chunks
    if isinstance(value, pa.Array):
        return [value]
    _fail(value, ty, where)


def _arrow_array_in(value, ty: Vec, where: str):
    kind = ty.elem.kind
    chunks = _arrow_chunks(value, ty, where)
    if value.null_count:
        _fail(value, ty, where, f" with {value.null_count} nulls (a vector has no nulls)")
    try:
        dtype = np.dtype(value.type.to_pandas_dtype())
    except (NotImplementedError, TypeError):
        dtype = None
    if dtype is None or ScalarKind.from_dtype(dtype) is not kind:
        _fail(value, ty, where, f" of Arrow type {value.type}")
    if kind is ScalarKind.BOOL or len(chunks) != 1:  # bit-packed bools, or several buffers
        count("inputs_copied")
        parts = [c.to_numpy(zero_copy_only=False) for c in chunks]
        return _readonly(np.concatenate(parts) if parts else np.empty(0, kind.dtype))
    return _readonly(chunks[0].to_numpy(zero_copy_only=True))


def _arrow_strings_in(value, ty: Vec, where: str):
    import pyarrow as pa

    chunks = _arrow_chunks(value, ty, where)
    t = value.type
    if not (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t)
            or pa.types.is_large_binary(t)):
        _fail(value, ty, where, f" of Arrow type {t}")
    if value.null_count:
        _fail(value, ty, where, f" with {value.null_count} nulls (a vector has no nulls)")
    offset_type = np.int64 if pa.types.is_large_string(t) or pa.types.is_large_binary(t) \
        else np.int32
    segments = []
    for chunk in chunks:  # zero-copy views of each chunk's buffers (a slice: offset != 0)
        _, offsets, data = chunk.buffers()
        offs = np.frombuffer(offsets, dtype=offset_type, count=len(chunk) + 1,
                             offset=chunk.offset * np.dtype(offset_type).itemsize)
        raw = np.frombuffer(data if data is not None else b"", dtype=ty.elem.elem.kind.dtype)
        raw.flags.writeable = False  # Arrow's buffers come writeable; views of raw are not
        segments.append((raw, offs.astype(np.int64, copy=False)))
    return VecList.of_segments(segments)


def _is_string_type(ty: Type) -> bool:
    return isinstance(ty, Vec) and isinstance(ty.elem, Scalar) and ty.elem.kind in _BYTE_KINDS


def _struct_rows_in(value, ty: Vec, where: str):
    fields = ty.elem.fields
    if isinstance(value, np.ndarray) and value.dtype.names is not None:
        names = value.dtype.names
        if value.ndim != 1 or len(names) != len(fields):
            _fail(value, ty, where, " (needs a 1-D structured array with one field per struct "
                                    "field)")
        columns = [value[n] for n in names]
    else:
        if len(value) != len(fields):
            _fail(value, ty, where, f" (a tuple of {len(value)} columns for a struct of "
                                    f"{len(fields)} fields)")
        columns = value
    cols = [to_canonical(c, Vec(f), f"{where} column {i}")
            for i, (c, f) in enumerate(zip(columns, fields, strict=True))]
    if len({len(c) for c in cols}) > 1:
        _fail(value, ty, where, f" (columns of different lengths {[len(c) for c in cols]})")
    return list(zip(*cols, strict=True)) if cols else []


def _vec_in(value, ty: Vec, where: str):
    elem = ty.elem
    if isinstance(elem, Scalar):
        return _array_in(value, ty, where)
    if _is_string_type(elem) and _is_arrow(value):
        return _arrow_strings_in(value, ty, where)
    if isinstance(elem, Struct) and (isinstance(value, tuple) or (
            isinstance(value, np.ndarray) and value.dtype.names is not None)):
        return _struct_rows_in(value, ty, where)
    if not isinstance(value, list):
        _fail(value, ty, where)
    fast = _vectors_in(value, elem) if isinstance(elem, Vec) and isinstance(
        elem.elem, Scalar) else None
    if fast is not None:
        return fast
    return [to_canonical(v, elem, f"{where} element {i}") for i, v in enumerate(value)]


def _vectors_in(value: list, ty: Vec) -> list | None:
    """A list of strings, or of contiguous 1-D arrays of exactly the dtype, converted in bulk
    (None: anything else, for the checks element by element)."""
    kind = ty.elem.kind
    if _is_string_type(ty) and not set(map(type, value)) <= {np.ndarray}:
        return columns.byte_strings(value, kind)
    if not (set(map(type, value)) <= {np.ndarray}
            and set(map(attrgetter("dtype"), value)) <= {kind.dtype}
            and set(map(attrgetter("ndim"), value)) <= {1}
            and all(map(attrgetter("flags.c_contiguous"), value))):
        return None
    return [_readonly(a) for a in value]


def _struct_in(value, ty: Struct, where: str):
    if not isinstance(value, tuple):
        _fail(value, ty, where, " (pass a struct as a tuple)")
    if len(value) != len(ty.fields):
        _fail(value, ty, where, f" (a tuple of {len(value)} values for {len(ty.fields)} "
                                "fields)")
    return tuple(to_canonical(v, f, f"{where} field {i}")
                 for i, (v, f) in enumerate(zip(value, ty.fields, strict=True)))


def _key_in(value, ty: Type, where: str):
    """A dictionary key: as ``to_canonical``, and vector keys may also be tuples (the form
    results give them, as NumPy arrays are not hashable)."""
    if isinstance(ty, Vec) and isinstance(value, tuple):
        return make_vec([_key_in(v, ty.elem, f"{where} element {i}")
                         for i, v in enumerate(value)], ty.elem)
    if isinstance(ty, Struct) and isinstance(value, tuple) and len(value) == len(ty.fields):
        return tuple(_key_in(v, f, f"{where} field {i}")
                     for i, (v, f) in enumerate(zip(value, ty.fields, strict=True)))
    return to_canonical(value, ty, where)


def _dict_in(value, ty: Dict, where: str):
    if not isinstance(value, dict):
        _fail(value, ty, where)
    fast = columns.dict_columns(value, ty)
    if fast is not None:
        return fast
    out = WeldDict()
    for k, v in value.items():
        key = _key_in(k, ty.key, f"{where} key {k!r}")
        if key in out:
            raise WeldValueError(f"{where}: keys {out.entry(key)[0]!r} and {k!r} are the same "
                                 f"key of {ty} (keys equal under compare)")
        out.put(key, to_canonical(v, ty.value, f"{where} value for key {k!r}"))
    return out


_TO_CANONICAL = {Scalar: _scalar_in, Vec: _vec_in, Struct: _struct_in, Dict: _dict_in}


def to_canonical(value, ty: Type, where: str = "value"):
    """The canonical value of the user value ``value`` of IR type ``ty``; ``where`` names it in
    errors (e.g. "argument 0 ('x')")."""
    convert = _TO_CANONICAL.get(type(ty))
    if convert is None:
        raise WeldTypeError(f"{where}: a value of type {ty} cannot be passed to a program")
    return convert(value, ty, where)


def args_to_canonical(args, params: tuple[Param, ...]) -> list:
    """Canonical values of a program's positional arguments, one per parameter."""
    if len(args) != len(params):
        names = ", ".join(p.name for p in params)
        raise WeldTypeError(f"the program takes {len(params)} arguments ({names}), got "
                            f"{len(args)}")
    return [to_canonical(a, p.ty, f"argument {i} ('{p.name}')")
            for i, (a, p) in enumerate(zip(args, params, strict=True))]


def _owned(a: np.ndarray, seen: set[int]) -> np.ndarray:
    """``a`` if the caller may own it (its own memory, or a compiled program's block handed
    over whole, ``buffers.OwnedBlock``) and it is not already part of this result; else a
    copy (a view of an input or a constant; the same vector returned twice)."""
    if id(a) not in seen and a.flags.writeable and (
            (a.base is None and a.flags.owndata) or owns_its_block(a)):
        seen.add(id(a))
        return a
    return a.copy()


def _vec_out(value, ty: Vec, seen: set[int]):
    elem = ty.elem
    if isinstance(elem, Scalar):
        return _owned(value, seen)
    if elem == Vec(Scalar(ScalarKind.I8)):
        return [v.tobytes() for v in value]
    if is_flat_struct(elem):
        if isinstance(value, np.ndarray):  # already the array (a compiled backend's result)
            return _owned(value, seen)
        dtype = struct_dtype(elem)
        out = np.empty(len(value), dtype=dtype)
        for i in range(len(elem.fields)):
            out[f"f{i}"] = [row[i] for row in value]
        return out
    return [to_user(v, elem, seen) for v in value]


def _key_out(value, ty: Type):
    """A hashable user value for a dictionary key: strings as bytes, vectors and structs as
    tuples."""
    if isinstance(ty, Vec):
        if ty.elem == Scalar(ScalarKind.I8):
            return value.tobytes()
        return tuple(_key_out(v, ty.elem) for v in value)
    if isinstance(ty, Struct):
        return tuple(_key_out(v, f) for v, f in zip(value, ty.fields, strict=True))
    return to_user(value, ty)


def _rows_out(column, ty: Type, convert):
    """The user values of a ``WeldDict`` column (``WeldDict.from_columns``): iterating an
    array gives NumPy scalars, a structured one tuples of them; a list's items ``convert``."""
    if not isinstance(column, np.ndarray):
        if convert is _key_out and _is_string_type(ty):
            return [v.tobytes() for v in column]
        return [convert(v, ty) for v in column]
    if column.dtype.names is None:
        return column
    return zip(*(column[n] for n in column.dtype.names), strict=True)


def _dict_out(value: WeldDict, ty: Dict, seen: set[int]) -> dict:
    def out(v, t):
        return to_user(v, t, seen)

    sorted_columns = value.sorted_columns()
    if sorted_columns is None:
        return {_key_out(k, ty.key): out(v, ty.value) for k, v in value.sorted_items()}
    keys, values = sorted_columns
    return dict(zip(_rows_out(keys, ty.key, _key_out), _rows_out(values, ty.value, out),
                    strict=True))


def to_user(value, ty: Type, seen: set[int] | None = None):
    """The user value of the canonical result ``value`` of type ``ty`` (IR.md's table).
    Every array in it is a separate object the caller owns (``seen``: the arrays handed out
    so far in this result)."""
    seen = set() if seen is None else seen
    if isinstance(ty, Scalar):
        return ty.kind.dtype.type(value)
    if isinstance(ty, Vec):
        return _vec_out(value, ty, seen)
    if isinstance(ty, Struct):
        return tuple(to_user(v, f, seen) for v, f in zip(value, ty.fields, strict=True))
    if isinstance(ty, Dict):
        return _dict_out(value, ty, seen)
    raise WeldTypeError(f"a program cannot return a value of type {ty}: {describe(value)}")


def nbytes(value) -> int:
    """The bytes of data in a canonical value (for ``stats()``'s bytes_in and bytes_out)."""
    if isinstance(value, (np.ndarray, np.generic)):
        return value.nbytes
    if isinstance(value, (list, tuple)):
        return sum(nbytes(v) for v in value)
    if isinstance(value, WeldDict):
        held = value.columns()
        if held is not None:
            return sum(map(_column_nbytes, held))
        return sum(nbytes(k) + nbytes(v) for k, v in value.items())
    return 0


def _column_nbytes(column) -> int:
    if not isinstance(column, np.ndarray):
        return sum(v.nbytes if isinstance(v, np.ndarray) else nbytes(v) for v in column)
    if column.dtype.names is None:
        return column.nbytes
    return len(column) * sum(column.dtype[n].itemsize for n in column.dtype.names)  # no padding
