"""The interpreter's own machinery: the rule table covers every node class, deep trees
evaluate, the value model (compare, dictionary keys) and builder linearity."""

import inspect

import numpy as np
import pytest

from weldpy.backends.interp import RULES, evaluate
from weldpy.backends.interp.builders import new_builder
from weldpy.errors import WeldRuntimeError, WeldUnsupportedError
from weldpy.ir import exprs as E
from weldpy.ir import scalar_ops
from weldpy.ir import types as T
from weldpy.runtime.values import WeldDict, compare, normalize_key


def test_every_node_class_has_a_rule():
    classes = {c for _, c in inspect.getmembers(E, inspect.isclass)
               if issubclass(c, E.Expr) and c is not E.Expr}
    assert classes and classes <= set(RULES), classes - set(RULES)


def lit(v):
    return E.Literal(T.ScalarKind.I64, v).with_type(T.I64)


def ident(name):
    return E.Ident(name).with_type(T.I64)


def add(a, b):
    return E.BinOp(E.BinKind.ADD, a, b).with_type(T.I64)


def test_a_50000_deep_expression_evaluates():
    node = ident("x")
    for _ in range(50_000):
        node = add(node, lit(1))
    assert evaluate(node, {"x": np.int64(3)}) == 50_003


def test_a_long_let_chain_evaluates():
    n = 30_000
    body = ident(f"a{n}")
    for i in reversed(range(n)):
        body = E.Let(f"a{i + 1}", add(ident(f"a{i}"), lit(2)), body).with_type(T.I64)
    assert evaluate(body, {"a0": np.int64(1)}) == 1 + 2 * n


@pytest.mark.parametrize("a,b,want", [
    (np.float64(np.nan), np.float64(np.inf), 1), (np.float64(np.nan), np.float64(np.nan), 0),
    (np.float64(-0.0), np.float64(0.0), 0), (np.int8(-1), np.int8(1), -1),
    (np.bool_(True), np.bool_(False), 1), (np.uint64(2**64 - 1), np.uint64(0), 1),
    ((np.int32(1), np.float64(np.nan)), (np.int32(1), np.float64(2.0)), 1),
    (np.array([1, 2], np.int16), np.array([1, 2, 0], np.int16), -1),
    (np.array([-1], np.int8), np.array([1], np.int8), 1),  # 0xff > 0x01
    (np.array([np.nan, 1.0]), np.array([np.nan, 2.0]), -1),
    ([np.array([1], np.int8)], [np.array([1], np.int8), np.array([], np.int8)], -1),
])
def test_compare(a, b, want):
    assert compare(a, b) == want and compare(b, a) == -want
    assert type(compare(a, b)) is np.int32


def test_dictionary_keys_equal_under_compare_are_one_key():
    d = WeldDict()
    d.put(np.float64(-0.0), 1)
    d.put(np.float64(0.0), 2)
    d.put(np.float64(np.nan), 3)
    d.put(np.float64(-np.nan), 4)
    d.put(np.array([np.nan, -0.0]), 5)
    assert len(d) == 3
    assert np.signbit(d.items()[0][0]) and d.lookup(np.float64(0.0)) == 2
    assert d.lookup(np.float64(np.nan)) == 4
    assert d.lookup(np.array([np.nan, 0.0])) == 5
    assert normalize_key((np.int32(1), np.array([1], np.int8))) == (1, (1,))


def test_builder_values_are_linear():
    b = new_builder(T.Appender(T.I32))
    b2 = b.merge(np.int32(1))
    with pytest.raises(WeldRuntimeError, match="linear"):
        b.merge(np.int32(2))
    np.testing.assert_array_equal(b2.result(), [1])
    with pytest.raises(WeldRuntimeError, match="linear"):
        b2.result()


def test_unsupported_scalar_operations_name_operator_and_type():
    with pytest.raises(WeldUnsupportedError, match="'<<' is not defined on f64"):
        scalar_ops.binary(E.BinKind.SHL, np.float64(1), np.float64(1), T.ScalarKind.F64)
    with pytest.raises(WeldUnsupportedError, match="'exp' is not defined on i32"):
        scalar_ops.unary(E.UnaryKind.EXP, np.int32(1), T.ScalarKind.I32)


@pytest.mark.parametrize("op,a,b,want", [
    ("==", [1.0, 2.0], [1.0, 2.0], True), ("==", [np.nan], [np.nan], False),
    ("==", [-0.0], [0.0], True), ("==", [1.0], [1.0, 2.0], False),
    ("!=", [1.0], [1.0, 2.0], True), ("<", [1.0], [1.0, 2.0], True),
    ("<=", [3.0], [1.0, 2.0], False), (">", [np.nan], [np.inf], True),
    (">=", [], [], True),
])
def test_comparisons_of_vectors(op, a, b, want):
    vec = T.Vec(T.F64)
    node = E.BinOp(E.BinKind(op), E.Ident("a").with_type(vec),
                   E.Ident("b").with_type(vec)).with_type(T.BOOL)
    got = evaluate(node, {"a": np.array(a), "b": np.array(b)})
    assert type(got) is np.bool_ and got == want


def test_comparisons_of_structs_and_strings():
    st = T.Struct((T.F64, T.STRING))
    a = (np.float64(3.0), np.frombuffer(b"\xff", np.int8))
    b = (np.float64(3.0), np.frombuffer(b"a", np.int8))
    for op, want in (("<", False), (">", True), ("==", False), ("!=", True)):
        node = E.BinOp(E.BinKind(op), E.Ident("a").with_type(st),
                       E.Ident("b").with_type(st)).with_type(T.BOOL)
        assert evaluate(node, {"a": a, "b": b}) == want
