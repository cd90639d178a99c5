"""Which let-bound vectors vertical fusion copies into the loops that read them: the plan.

``let m = result(for(..., appender, |b, i, x| ...)); ... for(m, ...) ... for(zip(m, w), ...)``
builds ``m`` once and reads it twice. When every read of ``m`` is a loop iterating over all
of it, evaluated whenever the ``let``'s body is (not under a lambda, one branch of an ``if``
or the right of ``&&``), and the producer is small and cannot fail (but by a zip of unequal
vectors), the producer is copied into each of those loops instead and fuses there: ``m`` is
never built, and the copies' shared work ends up in one loop when the readers fuse too
(LLVM then computes it once). Only which of two errors a program reports first can change
(a producer's mismatched zip against an error between the ``let`` and the first read).

``copy_plan(program)`` finds them in one walk of the program (linear in its size, as fusion
must be on a 10,000-operation chain): the ``let``s to drop and, for each iterator that reads
one, the producer to read instead.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field

from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.ir.merge_counts import single_merges
from weldpy.ir.passes.failures import body_cannot_fail, cannot_fail
from weldpy.ir.passes.places import always_evaluated_children
from weldpy.ir.traverse import children, free_vars, preorder

# a producer (its whole expression) of at most this many nodes is copied into at most this
# many loops: the copies' cost is bounded, and so is the growth of chains of shared vectors
COPY_NODES, COPY_USES = 96, 4


@dataclass
class _Candidate:
    let: E.Let
    producer: E.For
    barrier: int  # the region of the let: a read in another one may not run, or run again
    needs: dict  # name the producer reads -> its binding at the let
    reads: list = field(default_factory=list)  # the iterators reading the whole vector
    lookups: list = field(default_factory=list)  # the lookups recomputing an element
    other_use: bool = False


@dataclass(frozen=True)
class CopyPlan:
    dropped: frozenset[int]  # ids of the lets whose vector is never built
    reads: dict[int, E.Expr]  # id of an iterator -> the producer it reads instead
    lookups: dict[str, E.For]  # a dropped let's name -> the map whose element its lookups
    # compute (a name bound once in the program: fusion rebuilds the lookups it rewrites)


def copy_plan(program: E.Expr) -> CopyPlan:
    bound = Counter(n.name for n in preorder(program) if isinstance(n, E.Let))
    candidates: dict[object, _Candidate] = {}  # binding key -> candidate
    scope: dict[str, list] = {}  # name -> its bindings, innermost last
    regions = itertools.count(1)
    stack: list[tuple] = [("visit", program, 0)]
    while stack:
        action, item, region = stack.pop()
        if action == "bind":
            name, key = item
            scope.setdefault(name, []).append(key)
        elif action == "unbind":
            scope[item].pop()
        elif isinstance(item, E.Ident):
            found = candidates.get(_binding(scope, item.name))
            if found is not None:
                found.other_use = True
        elif isinstance(item, E.Lookup) and _element_read(item, scope, candidates, bound):
            stack.append(("visit", item.index, region))
        elif isinstance(item, E.Let):
            made = _candidate(item, region, scope)
            if made is not None:
                candidates[id(item)] = made
            stack += [("unbind", item.name, 0), ("visit", item.body, region),
                      ("bind", (item.name, id(item)), 0), ("visit", item.value, region)]
        elif isinstance(item, E.Lambda):
            inner = next(regions)
            stack += [("unbind", p.name, 0) for p in item.params]
            stack.append(("visit", item.body, inner))
            stack += [("bind", (p.name, (id(item), k)), 0) for k, p in enumerate(item.params)]
        elif isinstance(item, E.For):
            stack += [("visit", item.func, region), ("visit", item.builder, region)]
            for it in item.iters:
                if not _read_by_copy(item, it, region, scope, candidates):
                    stack += [("visit", part, region) for part in children(it)]
        else:
            kids = children(item)
            shared = always_evaluated_children(item)
            stack += [("visit", kid, region if k in shared else next(regions))
                      for k, kid in enumerate(kids)]
    dropped, reads, lookups = set(), {}, {}
    for key, found in candidates.items():
        if not found.other_use and len(found.reads) <= COPY_USES and (
                found.reads or found.lookups):
            dropped.add(key)
            reads.update({id(it): found.let.value for it in found.reads})
            if found.lookups:
                lookups[found.let.name] = found.producer
    return CopyPlan(frozenset(dropped), reads, lookups)


def _binding(scope: dict, name: str):
    bindings = scope.get(name)
    return bindings[-1] if bindings else None


def _candidate(let: E.Let, region: int, scope: dict) -> _Candidate | None:
    value = let.value
    if not (isinstance(value, E.Result) and isinstance(value.builder, E.For)):
        return None
    producer = value.builder
    new = producer.builder
    if not (isinstance(new, E.NewBuilder) and isinstance(new.type_, T.Appender)
            and new.arg is None and isinstance(producer.func, E.Lambda)
            and sum(1 for _ in itertools.islice(preorder(value), COPY_NODES + 1))
            <= COPY_NODES and _quiet(value)):
        return None
    return _Candidate(let, producer, region,
                      {n: _binding(scope, n) for n in free_vars(value)})


def _quiet(expr: E.Expr) -> bool:
    """Whether ``expr`` cannot fail but by a zip of unequal vectors: it cannot fail, or it
    is a loop over such vectors whose builder and body cannot fail."""
    if cannot_fail(expr):
        return True
    if not (isinstance(expr, E.Result) and isinstance(expr.builder, E.For)):
        return False
    loop = expr.builder
    return (cannot_fail(loop.builder) and body_cannot_fail(loop)
            and all(_quiet(part) for it in loop.iters for part in children(it)))


def _read_by_copy(loop: E.For, it: E.Iter, region: int, scope: dict,
                  candidates: dict) -> bool:
    """Whether ``it`` reads a candidate's whole vector where a copy of its producer can
    replace it (recorded on the candidate)."""
    if not (it.kind is E.IterKind.SCALAR and it.start is None and isinstance(it.data, E.Ident)):
        return False
    found = candidates.get(_binding(scope, it.data.name))
    if (found is None or found.barrier != region or not isinstance(loop.func, E.Lambda)
            or not cannot_fail(loop.builder)
            or any(_binding(scope, n) != key for n, key in found.needs.items())):
        return False
    if len(loop.iters) > 1 and not maps(found.producer):
        return False  # a zip reads element k of each: the producer must be a map
    found.reads.append(it)
    return True


def _element_read(lookup: E.Lookup, scope: dict, candidates: dict, bound: Counter) -> bool:
    """Whether ``lookup`` reads an element of a candidate map at an index in range
    (``@(inbounds: true)``, which only frontends write) where its element can be computed
    instead (recorded on the candidate): the map cannot fail (but by a zip of unequal
    vectors: a frontend's zips are equal by construction), and reads what it read at its
    let (anywhere: computing an element that cannot fail is unobservable), bound once in
    the program (``bound``: let names' counts) as the plan names it."""
    if not (isinstance(lookup.data, E.Ident) and E.INBOUNDS[0] in lookup.annotations
            and bound[lookup.data.name] == 1):
        return False
    found = candidates.get(_binding(scope, lookup.data.name))
    if (found is None or not maps(found.producer) or mapped_value(found.producer) is None
            or any(it.kind is E.IterKind.SCALAR and it.start is not None
                   for it in found.producer.iters)
            or any(_binding(scope, n) != key for n, key in found.needs.items())):
        return False
    found.lookups.append(lookup)
    return True


def mapped_value(loop: E.For) -> E.Expr | None:
    """The value a map's body merges (with the lets before its merge), or None when its
    body is not ``let ...; merge(b, value)``."""
    b = loop.func.params[0].name
    body, lets = loop.func.body, []
    while isinstance(body, E.Let):
        if b in free_vars(body.value):
            return None
        lets.append((body.name, body.value))
        body = body.body
    if not (isinstance(body, E.Merge) and isinstance(body.builder, E.Ident)
            and body.builder.name == b) or b in free_vars(body.value):
        return None
    value = body.value
    for name, bound in reversed(lets):
        value = E.Let(name, bound, value)
    return value


def maps(loop: E.For) -> bool:
    """Whether ``loop`` merges exactly once an iteration (a map)."""
    return () in single_merges(loop.func, loop.builder.ty).exact
