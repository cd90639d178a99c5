"""The IR text parser: every construct, every literal form, every error with its position,
deep programs, and Weld's own test programs."""

import math
import re
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from weldpy.errors import WeldSyntaxError
from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.ir.exprs import BinKind, IterKind, UnaryKind
from weldpy.ir.parser import parse, parse_type
from weldpy.ir.traverse import postorder
from weldpy.ir.types import BuilderOp, ScalarKind

sys.path.insert(0, str(Path(__file__).parent))
from weld_programs import WELD_PROGRAMS  # noqa: E402

x, y, z, v, b, i, e = (E.Ident(n) for n in "xyzvbie")


def lit(value, kind=ScalarKind.I32):
    return E.Literal(kind, value)


def i64(value):
    return lit(value, ScalarKind.I64)


def op(kind, left, right):
    return E.BinOp(kind, left, right)


def lam(names, body, types=None):
    types = types or [None] * len(names)
    return E.Lambda(tuple(E.Param(n, t) for n, t in zip(names, types, strict=True)), body)


def scalar_iter(data, start=None, end=None, stride=None):
    return E.Iter(IterKind.SCALAR, data, start, end, stride)


CONSTRUCTS = [
    ("x", x),
    ("(x)", x),
    ("1", lit(1)),
    ("true", lit(True, ScalarKind.BOOL)),
    ('"ab"', E.StringLit(b"ab")),
    ("x + 1", op(BinKind.ADD, x, lit(1))),
    ("x - 1", op(BinKind.SUB, x, lit(1))),
    ("x-1", op(BinKind.SUB, x, lit(1))),
    ("x - -1", op(BinKind.SUB, x, lit(-1))),
    ("-1 - x", op(BinKind.SUB, lit(-1), x)),
    ("10 - 2 - 3 + 1", op(BinKind.ADD, op(BinKind.SUB, op(BinKind.SUB, lit(10), lit(2)),
                                           lit(3)), lit(1))),
    ("x * y + z", op(BinKind.ADD, op(BinKind.MUL, x, y), z)),
    ("x + y * z", op(BinKind.ADD, x, op(BinKind.MUL, y, z))),
    ("x / y % z", op(BinKind.MOD, op(BinKind.DIV, x, y), z)),
    ("x << 2 + 1", op(BinKind.SHL, x, op(BinKind.ADD, lit(2), lit(1)))),
    ("x >> y < z", op(BinKind.LT, op(BinKind.SHR, x, y), z)),
    ("x > y == z", op(BinKind.EQ, op(BinKind.GT, x, y), z)),
    ("x == y < z", op(BinKind.EQ, x, op(BinKind.LT, y, z))),
    ("x != y", op(BinKind.NE, x, y)),
    ("x <= y", op(BinKind.LE, x, y)),
    ("x >= y", op(BinKind.GE, x, y)),
    ("x & y ^ z", op(BinKind.XOR, op(BinKind.BAND, x, y), z)),
    ("x | y ^ z", op(BinKind.BOR, x, op(BinKind.XOR, y, z))),
    ("x || y && z", op(BinKind.LOR, x, op(BinKind.LAND, y, z))),
    ("x && y | z", op(BinKind.LAND, x, op(BinKind.BOR, y, z))),
    ("-x", E.UnaryOp(UnaryKind.NEG, x)),
    ("-(1)", E.UnaryOp(UnaryKind.NEG, lit(1))),
    ("!x", E.UnaryOp(UnaryKind.NOT, x)),
    ("-x.$0", E.GetField(E.UnaryOp(UnaryKind.NEG, x), 0)),
    ("-x + y", op(BinKind.ADD, E.UnaryOp(UnaryKind.NEG, x), y)),
    ("x: i32", E.Ascribe(x, T.I32)),
    ("x: i32 + y", op(BinKind.ADD, E.Ascribe(x, T.I32), y)),
    ("x: ?", x),
    ("[]: vec[i64]", E.MakeVector((), T.I64)),
    ("([]): vec[i64]", E.Ascribe(E.MakeVector(()), T.Vec(T.I64))),
    ("[x]: vec[i64]", E.Ascribe(E.MakeVector((x,)), T.Vec(T.I64))),
    ("let a: vec[f32] = []; a", E.Let("a", E.MakeVector((), T.F32), E.Ident("a"))),
    ("let a: i64 = x; a", E.Let("a", E.Ascribe(x, T.I64), E.Ident("a"))),
    ("let a = 1; let c = a; c",
     E.Let("a", lit(1), E.Let("c", E.Ident("a"), E.Ident("c")))),
    ("let f = |a| a; f(1)", E.Let("f", lam("a", E.Ident("a")), E.Apply(E.Ident("f"), (lit(1),)))),
    ("|a, b: i32| a + b", lam("ab", op(BinKind.ADD, E.Ident("a"), E.Ident("b")), [None, T.I32])),
    ("|| x || y", lam("", op(BinKind.LOR, x, y))),
    ("|a| |c| a", lam("a", lam("c", E.Ident("a")))),
    ("x.$0.$12", E.GetField(E.GetField(x, 0), 12)),
    ("x(1, y).$0", E.GetField(E.Apply(x, (lit(1), y)), 0)),
    ("x()", E.Apply(x, ())),
    ("[x, 1]", E.MakeVector((x, lit(1)))),
    ("[]", E.MakeVector(())),
    ("{x, {}}", E.MakeStruct((x, E.MakeStruct(())))),
    ("if(x, y, z)", E.If(x, y, z)),
    ("if (x, y, z)", E.If(x, y, z)),
    ("select(x, y, z)", E.Select(x, y, z)),
    ("iterate(x, |a| {a, false})",
     E.Iterate(x, lam("a", E.MakeStruct((E.Ident("a"), lit(False, ScalarKind.BOOL)))))),
    ("len(v)", E.Length(v)),
    ("lookup(v, 1L)", E.Lookup(v, i64(1))),
    ("optlookup(v, x)", E.OptLookup(v, x)),
    ("keyexists(v, x)", E.KeyExists(v, x)),
    ("slice(v, 1L, 2L)", E.Slice(v, i64(1), i64(2))),
    ("sort(v, |a, c| compare(a, c))",
     E.Sort(v, lam("ac", op(BinKind.COMPARE, E.Ident("a"), E.Ident("c"))))),
    ("tovec(v)", E.ToVec(v)),
    ("assert(x)", E.Assert(x)),
    ("merge(b, x)", E.Merge(b, x)),
    ("result(b)", E.Result(b)),
    ("i64(x)", E.Cast(ScalarKind.I64, x)),
    ("u8(x) + bool(y)", op(BinKind.ADD, E.Cast(ScalarKind.U8, x), E.Cast(ScalarKind.BOOL, y))),
    ("cudf[foo, {i32, f64}](x, 1)",
     E.CUDF("foo", T.Struct((T.I32, T.F64)), (x, lit(1)))),
    ("cudf[foo, i32]()", E.CUDF("foo", T.I32, ())),
    ("appender", E.NewBuilder(T.Appender(None))),
    ("appender[?]", E.NewBuilder(T.Appender(None))),
    ("appender[i32]", E.NewBuilder(T.Appender(T.I32))),
    ("appender[i32](10L)", E.NewBuilder(T.Appender(T.I32), i64(10))),
    ("appender(10L)", E.NewBuilder(T.Appender(None), i64(10))),
    ("merger[f64, +]", E.NewBuilder(T.Merger(T.F64, BuilderOp.ADD))),
    ("merger[i32, *](x)", E.NewBuilder(T.Merger(T.I32, BuilderOp.MUL), x)),
    ("vecmerger[i64, min](v)", E.NewBuilder(T.VecMerger(T.I64, BuilderOp.MIN), v)),
    ("dictmerger[i32, vec[i8], max]",
     E.NewBuilder(T.DictMerger(T.I32, T.STRING, BuilderOp.MAX))),
    ("dictmerger[i32, i32, +](100L)",
     E.NewBuilder(T.DictMerger(T.I32, T.I32, BuilderOp.ADD), i64(100))),
    ("groupmerger[i64, f32]", E.NewBuilder(T.GroupMerger(T.I64, T.F32))),
    ("for(v, b, x)", E.For((scalar_iter(v),), b, x)),
    ("for(iter(v), b, x)", E.For((scalar_iter(v),), b, x)),
    ("for(iter(v, 0L, 4L, 1L), b, x)",
     E.For((scalar_iter(v, i64(0), i64(4), i64(1)),), b, x)),
    ("for(rangeiter(0L, y, 2L), b, x)",
     E.For((E.Iter(IterKind.RANGE, None, i64(0), y, i64(2)),), b, x)),
    ("for(zip(v, iter(y, 0L, 4L, 1L), rangeiter(1L, 5L, 1L)), b, x)",
     E.For((scalar_iter(v), scalar_iter(y, i64(0), i64(4), i64(1)),
            E.Iter(IterKind.RANGE, None, i64(1), i64(5), i64(1))), b, x)),
    ("for(zip(v), b, x)", E.For((scalar_iter(v),), b, x)),
    ("@(impl: local) dictmerger[i32, i32, +]",
     E.NewBuilder(T.DictMerger(T.I32, T.I32, BuilderOp.ADD), annotations=(("impl", "local"),))),
    ("@(grain_size: 100, loopsize: 12l, p: true, s: \"a b\")for(v, b, x)",
     E.For((scalar_iter(v),), b, x, annotations=(
         ("grain_size", "100"), ("loopsize", "12l"), ("p", "true"), ("s", "a b")))),
    ("@(a: b)(x + y)", E.BinOp(BinKind.ADD, x, y, annotations=(("a", "b"),))),
    ("@(a: b)x.$0", E.GetField(E.Ident("x", annotations=(("a", "b"),)), 0)),
    ("for(@(k: v)iter(v), b, x)",
     E.For((E.Iter(IterKind.SCALAR, v, annotations=(("k", "v"),)),), b, x)),
    ("x # a comment\n + # another\n 1", op(BinKind.ADD, x, lit(1))),
]
CONSTRUCTS += [(f"{k.value}(x)", E.UnaryOp(k, x))
               for k in UnaryKind if k not in (UnaryKind.NEG, UnaryKind.NOT)]
CONSTRUCTS += [(f"{k.value}(x, y)", op(k, x, y)) for k in E.BinKind if k in E.FUNCTION_BINKINDS]


@pytest.mark.parametrize("text, expected", CONSTRUCTS, ids=[c[0] for c in CONSTRUCTS])
def test_construct(text, expected):
    assert parse(text) == expected


def test_every_node_class_is_covered():
    seen = {type(node) for _, expected in CONSTRUCTS for node in postorder(expected)}
    node_classes = {c for c in vars(E).values()
                    if isinstance(c, type) and issubclass(c, E.Expr) and c is not E.Expr}
    assert node_classes <= seen


INT_LITERALS = [
    ("0", ScalarKind.I32, 0), ("2147483647", ScalarKind.I32, 2**31 - 1),
    ("-2147483648", ScalarKind.I32, -(2**31)), ("0xff", ScalarKind.I32, 255),
    ("0x1c", ScalarKind.I32, 28), ("0b101", ScalarKind.I32, 5),
    ("1L", ScalarKind.I64, 1), ("1l", ScalarKind.I64, 1), ("0xffL", ScalarKind.I64, 255),
    ("9223372036854775807L", ScalarKind.I64, 2**63 - 1),
    ("-9223372036854775808L", ScalarKind.I64, -(2**63)),
    ("127C", ScalarKind.I8, 127), ("-128c", ScalarKind.I8, -128), ("0b11C", ScalarKind.I8, 3),
    ("32767si", ScalarKind.I16, 32767), ("-32768si", ScalarKind.I16, -32768),
    ("0x7fffsi", ScalarKind.I16, 32767),
    ("255ub", ScalarKind.U8, 255), ("0ub", ScalarKind.U8, 0), ("0xffub", ScalarKind.U8, 255),
    ("65535us", ScalarKind.U16, 65535), ("4294967295u", ScalarKind.U32, 2**32 - 1),
    ("18446744073709551615ul", ScalarKind.U64, 2**64 - 1), ("0b1ul", ScalarKind.U64, 1),
    ("-0", ScalarKind.I32, 0),
]


@pytest.mark.parametrize("text, kind, value", INT_LITERALS)
def test_integer_literal(text, kind, value):
    node = parse(text)
    assert node == E.Literal(kind, value)
    assert type(node.value) is int


def f32(value):
    return float(np.float32(value))


FLOAT_LITERALS = [
    ("1.0", ScalarKind.F64, 1.0), ("1e5", ScalarKind.F64, 1e5),
    ("1.5e-3", ScalarKind.F64, 1.5e-3), ("1e+16", ScalarKind.F64, 1e16),
    ("2E3", ScalarKind.F64, 2000.0), ("-0.0", ScalarKind.F64, -0.0),
    ("0.1", ScalarKind.F64, 0.1), ("1e400", ScalarKind.F64, math.inf),
    ("1.0F", ScalarKind.F32, 1.0), ("0.1f", ScalarKind.F32, f32(0.1)),
    ("2.5e-3F", ScalarKind.F32, f32(2.5e-3)), ("1F", ScalarKind.F32, 1.0),
    ("3e38F", ScalarKind.F32, f32(3e38)), ("1e39F", ScalarKind.F32, math.inf),
    ("-0.1F", ScalarKind.F32, -f32(0.1)),
    ("inf", ScalarKind.F64, math.inf), ("-inf", ScalarKind.F64, -math.inf),
    ("infF", ScalarKind.F32, math.inf), ("-infF", ScalarKind.F32, -math.inf),
    ("nan", ScalarKind.F64, math.nan), ("nanF", ScalarKind.F32, math.nan),
]


@pytest.mark.parametrize("text, kind, value", FLOAT_LITERALS)
def test_float_literal(text, kind, value):
    node = parse(text)
    assert node == E.Literal(kind, value)
    assert type(node.value) is float


def test_negative_zero_is_not_zero():
    assert parse("-0.0") != parse("0.0")
    assert math.copysign(1.0, parse("-0.0").value) == -1.0


def test_f32_literal_is_rounded_to_float32():
    node = parse("16777217.0F")
    assert node.value == 16777216.0


STRINGS = [
    ('""', b""), ('"abc"', b"abc"), (r'"a\\b"', b"a\\b"), (r'"say \"hi\""', b'say "hi"'),
    (r'"\n\t"', b"\n\t"), (r'"\x00\xff\x7F"', b"\x00\xff\x7f"), ('"é"', "é".encode()),
    ('"line1\nline2"', b"line1\nline2"), ('"#not a comment"', b"#not a comment"),
]


@pytest.mark.parametrize("text, value", STRINGS)
def test_string_literal(text, value):
    assert parse(text) == E.StringLit(value)


BAD_LITERALS = [
    ("300C", "300C is out of range for i8", 1, 1),
    ("128c", "out of range for i8", 1, 1),
    ("-129C", "-129C is out of range for i8", 1, 1),
    ("-1ub", "out of range for u8", 1, 1),
    ("256ub", "out of range for u8", 1, 1),
    ("2147483648", "out of range for i32", 1, 1),
    ("-2147483649", "out of range for i32", 1, 1),
    ("x + 9223372036854775808L", "out of range for i64", 1, 5),
    ("18446744073709551616ul", "out of range for u64", 1, 1),
    ("65536us", "out of range for u16", 1, 1),
    ("32768si", "out of range for i16", 1, 1),
    ("4294967296u", "out of range for u32", 1, 1),
    ("0xffffffff", "out of range for i32", 1, 1),
    ("1x", "invalid numeric literal '1x'", 1, 1),
    ("1.5L", "invalid numeric literal", 1, 1),
    ("0b2", "invalid numeric literal", 1, 1),
    ("0x", "invalid numeric literal", 1, 1),
    ("1e", "invalid numeric literal", 1, 1),
    ("12abc", "invalid numeric literal", 1, 1),
    ('x + "abc', "unterminated string", 1, 5),
    ('"abc\\"', "unterminated string", 1, 1),
    ('"a\\qb"', "invalid escape", 1, 1),
    ('"a\\x4"', "invalid escape", 1, 1),
]


@pytest.mark.parametrize("text, message, line, column", BAD_LITERALS)
def test_bad_literal(text, message, line, column):
    with pytest.raises(WeldSyntaxError, match=message) as info:
        parse(text)
    assert (info.value.lineno, info.value.offset) == (line, column)
    assert f"line {line}, column {column}" in str(info.value)


SYNTAX_ERRORS = [
    ("(x + 1", "expected ')' but found end of input", 1, 7),
    ("x + ", "expected an expression but found end of input", 1, 5),
    ("x y", "expected end of input after the end of the expression but found 'y'", 1, 3),
    ("10 * * 2", "expected an expression but found '*'", 1, 6),
    ("a > b > c", "comparisons do not chain", 1, 7),
    ("a == b != c", "comparisons do not chain", 1, 8),
    ("let x = 1 x", "expected ';' after the let value but found 'x'", 1, 11),
    ("let 1 = 2; x", "expected an identifier but found '1'", 1, 5),
    ("let x 1; x", "expected '=' in let but found '1'", 1, 7),
    ("|a b| a", "expected ',' or '|' but found 'b'", 1, 4),
    ("if(x, y)", "expected ',' in 'if'", 1, 8),
    ("lookup(x)", "expected ',' in 'lookup'", 1, 9),
    ("len x", "expected '(' after 'len'", 1, 5),
    ("x.0", "expected a field index such as '$0'", 1, 3),
    ("x.$a", "expected a field index", 1, 3),
    ("merger[i32, -]", "expected a merge operator", 1, 13),
    ("merger[i32]", "expected ',' in merger", 1, 11),
    ("vecmerger[i32, &](v)", "expected a merge operator", 1, 16),
    ("x: vec[i32", "expected ']' closing vec", 1, 11),
    ("x: foo", "expected a type but found 'foo'", 1, 4),
    ("simd[i32]", "simd vectors are out of scope", 1, 1),
    ("for(simditer(v), b, x)", "simditer is out of scope", 1, 5),
    ("fringeiter(v)", "fringeiter is out of scope", 1, 1),
    ("nditer(v)", "nditer is out of scope", 1, 1),
    ("broadcast(x)", "broadcast is out of scope", 1, 1),
    ("serialize(x)", "serialize is out of scope", 1, 1),
    ("deserialize[i32](x)", "deserialize is out of scope", 1, 1),
    ("macro f(a) = a; f(1)", "macros are out of scope", 1, 1),
    ("iter(v)", "'iter' is only allowed as the iterator of a for", 1, 1),
    ("zip(a, b)", "'zip' is only allowed", 1, 1),
    ("x ~ y", "unexpected character '~'", 1, 3),
    ("@(a b) x", "expected ':' after the annotation name", 1, 5),
    ("@(a: +) x", "expected an annotation value", 1, 6),
    ("cudf[1, i32](x)", "expected an identifier", 1, 6),
    ("for(zip(), b, x)", "at least one iterator", 1, 9),
    ("for(v, b)", "expected ',' after the builder of for", 1, 9),
    ("let a = 1;\nlet b = 2;\n  a +* b", "expected an expression but found '*'", 3, 6),
    ("|x|\n\n   (x + ]", "expected an expression but found ']'", 3, 9),
]


@pytest.mark.parametrize("text, message, line, column", SYNTAX_ERRORS)
def test_syntax_error(text, message, line, column):
    with pytest.raises(WeldSyntaxError, match=re.escape(message)) as info:
        parse(text)
    assert (info.value.lineno, info.value.offset) == (line, column)
    assert f"(line {line}, column {column})" in str(info.value)


def test_syntax_error_is_a_syntax_error():
    with pytest.raises(SyntaxError):
        parse("(")


def test_positions():
    node = parse("let a = 1;\n  |x: i32|\n    x + a")
    assert node.pos == (1, 1)
    assert node.value.pos == (1, 9)
    assert node.body.pos == (2, 3)
    assert node.body.body.pos == (3, 5)
    assert node.body.body.right.pos == (3, 9)
    assert parse("  -5").pos == (1, 3)
    assert parse("(|x: i32| x)(1.0)").pos == (1, 1)
    assert parse("(|x: i32| x)(1.0)").func.pos == (1, 2)
    assert parse("(a + b) * c").pos == (1, 1)
    assert parse("(a).$0: i32").pos == (1, 1)
    assert parse("x + (y)").right.pos == (1, 6)
    assert parse("@(a: b) x").pos == (1, 1)
    every = list(postorder(parse(WELD_PROGRAMS[1])))
    assert all(n.pos is not None for n in every)


TYPES = [
    ("i32", T.I32), ("bool", T.BOOL), ("u64", T.U64), ("f32", T.F32), ("?", None),
    ("vec[i8]", T.STRING), ("vec[?]", T.Vec(None)), ("dict[i64, vec[f64]]",
                                                     T.Dict(T.I64, T.Vec(T.F64))),
    ("{}", T.Struct(())), ("{i32, {f64, ?}}", T.Struct((T.I32, T.Struct((T.F64, None))))),
    ("appender[i32]", T.Appender(T.I32)), ("merger[f64, max]", T.Merger(T.F64, BuilderOp.MAX)),
    ("vecmerger[i32, *]", T.VecMerger(T.I32, BuilderOp.MUL)),
    ("dictmerger[i32, i64, min]", T.DictMerger(T.I32, T.I64, BuilderOp.MIN)),
    ("groupmerger[{i32, i32}, f64]", T.GroupMerger(T.Struct((T.I32, T.I32)), T.F64)),
    ("|i32, f64| bool", T.Function((T.I32, T.F64), T.BOOL)), ("|| i32", T.Function((), T.I32)),
]


@pytest.mark.parametrize("text, expected", TYPES)
def test_parse_type(text, expected):
    assert parse_type(text) == expected


def test_lambda_param_types():
    node = parse("|b: appender[i32], i: i64, e: {i32, vec[u8]}| b")
    assert [p.ty for p in node.params] == [
        T.Appender(T.I32), T.I64, T.Struct((T.I32, T.Vec(T.U8)))]


@pytest.mark.parametrize("index", range(len(WELD_PROGRAMS)))
def test_weld_program_parses(index):
    node = parse(WELD_PROGRAMS[index])
    assert isinstance(node, E.Lambda)


def test_weld_program_structure():
    node = parse(WELD_PROGRAMS[4])
    loop = node.body.value.builder
    assert loop.annotations == (("grain_size", "100"),)
    assert loop.builder == E.NewBuilder(T.DictMerger(T.I32, T.I32, BuilderOp.ADD),
                                        i64(100000000))
    assert len(loop.iters) == 2


def _loop(iters, builder, body, names=("b__0", "i__1", "x__2")):
    return E.Result(E.For(tuple(iters), builder, lam(names, body)))


APPENDER = E.NewBuilder(T.Appender(None))
B0, X2 = E.Ident("b__0"), E.Ident("x__2")
MACROS = [
    ("map(v, |e| e + 1)",
     _loop([scalar_iter(v)], APPENDER, E.Merge(B0, E.Let("e", X2, op(BinKind.ADD, e, lit(1)))))),
    ("map(zip(x, rangeiter(0L, 3L, 1L)), |e: {i32, i64}| e.$0)",
     _loop([scalar_iter(x), E.Iter(IterKind.RANGE, None, i64(0), i64(3), i64(1))], APPENDER,
           E.Merge(B0, E.Let("e", E.Ascribe(X2, T.Struct((T.I32, T.I64))), E.GetField(e, 0))))),
    ("map(v, f)", _loop([scalar_iter(v)], APPENDER, E.Merge(B0, E.Apply(E.Ident("f"), (X2,))))),
    ("filter(v, |e| e > 1)",
     _loop([scalar_iter(v)], APPENDER,
           E.If(E.Let("e", X2, op(BinKind.GT, e, lit(1))), E.Merge(B0, X2), B0))),
    ("sum(v)", _loop([scalar_iter(v)], E.NewBuilder(T.Merger(None, BuilderOp.ADD)),
                     E.Merge(B0, X2))),
    ("flatten(v)", _loop([scalar_iter(v)], APPENDER, E.For(
        (scalar_iter(X2),), B0,
        lam(("b__3", "i__4", "x__5"), E.Merge(E.Ident("b__3"), E.Ident("x__5")))))),
    ("let b__0 = 1; map(v, |e| b__0)", E.Let("b__0", lit(1), _loop(
        [scalar_iter(v)], APPENDER, E.Merge(E.Ident("b__1"), E.Let("e", E.Ident("x__3"),
                                                                    E.Ident("b__0"))),
        names=("b__1", "i__2", "x__3")))),
    ("map", E.Ident("map")),
    ("let map = 1; map + 1", E.Let("map", lit(1), op(BinKind.ADD, E.Ident("map"), lit(1)))),
]


@pytest.mark.parametrize("text, expected", MACROS, ids=[m[0] for m in MACROS])
def test_standard_macro(text, expected):
    assert parse(text) == expected


def test_macro_errors():
    with pytest.raises(WeldSyntaxError, match=r"expected ',' in map\(data, function\)"):
        parse("map(v)")
    with pytest.raises(WeldSyntaxError, match=r"expected '\)' closing sum"):
        parse("sum(v, 1)")


def test_long_let_chain_parses():
    n = 50_000
    text = "".join(f"let x{k} = x{k - 1} + {k}L;\n" for k in range(1, n)) + f"x{n - 1}"
    start = time.perf_counter()
    node = parse(text)
    assert time.perf_counter() - start < 20
    depth = 0
    while isinstance(node, E.Let):
        depth += 1
        node = node.body
    assert depth == n - 1 and node == E.Ident(f"x{n - 1}")


def test_long_operator_chain_parses():
    n = 20_000
    node = parse(" + ".join(["x"] * n))
    count = 0
    while isinstance(node, E.BinOp):
        assert node.right == x
        count += 1
        node = node.left
    assert count == n - 1


def test_deep_nesting_parses():
    depth = 10_000
    node = parse("(" * depth + "x" + " + 1)" * depth)
    for _ in range(depth):
        assert node.right == lit(1)
        node = node.left
    assert node == x
    deep_vec = parse("[" * depth + "]" * depth)
    assert isinstance(deep_vec, E.MakeVector)
    deep_neg = parse("-" * depth + "x")
    assert isinstance(deep_neg, E.UnaryOp)
