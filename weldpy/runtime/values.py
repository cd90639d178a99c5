"""Canonical values: how the interpreter (and ``weldpy.runtime.marshal``) represents IR values.

| IR type | canonical value |
|---|---|
| scalar | NumPy scalar of the exact dtype (``np.int32``, ``np.bool_``, ``np.float64`` ...) |
| ``vec[T]``, T scalar | 1-D NumPy array of T's dtype (never written to: may be a view) |
| ``vec[T]``, other T | Python list of canonical values |
| struct | tuple |
| ``dict[K, V]`` | ``WeldDict`` |

(A ``VecList`` is such a list that also knows the buffers its vectors view; a ``WeldDict``
may be held as two columns until an entry is asked for. Both only make marshalling fast.)

Also here: ``compare`` (Weld's total order, NaN after every number), ``normalize_key``
(dictionary key equality is ``compare(a, b) == 0``), ``values_equal`` (``==`` on
non-scalars), zero values.
"""

from __future__ import annotations

import functools
from itertools import pairwise

import numpy as np

from weldpy.errors import WeldIndexError
from weldpy.ir.types import Dict, Scalar, Struct, Type, Vec

# NaN keys are all one key: a hashable stand-in for them (float('nan') != itself).
_NAN_KEY = ("nan",)


def _float_key(x: float):
    return _NAN_KEY if x != x else x  # -0.0 and 0.0 are already one key of a Python dict


def normalize_key(value):
    """A hashable key with ``normalize_key(a) == normalize_key(b)`` iff ``compare(a, b) == 0``
    (for ``a``, ``b`` canonical values of one type)."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            return tuple(_float_key(x) for x in value.tolist())
        return tuple(value.tolist())
    if isinstance(value, np.floating):
        return _float_key(float(value))
    if isinstance(value, (np.bool_, np.integer)):
        return value.item()
    if isinstance(value, (tuple, list)):
        return tuple(normalize_key(v) for v in value)
    raise TypeError(f"no dictionary key for {type(value).__name__}")


def _cmp_scalars(a, b) -> int:
    a_nan, b_nan = bool(a != a), bool(b != b)
    if a_nan or b_nan:
        return int(a_nan) - int(b_nan)
    return int(a > b) - int(a < b)


def _cmp_arrays(a: np.ndarray, b: np.ndarray) -> int:
    if a.dtype == np.int8:  # strings order by unsigned bytes (UTF-8 code point order)
        a, b = a.view(np.uint8), b.view(np.uint8)
    m = min(len(a), len(b))
    x, y = a[:m], b[:m]
    differ = x != y
    if a.dtype.kind == "f":
        differ &= ~(np.isnan(x) & np.isnan(y))
    first = np.flatnonzero(differ)
    if len(first):
        return _cmp_scalars(x[first[0]], y[first[0]])
    return (len(a) > len(b)) - (len(a) < len(b))


def _cmp(a, b) -> int:
    if isinstance(a, np.ndarray):
        return _cmp_arrays(a, b)
    if isinstance(a, WeldDict):
        return _cmp(a.sorted_items(), b.sorted_items())
    if isinstance(a, (tuple, list)):
        for x, y in zip(a, b, strict=False):  # a shorter prefix orders first
            c = _cmp(x, y)
            if c:
                return c
        return (len(a) > len(b)) - (len(a) < len(b))
    return _cmp_scalars(a, b)


def compare(a, b) -> np.int32:
    """Weld's ``compare``: -1, 0 or 1. Numbers numerically with NaN after every number and
    equal to NaN, false < true, structs field by field, vectors lexicographically (a prefix
    first; ``vec[i8]`` by unsigned bytes)."""
    return np.int32(_cmp(a, b))


compare_key = functools.cmp_to_key(_cmp)


def _float_order(x: float) -> tuple:
    return (1,) if x != x else (0, x)  # NaN after every number; -0.0 == 0.0 already


def order_key(value):
    """A plain Python value that orders as ``compare`` does (equal iff compare says 0) for
    scalars, vectors and structs of them: sorting by it makes no Python comparator call per
    pair. Strings (and every byte or bool vector) become ``bytes``, whose order is compare's
    for them: unsigned bytes, a prefix first; other vectors tuples, which order the same way.
    TypeError for what it does not cover (dicts)."""
    if isinstance(value, np.ndarray):
        if value.dtype.names is not None:  # a vector of structs (compiled code's form)
            fields = (value[n] for n in value.dtype.names)
            return tuple(map(order_key, zip(*fields, strict=True)))
        if value.dtype.itemsize == 1 and value.dtype.kind in "iub":
            return value.tobytes()
        if value.dtype.kind == "f":
            return tuple(map(_float_order, value.tolist()))
        return tuple(value.tolist())
    if isinstance(value, np.floating):
        return _float_order(float(value))
    if isinstance(value, (np.integer, np.bool_)):
        return value.item()
    if isinstance(value, (tuple, list)):
        return tuple(map(order_key, value))
    raise TypeError(f"no order key for {type(value).__name__}")


def values_equal(a, b) -> bool:
    """``==`` on vectors, structs and dicts: IEEE equality of the scalars inside (NaN is
    unequal to itself, -0.0 equals 0.0), equal lengths."""
    if isinstance(a, np.ndarray):
        return len(a) == len(b) and bool(np.all(a == b))
    if isinstance(a, WeldDict):
        return len(a) == len(b) and all(
            k in b and values_equal(v, b.lookup(k)) for k, v in a.items())
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def describe(value) -> str:
    """A short readable rendering of a canonical value for error messages."""
    if isinstance(value, np.ndarray):
        if value.dtype == np.int8:
            return repr(value.tobytes())
        text = repr(value.tolist())
        return text if len(text) < 60 else text[:57] + "..."
    if isinstance(value, tuple):
        return "{" + ", ".join(describe(v) for v in value) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(describe(v) for v in value[:5]) + (", ...]" if len(value) > 5
                                                                  else "]")
    if isinstance(value, np.generic):
        return repr(value.item())
    return repr(value)


def make_vec(elems, elem_type: Type):
    """The canonical ``vec[elem_type]`` holding ``elems`` (a list of canonical values)."""
    if isinstance(elem_type, Scalar):
        return np.array(elems, dtype=elem_type.kind.dtype)
    return list(elems)


def zero_value(ty: Type):
    """The value ``optlookup`` gives for a missing key: zeros, empty vectors and dicts."""
    if isinstance(ty, Scalar):
        return ty.kind.dtype.type(0)
    if isinstance(ty, Vec):
        return make_vec([], ty.elem)
    if isinstance(ty, Struct):
        return tuple(zero_value(f) for f in ty.fields)
    if isinstance(ty, Dict):
        return WeldDict()
    raise TypeError(f"no zero value of {ty}")


class VecList(list):
    """A canonical ``vec[vec[T]]`` (T scalar) whose elements are views of a few flat buffers,
    so that compiled code gets every element's address and length by whole-array arithmetic
    (``segments``: ``(data, offsets)`` pairs, element i of a pair being
    ``data[offsets[i]:offsets[i + 1]]``). Otherwise a list like any other; like every
    canonical value it is never modified, so the segments stay true."""

    __slots__ = ("segments",)

    @classmethod
    def of_segments(cls, segments: list[tuple[np.ndarray, np.ndarray]]) -> VecList:
        out = cls()
        for data, offsets in segments:
            out.extend(_segment_views(data, offsets))
        out.segments = segments
        return out


def _segment_views(data: np.ndarray, offsets: np.ndarray) -> list[np.ndarray]:
    return [data[a:b] for a, b in pairwise(offsets.tolist())]


def canonical_list(column) -> list:
    """The canonical values of a ``WeldDict`` column (see ``WeldDict.from_columns``): NumPy
    scalars, tuples of them for a structured array."""
    if not isinstance(column, np.ndarray):
        return column
    if column.dtype.names is None:
        return list(column)
    return list(zip(*(list(column[n]) for n in column.dtype.names), strict=True))


def _normalized_list(keys) -> list:
    """``normalize_key`` of every key of a key column, without a call per key for arrays."""
    if not isinstance(keys, np.ndarray):
        return list(map(normalize_key, keys))
    if keys.dtype.names is not None:
        return list(zip(*(_normalized_list(keys[n]) for n in keys.dtype.names), strict=True))
    plain = keys.tolist()
    if keys.dtype.kind == "f" and np.isnan(keys).any():
        return [_float_key(x) for x in plain]
    return plain


def _key_order(keys) -> np.ndarray:
    """The permutation sorting a key column by ``compare``: NumPy's order is compare's for
    scalars (NaN last, false < true; -0.0 and 0.0 are one key, so never both present) and,
    field by field, for structs of scalars; a list is sorted by ``order_key``."""
    if not isinstance(keys, np.ndarray):
        try:
            plain = list(map(order_key, keys))
        except TypeError:  # dicts inside the keys
            plain = list(map(compare_key, keys))
        return np.array(sorted(range(len(plain)), key=plain.__getitem__), dtype=np.intp)
    if keys.dtype.names is None:
        return np.argsort(keys, kind="stable")
    return np.lexsort([keys[n] for n in reversed(keys.dtype.names)])


class WeldDict:
    """A dictionary value. Keys equal under ``compare`` are one key (all NaNs, 0.0 and -0.0);
    the first key value seen is the one kept and shown.

    A dict made by ``from_columns`` (compiled code's results, converted arguments) stays two
    columns until an entry is asked for, so the llvm backend's results and arguments cross
    the boundary with whole-array NumPy operations; its entries are the same either way."""

    __slots__ = ("_map", "_columns")

    def __init__(self):
        self._map: dict = {}
        self._columns = None  # (keys, values) while held as columns

    @classmethod
    def from_columns(cls, keys, values) -> WeldDict:
        """The dict with entries ``(keys[i], values[i])``, the keys distinct under ``compare``
        (not checked). Each column is a 1-D array of a scalar dtype, a structured array
        (fields of scalars) for structs, whose rows are tuples of NumPy scalars, or a list of
        canonical values."""
        out = cls()
        out._columns = (keys, values)
        return out

    def columns(self):
        """``(keys, values)`` as given to ``from_columns`` while the dict is held as columns,
        else None."""
        return self._columns

    def sorted_columns(self):
        """``columns()`` reordered by key with ``compare`` (``tovec``'s order), or None."""
        if self._columns is None:
            return None
        order = _key_order(self._columns[0])
        return tuple(c[order] if isinstance(c, np.ndarray) else list(map(
            c.__getitem__, order.tolist())) for c in self._columns)

    @property
    def _entries(self) -> dict:
        if self._columns is not None:  # first use of an entry: build the map once
            keys, values = self._columns
            self._map = dict(zip(_normalized_list(keys), zip(
                canonical_list(keys), canonical_list(values), strict=True), strict=True))
            self._columns = None
        return self._map

    def entry(self, key):
        """The (key, value) pair stored for ``key``, or None."""
        return self._entries.get(normalize_key(key))

    def put(self, key, value) -> None:
        """Set the value of ``key``; an existing equal key keeps its original value."""
        entries = self._entries
        norm = normalize_key(key)
        old = entries.get(norm)
        entries[norm] = (key if old is None else old[0], value)

    def lookup(self, key, where: str = ""):
        found = self.entry(key)
        if found is None:
            raise WeldIndexError(f"lookup: key {describe(key)} is not in the dictionary{where}")
        return found[1]

    def __contains__(self, key) -> bool:
        return normalize_key(key) in self._entries

    def __len__(self) -> int:
        if self._columns is not None:
            return len(self._columns[0])
        return len(self._map)

    def items(self) -> list:
        """(key, value) pairs in insertion order (a columns' dict: row order)."""
        if self._columns is not None:
            keys, values = self._columns
            return list(zip(canonical_list(keys), canonical_list(values), strict=True))
        return list(self._map.values())

    def sorted_items(self) -> list:
        """(key, value) pairs sorted by key with ``compare`` (``tovec``'s order)."""
        columns = self.sorted_columns()
        if columns is not None:
            return list(zip(*map(canonical_list, columns), strict=True))
        entries = list(self._map.values())
        keys = [k for k, _ in entries]
        if keys and all(isinstance(k, np.generic) for k in keys):
            # scalar keys of one dtype: NumPy's sort is compare's order (NaN last, and -0.0
            # and 0.0 are one key), without a Python comparison per pair
            array = np.array(keys)
            if array.dtype == keys[0].dtype:
                return [entries[i] for i in np.argsort(array, kind="stable")]
        try:
            return sorted(entries, key=lambda kv: order_key(kv[0]))
        except TypeError:  # dicts inside the keys
            return sorted(entries, key=lambda kv: compare_key(kv[0]))

    def __repr__(self) -> str:
        body = ", ".join(f"{describe(k)}: {describe(v)}" for k, v in self.sorted_items())
        return f"WeldDict({{{body}}})"
