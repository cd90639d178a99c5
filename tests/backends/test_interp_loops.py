"""Loops and builders on every backend: for over one, zipped, strided and range iterators;
appender, merger, vecmerger, dictmerger, groupmerger; structs of builders and nested loops.
Expected answers are computed in plain Python/NumPy."""

import numpy as np
import pytest

from weldpy.errors import WeldIndexError, WeldValueError

F64 = np.float64


@pytest.mark.parametrize("n", [0, 1, 5])
def test_appender_maps_in_order(run, n):
    x = np.arange(n, dtype=np.int32) * 3 - 4
    got = run("|v: vec[i32]| result(for(v, appender, |b, i, e| merge(b, e * 2)))", x)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, x * 2)


def test_appender_filter_and_size_hint(run):
    x = np.array([5, -1, 3, -7, 0], dtype=np.int64)
    got = run("|v: vec[i64]| result(for(v, appender[i64](len(v)), |b, i, e| "
              "if(e > 0L, merge(b, e), b)))", x)
    np.testing.assert_array_equal(got, x[x > 0])


def test_index_is_iteration_number(run):
    x = np.array([10.0, 20.0, 30.0])
    got = run("|v: vec[f64]| result(for(v, appender, |b, i, e| merge(b, {i, e})))", x)
    assert got.dtype.names == ("f0", "f1")
    np.testing.assert_array_equal(got["f0"], [0, 1, 2])
    np.testing.assert_array_equal(got["f1"], x)


def test_strided_iter_yields_slice_and_counts_index_from_zero(run):
    x = np.arange(10, dtype=np.int32)
    got = run("|v: vec[i32]| result(for(iter(v, 1L, 8L, 3L), appender, |b, i, e| "
              "merge(b, {i, e})))", x)
    np.testing.assert_array_equal(got["f0"], [0, 1, 2])
    np.testing.assert_array_equal(got["f1"], x[1:8:3])


@pytest.mark.parametrize("bounds", [(0, 0, 1), (3, 3, 2), (0, 4, 1), (2, 4, 5)])
def test_iter_bounds_in_range(run, bounds):
    x = np.arange(4, dtype=np.int32)
    start, end, stride = bounds
    got = run(f"|v: vec[i32]| result(for(iter(v, {start}L, {end}L, {stride}L), appender, "
              f"|b, i, e| merge(b, e)))", x)
    np.testing.assert_array_equal(got, x[start:end:stride])


@pytest.mark.parametrize("bounds", [(-1, 2, 1), (3, 2, 1), (0, 5, 1), (0, 2, 0), (0, 2, -1)])
def test_iter_bounds_out_of_range(run, bounds):
    start, end, stride = bounds
    with pytest.raises(WeldIndexError, match="iter"):
        run(f"|v: vec[i32]| result(for(iter(v, {start}L, {end}L, {stride}L), appender, "
            f"|b, i, e| merge(b, e)))", np.arange(4, dtype=np.int32))


@pytest.mark.parametrize("bounds", [(0, 5, 1), (2, 11, 3), (5, 0, -2), (5, 5, 1), (3, 0, 1),
                                    (-4, 4, 3)])
def test_rangeiter(run, bounds):
    start, end, stride = bounds
    got = run(f"|| result(for(rangeiter({start}L, {end}L, {stride}L), appender, "
              f"|b, i, e| merge(b, e)))")
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, list(range(start, end, stride)))


def test_rangeiter_stride_zero(run):
    with pytest.raises(WeldValueError, match="stride"):
        run("|| result(for(rangeiter(0L, 5L, 0L), appender, |b, i, e| merge(b, e)))")


def test_zip_gives_struct_elements(run):
    a, b = np.array([1, 2, 3], np.int32), np.array([0.5, 1.5, 2.5])
    got = run("|a: vec[i32], c: vec[f64]| result(for(zip(a, c), appender, |b, i, e| "
              "merge(b, f64(e.$0) * e.$1)))", a, b)
    np.testing.assert_array_equal(got, a * b)


def test_zip_with_range_and_strided_iter(run):
    a = np.arange(6, dtype=np.int64)
    got = run("|a: vec[i64]| result(for(zip(iter(a, 0L, 6L, 2L), rangeiter(10L, 13L, 1L)), "
              "appender, |b, i, e| merge(b, e.$0 + e.$1)))", a)
    np.testing.assert_array_equal(got, a[0:6:2] + np.arange(10, 13))


def test_zip_lengths_must_match(run):
    with pytest.raises(WeldValueError, match="different lengths") as info:
        run("|a: vec[i32], c: vec[i32]| result(for(zip(a, c), appender, |b, i, e| "
            "merge(b, e.$0)))", np.zeros(2, np.int32), np.zeros(3, np.int32))
    assert isinstance(info.value, ValueError)


MERGER_OPS = {"+": (np.add, 0), "*": (np.multiply, 1), "min": (np.minimum, np.inf),
              "max": (np.maximum, -np.inf)}


@pytest.mark.parametrize("op", list(MERGER_OPS))
@pytest.mark.parametrize("x", [[], [2.5], [1.0, -3.0, 4.0], [1.0, np.nan, 4.0]])
def test_float_merger(run, op, x):
    fn, start = MERGER_OPS[op]
    want = start
    for v in x:
        want = fn(want, v)
    got = run(f"|v: vec[f64]| result(for(v, merger[f64, {op}], |b, i, e| merge(b, e)))",
              np.array(x))
    assert type(got) is F64
    np.testing.assert_equal(got, F64(want))


@pytest.mark.parametrize("x", [[0.0, -0.0], [-0.0, 0.0], [0.0] * 9 + [-0.0] + [0.0] * 9,
                               [-0.0] * 5 + [0.0] + [-0.0] * 5, [0.0, np.nan, -0.0]])
def test_float_min_max_builders_order_signed_zeros(run, x):
    """IEEE 754-2019 minimum/maximum: -0.0 is below 0.0 whatever the order of the merges
    (parallel parts, vector lanes), and a NaN wins; mergers, vecmergers and dictmergers."""
    x = np.array(x)
    nan = np.isnan(x).any()
    low, high = (np.nan, np.nan) if nan else (-0.0 if np.signbit(x).any() else 0.0,
                                                -0.0 if np.signbit(x).all() else 0.0)
    got = run("|v: vec[f64]| {result(for(v, merger[f64, min], |b, i, e| merge(b, e))), "
              "result(for(v, merger[f64, max], |b, i, e| merge(b, e))), "
              "result(for(v, vecmerger[f64, min]([inf]), |b, i, e| merge(b, {0L, e}))), "
              "tovec(result(for(v, dictmerger[i64, f64, max], |b, i, e| merge(b, {7L, e}))))}",
              x)
    for value, want in ((got[0], low), (got[1], high), (got[2][0], low),
                        (got[3][0][1], high)):
        np.testing.assert_equal(value, want)
        assert np.signbit(value) == np.signbit(want) or nan


@pytest.mark.parametrize("op", list(MERGER_OPS))
def test_integer_merger_and_initial_value(run, op):
    x = np.array([7, -3, 100, 2], dtype=np.int8)
    fn = MERGER_OPS[op][0]
    with np.errstate(all="ignore"):
        want = np.int8(5)
        for v in x:
            want = fn(want, v)  # wraps like i8
    got = run(f"|v: vec[i8]| result(for(v, merger[i8, {op}](5c), |b, i, e| merge(b, e)))", x)
    assert type(got) is np.int8 and got == want
    empty = run(f"|v: vec[i8]| result(for(v, merger[i8, {op}], |b, i, e| merge(b, e)))",
                np.zeros(0, np.int8))
    info = np.iinfo(np.int8)
    assert empty == {"+": 0, "*": 1, "min": info.max, "max": info.min}[op]


def test_bool_min_max_mergers(run):
    prog = "|v: vec[bool]| {result(for(v, merger[bool, min], |b, i, e| merge(b, e))), " \
           "result(for(v, merger[bool, max], |b, i, e| merge(b, e)))}"
    assert run(prog, np.array([True, False])) == (False, True)
    assert run(prog, np.array([True, True])) == (True, True)
    assert run(prog, np.zeros(0, bool)) == (True, False)


def test_merge_outside_loops(run):
    assert run("|| result(merge(merge(merger[i32, +], 5), 6))") == 11
    np.testing.assert_array_equal(run("|| result(merge(merge(appender[i32], 5), 6))"), [5, 6])


def test_struct_merger_is_fieldwise(run):
    x = np.array([1.0, 2.0, 3.0])
    got = run("|v: vec[f64]| result(for(v, merger[{f64, i64}, +], |b, i, e| "
              "merge(b, {e * e, 1L})))", x)
    assert got == (14.0, 3) and type(got[1]) is np.int64


def test_struct_of_builders(run):
    x = np.array([3, 1, 2], dtype=np.int32)
    got = run("|v: vec[i32]| let r = for(v, {appender[i32], merger[i32, +], "
              "{merger[i32, max], appender[i64]}}, |b, i, e| {merge(b.$0, e * 2), "
              "merge(b.$1, e), {merge(b.$2.$0, e), merge(b.$2.$1, i)}}); "
              "{result(r.$0), result(r.$1), result(r.$2.$0), result(r.$2.$1)}", x)
    np.testing.assert_array_equal(got[0], x * 2)
    assert got[1] == 6 and got[2] == 3
    np.testing.assert_array_equal(got[3], [0, 1, 2])


def test_nested_loops_build_vec_of_vec(run):
    x = np.array([2, 0, 3], dtype=np.int64)
    got = run("|v: vec[i64]| result(for(v, appender, |b, i, n| merge(b, "
              "result(for(rangeiter(0L, n, 1L), appender, |c, j, k| merge(c, k * i))))))", x)
    assert len(got) == 3
    for i, (row, n) in enumerate(zip(got, x, strict=True)):
        assert row.dtype == np.int64
        np.testing.assert_array_equal(row, np.arange(n) * i)


def test_inner_loop_merges_into_outer_builder(run):
    rows = [np.array([1, 2], np.int32), np.array([], np.int32), np.array([3], np.int32)]
    got = run("|m: vec[vec[i32]]| result(for(m, merger[i32, +], |b, i, r| "
              "for(r, b, |c, j, e| merge(c, e))))", rows)
    assert got == 6


def test_vecmerger(run):
    base = np.array([1.0, 2.0, 3.0])
    idx = np.array([0, 2, 0, 2, 2], dtype=np.int64)
    val = np.array([10.0, 1.0, 5.0, np.nan, 2.0])
    got = run("|v: vec[f64], k: vec[i64], x: vec[f64]| result(for(zip(k, x), "
              "vecmerger[f64, +](v), |b, i, e| merge(b, e)))", base, idx, val)
    want = base.copy()
    np.add.at(want, idx, val)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(base, [1.0, 2.0, 3.0])  # merged into a copy


def test_vecmerger_of_structs_and_min(run):
    got = run("|| result(merge(merge(vecmerger[{i32, f64}, min]([{5, 1.0}, {2, 2.0}]), "
              "{1L, {3, 0.5}}), {1L, {1, 9.0}}))")
    assert got.dtype.names == ("f0", "f1")
    assert got.tolist() == [(5, 1.0), (1, 0.5)]


@pytest.mark.parametrize("index", [-1, 3])
def test_vecmerger_index_out_of_range(run, index):
    with pytest.raises(WeldIndexError, match="vecmerger"):
        run(f"|| result(merge(vecmerger[i32, +]([1, 2, 3]), {{{index}L, 1}}))")


def test_dictmerger_combines_duplicate_keys(run):
    keys = np.array([3, 1, 3, 2, 1, 3], dtype=np.int32)
    vals = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    got = run("|k: vec[i32], x: vec[f64]| result(for(zip(k, x), dictmerger[i32, f64, +], "
              "|b, i, e| merge(b, e)))", keys, vals)
    want = {}
    for k, v in zip(keys.tolist(), vals.tolist(), strict=True):
        want[k] = want.get(k, 0.0) + v
    assert got == want and list(got) == sorted(want)
    assert all(type(k) is np.int32 and type(v) is F64 for k, v in got.items())


def test_dictmerger_float_keys_nan_and_signed_zero_collide(run):
    keys = np.array([np.nan, 0.0, -0.0, 1.5, np.nan, 0.0])
    got = run("|k: vec[f64]| result(for(k, dictmerger[f64, i64, +], "
              "|b, i, e| merge(b, {e, 1L})))", keys)
    assert len(got) == 3
    items = sorted(got.items(), key=lambda kv: (np.isnan(kv[0]), kv[0]))
    assert items[0] == (0.0, 3) and not np.signbit(items[0][0])  # the first key seen
    assert items[1] == (1.5, 1)
    assert np.isnan(items[2][0]) and items[2][1] == 2
    assert np.isnan(list(got)[-1])  # sorted: NaN last


def test_dictmerger_struct_values_and_string_keys(run):
    words = [b"b", "\u00e9".encode(), b"a", b"b"]
    got = run("|w: vec[vec[i8]]| result(for(w, dictmerger[vec[i8], {i64, i32}, max], "
              "|b, i, e| merge(b, {e, {i, i32(len(e))}})))", words)
    assert got == {b"a": (2, 1), b"b": (3, 1), "\u00e9".encode(): (1, 2)}
    assert list(got) == [b"a", b"b", "\u00e9".encode()]  # unsigned byte order


def test_dictmerger_struct_keys(run):
    got = run("|a: vec[i32], c: vec[bool]| result(for(zip(a, c), dictmerger[{i32, bool}, "
              "i32, *], |b, i, e| merge(b, {e, 2})))",
              np.array([1, 1, 2, 1], np.int32), np.array([True, True, False, False]))
    assert got == {(1, False): 2, (1, True): 4, (2, False): 2}


def test_groupmerger_keeps_merge_order(run):
    keys = np.array([2, 1, 2, 2, 1], dtype=np.int64)
    vals = np.array([5.0, 4.0, 3.0, 2.0, 1.0])
    got = run("|k: vec[i64], x: vec[f64]| result(for(zip(k, x), groupmerger[i64, f64], "
              "|b, i, e| merge(b, e)))", keys, vals)
    assert list(got) == [1, 2]
    np.testing.assert_array_equal(got[1], [4.0, 1.0])
    np.testing.assert_array_equal(got[2], [5.0, 3.0, 2.0])


def test_groupmerger_of_structs_and_empty(run):
    got = run("|k: vec[i32]| result(for(k, groupmerger[i32, {i32, i64}], "
              "|b, i, e| merge(b, {e % 2, {e, i}})))", np.array([1, 2, 3], np.int32))
    assert got[1].tolist() == [(1, 0), (3, 2)] and got[0].tolist() == [(2, 1)]
    assert run("|k: vec[i32]| len(result(for(k, groupmerger[i32, i32], "
               "|b, i, e| merge(b, {e, e}))))", np.zeros(0, np.int32)) == 0


def test_iterate(run):
    assert run("|n: i64| iterate({0L, 1L}, |s| {{s.$0 + 1L, s.$1 * 2L}, s.$0 + 1L < n})",
               5) == (5, 32)
    assert run("|| iterate(7, |x| {x, false})") == 7
