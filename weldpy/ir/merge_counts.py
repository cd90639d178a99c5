"""Which merges into a loop's appenders happen at most once per iteration (an analysis of
loop bodies, for the optimiser and the backends).

When room for one element per iteration is reserved in an appender (the llvm backend's
parallel parts and nested loops do), a merge into it that no iteration makes twice needs no
capacity check, which lets LLVM vectorise a map; an appender that every iteration merges
into exactly once can be written in place at the iteration's index, and its size is known
before the loop runs (the ``infer_sizes`` pass). ``single_merges(func, builder_ty)`` finds
both.

The analysis is conservative: it follows the builder parameter through ``merge``, field
access, ``let``, ``if`` (the larger count of the two branches) and struct construction; the
builder reaching anything else (a nested loop, a lambda, ``select``, a call) makes every
count unbounded.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.ir.traverse import children

Path = tuple[int, ...]


@dataclass(frozen=True)
class SingleMerges:
    """What ``single_merges`` found: the merges needing no capacity check (their ids), and
    the appenders (paths of field indices into the builder) that every iteration merges
    into exactly once, so that iteration ``i`` writes element ``i`` (a map)."""

    unchecked: frozenset[int] = frozenset()
    exact: frozenset[Path] = frozenset()


def single_merges(func: E.Lambda, builder_ty: T.Type) -> SingleMerges:
    """The analysis of the loop body ``func`` (``|b, i, x| ...``) for ``b``'s appenders."""
    appenders = set(_appender_paths(builder_ty, ()))
    if not appenders:
        return SingleMerges()
    walk = _Walk()
    counts = walk.count(func.body, {func.params[0].name: ()})
    if counts is None:
        return SingleMerges()
    most, least = counts
    return SingleMerges(
        frozenset(id(node) for node, path in walk.merges
                  if path in appenders and most[path] <= 1),
        frozenset(p for p in appenders if most[p] == least[p] == 1))


def _appender_paths(ty: T.Type, prefix: Path):
    if isinstance(ty, T.Appender):
        yield prefix
    elif isinstance(ty, T.Struct):
        for i, f in enumerate(ty.fields):
            yield from _appender_paths(f, (*prefix, i))


# the fewest and the most merges per path along the paths through an expression
Counts = tuple[Counter, Counter]


class _Walk:
    def __init__(self):
        self.merges: list[tuple[E.Merge, Path]] = []

    def count(self, node: E.Node, aliases: dict[str, Path], free: bool = True
              ) -> Counts | None:
        """Merges per builder path along the paths through ``node`` (None: unbounded).
        ``free``: ``node`` is in a place where the builder may flow (not an argument of an
        operation this analysis does not follow)."""
        if isinstance(node, E.Ident):
            return None if node.name in aliases and not free else (Counter(), Counter())
        if isinstance(node, E.Merge):
            path = self.path(node.builder, aliases)
            total = self._sum([self.count(node.builder, aliases, free),
                               self.count(node.value, aliases, False)])
            if total is not None and path is not None:
                total[0][path] += 1
                total[1][path] += 1
                self.merges.append((node, path))
            return total
        if isinstance(node, E.If):
            cond = self.count(node.cond, aliases, False)
            branches = [self.count(n, aliases, free) for n in (node.on_true, node.on_false)]
            if cond is None or None in branches:
                return None
            (most_a, least_a), (most_b, least_b) = branches
            least = Counter({p: min(least_a[p], least_b[p]) for p in least_a | least_b})
            return self._sum([cond, (most_a | most_b, least)])  # | keeps the larger
        if isinstance(node, E.Let):
            value = self.count(node.value, aliases, free)
            return self._sum([value, self.count(node.body, self._bind(node, aliases), free)])
        if isinstance(node, E.Lambda):
            inner = {k: v for k, v in aliases.items()
                     if k not in {p.name for p in node.params}}
            return self.count(node.body, inner, False)
        follows = isinstance(node, (E.GetField, E.MakeStruct, E.Ascribe))
        return self._sum([self.count(c, aliases, free and follows) for c in children(node)])

    def _bind(self, let: E.Let, aliases: dict[str, Path]) -> dict[str, Path]:
        inner = dict(aliases)
        inner.pop(let.name, None)
        path = self.path(let.value, aliases)
        if path is not None:
            inner[let.name] = path
        return inner

    def path(self, node: E.Node, aliases: dict[str, Path]) -> Path | None:
        """The path (field indices) of the part of the loop's builder ``node`` denotes."""
        if isinstance(node, E.Ident):
            return aliases.get(node.name)
        if isinstance(node, E.GetField):
            inner = self.path(node.value, aliases)
            return None if inner is None else (*inner, node.index)
        if isinstance(node, (E.Merge, E.Ascribe)):
            return self.path(node.builder if isinstance(node, E.Merge) else node.value,
                             aliases)
        if isinstance(node, E.Let):
            return self.path(node.body, self._bind(node, aliases))
        if isinstance(node, E.If):
            a, b = self.path(node.on_true, aliases), self.path(node.on_false, aliases)
            return a if a == b else None
        return None

    @staticmethod
    def _sum(parts: list[Counts | None]) -> Counts | None:
        if None in parts:
            return None
        most, least = Counter(), Counter()
        for part_most, part_least in parts:
            most.update(part_most)
            least.update(part_least)
        return most, least
