"""Groupby loops into tables larger than the caches run in prefetching batches
(``prefetch``): the same answers as NumPy, every remainder length, errors and all."""

import numpy as np
import pytest

import weldpy
from weldpy.errors import WeldIndexError
from weldpy.ir import compile

KEYS = 150_000  # ~190k distinct keys: the table passes 2^17 slots, then batches run


def group_sums(keys, values):
    order = np.argsort(keys, kind="stable")
    unique, starts = np.unique(keys[order], return_index=True)
    return unique, np.add.reduceat(values[order], starts)


@pytest.mark.parametrize("threads,grain,rows", [(1, None, 300_001), (2, 4096, 300_017),
                                                (3, 999, 323_457)])
def test_large_groupby_matches_numpy(threads, grain, rows):
    rng = np.random.default_rng(rows)
    k = rng.integers(-KEYS, KEYS, rows) * 7919
    v = rng.integers(-1000, 1000, rows)
    program = compile("|k: vec[i64], v: vec[i64]| tovec(result(for(zip(k, v), "
                      "dictmerger[i64, i64, +], |b, i, e| merge(b, {e.$0, e.$1 * 2L}))))")
    with weldpy.config(backend="llvm", threads=threads, grain=grain):
        got = program(k, v)
    keys, sums = group_sums(k, v * 2)
    np.testing.assert_array_equal(got["f0"], keys)
    np.testing.assert_array_equal(got["f1"], sums)


def test_struct_values_and_derived_keys():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 10**9, 400_003)
    program = compile("|x: vec[i64]| tovec(result(for(x, dictmerger[i32, {i64, f64}, +], "
                      "|b, i, e| merge(b, {i32(e % 290001L), {1L, f64(e)}}))))")
    with weldpy.config(backend="llvm", threads=2):
        got = program(x)
    keys = (x % 290001).astype(np.int32)
    unique, counts = np.unique(keys, return_counts=True)
    np.testing.assert_array_equal([key for key, _ in got], unique)
    np.testing.assert_array_equal([n for _, (n, _) in got], counts)
    np.testing.assert_allclose([total for _, (_, total) in got],
                               group_sums(keys, x.astype(float))[1], rtol=1e-12)


def test_an_error_inside_a_batch_is_raised():
    program = compile("|k: vec[i64], w: vec[i64]| result(for(k, dictmerger[i64, i64, +], "
                      "|b, i, e| merge(b, {e, lookup(w, e % 100000L)})))")
    k = np.arange(300_000, dtype=np.int64)
    w = np.arange(100_000, dtype=np.int64)
    with weldpy.config(backend="llvm", threads=2):
        assert len(program(k, w)) == 300_000
        with pytest.raises(WeldIndexError):
            program(k, w[:99_999])
