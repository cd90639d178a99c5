"""Canonical values: how the interpreter (and ``weldpy.runtime.marshal``) represents IR values.

| IR type | canonical value |
|---|---|
| scalar | NumPy scalar of the exact dtype (``np.int32``, ``np.bool_``, ``np.float64`` ...) |
| ``vec[T]``, T scalar | 1-D NumPy array of T's dtype (never written to: may be a view) |
| ``vec[T]``, other T | Python list of canonical values |
| struct | tuple |
| ``dict[K, V]`` | ``WeldDict`` |

Also here: ``compare`` (Weld's total order, NaN after every number), ``normalize_key``
(dictionary key equality is ``compare(a, b) == 0``), ``values_equal`` (``==`` on
non-scalars), zero values.
"""

from __future__ import annotations

import functools

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


class WeldDict:
    """A dictionary value. Keys equal under ``compare`` are one key (all NaNs, 0.0 and -0.0);
    the first key value seen is the one kept and shown."""

    __slots__ = ("_entries",)

    def __init__(self):
        self._entries: dict = {}

    def entry(self, key):
        """The (key, value) pair stored for ``key``, or None."""
        return self._entries.get(normalize_key(key))

    def put(self, key, value) -> None:
        """Set the value of ``key``; an existing equal key keeps its original value."""
        norm = normalize_key(key)
        old = self._entries.get(norm)
        self._entries[norm] = (key if old is None else old[0], value)

    def lookup(self, key, where: str = ""):
        found = self.entry(key)
        if found is None:
            raise WeldIndexError(f"lookup: key {describe(key)} is not in the dictionary{where}")
        return found[1]

    def __contains__(self, key) -> bool:
        return normalize_key(key) in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def items(self) -> list:
        """(key, value) pairs in insertion order."""
        return list(self._entries.values())

    def sorted_items(self) -> list:
        """(key, value) pairs sorted by key with ``compare`` (``tovec``'s order)."""
        entries = list(self._entries.values())
        keys = [k for k, _ in entries]
        if keys and all(isinstance(k, np.generic) for k in keys):
            # scalar keys of one dtype: NumPy's sort is compare's order (NaN last, and -0.0
            # and 0.0 are one key), without a Python comparison per pair
            array = np.array(keys)
            if array.dtype == keys[0].dtype:
                return [entries[i] for i in np.argsort(array, kind="stable")]
        return sorted(entries, key=lambda kv: compare_key(kv[0]))

    def __repr__(self) -> str:
        body = ", ".join(f"{describe(k)}: {describe(v)}" for k, v in self.sorted_items())
        return f"WeldDict({{{body}}})"
