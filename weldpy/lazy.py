"""The lazy graph (DESIGN.md 2): the values frontends record, composed into ONE program when
they are evaluated.

A ``Lazy`` node is an IR expression over the nodes it depends on: ``build(exprs)`` makes its
expression from theirs, and ``ty`` is the IR type of its value. A source holds a concrete
value (a NumPy array or scalar) and becomes a parameter of the program; so does a node
evaluated earlier (its result is memoised on it and its graph dropped).

``evaluate(nodes)`` collects the graph under the requested nodes, binds every node read more
than once by a ``let`` (shared work runs once and the optimiser sees it), one parameter per
distinct input (the same array object is read once), and builds ``|inputs| {outputs}``. That
program is compiled once per structure: a pipeline re-run on new arrays of the same types
finds its compiled program in ``_PROGRAMS``. Walks are iterative (a Python loop of 10,000
updates is a chain 10,000 nodes deep).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.ir.program import Program, compile

_PROGRAMS_KEPT = 512  # compiled programs kept by structure (least recently used dropped)
_PROGRAMS: OrderedDict[E.Lambda, Program] = OrderedDict()


class Lazy:
    """A value of the lazy graph (see the module docstring)."""

    __slots__ = ("build", "deps", "ty", "value", "evaluated")

    def __init__(self, build: Callable[[list[E.Expr]], E.Expr], deps: Sequence[Lazy],
                 ty: T.Type):
        self.build, self.deps, self.ty = build, tuple(deps), ty
        self.value, self.evaluated = None, False

    @classmethod
    def source(cls, value, ty: T.Type) -> Lazy:
        """A concrete input of type ``ty`` (a program parameter when evaluated)."""
        node = cls(None, (), ty)
        node.value, node.evaluated = value, True
        return node

    def __repr__(self) -> str:
        state = "evaluated" if self.evaluated else f"{len(self.deps)} inputs"
        return f"<weldpy.Lazy {self.ty} ({state})>"


def evaluate_values(*values):
    """``weldpy.evaluate``: the concrete values of the frontends' lazy values, computed by ONE
    program (a lazy value offers ``__weld_lazy__() -> (node, finish)``, ``finish`` turning
    the node's value into what the user gets); other arguments pass through unchanged."""
    parts = [v.__weld_lazy__() if hasattr(v, "__weld_lazy__") else None for v in values]
    evaluate([part[0] for part in parts if part is not None])
    out = tuple(v if part is None else part[1](part[0].value)
                for v, part in zip(values, parts, strict=True))
    return out[0] if len(out) == 1 else out


def program_of(*values) -> Program:
    """The one program ``evaluate_values(*values)`` would run (for ``weldpy.explain``)."""
    nodes = [v.__weld_lazy__()[0] for v in values if hasattr(v, "__weld_lazy__")]
    return compose([n for n in nodes if not n.evaluated])[0]


def evaluate(nodes: Sequence[Lazy]) -> list:
    """The values of ``nodes``, computed by one program (each memoised on its node)."""
    pending = [n for n in dict.fromkeys(nodes) if not n.evaluated]
    if pending:
        program, inputs = compose(pending)
        results = program(*inputs)
        for node, value in zip(pending, results if len(pending) > 1 else (results,),
                               strict=True):
            node.value, node.evaluated, node.build, node.deps = value, True, None, ()
    return [n.value for n in nodes]


def compose(nodes: Sequence[Lazy]) -> tuple[Program, list]:
    """The compiled program computing ``nodes`` (not evaluated yet) and its arguments."""
    order, uses = _graph(nodes)
    params: list[E.Param] = []
    inputs: list = []
    by_input: dict[object, str] = {}  # a source's value (``_input_key``) -> its parameter
    refs: dict[int, E.Expr] = {}  # node id -> how later nodes read it
    lets: list[tuple[str, E.Expr]] = []
    outputs = {id(n) for n in nodes}
    for node in order:
        if node.evaluated:
            key = _input_key(node.value, node.ty)
            name = by_input.get(key)
            if name is None:
                name = by_input[key] = f"in{len(params)}"
                params.append(E.Param(name, node.ty))
                inputs.append(node.value)
            refs[id(node)] = E.Ident(name)
            continue
        expr = node.build([refs[id(d)] for d in node.deps])
        if uses[id(node)] > 1 or (id(node) in outputs and uses[id(node)] > 0):
            name = f"t{len(lets)}"
            lets.append((name, expr))
            expr = E.Ident(name)
        refs[id(node)] = expr
    results = [refs[id(n)] for n in nodes]
    body: E.Expr = results[0] if len(results) == 1 else E.MakeStruct(tuple(results))
    for name, value in reversed(lets):
        body = E.Let(name, value, body)
    return _compiled(E.Lambda(tuple(params), body)), inputs


def _input_key(value, ty: T.Type) -> object:
    """What makes two inputs the same parameter: the same memory read the same way (views
    made anew of one array at every call are one input), else the same object."""
    if isinstance(value, np.ndarray):
        interface = value.__array_interface__
        return interface["data"][0], value.shape, value.strides, value.dtype.str, ty
    return id(value)


def _graph(nodes: Sequence[Lazy]) -> tuple[list[Lazy], dict[int, int]]:
    """The nodes under ``nodes`` in an order where each comes after its dependencies (an
    evaluated node is a leaf), and how many times each is read by the others."""
    order: list[Lazy] = []
    uses: dict[int, int] = {}
    seen: set[int] = set()
    stack: list[tuple[Lazy, bool]] = [(n, False) for n in reversed(nodes)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        uses.setdefault(id(node), 0)
        stack.append((node, True))
        for dep in reversed(node.deps):
            uses[id(dep)] = uses.get(id(dep), 0) + 1
            if id(dep) not in seen:
                stack.append((dep, False))
    return order, uses


def _compiled(program: E.Lambda) -> Program:
    found = _PROGRAMS.get(program)
    if found is not None:
        _PROGRAMS.move_to_end(program)
        return found
    found = _PROGRAMS[program] = compile(program)
    if len(_PROGRAMS) > _PROGRAMS_KEPT:
        _PROGRAMS.popitem(last=False)
    return found
