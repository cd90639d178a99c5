"""The lazy graph (DESIGN.md 2): the values frontends record, composed into ONE program when
they are evaluated.

A ``Lazy`` node is an IR expression over the nodes it depends on: ``build(exprs)`` makes its
expression from theirs, and ``ty`` is the IR type of its value. A source holds a concrete
value (a NumPy array or scalar) and becomes a parameter of the program; so does a node
evaluated earlier (its result is memoised on it and its graph dropped).

``evaluate(nodes)`` collects the graph under the requested nodes, binds every node read more
than once by a ``let`` (shared work runs once and the optimiser sees it), one parameter per
distinct input (the same array is read once), and builds ``|inputs| {outputs}``. That
program is compiled once per structure: a pipeline re-run on new arrays of the same types
finds its compiled program in ``_PROGRAMS`` by the graph's shape (node signatures and
edges), without building IR. Walks are iterative (a Python loop of 10,000 updates is a chain
10,000 nodes deep).

A node may carry ``checks``: boolean nodes over the same inputs saying whether something
happened that the frontend reports when the node is evaluated (NumPy's floating-point
warnings). A check with hardware ``flags`` is computed only when the program's run raised
one of those floating-point exception flags (a second program, with the checks, then runs;
where the backend does not report flags, the checks are always computed); a check without
flags is always computed with the values. Each check is reported once, in graph order.
A node may compute its checks itself (``combined``: its value and its checks by one loop,
as NumPy's loop raises its flags while computing): its checks are then fields of that
value (``projection``), so a program computing the checks of a 10,000-operation chain
computes each operation once.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.ir.program import Program

_PROGRAMS_KEPT = 512  # compiled programs kept by structure (least recently used dropped)
_PROGRAMS: OrderedDict[tuple, Program] = OrderedDict()  # the graph's shape -> its program


class Lazy:
    """A value of the lazy graph (see the module docstring)."""

    __slots__ = ("build", "deps", "ty", "signature", "value", "evaluated", "origin", "checks",
                 "combined", "projection", "failure", "planned")

    def __init__(self, build: Callable[[list[E.Expr]], E.Expr], deps: Sequence[Lazy],
                 ty: T.Type, signature: tuple):
        """``signature``: a hashable description of ``build`` (with its dependencies' types,
        it determines the expression built), so that a graph finds its compiled program
        without building the program's IR."""
        self.build, self.deps, self.ty, self.signature = build, tuple(deps), ty, signature
        self.value, self.evaluated, self.origin = None, False, None
        self.checks: tuple[Check, ...] = ()
        # the builder of ``{value, check_1, ...}`` (checks computed with the value), and
        # for such a check, its field there
        self.combined: Callable[[list[E.Expr]], E.Expr] | None = None
        self.projection = 0
        # checks computed with ``combined``, not made yet: (signature, report, flags) each
        self.planned: tuple = ()
        self.failure: Exception | None = None  # what a check raised: the value is not given

    @classmethod
    def source(cls, value, ty: T.Type, origin: str | None = None) -> Lazy:
        """A concrete input of type ``ty`` (a program parameter when evaluated); ``origin``
        names the fallback that computed it, if one did (``weldpy.explain`` reports it)."""
        node = cls(None, (), ty, ("input",))
        node.value, node.evaluated, node.origin = value, True, origin
        return node

    @classmethod
    def projection_of(cls, owner: Lazy, field: int, signature) -> Lazy:
        """Field ``field`` of ``owner.combined``'s value (a check computed with ``owner``)."""
        node = cls(None, (owner,), T.BOOL, signature)
        node.projection = field
        return node

    def __repr__(self) -> str:
        state = "evaluated" if self.evaluated else f"{len(self.deps)} inputs"
        return f"<weldpy.Lazy {self.ty} ({state})>"


@dataclass(frozen=True)
class Check:
    """Whether something to report happened: ``node`` (a bool scalar), ``report()`` to call
    when it did, and the floating-point exception ``flags`` (``weldpy.runtime.fp_flags``)
    that signal it may have (None: computed with every run)."""

    node: Lazy
    report: Callable[[], None]
    flags: int | None


def evaluate_values(*values):
    """``weldpy.evaluate``: the concrete values of the frontends' lazy values, computed by ONE
    program (a lazy value offers ``__weld_lazy__() -> (node, finish)``, ``finish`` turning
    the node's value into what the user gets); other arguments pass through unchanged."""
    parts = [v.__weld_lazy__() if hasattr(v, "__weld_lazy__") else None for v in values]
    evaluate([part[0] for part in parts if part is not None])
    out = tuple(v if part is None else part[1](part[0].value)
                for v, part in zip(values, parts, strict=True))
    return out[0] if len(out) == 1 else out


def program_of(*values) -> tuple[Program, dict[str, int]]:
    """The one program ``evaluate_values(*values)`` would run, and the fallbacks that made
    its inputs, by name (for ``weldpy.explain``)."""
    nodes = [v.__weld_lazy__()[0] for v in values if hasattr(v, "__weld_lazy__")]
    pending = [n for n in nodes if not n.evaluated]
    fallbacks: dict[str, int] = {}
    for node in _graph(pending)[0]:
        if node.origin is not None:
            fallbacks[node.origin] = fallbacks.get(node.origin, 0) + 1
    return compose(pending)[0], fallbacks


def evaluate(nodes: Sequence[Lazy]) -> list:
    """The values of ``nodes``, computed by one program (each memoised on its node), and
    the checks under them reported."""
    pending = [n for n in dict.fromkeys(nodes) if not n.evaluated]
    if not pending:
        return _values_of(nodes)
    graph = _graph(pending)
    order = graph[0]
    _values_of([n for n in order if n.evaluated])  # (raises what made an input fail)
    planned_flags, planned_always = _planned(order)
    checks = _checks(order, make=planned_always)
    always = [c.node for c in checks if c.flags is None]
    signalled = [c for c in checks if c.flags is not None]
    outputs = pending + always
    program, inputs = compose(outputs, None if always else graph)
    if signalled or planned_flags:
        results, raised = program.call_flagged(*inputs)
        if raised is None or raised & (_flags_of(signalled) | planned_flags):
            checks = _checks(order, make=True)
            outputs += [c.node for c in checks if c.flags is not None]
            program, inputs = compose(outputs)
            results = program(*inputs)
        else:  # (no flag raised: nothing to report)
            for check in signalled:
                check.node.value, check.node.evaluated = False, True
            for node in order:
                node.planned = ()
    else:
        results = program(*inputs)
    for node, value in zip(outputs, results if len(outputs) > 1 else (results,),
                           strict=True):
        node.value, node.evaluated, node.build, node.deps = value, True, None, ()
    for node in pending:
        node.checks, node.combined, node.planned = (), None, ()
    try:
        for check in checks:
            if check.node.value:
                check.report()
    except Exception as failure:  # (as NumPy's call would: no value, now or later)
        for node in pending:
            node.failure = failure
        raise
    return _values_of(nodes)


def _planned(order: Sequence[Lazy]) -> tuple[int, bool]:
    """The flags that signal the checks planned on the nodes not evaluated (not made yet:
    most runs never need them), and whether one of them is computed with every run."""
    flags, always = 0, False
    for node in order:
        if not node.evaluated:
            for _, _, signal in node.planned:
                if signal is None:
                    always = True
                else:
                    flags |= signal
    return flags, always


def _checks(order: Sequence[Lazy], make: bool) -> list[Check]:
    """The checks not computed yet of the nodes not evaluated, in graph order; ``make``:
    with the planned ones made (projections of their node's ``combined`` value)."""
    out: list[Check] = []
    for node in order:
        if node.evaluated:
            continue
        if make and node.planned:
            node.checks = (*node.checks, *(
                Check(Lazy.projection_of(node, field, signature), report, signal)
                for field, (signature, report, signal) in enumerate(node.planned, start=1)))
            node.planned = ()
        out.extend(c for c in node.checks if not c.node.evaluated)
    return out


def _values_of(nodes: Sequence[Lazy]) -> list:
    """The values of evaluated ``nodes``; what a check raised for one, raised again."""
    for node in nodes:
        if node.failure is not None:
            raise node.failure
    return [n.value for n in nodes]


def _flags_of(checks: Sequence[Check]) -> int:
    flags = 0
    for check in checks:
        flags |= check.flags
    return flags


def compose(nodes: Sequence[Lazy], graph: tuple | None = None) -> tuple[Program, list]:
    """The compiled program computing ``nodes`` (not evaluated yet) and its arguments. The
    graph's shape (each node's signature and which nodes it reads, in order; which inputs
    are the same) finds a program compiled before without building its IR. ``graph``:
    ``_graph(nodes)``, when the caller has it."""
    order, uses = graph if graph is not None else _graph(nodes)
    position = {id(n): k for k, n in enumerate(order)}
    inputs: list = []
    by_input: dict[object, int] = {}  # a source's value (``_input_key``) -> its parameter
    shape = []
    for node in order:
        if node.evaluated:
            key = _input_key(node.value, node.ty)
            param = by_input.get(key)
            if param is None:
                param = by_input[key] = len(inputs)
                inputs.append(node.value)
            shape.append(("in", param, node.ty))
        else:
            shape.append((node.signature, tuple(position[id(d)] for d in node.deps)))
    key = (tuple(shape), tuple(position[id(n)] for n in nodes))
    program = _PROGRAMS.get(key)
    if program is None:
        types = [n.ty for n in nodes]
        program = _PROGRAMS[key] = Program.of_types(
            _program(nodes, order, uses, by_input),
            types[0] if len(types) == 1 else T.Struct(tuple(types)))
        if len(_PROGRAMS) > _PROGRAMS_KEPT:
            _PROGRAMS.popitem(last=False)
    else:
        _PROGRAMS.move_to_end(key)
    return program, inputs


def _program(nodes: Sequence[Lazy], order: list[Lazy], uses: dict[int, int],
             by_input: dict) -> E.Lambda:
    """``|inputs| {outputs}``: every node read more than once bound by a ``let``."""
    params = [None] * len(by_input)
    refs: dict[int, E.Expr] = {}  # node id -> how later nodes read it
    lets: list[tuple[str, E.Expr]] = []
    outputs = {id(n) for n in nodes}
    # nodes computed with their checks (a check of theirs is in the graph): ``{value,
    # check, ...}`` bound once, each read by its field
    combined = {id(n.deps[0]): "" for n in order if n.projection and not n.evaluated}
    for node in order:
        if node.evaluated:
            param = by_input[_input_key(node.value, node.ty)]
            params[param] = E.Param(f"in{param}", node.ty)
            refs[id(node)] = E.Ident(f"in{param}")
            continue
        if node.projection:
            refs[id(node)] = E.GetField(E.Ident(combined[id(node.deps[0])]), node.projection)
            continue
        if id(node) in combined:
            name = combined[id(node)] = f"t{len(lets)}"
            lets.append((name, node.combined([refs[id(d)] for d in node.deps])))
            refs[id(node)] = E.GetField(E.Ident(name), 0)
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
    return E.Lambda(tuple(params), body)


def interned(signature: tuple) -> int:
    """A number standing for ``signature`` (equal signatures, the same number; never one
    that stood for another): a node's signature that hashes at once."""
    number = _INTERNED.get(signature)
    if number is None:
        if len(_INTERNED) > 100_000:
            _INTERNED.clear()
        number = _INTERNED[signature] = next(_NUMBERS)
    return number


_INTERNED: dict[tuple, int] = {}
_NUMBERS = itertools.count()


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


