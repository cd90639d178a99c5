"""tests.strategies: generated programs type-check to their stated type, round-trip through
the printer, run in the reference interpreter on their arguments, and cover the constructs
and hostile values the differential tests of passes and backends rely on."""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.strategies import (
    BUILDER_KINDS,
    CONSTRUCTS,
    GeneratedProgram,
    builder_kinds_in,
    exprs_of,
    features,
    programs,
    scalar_kinds,
    types,
    values,
)
from weldpy.config import config
from weldpy.ir import alpha_equivalent, compile, parse, pretty, typecheck
from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.ir.traverse import free_vars, postorder
from weldpy.ir.types import ScalarKind as K

# A deterministic sample: the same programs on every run, generated only (no shrinking).
SAMPLE = settings(max_examples=300, derandomize=True, database=None, deadline=None,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck))


def sample(strategy, n=300):
    out = []

    @settings(SAMPLE, max_examples=n)
    @given(strategy)
    def collect(value):
        out.append(value)

    collect()
    return out


@pytest.fixture(scope="module")
def sampled():
    progs = sample(programs())
    return progs, [features(p.expr, p.args) for p in progs]


REQUIRED = BUILDER_KINDS | {
    "merger:+", "merger:*", "merger:min", "merger:max", "merger_init",
    "nested_for", "nested_builder", "struct_of_builders", "zip", "strided_iter", "rangeiter",
    "let", "if", "select", "struct", "getfield", "vec_literal", "string", "len", "lookup",
    "slice", "sort", "cast", "iterate", "binop:compare", "optlookup", "keyexists", "tovec",
    "dict_lookup", "nan", "neg_zero", "inf", "subnormal", "int_extreme",
    "arg:nan", "arg:neg_zero", "arg:inf", "arg:subnormal",
}
COMBINATIONS = [
    {"struct_of_builders", "hostile_arg"}, {"nested_for", "hostile_arg"},
    {"nested_builder", "hostile_float"}, {"struct_of_builders", "zip"},
    {"struct_of_builders", "dictmerger"}, {"struct_of_builders", "vecmerger"},
    {"groupmerger", "hostile_float"}, {"vecmerger", "nested_for"},
    {"dict_ops", "nested_for"}, {"iterate", "for"}, {"sort", "hostile_float"},
]


def test_every_construct_and_hostile_value_appears_often(sampled):
    _, feats = sampled
    counts = {f: sum(f in fs for fs in feats) for f in REQUIRED}
    rare = {f: n for f, n in counts.items() if n < 5}
    assert not rare, f"constructs too rare in 300 programs: {rare}"


@pytest.mark.parametrize("combo", COMBINATIONS, ids=lambda c: "+".join(sorted(c)))
def test_constructs_appear_together(sampled, combo):
    _, feats = sampled
    assert any(combo <= fs for fs in feats), f"no program has all of {sorted(combo)}"


def test_programs_read_their_inputs_and_vary_in_size(sampled):
    progs, _ = sampled
    reads = sum(bool(free_vars(p.expr.body) & {q.name for q in p.expr.params}) for p in progs)
    assert reads >= 0.7 * len(progs)
    sizes = [sum(1 for _ in postorder(p.expr)) for p in progs]
    assert min(sizes) < 10 and max(sizes) > 150 and max(sizes) < 2000
    # Hypothesis reuses a program with other arguments, and draws minimal ones repeatedly.
    assert len({pretty(p.expr) for p in progs}) > 0.5 * len(progs)
    assert len({(pretty(p.expr), repr(p.args)) for p in progs}) > 0.75 * len(progs)


def test_every_operator_kind_is_generated():
    env = {"x": T.F64, "y": T.F32, "v": T.Vec(T.F64), "n": T.I64, "w": T.Vec(T.U8)}
    wanted = st.sampled_from([T.F64, T.F32, T.BOOL, T.I64, T.I32, T.U8])
    exprs = sample(wanted.flatmap(lambda ty: exprs_of(ty, env, depth=3)), 1000)
    seen = set().union(*(features(e) for e in exprs))
    ops = {f"unary:{u.value}" for u in E.UnaryKind} | {f"binop:{b.value}" for b in E.BinKind}
    assert not ops - seen


@given(programs())
def test_programs_typecheck_to_their_stated_type(prog):
    typed = typecheck(prog.expr)
    assert typed.ty == T.Function(prog.param_types, prog.result_type)
    for node in postorder(typed):
        assert node.ty is not None and T.is_complete(node.ty)


@given(programs())
def test_printing_and_parsing_gives_back_the_program(prog):
    back = parse(pretty(prog.expr))
    assert alpha_equivalent(back, prog.expr)
    assert typecheck(back).ty == typecheck(prog.expr).ty


@given(programs())
def test_programs_run_in_the_interpreter(prog):
    program = compile(prog.expr)
    with config(backend="interp"), warnings.catch_warnings():
        warnings.simplefilter("error")
        result = program(*prog.args)
    assert conforms(result, prog.result_type)


def conforms(value, ty) -> bool:
    """Whether ``value`` is what IR.md's calling convention returns for ``ty``."""
    if isinstance(ty, T.Scalar):
        return isinstance(value, np.generic) and value.dtype == ty.kind.dtype
    if isinstance(ty, T.Struct):
        return (isinstance(value, tuple) and len(value) == len(ty.fields)
                and all(conforms(v, f) for v, f in zip(value, ty.fields, strict=True)))
    if isinstance(ty, T.Dict):
        return isinstance(value, dict) and all(conforms(v, ty.value) for v in value.values())
    if ty.elem == T.STRING:
        return isinstance(value, list) and all(isinstance(v, bytes) for v in value)
    if isinstance(ty.elem, T.Scalar):
        return isinstance(value, np.ndarray) and value.dtype == ty.elem.kind.dtype
    if isinstance(ty.elem, T.Vec):
        return isinstance(value, list) and all(conforms(v, ty.elem) for v in value)
    return isinstance(value, np.ndarray | list) and len(value) >= 0


def test_args_follow_the_calling_convention():
    checked = 0
    for prog in sample(programs(), 100):
        for arg, ty in zip(prog.args, prog.param_types, strict=True):
            assert conforms(arg, ty), (arg, ty)
            checked += 1
    assert checked >= 100


@given(types(role="param").flatmap(lambda ty: st.tuples(st.just(ty), values(ty))))
def test_values_have_the_exact_dtype(pair):
    ty, value = pair
    assert conforms(value, ty)


def test_exclude_and_kinds_restrict_the_programs():
    left_out = {"dict", "sort", "iterate", "vecmerger", "nested_for", "zip"}
    for prog in sample(programs(exclude=left_out, kinds=[K.F32, K.I64]), 100):
        found = features(prog.expr)
        assert not found & {"dictmerger", "groupmerger", "dict_ops", "sort", "iterate",
                            "vecmerger", "nested_for", "zip"}
        kinds = {t.kind for t in _scalars(prog.param_types + (prog.result_type,))}
        assert kinds <= {K.F32, K.I64}
    with pytest.raises(ValueError, match="unknown constructs"):
        programs(exclude={"no-such-thing"})
    assert "dict" in CONSTRUCTS and "var" not in CONSTRUCTS


def _scalars(tys):
    stack = list(tys)
    while stack:
        ty = stack.pop()
        if isinstance(ty, T.Scalar):
            yield ty
        stack.extend(c for c in T.components(ty) if c is not None)


def test_exprs_of_uses_the_environment():
    env = {"v": T.Vec(T.F64), "b": T.Appender(T.F64)}
    exprs = sample(exprs_of(T.F64, env, depth=2), 100)
    for e in exprs:
        assert typecheck(e, {"v": T.Vec(T.F64)}).ty == T.F64
        assert "b" not in free_vars(e)
    assert any("v" in free_vars(e) for e in exprs)


def test_features_names_builders_and_hostile_values():
    prog = parse("|x: vec[f64]| let r = for(x, {appender[f64], merger[f64, max]}, "
                 "|b: {appender[f64], merger[f64, max]}, i: i64, e: f64| "
                 "{merge(b.$0, e), merge(b.$1, -0.0)}); {result(r.$0), result(r.$1)}")
    found = features(prog, (np.array([np.nan, 5e-324]),))
    assert {"appender", "merger", "merger:max", "struct_of_builders", "neg_zero", "arg:nan",
            "arg:subnormal", "hostile_arg", "hostile_float"} <= found
    assert "nested_for" not in found and "arg:neg_zero" not in found
    assert builder_kinds_in(prog) == {"appender", "merger"}


def test_scalar_kinds_and_generated_program_shape():
    assert set(sample(scalar_kinds(), 200)) == set(K)
    prog = sample(programs(max_params=1), 1)[0]
    assert isinstance(prog, GeneratedProgram) and isinstance(prog.expr, E.Lambda)
    assert len(prog.args) == len(prog.expr.params) == 1
