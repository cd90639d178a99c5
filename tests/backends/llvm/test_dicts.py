"""Dictionaries on the llvm backend (weldpy.backends.llvm.dicts, hashtable): every answer is
compared with the interpreter's, bit for bit (keys too: the first key seen is kept), and the
large cases also with NumPy."""

import numpy as np
import pytest

import weldpy
from tests.results import assert_same
from weldpy.backends.llvm import hashtable
from weldpy.errors import WeldIndexError
from weldpy.ir import compile

DICTMERGER = ("|k: vec[{k}], v: vec[{v}]| result(for(zip(k, v), dictmerger[{k}, {v}, {op}], "
              "|b, i, e| merge(b, e)))")
GROUPMERGER = ("|k: vec[{k}], v: vec[{v}]| result(for(zip(k, v), groupmerger[{k}, {v}], "
               "|b, i, e| merge(b, e)))")


DTYPES = {"i8": np.dtype(np.int8), "u8": np.dtype(np.uint8), "i16": np.dtype(np.int16),
          "u16": np.dtype(np.uint16), "i32": np.dtype(np.int32), "u32": np.dtype(np.uint32),
          "i64": np.dtype(np.int64), "u64": np.dtype(np.uint64), "f32": np.dtype(np.float32),
          "f64": np.dtype(np.float64)}


def _items(value):
    """Dicts as lists of (key, value) pairs in the result's (sorted) order, so NaN keys
    compare bit for bit instead of by ``==``."""
    if isinstance(value, dict):
        return [(_items(k), _items(v)) for k, v in value.items()]
    if isinstance(value, (list, tuple)):
        return type(value)(_items(v) for v in value)
    return value


def both(text, *args):
    """The program's result on llvm, after checking that it is the interpreter's."""
    program = compile(text)
    with weldpy.config(backend="interp"):
        want = program(*args)
    with weldpy.config(backend="llvm"):
        got = program(*args)
    assert_same(_items(got), _items(want), loose=False)
    return got


def test_scalar_keys_and_queries():
    k, x = np.array([5, -3, 5, 0, -3, 5], np.int64), np.arange(6, dtype=np.int64)
    got = both("|k: vec[i64], x: vec[i64]| let d = result(for(zip(k, x), "
               "dictmerger[i64, i64, +], |b, i, e| merge(b, e))); "
               "{d, len(d), lookup(d, -3L), optlookup(d, 1L), keyexists(d, 0L), tovec(d)}", k, x)
    assert got[0] == {-3: 5, 0: 3, 5: 7} and got[1] == 3 and got[2] == 5


# keys equal under compare() are one key, and the first one seen stays (interp does the same)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_nan_and_signed_zero_keys(dtype):
    nan2 = np.array([0x7FF8000000000123], np.uint64).view(np.float64)[0]
    keys = np.array([-0.0, np.nan, 0.0, -np.nan, nan2, np.inf, -np.inf, 1.5, -0.0], dtype)
    t = "f64" if dtype == np.float64 else "f32"
    got = both(DICTMERGER.format(k=t, v="i32", op="+"), keys, np.arange(9, dtype=np.int32))
    assert len(got) == 5
    both("|k: vec[" + t + "]| let d = result(for(k, dictmerger[" + t + ", i64, max], "
         "|b, i, e| merge(b, {e, i}))); {tovec(d), lookup(d, 0.0" + ("F" if t == "f32" else "")
         + "), keyexists(d, nan" + ("F" if t == "f32" else "") + ")}", keys)


def test_string_keys_with_any_bytes():
    keys = [b"", b"a", b"ab", b"\xff", b"\xc3\xa9", b"\x00", b"\x00\x00", b"ab", b"",
            "\u00e9t\u00e9".encode(), b"\x80" * 40, b"\x80" * 39 + b"\x81", b"\xff"]
    got = both("|k: vec[vec[i8]]| let d = result(for(k, dictmerger[vec[i8], i64, +], "
               "|b, i, e| merge(b, {e, i}))); {d, tovec(d), lookup(d, \"ab\"), "
               "optlookup(d, \"\\xff\"), keyexists(d, \"abc\")}", keys)
    assert list(got[0]) == sorted(set(keys))  # unsigned byte order


def test_struct_keys():
    a = np.array([1, 2, 1, 2, 1], np.int32)
    c = np.array([0.5, 0.5, 0.5, -0.0, 0.0])
    got = both("|a: vec[i32], c: vec[f64]| result(for(zip(a, c), dictmerger[{i32, f64}, i64, +],"
               " |b, i, e| merge(b, {e, 1L})))", a, c)
    assert got == {(1, 0.0): 1, (1, 0.5): 2, (2, -0.0): 1, (2, 0.5): 1}
    names = [b"x", b"y", b"x", b"\xe9"]
    both("|s: vec[vec[i8]], f: vec[bool]| let d = result(for(zip(s, f), "
         "groupmerger[{vec[i8], bool}, i64], |b, i, e| merge(b, {e, i}))); {d, tovec(d)}",
         names, np.array([True, False, True, True]))


@pytest.mark.parametrize("op", ["+", "*", "min", "max"])
@pytest.mark.parametrize("ty", ["i8", "u8", "i16", "u16", "i32", "u32", "i64", "u64", "f32",
                                "f64"])
def test_dictmerger_every_op_and_value_type(op, ty):
    rng = np.random.default_rng(len(ty) + len(op))
    dtype = DTYPES[ty]
    keys = rng.integers(0, 7, 200).astype(np.int64)
    if dtype.kind == "f":
        values = rng.normal(size=200).astype(dtype)
        values[[3, 50]] = [np.nan, -0.0]
    else:
        values = rng.integers(0, 200, 200).astype(dtype)
    # float + and * may reassociate in general; here both backends merge in order
    both(DICTMERGER.format(k="i64", v=ty, op=op), keys, values)


def test_dictmerger_of_struct_and_bool_values():
    k = np.array([1, 2, 1, 1], np.int16)
    both("|k: vec[i16]| result(for(k, dictmerger[i16, {i32, f64}, +], "
         "|b, i, e| merge(b, {e, {i32(i), f64(i) * 0.5}})))", k)
    both("|k: vec[i16]| result(for(k, dictmerger[i16, {u8, f32}, min], "
         "|b, i, e| merge(b, {e, {u8(i), f32(i) - 1.5F}})))", k)
    both("|k: vec[bool]| result(for(k, dictmerger[bool, bool, max], "
         "|b, i, e| merge(b, {e, e})))", np.array([True, False, False]))


def test_groupmerger_keeps_merge_order_across_growth():
    rng = np.random.default_rng(3)
    keys = rng.integers(0, 50, 5000).astype(np.int32)
    got = both(GROUPMERGER.format(k="i32", v="i64"), keys, np.arange(5000, dtype=np.int64))
    for key, values in got.items():
        np.testing.assert_array_equal(values, np.flatnonzero(keys == key))
    both(GROUPMERGER.format(k="i32", v="vec[i8]"), np.array([2, 1, 2], np.int32),
         [b"a", b"\xff\x00", b""])


def test_growth_from_one_to_100k_keys():
    rng = np.random.default_rng(7)
    keys = rng.permutation(100_000).astype(np.int64) * 1_000_003 - 7
    keys = np.concatenate([keys, keys[:1000]])
    values = np.ones(len(keys), np.int64)
    for hint in ("", "(1L)", "(0L)", "(-5L)", "(200000L)"):
        text = ("|k: vec[i64], v: vec[i64]| tovec(result(for(zip(k, v), "
                f"dictmerger[i64, i64, +]{hint}, |b, i, e| merge(b, e))))")
        with weldpy.config(backend="llvm"):
            got = compile(text)(keys, values)
        want_keys, want_counts = np.unique(keys, return_counts=True)
        np.testing.assert_array_equal(got["f0"], want_keys)
        np.testing.assert_array_equal(got["f1"], want_counts)
    small = both(DICTMERGER.format(k="i64", v="i64", op="+"), keys[:1], values[:1])
    assert small == {keys[0]: 1}


def test_colliding_keys(monkeypatch, tmp_path):
    """Every key in the same home slot (a hash with 2 distinct values), so each insert and
    lookup probes past many other keys and wraps around the table's end."""
    from weldpy.backends.llvm import compare

    def few_hashes(cg, ty, v):
        return cg.builder.and_(compare.hash_value(cg, ty, v), hashtable.ir.Constant(
            hashtable.I64, 1 << 62))

    monkeypatch.setattr(hashtable, "hash_value", few_hashes)
    keys = np.arange(3000, dtype=np.int64) * 7919 % 1000  # 1000 keys, each 3 times
    text = ("|k: vec[i64]| let d = result(for(k, dictmerger[i64, i64, +](2L), "
            "|b, i, e| merge(b, {e, i}))); {tovec(d), lookup(d, 999L), keyexists(d, 1000L), "
            "len(d), 424242L}")  # the constant keeps this program's cache entry its own
    with weldpy.config(backend="llvm", cache_dir=str(tmp_path)):
        got = compile(text)(keys)
    np.testing.assert_array_equal(got[0]["f0"], np.arange(1000))
    want = np.zeros(1000, np.int64)
    np.add.at(want, keys, np.arange(3000))
    np.testing.assert_array_equal(got[0]["f1"], want)
    assert got[1] == want[999] and not got[2] and got[3] == 1000


def test_dict_built_inside_a_loop_body():
    x = np.array([3, 1, 4, 1, 5, 9, 2, 6], np.int64)
    got = both("|x: vec[i64]| result(for(rangeiter(1L, 5L, 1L), appender[dict[i64, i64]], "
               "|b, i, e| merge(b, result(for(x, dictmerger[i64, i64, +], "
               "|d, j, y| merge(d, {y % e, y}))))))", x)
    assert len(got) == 4 and got[0] == {0: int(x.sum())}
    both("|x: vec[i64]| result(for(x, merger[i64, +], |b, i, e| merge(b, "
         "len(result(for(x, groupmerger[i64, i64], |g, j, y| merge(g, {y % (e + 1L), j})))))))",
         x)


def test_empty_dicts():
    empty = np.zeros(0, np.int64)
    got = both("|k: vec[i64]| let d = result(for(k, dictmerger[i64, f64, +], "
               "|b, i, e| merge(b, {e, 1.0}))); {d, len(d), tovec(d), optlookup(d, 1L), "
               "keyexists(d, 0L)}", empty)
    assert got[0] == {} and got[1] == 0 and len(got[2]) == 0
    both("|| result(groupmerger[vec[i8], {i32, bool}])")
    both("|d: dict[i64, i64]| {len(d), tovec(d), d}", {})
    both("|d: dict[i32, dict[i32, i64]]| optlookup(d, 1)", {2: {3: 4}})


def test_dict_arguments_nested_anywhere():
    got = both("|d: dict[i32, dict[vec[i8], f32]], s: {i64, dict[bool, i8]}, "
               "v: vec[dict[u16, vec[i64]]]| {lookup(lookup(d, 1), \"b\"), len(lookup(d, 2)), "
               "lookup(s.$1, true), len(lookup(v, 1L)), d, s, v}",
               {1: {"a": 1.0, "b": 2.5}, 2: {}}, (7, {True: 3, False: -1}),
               [{}, {1: np.array([1, 2]), 65535: np.zeros(0, np.int64)}])
    assert got[:4] == (2.5, 0, 3, 2)


def test_dict_results_in_structs_and_vectors():
    both("|k: vec[i32]| let g = result(for(k, groupmerger[i32, i32], |b, i, e| merge(b, {e, e})));"
         " {g, [g, g], 1}", np.array([1, 2, 1], np.int32))


def test_lookup_of_a_missing_key_names_it():
    for ty, key, shown in [("i32", "7", "7"), ("u8", "200ub", "200"), ("i64", "-9L", "-9")]:
        text = (f"|k: vec[{ty}]| lookup(result(for(k, dictmerger[{ty}, i64, +], "
                f"|b, i, e| merge(b, {{e, 1L}}))), {key})")
        for backend in ("interp", "llvm"):
            with weldpy.config(backend=backend), pytest.raises(WeldIndexError,
                                                               match=f"key {shown} is not"):
                compile(text)(np.zeros(1, DTYPES[ty]))
    for backend in ("interp", "llvm"):
        with weldpy.config(backend=backend), pytest.raises(WeldIndexError, match="key True"):
            compile("|k: vec[bool]| lookup(result(for(k, dictmerger[bool, i64, +], "
                    "|b, i, e| merge(b, {e, 1L}))), true)")(np.zeros(2, np.bool_))
    for text, args in [("|s: vec[i8]| lookup(result(groupmerger[vec[i8], i64]), s)", (b"x",)),
                       ("|| lookup(result(dictmerger[f64, i64, +]), 1.0)", ())]:
        with weldpy.config(backend="llvm"), pytest.raises(WeldIndexError, match="lookup"):
            compile(text)(*args)
