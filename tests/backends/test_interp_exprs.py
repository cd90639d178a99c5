"""Vectors, dictionaries, structs, functions and the remaining constructs on every backend:
lookup, optlookup, keyexists, len, slice, sort, tovec, compare, strings, let scoping,
closures, assert, cudf. Expected answers come from plain Python/NumPy."""

import ctypes
import functools

import numpy as np
import pytest

from weldpy.errors import WeldIndexError, WeldRuntimeError, WeldUnsupportedError
from weldpy.ir import udf


@pytest.mark.parametrize("index", [0, 2])
def test_vector_lookup(run, index):
    x = np.array([1.5, 2.5, 3.5])
    got = run("|v: vec[f64], i: i64| lookup(v, i)", x, index)
    assert type(got) is np.float64 and got == x[index]


@pytest.mark.parametrize("index", [-1, 3, 2**40])
def test_vector_lookup_out_of_range(run, index):
    with pytest.raises(WeldIndexError, match=f"index {index} out of range") as info:
        run("|v: vec[f64], i: i64| lookup(v, i)", np.zeros(3), index)
    assert isinstance(info.value, IndexError)


def test_lookup_on_empty_vector(run):
    with pytest.raises(WeldIndexError):
        run("|v: vec[i32]| lookup(v, 0L)", np.zeros(0, np.int32))


DICT_PROG = "|k: vec[i32], x: vec[i64]| let d = result(for(zip(k, x), dictmerger[i32, i64, +], " \
            "|b, i, e| merge(b, e))); "


def test_dictionary_queries(run):
    k, x = np.array([4, 2, 4], np.int32), np.array([10, 20, 30], np.int64)
    got = run(DICT_PROG + "{lookup(d, 4), keyexists(d, 2), keyexists(d, 3), optlookup(d, 2), "
                          "optlookup(d, 9), len(d)}", k, x)
    assert got == (40, True, False, (True, 20), (False, 0), 2)
    assert type(got[3][1]) is np.int64 and type(got[4][1]) is np.int64
    assert type(got[5]) is np.int64


def test_dictionary_lookup_of_missing_key(run):
    with pytest.raises(WeldIndexError, match="key 7"):
        run(DICT_PROG + "lookup(d, 7)", np.array([1], np.int32), np.array([1], np.int64))


def test_optlookup_zero_value_of_compound_values(run):
    got = run("|| let d = result(groupmerger[i32, {f32, bool}]); optlookup(d, 1)")
    assert got[0] == np.False_ and got[1].dtype.names == ("f0", "f1") and len(got[1]) == 0
    got = run("|| let d = result(dictmerger[i32, {f32, i8}, +]); optlookup(d, 1)")
    assert got == (False, (0.0, 0)) and type(got[1][0]) is np.float32


def test_tovec_is_sorted_by_key(run):
    keys = np.array([3.0, -1.0, np.nan, 2.0, -np.inf])
    got = run("|k: vec[f64]| tovec(result(for(k, dictmerger[f64, i64, +], "
              "|b, i, e| merge(b, {e, i}))))", keys)
    assert got.dtype.names == ("f0", "f1")
    np.testing.assert_array_equal(got["f0"], [-np.inf, -1.0, 2.0, 3.0, np.nan])
    np.testing.assert_array_equal(got["f1"], [4, 1, 3, 0, 2])


def test_dictionary_argument_and_result(run):
    got = run("|d: dict[vec[i8], f64]| {lookup(d, \"b\"), len(d), tovec(d)}",
              {b"b": 2.0, "a": 1.0, "\u00e9": 3.0})
    assert got[0] == 2.0 and got[1] == 3
    assert [k.tobytes() for k, v in got[2]] == [b"a", b"b", "\u00e9".encode()]
    assert run("|d: dict[i32, vec[f64]]| d", {1: np.array([1.0])})[1].tolist() == [1.0]


@pytest.mark.parametrize("start,size", [(0, 2), (1, 3), (1, 100), (3, 0), (3, 5), (0, 0)])
def test_slice_clamps_to_the_end(run, start, size):
    x = np.array([1, 2, 3], np.int32)
    got = run("|v: vec[i32], s: i64, n: i64| slice(v, s, n)", x, start, size)
    np.testing.assert_array_equal(got, x[start:start + size])
    assert got.dtype == np.int32 and got.flags.owndata


def test_slice_weld_example(run):
    np.testing.assert_array_equal(run("|| slice([1, 2], 1L, 3L)"), [2])


@pytest.mark.parametrize("start,size", [(4, 0), (-1, 1), (0, -1)])
def test_slice_out_of_range(run, start, size):
    with pytest.raises(WeldIndexError, match="slice"):
        run("|v: vec[i32], s: i64, n: i64| slice(v, s, n)", np.zeros(3, np.int32), start, size)


def test_slice_of_list_vectors(run):
    got = run("|v: vec[vec[i8]]| slice(v, 1L, 5L)", [b"a", b"bc", b"d"])
    assert got == [b"bc", b"d"]


def test_sort_is_stable_with_a_comparator(run):
    x = np.array([(3, 0), (1, 1), (3, 2), (0, 3), (1, 4)],
                 dtype=[("k", np.int32), ("i", np.int64)])
    got = run("|v: vec[{i32, i64}]| sort(v, |a, b| compare(a.$0, b.$0))", x)
    want = sorted(x.tolist(), key=lambda t: t[0])
    assert got.tolist() == want


def test_sort_floats_puts_nan_last_and_descending_comparator(run):
    x = np.array([2.0, np.nan, -1.0, np.inf, 0.0])
    got = run("|v: vec[f64]| sort(v, |a, b| compare(a, b))", x)
    np.testing.assert_array_equal(got, np.sort(x))
    got = run("|v: vec[f64]| sort(v, |a, b| compare(b, a))", x[[0, 2, 3, 4]])
    np.testing.assert_array_equal(got, [np.inf, 2.0, 0.0, -1.0])
    assert len(run("|v: vec[f64]| sort(v, |a, b| compare(a, b))", np.zeros(0))) == 0


def test_sort_strings_by_unsigned_bytes(run):
    words = [b"b", b"\xff", b"a", b"ab", b"", b"\x7f"]
    got = run("|v: vec[vec[i8]]| sort(v, |a, b| compare(a, b))", words)
    assert got == sorted(words)  # Python orders bytes unsigned


def cmp(a, b):
    return (a > b) - (a < b)


@pytest.mark.parametrize("a,b", [([1, 2], [1, 3]), ([1, 2], [1, 2]), ([1], [1, 0]),
                                 ([], [0]), ([5], [1, 9])])
def test_compare_vectors_lexicographically(run, a, b):
    got = run("|a: vec[i32], b: vec[i32]| compare(a, b)", np.array(a, np.int32),
              np.array(b, np.int32))
    assert got == cmp(a, b)


@pytest.mark.parametrize("a,b", [(b"a", b"b"), (b"\x80", b"\x7f"), (b"ab", b"a"),
                                 ("\u00e9", "e"), (b"", b"")])
def test_compare_strings_as_unsigned_bytes(run, a, b):
    got = run("|a: vec[i8], b: vec[i8]| compare(a, b)", a, b)
    ab = a.encode() if isinstance(a, str) else a
    bb = b.encode() if isinstance(b, str) else b
    assert got == cmp(ab, bb)


def test_compare_structs_and_nan_vectors(run):
    prog = "|a: {f64, vec[f64]}, b: {f64, vec[f64]}| compare(a, b)"
    nan = np.array([np.nan])
    assert run(prog, (1.0, nan), (1.0, nan)) == 0
    assert run(prog, (1.0, nan), (1.0, np.array([np.inf]))) == 1
    assert run(prog, (0.0, nan), (1.0, np.zeros(0))) == -1
    assert run(prog, (-0.0, np.zeros(1)), (0.0, np.array([-0.0]))) == 0


def test_strings_keep_non_ascii_bytes(run):
    got = run('|| "a\\xffb\\n\\"\\\\"')
    assert got.dtype == np.int8 and got.tobytes() == b'a\xffb\n"\\'
    assert run("|s: vec[i8]| len(s)", "h\u00e9llo") == 6
    assert run("|s: vec[vec[i8]]| s", ["h\u00e9", b"\xff"]) == ["h\u00e9".encode(), b"\xff"]


def test_make_vector_and_struct(run):
    got = run("|a: i32| {[a, a + 1, a * 3], [{a, 1.0}], [[1L], []: vec[i64]], []: vec[f32]}", 4)
    np.testing.assert_array_equal(got[0], [4, 5, 12])
    assert got[1].tolist() == [(4, 1.0)]
    assert [r.tolist() for r in got[2]] == [[1], []]
    assert got[3].dtype == np.float32 and len(got[3]) == 0


def test_let_shadowing_and_closures_are_lexical(run):
    assert run("|| let y = 1; let f = |x: i32| x + y; let y = 100; f(0) + y") == 101
    assert run("|a: i32| let a = a * 2; let a = a + 1; a", 5) == 11
    assert run("|x: i32| (let x = 1; x) + x", 10) == 11
    assert run("|x: i32| (|x: i32, y: i32| x - y)(x, 1)", 3) == 2


def test_loop_body_sees_enclosing_names(run):
    x = np.array([1, 2, 3], np.int64)
    got = run("|v: vec[i64], k: i64| let s = k * 10L; result(for(v, appender, "
              "|b, i, e| let s2 = s + e; merge(b, s2)))", x, 2)
    np.testing.assert_array_equal(got, 20 + x)


def test_ascribe(run):
    assert run("|x: i32| (x + 1: i32)", 1) == 2


def test_assert(run):
    assert run("|x: i32| assert(x > 0)", 1) == np.True_
    with pytest.raises(WeldRuntimeError, match="assert"):
        run("|x: i32| assert(x > 0)", 0)


class _Vec(ctypes.Structure):
    _fields_ = [("data", ctypes.POINTER(ctypes.c_double)), ("len", ctypes.c_int64)]


_I64P = ctypes.POINTER(ctypes.c_int64)


@ctypes.CFUNCTYPE(None, _I64P, _I64P, _I64P)
def _native_add(a, b, out):  # Weld's convention: arguments and result by pointer
    out[0] = a[0] + b[0] * 2


_scaled = []  # keeps the native result's memory alive until the program copied it


@ctypes.CFUNCTYPE(None, ctypes.POINTER(_Vec), ctypes.POINTER(ctypes.c_double),
                  ctypes.POINTER(_Vec))
def _native_scale(v, k, out):
    values = np.ctypeslib.as_array(v[0].data, (v[0].len,)) * k[0]
    _scaled.append(values)
    out[0].data = values.ctypes.data_as(ctypes.POINTER(ctypes.c_double))
    out[0].len = len(values)


def test_cudf_calls_the_registered_function(run):
    udf.register("wp_test_add", lambda a, b: a + b * 2,
                 native=ctypes.cast(_native_add, ctypes.c_void_p).value)
    udf.register("wp_test_scale", lambda v, k: v * k,
                 native=ctypes.cast(_native_scale, ctypes.c_void_p).value)
    try:
        assert run("|x: i64| cudf[wp_test_add, i64](x, 5L)", 1) == 11
        got = run("|v: vec[f64]| cudf[wp_test_scale, vec[f64]](v, 2.0)", np.array([1.0, 2.0]))
        np.testing.assert_array_equal(got, [2.0, 4.0])
        assert got.flags.owndata or got.base is not None
    finally:
        udf.unregister("wp_test_add")
        udf.unregister("wp_test_scale")


def test_cudf_unknown_name(run):
    with pytest.raises(WeldUnsupportedError, match="wp_test_missing"):
        run("|| cudf[wp_test_missing, i32](1)")


def test_result_vectors_own_their_memory(run):
    x = np.arange(4, dtype=np.int32)
    got = run("|v: vec[i32]| v", x)
    np.testing.assert_array_equal(got, x)
    assert got.flags.owndata and got.flags.writeable and not np.shares_memory(got, x)


def test_deep_programs_run(run):
    depth = 2000  # 50,000-node trees: test_interp_rules (built typed, skipping the checker)
    body = "".join(f"let a{i + 1} = a{i} + 1L;\n" for i in range(depth))
    assert run(f"|a0: i64| {body} a{depth}", 5) == 5 + depth
    expr = functools.reduce(lambda acc, _: f"({acc} + x)", range(depth), "x")
    assert run(f"|x: i64| {expr}", 2) == 2 * (depth + 1)
