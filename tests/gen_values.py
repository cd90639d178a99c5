"""Types and input values for the generated programs of ``tests.strategies``.

Draws IR data types by role (a vector element, a dictionary key, a struct of builder results,
...) and Python/NumPy values of a type in IR.md's calling convention: NumPy scalars of the
exact dtype, 1-D arrays, lists of ``bytes`` for ``vec[vec[i8]]``, lists of arrays for other
nested vectors, structured arrays for vectors of structs, tuples for structs, dicts for
dictionaries. Floats are hostile on purpose (NaN, -0.0, +-inf, subnormals, the largest finite
values) and integers reach their extremes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from weldpy.ir import types as T
from weldpy.ir.types import BuilderOp as Op
from weldpy.ir.types import ScalarKind as K

MAX_LEN = 8
# Relative weights of the scalar kinds when a type is drawn: floats and the common integers
# carry most programs, every kind still shows up.
KIND_WEIGHTS = {K.F64: 6, K.F32: 4, K.I32: 3, K.I64: 3, K.BOOL: 2, K.I8: 1, K.I16: 1,
                K.U8: 1, K.U16: 1, K.U32: 1, K.U64: 1}


@dataclass(frozen=True)
class Options:
    """Program-wide generation options: the scalar kinds data may have (i64, i32 and bool
    still appear for lengths, ``compare`` and conditions), the construct names to leave out
    (see ``tests.strategies.CONSTRUCTS``) and how deeply loops may nest."""

    kinds: tuple[K, ...] = tuple(K)
    exclude: frozenset = frozenset()
    max_loops: int = 2

    def allows(self, name: str) -> bool:
        if name == "string" and K.I8 not in self.kinds:
            return False
        return name not in self.exclude


def float_specials(kind: K) -> list[float]:
    """The float values that break careless code (besides NaN), exact in ``kind``."""
    info = np.finfo(kind.dtype)
    tiny = float(info.smallest_subnormal)
    return [-0.0, float("inf"), float("-inf"), tiny, -tiny, float(info.smallest_normal) / 2]


def float_edges(kind: K) -> list[float]:
    """Ordinary values at the edges: zero, one, the smallest normal, the largest finite."""
    info = np.finfo(kind.dtype)
    big = float(info.max)
    return [0.0, 1.0, -1.0, 0.5, -2.5, float(info.smallest_normal), big, -big]


@functools.cache
def scalar_python(kind: K, key: bool = False) -> st.SearchStrategy:
    """Python values of ``kind`` (f32 values exact in f32). ``key`` draws from a few small
    values, so dictionary lookups sometimes hit."""
    if kind is K.BOOL:
        return st.booleans()
    if kind.is_float:
        # NaN, and the other hostile values, each get about one value in eight: short
        # vectors would rarely meet them otherwise.
        width = kind.bits
        return st.one_of(st.just(float("nan")), st.sampled_from(float_specials(kind)),
                         st.sampled_from(float_edges(kind)), st.floats(-8, 8, width=width),
                         st.floats(-8, 8, width=width), st.floats(-1e6, 1e6, width=width),
                         st.integers(-100, 100).map(float), st.floats(-1e3, 1e3, width=width))
    info = np.iinfo(kind.dtype)
    lo, hi = int(info.min), int(info.max)
    if key:
        return st.integers(max(lo, -1), 3)
    extremes = sorted({lo, hi, lo + 1, hi - 1, 0, 1, max(lo, -1)})
    return st.one_of(st.integers(max(lo, -4), 4), st.sampled_from(extremes),
                     st.integers(lo, hi))


def merger_ops(ty: T.Type) -> tuple[Op, ...]:
    """The merger operators that combine values of ``ty`` (empty: no merger can)."""
    if isinstance(ty, T.Scalar):
        return (Op.MIN, Op.MAX) if ty.kind is K.BOOL else tuple(Op)
    if isinstance(ty, T.Struct) and ty.fields:
        ops = [merger_ops(f) for f in ty.fields]
        return tuple(op for op in Op if all(op in o for o in ops))
    return ()


def is_comparable(ty: T.Type) -> bool:
    """A value ``compare`` and ``sort`` order: anything without a dictionary inside."""
    if isinstance(ty, T.Dict):
        return False
    return all(is_comparable(c) for c in T.components(ty))


def is_key(ty: T.Type) -> bool:
    """A type the generator uses as a dictionary key: non-float scalars, strings and structs
    of them (NaN and -0.0 keys have no agreed meaning in IR.md)."""
    if isinstance(ty, T.Scalar):
        return not ty.kind.is_float
    if isinstance(ty, T.Struct):
        return all(is_key(f) for f in ty.fields)
    return ty == T.STRING


def dict_value_ok(ty: T.Type) -> bool:
    """A dictionary value some builder produces: dictmerger's mergeable values, or the
    vectors of a groupmerger."""
    return bool(merger_ops(ty)) or (isinstance(ty, T.Vec) and is_comparable(ty.elem))


def _weighted(draw, kinds):
    pool = [k for k in kinds for _ in range(KIND_WEIGHTS[k])]
    return draw(st.sampled_from(pool))


def draw_kind(draw, opts: Options, want=lambda k: True, fallback=K.I64) -> K:
    kinds = [k for k in opts.kinds if want(k)]
    return _weighted(draw, kinds) if kinds else fallback


def _scalar(draw, opts, want=lambda k: True, fallback=K.I64):
    return T.Scalar(draw_kind(draw, opts, want, fallback))


def draw_type(draw, opts: Options, role: str = "any") -> T.Type:
    """A data type for ``role``: any (a value), param (a program input), elem (a vector
    element), field (a struct field), key (a dictionary key), dict, results (a struct of
    types some builders produce, for a loop with a struct of builders)."""
    return _ROLES[role](draw, opts)


def _any(draw, opts):
    options = ["scalar"] * 5 + ["vec"] * 5 + ["struct"] * 2
    options += ["dict"] * 2 if opts.allows("dict") else []
    pick = draw(st.sampled_from(options))
    if pick == "scalar":
        return _scalar(draw, opts)
    if pick == "vec":
        return T.Vec(_elem(draw, opts))
    if pick == "struct":
        return T.Struct(tuple(_field(draw, opts) for _ in range(draw(st.integers(2, 3)))))
    return _dict(draw, opts)


def _elem(draw, opts):
    pick = draw(st.integers(0, 9))
    if pick == 7 and opts.allows("string"):
        return T.STRING
    if pick == 8:
        return T.Struct((_scalar(draw, opts), _scalar(draw, opts)))
    if pick == 9:
        return T.Vec(_scalar(draw, opts))
    return _scalar(draw, opts)


def _field(draw, opts):
    pick = draw(st.integers(0, 5))
    if pick == 4:
        return T.Vec(_scalar(draw, opts))
    if pick == 5 and opts.allows("string"):
        return T.STRING
    return _scalar(draw, opts)


def _key(draw, opts):
    pick = draw(st.integers(0, 6))
    if pick == 5 and opts.allows("string"):
        return T.STRING
    if pick == 6:
        return T.Struct((_int_key(draw, opts), _int_key(draw, opts)))
    return _int_key(draw, opts)


def _int_key(draw, opts):
    return _scalar(draw, opts, lambda k: not k.is_float)


def _dict(draw, opts):
    key = _key(draw, opts)
    pick = draw(st.integers(0, 5))
    if pick < 3:
        return T.Dict(key, _scalar(draw, opts))
    if pick == 3:
        return T.Dict(key, T.Struct((_numeric(draw, opts), _numeric(draw, opts))))
    return T.Dict(key, T.Vec(_elem(draw, opts)))


def _numeric(draw, opts):
    return _scalar(draw, opts, lambda k: k is not K.BOOL)


def _results(draw, opts):
    """Two or three types each some builder produces, for one loop with several builders."""
    def one():
        pick = draw(st.integers(0, 4))
        if pick == 4 and opts.allows("dict"):
            return _dict(draw, opts)
        if pick >= 2:
            return T.Vec(_elem(draw, opts))
        return _scalar(draw, opts)
    return T.Struct(tuple(one() for _ in range(draw(st.integers(2, 3)))))


_ROLES = {
    "any": _any, "param": _any, "elem": _elem, "field": _field, "key": _key, "dict": _dict,
    "results": _results, "scalar": _scalar,
}


# ---- values -----------------------------------------------------------------------------

def values(ty: T.Type, length: int | None = None, key: bool = False) -> st.SearchStrategy:
    """Input values of ``ty`` in the calling convention of IR.md; ``length`` fixes the length
    of a top-level vector (zipped parameters share one)."""
    size = {"min_size": length, "max_size": length} if length is not None else {
        "max_size": MAX_LEN}
    if isinstance(ty, T.Scalar):
        return scalar_python(ty.kind, key).map(ty.kind.dtype.type)
    if isinstance(ty, T.Struct):
        return st.tuples(*(values(f, key=key) for f in ty.fields))
    if isinstance(ty, T.Dict):
        return st.dictionaries(values(ty.key, key=True), values(ty.value), max_size=4)
    if key and ty == T.STRING:
        return key_bytes()
    elem = ty.elem
    if isinstance(elem, T.Scalar):
        dtype = elem.kind.dtype
        return st.lists(scalar_python(elem.kind, key), **size).map(
            lambda xs: np.array(xs, dtype=dtype))
    if elem == T.STRING:
        return st.lists(st.binary(max_size=5), **size)
    if isinstance(elem, T.Vec):
        return st.lists(values(elem, key=key), **size)
    return st.lists(st.tuples(*(scalar_python(f.kind) for f in elem.fields)), **size).map(
        functools.partial(_structured, elem))


def _structured(elem: T.Struct, rows) -> np.ndarray:
    dtype = np.dtype([(f"f{k}", f.kind.dtype) for k, f in enumerate(elem.fields)])
    return np.array([tuple(r) for r in rows], dtype=dtype)


def key_bytes() -> st.SearchStrategy:
    return st.sampled_from([b"", b"a", b"ab"])
