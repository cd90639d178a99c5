"""Dictionaries: the dictmerger and groupmerger builders, and len, lookup, optlookup,
keyexists, tovec on a dict; also dict arguments turned into tables at entry.

A dict value, and the builder that makes it, is a ``ptr`` to a ``hashtable`` (builders are
linear, so ``result`` hands the builder's table over as the dict):
- ``dictmerger[K, V, op]``: a slot holds V; a new key takes the merged value, a known key
  ``combine``s (``builders.combine``: so -0.0 merged first stays -0.0). The argument is a
  size hint.
- ``groupmerger[K, V]``: a slot holds ``vec[V]`` (``{ptr, len}``) grown in place; its
  capacity is implied by its length (4, then the next power of two), so the result needs no
  conversion: it is a ``dict[K, vec[V]]`` as it stands.
A dict argument arrives as a pointer to ``{ptr pairs, i64 n}`` (``abi``) and is rebuilt into
a table by ``import_value`` (the code generator's entry hook).
"""

from __future__ import annotations

from llvmlite import ir

from weldpy.backends.llvm import hashtable as H
from weldpy.backends.llvm.builders import SelfBuilder, combine
from weldpy.backends.llvm.codegen import RULES, Codegen
from weldpy.backends.llvm.layout import I1, I64, PTR, VEC, mem_type, size_of, value_type
from weldpy.backends.llvm.rules_data import make_vec, vec_parts
from weldpy.backends.llvm.rules_loops import BUILDERS
from weldpy.backends.llvm.sort import sort_by_compare
from weldpy.ir import exprs as E
from weldpy.ir import types as T

_GROUP_START = 4  # elements of a group's first buffer


def _i64(n):
    return ir.Constant(I64, n)


def pair_parts(cg: Codegen, key: T.Type, value: T.Type, pair: ir.Value):
    """The key and value of a ``{key, value}`` struct (memory form), as values."""
    b = cg.builder
    return (cg.from_mem(key, b.extract_value(pair, 0)),
            cg.from_mem(value, b.extract_value(pair, 1)))


class DictMerger(SelfBuilder):
    @staticmethod
    def new(cg: Codegen, node, ty: T.DictMerger, hint):
        return H.new_table(cg, ty.key, ty.value, hint)

    @staticmethod
    def merge(cg: Codegen, node, ty: T.DictMerger, table, pair):
        k, v = pair_parts(cg, ty.key, ty.value, pair)
        DictMerger.merge_one(cg, ty, table, k, v)
        return table

    @staticmethod
    def merge_one(cg: Codegen, ty: T.DictMerger, table, k, v) -> None:
        entry, new = H.insert(cg, ty.key, ty.value, table, k)
        slot = H.entry_field(cg, ty.key, ty.value, entry, H.VALUE)
        merged = combine(cg, ty.op, ty.value, cg.load(ty.value, slot), v)
        cg.store(ty.value, cg.builder.select(new, v, merged), slot)

    @staticmethod
    def fresh(cg: Codegen, ty: T.DictMerger, like, hint):
        return H.new_table(cg, ty.key, ty.value)

    @staticmethod
    def absorb(cg: Codegen, ty: T.DictMerger, table, part):
        """Merge every entry of ``part`` (a later part's table) into ``table``, then free it."""
        def put(entry):
            k = cg.load(ty.key, H.entry_field(cg, ty.key, ty.value, entry, H.KEY))
            v = cg.load(ty.value, H.entry_field(cg, ty.key, ty.value, entry, H.VALUE))
            DictMerger.merge_one(cg, ty, table, k, v)

        H.for_each_entry(cg, ty.key, ty.value, part, put)
        H.release_table(cg, part)
        return table


class GroupMerger(SelfBuilder):
    @staticmethod
    def new(cg: Codegen, node, ty: T.GroupMerger, hint):
        return H.new_table(cg, ty.key, T.Vec(ty.value), hint)

    @staticmethod
    def merge(cg: Codegen, node, ty: T.GroupMerger, table, pair):
        group = T.Vec(ty.value)
        k, v = pair_parts(cg, ty.key, ty.value, pair)
        entry, _ = H.insert(cg, ty.key, group, table, k)
        _append(cg, ty.value, H.entry_field(cg, ty.key, group, entry, H.VALUE), v)
        return table

    @staticmethod
    def fresh(cg: Codegen, ty: T.GroupMerger, like, hint):
        return H.new_table(cg, ty.key, T.Vec(ty.value))

    @staticmethod
    def absorb(cg: Codegen, ty: T.GroupMerger, table, part):
        """Append each group of ``part`` (a later part's table) to ``table``'s group of the
        same key, so every group keeps merge order; a new key takes the group's buffer."""
        b = cg.builder
        group = T.Vec(ty.value)

        def put(entry):
            k = cg.load(ty.key, H.entry_field(cg, ty.key, group, entry, H.KEY))
            theirs = b.load(H.entry_field(cg, ty.key, group, entry, H.VALUE), typ=VEC)
            mine, new = H.insert(cg, ty.key, group, table, k)
            slot = H.entry_field(cg, ty.key, group, mine, H.VALUE)
            with b.if_else(new) as (take, append):
                with take:  # the buffer's capacity follows from its length, as here
                    b.store(theirs, slot)
                with append:
                    data, n = vec_parts(cg, theirs)
                    cg.counted_loop(n, lambda i: _append(
                        cg, ty.value, slot, cg.load(ty.value, cg.element_ptr(ty.value, data, i))))
                    cg.release(data)

        H.for_each_entry(cg, ty.key, group, part, put)
        H.release_table(cg, part)
        return table


def _append(cg: Codegen, elem: T.Type, slot, value) -> None:
    """Append ``value`` to the group ``{ptr, len}`` at ``slot``."""
    b = cg.builder
    data_slot = b.gep(slot, [_i64(0), ir.Constant(ir.IntType(32), 0)], source_etype=VEC)
    len_slot = b.gep(slot, [_i64(0), ir.Constant(ir.IntType(32), 1)], source_etype=VEC)
    n = b.load(len_slot, typ=I64)
    power_of_two = b.icmp_unsigned("==", b.and_(n, b.sub(n, _i64(1))), _i64(0))
    full = b.and_(power_of_two, b.or_(b.icmp_unsigned("==", n, _i64(0)),
                                      b.icmp_unsigned(">=", n, _i64(_GROUP_START))))
    with b.if_then(full, likely=False):
        _grow_group(cg, elem, data_slot, n)
    data = b.load(data_slot, typ=PTR)
    cg.store(elem, value, cg.element_ptr(elem, data, n))
    b.store(b.add(n, _i64(1)), len_slot)


def _grow_group(cg: Codegen, elem: T.Type, data_slot, n) -> None:
    """A group's first buffer, or its buffer doubled (it is full at a power of two)."""
    b = cg.builder
    esize = _i64(size_of(elem))
    with b.if_else(b.icmp_unsigned("==", n, _i64(0))) as (first, again):
        with first:
            fresh = cg.alloc(_i64(_GROUP_START * size_of(elem)))
            first_end = b.block
        with again:
            old = b.load(data_slot, typ=PTR)
            grown = cg.realloc(old, b.mul(b.mul(n, _i64(2)), esize))
            again_end = b.block
    data = b.phi(PTR)
    data.add_incoming(fresh, first_end)
    data.add_incoming(grown, again_end)
    b.store(data, data_slot)


BUILDERS.update({T.DictMerger: DictMerger, T.GroupMerger: GroupMerger})


# --- dict expressions ----------------------------------------------------------------------
def dict_length(cg: Codegen, table: ir.Value) -> ir.Value:
    return H.size(cg, table)


def _missing(cg: Codegen, node, key: T.Type, k: ir.Value, found: ir.Value) -> None:
    """The interpreter's error for a missing key, naming integer and bool keys."""
    b = cg.builder
    text = "lookup: key {} is not in the dictionary"
    if key == T.BOOL:
        for truth in (True, False):
            absent = b.icmp_unsigned("==", k, ir.Constant(I1, int(truth)))
            cg.check(b.or_(found, b.not_(absent)), "index", text.format(truth), node)
    elif isinstance(key, T.Scalar) and key.kind.is_int:
        widen = b.sext if key.kind.is_signed else b.zext
        detail = k if k.type == I64 else widen(k, I64)  # (u64 keys above 2**63 show < 0)
        cg.check(found, "index", text.format("{0}"), node, (detail,))
    else:
        cg.check(found, "index", f"lookup: a key of type {key} is not in the dictionary",
                 node)


def lower_dict_lookup(cg: Codegen, node: E.Lookup) -> ir.Value:
    ty = node.data.ty
    table, k = cg.lower(node.data), cg.lower(node.index)
    entry = H.find(cg, ty.key, ty.value, table, k)
    _missing(cg, node, ty.key, k, cg.builder.icmp_unsigned("!=", entry, ir.Constant(PTR, None)))
    return cg.load(ty.value, H.entry_field(cg, ty.key, ty.value, entry, H.VALUE))


def zero_value(cg: Codegen, ty: T.Type) -> ir.Value:
    """``optlookup``'s value for a missing key (the interpreter's ``zero_value``): zeros, empty
    vectors, and new empty dicts."""
    if not _has_dict(ty):
        return ir.Constant(value_type(ty), None)
    if isinstance(ty, T.Dict):
        return H.new_table(cg, ty.key, ty.value)
    out = ir.Constant(value_type(ty), None)
    for i, f in enumerate(ty.fields):
        out = cg.builder.insert_value(out, cg.to_mem(f, zero_value(cg, f)), i)
    return out


def _optlookup(cg: Codegen, node: E.OptLookup):
    b = cg.builder
    ty = node.data.ty
    table, k = cg.lower(node.data), cg.lower(node.key)
    entry = H.find(cg, ty.key, ty.value, table, k)
    found = b.icmp_unsigned("!=", entry, ir.Constant(PTR, None))
    with b.if_else(found) as (present, absent):
        with present:
            stored = cg.load(ty.value, H.entry_field(cg, ty.key, ty.value, entry, H.VALUE))
            present_end = b.block
        with absent:
            zero = zero_value(cg, ty.value)
            absent_end = b.block
    value = b.phi(value_type(ty.value))
    value.add_incoming(stored, present_end)
    value.add_incoming(zero, absent_end)
    out = ir.Constant(value_type(node.ty), ir.Undefined)
    out = b.insert_value(out, cg.to_mem(T.BOOL, found), 0)
    return b.insert_value(out, cg.to_mem(ty.value, value), 1)


def _keyexists(cg: Codegen, node: E.KeyExists):
    ty = node.data.ty
    table, k = cg.lower(node.data), cg.lower(node.key)
    entry = H.find(cg, ty.key, ty.value, table, k)
    return cg.builder.icmp_unsigned("!=", entry, ir.Constant(PTR, None))


def _tovec(cg: Codegen, node: E.ToVec):
    """A new vector of the ``{key, value}`` pairs, sorted by key."""
    b = cg.builder
    ty = node.value.ty
    pair = T.Struct((ty.key, ty.value))
    table = cg.lower(node.value)
    n = H.size(cg, table)
    data = cg.alloc(b.mul(n, _i64(size_of(pair))))
    count = cg.entry_alloca(I64)
    b.store(_i64(0), count)

    def copy(entry):
        j = b.load(count, typ=I64)
        out = cg.element_ptr(pair, data, j)
        for i, field in ((0, H.KEY), (1, H.VALUE)):
            part = pair.fields[i]
            src = H.entry_field(cg, ty.key, ty.value, entry, field)
            dst = b.gep(out, [_i64(0), ir.Constant(ir.IntType(32), i)],
                        source_etype=value_type(pair))
            b.store(b.load(src, typ=mem_type(part)), dst)
        b.store(b.add(j, _i64(1)), count)

    H.for_each_entry(cg, ty.key, ty.value, table, copy)
    sort_by_compare(cg, pair, data, n, ty.key,
                    lambda p: cg.from_mem(ty.key, b.extract_value(p, 0)))
    return make_vec(cg, data, n)


RULES.update({E.OptLookup: _optlookup, E.KeyExists: _keyexists, E.ToVec: _tovec})


# --- dict arguments --------------------------------------------------------------------------
def _has_dict(ty: T.Type) -> bool:
    if isinstance(ty, T.Dict):
        return True
    if isinstance(ty, T.Struct):
        return any(_has_dict(f) for f in ty.fields)
    return isinstance(ty, T.Vec) and _has_dict(ty.elem)


def import_value(cg: Codegen, ty: T.Type, value: ir.Value) -> ir.Value:
    """A parameter as generated code uses it: every dict inside it, which ``abi`` passed as a
    pointer to ``{ptr pairs, i64 n}``, rebuilt into a table (vectors of dicts in place: their
    memory is the packer's copy)."""
    if not _has_dict(ty):
        return value
    b = cg.builder
    if isinstance(ty, T.Struct):
        for i, f in enumerate(ty.fields):
            field = cg.from_mem(f, b.extract_value(value, i))
            value = b.insert_value(value, cg.to_mem(f, import_value(cg, f, field)), i)
        return value
    if isinstance(ty, T.Vec):
        data, n = vec_parts(cg, value)

        def convert(i):
            slot = cg.element_ptr(ty.elem, data, i)
            cg.store(ty.elem, import_value(cg, ty.elem, cg.load(ty.elem, slot)), slot)

        cg.counted_loop(n, convert)
        return value
    return _import_dict(cg, ty, value)


def _import_dict(cg: Codegen, ty: T.Dict, packed: ir.Value) -> ir.Value:
    b = cg.builder
    data, n = vec_parts(cg, b.load(packed, typ=VEC))
    table = H.new_table(cg, ty.key, ty.value, n)
    pair = T.Struct((ty.key, ty.value))

    def put(i):
        k, v = pair_parts(cg, ty.key, ty.value, cg.load(pair, cg.element_ptr(pair, data, i)))
        entry, _ = H.insert(cg, ty.key, ty.value, table, k)
        cg.store(ty.value, import_value(cg, ty.value, v),
                 H.entry_field(cg, ty.key, ty.value, entry, H.VALUE))

    cg.counted_loop(n, put)
    return table
