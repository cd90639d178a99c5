"""Vertical loop fusion: a loop over ``result(for(..., appender, P))`` runs inside the loop
that produced it, so the intermediate vector is never built.

    for(result(for(v, appender, |b, i, x| P)), B, |c, j, y| C)
      =>  for(v, B, |c, i, x| P[merge(b', e) := let c = b''; let j = i; let y = e; C])

where the producer's body ``P`` threads its appender through ``merge``, ``if`` and ``let``
only (a map, a filter, or a map that merges on some paths), and ``b''`` is the rewritten
builder flowing into that merge. Every element the producer would have appended is handed
to the consumer's body at once, in the same order, so the result is the same; the consumer's
index ``j`` is only available when every iteration merges exactly once (a map: ``j == i``).

A consumer over a zip takes maps: the producer's iterators are spliced into the zip in its
place and ``y`` is rebuilt from the fields (``for(zip(result(map over v), w), ...)`` becomes
one loop over ``zip(v, w)``); equal iterators of a zip are then read once. A map bound by a
``let`` and read only by loops is copied into each of them (``copies``).

Left alone (the vector stays materialised, the reason recorded on the consumer): a strided
view of the result, a filter in a zip, a producer with a size hint, a consumer builder that
might fail, a producer and a consumer that may both fail (interleaved, another element's
error could come first), and a builder that flows anywhere else.

Time is linear in the program's size, as a 10,000-operation chain needs: loops are fused
from the outermost consumer down, so each step reads one original (small) producer and
never walks the body fused so far. For that, every loop's binders are first renamed to
names used nowhere else (nothing a producer binds can capture a consumer's names), and a
body larger than ``_SUBSTITUTE_NODES`` gets its element by a ``let`` instead of a renaming.
A fused body stops growing at ``MAX_FUSED_NODES`` (compile time).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable

from weldpy.ir import exprs as E
from weldpy.ir import printer
from weldpy.ir import types as T
from weldpy.ir.alpha import canonical
from weldpy.ir.passes.copies import CopyPlan, copy_plan, mapped_value, maps
from weldpy.ir.passes.elements import (
    canonical_iterators,
    distinct_iterators,
    element_type,
    element_types,
    field,
    replace_element,
)
from weldpy.ir.passes.failures import body_cannot_fail, cannot_fail
from weldpy.ir.passes.floating import float_lets, peel_lets
from weldpy.ir.passes.places import names_in, substitute, typed_like
from weldpy.ir.passes.provenance import FUSED, MATERIALIZED, annotate, annotation
from weldpy.ir.passes.unpack import unpack
from weldpy.ir.traverse import free_vars, preorder, rewrite_bottom_up, rewrite_top_down

_SUBSTITUTE_NODES = 64  # a fused body up to this size is renamed into; a larger one bound
# a fused body stops growing at about this many nodes: LLVM's optimiser takes superlinear
# time on one huge loop body (a 3,000-operation chain: 12 s), while the vector a long chain
# then writes and reads again every few hundred operations costs little beside them
MAX_FUSED_NODES = 2000


def run(program: E.Expr) -> E.Expr:
    """``program`` with every fusable producer/consumer pair of loops fused (and the lets
    that handed fused bodies their elements read through: ``unpack``)."""
    return unpack(_Fusion(program).run())


class _Names:
    """Names no part of the program uses: a prefix no name in it starts with, and a count."""

    def __init__(self, program: E.Expr):
        taken = names_in(program)
        self.base = "fz"
        while any(name.startswith(self.base) for name in taken):
            self.base += "z"
        self.counter = itertools.count()

    def fresh(self, stem: str) -> str:
        return f"{self.base}{stem}{next(self.counter)}"

    def prefix(self) -> str:
        """A prefix for ``canonical``: its names (``prefix0, prefix1 ...``) are fresh too."""
        return f"{self.base}p{next(self.counter)}_"


class _Fusion:
    def __init__(self, program: E.Expr):
        program = float_lets(program)  # (a let-bound loop behind lets: copied when small)
        self.names = _Names(program)
        self.program = rewrite_bottom_up(program, self._renamed)
        self.plan: CopyPlan = copy_plan(self.program)

    def run(self) -> E.Expr:
        return rewrite_top_down(self.program, self._visit)

    def _renamed(self, node: E.Node) -> E.Node:
        if isinstance(node, E.For) and isinstance(node.func, E.Lambda):
            return dataclasses.replace(node, func=canonical(node.func, self.names.prefix()))
        return node

    def _visit(self, node: E.Node) -> E.Node:
        while isinstance(node, E.Let) and id(node) in self.plan.dropped:
            node = node.body  # (its vector is copied into every loop reading it)
        if (isinstance(node, E.Lookup) and isinstance(node.data, E.Ident)
                and node.data.name in self.plan.lookups):  # (an element computed in place)
            return self._element_at(self.plan.lookups[node.data.name], node.index)
        if isinstance(node, E.For) and isinstance(node.func, E.Lambda):
            return self._absorb_all(node)
        return node

    def _absorb_all(self, loop: E.For) -> E.For:
        """``loop`` with the producers it reads fused into it, one at a time (each one's own
        producers are then read by the fused loop, and fused next)."""
        original = loop
        facts = _Facts(loop)
        # which absorbed producers each iterator came from (for the notes: "map over v")
        owners: list[frozenset] = [frozenset()] * len(loop.iters)
        loop, owners = self._tidy(loop, facts, owners)
        absorbed: list[E.For] = []
        parents: list[int] = []  # the absorbed producer each one was read by (-1: loop)
        hoisted: list[tuple[str, E.Expr]] = []  # lets moved out of iterators, in order
        while True:
            reason = None
            loop = self._hoist(loop, hoisted)
            for p, it in enumerate(loop.iters):
                producer = _producer(it)
                if producer is None:
                    if isinstance(it.data, E.Let):  # (one that ``_hoist`` left in place)
                        reason = reason or "read through a let whose value may fail"
                    continue
                why = _why_not(loop, p, producer, facts)
                fused = None
                if why is None:
                    fused, why = self._absorb(loop, p, producer, facts)
                if fused is not None:
                    parents.append(max(owners[p], default=-1))
                    mine = owners[p] | {len(absorbed)}
                    owners = [*owners[:p], *[mine] * len(producer.iters), *owners[p + 1:]]
                    absorbed.append(producer)
                    loop, owners = self._tidy(fused, facts, owners)
                    break
                reason = reason or why
            else:
                break
        if absorbed:
            loop = annotate(loop, FUSED,
                            _notes(original, absorbed, parents, loop.iters, owners))
        if reason is not None and not annotation(loop, MATERIALIZED):
            loop = annotate(loop, MATERIALIZED, reason)
        for name, value in reversed(hoisted):
            loop = E.Let(name, value, loop)
        return loop

    def _element_at(self, producer: E.For, index: E.Expr) -> E.Expr:
        """The element at ``index`` (in range) of the map ``producer`` makes, computed: a
        chain of lets computing the element of each map it reads (through its iterators)
        at that index once, then its own (``let i = k; let x = <elements>; value``)."""
        k = self.names.fresh("k")
        lets: list[tuple[str, E.Expr]] = [(k, index)]
        out = self._element(producer, E.Ident(k).with_type(T.I64), lets, {})
        for name, bound in reversed(lets):
            out = E.Let(name, bound, out)
        return out

    def _element(self, producer: E.For, at: E.Expr, lets: list, done: dict) -> E.Expr:
        """``producer``'s element at ``at``, its lets appended to ``lets`` (``done``: the
        maps whose element is bound already, by name)."""
        if id(producer) in done:
            return E.Ident(done[id(producer)])
        _, i, x = producer.func.params
        elements = []
        for it in producer.iters:
            data = self.plan.reads.get(id(it), it.data)  # (a map copied here: its element)
            while isinstance(data, E.Let) and it.kind is E.IterKind.SCALAR:
                if id(data) not in self.plan.dropped:  # (a frontend's let around a map)
                    lets.append((data.name, data.value))
                data = data.body
            inner = _appending(data)
            if (inner is not None and it.kind is E.IterKind.SCALAR and it.start is None
                    and maps(inner) and mapped_value(inner) is not None):
                elements.append(self._element(inner, at, lets, done))
            elif it.kind is E.IterKind.RANGE:
                elements.append(E.BinOp(E.BinKind.ADD, it.start,
                                        E.BinOp(E.BinKind.MUL, at, it.stride)))
            else:
                elements.append(E.Lookup(data, at, annotations=E.INBOUNDS))
        lets.append((i.name, at))
        lets.append((x.name, elements[0] if len(elements) == 1
                     else E.MakeStruct(tuple(elements))))
        name = done[id(producer)] = self.names.fresh("v")
        lets.append((name, mapped_value(producer)))
        return E.Ident(name)

    def _hoist(self, loop: E.For, hoisted: list[tuple[str, E.Expr]]) -> E.For:
        """``loop`` with each iterator over ``let x = v; <loop>`` reading ``<loop>`` (that
        may fuse), ``let x = v`` moved out of the loop under a fresh name (appended to
        ``hoisted``) when ``v`` cannot fail (nothing between can then fail first): a
        broadcast 0-d operand, bound outside the loop that reads it, is such a let."""
        iters = list(loop.iters)
        for p, it in enumerate(iters):
            lets, data = peel_lets(it.data, lambda: self.names.fresh("h"), cannot_fail)
            hoisted += lets
            if data is not it.data:
                iters[p] = dataclasses.replace(it, data=data)
        return loop if iters == list(loop.iters) else dataclasses.replace(loop,
                                                                          iters=tuple(iters))

    def _tidy(self, loop: E.For, facts: _Facts, owners: list[frozenset]
              ) -> tuple[E.For, list[frozenset]]:
        """``loop`` reading the copies the plan puts in place of let-bound vectors, and
        each distinct iterator once (with the owners of each iterator left)."""
        iters = tuple(dataclasses.replace(it, data=self.plan.reads[id(it)])
                      if id(it) in self.plan.reads else it for it in loop.iters)
        if any(new is not old for new, old in zip(iters, loop.iters, strict=True)):
            loop = dataclasses.replace(loop, iters=iters)
        unique, where = distinct_iterators(loop.iters)
        merged = [frozenset()] * len(unique)
        for k, u in enumerate(where):
            merged[u] = merged[u] | owners[k]
        return canonical_iterators(loop, self.names.fresh("z"), bind=facts.large), merged

    def _absorb(self, loop: E.For, p: int, producer: E.For, facts: _Facts
                ) -> tuple[E.For | None, str | None]:
        """The loop over ``loop``'s iterators with ``producer``'s spliced in at ``p``, whose
        body runs ``loop``'s body on each element the producer merges, or None and why."""
        made, takes = producer.func, loop.func
        b, i, x = made.params
        c, j, y = takes.params
        per_iteration = _merges_per_iteration(made.body, b.name)
        if facts.index_used and per_iteration != 1:
            return None, "the consumer uses the index of a filtered vector"
        n, m = len(loop.iters), len(producer.iters)
        made_types, taken_types = element_types(x, m), element_types(y, n)
        types = (*taken_types[:p], *made_types, *taken_types[p + 1:])
        if n == 1:  # the producer's element is the fused loop's
            z, produce = x, made.body
        else:
            z = E.Param(self.names.fresh("z"), element_type(types))
            produce = replace_element(made.body, x.name,
                                      [field(z.name, p + q, types) for q in range(m)])

        def consumed(value: E.Expr) -> list[E.Expr]:
            """The consumer's element: ``value`` (the merged one) among the other fields."""
            if n == 1:
                return [value]
            return [field(z.name, k if k < p else k + m - 1, types) if k != p else value
                    for k in range(n)]

        spine = _Spine(b.name, c.name, takes.body, (j.name, i.name) if facts.index_used
                       else None, y.name, consumed, self.names, facts.large)
        body = spine.rewrite(produce)
        if body is None:
            return None, "the producer's appender flows where fusion does not follow"
        if facts.large and spine.sites > 1:
            return None, "a producer merging several times into a large consumer"
        facts.absorbed(producer, uses_index=i.name in free_vars(made.body),
                       bindings=4 + (3 * n if n > 1 else 0))  # (lets and the zip's fields)
        iters = (*loop.iters[:p], *producer.iters, *loop.iters[p + 1:])
        return E.For(iters, loop.builder, E.Lambda((c, i, z), body),
                     annotations=loop.annotations), None


class _Facts:
    """What fusion needs to know of the loop fused so far, kept up to date step by step
    (reading the whole fused body at every step would make a chain quadratic)."""

    def __init__(self, loop: E.For):
        self.loop = loop
        self.size = _size(loop.func.body, MAX_FUSED_NODES)
        self.index_used = loop.func.params[1].name in free_vars(loop.func.body)
        self._safe: bool | None = None  # whether its body cannot fail (found when asked)

    @property
    def large(self) -> bool:
        return self.size > _SUBSTITUTE_NODES

    def safe(self) -> bool:
        if self._safe is None:
            self._safe = body_cannot_fail(self.loop)
        return self._safe

    def absorbed(self, producer: E.For, uses_index: bool, bindings: int) -> None:
        self.size += _size(producer.func.body, MAX_FUSED_NODES) + bindings
        self.index_used = self.index_used or uses_index  # (``let j = i`` reads it too)
        if self._safe is not None:
            self._safe = self._safe and body_cannot_fail(producer)


def _size(node: E.Node, most: int) -> int:
    """Nodes in ``node``, counted up to just past ``most``."""
    return sum(1 for _ in itertools.islice(preorder(node), most + 1))


def _notes(original: E.For, absorbed: list[E.For], parents: list[int], iters: tuple,
           owners: list) -> str:
    """The ``fused`` annotation: what each absorbed producer was, over the inputs of the
    fused loop it reads, each after the producers it read (as the data flowed)."""
    below: dict[int, list[int]] = {k: [] for k in range(-1, len(absorbed))}
    for k, parent in enumerate(parents):
        below[parent].append(k)
    notes = [n for n in (annotation(original, FUSED),) if n]
    shown = [_shown(it) for it in iters]
    stack = [(-1, False)]
    while stack:  # (post-order, without recursion: chains are long)
        k, expanded = stack.pop()
        if not expanded:
            stack.append((k, True))
            stack.extend((kid, False) for kid in reversed(below[k]))
            continue
        if k < 0:
            continue
        producer = absorbed[k]
        notes += [n for n in (annotation(producer, FUSED),) if n]
        b = producer.func.params[0].name
        per_iteration = _merges_per_iteration(producer.func.body, b)
        kind = {1: "map"}.get(per_iteration, "filter" if per_iteration is None else "flatten")
        reads = [text for text, mine in zip(shown, owners, strict=True) if k in mine]
        notes.append(f"{kind} over {', '.join(reads)}")
    return "; ".join(notes)


def _shown(it: E.Iter) -> str:
    """``it`` in a note: in full when it reads names and literals, else in short (a loop
    that stayed apart may be a whole chain)."""
    small = all(isinstance(n, (E.Ident, E.Literal, E.Iter, E.GetField)) for n in
                itertools.islice(preorder(it), 16))
    return printer.pretty(it) if small else f"{it.kind.value}(...)"


def _producer(it: E.Iter) -> E.For | None:
    """The loop whose appender's vector iterator ``it`` reads, if any."""
    return _appending(it.data)


def _appending(data: E.Expr) -> E.For | None:
    """The loop whose appender's vector ``data`` is, if any."""
    if not (isinstance(data, E.Result) and isinstance(data.builder, E.For)):
        return None
    new = data.builder.builder
    if isinstance(new, E.NewBuilder) and isinstance(new.type_, T.Appender):
        return data.builder
    return None  # not an appender's vector: nothing to fuse


def _why_not(consumer: E.For, p: int, producer: E.For, facts: _Facts) -> str | None:
    """Why ``producer``, read by ``consumer``'s iterator ``p``, cannot fuse into it (None:
    it can, up to the index and the builder's flow, checked when fusing)."""
    it = consumer.iters[p]
    if it.kind is not E.IterKind.SCALAR or it.start is not None:
        return "read through a strided iterator"
    if producer.builder.arg is not None:
        return "the producer's appender has a size hint"
    if not isinstance(producer.func, E.Lambda):
        return "a loop body that is not a lambda"
    if not cannot_fail(consumer.builder):
        return "the consumer's builder may fail"
    if facts.size + _size(producer.func.body, MAX_FUSED_NODES) > MAX_FUSED_NODES:
        return "the fused loop would be too large to compile quickly"
    producer_safe = body_cannot_fail(producer)
    if len(consumer.iters) == 1:
        # interleaved, two failing bodies could report another element's error first
        return None if producer_safe or facts.safe() else \
            "the producer and the consumer may both fail"
    if _merges_per_iteration(producer.func.body, producer.func.params[0].name) != 1:
        return "zipped with a filtered vector"
    if not producer_safe:
        return "a zipped producer that may fail"
    return None


class _Spine:
    """Rewrites the producer's body along the path its appender ``b`` flows through
    (``b`` itself becomes the consumer's builder ``c``; names a ``let`` binds to a builder
    derived from it stay, their values rewritten)."""

    def __init__(self, b: str, c: str, consume: E.Expr, index: tuple[str, str] | None,
                 y: str, consumed: Callable[[E.Expr], list[E.Expr]], names: _Names,
                 bind: bool):
        self.b, self.c, self.consume, self.index, self.y = b, c, consume, index, y
        self.consumed = consumed  # the consumer's element (its fields) from a merged value
        self.names, self.bind = names, bind
        self.sites = 0  # merge sites rewritten so far

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
        """The consumer's body on ``element`` merged into ``builder``: ``let c_k = builder;
        [let j_k = i;] let y_k = element; consume`` with the consumer's ``c, j`` renamed
        ``c_k, j_k`` and its element made of ``y_k`` (and the zip's other fields), fresh
        names for each merge site; or, binding, the consumer's own names bound by ``let``s
        around its body, untouched (one merge site)."""
        self.sites += 1
        y_k = self.names.fresh("y")
        bindings = [(y_k, element)]
        fields = self.consumed(typed_like(E.Ident(y_k), element))
        is_builder = isinstance(builder, E.Ident) and builder.name == self.c
        if self.bind:
            if self.index is not None:
                bindings.insert(0, (self.index[0], E.Ident(self.index[1])))
            if not is_builder:
                bindings.insert(0, (self.c, builder))
            body = replace_element(self.consume, self.y, fields, bind=True)
        else:
            c_k = self.names.fresh("c")
            renames = {self.c: E.Ident(self.c) if is_builder else typed_like(E.Ident(c_k),
                                                                            builder)}
            if not is_builder:
                bindings.insert(0, (c_k, builder))
            if self.index is not None:
                j, i = self.index
                j_k = self.names.fresh("j")
                renames[j] = E.Ident(j_k).with_type(T.I64)
                bindings.insert(0, (j_k, E.Ident(i)))
            body = replace_element(substitute(self.consume, renames), self.y, fields)
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
