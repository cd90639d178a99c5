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

from weldpy.ir import exprs as E
from weldpy.ir import printer
from weldpy.ir import types as T
from weldpy.ir.alpha import canonical
from weldpy.ir.passes.places import substitute
from weldpy.ir.traverse import free_vars, preorder, rewrite_bottom_up

_SAFE = (E.Literal, E.StringLit, E.Ident, E.GetField, E.MakeStruct, E.Length, E.UnaryOp,
         E.Cast, E.Select, E.If, E.Ascribe, E.NewBuilder, E.MakeVector, E.Let)
_FAILING_BINOPS = (E.BinKind.DIV, E.BinKind.MOD)


def run(program: E.Expr) -> E.Expr:
    """``program`` with every fusable producer/consumer pair of loops fused."""
    return rewrite_bottom_up(program, _fuse_or_keep)


def _fuse_or_keep(node: E.Node) -> E.Node:
    if not isinstance(node, E.For):
        return node
    fused, reason = _fuse(node)
    if fused is not None:
        return fused
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


def cannot_fail(node: E.Node) -> bool:
    """Whether evaluating ``node`` can never raise (no lookup, division, loop, call ...)."""
    for n in preorder(node):
        if isinstance(n, E.BinOp):
            if n.op in _FAILING_BINOPS and not (n.ty is not None and isinstance(n.ty, T.Scalar)
                                                 and n.ty.kind.is_float):
                return False
        elif not isinstance(n, _SAFE):
            return False
    return True


def _producer(consumer: E.For) -> tuple[E.For | None, str | None]:
    """The loop whose appender's result ``consumer`` iterates over, or why there is none to
    fuse (None: ``consumer`` does not read a loop's result at all)."""
    results = [it for it in consumer.iters
               if isinstance(it.data, E.Result) and isinstance(it.data.builder, E.For)]
    if not results:
        return None, None
    if len(consumer.iters) != 1:
        return None, "zipped with other iterators"
    it = consumer.iters[0]
    if it.kind is not E.IterKind.SCALAR or it.start is not None:
        return None, "read through a strided iterator"
    producer = it.data.builder
    new = producer.builder
    if not (isinstance(new, E.NewBuilder) and isinstance(new.type_, T.Appender)):
        return None, None  # not an appender's vector: nothing to fuse
    if new.arg is not None:
        return None, "the producer's appender has a size hint"
    if not (isinstance(producer.func, E.Lambda) and isinstance(consumer.func, E.Lambda)):
        return None, "a loop body that is not a lambda"
    return producer, None


def _fuse(consumer: E.For) -> tuple[E.For | None, str | None]:
    """The fused loop, or None and why not (None: nothing to fuse)."""
    producer, reason = _producer(consumer)
    if producer is None:
        return None, reason
    if not cannot_fail(consumer.builder):
        return None, "the consumer's builder may fail"
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
    spine = _Spine(b.name, c.name, takes.body, (j.name, i.name) if uses_index else None,
                   y.name)
    body = spine.rewrite(made.body)
    if body is None:
        return None, "the producer's appender flows where fusion does not follow"
    kind = {1: "map"}.get(per_iteration, "filter" if per_iteration is None else "flatten")
    loop = E.For(producer.iters, consumer.builder, E.Lambda((c, i, x), body),
                 annotations=consumer.annotations)
    what = f"{kind} over {', '.join(printer.pretty(it) for it in producer.iters)}"
    return annotate(loop, FUSED, fused_into(consumer, what, producer)), None


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
                 y: str):
        self.b, self.c, self.consume, self.index, self.y = b, c, consume, index, y
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
        consumer's ``c, j, y`` renamed ``c_k, j_k, y_k``: fresh names for each merge site,
        so that no binding shadows another (the consumer's own binders are unique)."""
        self.sites += 1
        fresh = {name: f"{name}_{self.sites}" for name in (self.c, self.y)}
        bindings = [(fresh[self.y], element)]
        if self.index is not None:
            j, i = self.index
            fresh[j] = f"{j}_{self.sites}"
            bindings.insert(0, (fresh[j], E.Ident(i)))
        body = substitute(self.consume, {k: E.Ident(v) for k, v in fresh.items()})
        if isinstance(builder, E.Ident) and builder.name == self.c:
            body = substitute(body, {fresh[self.c]: E.Ident(self.c)})  # the builder: no let
        else:
            bindings.insert(0, (fresh[self.c], builder))
        for name, value in reversed(bindings):
            body = E.Let(name, value, body)
        return body


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
