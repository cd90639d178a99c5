"""The expression generator behind ``tests.strategies``: well-typed, total IR by construction.

``gen(draw, ty, ctx)`` builds an untyped expression of type ``ty`` from the data variables in
``ctx.env``, choosing among the productions that can yield ``ty`` (``tests.gen_rules``).
This module holds the shared machinery: the context, leaves (variables and constants),
builders, loop bodies and iterators. Builders never enter ``ctx.env``: a loop body receives
its builder separately and uses it once per path, so the linearity check holds; zipped
iterators always have equal lengths and strided ones stay in range.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from hypothesis import strategies as st

from tests import gen_values as V
from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.ir.exprs import BinKind as B
from weldpy.ir.exprs import IterKind
from weldpy.ir.types import ScalarKind as K


class Names:
    """Fresh, deterministic variable names for one program: p0, x1, b2, ..."""

    def __init__(self):
        self.count = 0

    def fresh(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count - 1}"


@dataclass(frozen=True)
class Ctx:
    """What a production may use: data variables (never builders), the remaining depth, how
    many loops enclose it, the i64 variables known to be non-negative (loop indices), the
    vector variables known to share a length (``tags``: name -> tag) and the options."""

    env: dict
    depth: int
    opts: V.Options = V.Options()
    names: Names = field(default_factory=Names)
    loops: int = 0
    nonneg: frozenset = frozenset()
    tags: dict = field(default_factory=dict)

    def deeper(self, by: int = 1) -> Ctx:
        return replace(self, depth=self.depth - by)

    def bind(self, name: str, ty: T.Type, nonneg: bool = False) -> Ctx:
        return replace(self, env={**self.env, name: ty},
                       nonneg=self.nonneg | {name} if nonneg else self.nonneg)

    def in_loop(self) -> Ctx:
        return replace(self, loops=self.loops + 1)

    def can_loop(self) -> bool:
        return self.loops < self.opts.max_loops and self.depth > 0

    def allows(self, name: str) -> bool:
        return self.opts.allows(name)

    def fresh(self, prefix: str = "x") -> str:
        return self.names.fresh(prefix)


def i64(value: int) -> E.Literal:
    return E.Literal(K.I64, value)


def lets(bindings, body: E.Expr) -> E.Expr:
    for name, value in reversed(bindings):
        body = E.Let(name, value, body)
    return body


def choose(draw, options):
    """Pick a value from ``[(weight, value)]``; shrinks toward the first option."""
    total = sum(w for w, _ in options)
    pick = draw(st.integers(0, total - 1))
    for weight, value in options:
        if pick < weight:
            return value
        pick -= weight
    raise AssertionError("choose: no option left")


def gen(draw, ty: T.Type, ctx: Ctx) -> E.Expr:
    """An expression of type ``ty`` over ``ctx.env``."""
    # The productions build their operands with ``gen``: the two modules are mutually
    # recursive, so the table is imported at the first call.
    from tests.gen_rules import productions

    return choose(draw, productions(ty, ctx))(draw, ty, ctx)


def pick_type(draw, ctx: Ctx, role: str = "any") -> T.Type:
    """A type for ``role`` (as in ``gen_values.draw_type``), most often one the variables in
    scope have or hold, so that programs read their inputs."""
    found = scope_types(ctx, role)
    if found and draw(st.integers(0, 2)):
        return draw(st.sampled_from(found))
    return V.draw_type(draw, ctx.opts, role)


def scope_types(ctx: Ctx, role: str) -> list[T.Type]:
    """The types in scope (of variables, their fields and vector elements) fit for ``role``."""
    seen = []
    for _, ty in paths(ctx):
        for t in (ty, ty.elem) if isinstance(ty, T.Vec) else (ty,):
            if t not in seen and _ROLE_FITS[role](t, t is ty):
                seen.append(t)
    return seen


_ROLE_FITS = {
    "any": lambda t, whole: True,
    "param": lambda t, whole: True,
    "elem": lambda t, whole: not whole and V.is_comparable(t),
    "scalar": lambda t, whole: isinstance(t, T.Scalar),
    "field": lambda t, whole: isinstance(t, T.Scalar) or (
        isinstance(t, T.Vec) and isinstance(t.elem, T.Scalar)),
    "key": lambda t, whole: V.is_key(t),
    "dict": lambda t, whole: isinstance(t, T.Dict),
    "results": lambda t, whole: False,
}


def nonneg_index(draw, ctx: Ctx) -> E.Expr:
    """An i64 expression known to be >= 0: a loop index in scope, or a small constant."""
    names = sorted(n for n in ctx.nonneg if n in ctx.env)
    if names and draw(st.integers(0, 2)):
        return E.Ident(draw(st.sampled_from(names)))
    return i64(draw(st.integers(0, 3)))


# ---- leaves -----------------------------------------------------------------------------

def paths(ctx: Ctx):
    """Every (expression, type) reachable from a variable by field accesses."""
    out, stack = [], [(E.Ident(n), t, 0) for n, t in reversed(ctx.env.items())]
    while stack:
        expr, ty, depth = stack.pop()
        out.append((expr, ty))
        if isinstance(ty, T.Struct) and depth < 2:
            stack.extend((E.GetField(expr, k), f, depth + 1)
                         for k, f in reversed(list(enumerate(ty.fields))))
    return out


def leaf(draw, ty: T.Type, ctx: Ctx) -> E.Expr:
    """A constant of type ``ty`` (small; every type has one, so generation terminates)."""
    if isinstance(ty, T.Scalar):
        return E.Literal(ty.kind, draw(V.scalar_python(ty.kind)))
    if isinstance(ty, T.Struct):
        return E.MakeStruct(tuple(leaf(draw, f, ctx) for f in ty.fields))
    if isinstance(ty, T.Vec):
        if ty.elem == T.I8 and ctx.allows("string") and draw(st.booleans()):
            return E.StringLit(draw(st.binary(max_size=4)))
        elems = tuple(leaf(draw, ty.elem, ctx) for _ in range(draw(st.integers(0, 3))))
        return E.MakeVector(elems, None if elems else ty.elem)
    return _dict_leaf(draw, ty, ctx)


def _dict_leaf(draw, ty: T.Dict, ctx: Ctx) -> E.Expr:
    """A dictionary from a vector literal of pairs, merged as they are."""
    builder = dict_builder(draw, ty)
    pair = builder.merge_type
    pairs = tuple(E.MakeStruct((key_const(draw, ty.key), leaf(draw, pair.fields[1], ctx)))
                  for _ in range(draw(st.integers(0, 3))))
    b, i, e = ctx.fresh("b"), ctx.fresh("j"), ctx.fresh("e")
    func = E.Lambda((E.Param(b, builder), E.Param(i, T.I64), E.Param(e, pair)),
                    E.Merge(E.Ident(b), E.Ident(e)))
    data = E.MakeVector(pairs, None if pairs else pair)
    return E.Result(E.For((E.Iter(IterKind.SCALAR, data),), E.NewBuilder(builder), func))


def key_const(draw, ty: T.Type) -> E.Expr:
    """A dictionary key constant from few values, so lookups sometimes hit."""
    if isinstance(ty, T.Scalar):
        return E.Literal(ty.kind, draw(V.scalar_python(ty.kind, key=True)))
    if isinstance(ty, T.Struct):
        return E.MakeStruct(tuple(key_const(draw, f) for f in ty.fields))
    return E.StringLit(draw(V.key_bytes()))


def dict_builder(draw, ty: T.Dict) -> T.BuilderType:
    """The builder whose result is ``ty``: groupmerger for vector values, else dictmerger."""
    if isinstance(ty.value, T.Vec):
        return T.GroupMerger(ty.key, ty.value.elem)
    return T.DictMerger(ty.key, ty.value, draw(st.sampled_from(V.merger_ops(ty.value))))


# ---- builders and loop bodies -----------------------------------------------------------

@dataclass
class Spec:
    """One builder of a loop: its type, its constructor and the lets it needs first (the
    vector a vecmerger merges into is bound to ``base``, so merges can read its length)."""

    ty: T.BuilderType
    new: E.Expr
    bindings: list = field(default_factory=list)
    base: str | None = None


def builder_kinds(ty: T.Type, ctx: Ctx) -> list[str]:
    """The builder kinds whose result has type ``ty``."""
    if isinstance(ty, T.Dict):
        if not ctx.allows("dict"):
            return []
        return ["groupmerger" if isinstance(ty.value, T.Vec) else "dictmerger"]
    if isinstance(ty, T.Vec):
        kinds = ["appender", "vecmerger"] if V.merger_ops(ty.elem) else ["appender"]
    else:
        kinds = ["merger"] if V.merger_ops(ty) else []
    return [k for k in kinds if ctx.allows(k)]


def spec_for(draw, result_ty: T.Type, ctx: Ctx, kind: str | None = None) -> Spec:
    """A builder of ``kind`` (default: any that fits) whose result has type ``result_ty``."""
    kind = kind or draw(st.sampled_from(builder_kinds(result_ty, ctx)))
    if kind in ("dictmerger", "groupmerger"):
        ty = dict_builder(draw, result_ty)
        return Spec(ty, E.NewBuilder(ty))
    if kind == "appender":
        ty = T.Appender(result_ty.elem)
        hint = i64(draw(st.integers(0, 4))) if draw(st.integers(0, 3)) == 3 else None
        return Spec(ty, E.NewBuilder(ty, hint))
    if kind == "vecmerger":
        ty = T.VecMerger(result_ty.elem, draw(st.sampled_from(V.merger_ops(result_ty.elem))))
        base = ctx.fresh("x")
        return Spec(ty, E.NewBuilder(ty, E.Ident(base)),
                    [(base, gen(draw, result_ty, ctx.deeper()))], base)
    ty = T.Merger(result_ty, draw(st.sampled_from(V.merger_ops(result_ty))))
    init = gen(draw, result_ty, ctx.deeper()) if draw(st.booleans()) else None
    return Spec(ty, E.NewBuilder(ty, init))


def merged(draw, spec: Spec, bexpr: E.Expr, ctx: Ctx) -> E.Expr:
    """``bexpr`` with one value merged in (a vecmerger's index kept in range)."""
    ty = spec.ty
    if isinstance(ty, (T.Appender, T.Merger)):
        return E.Merge(bexpr, gen(draw, ty.elem, ctx))
    if isinstance(ty, (T.DictMerger, T.GroupMerger)):
        key = key_const(draw, ty.key) if draw(st.booleans()) else gen(draw, ty.key, ctx)
        return E.Merge(bexpr, E.MakeStruct((key, gen(draw, ty.value, ctx))))
    size = E.Length(E.Ident(spec.base))
    pair = E.MakeStruct((E.BinOp(B.MOD, nonneg_index(draw, ctx), size),
                         gen(draw, ty.elem, ctx)))
    return E.If(E.BinOp(B.GT, size, i64(0)), E.Merge(bexpr, pair), bexpr)


def builder_body(draw, spec: Spec, bexpr: E.Expr, ctx: Ctx) -> E.Expr:
    """A loop body for one builder: a merge, a filter, two merges, or a nested loop that
    builds into the same builder."""
    sub = ctx.deeper()
    options = [(4, "merge"), (3, "filter"), (1, "either"), (1, "twice")]
    if ctx.can_loop() and ctx.allows("nested_for"):
        options.append((3, "nested"))
    shape = choose(draw, options)
    if shape == "merge":
        return merged(draw, spec, bexpr, sub)
    if shape == "filter":
        return E.If(gen(draw, T.BOOL, sub), merged(draw, spec, bexpr, sub), bexpr)
    if shape == "either":
        return E.If(gen(draw, T.BOOL, sub), merged(draw, spec, bexpr, sub),
                    merged(draw, spec, bexpr, sub))
    if shape == "twice":
        return merged(draw, spec, merged(draw, spec, bexpr, sub), sub)
    return loop(draw, [spec], sub, builder=bexpr)


def loop(draw, specs: list[Spec], ctx: Ctx, builder: E.Expr | None = None) -> E.Expr:
    """``for(iters, builder, body)`` into ``specs`` (a struct of builders when there are
    several), inside the lets its iterators and builders need. ``builder`` hands an
    enclosing loop's builder to a nested loop instead of new builders."""
    bindings, iters, elem = iterators(draw, ctx.deeper())
    if builder is None:
        for spec in specs:
            bindings.extend(spec.bindings)
        news = tuple(s.new for s in specs)
        builder = news[0] if len(news) == 1 else E.MakeStruct(news)
    btype = specs[0].ty if len(specs) == 1 else T.Struct(tuple(s.ty for s in specs))
    b, i, e = ctx.fresh("b"), ctx.fresh("j"), ctx.fresh("e")
    body_ctx = ctx.deeper().in_loop().bind(i, T.I64, nonneg=True).bind(e, elem)
    if len(specs) == 1:
        body = builder_body(draw, specs[0], E.Ident(b), body_ctx)
    else:
        body = E.MakeStruct(tuple(builder_body(draw, s, E.GetField(E.Ident(b), k), body_ctx)
                                  for k, s in enumerate(specs)))
    func = E.Lambda((E.Param(b, btype), E.Param(i, T.I64), E.Param(e, elem)), body)
    return lets(bindings, E.For(tuple(iters), builder, func))


def build(draw, specs: list[Spec], ctx: Ctx) -> E.Expr:
    """The results of one loop into ``specs``: a value, or a struct of the results."""
    if len(specs) == 1:
        return E.Result(loop(draw, specs, ctx))
    r = ctx.fresh("r")
    results = tuple(E.Result(E.GetField(E.Ident(r), k)) for k in range(len(specs)))
    return E.Let(r, loop(draw, specs, ctx), E.MakeStruct(results))


# ---- iterators ----------------------------------------------------------------------------

def iterators(draw, ctx: Ctx):
    """(lets, iterators, element type) of a loop; zipped iterators have equal lengths."""
    groups: dict = {}
    for name, tag in ctx.tags.items():
        if name in ctx.env:
            groups.setdefault(tag, []).append(name)
    groups = [sorted(g) for _, g in sorted(groups.items()) if len(g) > 1]
    options = [(5, _plain)]
    options += [(2, _range)] if ctx.allows("rangeiter") else []
    options += [(2, _strided)] if ctx.allows("strided_iter") else []
    if ctx.allows("zip"):
        options += [(2, _zip_min)] if ctx.allows("strided_iter") else []
        options += [(1, _zip_map)] if ctx.allows("appender") else []
        options += [(1, _zip_range)] if ctx.allows("rangeiter") else []
        options += [(3, _zip_tagged)] if groups else []
    if ctx.allows("dict"):
        options.append((1, _entries))
    bindings, pairs = choose(draw, options)(draw, ctx, groups)
    elems = tuple(t for _, t in pairs)
    return bindings, tuple(it for it, _ in pairs), elems[0] if len(elems) == 1 else T.Struct(
        elems)


def _vector(draw, ctx):
    """A vector bound to a fresh name: (name, value, element type)."""
    elem = pick_type(draw, ctx, "elem")
    return ctx.fresh("v"), gen(draw, T.Vec(elem), ctx), elem


def _plain(draw, ctx, groups):
    elem = pick_type(draw, ctx, "elem")
    return [], [(E.Iter(IterKind.SCALAR, gen(draw, T.Vec(elem), ctx)), elem)]


def _range(draw, ctx, groups):
    start, count, stride = (draw(st.integers(a, b)) for a, b in ((-3, 3), (0, 5), (1, 3)))
    it = E.Iter(IterKind.RANGE, None, i64(start), i64(start + count * stride), i64(stride))
    return [], [(it, T.I64)]


def _strided(draw, ctx, groups):
    """iter(v, s, s + k*st, st) with s <= len(v) and s + k*st <= len(v)."""
    v, value, elem = _vector(draw, ctx)
    s, k = ctx.fresh("x"), ctx.fresh("x")
    stride = draw(st.integers(1, 3))
    n = E.Length(E.Ident(v))
    room = E.BinOp(B.DIV, E.BinOp(B.SUB, n, E.Ident(s)), i64(stride))
    bindings = [(v, value), (s, E.BinOp(B.MIN, n, i64(draw(st.integers(0, 3))))),
                (k, E.BinOp(B.MIN, room, i64(draw(st.integers(0, 4)))))]
    end = E.BinOp(B.ADD, E.Ident(s), E.BinOp(B.MUL, E.Ident(k), i64(stride)))
    return bindings, [(E.Iter(IterKind.SCALAR, E.Ident(v), E.Ident(s), end, i64(stride)), elem)]


def _zip_tagged(draw, ctx, groups):
    """Parameters drawn with the same length, zipped as they are."""
    group = draw(st.sampled_from(groups))
    names = draw(st.lists(st.sampled_from(group), min_size=2, max_size=3))
    return [], [(E.Iter(IterKind.SCALAR, E.Ident(n)), ctx.env[n].elem) for n in names]


def _zip_min(draw, ctx, groups):
    """Two vectors cut to the shorter length by strided iterators (and maybe a range)."""
    (a, av, ae), (b, bv, be) = _vector(draw, ctx), _vector(draw, ctx)
    n = ctx.fresh("n")
    bindings = [(a, av), (b, bv), (n, E.BinOp(B.MIN, E.Length(E.Ident(a)),
                                               E.Length(E.Ident(b))))]
    pairs = [(E.Iter(IterKind.SCALAR, E.Ident(x), i64(0), E.Ident(n), i64(1)), t)
             for x, t in ((a, ae), (b, be))]
    if ctx.allows("rangeiter") and draw(st.booleans()):
        pairs.append((E.Iter(IterKind.RANGE, None, i64(0), E.Ident(n), i64(1)), T.I64))
    return bindings, pairs


def _zip_map(draw, ctx, groups):
    """A vector zipped with a map over itself (same length by construction)."""
    a, av, ae = _vector(draw, ctx)
    out = pick_type(draw, ctx, "elem")
    b, i, e = ctx.fresh("b"), ctx.fresh("j"), ctx.fresh("e")
    body_ctx = ctx.deeper().in_loop().bind(i, T.I64, nonneg=True).bind(e, ae)
    func = E.Lambda((E.Param(b, T.Appender(out)), E.Param(i, T.I64), E.Param(e, ae)),
                    E.Merge(E.Ident(b), gen(draw, out, body_ctx)))
    mapped = E.Result(E.For((E.Iter(IterKind.SCALAR, E.Ident(a)),),
                            E.NewBuilder(T.Appender(out)), func))
    return [(a, av)], [(E.Iter(IterKind.SCALAR, E.Ident(a)), ae),
                       (E.Iter(IterKind.SCALAR, mapped), out)]


def _zip_range(draw, ctx, groups):
    a, av, ae = _vector(draw, ctx)
    rng = E.Iter(IterKind.RANGE, None, i64(0), E.Length(E.Ident(a)), i64(1))
    return [(a, av)], [(E.Iter(IterKind.SCALAR, E.Ident(a)), ae), (rng, T.I64)]


def _entries(draw, ctx, groups):
    """The entries of a dictionary, in key order (``tovec``)."""
    dty = pick_type(draw, ctx, "dict")
    return [], [(E.Iter(IterKind.SCALAR, E.ToVec(gen(draw, dty, ctx))),
                 T.Struct((dty.key, dty.value)))]
