"""Loop-invariant code motion: an expression in a loop's body that reads nothing the loop
binds (its builder, index, element, or a name bound inside the body) is computed once,
before the loop, by a ``let``.

    for(v, B, |b, i, x| merge(b, x / (sqrt(s) * 2.0)))
      =>  let inv0 = sqrt(s) * 2.0; for(v, B, |b, i, x| merge(b, x / inv0))

Only expressions that cannot fail move (computing them when the loop would not have, or
before an error the loop reports first, changes nothing), and those worth a ``let``: a
loop's result (an inner reduction over another vector, computed once instead of once an
iteration: its body and iterators cannot fail) or an operation of at least three nodes;
builders never move (a fresh builder per iteration is a different program). Hoisting works
innermost first, so an expression invariant in two nested loops leaves both. Equal
expressions share one ``let``. A loop read by ``result`` keeps ``result`` next to it (the
``let``s go outside), so the other passes and the backends still see a loop's result.
"""

from __future__ import annotations

from dataclasses import dataclass

from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.ir.alpha import canonical
from weldpy.ir.passes.failures import body_cannot_fail, cannot_fail, iter_cannot_fail, safe_node
from weldpy.ir.passes.places import fresh_name, names_in
from weldpy.ir.traverse import children, rewrite_bottom_up

_MIN_NODES = 3  # smaller operations (f64(n), len(v)) cost less than the let; LLVM hoists them


def run(program: E.Expr) -> E.Expr:
    return rewrite_bottom_up(program, _rewrite)


def _rewrite(node: E.Node) -> E.Node:
    if isinstance(node, E.For) and isinstance(node.func, E.Lambda):
        return _hoisted(node)
    if isinstance(node, E.Result) and isinstance(node.builder, E.Let):
        return _lets_outside(node)
    return node


def _hoisted(loop: E.For) -> E.Expr:
    func = loop.func
    facts = _facts(func)
    found: dict[E.Node, list[E.Node]] = {}
    stack = [func.body]
    while stack:
        node = stack.pop()
        if _movable(node, facts[id(node)]):
            found.setdefault(canonical(node), []).append(node)
        else:
            stack.extend(children(node))
    if not found:
        return loop
    taken = names_in(loop)
    lets, names = [], {}
    for nodes in found.values():
        name = fresh_name("inv", taken)
        taken.add(name)
        lets.append((name, nodes[0]))
        names.update({id(n): E.Ident(name) for n in nodes})
    # (a moved expression is left whole: rebuilding keeps it, so its id still names it)
    body = rewrite_bottom_up(func.body, lambda n: names.get(id(n), n))
    out: E.Expr = E.For(loop.iters, loop.builder,
                        E.Lambda(func.params, body, annotations=func.annotations),
                        annotations=loop.annotations)
    for name, value in reversed(lets):
        out = E.Let(name, value, out)
    return out


@dataclass(frozen=True)
class _Facts:
    local: bool  # reads a name the loop binds (its parameters, or one its body binds
    #              around the node)
    safe: bool  # cannot fail
    size: int  # nodes


def _facts(func: E.Lambda) -> dict[int, _Facts]:
    """``_Facts`` of every node of ``func``'s body, in one walk (linear: a fused chain of
    10,000 operations is one body). The binders around a node (the loop's parameters, then
    the lets and lambdas inside its body) are numbered outermost first; a node reads a name
    the loop binds when the innermost binder one of its names refers to is numbered below
    the count of binders around the node itself (so not one bound inside the node)."""
    scope: dict[str, list[int]] = {}  # name -> numbers of its binders, innermost last
    around = 0  # binders around the current node
    facts: dict[int, _Facts] = {}
    lowest: dict[int, float] = {}  # node id -> the lowest binder number its names refer to
    depth: dict[int, int] = {}
    stack: list[tuple[str, object]] = [("bind", [p.name for p in func.params]),
                                       ("enter", func.body)]
    stack.reverse()
    while stack:
        action, item = stack.pop()
        if action == "bind":
            for name in item:
                scope.setdefault(name, []).append(around)
                around += 1
        elif action == "unbind":
            for name in item:
                scope[name].pop()
                around -= 1
        elif action == "exit":
            kids = children(item)
            low = min((lowest[id(k)] for k in kids), default=float("inf"))
            lowest[id(item)] = low
            facts[id(item)] = _Facts(low < depth[id(item)],
                                     safe_node(item) and all(facts[id(k)].safe for k in kids),
                                     1 + sum(facts[id(k)].size for k in kids))
        elif id(item) in facts:
            continue  # (a shared subtree)
        elif isinstance(item, E.Ident):
            binders = scope.get(item.name)
            lowest[id(item)] = binders[-1] if binders else float("inf")
            facts[id(item)] = _Facts(bool(binders), True, 1)
        else:
            depth[id(item)] = around
            stack.append(("exit", item))
            kids = children(item)
            names = ([item.name] if isinstance(item, E.Let) else
                     [p.name for p in item.params] if isinstance(item, E.Lambda) else [])
            for k in range(len(kids) - 1, -1, -1):
                binds = bool(names) and k == len(kids) - 1  # (the body of a let or lambda)
                stack += [("unbind", names)] if binds else []
                stack.append(("enter", kids[k]))
                stack += [("bind", names)] if binds else []
    return facts


def _movable(node: E.Node, facts: _Facts) -> bool:
    if (facts.local or node.ty is None or T.contains_builder(node.ty)
            or isinstance(node, (E.Ident, E.Literal, E.StringLit, E.Lambda))):
        return False
    if isinstance(node, E.Result) and isinstance(node.builder, E.For):
        loop = node.builder
        return (cannot_fail(loop.builder) and body_cannot_fail(loop)
                and len(loop.iters) == 1 and iter_cannot_fail(loop.iters[0]))
    return facts.safe and facts.size >= _MIN_NODES


def _lets_outside(node: E.Result) -> E.Expr:
    """``result(let a = x; ...; loop)`` as ``let a = x; ...; result(loop)``."""
    lets, inner = [], node.builder
    while isinstance(inner, E.Let):
        lets.append(inner)
        inner = inner.body
    out: E.Expr = E.Result(inner, annotations=node.annotations)
    for let in reversed(lets):
        out = E.Let(let.name, let.value, out, annotations=let.annotations)
    return out
