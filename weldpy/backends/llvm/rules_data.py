"""Lowering of structs and vectors: MakeStruct, GetField, MakeVector, StringLit, Length,
Lookup and Slice on vectors (dictionary forms are in ``dicts``).

A vector is ``{ptr data, i64 len}``; literals are allocated in the run's memory; a string
literal points at a constant in the module (results that point there are copied out).
"""

from __future__ import annotations

from llvmlite import ir

from weldpy.backends.llvm.codegen import RULES, Codegen
from weldpy.backends.llvm.layout import I8, I64, VEC, size_of, value_type
from weldpy.ir import exprs as E
from weldpy.ir import types as T


def make_vec(cg: Codegen, data: ir.Value, length: ir.Value) -> ir.Value:
    b = cg.builder
    return b.insert_value(b.insert_value(ir.Constant(VEC, ir.Undefined), data, 0), length, 1)


def vec_parts(cg: Codegen, vec: ir.Value) -> tuple[ir.Value, ir.Value]:
    return cg.builder.extract_value(vec, 0), cg.builder.extract_value(vec, 1)


def _make_struct(cg: Codegen, node: E.MakeStruct):
    b = cg.builder
    out = ir.Constant(value_type(node.ty), ir.Undefined)
    for i, elem in enumerate(node.elems):
        out = b.insert_value(out, cg.to_mem(elem.ty, cg.lower(elem)), i)
    return out


def _get_field(cg: Codegen, node: E.GetField):
    struct = cg.lower(node.value)
    return cg.from_mem(node.ty, cg.builder.extract_value(struct, node.index))


def _make_vector(cg: Codegen, node: E.MakeVector):
    elem = node.ty.elem
    n = len(node.elems)
    data = cg.alloc(ir.Constant(I64, n * size_of(elem)))
    for i, e in enumerate(node.elems):
        cg.store(elem, cg.lower(e), cg.element_ptr(elem, data, ir.Constant(I64, i)))
    return make_vec(cg, data, ir.Constant(I64, n))


def _string(cg: Codegen, node: E.StringLit):
    raw = bytearray(node.value) or bytearray(1)
    ty = ir.ArrayType(I8, len(raw))
    name = f"str.{len(cg.module.globals)}"
    const = ir.GlobalVariable(cg.module, ty, name)
    const.global_constant = True
    const.linkage = "private"
    const.initializer = ir.Constant(ty, raw)
    return make_vec(cg, const, ir.Constant(I64, len(node.value)))


def _length(cg: Codegen, node: E.Length):
    value = cg.lower(node.value)
    if isinstance(node.value.ty, T.Dict):
        from weldpy.backends.llvm.dicts import dict_length

        return dict_length(cg, value)
    return cg.builder.extract_value(value, 1)


def lookup_vec(cg: Codegen, node: E.Node, vec: ir.Value, index: ir.Value, elem: T.Type):
    """``vec[index]`` after a bounds check (a negative index is out of range)."""
    data, length = vec_parts(cg, vec)
    cg.check(cg.builder.icmp_unsigned("<", index, length), "index",
             "lookup: index {0} out of range for a vector of length {1}", node, (index, length))
    return cg.load(elem, cg.element_ptr(elem, data, index))


def _lookup(cg: Codegen, node: E.Lookup):
    if isinstance(node.data.ty, T.Dict):
        from weldpy.backends.llvm.dicts import lower_dict_lookup

        return lower_dict_lookup(cg, node)
    vec, index = cg.lower(node.data), cg.lower(node.index)
    return lookup_vec(cg, node, vec, index, node.ty)


def _slice(cg: Codegen, node: E.Slice):
    """``slice(v, start, n)``: clamps to the end; a start past the end or a negative size is
    an error. The result shares the vector's memory."""
    b = cg.builder
    vec, start, size = cg.lower(node.data), cg.lower(node.index), cg.lower(node.size)
    data, length = vec_parts(cg, vec)
    zero = ir.Constant(I64, 0)
    ok = b.and_(b.icmp_unsigned("<=", start, length), b.icmp_signed(">=", size, zero))
    cg.check(ok, "index", "slice: start {0} and size {1} out of range for a vector", node,
             (start, size))
    room = b.sub(length, start)
    count = b.select(b.icmp_signed("<", size, room), size, room)
    return make_vec(cg, cg.element_ptr(node.ty.elem, data, start), count)


RULES.update({
    E.MakeStruct: _make_struct, E.GetField: _get_field, E.MakeVector: _make_vector,
    E.StringLit: _string, E.Length: _length, E.Lookup: _lookup, E.Slice: _slice,
})

