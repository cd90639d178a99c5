"""Weld's ``compare``, non-scalar ``==``/``<``..., and dictionary key equality and hashing.

- ``compare_values(cg, ty, a, b) -> i32`` (-1, 0 or 1): numbers numerically with NaN after
  every number and equal to NaN (-0.0 equals 0.0), false < true, unsigned kinds unsigned,
  structs field by field, vectors lexicographically (a prefix first; ``vec[i8]`` by unsigned
  bytes, with ``memcmp``), nested values recursively (``weldpy.runtime.values.compare``).
- ``lower_nonscalar_binop(cg, node)``: ``compare``/``==``/``!=``/``<``... on vectors and
  structs; ``==`` is IEEE on the scalars inside (NaN unequal to itself, -0.0 equal to 0.0),
  as ``values_equal``; the orders are ``compare``'s.
- ``keys_equal(cg, ty, a, b) -> i1``: ``compare(a, b) == 0`` (NaN equals NaN).
- ``hash_value(cg, ty, v) -> i64``: a hash consistent with ``keys_equal`` (NaNs hash alike,
  -0.0 like 0.0); scalars inline (splitmix64's finaliser), integer vectors and strings 8
  bytes at a time (a wyhash-like multiply-fold), other values element by element.

Values are SSA values of their value type (structs with fields in memory form). Scalars are
handled inline; every non-scalar type gets one internal helper function per operation (a loop
for vectors), generated once per module, so code size stays bounded however deep the types.
Dictionaries as values are not supported here (``WeldUnsupportedError``).
"""

from __future__ import annotations

import contextlib
import weakref

from llvmlite import ir

from weldpy.backends.llvm.codegen import Codegen
from weldpy.backends.llvm.layout import F32, I1, I32, I64, size_of, value_type
from weldpy.backends.llvm.rules_data import vec_parts
from weldpy.errors import WeldUnsupportedError
from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.ir.exprs import BinKind as B

I128 = ir.IntType(128)
# module -> {(operation, type): helper function}; weak, so a finished module is dropped
_HELPERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# kinds whose vectors compare and test equality byte by byte (memory is 0/1 for bool)
_BYTES = (T.ScalarKind.I8, T.ScalarKind.U8, T.ScalarKind.BOOL)


def _c(ty, value):
    return ir.Constant(ty, value)


def _sign(b: ir.IRBuilder, x: ir.Value, signed: bool = True) -> ir.Value:
    """-1, 0 or 1 (i32) for an integer ``x`` compared with 0."""
    zero = _c(x.type, 0)
    cmp = b.icmp_signed if signed else b.icmp_unsigned
    return _order(b, cmp(">", x, zero), cmp("<", x, zero))


def _order(b, greater, less):
    return b.sub(b.zext(greater, I32), b.zext(less, I32))


# --- helper functions ------------------------------------------------------------------------
@contextlib.contextmanager
def _generating(cg: Codegen, fn: ir.Function):
    """Generate the body of ``fn`` with ``cg``, then restore the function being generated."""
    saved = cg.builder, cg.func, cg.env
    cg.env = {}
    func = cg.begin_function(fn, None)
    try:
        yield
        ir.IRBuilder(func.bail).unreachable()  # helpers have no failing checks
    finally:
        cg.builder, cg.func, cg.env = saved


def _helper(cg: Codegen, op: str, ty: T.Type, ret: ir.Type, nargs: int, body) -> ir.Function:
    """The module's helper ``ret op_ty(ty x nargs)``; ``body(cg, ty, *args)`` emits it."""
    cache = _HELPERS.setdefault(cg.module, {})
    fn = cache.get((op, ty))
    if fn is None:
        fnty = ir.FunctionType(ret, [value_type(ty)] * nargs)
        fn = ir.Function(cg.module, fnty, f"weldpy.{op}.{len(cache)}")
        fn.linkage = "internal"
        fn.attributes.add("nounwind")
        cache[(op, ty)] = fn
        with _generating(cg, fn):
            body(cg, ty, *fn.args)
    return fn


def _call(cg: Codegen, op: str, ty: T.Type, ret: ir.Type, bodies: dict, args: list):
    body = bodies.get(type(ty))
    if body is None:
        raise WeldUnsupportedError(f"llvm backend: {op} is not supported on {ty}")
    return cg.builder.call(_helper(cg, op, ty, ret, len(args), body), args)


def _return_unless(cg: Codegen, keep_going: ir.Value, value: ir.Value) -> None:
    """Return ``value`` from the helper unless ``keep_going``."""
    b = cg.builder
    leave, cont = b.append_basic_block("leave"), b.append_basic_block("cont")
    b.cbranch(keep_going, cont, leave)
    b.position_at_end(leave)
    b.ret(value)
    b.position_at_end(cont)


def _element(cg: Codegen, elem: T.Type, data: ir.Value, i: ir.Value) -> ir.Value:
    return cg.load(elem, cg.element_ptr(elem, data, i))


def _fields(cg: Codegen, ty: T.Struct, value: ir.Value):
    for k, f in enumerate(ty.fields):
        yield f, cg.from_mem(f, cg.builder.extract_value(value, k))


# --- compare ---------------------------------------------------------------------------------
def compare_scalar_values(cg: Codegen, kind: T.ScalarKind, a, b) -> ir.Value:
    bld = cg.builder
    if kind.is_float:
        a_nan, b_nan = bld.fcmp_unordered("uno", a, a), bld.fcmp_unordered("uno", b, b)
        greater = bld.or_(bld.fcmp_ordered(">", a, b), bld.and_(a_nan, bld.not_(b_nan)))
        less = bld.or_(bld.fcmp_ordered("<", a, b), bld.and_(b_nan, bld.not_(a_nan)))
        return _order(bld, greater, less)
    cmp = bld.icmp_signed if kind.is_signed and kind is not T.ScalarKind.BOOL else \
        bld.icmp_unsigned
    return _order(bld, cmp(">", a, b), cmp("<", a, b))


def compare_values(cg: Codegen, ty: T.Type, a: ir.Value, b: ir.Value) -> ir.Value:
    """Weld's ``compare(a, b)``: an i32, -1, 0 or 1."""
    if isinstance(ty, T.Scalar):
        return compare_scalar_values(cg, ty.kind, a, b)
    return _call(cg, "compare", ty, I32, _COMPARE, [a, b])


def _compare_struct(cg: Codegen, ty: T.Struct, a, b) -> None:
    for (f, x), (_, y) in zip(_fields(cg, ty, a), _fields(cg, ty, b), strict=True):
        c = compare_values(cg, f, x, y)
        _return_unless(cg, cg.builder.icmp_signed("==", c, _c(I32, 0)), c)
    cg.builder.ret(_c(I32, 0))


def _compare_vec(cg: Codegen, ty: T.Vec, a, b) -> None:
    bld = cg.builder
    (pa, na), (pb, nb) = vec_parts(cg, a), vec_parts(cg, b)
    common = bld.select(bld.icmp_signed("<", na, nb), na, nb)
    if isinstance(ty.elem, T.Scalar) and ty.elem.kind in _BYTES:
        _compare_bytes(cg, pa, pb, common)
    else:
        def step(i):
            c = compare_values(cg, ty.elem, _element(cg, ty.elem, pa, i),
                               _element(cg, ty.elem, pb, i))
            _return_unless(cg, bld.icmp_signed("==", c, _c(I32, 0)), c)
        cg.counted_loop(common, step)
    bld.ret(_sign(bld, bld.sub(na, nb)))


def _compare_bytes(cg: Codegen, pa, pb, common) -> None:
    """Return the order of the first differing unsigned bytes of ``pa`` and ``pb``, if any:
    8 bytes at a time (as big-endian words), then byte by byte; inline, as strings are short
    and a ``memcmp`` call costs more than the comparison."""
    bld = cg.builder
    bswap = cg.declare("llvm.bswap.i64", I64, [I64])

    def differ(x, y):
        _return_unless(cg, bld.icmp_unsigned("==", x, y),
                       bld.select(bld.icmp_unsigned("<", x, y), _c(I32, -1), _c(I32, 1)))

    def word(i):
        at = bld.shl(i, _c(I64, 3))
        differ(bld.call(bswap, [_load_word(bld, pa, at, I64)]),
               bld.call(bswap, [_load_word(bld, pb, at, I64)]))

    words = bld.lshr(common, _c(I64, 3))
    cg.counted_loop(words, word)
    done = bld.shl(words, _c(I64, 3))
    i8 = ir.IntType(8)
    cg.counted_loop(bld.sub(common, done), lambda i: differ(
        _load_word(bld, pa, bld.add(done, i), i8), _load_word(bld, pb, bld.add(done, i), i8)))


_COMPARE = {T.Struct: _compare_struct, T.Vec: _compare_vec}


# --- equality --------------------------------------------------------------------------------
def _scalar_equal(cg: Codegen, kind: T.ScalarKind, a, b, key: bool) -> ir.Value:
    bld = cg.builder
    if not kind.is_float:
        return bld.icmp_unsigned("==", a, b)
    same = bld.fcmp_ordered("==", a, b)
    if not key:
        return same
    both_nan = bld.and_(bld.fcmp_unordered("uno", a, a), bld.fcmp_unordered("uno", b, b))
    return bld.or_(same, both_nan)


def _equal(cg: Codegen, ty: T.Type, a, b, key: bool) -> ir.Value:
    if isinstance(ty, T.Scalar):
        return _scalar_equal(cg, ty.kind, a, b, key)
    return _call(cg, "keyeq" if key else "equal", ty, I1, _EQUAL[key], [a, b])


def values_equal(cg: Codegen, ty: T.Type, a: ir.Value, b: ir.Value) -> ir.Value:
    """``a == b`` (i1): IEEE on the scalars inside, equal lengths (``values_equal``)."""
    return _equal(cg, ty, a, b, key=False)


def keys_equal(cg: Codegen, ty: T.Type, a: ir.Value, b: ir.Value) -> ir.Value:
    """Dictionary key equality (i1): ``compare(a, b) == 0``."""
    return _equal(cg, ty, a, b, key=True)


def _equal_struct(cg: Codegen, ty: T.Struct, a, b, key: bool) -> None:
    for (f, x), (_, y) in zip(_fields(cg, ty, a), _fields(cg, ty, b), strict=True):
        _return_unless(cg, _equal(cg, f, x, y, key), _c(I1, 0))
    cg.builder.ret(_c(I1, 1))


def _equal_vec(cg: Codegen, ty: T.Vec, a, b, key: bool) -> None:
    bld = cg.builder
    (pa, na), (pb, nb) = vec_parts(cg, a), vec_parts(cg, b)
    _return_unless(cg, bld.icmp_signed("==", na, nb), _c(I1, 0))
    elem = ty.elem
    if isinstance(elem, T.Scalar) and not elem.kind.is_float:  # equal iff same bytes
        nbytes = bld.mul(na, _c(I64, size_of(elem)))
        with bld.if_then(bld.icmp_signed(">", nbytes, _c(I64, 0))):
            c = bld.call(cg.rt["memcmp"], [pa, pb, nbytes])
            _return_unless(cg, bld.icmp_signed("==", c, _c(I32, 0)), _c(I1, 0))
    else:
        cg.counted_loop(na, lambda i: _return_unless(
            cg, _equal(cg, elem, _element(cg, elem, pa, i), _element(cg, elem, pb, i), key),
            _c(I1, 0)))
    bld.ret(_c(I1, 1))


_EQUAL = {
    key: {T.Struct: lambda cg, ty, a, b, k=key: _equal_struct(cg, ty, a, b, k),
          T.Vec: lambda cg, ty, a, b, k=key: _equal_vec(cg, ty, a, b, k)}
    for key in (False, True)
}


# --- comparisons in expressions --------------------------------------------------------------
_ORDERS = {B.LT: "<", B.LE: "<=", B.GT: ">", B.GE: ">="}


def lower_nonscalar_binop(cg: Codegen, node: E.BinOp) -> ir.Value:
    """``compare``, ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=`` on vectors and structs."""
    ty = node.left.ty
    a, b = cg.lower(node.left), cg.lower(node.right)
    if node.op is B.COMPARE:
        return compare_values(cg, ty, a, b)
    if node.op in (B.EQ, B.NE):
        same = values_equal(cg, ty, a, b)
        return same if node.op is B.EQ else cg.builder.not_(same)
    if node.op in _ORDERS:
        c = compare_values(cg, ty, a, b)
        return cg.builder.icmp_signed(_ORDERS[node.op], c, _c(I32, 0))
    raise WeldUnsupportedError(f"llvm backend: '{node.op.value}' is not defined on {ty}")


# --- hashing ---------------------------------------------------------------------------------
_GOLDEN, _MIX1, _MIX2 = 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB
_K1, _K2 = 0xA0761D6478BD642F, 0xE7037ED1A0B428DB  # wyhash's secrets


def _mix(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    """splitmix64: a bijective mix of every input bit into every output bit."""
    z = b.add(x, _c(I64, _GOLDEN))
    z = b.mul(b.xor(z, b.lshr(z, _c(I64, 30))), _c(I64, _MIX1))
    z = b.mul(b.xor(z, b.lshr(z, _c(I64, 27))), _c(I64, _MIX2))
    return b.xor(z, b.lshr(z, _c(I64, 31)))


def _mum(b: ir.IRBuilder, x: ir.Value, y: ir.Value) -> ir.Value:
    """The two halves of the 128-bit product ``x * y``, xored (wyhash's fold)."""
    p = b.mul(b.zext(x, I128), b.zext(y, I128))
    return b.xor(b.trunc(p, I64), b.trunc(b.lshr(p, _c(I128, 64)), I64))


def _absorb(b: ir.IRBuilder, h: ir.Value, word: ir.Value) -> ir.Value:
    return _mum(b, b.xor(word, _c(I64, _K2)), b.xor(h, _c(I64, _K1)))


def _scalar_bits(cg: Codegen, kind: T.ScalarKind, x: ir.Value) -> ir.Value:
    """``x``'s bits as i64, equal for keys that are equal (one NaN, one zero)."""
    b = cg.builder
    if not kind.is_float:
        return b.zext(x, I64) if x.type.width < 64 else x
    zero, nan = _c(x.type, 0.0), _c(x.type, float("nan"))
    x = b.select(b.fcmp_ordered("==", x, zero), zero, x)  # -0.0 -> 0.0
    x = b.select(b.fcmp_unordered("uno", x, x), nan, x)
    bits = b.bitcast(x, ir.IntType(32) if x.type == F32 else I64)
    return b.zext(bits, I64) if x.type == F32 else bits


def hash_value(cg: Codegen, ty: T.Type, v: ir.Value) -> ir.Value:
    """An i64 hash of ``v`` with ``keys_equal(a, b)`` implying equal hashes."""
    if isinstance(ty, T.Scalar):
        return _mix(cg.builder, _scalar_bits(cg, ty.kind, v))
    return _call(cg, "hash", ty, I64, _HASH, [v])


def _part(cg: Codegen, ty: T.Type, v: ir.Value) -> ir.Value:
    """What a struct field or vector element contributes (mixed later by ``_absorb``)."""
    if isinstance(ty, T.Scalar):
        return _scalar_bits(cg, ty.kind, v)
    return hash_value(cg, ty, v)


def _hash_struct(cg: Codegen, ty: T.Struct, v) -> None:
    h = _c(I64, len(ty.fields))
    for f, x in _fields(cg, ty, v):
        h = _absorb(cg.builder, h, _part(cg, f, x))
    cg.builder.ret(_mix(cg.builder, h))


def _hash_vec(cg: Codegen, ty: T.Vec, v) -> None:
    b = cg.builder
    data, n = vec_parts(cg, v)
    elem = ty.elem
    if isinstance(elem, T.Scalar) and not elem.kind.is_float:
        b.ret(_hash_bytes(cg, data, b.mul(n, _c(I64, size_of(elem)))))
        return
    slot = cg.entry_alloca(I64)
    b.store(_mix(b, n), slot)
    cg.counted_loop(n, lambda i: b.store(
        _absorb(b, b.load(slot, typ=I64), _part(cg, elem, _element(cg, elem, data, i))), slot))
    b.ret(_mix(b, b.load(slot, typ=I64)))


def _load_word(b, data, offset, ty):
    ptr = b.gep(data, [offset], source_etype=ir.IntType(8))
    return b.zext(b.load(ptr, typ=ty, align=1), I64) if ty != I64 else \
        b.load(ptr, typ=ty, align=1)


def _hash_bytes(cg: Codegen, data: ir.Value, nbytes: ir.Value) -> ir.Value:
    """wyhash-like: 8-byte words folded with 128-bit products; the last, partial word is
    read overlapping the previous one (short inputs with wyhash's 1-3 and 4-7 byte tricks)."""
    b = cg.builder
    words = b.lshr(nbytes, _c(I64, 3))
    slot = cg.entry_alloca(I64)
    b.store(_mix(b, nbytes), slot)
    cg.counted_loop(words, lambda i: b.store(_absorb(
        b, b.load(slot, typ=I64), _load_word(b, data, b.shl(i, _c(I64, 3)), I64)), slot))
    h = b.load(slot, typ=I64)
    last = b.sub(nbytes, _c(I64, 1))
    with b.if_else(b.icmp_unsigned(">=", nbytes, _c(I64, 8))) as (long, short):
        with long:
            h_long = _absorb(b, h, _load_word(b, data, b.sub(nbytes, _c(I64, 8)), I64))
            long_end = b.block
        with short:
            h_short = _absorb(b, h, _short_word(cg, data, nbytes, last))
            short_end = b.block
    out = b.phi(I64)
    out.add_incoming(h_long, long_end)
    out.add_incoming(h_short, short_end)
    return _mix(b, out)


def _short_word(cg: Codegen, data, nbytes, last) -> ir.Value:
    """0 to 7 bytes as one word: two overlapping 4-byte loads, or bytes 0, n/2 and n-1."""
    b = cg.builder
    i32 = ir.IntType(32)
    result = cg.entry_alloca(I64)
    b.store(_c(I64, 0), result)
    with b.if_else(b.icmp_unsigned(">=", nbytes, _c(I64, 4))) as (four, small):
        with four:
            hi = _load_word(b, data, b.sub(nbytes, _c(I64, 4)), i32)
            b.store(b.or_(b.shl(_load_word(b, data, _c(I64, 0), i32), _c(I64, 32)), hi),
                    result)
        with small, b.if_then(b.icmp_unsigned(">", nbytes, _c(I64, 0))):
            i8 = ir.IntType(8)
            first = _load_word(b, data, _c(I64, 0), i8)
            middle = _load_word(b, data, b.lshr(nbytes, _c(I64, 1)), i8)
            end = _load_word(b, data, last, i8)
            b.store(b.or_(b.or_(b.shl(first, _c(I64, 16)), b.shl(middle, _c(I64, 8))), end),
                    result)
    return b.load(result, typ=I64)


_HASH = {T.Struct: _hash_struct, T.Vec: _hash_vec}
