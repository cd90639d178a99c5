"""The IR printer: exact text for each construct, parse(pretty(e)) == e for parsed, typed-looking
and random trees, literal and string forms, and printing deep programs without recursion."""

import dataclasses
import math
import struct
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.ir.exprs import BinKind, IterKind, UnaryKind
from weldpy.ir.parser import parse, parse_type
from weldpy.ir.printer import pretty, pretty_type
from weldpy.ir.types import BuilderOp, ScalarKind

sys.path.insert(0, str(Path(__file__).parent))
from test_parser import CONSTRUCTS, MACROS  # noqa: E402
from weld_programs import WELD_PROGRAMS  # noqa: E402

x, y, v, b = (E.Ident(n) for n in "xyvb")


def lit(value, kind=ScalarKind.I32):
    return E.Literal(kind, value)


def round_trips(node):
    text = pretty(node)
    again = parse(text)
    assert again == node, text
    return text


EXACT = [
    ("1 + 2 * 3", "(1 + (2 * 3))"),
    ("x - -1", "(x - -1)"),
    ("-x", "-(x)"),
    ("!x", "!(x)"),
    ("min(x, y) + exp(x)", "(min(x, y) + exp(x))"),
    ("let a = 1L; let c = a; c", "let a = 1L;\nlet c = a;\nc"),
    ("|b: appender[i32], i: i64, e| merge(b, e)", "|b: appender[i32], i: i64, e| merge(b, e)"),
    ("|| 1", "|| 1"),
    ("[]: vec[i32]", "([]: vec[i32])"),
    ("([]): vec[i32]", "(([]): vec[i32])"),
    ("[1, 2]", "[1, 2]"),
    ("x: i64", "(x: i64)"),
    ("x.$0.$1", "x.$0.$1"),
    ("f(x, 1)", "f(x, 1)"),
    ("(|a| a)(1)", "(|a| a)(1)"),
    ("appender", "appender"),
    ("appender[?](10L)", "appender(10L)"),
    ("merger[f64,+]", "merger[f64, +]"),
    ("dictmerger[i32,i64,max](5L)", "dictmerger[i32, i64, max](5L)"),
    ("groupmerger[i32, vec[i8]]", "groupmerger[i32, vec[i8]]"),
    ("for(iter(v), appender, |b, i, e| b)", "for(v, appender, |b, i, e| b)"),
    ("for(zip(x, iter(y, 0L, 10L, 1L)), b, |b, i, e| b)",
     "for(zip(x, iter(y, 0L, 10L, 1L)), b, |b, i, e| b)"),
    ("for(rangeiter(0L, 5L, 1L), b, |b, i, e| b)", "for(rangeiter(0L, 5L, 1L), b, |b, i, e| b)"),
    ("@(impl:local) dictmerger[i32,i32,+]", "@(impl: local)dictmerger[i32, i32, +]"),
    ("@(a: b, n: 12l, s: \"x y\")(x + y)", '@(a: b, n: 12l, s: "x y")(x + y)'),
    ("@(a: b)(x.$0)", "@(a: b)(x.$0)"),
    ("cudf[f, vec[f64]](x)", "cudf[f, vec[f64]](x)"),
    ("{x, {}}", "{x, {}}"),
    ("i64(x)", "i64(x)"),
    ("if(x, y, v)", "if(x, y, v)"),
    ("(let a = 1; a) + 2", "((let a = 1;\na) + 2)"),
    ("let f = |a| a; f", "let f = (|a| a);\nf"),
]


@pytest.mark.parametrize("text, expected", EXACT)
def test_exact_text(text, expected):
    assert pretty(parse(text)) == expected


LITERALS = [
    (lit(7), "7"), (lit(-7), "-7"), (lit(7, ScalarKind.I64), "7L"),
    (lit(-128, ScalarKind.I8), "-128C"), (lit(3, ScalarKind.I16), "3si"),
    (lit(255, ScalarKind.U8), "255ub"), (lit(9, ScalarKind.U16), "9us"),
    (lit(9, ScalarKind.U32), "9u"), (lit(2**64 - 1, ScalarKind.U64), "18446744073709551615ul"),
    (lit(True, ScalarKind.BOOL), "true"), (lit(False, ScalarKind.BOOL), "false"),
    (lit(1.0, ScalarKind.F64), "1.0"), (lit(1e16, ScalarKind.F64), "1e+16"),
    (lit(-0.0, ScalarKind.F64), "-0.0"), (lit(0.1, ScalarKind.F64), "0.1"),
    (lit(float(np.float32(0.1)), ScalarKind.F32), "0.1F"),
    (lit(float(np.float32(1e20)), ScalarKind.F32), "1e+20F"), (lit(3.0, ScalarKind.F32), "3.0F"),
    (lit(math.nan, ScalarKind.F64), "nan"), (lit(math.nan, ScalarKind.F32), "nanF"),
    (lit(math.inf, ScalarKind.F64), "inf"), (lit(-math.inf, ScalarKind.F32), "-infF"),
    (E.StringLit(b'a"b\\c\n\t\x00\xff'), r'"a\"b\\c\n\t\x00\xff"'),
    (E.StringLit("é".encode()), r'"\xc3\xa9"'),
]


@pytest.mark.parametrize("node, text", LITERALS, ids=[t for _, t in LITERALS])
def test_literal_text(node, text):
    assert pretty(node) == text
    assert parse(text) == node


@pytest.mark.parametrize("text, expected", CONSTRUCTS, ids=[c[0] for c in CONSTRUCTS])
def test_construct_round_trip(text, expected):
    round_trips(parse(text))
    round_trips(expected)


@pytest.mark.parametrize("text", [m[0] for m in MACROS])
def test_expanded_macro_round_trip(text):
    round_trips(parse(text))


@pytest.mark.parametrize("index", range(len(WELD_PROGRAMS)))
def test_weld_program_round_trip(index):
    round_trips(parse(WELD_PROGRAMS[index]))


def _typed_looking():
    ann = (("k", "v"),)
    loop = E.For(
        (E.Iter(IterKind.SCALAR, v, lit(0, ScalarKind.I64), lit(10, ScalarKind.I64),
                lit(1, ScalarKind.I64)),),
        E.NewBuilder(T.Merger(T.F64, BuilderOp.ADD), lit(0.0, ScalarKind.F64)),
        E.Lambda((E.Param("b", T.Merger(T.F64, BuilderOp.ADD)), E.Param("i", T.I64),
                  E.Param("e", T.F64)), E.Merge(b, E.Ident("e"))))
    return [
        E.Lambda((E.Param("v", T.Vec(T.F64)),), E.Result(loop)),
        E.MakeVector((), T.Struct((T.I32, T.Vec(T.U8)))),
        E.MakeVector((), T.I32, annotations=ann),
        E.Ascribe(E.MakeVector(()), T.Vec(T.I32)),
        E.Ascribe(E.MakeVector((), annotations=ann), T.Vec(T.I32)),
        E.Ascribe(E.MakeVector((), T.I32), T.Vec(T.I32)),
        E.Ascribe(x, T.Vec(None)),
        E.NewBuilder(T.Appender(T.Struct((T.I64, T.F32))), lit(5, ScalarKind.I64)),
        E.NewBuilder(T.Merger(None, BuilderOp.MIN)),
        E.NewBuilder(T.DictMerger(T.STRING, None, BuilderOp.MUL)),
        E.NewBuilder(T.VecMerger(T.F32, BuilderOp.MAX), v),
        E.NewBuilder(T.GroupMerger(T.I64, T.Vec(T.I8))),
        E.Lambda((E.Param("f", T.Function((T.I32,), T.I32)),), E.Apply(E.Ident("f"), (lit(1),))),
        E.Lambda((E.Param("d", T.Dict(T.I32, T.Vec(T.I64))),), E.ToVec(E.Ident("d"))),
        E.BinOp(BinKind.ADD, E.Let("a", x, E.Ident("a")), E.Lambda((), x)),
        E.Let("a", E.Let("c", x, E.Ident("c")), E.Ident("a")),
        E.Let("a", E.Lambda((E.Param("p"),), x), E.Ident("a")),
        E.Ascribe(E.Let("a", x, E.Ident("a")), T.I32),
        E.GetField(E.Let("a", x, E.Ident("a")), 1),
        E.GetField(lit(-1), 0),
        E.GetField(E.UnaryOp(UnaryKind.NEG, x), 0),
        E.UnaryOp(UnaryKind.NEG, E.GetField(x, 0)),
        E.UnaryOp(UnaryKind.NEG, lit(1)),
        E.UnaryOp(UnaryKind.NEG, lit(-1)),
        E.UnaryOp(UnaryKind.NOT, lit(True, ScalarKind.BOOL)),
        E.Apply(E.Lambda((E.Param("p"),), E.Ident("p")), (lit(1),)),
        E.Apply(E.GetField(x, 0), ()),
        E.BinOp(BinKind.LOR, E.Lambda((), x), x),
        E.Let("a", x, E.Ident("a"), annotations=ann),
        E.Lambda((), x, annotations=ann),
        E.Apply(x, (y,), annotations=ann),
        E.GetField(x, 3, annotations=ann),
        E.BinOp(BinKind.SUB, x, lit(-3), annotations=ann),
        E.UnaryOp(UnaryKind.NEG, x, annotations=ann),
        E.Literal(ScalarKind.I32, -4, annotations=ann),
        E.Ident("x", annotations=(("a", "1.5e-3F"), ("b", "-2"), ("c", "for"), ("d", "é \""))),
        E.For((E.Iter(IterKind.SCALAR, v, annotations=ann),
               E.Iter(IterKind.RANGE, None, x, y, x, annotations=ann)), b, x),
        E.For((E.Iter(IterKind.SCALAR, E.Let("a", v, E.Ident("a"))),), b, x),
        E.CUDF("udf", T.Struct(()), (), annotations=ann),
        E.Literal(ScalarKind.F64, struct.unpack("<d", struct.pack("<Q", 0xFFF8000000000000))[0]),
    ]


@pytest.mark.parametrize("index", range(len(_typed_looking())))
def test_typed_looking_round_trip(index):
    round_trips(_typed_looking()[index])


TYPES = [
    (T.I32, "i32"), (T.BOOL, "bool"), (None, "?"), (T.STRING, "vec[i8]"),
    (T.Vec(None), "vec[?]"), (T.Struct((T.I32, T.F64)), "{i32, f64}"), (T.Struct(()), "{}"),
    (T.Dict(T.I64, T.Vec(T.I8)), "dict[i64, vec[i8]]"),
    (T.Appender(T.U8), "appender[u8]"), (T.Appender(None), "appender[?]"),
    (T.Merger(T.F64, BuilderOp.ADD), "merger[f64, +]"),
    (T.VecMerger(T.I32, BuilderOp.MUL), "vecmerger[i32, *]"),
    (T.DictMerger(T.I32, T.I64, BuilderOp.MAX), "dictmerger[i32, i64, max]"),
    (T.GroupMerger(T.I32, None), "groupmerger[i32, ?]"),
    (T.Function((T.I32, T.F64), T.BOOL), "|i32, f64| bool"),
    (T.Function((), T.I32), "|| i32"),
]


@pytest.mark.parametrize("ty, text", TYPES, ids=[t for _, t in TYPES])
def test_pretty_type(ty, text):
    assert pretty_type(ty) == text
    assert parse_type(text) == ty
    if ty is not None:
        assert str(ty) == text


def test_repr_uses_the_printer():
    assert repr(parse("x + 1")) == "<BinOp (x + 1)>"


INT_KINDS = [k for k in ScalarKind if k.is_int]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(INT_KINDS).flatmap(
    lambda k: st.tuples(st.just(k), st.integers(int(np.iinfo(k.dtype).min),
                                                int(np.iinfo(k.dtype).max)))))
def test_integer_literals_round_trip(kind_value):
    kind, value = kind_value
    round_trips(E.Literal(kind, value))
    round_trips(E.BinOp(BinKind.SUB, x, E.Literal(kind, value)))


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**64 - 1))
def test_f64_literals_round_trip_bit_exactly(bits):
    value = struct.unpack("<d", struct.pack("<Q", bits))[0]
    if math.isnan(value):  # the text keeps a NaN's sign, not its payload
        value = math.copysign(math.nan, value)
    round_trips(E.Literal(ScalarKind.F64, value))


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_f32_literals_round_trip_bit_exactly(bits):
    value = float(np.frombuffer(struct.pack("<I", bits), dtype=np.float32)[0])
    if math.isnan(value):
        value = math.copysign(math.nan, value)
    text = round_trips(E.Literal(ScalarKind.F32, value))
    assert text.endswith("F")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=40))
def test_strings_round_trip(data):
    text = round_trips(E.StringLit(data))
    assert text.isascii()


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=10), st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,5}", fullmatch=True))
def test_annotation_values_round_trip(value, key):
    if "\ufffd" in value or any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        return
    round_trips(E.Ident("x", annotations=((key, value),)))


NAMES = st.sampled_from(["a", "b", "x", "y"])
SCALAR_TYPES = st.sampled_from([T.I32, T.I64, T.F64, T.BOOL, T.U8, None])
LEAVES = st.one_of(
    NAMES.map(E.Ident),
    st.integers(-(2**31), 2**31 - 1).map(lambda n: E.Literal(ScalarKind.I32, n)),
    st.floats(allow_nan=False).map(lambda f: E.Literal(ScalarKind.F64, f)),
    st.binary(max_size=3).map(E.StringLit),
    st.just(E.NewBuilder(T.Appender(None))),
    SCALAR_TYPES.filter(lambda t: t is not None).map(lambda t: E.MakeVector((), t)),
)


def _extend(children):
    pair = st.tuples(children, children)
    triple = st.tuples(children, children, children)
    params = st.lists(st.tuples(NAMES, SCALAR_TYPES), max_size=3).map(
        lambda ps: tuple(E.Param(n, t) for n, t in ps))
    return st.one_of(
        st.tuples(st.sampled_from(list(BinKind)), pair).map(lambda a: E.BinOp(a[0], *a[1])),
        st.tuples(st.sampled_from(list(UnaryKind)), children).map(lambda a: E.UnaryOp(*a)),
        st.tuples(NAMES, pair).map(lambda a: E.Let(a[0], *a[1])),
        st.tuples(params, children).map(lambda a: E.Lambda(*a)),
        st.tuples(children, SCALAR_TYPES.filter(lambda t: t is not None)).map(
            lambda a: E.Ascribe(*a)),
        st.tuples(children, st.integers(0, 3)).map(lambda a: E.GetField(*a)),
        st.tuples(children, st.lists(children, max_size=2)).map(
            lambda a: E.Apply(a[0], tuple(a[1]))),
        st.lists(children, min_size=1, max_size=3).map(lambda es: E.MakeVector(tuple(es))),
        st.lists(children, max_size=3).map(lambda es: E.MakeStruct(tuple(es))),
        st.tuples(st.sampled_from([E.If, E.Select, E.Slice]), triple).map(lambda a: a[0](*a[1])),
        st.tuples(st.sampled_from([E.Merge, E.Lookup, E.OptLookup, E.KeyExists, E.Sort,
                                   E.Iterate]), pair).map(lambda a: a[0](*a[1])),
        st.tuples(st.sampled_from([E.Result, E.Length, E.ToVec, E.Assert]), children).map(
            lambda a: a[0](a[1])),
        st.tuples(st.sampled_from(list(ScalarKind)), children).map(lambda a: E.Cast(*a)),
        st.tuples(SCALAR_TYPES, st.lists(children, max_size=2)).map(
            lambda a: E.CUDF("f", a[0] or T.I8, tuple(a[1]))),
        st.tuples(st.sampled_from([T.Appender(T.I32), T.Merger(T.F64, BuilderOp.MIN),
                                   T.DictMerger(T.I32, None, BuilderOp.ADD)]), children).map(
            lambda a: E.NewBuilder(*a)),
        st.tuples(children, children, children).map(
            lambda a: E.For((E.Iter(IterKind.SCALAR, a[0]),), a[1], a[2])),
        st.tuples(children, children, children, children).map(
            lambda a: E.For((E.Iter(IterKind.SCALAR, a[0], a[1], a[1], a[1]),
                             E.Iter(IterKind.RANGE, None, a[2], a[2], a[2])), a[3], a[3])),
        st.tuples(children, st.sampled_from([(("k", "v"),), (("n", "1"), ("s", "a b"))])).map(
            lambda a: _annotated(*a)),
    )


def _annotated(node, annotations):
    return dataclasses.replace(node, annotations=annotations)


@settings(max_examples=300, deadline=None)
@given(st.recursive(LEAVES, _extend, max_leaves=25))
def test_random_trees_round_trip(node):
    round_trips(node)


def test_long_let_chain_prints_and_round_trips():
    n = 50_000
    node = E.Ident("x0")
    for k in range(n, 0, -1):
        node = E.Let(f"x{k}", E.BinOp(BinKind.ADD, E.Ident(f"x{k - 1}"), lit(k)), node)
    start = time.perf_counter()
    text = pretty(node)
    assert time.perf_counter() - start < 10
    assert text.count("\n") == n
    assert parse(text) == node


def test_deep_nest_prints_and_round_trips():
    depth = 10_000
    node = x
    for _ in range(depth):
        node = E.BinOp(BinKind.MUL, node, E.UnaryOp(UnaryKind.NEG, lit(2)))
    text = pretty(node)
    assert text.startswith("(" * depth)
    assert parse(text) == node
    nested = x
    for _ in range(depth):
        nested = E.Lambda((E.Param("a", T.I32),), E.MakeVector((nested,)))
    assert parse(pretty(nested)) == nested
