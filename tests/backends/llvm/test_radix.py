"""tovec of a dictionary with integer or bool keys sorts them by radix (``radix``): every
width, sign, extreme value and size gives NumPy's order."""

import numpy as np
import pytest

import weldpy
from weldpy.ir import compile


@pytest.mark.parametrize("kind", ["i8", "u8", "i16", "u16", "i32", "u32", "i64", "u64"])
def test_tovec_of_integer_keys_is_sorted_by_radix(kind):
    """tovec sorts integer keys with a radix sort: every width, sign, extreme and size."""
    dtype = np.dtype({"i8": np.int8, "u8": np.uint8, "i16": np.int16, "u16": np.uint16,
                      "i32": np.int32, "u32": np.uint32, "i64": np.int64,
                      "u64": np.uint64}[kind])
    info = np.iinfo(dtype)
    program = compile(f"|k: vec[{kind}]| tovec(result(for(k, dictmerger[{kind}, i64, +], "
                      "|b, i, e| merge(b, {e, 1L}))))")
    rng = np.random.default_rng(5)
    extremes = np.array([info.min, info.max, 0, 1, info.max - 1, info.min + 1], dtype=dtype)
    for keys in (np.array([], dtype=dtype), extremes[:1],
                 rng.integers(info.min, info.max, 5000, dtype=dtype, endpoint=True),
                 np.concatenate([extremes, rng.integers(0, 3, 100).astype(dtype)])):
        with weldpy.config(backend="llvm", threads=1):
            got = program(keys)
        unique, counts = np.unique(keys, return_counts=True)
        np.testing.assert_array_equal(got["f0"], unique)
        np.testing.assert_array_equal(got["f1"], counts)


def test_tovec_of_bool_keys():
    program = compile("|k: vec[bool]| tovec(result(for(k, dictmerger[bool, i64, +], "
                      "|b, i, e| merge(b, {e, 1L}))))")
    with weldpy.config(backend="llvm", threads=1):
        got = program(np.array([True, False, True]))
    assert got["f0"].tolist() == [False, True] and got["f1"].tolist() == [1, 2]
