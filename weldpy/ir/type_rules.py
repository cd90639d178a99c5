"""The local typing rules: one function per node class, from the children's types to the
node's type, checking the construct on the way (IR.md's type system).

``RULES[cls](node, kid_types) -> Type``; ``kid_types`` are in ``traverse.children`` order.
Identifiers are typed by the scope (in ``typecheck``), not here.
"""

from __future__ import annotations

from typing import NoReturn

from weldpy.errors import WeldTypeError, position_suffix
from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.ir.exprs import BinKind as B
from weldpy.ir.exprs import UnaryKind as U


def fail(node: E.Node, message: str) -> NoReturn:
    raise WeldTypeError(message + position_suffix(node.pos))


def _name(t) -> str:
    return str(t)


def _is_scalar(t) -> bool:
    return isinstance(t, T.Scalar)


def _is_numeric(t) -> bool:
    return isinstance(t, T.Scalar) and t.kind is not T.ScalarKind.BOOL


def _is_float(t) -> bool:
    return isinstance(t, T.Scalar) and t.kind.is_float


def _is_int(t) -> bool:
    return isinstance(t, T.Scalar) and t.kind.is_int


def is_value_type(t) -> bool:
    """A type a vector can hold: anything without builders or functions inside."""
    if isinstance(t, (T.BuilderType, T.Function)):
        return False
    return all(is_value_type(c) for c in T.components(t))


def is_key_type(t) -> bool:
    """A type usable as a dictionary key: scalars, and vectors and structs of key types."""
    if isinstance(t, T.Scalar):
        return True
    if isinstance(t, (T.Vec, T.Struct)):
        return all(is_key_type(c) for c in T.components(t))
    return False


def is_mergeable(t, op: T.BuilderOp) -> bool:
    """A type a merger combines with ``op``: a scalar, or a struct of scalars (fieldwise);
    ``+`` and ``*`` need numbers, ``min``/``max`` accept bool too."""
    if isinstance(t, T.Struct):
        return bool(t.fields) and all(is_mergeable(f, op) for f in t.fields)
    if op in (T.BuilderOp.ADD, T.BuilderOp.MUL):
        return _is_numeric(t)
    return _is_scalar(t)


def is_builder_struct(t) -> bool:
    """A builder, or a (nested) struct of builders: what a for loop may build into."""
    if isinstance(t, T.BuilderType):
        return True
    return isinstance(t, T.Struct) and bool(t.fields) and all(
        is_builder_struct(f) for f in t.fields)


def _unary(node, kids):
    (t,) = kids
    op = node.op
    if op is U.NOT:
        ok, want = t == T.BOOL, "bool"
    elif op in (U.NEG, U.ABS, U.SIGN):
        ok, want = _is_numeric(t), "a number"
    else:
        ok, want = _is_float(t), "f32 or f64"
    if not ok:
        fail(node, f"{op.value}() needs {want}, got {_name(t)}")
    return T.BOOL if op in (U.ISNAN, U.ISINF, U.ISFINITE) else t


_BIN_NEEDS = {
    B.ADD: (_is_numeric, "numbers"), B.SUB: (_is_numeric, "numbers"),
    B.MUL: (_is_numeric, "numbers"), B.DIV: (_is_numeric, "numbers"),
    B.MOD: (_is_numeric, "numbers"),
    B.LAND: (lambda t: t == T.BOOL, "bools"), B.LOR: (lambda t: t == T.BOOL, "bools"),
    B.BAND: (lambda t: _is_int(t) or t == T.BOOL, "integers or bools"),
    B.BOR: (lambda t: _is_int(t) or t == T.BOOL, "integers or bools"),
    B.XOR: (lambda t: _is_int(t) or t == T.BOOL, "integers or bools"),
    B.SHL: (_is_int, "integers"), B.SHR: (_is_int, "integers"),
    B.MIN: (_is_scalar, "scalars"), B.MAX: (_is_scalar, "scalars"),
    B.POW: (_is_float, "floats"), B.ATAN2: (_is_float, "floats"),
    B.HYPOT: (_is_float, "floats"),
    B.COMPARE: (is_value_type, "comparable values"),
    # on vectors and structs, comparisons mean compare(a, b) OP 0 (Weld's lexicographic order)
    **{k: (is_value_type, "comparable values") for k in E.COMPARISON_BINKINDS},
}


def _binop(node, kids):
    left, right = kids
    test, want = _BIN_NEEDS[node.op]
    if left != right:
        fail(node, f"operands of {node.op.value} have different types: "
                   f"{_name(left)} and {_name(right)}")
    if not test(left):
        fail(node, f"{node.op.value} needs {want}, got {_name(left)}")
    if node.op in E.COMPARISON_BINKINDS or node.op in (B.LAND, B.LOR):
        return T.BOOL
    return T.I32 if node.op is B.COMPARE else left


def _cast(node, kids):
    if not _is_scalar(kids[0]):
        fail(node, f"cannot cast {_name(kids[0])} to {node.kind.value}: casts take scalars")
    return T.Scalar(node.kind)


def _branches(node, kids):
    cond, on_true, on_false = kids
    what = type(node).__name__.lower()
    if cond != T.BOOL:
        fail(node, f"{what} condition must be bool, got {_name(cond)}")
    if on_true != on_false:
        fail(node, f"{what} branches have different types: {_name(on_true)} and "
                   f"{_name(on_false)}")
    if what == "select" and not is_value_type(on_true):
        fail(node, f"select evaluates both branches; it cannot choose {_name(on_true)}")
    return on_true


def _get_field(node, kids):
    (st,) = kids
    if not isinstance(st, T.Struct):
        fail(node, f"field access .${node.index} on {_name(st)}, which is not a struct")
    if not 0 <= node.index < len(st.fields):
        fail(node, f"field .${node.index} out of range for {_name(st)}")
    return st.fields[node.index]


def _make_vector(node, kids):
    elem = kids[0] if kids else node.elem_type
    for k in kids:
        if k != elem:
            fail(node, f"vector literal elements have different types: {_name(elem)} and "
                       f"{_name(k)}")
    if not is_value_type(elem):
        fail(node, f"a vector cannot hold {_name(elem)}")
    return T.Vec(elem)


def _length(node, kids):
    if not isinstance(kids[0], (T.Vec, T.Dict)):
        fail(node, f"len() needs a vector or dictionary, got {_name(kids[0])}")
    return T.I64


def _dict_key(node, data, key, what):
    if not isinstance(data, T.Dict):
        fail(node, f"{what} needs a dictionary, got {_name(data)}")
    if key != data.key:
        fail(node, f"{what} key has type {_name(key)}, the dictionary's keys are "
                   f"{_name(data.key)}")


def _lookup(node, kids):
    data, index = kids
    if isinstance(data, T.Vec):
        if index != T.I64:
            fail(node, f"lookup index must be i64, got {_name(index)}")
        return data.elem
    _dict_key(node, data, index, "lookup")
    return data.value


def _optlookup(node, kids):
    _dict_key(node, kids[0], kids[1], "optlookup")
    return T.Struct((T.BOOL, kids[0].value))


def _keyexists(node, kids):
    _dict_key(node, kids[0], kids[1], "keyexists")
    return T.BOOL


def _slice(node, kids):
    data, start, size = kids
    if not isinstance(data, T.Vec):
        fail(node, f"slice needs a vector, got {_name(data)}")
    if start != T.I64 or size != T.I64:
        fail(node, f"slice start and size must be i64, got {_name(start)}, {_name(size)}")
    return data


def _function(node, fn, params, result, what):
    want = T.Function(tuple(params), result)
    if fn != want:
        fail(node, f"{what} must be a function {_name(want)}, got {_name(fn)}")


def _sort(node, kids):
    data, cmp = kids
    if not isinstance(data, T.Vec):
        fail(node, f"sort needs a vector, got {_name(data)}")
    _function(node, cmp, (data.elem, data.elem), T.I32, "sort comparator")
    return data


def _tovec(node, kids):
    if not isinstance(kids[0], T.Dict):
        fail(node, f"tovec needs a dictionary, got {_name(kids[0])}")
    return T.Vec(T.Struct((kids[0].key, kids[0].value)))


def _apply(node, kids):
    fn, args = kids[0], kids[1:]
    if not isinstance(fn, T.Function):
        fail(node, f"cannot call a value of type {_name(fn)}")
    _function(node, fn, args, fn.result, "the called value")
    return fn.result


def _iter(node, kids):
    bounds = kids if node.kind is E.IterKind.RANGE else kids[1:]
    for b in bounds:
        if b != T.I64:
            fail(node, f"{node.kind.value} bounds and stride must be i64, got {_name(b)}")
    if node.kind is E.IterKind.RANGE:
        return T.I64
    if not isinstance(kids[0], T.Vec):
        fail(node, f"for iterates over vectors, got {_name(kids[0])}")
    if len(bounds) not in (0, 3):
        fail(node, "iter(v, start, end, stride) needs all three bounds")
    return kids[0].elem


def _for(node, kids):
    n = len(node.iters)
    elems, builder, func = kids[:n], kids[n], kids[n + 1]
    if not is_builder_struct(builder):
        fail(node, f"for needs a builder or a struct of builders, got {_name(builder)}")
    elem = elems[0] if n == 1 else T.Struct(tuple(elems))
    _function(node, func, (builder, T.I64, elem), builder, "for's body")
    return builder


def _merge(node, kids):
    builder, value = kids
    if not isinstance(builder, T.BuilderType):
        fail(node, f"merge needs a builder, got {_name(builder)}")
    if value != builder.merge_type:
        fail(node, f"merge into {_name(builder)} needs {_name(builder.merge_type)}, "
                   f"got {_name(value)}")
    return builder


def _result(node, kids):
    (builder,) = kids
    if not isinstance(builder, T.BuilderType):
        extra = " (take result of each field)" if is_builder_struct(builder) else ""
        fail(node, f"result needs a builder, got {_name(builder)}{extra}")
    return builder.result_type


def _builder_arg(ty):
    """What a builder's optional argument must be."""
    if isinstance(ty, T.Merger):
        return ty.elem, "initial value"
    if isinstance(ty, T.VecMerger):
        return T.Vec(ty.elem), "vector"
    return T.I64, "size hint"


def _new_builder(node, kids):
    ty = node.type_
    _check_builder_type(node, ty)
    if isinstance(ty, T.VecMerger) and not kids:
        fail(node, "vecmerger needs the vector it merges into: vecmerger[T, op](v)")
    if kids:
        want, what = _builder_arg(ty)
        if kids[0] != want:
            fail(node, f"{_name(ty)} {what} must be {_name(want)}, got {_name(kids[0])}")
    return ty


def _check_builder_type(node, ty):
    if isinstance(ty, (T.Merger, T.VecMerger)) and not is_mergeable(ty.elem, ty.op):
        fail(node, f"{_name(ty)}: cannot merge {_name(ty.elem)} with {ty.op.value}")
    if isinstance(ty, T.DictMerger) and not is_mergeable(ty.value, ty.op):
        fail(node, f"{_name(ty)}: cannot merge values {_name(ty.value)} with {ty.op.value}")
    if isinstance(ty, (T.DictMerger, T.GroupMerger)) and not is_key_type(ty.key):
        fail(node, f"{_name(ty)}: {_name(ty.key)} cannot be a dictionary key")
    if isinstance(ty, (T.Appender, T.GroupMerger)):
        elem = ty.elem if isinstance(ty, T.Appender) else ty.value
        if not is_value_type(elem):
            fail(node, f"{_name(ty)}: cannot collect {_name(elem)}")


def _iterate(node, kids):
    init, update = kids
    _function(node, update, (init,), T.Struct((init, T.BOOL)), "iterate's update")
    return init


def _ascribe(node, kids):
    if kids[0] != node.type_:
        fail(node, f"expression has type {_name(kids[0])}, annotated as {_name(node.type_)}")
    return node.type_


def _assert(node, kids):
    if kids[0] != T.BOOL:
        fail(node, f"assert needs bool, got {_name(kids[0])}")
    return T.BOOL


def _struct(node, kids):
    return T.Struct(tuple(kids))


def _lambda(node, kids):
    return T.Function(tuple(p.ty for p in node.params), kids[0])


def _let(node, kids):
    return kids[1]


RULES = {
    E.Literal: lambda n, k: T.Scalar(n.kind),
    E.StringLit: lambda n, k: T.STRING,
    E.Lambda: _lambda,
    E.Let: _let,
    E.Ascribe: _ascribe,
    E.If: _branches,
    E.Select: _branches,
    E.UnaryOp: _unary,
    E.BinOp: _binop,
    E.Cast: _cast,
    E.MakeStruct: _struct,
    E.GetField: _get_field,
    E.MakeVector: _make_vector,
    E.Length: _length,
    E.Lookup: _lookup,
    E.OptLookup: _optlookup,
    E.KeyExists: _keyexists,
    E.Slice: _slice,
    E.Sort: _sort,
    E.ToVec: _tovec,
    E.Apply: _apply,
    E.Iter: _iter,
    E.For: _for,
    E.Merge: _merge,
    E.Result: _result,
    E.NewBuilder: _new_builder,
    E.Iterate: _iterate,
    E.CUDF: lambda n, k: n.return_type,
    E.Assert: _assert,
}
