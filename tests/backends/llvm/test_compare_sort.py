"""weldpy.backends.llvm.compare and .sort: compare, non-scalar comparisons, key hashing and
the generated merge sort, checked against Python/NumPy and the interpreter on hand-written
and generated values (floats with NaN/-0.0/inf, non-ASCII strings, structs, nested vectors,
duplicates for stability, sizes across the merge passes)."""

import ctypes

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from llvmlite import ir

import weldpy
from tests.results import assert_same
from weldpy.backends.llvm.abi import Packer
from weldpy.backends.llvm.codegen import Codegen
from weldpy.backends.llvm.compare import hash_value, keys_equal
from weldpy.backends.llvm.layout import I64, PTR, numpy_dtype
from weldpy.errors import WeldIndexError
from weldpy.ir import compile
from weldpy.ir import types as T
from weldpy.runtime.values import compare, values_equal


def llvm(text, *args):
    with weldpy.config(backend="llvm"):
        return compile(text)(*args)


def interp(text, *args):
    with weldpy.config(backend="interp"):
        return compile(text)(*args)


def same_bits(got, want):
    assert got.dtype == want.dtype and got.tobytes() == want.tobytes(), (got, want)


SIZES = st.integers(0, 120)
FLOATS = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                   st.sampled_from([0.0, -0.0, float("nan"), -float("nan"), 1.0]))
FLOATS32 = st.floats(width=32) | st.sampled_from([-0.0, float("nan")])


# --- sort ---------------------------------------------------------------------------------
@given(st.lists(st.integers(-(2**63), 2**63 - 1) | st.integers(-3, 3), max_size=150))
def test_sort_i64_is_numpy_stable_sort(x):
    x = np.array(x, dtype=np.int64)
    same_bits(llvm("|v: vec[i64]| sort(v, |a, b| compare(a, b))", x), np.sort(x, kind="stable"))


@given(st.lists(FLOATS, max_size=150))
def test_sort_floats_nan_last_signed_zeros_keep_order(x):
    x = np.array(x, dtype=np.float64)
    want = np.sort(x, kind="stable")  # NaNs (any payload) last, -0.0 == 0.0, both stable
    same_bits(llvm("|v: vec[f64]| sort(v, |a, b| compare(a, b))", x), want)
    with np.errstate(over="ignore"):
        x32 = x.astype(np.float32)
    same_bits(llvm("|v: vec[f32]| sort(v, |a, b| compare(a, b))", x32),
              np.sort(x32, kind="stable"))


@given(st.lists(st.integers(0, 255), max_size=100))
def test_sort_unsigned_and_bool(x):
    u = np.array(x, dtype=np.uint8)
    same_bits(llvm("|v: vec[u8]| sort(v, |a, b| compare(a, b))", u), np.sort(u, kind="stable"))
    u64 = u.astype(np.uint64) << np.uint64(56)
    same_bits(llvm("|v: vec[u64]| sort(v, |a, b| compare(a, b))", u64), np.sort(u64))
    flags = u % 2 == 0
    same_bits(llvm("|v: vec[bool]| sort(v, |a, b| compare(a, b))", flags), np.sort(flags))


@given(st.lists(st.binary(max_size=20) | st.sampled_from([b"", b"\xff", b"\xe9t\xe9", b"a"]),
                max_size=80))
def test_sort_strings_by_unsigned_bytes(words):
    assert llvm("|v: vec[vec[i8]]| sort(v, |a, b| compare(a, b))", words) == sorted(words)
    want = sorted(words, key=len)  # by length only: ties keep their order
    assert llvm("|v: vec[vec[i8]]| sort(v, |a, b| compare(len(a), len(b)))", words) == want


@given(st.lists(st.integers(-3, 3), max_size=200))
def test_sort_by_a_key_field_is_stable_both_ways(keys):
    x = np.array([(k, i) for i, k in enumerate(keys)], dtype=numpy_dtype(T.Struct((T.I32, T.I64))))
    up = llvm("|v: vec[{i32, i64}]| sort(v, |a, b| compare(a.$0, b.$0))", x)
    want = sorted(range(len(keys)), key=lambda i: keys[i])
    assert up["f1"].tolist() == want
    down = llvm("|v: vec[{i32, i64}]| sort(v, |a, b| compare(b.$0, a.$0))", x)
    assert down["f1"].tolist() == sorted(range(len(keys)), key=lambda i: keys[i], reverse=True)


@given(st.lists(st.lists(st.integers(-2, 2), max_size=4), max_size=60))
def test_sort_nested_vectors_lexicographically(rows):
    vs = [np.array(r, dtype=np.int32) for r in rows]
    got = llvm("|v: vec[vec[i32]]| sort(v, |a, b| compare(a, b))", vs)
    assert [g.tolist() for g in got] == sorted(rows)  # Python lists: prefix first


@given(st.lists(st.tuples(FLOATS32, st.binary(max_size=3), st.booleans()), max_size=40))
@settings(max_examples=40)
def test_sort_structs_with_strings_agrees_with_the_interpreter(items):
    prog = "|v: vec[{f32, vec[i8], bool}]| sort(v, |a, b| compare(a, b))"
    items = [(np.float32(f), s, np.bool_(b)) for f, s, b in items]
    assert_same(llvm(prog, items), interp(prog, items), loose=False)


def test_sort_large_inputs_match_numpy():
    rng = np.random.default_rng(7)
    for n in (RUN_EDGE := 16, RUN_EDGE + 1, 1000, 100_003):
        x = rng.integers(-50, 50, n)
        same_bits(llvm("|v: vec[i64]| sort(v, |a, b| compare(a, b))", x),
                  np.sort(x, kind="stable"))
    keys = rng.integers(0, 100, 50_001).astype(np.int32)
    pairs = np.zeros(len(keys), dtype=numpy_dtype(T.Struct((T.I32, T.I64))))
    pairs["f0"], pairs["f1"] = keys, np.arange(len(keys))
    got = llvm("|v: vec[{i32, i64}]| sort(v, |a, b| compare(a.$0, b.$0))", pairs)
    assert np.array_equal(got["f1"], np.argsort(keys, kind="stable"))
    f = rng.standard_normal(30_000)
    f[::7] = np.nan
    f[::11] = -0.0
    same_bits(llvm("|v: vec[f64]| sort(v, |a, b| compare(a, b))", f), np.sort(f, kind="stable"))


def test_sort_returns_a_new_vector_and_leaves_the_input():
    x = np.array([3, 1, 2], dtype=np.int64)
    got = llvm("|v: vec[i64]| {sort(v, |a, b| compare(a, b)), v}", x)
    assert got[0].tolist() == [1, 2, 3] and got[1].tolist() == [3, 1, 2]
    assert x.tolist() == [3, 1, 2]


def test_comparator_closes_over_outer_values_inside_a_loop():
    prog = """|v: vec[vec[i32]], k: i32|
        result(for(v, appender[vec[i32]], |b, i, x| merge(b, sort(x, |p, q|
            compare(p % k, q % k)))))"""
    rng = np.random.default_rng(3)
    rows = [rng.integers(-20, 20, n).astype(np.int32) for n in (0, 1, 5, 17, 40)]
    got = llvm(prog, rows, np.int32(4))
    for g, r in zip(got, rows, strict=True):  # % truncates (C): -5 % 4 == -1
        assert g.tolist() == sorted(r.tolist(), key=lambda a: int(np.fmod(a, 4)))


def test_errors_inside_the_comparator_raise_and_the_next_run_works():
    prog = "|v: vec[i64], w: vec[f64]| sort(v, |a, b| compare(lookup(w, a), lookup(w, b)))"
    w = np.array([3.0, 1.0, 2.0])
    assert llvm(prog, np.array([0, 1, 2, 1]), w).tolist() == [1, 1, 2, 0]
    with pytest.raises(WeldIndexError, match="index 7 out of range"):
        llvm(prog, np.array([0, 7, 2]), w)
    assert llvm(prog, np.array([2, 0]), w).tolist() == [2, 0]
    prog = "|v: vec[i32]| sort(v, |a, b| compare(b / a, a / b))"  # x / 0 in the comparator
    with pytest.raises(ZeroDivisionError):
        llvm(prog, np.array([1, 0, 2], dtype=np.int32))
    assert llvm(prog, np.array([1, 2], dtype=np.int32)).tolist() == [2, 1]


# --- compare and comparisons -------------------------------------------------------------
_VALUES = {
    "f64": FLOATS.map(np.float64),
    "u64": st.integers(0, 2**64 - 1).map(np.uint64),
    "i8": st.integers(-128, 127).map(np.int8),
    "vec[f64]": st.lists(FLOATS, max_size=3).map(lambda x: np.array(x, dtype=np.float64)),
    "vec[i8]": st.binary(max_size=4).map(lambda b: np.frombuffer(b, dtype=np.int8)),
    "vec[i16]": st.lists(st.integers(-2, 2), max_size=3).map(
        lambda x: np.array(x, dtype=np.int16)),
    "vec[vec[u8]]": st.lists(st.binary(max_size=2).map(
        lambda b: np.frombuffer(b, dtype=np.uint8)), max_size=3),
    "{f32, vec[i8], bool}": st.tuples(FLOATS32.map(np.float32), st.binary(max_size=2).map(
        lambda b: np.frombuffer(b, dtype=np.int8)), st.booleans().map(np.bool_)),
    "vec[{i32, f64}]": st.lists(st.tuples(st.integers(-1, 1).map(np.int32),
                                          FLOATS.map(np.float64)), max_size=3),
}


@st.composite
def _pairs(draw):
    ty = draw(st.sampled_from(sorted(_VALUES)))
    a = draw(_VALUES[ty])
    b = draw(st.one_of(_VALUES[ty], st.just(a)))
    return ty, a, b


def _arg(ty, value):
    if ty == "vec[{i32, f64}]":  # a vector of structs goes in as a structured array
        return np.array(value, dtype=numpy_dtype(T.Struct((T.I32, T.F64))))
    return value


@given(_pairs())
def test_compare_and_comparisons_agree_with_the_value_model(pair):
    ty, a, b = pair
    prog = (f"|a: {ty}, b: {ty}| {{compare(a, b), a == b, a != b, a < b, a <= b, a > b, "
            f"a >= b}}")
    got = llvm(prog, _arg(ty, a), _arg(ty, b))
    c = int(compare(a, b))  # the interpreter's definitions
    if isinstance(a, np.generic):  # scalar operators are IEEE's (NaN unordered)
        want = (c, a == b, a != b, a < b, a <= b, a > b, a >= b)
    else:  # non-scalar: IEEE equality inside, compare's order
        eq = values_equal(a, b)
        want = (c, eq, not eq, c < 0, c <= 0, c > 0, c >= 0)
    assert tuple(int(g) for g in got) == tuple(int(w) for w in want)


# --- hashing and key equality (called directly) ------------------------------------------
def _key_functions(ty: T.Type):
    """(hash(value) -> int, equal(a, b) -> bool) compiled from hash_value/keys_equal."""
    from weldpy.backends.llvm import jit

    cg = Codegen()
    for name, arity in (("h", 1), ("eq", 2)):
        fn = ir.Function(cg.module, ir.FunctionType(I64, [PTR] * arity), name)
        cg.begin_function(fn, None)
        ir.IRBuilder(cg.func.bail).unreachable()
        vals = [cg.load(ty, p) for p in fn.args]
        out = hash_value(cg, ty, *vals) if arity == 1 else \
            cg.builder.zext(keys_equal(cg, ty, *vals), I64)
        cg.builder.ret(out)
    lib = jit.Library.load(jit.compile_ir(str(cg.module)), ("h", "eq"))
    h = lib.cfunc("h", ctypes.c_int64, ctypes.c_void_p)
    eq = lib.cfunc("eq", ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p)

    def packed(value, keep):
        slot = np.zeros((), dtype=numpy_dtype(ty))
        packer = Packer()
        packer.write(ty, value, slot)
        keep.append((slot, packer))
        return slot.ctypes.data

    def hash_of(v):
        keep = []
        return h(packed(v, keep)) & (2**64 - 1)

    def equal(a, b):
        keep = []
        return bool(eq(packed(a, keep), packed(b, keep)))

    return lib, hash_of, equal


@pytest.mark.parametrize("ty,values", [
    (T.F64, [np.float64(x) for x in (0.0, -0.0, np.nan, -np.nan, np.inf, 1.5, -1.5)]
     + [np.frombuffer(b"\x01\x00\x00\x00\x00\x00\xf8\x7f", np.float64)[0]]),
    (T.F32, [np.float32(x) for x in (0.0, -0.0, np.nan, 1.0)]),
    (T.Vec(T.F64), [np.array(x) for x in ([], [0.0], [-0.0], [np.nan], [-np.nan, 1.0],
                                          [np.nan, 1.0], [1.0, np.nan])]),
    (T.STRING, [np.frombuffer(s, np.int8) for s in (b"", b"a", b"ab", b"abcdefgh",
                                                    b"abcdefghi", b"\xe9", b"abcdefgh\x00")]),
    (T.Struct((T.F32, T.STRING, T.BOOL)),
     [(np.float32(a), np.frombuffer(s, np.int8), np.bool_(c))
      for a in (0.0, -0.0, np.nan) for s in (b"", b"x") for c in (False, True)]),
])
def test_keys_equal_is_compare_zero_and_hashes_agree(ty, values):
    lib, hash_of, equal = _key_functions(ty)
    try:
        for a in values:
            for b in values:
                same = int(compare(a, b)) == 0
                assert equal(a, b) == same, (a, b)
                if same:
                    assert hash_of(a) == hash_of(b), (a, b)
    finally:
        lib.close()


def test_hashes_spread_over_low_bits():
    lib, hash_of, _ = _key_functions(T.I64)
    try:
        buckets = np.bincount([hash_of(np.int64(i)) & 255 for i in range(25_600)],
                              minlength=256)
        assert buckets.min() > 50 and buckets.max() < 160  # mean 100
    finally:
        lib.close()
    lib, hash_str, _ = _key_functions(T.STRING)
    try:
        words = [np.frombuffer(f"k{i}".encode() * (i % 3 + 1), np.int8) for i in range(5000)]
        assert len({hash_str(w) for w in words}) == len(words)
        lows = np.bincount([hash_str(w) & 63 for w in words], minlength=64)
        assert lows.min() > 40 and lows.max() < 120  # mean 78
    finally:
        lib.close()
