"""Type inference for the holes a program's text may leave: bare builders (``appender``),
untyped lambda parameters (``|b, i, e|``) and empty vector literals.

Consumes an untyped (or partly typed) tree and produces ``Fills``: for each NewBuilder, Lambda
and empty MakeVector occurrence, the complete type the program implies, found by unification
(types with variables, union-find). Inference is lenient: a conflict is left for the local
rules of ``typecheck`` to report with a precise message; a hole that stays open is reported
there too ("cannot infer ...").
"""

from __future__ import annotations

import itertools

from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.ir.scoped_walk import Scope, walk


class TVar(T.Type):
    """A type variable of inference."""

    __slots__ = ("id",)
    _ids = itertools.count()

    def __init__(self):
        self.id = next(TVar._ids)

    def __repr__(self) -> str:
        return f"?{self.id}"


class Defer(Exception):
    """A rule needs a type that is not known yet; retried after the walk."""


class Unifier:
    """Union-find over type terms."""

    def __init__(self):
        self.parent: dict[int, T.Type] = {}

    def find(self, t):
        while isinstance(t, TVar) and t.id in self.parent:
            t = self.parent[t.id]
        return t

    def resolve(self, t):
        """``t`` with every bound variable replaced (iterative over components)."""
        t = self.find(t)
        comps = T.components(t)
        if not comps:
            return t
        return T.with_components(t, tuple(self.resolve(c) for c in comps))

    def unify(self, a, b) -> bool:
        pending = [(a, b)]
        while pending:
            x, y = pending.pop()
            x, y = self.find(x), self.find(y)
            if x is y or (not isinstance(x, TVar) and x == y):
                continue
            if isinstance(x, TVar) or isinstance(y, TVar):
                var, other = (x, y) if isinstance(x, TVar) else (y, x)
                if self._occurs(var, other):
                    return False
                self.parent[var.id] = other
                continue
            if type(x) is not type(y) or _tag(x) != _tag(y):
                return False
            cx, cy = T.components(x), T.components(y)
            if len(cx) != len(cy):
                return False
            pending.extend(zip(cx, cy, strict=True))
        return True

    def _occurs(self, var, t) -> bool:
        stack = [t]
        while stack:
            u = self.find(stack.pop())
            if u is var:
                return True
            stack.extend(c for c in T.components(u) if c is not None)
        return False

    def known(self, t):
        """The head of ``t`` if it is not a variable, else raise Defer."""
        t = self.find(t)
        if isinstance(t, TVar):
            raise Defer
        return t


def _tag(t):
    """The non-type parts of a type (scalar kind, builder op) that must match to unify."""
    return getattr(t, "kind", None), getattr(t, "op", None)


def fresh_holes(t):
    """``t`` with every hole (None) replaced by a new variable."""
    if t is None:
        return TVar()
    comps = T.components(t)
    if not comps:
        return t
    return T.with_components(t, tuple(fresh_holes(c) for c in comps))


class Inference:
    """The visitor of ``scoped_walk.walk`` for inference; see module docstring."""

    def __init__(self):
        self.u = Unifier()
        self.expected: dict[int, T.Type] = {}
        self.terms: dict[int, T.Type] = {}
        self.pending: list[tuple[E.Node, list, T.Type]] = []

    def before_child(self, node, index, done):
        hook = _HOOKS.get(type(node))
        if hook is not None:
            hook(self, node, index, done)

    def bindings(self, node, done):
        if isinstance(node, E.Let):
            return {node.name: done[0]}
        fn = self.terms[id(node)]
        return {p.name: t for p, t in zip(node.params, fn.params, strict=True)}

    def finish(self, node, done, scope):
        if isinstance(node, E.Ident):
            found, term = scope.lookup(node.name)
            return term if found else TVar()
        if isinstance(node, E.Lambda):
            fn = self.terms[id(node)]
            self.u.unify(fn.result, done[0])
            return fn
        rule = _RULES.get(type(node))
        if rule is None:
            return TVar()
        try:
            return rule(self, node, done)
        except Defer:
            out = TVar()
            self.pending.append((node, done, out))
            return out

    def retry_pending(self) -> None:
        progress = True
        while self.pending and progress:
            progress = False
            for item in list(self.pending):
                node, done, out = item
                try:
                    self.u.unify(out, _RULES[type(node)](self, node, done))
                except Defer:
                    continue
                self.pending.remove(item)
                progress = True


def _lambda_term(inf: Inference, lam: E.Lambda) -> T.Function:
    params = tuple(fresh_holes(p.ty) for p in lam.params)
    fn = T.Function(params, TVar())
    expected = inf.expected.get(id(lam))
    if expected is not None:
        inf.u.unify(fn, expected)
    inf.terms[id(lam)] = fn
    return fn


def _hook_lambda(inf, node, index, done):
    _lambda_term(inf, node)


def _hook_for(inf, node, index, done):
    if index == len(node.iters) + 1:
        elems = done[: len(node.iters)]
        elem = elems[0] if len(elems) == 1 else T.Struct(tuple(elems))
        builder = done[len(node.iters)]
        inf.expected[id(node.func)] = T.Function((builder, T.I64, elem), builder)


def _hook_sort(inf, node, index, done):
    if index == 1:
        elem = TVar()
        inf.u.unify(done[0], T.Vec(elem))
        inf.expected[id(node.cmp)] = T.Function((elem, elem), T.I32)


def _hook_iterate(inf, node, index, done):
    if index == 1:
        inf.expected[id(node.update)] = T.Function((done[0],), T.Struct((done[0], T.BOOL)))


_HOOKS = {E.Lambda: _hook_lambda, E.For: _hook_for, E.Sort: _hook_sort, E.Iterate: _hook_iterate}


def _same(inf, node, done):
    for t in done[1:]:
        inf.u.unify(done[0], t)
    return done[0]


def _binop(inf, node, done):
    inf.u.unify(done[0], done[1])
    if node.op in E.COMPARISON_BINKINDS or node.op in (E.BinKind.LAND, E.BinKind.LOR):
        return T.BOOL
    if node.op is E.BinKind.COMPARE:
        return T.I32
    return done[0]


def _unary(inf, node, done):
    if node.op in (E.UnaryKind.ISNAN, E.UnaryKind.ISINF, E.UnaryKind.ISFINITE):
        return T.BOOL
    return done[0]


def _branches(inf, node, done):
    inf.u.unify(done[1], done[2])
    return done[1]


def _make_vector(inf, node, done):
    elem = fresh_holes(node.elem_type)
    for t in done:
        inf.u.unify(elem, t)
    inf.terms[id(node)] = elem
    return T.Vec(elem)


def _get_field(inf, node, done):
    st = inf.u.known(done[0])
    if isinstance(st, T.Struct) and 0 <= node.index < len(st.fields):
        return st.fields[node.index]
    return TVar()


def _lookup(inf, node, done):
    data = inf.u.known(done[0])
    if isinstance(data, T.Vec):
        return data.elem
    if isinstance(data, T.Dict):
        inf.u.unify(data.key, done[1])
        return data.value
    return TVar()


def _optlookup(inf, node, done):
    key, value = TVar(), TVar()
    inf.u.unify(done[0], T.Dict(key, value))
    inf.u.unify(key, done[1])
    return T.Struct((T.BOOL, value))


def _tovec(inf, node, done):
    key, value = TVar(), TVar()
    inf.u.unify(done[0], T.Dict(key, value))
    return T.Vec(T.Struct((key, value)))


def _iter(inf, node, done):
    if node.kind is E.IterKind.RANGE:
        return T.I64
    elem = TVar()
    inf.u.unify(done[0], T.Vec(elem))
    return elem


def _for(inf, node, done):
    return done[len(node.iters)]


def _merge(inf, node, done):
    builder = inf.u.known(done[0])
    if isinstance(builder, T.BuilderType):
        inf.u.unify(builder.merge_type, done[1])
    return done[0]


def _result(inf, node, done):
    builder = inf.u.known(done[0])
    if isinstance(builder, T.BuilderType):
        return builder.result_type
    return TVar()


def _new_builder(inf, node, done):
    ty = fresh_holes(node.type_)
    if done and isinstance(ty, (T.Merger, T.VecMerger)):
        inf.u.unify(done[0], ty.merge_type if isinstance(ty, T.Merger) else T.Vec(ty.elem))
    inf.terms[id(node)] = ty
    return ty


def _apply(inf, node, done):
    result = TVar()
    inf.u.unify(done[0], T.Function(tuple(done[1:]), result))
    return result


def _ascribe(inf, node, done):
    ty = fresh_holes(node.type_)
    inf.u.unify(ty, done[0])
    return ty


_RULES = {
    E.Literal: lambda inf, n, d: T.Scalar(n.kind),
    E.StringLit: lambda inf, n, d: T.STRING,
    E.Let: lambda inf, n, d: d[1],
    E.Ascribe: _ascribe,
    E.If: _branches,
    E.Select: _branches,
    E.UnaryOp: _unary,
    E.BinOp: _binop,
    E.Cast: lambda inf, n, d: T.Scalar(n.kind),
    E.MakeStruct: lambda inf, n, d: T.Struct(tuple(d)),
    E.GetField: _get_field,
    E.MakeVector: _make_vector,
    E.Length: lambda inf, n, d: T.I64,
    E.Lookup: _lookup,
    E.OptLookup: _optlookup,
    E.KeyExists: lambda inf, n, d: T.BOOL,
    E.Slice: lambda inf, n, d: d[0],
    E.Sort: lambda inf, n, d: d[0],
    E.ToVec: _tovec,
    E.Apply: _apply,
    E.Iter: _iter,
    E.For: _for,
    E.Merge: _merge,
    E.Result: _result,
    E.NewBuilder: _new_builder,
    E.Iterate: lambda inf, n, d: d[0],
    E.CUDF: lambda inf, n, d: n.return_type,
    E.Assert: lambda inf, n, d: T.BOOL,
}


class Fills:
    """The inferred complete types of a program's holes, by node occurrence."""

    def __init__(self, inf: Inference):
        self._inf = inf

    def get(self, node: E.Node) -> T.Type | None:
        """The resolved type of a NewBuilder, a Lambda (its Function type) or a MakeVector's
        element; holes still open stay TVar inside (the caller reports them)."""
        term = self._inf.terms.get(id(node))
        return None if term is None else self._inf.u.resolve(term)


def infer(root: E.Node, env: dict[str, T.Type] | None = None) -> Fills:
    """Infer the types of ``root``'s holes, given the types of its free names."""
    inf = Inference()
    walk(root, inf, Scope(env))
    inf.retry_pending()
    return Fills(inf)


def has_variables(t) -> bool:
    """True when ``t`` still holds an inference variable (or a hole)."""
    if t is None or isinstance(t, TVar):
        return True
    return any(has_variables(c) for c in T.components(t))
