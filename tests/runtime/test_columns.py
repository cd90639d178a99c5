"""Bulk marshalling (weldpy.runtime.columns, WeldDict's columns, VecList, order_key): every
fast path gives exactly what the element-by-element path gives, and declines what that
path would reject, so the error messages stay the general path's."""

import itertools

import numpy as np
import pyarrow as pa
import pytest

from weldpy.errors import WeldTypeError, WeldValueError
from weldpy.ir import parse_type
from weldpy.runtime import columns, marshal
from weldpy.runtime.values import VecList, WeldDict, compare, normalize_key, order_key


@pytest.fixture
def general(monkeypatch):
    """``general(value, type_text)``: ``to_canonical`` with the bulk paths switched off."""

    def convert(value, text):
        with monkeypatch.context() as m:
            m.setattr(columns, "dict_columns", lambda value, ty: None)
            m.setattr(marshal, "_vectors_in", lambda value, ty: None)
            return marshal.to_canonical(value, parse_type(text), "x")

    return convert


def bulk(value, text):
    return marshal.to_canonical(value, parse_type(text), "x")


def _bits(value):
    """A canonical value as nested tuples of (dtype, bytes): equality is bit equality."""
    if isinstance(value, WeldDict):
        return ("dict", tuple(_bits(kv) for kv in value.sorted_items()))
    if isinstance(value, (tuple, list)):
        return tuple(_bits(v) for v in value)
    value = np.asarray(value)
    return (value.dtype.str, value.dtype.names, value.tobytes())


def assert_same_canonical(got, want):
    assert _bits(got) == _bits(want)
    if isinstance(want, WeldDict):  # and the same insertion order, keys and values
        assert _bits(got.items()) == _bits(want.items())


# ---- order_key orders as compare

def _values():
    rng = np.random.default_rng(5)
    floats = [np.nan, -np.nan, -0.0, 0.0, 1.5, -1.5, np.inf, -np.inf, 1e-300]
    out = {
        "f64": [np.float64(x) for x in floats],
        "f32": [np.float32(x) for x in floats],
        "i8": [np.int8(x) for x in (-128, -1, 0, 1, 127)],
        "u64": [np.uint64(x) for x in (0, 1, 2**63, 2**64 - 1)],
        "bool": [np.True_, np.False_],
        "str": [np.frombuffer(b, np.int8) for b in
                (b"", b"a", b"ab", b"\xff", b"\x80", b"a\x00", b"\x7f", b"b")],
        "vec_i32": [np.array(v, np.int32) for v in ([], [1], [1, -2], [-3], [1, -2, 0])],
        "vec_f64": [np.array(v) for v in ([], [np.nan], [1.0, np.nan], [1.0, 2.0], [-0.0],
                                          [0.0, 1.0], [np.inf])],
    }
    out["struct"] = [(a, b, c) for a, b, c in itertools.product(
        out["bool"], out["f64"][:5], out["str"][:3])]
    out["nested"] = [[], [out["str"][1]], [out["str"][1], out["str"][0]], [out["str"][3]]]
    for v in out.values():
        rng.shuffle(v)
    return out


@pytest.mark.parametrize("kind", list(_values()))
def test_order_key_orders_as_compare(kind):
    values = _values()[kind]
    for a, b in itertools.product(values, values):
        ka, kb = order_key(a), order_key(b)
        assert (ka > kb) - (ka < kb) == compare(a, b), (a, b)


def test_order_key_of_a_structured_array_is_that_of_its_rows():
    rows = np.zeros(3, dtype=np.dtype([("f0", np.int32), ("f1", np.float64)], align=True))
    rows["f0"], rows["f1"] = [1, 1, 2], [np.nan, -0.0, 0.5]
    as_list = [(np.int32(a), np.float64(b)) for a, b in rows.tolist()]
    assert order_key(rows) == order_key(as_list)
    assert order_key(rows[1:]) < order_key(rows) == order_key(rows)


# ---- WeldDict held as columns behaves as one built entry by entry

def _dict_cases():
    f = np.array([1.5, np.nan, -0.0, np.inf, -2.0], np.float64)
    s = np.zeros(4, dtype=[("f0", np.int32), ("f1", np.float64), ("f2", np.bool_)])
    s["f0"], s["f1"], s["f2"] = [1, 1, 2, -1], [0.5, np.nan, -0.0, 2.0], [True, False, True, True]
    strings = [np.frombuffer(b, np.int8) for b in (b"b", b"", b"\xff", b"a")]
    return [
        (f, np.arange(5, dtype=np.int64)),
        (np.array([True, False]), np.array([2.5, -1.0], np.float32)),
        (np.array([3, -1, 2], np.int8), s[:3].copy()),
        (s, np.array([7, 8, 9, 10], np.uint16)),
        (strings, [np.arange(i, dtype=np.int64) for i in range(4)]),
        (np.zeros(0, np.int64), np.zeros(0, np.float64)),
    ]


def _by_put(keys, values):
    out = WeldDict()
    for k, v in zip(keys, values, strict=True):
        k = tuple(k) if isinstance(k, np.void) else k  # a struct key is a tuple
        v = tuple(v) if isinstance(v, np.void) else v
        out.put(k, v)
    return out


@pytest.mark.parametrize("case", range(len(_dict_cases())))
def test_columns_dict_equals_the_dict_built_by_put(case):
    keys, values = _dict_cases()[case]
    want = _by_put(keys, values)
    assert_same_canonical(WeldDict.from_columns(keys, values), want)
    held = WeldDict.from_columns(keys, values)
    assert len(held) == len(want) and held.columns() is not None
    assert marshal.nbytes(held) == marshal.nbytes(want)
    for key, value in want.items():  # the first question turns the columns into entries
        assert key in held and _bits(held.lookup(key)) == _bits(value)
        assert _bits(held.entry(key)) == _bits((key, value))
    assert (held.columns() is None) == bool(len(want)) and len(held) == len(want)
    assert_same_canonical(held, want)


def test_columns_dict_keeps_nan_and_signed_zero_keys_as_given():
    held = WeldDict.from_columns(np.array([-0.0, np.nan]), np.array([1, 2], np.int64))
    assert held.lookup(np.float64(0.0)) == 1 and held.lookup(np.float64(-np.nan)) == 2
    assert np.signbit(held.sorted_items()[0][0])
    held.put(np.float64(0.0), np.int64(5))  # an equal key keeps the key first stored
    assert np.signbit(held.entry(np.float64(0.0))[0]) and held.lookup(np.float64(0.0)) == 5
    held.put(np.float64(3.0), np.int64(6))
    assert len(held) == 3 and normalize_key(held.items()[-1][0]) == 3.0


def test_user_dict_of_a_columns_dict():
    ty = parse_type("dict[{i32, f64, bool}, u16]")
    keys, values = _dict_cases()[3]
    got = marshal.to_user(WeldDict.from_columns(keys, values), ty)
    want = marshal.to_user(_by_put(keys, values), ty)
    assert list(map(_bits, got.items())) == list(map(_bits, want.items()))
    assert [type(x) for x in next(iter(got))] == [np.int32, np.float64, np.bool_]
    ty = parse_type("dict[vec[i8], vec[i64]]")
    keys, values = _dict_cases()[4]
    got = marshal.to_user(WeldDict.from_columns(keys, values), ty)
    assert list(got) == [b"", b"a", b"b", b"\xff"] and got[b"\xff"].tolist() == [0, 1]


# ---- dict arguments in bulk equal the general path, and decline what it would reject

@pytest.mark.parametrize("text,value", [
    ("dict[i64, f64]", {5: 1.5, -3: float("nan"), 2**62: -0.0}),
    ("dict[i64, f64]", {np.int64(5): np.float64(1.5), 7: 2.0}),
    ("dict[u8, i16]", {0: -32768, 255: 32767}),
    ("dict[u64, u32]", {2**64 - 1: 2**32 - 1, 0: 0}),
    ("dict[bool, bool]", {True: np.False_, np.False_: True}),
    ("dict[f32, f32]", {0.1: 1e38, float("nan"): -0.0, -0.0: float("inf")}),
    ("dict[f32, i8]", {np.float32(0.1): 1, np.float32(np.nan): -1}),
    ("dict[f64, i32]", {float("nan"): 1, -0.0: 2, float("inf"): 3}),
    ("dict[{i32, f64}, {bool, u8}]", {(1, 0.5): (True, 3), (1, -0.0): (False, 0)}),
    ("dict[{f32, i8}, f32]", {(0.1, 1): 2.5, (0.2, 1): 0.1}),
    ("dict[i32, i32]", {}),
])
def test_dict_arguments_in_bulk_equal_the_general_path(text, value, general):
    got = bulk(value, text)
    assert got.columns() is not None  # taken in bulk
    assert_same_canonical(got, general(value, text))


@pytest.mark.parametrize("text,value,error,why", [
    ("dict[i32, i32]", {1: 2, 2**40: 3}, WeldTypeError, "out of range"),
    ("dict[i32, i32]", {1: 2, 2: 2**40}, WeldTypeError, "value for key 2"),
    ("dict[i32, i32]", {1: 2, np.int64(3): 3}, None, ""),  # other NumPy types: checked each
    ("dict[i32, i32]", {2: 2, True: 3}, WeldTypeError, "bool"),
    ("dict[i64, f64]", {1: 2.0, 2: 3}, None, ""),  # an int for a float: checked each
    ("dict[bool, i8]", {True: 1, 0: 2}, WeldTypeError, "int"),
    ("dict[f32, i8]", {1e300: 1}, WeldTypeError, "overflows"),
    ("dict[f32, i8]", {0.1: 1, 0.1 + 1e-12: 2}, WeldValueError, "same key"),
    ("dict[f64, i8]", {float("nan"): 1, float("-nan"): 2}, WeldValueError, "same key"),
    ("dict[{f32, i8}, i8]", {(0.1, 1): 1, (0.1 + 1e-12, 1): 2}, WeldValueError, "same key"),
    ("dict[{f64, i8}, i8]", {(float("nan"), 1): 1, (-float("nan"), 1): 2}, WeldValueError,
     "same key"),
    ("dict[{f64, i8}, i8]", {(float("nan"), 1): 1, (float("nan"), 2): 2}, None, ""),
    ("dict[{i32, i32}, i8]", {(1, 2): 1, (1,): 2}, WeldTypeError, "1 values for 2 fields"),
    ("dict[i32, vec[i8]]", {1: "a", 2: b"b"}, None, ""),
])
def test_dict_arguments_the_bulk_path_declines(text, value, error, why, general):
    assert columns.dict_columns(value, parse_type(text)) is None
    if error is None:
        assert_same_canonical(bulk(value, text), general(value, text))
        return
    with pytest.raises(error, match=why):
        bulk(value, text)


# ---- strings and lists of vectors in bulk

STRINGS = [
    ["a", "bc", "", "xyz"], ["h\u00e9", "", "\u65e5\u672c", "a"], [b"\xff", b"", b"\x00a"],
    ["a\u00e9", b"\xff", ""], [], [""], [b""] * 3,
]


@pytest.mark.parametrize("values", STRINGS)
@pytest.mark.parametrize("text", ["vec[vec[i8]]", "vec[vec[u8]]"])
def test_string_lists_in_bulk_equal_the_general_path(values, text, general):
    got = bulk(values, text)
    assert isinstance(got, VecList) or got == []
    assert_same_canonical(got, general(values, text))
    assert not any(v.flags.writeable for v in got)
    flat = [v for data, offsets in getattr(got, "segments", []) for v in
            (data[a:b] for a, b in zip(offsets[:-1], offsets[1:], strict=True))]
    assert _bits(flat) == _bits(got)


def test_string_lists_the_bulk_path_declines(general):
    for values in ([b"a", bytearray(b"b")], ["a", 1], ["\ud800"]):
        assert columns.byte_strings(values, parse_type("i8").kind) is None
    assert_same_canonical(bulk([b"a", bytearray(b"b")], "vec[vec[i8]]"),
                          general([b"a", bytearray(b"b")], "vec[vec[i8]]"))
    with pytest.raises(WeldTypeError, match="element 1"):
        bulk(["a", 1], "vec[vec[i8]]")
    with pytest.raises(UnicodeEncodeError):
        bulk(["\ud800"], "vec[vec[i8]]")


def _arrow_cases():
    words = ["x", "", "h\u00e9llo", "\u65e5", "zz", ""]
    for t in (pa.string(), pa.large_string(), pa.binary(), pa.large_binary()):
        values = words if t in (pa.string(), pa.large_string()) else [w.encode() for w in words]
        arr = pa.array(values, t)
        yield arr
        yield arr.slice(2, 3)
        yield pa.chunked_array([arr.slice(1, 2), arr.slice(0, 0), arr.slice(3)], t)
        yield pa.chunked_array([], t)
        yield pa.array(["", ""] if t in (pa.string(), pa.large_string()) else [b"", b""], t)


@pytest.mark.parametrize("arr", list(_arrow_cases()), ids=str)
def test_arrow_strings_are_views_of_the_data_buffer(arr):
    got = bulk(arr, "vec[vec[i8]]")
    assert isinstance(got, VecList)
    assert [v.tobytes() for v in got] == [
        v if isinstance(v, bytes) else v.encode() for v in arr.to_pylist()]
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    views = iter(got)
    for chunk in chunks:
        buffer = chunk.buffers()[2]
        for _ in range(len(chunk)):
            v = next(views)
            assert not v.flags.writeable
            if len(v) and buffer is not None:
                assert np.shares_memory(v, np.frombuffer(buffer, np.int8))


def test_lists_of_arrays_in_bulk(general):
    rows = [np.arange(i, dtype=np.int64) for i in range(5)]
    got = bulk(rows, "vec[vec[i64]]")
    assert_same_canonical(got, general(rows, "vec[vec[i64]]"))
    assert all(np.shares_memory(g, r) for g, r in zip(got, rows, strict=True) if len(r))
    assert not any(g.flags.writeable for g in got)
    declined = [np.zeros(1), np.arange(6.0)[::2]]  # not contiguous: copied, as before
    assert_same_canonical(bulk(declined, "vec[vec[f64]]"), general(declined, "vec[vec[f64]]"))
    with pytest.raises(WeldTypeError, match="element 1"):
        bulk([np.zeros(1), np.zeros(1, np.float32)], "vec[vec[f64]]")
    with pytest.raises(WeldTypeError, match="element 0"):
        bulk([np.zeros((1, 1))], "vec[vec[f64]]")
