"""The productions of the program generator: for a wanted type, the constructs that yield it.

``PRODUCTIONS`` is a table of (construct name, weight, applies(ty, ctx), build(draw, ty,
ctx)). Construct names are what ``programs(exclude=...)`` leaves out; ``var`` and ``literal``
are the leaves, the only ones used once the depth budget is spent. Every build is total:
integer ``/`` and ``%`` are guarded against zero, shifts are masked, lookups are guarded by
``len`` or ``keyexists``, ``iterate`` counts to a small bound.
"""

from __future__ import annotations

from hypothesis import strategies as st

from tests import gen_values as V
from tests.gen_exprs import (
    build,
    builder_kinds,
    choose,
    gen,
    i64,
    key_const,
    leaf,
    lets,
    nonneg_index,
    paths,
    pick_type,
    spec_for,
)
from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.ir.exprs import BinKind as B
from weldpy.ir.exprs import UnaryKind as U
from weldpy.ir.types import ScalarKind as K

FLOAT_UNARY = tuple(u for u in U if u not in (U.NOT, U.ISNAN, U.ISINF, U.ISFINITE))
INT_UNARY = (U.NEG, U.ABS, U.SIGN)
PREDICATES = (U.ISNAN, U.ISINF, U.ISFINITE)
FLOAT_BINARY = (B.ADD, B.SUB, B.MUL, B.DIV, B.MOD, B.MIN, B.MAX, B.POW, B.ATAN2, B.HYPOT)
INT_BINARY = (B.ADD, B.SUB, B.MUL, B.DIV, B.MOD, B.MIN, B.MAX, B.BAND, B.BOR, B.XOR,
              B.SHL, B.SHR)
BOOL_BINARY = (B.LAND, B.LOR, B.BAND, B.BOR, B.XOR, B.MIN, B.MAX)
COMPARISONS = (B.EQ, B.NE, B.LT, B.LE, B.GT, B.GE)


def _deep(ctx):
    return ctx.deeper()


# ---- any type ---------------------------------------------------------------------------

def _var(draw, ty, ctx):
    return draw(st.sampled_from([e for e, t in paths(ctx) if t == ty]))


def _has_var(ty, ctx):
    return any(t == ty for _, t in paths(ctx))


def _let(draw, ty, ctx):
    role = "results" if draw(st.integers(0, 3)) == 3 else "any"
    vty = pick_type(draw, ctx, role)
    name = ctx.fresh("x")
    value = gen(draw, vty, _deep(ctx))
    return E.Let(name, value, gen(draw, ty, _deep(ctx).bind(name, vty)))


def _if(draw, ty, ctx):
    sub = _deep(ctx)
    return E.If(gen(draw, T.BOOL, sub), gen(draw, ty, sub), gen(draw, ty, sub))


def _select(draw, ty, ctx):
    sub = _deep(ctx)
    return E.Select(gen(draw, T.BOOL, sub), gen(draw, ty, sub), gen(draw, ty, sub))


def _get_field(draw, ty, ctx):
    other = pick_type(draw, ctx, "field")
    index = draw(st.integers(0, 1))
    fields = (ty, other) if index == 0 else (other, ty)
    return E.GetField(gen(draw, T.Struct(fields), _deep(ctx)), index)


def _lookup(draw, ty, ctx):
    """``lookup(v, c)`` guarded by ``c < len(v)``, or ``lookup(v, c % len(v))`` guarded by
    ``len(v) > 0``."""
    sub = _deep(ctx)
    v = ctx.fresh("v")
    vec = gen(draw, T.Vec(ty), sub)
    index, size = nonneg_index(draw, sub), E.Length(E.Ident(v))
    if draw(st.booleans()):
        guard, at = E.BinOp(B.LT, index, size), index
    else:
        guard, at = E.BinOp(B.GT, size, i64(0)), E.BinOp(B.MOD, index, size)
    body = E.If(guard, E.Lookup(E.Ident(v), at), gen(draw, ty, sub.bind(v, T.Vec(ty))))
    return E.Let(v, vec, body)


def _dict_lookup(draw, ty, ctx):
    """A dictionary read guarded by ``keyexists``, or through ``optlookup``."""
    sub = _deep(ctx)
    keys = [t.key for _, t in paths(ctx) if isinstance(t, T.Dict) and t.value == ty]
    kty = draw(st.sampled_from(keys)) if keys and draw(st.booleans()) else pick_type(
        draw, ctx, "key")
    d, k = ctx.fresh("d"), ctx.fresh("k")
    dct = gen(draw, T.Dict(kty, ty), sub)
    key = key_const(draw, kty) if draw(st.booleans()) else gen(draw, kty, sub)
    default = gen(draw, ty, sub)
    if draw(st.booleans()):
        found = E.KeyExists(E.Ident(d), E.Ident(k))
        return lets([(d, dct), (k, key)],
                    E.If(found, E.Lookup(E.Ident(d), E.Ident(k)), default))
    got = E.Ident(k)
    return E.Let(k, E.OptLookup(dct, key),
                 E.If(E.GetField(got, 0), E.GetField(got, 1), default))


def _iterate(draw, ty, ctx):
    """``iterate({x, 0L}, |s| {{f(s), s.$1 + 1L}, s.$1 + 1L < n}).$0`` with n in 1..3."""
    sub = _deep(ctx)
    s = ctx.fresh("s")
    state = T.Struct((ty, T.I64))
    count = E.BinOp(B.ADD, E.GetField(E.Ident(s), 1), i64(1))
    nxt = gen(draw, ty, sub.in_loop().bind(s, state))
    body = E.MakeStruct((E.MakeStruct((nxt, count)),
                         E.BinOp(B.LT, count, i64(draw(st.integers(1, 3))))))
    update = E.Lambda((E.Param(s, state),), body)
    return E.GetField(E.Iterate(E.MakeStruct((gen(draw, ty, sub), i64(0))), update), 0)


# ---- scalars ----------------------------------------------------------------------------

def _unary_ops(ty):
    if ty.kind.is_float:
        return FLOAT_UNARY
    return (U.NOT,) if ty.kind is K.BOOL else INT_UNARY


def _unary(draw, ty, ctx):
    return E.UnaryOp(draw(st.sampled_from(_unary_ops(ty))), gen(draw, ty, _deep(ctx)))


def _binop(draw, ty, ctx):
    kind = ty.kind
    ops = FLOAT_BINARY if kind.is_float else BOOL_BINARY if kind is K.BOOL else INT_BINARY
    op = draw(st.sampled_from(ops))
    sub = _deep(ctx)
    if kind.is_int and op in (B.DIV, B.MOD):
        return _guarded_division(draw, op, ty, sub)
    left, right = gen(draw, ty, sub), gen(draw, ty, sub)
    if op in (B.SHL, B.SHR):
        # Counts 0 .. 2*bits-1: in range and past the width (defined: 0 or -1).
        right = E.BinOp(B.BAND, right, E.Literal(kind, 2 * kind.bits - 1))
    return E.BinOp(op, left, right)


def _guarded_division(draw, op, ty, ctx):
    """``let d = ..; if(d == 0, alt, x / d)`` or ``x / select(d == 0, 1, d)``."""
    d = ctx.fresh("d")
    inner = ctx.bind(d, ty)
    zero = E.BinOp(B.EQ, E.Ident(d), E.Literal(ty.kind, 0))
    x = gen(draw, ty, inner)
    if draw(st.booleans()):
        body = E.If(zero, gen(draw, ty, inner), E.BinOp(op, x, E.Ident(d)))
    else:
        body = E.BinOp(op, x, E.Select(zero, E.Literal(ty.kind, 1), E.Ident(d)))
    return E.Let(d, gen(draw, ty, ctx), body)


def _comparison(draw, ty, ctx):
    operand = pick_type(draw, ctx, "scalar")
    sub = _deep(ctx)
    op = draw(st.sampled_from(COMPARISONS))
    return E.BinOp(op, gen(draw, operand, sub), gen(draw, operand, sub))


def _predicate(draw, ty, ctx):
    kind = V.draw_kind(draw, ctx.opts, lambda k: k.is_float, K.F64)
    return E.UnaryOp(draw(st.sampled_from(PREDICATES)), gen(draw, T.Scalar(kind), _deep(ctx)))


def _compare(draw, ty, ctx):
    operand = pick_type(draw, ctx, draw(st.sampled_from(["scalar", "elem", "field"])))
    sub = _deep(ctx)
    return E.BinOp(B.COMPARE, gen(draw, operand, sub), gen(draw, operand, sub))


def _cast(draw, ty, ctx):
    source = pick_type(draw, ctx, "scalar")
    return E.Cast(ty.kind, gen(draw, source, _deep(ctx)))


def _length(draw, ty, ctx):
    if ctx.allows("dict") and draw(st.integers(0, 3)) == 3:
        return E.Length(gen(draw, pick_type(draw, ctx, "dict"), _deep(ctx)))
    return E.Length(gen(draw, T.Vec(pick_type(draw, ctx, "elem")), _deep(ctx)))


def _keyexists(draw, ty, ctx):
    dty = pick_type(draw, ctx, "dict")
    sub = _deep(ctx)
    key = key_const(draw, dty.key) if draw(st.booleans()) else gen(draw, dty.key, sub)
    return E.KeyExists(gen(draw, dty, sub), key)


# ---- builders ---------------------------------------------------------------------------

def _builder(kind):
    def build_one(draw, ty, ctx):
        return build(draw, [spec_for(draw, ty, ctx, kind)], ctx)
    return build_one


def _struct_of_builders(draw, ty, ctx):
    return build(draw, [spec_for(draw, f, ctx) for f in ty.fields], ctx)


def _buildable_struct(ty, ctx):
    return (isinstance(ty, T.Struct) and ctx.can_loop()
            and all(builder_kinds(f, ctx) for f in ty.fields))


def _makes(kind):
    return lambda ty, ctx: ctx.can_loop() and kind in builder_kinds(ty, ctx)


# ---- vectors, structs, dictionaries -----------------------------------------------------

def _slice(draw, ty, ctx):
    """``slice(v, min(c, len(v)), n)``: the start never passes the end."""
    sub = _deep(ctx)
    v = ctx.fresh("v")
    start = E.BinOp(B.MIN, nonneg_index(draw, sub), E.Length(E.Ident(v)))
    size = i64(draw(st.integers(0, 4)))
    return E.Let(v, gen(draw, ty, sub), E.Slice(E.Ident(v), start, size))


def _sort(draw, ty, ctx):
    """A sort by a consistent comparator (ascending, descending, or by one field)."""
    a, b = ctx.fresh("a"), ctx.fresh("a")
    x, y = E.Ident(a), E.Ident(b)
    options = [(2, (x, y)), (1, (y, x))]
    if isinstance(ty.elem, T.Struct):
        k = draw(st.integers(0, len(ty.elem.fields) - 1))
        options.append((2, (E.GetField(x, k), E.GetField(y, k))))
    left, right = choose(draw, options)
    cmp = E.Lambda((E.Param(a, ty.elem), E.Param(b, ty.elem)), E.BinOp(B.COMPARE, left, right))
    return E.Sort(gen(draw, ty, _deep(ctx)), cmp)


def _tovec(draw, ty, ctx):
    key, value = ty.elem.fields
    return E.ToVec(gen(draw, T.Dict(key, value), _deep(ctx)))


def _is_entry_vec(ty, ctx):
    """``vec[{K, V}]`` with K a key type and V a dictionary value: what tovec returns."""
    if not (isinstance(ty, T.Vec) and isinstance(ty.elem, T.Struct)) or not ctx.allows("dict"):
        return False
    fields = ty.elem.fields
    return len(fields) == 2 and V.is_key(fields[0]) and V.dict_value_ok(fields[1])


def _make_struct(draw, ty, ctx):
    return E.MakeStruct(tuple(gen(draw, f, _deep(ctx)) for f in ty.fields))


def _dict_build(draw, ty, ctx):
    return build(draw, [spec_for(draw, ty, ctx)], ctx)


def _is(cls):
    return lambda ty, ctx: isinstance(ty, cls)


def _is_exactly(want):
    return lambda ty, ctx: ty == want


_ANY = lambda ty, ctx: True  # noqa: E731
_SCALAR = _is(T.Scalar)
_DICT_VALUE = lambda ty, ctx: ctx.allows("dict") and V.dict_value_ok(ty)  # noqa: E731
_SORTABLE = lambda ty, ctx: isinstance(ty, T.Vec) and V.is_comparable(ty.elem)  # noqa: E731
_HAS_FLOATS = lambda ty, ctx: ty == T.BOOL and any(  # noqa: E731
    k.is_float for k in ctx.opts.kinds)

def _leaf_weight(high):
    """Variables and constants are common deep in a program, rare near its root (else many
    programs would be trivial); constant conditions are rarer still."""
    return lambda ty, ctx: (high if ctx.depth <= 1 else 1) if ty != T.BOOL else 1


def _float_heavy(float_weight, other_weight):
    """Math functions and float operators are where backends differ most (libm, NaN and
    signed zeros), so float scalars get them often."""
    return lambda ty, ctx: float_weight if ty.kind.is_float else other_weight


LEAVES = ("var", "literal")
# Cheap scalar operators are also used when the budget is just spent (depth 0): their
# operands are then leaves, and every operator kind shows up often.
SHALLOW = ("unary", "binop", "comparison", "predicate", "cast")
# (construct, weight or weight(ty, ctx), applies(ty, ctx), build(draw, ty, ctx)); simplest
# first, so shrinking moves toward variables and constants.
PRODUCTIONS = (
    ("var", _leaf_weight(8), _has_var, _var),
    ("literal", _leaf_weight(3), _ANY, leaf),
    ("let", 3, _ANY, _let),
    ("if", 2, _ANY, _if),
    ("select", 1, _ANY, _select),
    ("getfield", 1, _ANY, _get_field),
    ("lookup", 1, _ANY, _lookup),
    ("dict", 1, _DICT_VALUE, _dict_lookup),
    ("iterate", 1, lambda ty, ctx: ctx.can_loop(), _iterate),
    ("unary", _float_heavy(14, 2), _SCALAR, _unary),
    ("binop", _float_heavy(8, 5), _SCALAR, _binop),
    ("comparison", 3, _is_exactly(T.BOOL), _comparison),
    ("predicate", 2, _HAS_FLOATS, _predicate),
    ("compare", 2, _is_exactly(T.I32), _compare),
    ("cast", 2, _SCALAR, _cast),
    ("len", 2, _is_exactly(T.I64), _length),
    ("dict", 1, lambda ty, ctx: ty == T.BOOL and ctx.allows("dict"), _keyexists),
    ("merger", 3, _makes("merger"), _builder("merger")),
    ("appender", 4, _makes("appender"), _builder("appender")),
    ("vecmerger", 2, _makes("vecmerger"), _builder("vecmerger")),
    ("slice", 1, _is(T.Vec), _slice),
    ("sort", 1, _SORTABLE, _sort),
    ("dict", 2, _is_entry_vec, _tovec),
    ("struct", 3, _is(T.Struct), _make_struct),
    ("struct_of_builders", 4, _buildable_struct, _struct_of_builders),
    ("dict", 4, lambda ty, ctx: isinstance(ty, T.Dict) and ctx.can_loop(), _dict_build),
)


def productions(ty: T.Type, ctx) -> list:
    """``[(weight, build)]`` of the productions that can yield ``ty`` in ``ctx``."""
    out = []
    for name, weight, applies, fn in PRODUCTIONS:
        depth_ok = ctx.depth > 0 or name in LEAVES or (ctx.depth == 0 and name in SHALLOW)
        if depth_ok and ctx.allows(name) and applies(ty, ctx):
            out.append((weight(ty, ctx) if callable(weight) else weight, fn))
    return out
