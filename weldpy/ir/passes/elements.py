"""A loop's element as fields of its iterators, and rewriting a loop body when the
iterators change: fusion splices a producer's iterators into a consumer's zip, and a zip
reads each of its equal iterators once.

A loop over one iterator hands its body the element itself; over several (``zip``), a
struct with one field per iterator. ``field(z, k, count)`` is iterator ``k``'s value in
the element ``z`` of a loop over ``count`` iterators, and ``replace_element`` rewrites a
body for a new element given as one expression per old field.
"""

from __future__ import annotations

from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.ir.alpha import canonical
from weldpy.ir.passes.places import fresh_name, names_in, substitute
from weldpy.ir.traverse import rewrite_bottom_up


def field(z: str, k: int, types: tuple[T.Type | None, ...]) -> E.Expr:
    """Iterator ``k``'s value in the element ``z`` of a loop whose iterators yield
    ``types`` (typed where those are known, so that checks on the rewritten body still see
    which operations are on floats)."""
    whole = _typed(E.Ident(z), element_type(types))
    return whole if len(types) == 1 else _typed(E.GetField(whole, k), types[k])


def element_type(types: tuple[T.Type | None, ...]) -> T.Type | None:
    """The element's type for iterators yielding ``types`` (None when one is unknown)."""
    if len(types) == 1:
        return types[0]
    return T.Struct(types) if None not in types else None


def element_types(element: E.Param, count: int) -> tuple[T.Type | None, ...]:
    """The types the ``count`` iterators of a loop yield, read off its (checked) element
    parameter (None where unknown)."""
    if count == 1:
        return (element.ty,)
    if isinstance(element.ty, T.Struct) and len(element.ty.fields) == count:
        return element.ty.fields
    return (None,) * count


def _typed(node: E.Expr, ty: T.Type | None) -> E.Expr:
    return node if ty is None else node.with_type(ty)


def replace_element(body: E.Expr, name: str, fields: list[E.Expr]) -> E.Expr:
    """``body`` with the element ``name`` of a loop over ``len(fields)`` iterators made of
    ``fields`` (``name.$k`` becomes ``fields[k]``, ``name`` used whole a struct of them);
    ``body`` binds no ``name`` (its binders were renamed apart), the fields do not read
    ``name`` and their own names are not captured in it."""
    if len(fields) == 1:
        return substitute(body, {name: fields[0]})

    def read_field(node: E.Node) -> E.Node:
        if (isinstance(node, E.GetField) and isinstance(node.value, E.Ident)
                and node.value.name == name):
            return fields[node.index]
        return node

    whole = _typed(E.MakeStruct(tuple(fields)), element_type(tuple(f.ty for f in fields)))
    return substitute(rewrite_bottom_up(body, read_field), {name: whole})


def merge_equal_iterators(loop: E.For) -> E.For:
    """``loop`` reading each distinct iterator of its zip once (``zip(a, b, a)`` is
    ``zip(a, b)``: the same expression in the same scope yields the same elements, or fails
    the same way at its first occurrence)."""
    unique: list[E.Iter] = []
    where: list[int] = []
    for it in loop.iters:
        if it not in unique:
            unique.append(it)
        where.append(unique.index(it))
    if len(unique) == len(loop.iters) or not isinstance(loop.func, E.Lambda):
        return loop
    func = canonical(loop.func, "zd")
    b, i, x = func.params
    z = fresh_name("zd", names_in(func))
    old = element_types(x, len(loop.iters))
    types = tuple(old[where.index(k)] for k in range(len(unique)))
    body = replace_element(func.body, x.name, [field(z, k, types) for k in where])
    func = E.Lambda((b, i, E.Param(z, element_type(types))), body, annotations=func.annotations)
    return E.For(tuple(unique), loop.builder, func, annotations=loop.annotations)
