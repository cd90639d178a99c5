"""What the fusion passes record on the loops they make, read by ``weldpy.explain``: what a
loop absorbed (``fused``) and why a vector it reads stayed materialised (``materialized``),
as annotations of the loop."""

from __future__ import annotations

import dataclasses

from weldpy.ir import exprs as E

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
