"""Dicts and string lists crossing the llvm backend's boundary in bulk (abi's columns,
runtime.columns): every answer equals the interpreter's, bit for bit, and an answer computed
here in Python."""

import numpy as np
import pyarrow as pa
import pytest

import weldpy
from tests.backends.llvm.test_dicts import DTYPES, _items, both
from tests.results import assert_same
from weldpy.backends import llvm
from weldpy.config import stats
from weldpy.errors import WeldTypeError, WeldValueError
from weldpy.ir import compile
from weldpy.runtime.buffers import owns_its_block

SUM_BY_KEY = ("|k: vec[{k}], v: vec[{v}]| result(for(zip(k, v), dictmerger[{k}, {v}, +], "
              "|b, i, e| merge(b, e)))")


def _norm(key):
    """Python's stand-in for dictionary key equality (compare): one NaN, -0.0 is 0.0."""
    if isinstance(key, tuple):
        return tuple(_norm(k) for k in key)
    return "nan" if key != key else key


def _order(key):
    if isinstance(key, tuple):
        return tuple(_order(k) for k in key)
    return (1,) if key != key else (0, key)


def python_sum_by_key(keys, values):
    """Pairs (first key seen, sum) sorted as compare sorts keys, computed in Python."""
    found = {}
    for k, v in zip(keys, values, strict=True):
        first, total = found.get(_norm(k), (k, None))
        found[_norm(k)] = (first, v if total is None else total + v)
    return sorted(found.values(), key=lambda kv: _order(kv[0]))


def _random_keys(dtype, n, rng):
    if dtype == np.bool_:
        return rng.integers(0, 2, n).astype(np.bool_)
    if dtype.kind == "f":
        keys = rng.integers(-20, 20, n).astype(dtype) / dtype.type(4)
        keys[rng.integers(0, n, 12)] = np.array([np.nan, -0.0, 0.0, np.inf], dtype)[
            rng.integers(0, 4, 12)]
        return keys
    info = np.iinfo(dtype)
    return rng.integers(max(info.min, -100), min(info.max, 100), n, endpoint=True).astype(dtype)


@pytest.mark.parametrize("kt", ["bool", *DTYPES])
def test_scalar_key_results_of_every_type(kt):
    rng = np.random.default_rng(len(kt))
    dtype = np.dtype(np.bool_) if kt == "bool" else DTYPES[kt]
    keys = _random_keys(dtype, 3000, rng)
    values = rng.integers(-5, 5, 3000).astype(np.int64)
    got = both(SUM_BY_KEY.format(k=kt, v="i64"), keys, values)
    want = python_sum_by_key(list(keys), list(values))
    assert_same(_items(got), want, loose=False)
    assert all(type(k) is dtype.type for k in got)


def test_growth_to_200k_keys_against_numpy():
    rng = np.random.default_rng(11)
    keys = rng.permutation(200_000).astype(np.int64) * 7 - 3
    keys = np.concatenate([keys, keys[:5000]])
    values = rng.normal(size=len(keys))
    text = SUM_BY_KEY.format(k="i64", v="f64")
    for threads in (1, 2):
        with weldpy.config(backend="llvm", threads=threads):
            got = compile(text)(keys, values)
        want_keys, inverse = np.unique(keys, return_inverse=True)
        want = np.zeros(len(want_keys))
        np.add.at(want, inverse, values)  # one repeat per key: each sum adds in merge order
        assert list(got) == want_keys.tolist()
        np.testing.assert_array_equal(np.array(list(got.values())), want)
    both(text, keys[:30_000], values[:30_000])


def test_struct_keys_and_values_with_nan_signed_zero_and_bool_fields():
    a = np.array([1, 1, 2, 1, 2, 1, 1, 3], np.int32)
    f = np.array([0.5, np.nan, -0.0, -np.nan, 0.0, 0.5, -0.0, np.inf])
    flag = np.array([True, True, False, True, False, False, True, True])
    text = ("|a: vec[i32], f: vec[f64], t: vec[bool]| result(for(zip(a, f, t), "
            "dictmerger[{i32, f64, bool}, {i64, f32}, +], |b, i, e| merge(b, "
            "{e, {i, f32(i) * 0.5F}})))")
    got = both(text, a, f, flag)
    keys = list(zip(a.tolist(), f.tolist(), flag.tolist(), strict=True))
    want = python_sum_by_key(keys, [np.array([i, i * 0.5]) for i in range(8)])
    assert [tuple(map(_norm, k)) for k in got] == [tuple(map(_norm, k)) for k, _ in want]
    assert [(int(v[0]), float(v[1])) for v in got.values()] == [
        (int(v[0]), float(v[1])) for _, v in want]
    assert [type(x) for x in next(iter(got))] == [np.int32, np.float64, np.bool_]
    assert np.signbit(list(got)[0][1]) if list(got)[0][1] == 0 else True


def test_bool_keys_and_values():
    k = np.array([True, False, True, True])
    got = both("|k: vec[bool]| result(for(k, dictmerger[bool, {bool, i8}, max], "
               "|b, i, e| merge(b, {e, {!e, i8(i)}})))", k)
    assert got == {False: (True, 1), True: (False, 3)}
    assert [type(x) for x in got] == [np.bool_, np.bool_]


@pytest.mark.parametrize("v", ["i64", "{i32, f64}", "vec[i8]"])
def test_empty_results(v):
    got = both("|k: vec[i64]| result(for(k, groupmerger[{i16, bool}, " + v + "], "
               "|b, i, e| merge(b, {{i16(e), e > 0L}, " + {"i64": "e", "{i32, f64}": "{1, 1.0}",
                                                           "vec[i8]": "\"a\""}[v] + "})))",
               np.zeros(0, np.int64))
    assert got == {}


def test_groups_of_scalars_structs_and_strings():
    rng = np.random.default_rng(2)
    keys = rng.integers(0, 300, 4000).astype(np.int64)
    got = both("|k: vec[i64]| result(for(k, groupmerger[i64, i64], |b, i, e| merge(b, {e, i})))",
               keys)
    assert list(got) == sorted(set(keys.tolist()))
    for key, rows in got.items():
        np.testing.assert_array_equal(rows, np.flatnonzero(keys == key))
    groups = list(got.values())
    assert all(g.flags.writeable and (g.flags.owndata or owns_its_block(g)) for g in groups)
    groups[0][:] = -1  # each group is its own array
    assert groups[1].min() >= 0
    program = compile("|k: vec[i64]| result(for(k, groupmerger[i64, i64], "
                      "|b, i, e| merge(b, {e, i})))")
    canonical = llvm.prepare(program)([keys])  # a group is copied once, not twice
    assert all(g.flags.owndata for g in canonical.columns()[1])
    got = both("|k: vec[i64]| result(for(k, groupmerger[i8, {i32, f64}], "
               "|b, i, e| merge(b, {i8(e % 3L), {i32(i), f64(e) / 2.0}})))", keys[:50])
    assert got[np.int8(1)].dtype.names == ("f0", "f1")
    np.testing.assert_array_equal(got[np.int8(1)]["f0"], np.flatnonzero(keys[:50] % 3 == 1))
    words = [b"x", b"", "\u00e9".encode(), b"x", b"\xff\x00"]
    got = both("|w: vec[vec[i8]]| result(for(w, groupmerger[vec[i8], vec[i8]], "
               "|b, i, e| merge(b, {e, e})))", words)
    assert got == {b"": [b""], b"x": [b"x", b"x"], b"\xc3\xa9": [b"\xc3\xa9"],
                   b"\xff\x00": [b"\xff\x00"]}


def test_large_groups_are_adopted_whole():
    keys = np.repeat(np.array([5, 1, 3], np.int64), 3000)  # 24 KB per group
    got = both("|k: vec[i64]| result(for(k, groupmerger[i64, i64], |b, i, e| merge(b, {e, i})))",
               keys)
    assert list(got) == [1, 3, 5]
    for key, rows in got.items():
        np.testing.assert_array_equal(rows, np.flatnonzero(keys == key))
        assert rows.flags.writeable and (rows.flags.owndata or owns_its_block(rows))


def test_keys_that_are_vectors_of_structs():
    f = np.array([1.0, np.nan, -0.0, 0.0, -np.nan, 2.0, 1.0])
    got = both("|f: vec[f64]| let d = result(for(f, dictmerger[vec[{i32, f64}], i64, +], "
               "|b, i, e| merge(b, {[{i32(i % 2L), e}, {1, 2.0}], 1L}))); {tovec(d), d}", f)
    assert [tuple(map(_norm, (int(k[0][0]), float(k[0][1])))) for k in got[1]] == [
        (0, -0.0), (0, 1.0), (0, "nan"), (1, 0.0), (1, 2.0), (1, "nan")]
    assert list(got[1].values()) == [1, 2, 1, 1, 1, 1]


def test_many_string_keys():
    words = [f"w{i % 7000}-\u00e9{i % 3}" for i in range(20_000)]
    text = ("|w: vec[vec[i8]]| result(for(w, dictmerger[vec[i8], i64, +], "
            "|b, i, e| merge(b, {e, 1L})))")
    got = both(text, pa.array(words, pa.large_string()))
    want = {}
    for w in words:
        want[w.encode()] = want.get(w.encode(), 0) + 1
    assert list(got) == sorted(want) and {k: int(v) for k, v in got.items()} == want


# ---- dict arguments

QUERY = ("|d: dict[{k}, {v}], x: {k}| {{len(d), tovec(d), keyexists(d, x), optlookup(d, x), "
         "d}}")


@pytest.mark.parametrize("k,v,d,x", [
    ("i64", "f64", {5: 1.5, -3: float("nan"), 2**62: -0.0}, -3),
    ("i64", "f64", {np.int64(5): np.float64(1.5), 7: 2.0}, 6),
    ("u8", "i16", {0: -32768, 255: 32767}, 255),
    ("bool", "bool", {True: np.False_, np.False_: True}, True),
    ("f32", "f32", {0.1: 1e38, float("nan"): -0.0, -0.0: float("inf")}, float("nan")),
    ("f64", "i32", {float("nan"): 1, -0.0: 2, float("inf"): 3}, 0.0),
    ("{i32, f64}", "{bool, u8}", {(1, 0.5): (True, 3), (1, -0.0): (False, 0)}, (1, 0.0)),
    ("i32", "i32", {}, 1),
    ("f64", "i64", {1: 2, 2.5: 3}, 1.0),  # an int key: converted one by one
    ("i32", "vec[i8]", {1: "a", 2: b"b\xff"}, 2),
])
def test_dict_arguments(k, v, d, x):
    got = both(QUERY.format(k=k, v=v), d, x)
    assert got[0] == len(d) and len(got[1]) == len(d)
    dtype = DTYPES.get(k, np.dtype(np.bool_) if k == "bool" else None)
    plain = (lambda key: dtype.type(key).item()) if dtype is not None else (
        lambda key: tuple(float(f) for f in key))
    want = sorted(map(plain, d), key=_order)
    assert list(map(_norm, map(plain, got[4]))) == list(map(_norm, want))


def test_large_dict_argument_round_trip():
    rng = np.random.default_rng(4)
    keys = rng.permutation(100_000) * 3
    d = dict(zip(keys.tolist(), rng.normal(size=len(keys)).tolist(), strict=True))
    with weldpy.config(backend="llvm"):
        got = compile("|d: dict[i64, f64]| d")(d)
        again = compile("|d: dict[i64, f64]| d")(got)  # NumPy scalar keys: in bulk too
    assert list(got) == sorted(d) and all(got[key] == d[key] for key in d)
    assert list(again.items()) == list(got.items())
    both("|d: dict[i64, f64], k: i64| {lookup(d, k), len(d)}", dict(list(d.items())[:2000]),
         int(keys[17]))


def test_dict_argument_errors_are_the_general_paths():
    for backend in ("interp", "llvm"):
        with weldpy.config(backend=backend):
            with pytest.raises(WeldValueError, match="same key"):
                compile("|d: dict[f32, i8]| len(d)")({0.1: 1, 0.1 + 1e-12: 2})
            with pytest.raises(WeldTypeError, match="value for key 2"):
                compile("|d: dict[i32, i32]| len(d)")({1: 1, 2: 2**40})


# ---- strings and nested vectors as arguments

STRING_STATS = ("|s: vec[vec[{t}]]| {{len(s), result(for(s, appender[i64], |b, i, e| "
                "merge(b, len(e)))), result(for(s, appender[i64], |b, i, e| merge(b, "
                "result(for(e, merger[i64, +], |c, j, x| merge(c, i64(x))))))), s}}")


def _python_stats(strings, signed):
    raw = [s.encode() if isinstance(s, str) else s for s in strings]
    dtype = np.int8 if signed else np.uint8
    return (len(raw), [len(b) for b in raw],
            [int(np.frombuffer(b, dtype).astype(np.int64).sum()) for b in raw], raw)


def _check_strings(value, expected_strings, t="i8"):
    got = both(STRING_STATS.format(t=t), value)
    n, lengths, sums, raw = _python_stats(expected_strings, t == "i8")
    assert got[0] == n and got[1].tolist() == lengths and got[2].tolist() == sums
    if t == "i8":
        assert got[3] == raw
    else:
        assert [g.tobytes() for g in got[3]] == raw


@pytest.mark.parametrize("strings", [
    ["a", "bc", "", "xyz"], ["h\u00e9", "", "\u65e5\u672c", "a"], [b"\xff", b"", b"\x00a"],
    ["a\u00e9", b"\xff", ""], [], [""], [b""] * 3,
])
@pytest.mark.parametrize("t", ["i8", "u8"])
def test_lists_of_strings(strings, t):
    _check_strings(strings, strings, t)


def _arrow_cases():
    words = ["x", "", "h\u00e9llo", "\u65e5", "zz", "", "\xff"]
    for t in (pa.string(), pa.large_string(), pa.binary(), pa.large_binary()):
        values = words if t in (pa.string(), pa.large_string()) else [w.encode() for w in words]
        arr = pa.array(values, t)
        yield arr, values
        yield arr.slice(2, 4), values[2:6]
        yield pa.chunked_array([arr.slice(1, 2), arr.slice(0, 0), arr.slice(3)], t), \
            values[1:3] + values[3:]
        yield pa.chunked_array([], t), []
        yield pa.array([values[1]] * 2, t), [values[1]] * 2


@pytest.mark.parametrize("case", list(_arrow_cases()), ids=lambda c: str(c[0].type))
def test_arrow_string_arrays(case):
    arr, want = case
    _check_strings(arr, want)


def test_a_million_arrow_strings_without_a_copy_of_the_data():
    words = pa.array([f"s{i % 1000}" for i in range(1_000_000)], pa.large_string())
    chunked = pa.chunked_array([words.slice(0, 400_000), words.slice(400_000)])
    prog = compile("|s: vec[vec[i8]]| result(for(s, merger[i64, +], |b, i, e| "
                   "merge(b, len(e) + i64(lookup(e, 1L)))))")
    lengths = np.char.str_len(np.array(words.to_pylist()))
    second = np.array([w[1] for w in words.to_pylist()]).astype("S1").view(np.int8)
    with weldpy.config(backend="llvm"):
        stats(reset=True)
        assert prog(chunked) == lengths.sum() + second.astype(np.int64).sum()
        assert stats()["inputs_copied"] == 0


@pytest.mark.parametrize("sizes", [[0, 3, 1, 0], [5000, 1, 4000]])  # small; large: one by one
def test_lists_of_arrays(sizes):
    rng = np.random.default_rng(len(sizes))
    rows = [rng.integers(-9, 9, n).astype(np.int64) for n in sizes]
    got = both("|r: vec[vec[i64]]| {result(for(r, appender[i64], |b, i, e| merge(b, "
               "result(for(e, merger[i64, +], |c, j, x| merge(c, x)))))), r}", rows)
    assert got[0].tolist() == [int(r.sum()) for r in rows]
    assert all(np.array_equal(g, r) for g, r in zip(got[1], rows, strict=True))
    strided = [np.arange(10, dtype=np.int64)[::2], np.arange(3, dtype=np.int64)]
    stats(reset=True)
    got = both("|r: vec[vec[i64]]| r", strided)
    assert stats()["inputs_copied"] == 2  # one per backend
    assert [g.tolist() for g in got] == [[0, 2, 4, 6, 8], [0, 1, 2]]
