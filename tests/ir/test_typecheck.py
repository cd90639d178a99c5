"""The type checker: inferred holes, the type of every construct, and every class of error
with its position."""

import pytest

from weldpy.errors import WeldTypeError
from weldpy.ir import exprs as E
from weldpy.ir import parse, parse_type, pretty, typecheck
from weldpy.ir import types as T
from weldpy.ir.traverse import postorder


def type_of(text, **env):
    return typecheck(parse(text), {k: parse_type(v) for k, v in env.items()}).ty


WELL_TYPED = [
    ("1", "i32"), ("1L", "i64"), ("1.5F", "f32"), ("true", "bool"), ('"héllo"', "vec[i8]"),
    ("255ub", "u8"), ("-3si", "i16"), ("nan", "f64"),
    ("let a = 2L; a * a", "i64"),
    ("if(true, 1.0, 2.0)", "f64"),
    ("select(1 < 2, 3u, 4u)", "u32"),
    ("exp(1.0F)", "f32"), ("isnan(1.0)", "bool"), ("abs(-3)", "i32"), ("sign(-2.0)", "f64"),
    ("!(1 > 2)", "bool"), ("-(4L)", "i64"),
    ("1 << 3", "i32"), ("min(1.0, nan)", "f64"), ("pow(2.0, 3.0)", "f64"),
    ("atan2(1.0F, 2.0F)", "f32"), ("hypot(3.0, 4.0)", "f64"),
    ("compare([1, 2], [1, 3])", "i32"), ('compare({1, "a"}, {1, "b"})', "i32"),
    ("f64(3)", "f64"), ("bool(0ul)", "bool"),
    ("{1, 2.0, true}", "{i32, f64, bool}"), ("{1, {2L, 3}}.$1.$0", "i64"),
    ("[1L, 2L]", "vec[i64]"), ("[]: vec[f32]", "vec[f32]"), ("len([1, 2])", "i64"),
    ("lookup([1.0, 2.0], 1L)", "f64"), ("slice([1, 2, 3], 1L, 5L)", "vec[i32]"),
    ("sort([3, 1], |a, b| compare(a, b))", "vec[i32]"),
    ("(|x: i32, y: i32| x + y)(1, 2)", "i32"),
    ("let f = |x: f64| x * 2.0; f(1.5)", "f64"),
    ("iterate(0L, |i| {i + 1L, i < 10L})", "i64"),
    ("assert(1 == 1)", "bool"),
    ("cudf[myfn, f64](1.0, 2)", "f64"),
    ("result(for([1, 2], appender, |b, i, e| merge(b, e)))", "vec[i32]"),
    ("result(for([1, 2], appender[i64](2L), |b, i, e| merge(b, i)))", "vec[i64]"),
    ("result(for([1.0], merger[f64, +], |b, i, e| merge(b, e)))", "f64"),
    ("result(for([1.0], merger[f64, max](0.0), |b, i, e| merge(b, e)))", "f64"),
    ("result(for([1], merger[{i32, i64}, +], |b, i, e| merge(b, {e, i})))", "{i32, i64}"),
    ("result(for([1], vecmerger[i32, +]([0, 0]), |b, i, e| merge(b, {i, e})))", "vec[i32]"),
    ("result(for([1], dictmerger[i32, f64, +], |b, i, e| merge(b, {e, 1.0})))",
     "dict[i32, f64]"),
    ('result(for(["a"], groupmerger[vec[i8], i64], |b, i, e| merge(b, {e, i})))',
     "dict[vec[i8], vec[i64]]"),
    ("for(zip([1], [2.0]), appender, |b, i, e| merge(b, e.$1))", "appender[f64]"),
    ("for(iter([1, 2, 3], 0L, 3L, 2L), appender, |b, i, e| merge(b, e))", "appender[i32]"),
    ("result(for(rangeiter(0L, 10L, 2L), merger[i64, +], |b, i, e| merge(b, e)))", "i64"),
    ("let r = for([1], {appender[i32], merger[i32, +]}, |b, i, e| "
     "{merge(b.$0, e), merge(b.$1, e)}); {result(r.$0), result(r.$1)}", "{vec[i32], i32}"),
    ("let d = result(for([1], dictmerger[i32, i32, +], |b, i, e| merge(b, {e, e}))); "
     "{lookup(d, 1), optlookup(d, 2), keyexists(d, 3), len(d), tovec(d)}",
     "{i32, {bool, i32}, bool, i64, vec[{i32, i32}]}"),
    ("result(for([[1], [2, 3]], appender, |b, i, e| "
     "merge(b, result(for(e, merger[i32, +], |c, j, f| merge(c, f))))))", "vec[i32]"),
    ("@(predicate: true) if(true, 1, 2)", "i32"),
    ("let x: vec[i32] = []; len(x)", "i64"),
]


@pytest.mark.parametrize("text,expected", WELL_TYPED)
def test_types_of_constructs(text, expected):
    assert type_of(text) == parse_type(expected)


def test_free_names_take_env_types():
    assert type_of("x + 1L", x="i64") == T.I64
    assert type_of("lookup(d, k)", d="dict[vec[i8], f64]", k="vec[i8]") == T.F64


def test_every_node_is_typed_and_holes_are_filled():
    typed = typecheck(parse("|x: vec[f32]| let e = []: vec[f32]; "
                            "result(for(x, appender, |b, i, v| merge(b, v)))"))
    for node in postorder(typed):
        assert node.ty is not None and T.is_complete(node.ty), node
        if isinstance(node, E.NewBuilder):
            assert node.type_ == T.Appender(T.F32)
        if isinstance(node, E.Lambda):
            assert all(p.ty is not None for p in node.params)


def test_checking_is_idempotent_and_prints_reparsably():
    text = ("|x: vec[i32]| let r = for(x, {appender, merger[i32, min]}, |b, i, e| "
            "{merge(b.$0, e), merge(b.$1, e)}); {result(r.$0), result(r.$1)}")
    once = typecheck(parse(text))
    twice = typecheck(once)
    assert once == twice and once.ty == twice.ty
    again = typecheck(parse(pretty(once)))
    assert again == once and again.ty == once.ty


def test_input_tree_is_not_mutated():
    tree = parse("|x: i32| x + 1")
    typecheck(tree)
    assert all(n.ty is None for n in postorder(tree))


def test_shadowing_gives_the_inner_type():
    assert type_of("let x = 1; let y = x; let x = 2.0; {x, y}") == parse_type("{f64, i32}")


def test_a_long_chain_of_lets_typechecks():
    text = "|x: i64| " + "".join(f"let x = x + {i}L;\n" for i in range(20_000)) + "x"
    typed = typecheck(parse(text))
    assert typed.ty == T.Function((T.I64,), T.I64)


ERRORS = [
    ("y + 1", "unknown identifier 'y'", (1, 1)),
    ("1 + 1.0", "operands of \\+ have different types: i32 and f64", (1, 1)),
    ("let a = 1;\n  a + 2L", "different types: i32 and i64", (2, 3)),
    ("exp(1)", "exp\\(\\) needs f32 or f64, got i32", (1, 1)),
    ("true + true", "\\+ needs numbers, got bool", (1, 1)),
    ("1 && 2", "&& needs bools", (1, 1)),
    ("1.0 << 2.0", "<< needs integers", (1, 1)),
    ("if(1, 2, 3)", "if condition must be bool", (1, 1)),
    ("if(true, 2, 3L)", "if branches have different types", (1, 1)),
    ("{1, 2}.$2", "field .\\$2 out of range", (1, 1)),
    ("[1, 2L]", "vector literal elements have different types", (1, 1)),
    ("lookup([1], 0)", "lookup index must be i64", (1, 1)),
    ("len(3)", "len\\(\\) needs a vector or dictionary", (1, 1)),
    ("result(1)", "result needs a builder, got i32", (1, 1)),
    ("for(3, appender[i32], |b, i, e| b)", "for iterates over vectors", (1, 5)),
    ("for([1], 3, |b, i, e| b)", "for needs a builder", (1, 1)),
    ("result(for([1], appender[f64], |b, i, e| merge(b, e)))",
     "merge into appender\\[f64\\] needs f64, got i32", (1, 42)),
    ("for([1], appender[i32], |b, i, e| {merge(b, e), merge(b, e)})",
     "for's body must be a function", (1, 1)),
    ("let b = appender[i32]; let c = merge(b, 1); merge(b, 2)",
     "builder 'b' is used more than once", (1, 51)),
    ("let r = for([1], {appender[i32], merger[i32, +]}, |b, i, e| "
     "{merge(b.$0, e), merge(b.$1, e)}); {result(r.$0), for([1], r, |b, i, e| b)}",
     "builder 'r' is used more than once", (1, 120)),
    ("let r = for([1], {appender[i32], merger[i32, +]}, |b, i, e| "
     "{merge(b.$0, e), merge(b.$1, e)}); result(r)", "take result of each field", (1, 96)),
    ("result(appender)", "cannot infer the type of builder appender", (1, 8)),
    ("[]", "cannot infer the element type of an empty vector", (1, 1)),
    ("|x| x", "cannot infer the type of lambda parameter 'x'", (1, 1)),
    ("merger[bool, +]", "cannot merge bool with \\+", (1, 1)),
    ("dictmerger[appender[i32], i32, +]", "cannot be a dictionary key", (1, 1)),
    ("vecmerger[i32, +]", "vecmerger needs the vector", (1, 1)),
    ("merger[i32, +](1L)", "initial value must be i32", (1, 1)),
    ("sort([1.0], |a, b| a)", "sort comparator must be a function", (1, 1)),
    ("iterate(1, |x| x + 1)", "iterate's update must be a function", (1, 1)),
    ("(1: i64)", "expression has type i32, annotated as i64", (1, 2)),
    ("assert(1)", "assert needs bool", (1, 1)),
    ("select(true, appender[i32], appender[i32])", "select evaluates both branches", (1, 1)),
    ("compare(appender[i32], appender[i32])", "compare needs comparable values", (1, 1)),
    ("keyexists([1], 1)", "keyexists needs a dictionary", (1, 1)),
    ("(|x: i32| x)(1.0)", "the called value must be a function", (1, 1)),
    ("i32({1, 2})", "casts take scalars", (1, 1)),
]


@pytest.mark.parametrize("text,message,pos", ERRORS)
def test_type_errors_name_the_problem_and_position(text, message, pos):
    with pytest.raises(WeldTypeError, match=message) as info:
        typecheck(parse(text))
    assert f"line {pos[0]}, column {pos[1]}" in str(info.value)
    assert isinstance(info.value, TypeError)


def test_builder_used_in_both_branches_of_an_if_is_linear():
    text = "|c: bool| let b = appender[i32]; result(if(c, merge(b, 1), merge(b, 2)))"
    assert typecheck(parse(text)).ty == T.Function((T.BOOL,), T.Vec(T.I32))


def test_plain_fields_of_a_struct_holding_a_builder_are_not_uses_of_it():
    """An ``iterate`` carrying a counter and an appender reads the counter as often as it
    likes; the appender is still used once per path (and twice is an error)."""
    scan = ("|x: vec[i64]| result(iterate({0L, appender[i64]}, |s| if(s.$0 < len(x), "
            "{{s.$0 + 1L, merge(s.$1, lookup(x, s.$0) + s.$0)}, true}, {s, false})).$1)")
    assert typecheck(parse(scan)).ty == T.Function((T.Vec(T.I64),), T.Vec(T.I64))
    twice = "let s = {1L, appender[i64]}; {s.$0, merge(s.$1, 1L), result(s.$1)}"
    with pytest.raises(WeldTypeError, match="builder 's.\\$1' is used more than once"):
        typecheck(parse(twice))
