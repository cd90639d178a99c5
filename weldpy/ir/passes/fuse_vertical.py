"""Vertical loop fusion: a loop over ``result(for(..., appender, P))`` runs inside the loop
that produced it, so the intermediate vector is never built.

    for(result(for(v, appender, |b, i, x| P)), B, |c, j, y| C)
      =>  for(v, B, |c', i, x| P[merge(b', e) := let c = b''; let j = i; let y = e; C])

where the producer's body ``P`` threads its appender through ``merge``, ``if`` and ``let``
only (a map, a filter, or a map that merges on some paths), and ``b''`` is the rewritten
builder flowing into that merge. Every element the producer would have appended is handed
to the consumer's body at once, in the same order, so the result is the same; the consumer's
index ``j`` is only available when every iteration merges exactly once (a map: ``j == i``).

Left alone (the vector stays materialised): a consumer over several iterators or a strided
view of the result, a producer with a size hint or a consumer builder that might fail (they
would change which error a failing program reports first), a builder that flows anywhere
else, and name clashes between the two bodies (every binder is renamed apart first).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from weldpy.ir import exprs as E
from weldpy.ir import printer
from weldpy.ir import types as T
from weldpy.ir.alpha import canonical
from weldpy.ir.passes.elements import (
    element_type,
    element_types,
    field,
    merge_equal_iterators,
    replace_element,
)
from weldpy.ir.passes.places import always_evaluated, fresh_name, names_in, replace_at, substitute
from weldpy.ir.traverse import free_vars, preorder, rewrite_bottom_up

_SAFE = (E.Literal, E.StringLit, E.Ident, E.GetField, E.MakeStruct, E.Length, E.UnaryOp,
         E.Cast, E.Select, E.If, E.Ascribe, E.NewBuilder, E.MakeVector, E.Let)
_FAILING_BINOPS = (E.BinKind.DIV, E.BinKind.MOD)


def run(program: E.Expr) -> E.Expr:
    """``program`` with every fusable producer/consumer pair of loops fused."""
    return rewrite_bottom_up(program, _rewrite)


def _rewrite(node: E.Node) -> E.Node:
    if isinstance(node, E.For):
        return _fuse_or_keep(node)
    if isinstance(node, E.Let):
        copied = _copied_into_consumers(node)
        return node if copied is None else copied
    return node


def _fuse_or_keep(node: E.For) -> E.For:
    """``node`` with every producer it reads fused into it, one at a time; a producer left
    materialised is recorded with the reason."""
    node = merge_equal_iterators(node)
    while True:
        fused, reason = _fuse(node)
        if fused is None:
            break
        node = merge_equal_iterators(fused)
    if reason is None or annotation(node, MATERIALIZED):
        return node
    return annotate(node, MATERIALIZED, reason)


# provenance, read by ``weldpy.explain``: what a loop absorbed, and why a vector it reads
# stayed materialised
FUSED, MATERIALIZED = "fused", "materialized"


def annotation(node: E.Node, key: str) -> str | None:
    return dict(node.annotations).get(key)


def annotate(node: E.Node, key: str, value: str) -> E.Node:
    """``node`` with annotation ``key: value`` (replacing an earlier one)."""
    kept = tuple((k, v) for k, v in node.annotations if k != key)
    return dataclasses.replace(node, annotations=(*kept, (key, value)))


def fused_into(loop: E.For, description: str, *absorbed: E.For) -> str:
    """The ``fused`` annotation of a loop made of ``loop`` and ``absorbed``."""
    earlier = [annotation(n, FUSED) for n in (loop, *absorbed)]
    return "; ".join([e for e in earlier if e] + [description])


def cannot_fail(node: E.Node, merges: bool = False) -> bool:
    """Whether evaluating ``node`` can never raise (no lookup, division, loop, call ...;
    with ``merges``, merges count as safe: the caller knows into which builders)."""
    safe = (*_SAFE, E.Merge) if merges else _SAFE
    for n in preorder(node):
        if isinstance(n, E.BinOp):
            if n.op in _FAILING_BINOPS and not (n.ty is not None and isinstance(n.ty, T.Scalar)
                                                 and n.ty.kind.is_float):
                return False
        elif not isinstance(n, safe):
            return False
    return True


def _producer(it: E.Iter) -> E.For | None:
    """The loop whose appender's vector iterator ``it`` reads, if any."""
    data = it.data
    if not (isinstance(data, E.Result) and isinstance(data.builder, E.For)):
        return None
    new = data.builder.builder
    if isinstance(new, E.NewBuilder) and isinstance(new.type_, T.Appender):
        return data.builder
    return None  # not an appender's vector: nothing to fuse


def _why_not(consumer: E.For, p: int, producer: E.For) -> str | None:
    """Why ``producer``, read by ``consumer``'s iterator ``p``, cannot fuse into it (None:
    it can, up to name clashes and the index checked when fusing)."""
    it = consumer.iters[p]
    if it.kind is not E.IterKind.SCALAR or it.start is not None:
        return "read through a strided iterator"
    if producer.builder.arg is not None:
        return "the producer's appender has a size hint"
    if not (isinstance(producer.func, E.Lambda) and isinstance(consumer.func, E.Lambda)):
        return "a loop body that is not a lambda"
    if not cannot_fail(consumer.builder):
        return "the consumer's builder may fail"
    producer_safe = body_cannot_fail(producer)
    if len(consumer.iters) == 1:
        # interleaved, two failing bodies could report another element's error first
        return None if producer_safe or body_cannot_fail(consumer) else \
            "the producer and the consumer may both fail"
    if _merges_per_iteration(producer.func.body, producer.func.params[0].name) != 1:
        return "zipped with a filtered vector"
    if not producer_safe:
        return "a zipped producer that may fail"
    return None


def _iter_cannot_fail(it: E.Iter) -> bool:
    return all(part is None or cannot_fail(part)
               for part in (it.data, it.start, it.end, it.stride))


def body_cannot_fail(loop: E.For) -> bool:
    """Whether no iteration of ``loop``'s body can raise (merging into any builder but a
    vecmerger cannot; an untyped builder counts as one that may)."""
    ty = loop.builder.ty
    return (isinstance(loop.func, E.Lambda) and ty is not None and not _has_vecmerger(ty)
            and cannot_fail(loop.func.body, merges=True))


def _has_vecmerger(ty: T.Type) -> bool:
    if isinstance(ty, T.Struct):
        return any(_has_vecmerger(f) for f in ty.fields)
    return isinstance(ty, T.VecMerger)


def _fuse(consumer: E.For) -> tuple[E.For | None, str | None]:
    """``consumer`` with the first producer it can absorb fused into it, or None and why the
    first producer it reads stays materialised (None: it reads none)."""
    first_reason = None
    for p, it in enumerate(consumer.iters):
        producer = _producer(it)
        if producer is None:
            continue
        reason = _why_not(consumer, p, producer)
        if reason is None:
            fused, reason = _fused(consumer, p, producer)
            if fused is not None:
                return fused, None
        first_reason = first_reason or reason
    return None, first_reason


def _fused(consumer: E.For, p: int, producer: E.For) -> tuple[E.For | None, str | None]:
    """The loop over ``consumer``'s iterators with ``producer``'s spliced in at ``p``, whose
    body runs the consumer's body on each element the producer merges, or None and why."""
    made = canonical(producer.func, "fp")
    takes = canonical(consumer.func, "fc")
    if (_binders(made) & free_vars(takes)) or (_binders(takes) & free_vars(made)):
        return None, "names clash"
    b, i, x = made.params
    c, j, y = takes.params
    uses_index = j.name in free_vars(takes.body)
    per_iteration = _merges_per_iteration(made.body, b.name)
    if uses_index and per_iteration != 1:
        return None, "the consumer uses the index of a filtered vector"
    n, m = len(consumer.iters), len(producer.iters)
    made_types, taken_types = element_types(x, m), element_types(y, n)
    types = (*taken_types[:p], *made_types, *taken_types[p + 1:])
    if n == 1:  # the producer's element is the fused loop's
        z, produce = x, made.body
    else:
        z = E.Param(fresh_name("fz", names_in(made) | names_in(takes)), element_type(types))
        produce = replace_element(made.body, x.name,
                                  [field(z.name, p + q, types) for q in range(m)])

    def consumed(value: E.Expr) -> list[E.Expr]:
        """The consumer's element: ``value`` (the merged one) among the other fields."""
        if n == 1:
            return [value]
        return [field(z.name, k if k < p else k + m - 1, types) if k != p else value
                for k in range(n)]

    spine = _Spine(b.name, c.name, takes.body, (j.name, i.name) if uses_index else None,
                   y.name, consumed)
    body = spine.rewrite(produce)
    if body is None:
        return None, "the producer's appender flows where fusion does not follow"
    kind = {1: "map"}.get(per_iteration, "filter" if per_iteration is None else "flatten")
    iters = (*consumer.iters[:p], *producer.iters, *consumer.iters[p + 1:])
    loop = E.For(iters, consumer.builder, E.Lambda((c, i, z), body),
                 annotations=consumer.annotations)
    what = f"{kind} over {', '.join(printer.pretty(it) for it in producer.iters)}"
    return annotate(loop, FUSED, fused_into(consumer, what, producer)), None


# a vector bound by a let and read by several loops: its producer, if at most this many
# nodes, is copied into each of at most this many loops that fuse it
_COPY_NODES, _COPY_USES = 96, 4


def _copied_into_consumers(let: E.Let) -> E.Expr | None:
    """The body of ``let v = result(for(..., appender, ...))`` with the producer copied into
    each loop that reads ``v`` and fused there, so that ``v`` is never built (None: some use
    is not a loop that fuses it, or the copy would cost too much). The producer cannot fail
    but by a zip of unequal vectors, so only which of two errors comes first can change."""
    producer = _producer(E.Iter(E.IterKind.SCALAR, let.value))
    if (producer is None or producer.builder.arg is not None or not body_cannot_fail(producer)
            or not all(_iter_cannot_fail(it) for it in producer.iters)
            or sum(1 for _ in preorder(producer)) > _COPY_NODES):
        return None
    name = let.name
    uses = [(path, node, bound) for path, node, bound in always_evaluated(let.body)
            if isinstance(node, E.For) and any(_reads(it, name) for it in node.iters)]
    reads = sum(1 for n in preorder(let.body) if isinstance(n, E.Ident) and n.name == name)
    if not uses or len(uses) > _COPY_USES or reads != sum(
            sum(_reads(it, name) for it in loop.iters) for _, loop, _ in uses):
        return None
    needs = free_vars(let.value) | {name}
    replacements = {}
    for path, loop, bound in uses:
        if needs & bound:  # a name the producer reads is bound again on the way
            return None
        iters = tuple(dataclasses.replace(it, data=let.value) if _reads(it, name) else it
                      for it in loop.iters)
        fused = _fuse_or_keep(dataclasses.replace(loop, iters=iters))
        if any(it.data is let.value for it in fused.iters):
            return None
        replacements[path] = fused
    return replace_at(let.body, replacements)


def _reads(it: E.Iter, name: str) -> bool:
    """Whether ``it`` reads the whole vector named ``name``, element by element."""
    return (it.kind is E.IterKind.SCALAR and it.start is None and isinstance(it.data, E.Ident)
            and it.data.name == name)


def _binders(func: E.Lambda) -> set[str]:
    names = {p.name for p in func.params}
    for n in preorder(func.body):
        if isinstance(n, E.Let):
            names.add(n.name)
        elif isinstance(n, E.Lambda):
            names.update(p.name for p in n.params)
    return names


class _Spine:
    """Rewrites the producer's body along the path its appender ``b`` flows through
    (``b`` itself becomes the consumer's builder ``c``; names a ``let`` binds to a builder
    derived from it stay, their values rewritten)."""

    def __init__(self, b: str, c: str, consume: E.Expr, index: tuple[str, str] | None,
                 y: str, consumed: Callable[[E.Expr], list[E.Expr]]):
        self.b, self.c, self.consume, self.index, self.y = b, c, consume, index, y
        self.consumed = consumed  # the consumer's element (its fields) from a merged value
        self.sites = 0  # merge sites rewritten so far (fresh names for each)

    def rewrite(self, node: E.Expr, aliases: frozenset = frozenset()) -> E.Expr | None:
        """``node`` (a builder expression derived from ``b``) rewritten, or None."""
        builders = aliases | {self.b}
        if isinstance(node, E.Ident):
            if node.name == self.b:
                return E.Ident(self.c)
            return node if node.name in aliases else None
        if isinstance(node, E.Merge):
            builder = self.rewrite(node.builder, aliases)
            if builder is None or builders & free_vars(node.value):
                return None
            return self._consume(builder, node.value)
        if isinstance(node, E.If):
            if builders & free_vars(node.cond):
                return None
            on_true = self.rewrite(node.on_true, aliases)
            on_false = self.rewrite(node.on_false, aliases)
            if on_true is None or on_false is None:
                return None
            return E.If(node.cond, on_true, on_false, annotations=node.annotations)
        if isinstance(node, E.Let):
            return self._let(node, aliases, builders)
        return None

    def _let(self, node: E.Let, aliases: frozenset, builders: set) -> E.Expr | None:
        if builders & free_vars(node.value):  # binds a builder: an alias
            value = self.rewrite(node.value, aliases)
            inner = aliases | {node.name}
        else:
            value, inner = node.value, aliases - {node.name}
        body = self.rewrite(node.body, inner) if value is not None else None
        return None if body is None else E.Let(node.name, value, body)

    def _consume(self, builder: E.Expr, element: E.Expr) -> E.Expr:
        """``let c_k = builder; [let j_k = i;] let y_k = element; consume`` with the
        consumer's ``c, j`` renamed ``c_k, j_k`` and its element made of ``y_k`` (and the
        zip's other fields): fresh names for each merge site, so that no binding shadows
        another (the consumer's own binders are unique)."""
        self.sites += 1
        c_k, y_k = f"{self.c}_{self.sites}", f"{self.y}_{self.sites}"
        renames = {self.c: _typed_as(E.Ident(c_k), builder)}
        bindings = [(y_k, element)]
        if self.index is not None:
            j, i = self.index
            renames[j] = E.Ident(f"{j}_{self.sites}").with_type(T.I64)
            bindings.insert(0, (f"{j}_{self.sites}", E.Ident(i)))
        body = substitute(self.consume, renames)
        body = replace_element(body, self.y, self.consumed(_typed_as(E.Ident(y_k), element)))
        if isinstance(builder, E.Ident) and builder.name == self.c:
            body = substitute(body, {c_k: E.Ident(self.c)})  # the builder: no let
        else:
            bindings.insert(0, (c_k, builder))
        for name, value in reversed(bindings):
            body = E.Let(name, value, body)
        return body


def _typed_as(node: E.Expr, like: E.Expr) -> E.Expr:
    """``node`` with ``like``'s type (a name bound to ``like``), if that is known."""
    return node if like.ty is None else node.with_type(like.ty)


def _merges_per_iteration(node: E.Expr, b: str, aliases: frozenset = frozenset()
                          ) -> int | None:
    """How many merges into ``b`` every path through the producer's body makes (None when
    paths differ or the builder goes elsewhere)."""
    names = aliases | {b}
    if isinstance(node, E.Ident):
        return 0 if node.name in names else None
    if isinstance(node, E.Merge):
        inner = _merges_per_iteration(node.builder, b, aliases)
        return None if inner is None else inner + 1
    if isinstance(node, E.If):
        counts = {_merges_per_iteration(n, b, aliases) for n in (node.on_true, node.on_false)}
        return counts.pop() if len(counts) == 1 else None
    if isinstance(node, E.Let):
        if names & free_vars(node.value):
            before = _merges_per_iteration(node.value, b, aliases)
            after = _merges_per_iteration(node.body, b, aliases | {node.name})
            return None if before is None or after is None else before + after
        return _merges_per_iteration(node.body, b, aliases - {node.name})
    return None
