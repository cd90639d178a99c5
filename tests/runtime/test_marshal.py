"""The calling convention (IR.md's table), on every backend: every accepted argument form,
every rejected one with a WeldTypeError naming the parameter, and every result form."""

import numpy as np
import pyarrow as pa
import pytest

from tests.backends.conftest import BACKENDS, backend_config
from weldpy.config import stats
from weldpy.errors import WeldTypeError, WeldValueError
from weldpy.ir import parse_type
from weldpy.ir.program import compile
from weldpy.runtime.buffers import owns_its_block
from weldpy.runtime.marshal import to_canonical, to_user


@pytest.fixture(autouse=True, params=BACKENDS)
def backend(request):
    with backend_config(request.param):
        yield request.param


def ident(ty):
    """A program returning its argument of IR type ``ty`` unchanged."""
    return compile(f"|x: {ty}| x")


# ---- scalars

@pytest.mark.parametrize("ty,value,want", [
    ("i32", 5, np.int32(5)), ("i32", np.int64(-7), np.int32(-7)),
    ("i8", np.uint8(127), np.int8(127)),
    ("u64", 2**64 - 1, np.uint64(2**64 - 1)), ("i64", np.int64(-2**63), np.int64(-2**63)),
    ("bool", True, np.True_), ("bool", np.bool_(False), np.False_),
    ("f64", 1.5, np.float64(1.5)), ("f64", np.float32(0.1), np.float64(np.float32(0.1))),
    ("f64", 3, np.float64(3.0)), ("f64", 2**53, np.float64(2**53)),
    ("f32", 0.1, np.float32(0.1)), ("f32", np.float64(0.5), np.float32(0.5)),
    ("f32", float("inf"), np.float32(np.inf)), ("f64", np.array(2.5), np.float64(2.5)),
    ("f32", np.float16(1.5), np.float32(1.5)),
])
def test_scalar_arguments_converted_losslessly(ty, value, want):
    got = ident(ty)(value)
    assert type(got) is type(want) and got == want


def test_nan_scalar_passes():
    assert np.isnan(ident("f32")(float("nan")))
    assert np.isnan(ident("f32")(np.float64(np.nan)))


@pytest.mark.parametrize("ty,value,why", [
    ("i32", 2**31, "out of range"), ("u8", -1, "out of range"), ("i64", 2**63, "out of range"),
    ("i32", 1.0, "float"), ("i32", np.float64(2.0), "float64"), ("i32", True, "bool"),
    ("f64", np.True_, "bool"), ("bool", 1, "int"), ("f32", 1e300, "overflows"),
    ("f32", np.float64(0.1), "exactly"), ("f64", 2**53 + 1, "exactly"), ("i32", "1", "str"),
    ("i64", None, "NoneType"), ("f64", 1j, "complex"), ("i32", np.uint64(2**40), "range"),
    ("f64", 10**400, "overflows"), ("f32", 2**128, "exactly"),
])
def test_scalar_arguments_rejected(ty, value, why):
    with pytest.raises(WeldTypeError, match=r"argument 0 \('x'\).*expected " + ty) as info:
        ident(ty)(value)
    assert why in str(info.value)
    assert isinstance(info.value, TypeError)


# ---- vectors of scalars

def test_vector_argument_is_not_copied_and_not_written():
    x = np.arange(5, dtype=np.float64)
    canonical = to_canonical(x, parse_type("vec[f64]"), "x")
    assert np.shares_memory(canonical, x) and not canonical.flags.writeable
    assert x.flags.writeable


def test_non_contiguous_vector_is_copied_and_counted():
    x = np.arange(10, dtype=np.int32)[::2]
    stats(reset=True)
    np.testing.assert_array_equal(ident("vec[i32]")(x), x)
    assert stats()["inputs_copied"] == 1


@pytest.mark.parametrize("value,why", [
    (np.zeros(3, np.int64), "exactly int32"), (np.zeros((2, 2), np.int32), "1-D"),
    ([1, 2, 3], "list"), (np.zeros(3, np.dtype(">i4")), "exactly int32"), (5, "int"),
    (b"ab", "bytes"),
])
def test_vector_arguments_rejected(value, why):
    with pytest.raises(WeldTypeError, match=r"argument 0 \('x'\)") as info:
        ident("vec[i32]")(value)
    assert why in str(info.value)


def test_bytes_and_str_for_byte_vectors():
    got = ident("vec[i8]")("h\u00e9")
    assert got.dtype == np.int8 and got.tobytes() == "h\u00e9".encode()
    got = ident("vec[u8]")(b"\xff\x00")
    assert got.dtype == np.uint8 and got.tolist() == [255, 0]
    assert ident("vec[u8]")(bytearray(b"ab")).tolist() == [97, 98]


def test_pyarrow_arrays():
    got = ident("vec[f64]")(pa.array([1.0, 2.5]))
    assert got.dtype == np.float64 and got.tolist() == [1.0, 2.5]
    assert ident("vec[bool]")(pa.array([True, False, True])).tolist() == [True, False, True]
    chunked = pa.chunked_array([pa.array([1, 2], pa.int32()), pa.array([3], pa.int32())])
    assert ident("vec[i32]")(chunked).tolist() == [1, 2, 3]
    with pytest.raises(WeldTypeError, match="nulls"):
        ident("vec[f64]")(pa.array([1.0, None]))
    with pytest.raises(WeldTypeError, match="Arrow type int64"):
        ident("vec[i32]")(pa.array([1, 2]))


# ---- strings and nested vectors

def test_list_of_strings():
    got = ident("vec[vec[i8]]")(["a\u00e9", b"\xff", ""])
    assert got == ["a\u00e9".encode(), b"\xff", b""]


@pytest.mark.parametrize("arrow_type", [pa.string(), pa.large_string(), pa.binary(),
                                        pa.large_binary()])
def test_pyarrow_string_arrays(arrow_type):
    values = ["x", "", "h\u00e9llo", "z"]
    if arrow_type in (pa.binary(), pa.large_binary()):
        values = [v.encode() for v in values]
    arr = pa.array(values, arrow_type)
    want = [v.encode() if isinstance(v, str) else v for v in values]
    assert ident("vec[vec[i8]]")(arr) == want
    assert ident("vec[vec[i8]]")(arr.slice(1, 2)) == want[1:3]
    assert ident("vec[vec[i8]]")(pa.chunked_array([arr, arr])) == want + want


def test_pyarrow_strings_with_nulls_rejected():
    with pytest.raises(WeldTypeError, match="nulls"):
        ident("vec[vec[i8]]")(pa.array(["a", None]))


def test_list_of_arrays_for_nested_vectors():
    rows = [np.array([1.0, 2.0]), np.zeros(0)]
    got = ident("vec[vec[f64]]")(rows)
    assert isinstance(got, list) and [r.tolist() for r in got] == [[1.0, 2.0], []]
    with pytest.raises(WeldTypeError, match=r"argument 0 \('x'\) element 1"):
        ident("vec[vec[f64]]")([np.zeros(1), np.zeros(1, np.float32)])
    with pytest.raises(WeldTypeError, match="2-D"):
        ident("vec[vec[f64]]")(np.zeros((2, 2)))


# ---- structs and vectors of structs

def test_struct_arguments_are_tuples():
    got = ident("{i32, vec[f64], {bool}}")((1, np.array([2.0]), (True,)))
    assert got[0] == 1 and type(got[0]) is np.int32
    assert got[1].tolist() == [2.0] and got[2] == (True,)
    with pytest.raises(WeldTypeError, match="tuple"):
        ident("{i32, i32}")([1, 2])
    with pytest.raises(WeldTypeError, match="3 values for 2 fields"):
        ident("{i32, i32}")((1, 2, 3))
    with pytest.raises(WeldTypeError, match=r"field 1"):
        ident("{i32, i32}")((1, 2.5))


def test_vector_of_structs_from_structured_array_or_columns():
    dt = np.dtype([("a", np.int32), ("b", np.float64)])
    arr = np.array([(1, 0.5), (2, 1.5)], dtype=dt)
    got = ident("vec[{i32, f64}]")(arr)
    assert got.dtype.names == ("f0", "f1") and got.tolist() == arr.tolist()
    cols = (np.array([1, 2], np.int32), np.array([0.5, 1.5]))
    assert ident("vec[{i32, f64}]")(cols).tolist() == arr.tolist()
    assert ident("vec[{i32, f64}]")(arr[:0]).tolist() == []


@pytest.mark.parametrize("value,why", [
    (np.array([(1, 0.5)], dtype=[("a", np.int64), ("b", np.float64)]), "column 0"),
    (np.array([(1, 0.5, 1)], dtype=[("a", np.int32), ("b", "f8"), ("c", "i4")]), "field"),
    ((np.zeros(2, np.int32), np.zeros(3)), "different lengths"),
    ((np.zeros(2, np.int32),), "1 columns"),
])
def test_vector_of_structs_rejected(value, why):
    with pytest.raises(WeldTypeError, match=why):
        ident("vec[{i32, f64}]")(value)


def test_vector_of_structs_with_non_scalar_fields_is_a_list():
    got = ident("vec[{i32, vec[i8]}]")((np.array([1, 2], np.int32), ["a", b"b"]))
    assert isinstance(got, list) and got[0][0] == 1 and got[1][1].tobytes() == b"b"


# ---- dictionaries

def test_dictionary_argument_and_result_keys():
    got = ident("dict[vec[i8], vec[f64]]")({"a": np.array([1.0]), b"b": np.zeros(0)})
    assert list(got) == [b"a", b"b"] and got[b"a"].tolist() == [1.0]
    got = ident("dict[{i32, vec[i8]}, bool]")({(2, "x"): True, (1, "y"): False})
    assert got == {(1, b"y"): False, (2, b"x"): True}
    assert list(ident("dict[f64, i32]")({2.0: 1, -1.0: 2})) == [-1.0, 2.0]
    got = ident("dict[vec[i32], i32]")({(): 1})
    assert got == {(): 1}


def test_dictionary_arguments_rejected():
    with pytest.raises(WeldTypeError, match=r"argument 0 \('x'\): expected dict"):
        ident("dict[i32, i32]")([(1, 2)])
    with pytest.raises(WeldTypeError, match="key 1.5"):
        ident("dict[i32, i32]")({1.5: 2})
    with pytest.raises(WeldValueError, match="same key"):
        ident("dict[f64, i32]")({float("nan"): 1, float("-nan"): 2})


# ---- arity and results

def test_arity_names_the_parameters():
    prog = compile("|a: i32, b: f64| a")
    with pytest.raises(WeldTypeError, match=r"takes 2 arguments \(a, b\), got 1"):
        prog(1)
    with pytest.raises(WeldTypeError, match=r"argument 1 \('b'\)"):
        prog(1, "x")


def test_results_own_their_memory():
    """A result array is the caller's: its own memory, or (compiled backends, no copy) the
    one array over a block the program allocated; a vector returned twice is two arrays."""
    got = compile("|| [1.5F, 2.5F]")()
    assert got.dtype == np.float32 and got.flags.writeable
    assert got.flags.owndata or owns_its_block(got)
    first, second = compile("|| let v = [1L, 2L]; {v, v}")()
    first[0] = 7
    assert second[0] == 1 and not np.shares_memory(first, second)
    inner = compile("|| let v = [1L, 2L]; [v, v]")()
    inner[0][0] = 7
    assert inner[1][0] == 1
    view = np.arange(4, dtype=np.int64)[1:]
    out = to_user(view, parse_type("vec[i64]"))
    assert out.flags.owndata and not np.shares_memory(out, view)


def test_result_forms():
    got = compile('|| {1ub, "ab", ["c", "d"], [{1, 2.0}], [[1, 2]], [{1, [1]}]}')()
    assert type(got[0]) is np.uint8
    assert got[1].dtype == np.int8 and got[1].tobytes() == b"ab"
    assert got[2] == [b"c", b"d"]
    assert got[3].dtype == np.dtype([("f0", np.int32), ("f1", np.float64)], align=True)
    assert isinstance(got[4], list) and got[4][0].tolist() == [1, 2]
    assert isinstance(got[5], list) and got[5][0][0] == 1 and got[5][0][1].tolist() == [1]


def test_result_dictionaries_pass_back_in():
    prog = ident("dict[{vec[i64], f32}, vec[i8]]")
    first = prog({((1, 2), 0.5): "a", ((), 1.5): b"b"})
    assert list(first) == [((), 1.5), ((1, 2), 0.5)]
    assert [v.tobytes() for v in first.values()] == [b"b", b"a"]
    again = prog(first)
    assert list(again) == list(first)
    assert [v.tobytes() for v in again.values()] == [b"b", b"a"]
