"""A loop's element as fields of its iterators, and rewriting a loop body when the
iterators change: fusion splices a producer's iterators into a consumer's zip, and a zip
reads each of its equal iterators once, in a canonical order.

A loop over one iterator hands its body the element itself; over several (``zip``), a
struct with one field per iterator. ``field(z, k, count)`` is iterator ``k``'s value in
the element ``z`` of a loop over ``count`` iterators, and ``replace_element`` rewrites a
body for a new element given as one expression per old field.
"""

from __future__ import annotations

from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.ir.passes.places import substitute
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


def replace_element(body: E.Expr, name: str, fields: list[E.Expr], bind: bool = False
                    ) -> E.Expr:
    """``body`` with the element ``name`` of a loop over ``len(fields)`` iterators made of
    ``fields`` (``name.$k`` becomes ``fields[k]``, ``name`` used whole a struct of them);
    ``body`` binds no ``name`` (its binders were renamed apart), the fields do not read
    ``name`` and their own names are not captured in it. With ``bind``, ``name`` is bound to
    that instead (``let name = {fields}; body``: constant time, for large bodies)."""
    whole = fields[0] if len(fields) == 1 else _typed(
        E.MakeStruct(tuple(fields)), element_type(tuple(f.ty for f in fields)))
    if bind:
        return E.Let(name, whole, body)
    if len(fields) == 1:
        return substitute(body, {name: whole})

    def read_field(node: E.Node) -> E.Node:
        if (isinstance(node, E.GetField) and isinstance(node.value, E.Ident)
                and node.value.name == name):
            return fields[node.index]
        return node

    return substitute(rewrite_bottom_up(body, read_field), {name: whole})


def distinct_iterators(iters: tuple[E.Iter, ...]) -> tuple[list[E.Iter], list[int]]:
    """The distinct iterators in a canonical order (whole vectors by name first, then the
    others as they came), and the index among them of each of ``iters``."""
    unique = sorted(dict.fromkeys(iters), key=_order)  # (by structural hash, then equality)
    position = {it: k for k, it in enumerate(unique)}
    return unique, [position[it] for it in iters]


def _order(it: E.Iter) -> tuple:
    if it.kind is E.IterKind.SCALAR and it.start is None and isinstance(it.data, E.Ident):
        return (0, it.data.name)
    return (1, "")  # (a stable sort keeps the others in order)


def canonical_iterators(loop: E.For, fresh: str, bind: bool = False) -> E.For:
    """``loop`` reading each distinct iterator of its zip once, in a canonical order
    (``zip(b, a, b)`` is ``zip(a, b)``: the same expression in the same scope yields the
    same elements, or fails the same way; zipped loops over the same vectors in another
    order can then fuse side by side; a zip of unequal lengths still raises, naming them in
    the new order); ``fresh`` names the new element (a name used nowhere), ``bind`` as in
    ``replace_element``."""
    unique, where = distinct_iterators(loop.iters)
    if where == list(range(len(loop.iters))) or not isinstance(loop.func, E.Lambda):
        return loop
    b, i, x = loop.func.params
    old = element_types(x, len(loop.iters))
    types = tuple(old[where.index(k)] for k in range(len(unique)))
    body = replace_element(loop.func.body, x.name, [field(fresh, k, types) for k in where],
                           bind)
    func = E.Lambda((b, i, E.Param(fresh, element_type(types))), body,
                    annotations=loop.func.annotations)
    return E.For(tuple(unique), loop.builder, func, annotations=loop.annotations)
