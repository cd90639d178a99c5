"""vecmath: loops of math functions vectorise through glibc's libmvec, and give NumPy's
results up to the libraries' documented error, on every kind of input.

Tolerance, in ULP of the result (not an rtol: a relative bound is loose for results just
above a power of two and tight just below): glibc documents its libmvec functions as tested
to within 4 ULP of the exact result (https://sourceware.org/glibc/wiki/libmvec), and the
loop's remainder runs glibc's scalar functions (at most 1-3 ULP in glibc's manual). f32
results are compared with the f64 function rounded to f32, within about half an ULP of
exact, so within 4 ULP; f64 results with NumPy's (scipy's erf), which has an error of its
own of up to a few ULP (NumPy's SIMD routines), so within 8. NaNs, infinities and zeros
(their signs too) must match exactly.
"""

import ctypes
import json
import re
import subprocess
import sys
from pathlib import Path

import llvmlite.binding as llvm
import numpy as np
import pytest
import scipy.special
from llvmlite import ir

import weldpy
from tests.results import ulp_distance
from weldpy.backends.llvm import jit, vecmath
from weldpy.backends.llvm.codegen import Codegen, lower_program
from weldpy.backends.llvm.layout import F32, F64, I64, PTR, VOID
from weldpy.backends.llvm.rules_scalar import libm
from weldpy.ir import compile
from weldpy.ir.parser import parse
from weldpy.ir.typecheck import typecheck

REFERENCE = {
    "exp": np.exp, "log": np.log, "sin": np.sin, "cos": np.cos, "tan": np.tan,
    "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh,
    "tanh": np.tanh, "erf": scipy.special.erf, "log1p": np.log1p, "expm1": np.expm1,
    "log2": np.log2, "log10": np.log10, "exp2": np.exp2, "cbrt": np.cbrt, "pow": np.power,
    "atan2": np.arctan2, "hypot": np.hypot,
}
ULPS = {np.float64: 8, np.float32: 4}
DTYPES = {"f64": np.float64, "f32": np.float32}
LENGTHS = [0, 1, 7, 8, 9, 33, 1000]
HAS_LIBMVEC = bool(vecmath.variants("exp", 64))
NO_LIBMVEC = "no libmvec variants in this process (libmvec.so.1 of glibc on x86-64 needed)"

SPECIAL = [
    np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 5e-324, -5e-324, 1e-310, -2.2e-308, 1e-45,
    1e-40, 1e-300, 1e-8, -1e-8, 0.5, -0.5, 1.0, -1.0, 2.0, 3.0, -3.0, np.pi, -np.pi / 2,
    88.7, -103.9, 710.0, -746.0, 1000.0, -1000.0, 3.4e38, 1e22, 1e300, -1e300, 1.7e308,
]


def inputs(dtype, n: int = 600, seed: int = 0) -> np.ndarray:
    """Special values at both ends (in vector lanes and in the scalar remainder), between
    them values of every magnitude; an odd length."""
    rng = np.random.default_rng(seed)
    middle = np.concatenate([
        rng.uniform(-1, 1, n), rng.uniform(-10, 10, n), rng.standard_normal(n) * 1e3,
        np.exp(rng.uniform(-700, 700, n)) * rng.choice([-1.0, 1.0], n)])
    with np.errstate(over="ignore"):
        return np.concatenate([SPECIAL, middle, SPECIAL[::-1], [0.25]]).astype(dtype)


def reference(name: str, dtype, *args) -> np.ndarray:
    with np.errstate(all="ignore"):
        return REFERENCE[name](*(a.astype(np.float64) for a in args)).astype(dtype)


def assert_close(got, want, ulps: int, args=()):
    nan = np.isnan(want)
    bad = np.isnan(got) != nan
    exact = ~nan & (np.isinf(want) | (want == 0))
    bad |= exact & (got.view(f"u{got.itemsize}") != want.view(f"u{want.itemsize}"))
    rest = ~nan & ~exact
    bad[rest] |= ulp_distance(got[rest], want[rest]) > ulps
    where = np.flatnonzero(bad)[:5]
    assert not where.size, [(*(a[k] for a in args), got[k], want[k]) for k in where]


# --- a map loop, vectorised with vecmath -----------------------------------------------------
def map_kernel_ir(name: str, ty: ir.Type, arity: int) -> str:
    """``void map(x, y, out, n)``: out[i] = name(x[i]) (or name(x[i], y[i])), the call made
    by rules_scalar's ``libm`` as for a program."""
    cg = Codegen()
    fn = ir.Function(cg.module, ir.FunctionType(VOID, [PTR, PTR, PTR, I64]), "map")
    for arg in fn.args[:3]:
        arg.add_attribute("noalias")
    x, y, out, n = fn.args
    entry, loop, done = (fn.append_basic_block(s) for s in ("entry", "loop", "done"))
    b = cg.builder = ir.IRBuilder(entry)
    b.cbranch(b.icmp_signed(">", n, ir.Constant(I64, 0)), loop, done)
    b.position_at_end(loop)
    i = b.phi(I64)
    i.add_incoming(ir.Constant(I64, 0), entry)
    args = [b.load(b.gep(p, [i], source_etype=ty), typ=ty) for p in (x, y)[:arity]]
    b.store(libm(cg, name, ty, args), b.gep(out, [i], source_etype=ty))
    after = b.add(i, ir.Constant(I64, 1))
    i.add_incoming(after, loop)
    b.cbranch(b.icmp_signed("<", after, n), loop, done)
    b.position_at_end(done)
    b.ret_void()
    return str(cg.module)


def run_map(text: str, dtype, *args) -> np.ndarray:
    lib = jit.Library.load(jit.compile_ir(text), ["map"])
    fn = lib.cfunc("map", None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                   ctypes.c_int64)
    args = [np.ascontiguousarray(a, dtype) for a in args]
    out = np.full(len(args[0]), 7.0, dtype)
    fn(args[0].ctypes.data, args[-1].ctypes.data, out.ctypes.data, len(out))
    return out


def vector_calls(text: str) -> set[str]:
    return set(re.findall(r"call <\d+ x \w+> @(_ZGV\w+)", jit.optimized_ir(text)))


@pytest.mark.parametrize("kind", list(DTYPES))
@pytest.mark.parametrize("name", list(REFERENCE))
def test_vectorised_map_matches_numpy(name, kind):
    dtype, ty = DTYPES[kind], {"f64": F64, "f32": F32}[kind]
    arity = vecmath.FUNCTIONS[name]
    text = map_kernel_ir(name, ty, arity)
    # vectorised exactly when the host has the variants
    assert bool(vector_calls(text)) == bool(vecmath.variants(name, np.dtype(dtype).itemsize * 8))
    x = inputs(dtype)
    args = (x, np.random.default_rng(1).permutation(x))[:arity]
    assert_close(run_map(text, dtype, *args), reference(name, dtype, *args), ULPS[dtype], args)
    for n in LENGTHS:  # the remainder after whole vectors, of every size
        part = tuple(a[len(SPECIAL):len(SPECIAL) + n] for a in args)
        got = run_map(text, dtype, *part)
        assert_close(got, reference(name, dtype, *part), ULPS[dtype], part)


@pytest.mark.parametrize("name", ["sin", "log", "pow"])
def test_scalar_fallback_without_variants(monkeypatch, name):
    monkeypatch.setattr(vecmath, "variants", lambda name, bits: ())
    arity = vecmath.FUNCTIONS[name]
    text = map_kernel_ir(name, F64, arity)
    assert "_ZGV" not in text and re.search(rf'declare double @"?{name}"?\(', text)
    x = inputs(np.float64)
    args = (x, x[::-1].copy())[:arity]
    assert_close(run_map(text, np.float64, *args), reference(name, np.float64, *args),
                 ULPS[np.float64], args)


# --- programs ---------------------------------------------------------------------------------
@pytest.fixture
def on_llvm():
    with weldpy.config(backend="llvm"):
        yield


@pytest.mark.usefixtures("on_llvm")
@pytest.mark.parametrize("kind", list(DTYPES))
@pytest.mark.parametrize("name", list(REFERENCE))
def test_program_map_and_sum(name, kind):
    """An appender map of every input kind, and a sum over finite results (the reduction
    vectorises): NumPy's answers up to the libraries' ULP (and the sum's reassociation)."""
    dtype, arity = DTYPES[kind], vecmath.FUNCTIONS[name]
    x = inputs(dtype, n=50)
    args = (x, x[::-1].copy())[:arity]
    call = f"{name}(e)" if arity == 1 else f"{name}(e.$0, e.$1)"
    data = "v" if arity == 1 else "zip(v, w)"
    params = f"v: vec[{kind}]" + ("" if arity == 1 else f", w: vec[{kind}]")
    mapped = compile(f"|{params}| result(for({data}, appender[{kind}], "
                     f"|b, i, e| merge(b, {call})))")(*args)
    want = reference(name, dtype, *args)
    assert_close(mapped, want, ULPS[dtype], args)
    total = compile(f"|{params}| result(for({data}, merger[{kind}, +], "
                    f"|b, i, e| merge(b, {call})))")
    finite = np.isfinite(want) & (np.abs(want) < 1e30)
    for n in LENGTHS:
        part = tuple(a[finite][:n] for a in args)
        terms = want[finite][:n].astype(np.float64)
        slack = (ULPS[dtype] + 2 * n) * np.finfo(dtype).eps * np.abs(terms).sum()
        assert abs(float(total(*part)) - terms.sum()) <= slack


@pytest.mark.usefixtures("on_llvm")
def test_sum_propagates_nan_and_inf():
    total = compile("|v: vec[f64]| result(for(v, merger[f64, +], |b, i, e| merge(b, log(e))))")
    ones = np.ones(20)
    assert np.isnan(total(np.concatenate([ones, [-1.0], ones])))  # log(-1) is NaN
    assert total(np.concatenate([ones, [0.0], ones])) == -np.inf
    assert total(np.concatenate([ones, [np.inf], ones])) == np.inf


@pytest.mark.usefixtures("on_llvm")
@pytest.mark.parametrize("exponent", ["0.0", "1.0", "2.0", "-1.0", "0.5", "3.0", "-0.5", "2.5"])
def test_pow_by_constants(exponent):
    """Exponents LLVM rewrites into arithmetic (x*x, 1/x, sqrt) and others (libm's pow)."""
    x = inputs(np.float64, n=20)
    got = compile(f"|v: vec[f64]| result(for(v, appender[f64], |b, i, e| "
                  f"merge(b, pow(e, {exponent}))))")(x)
    assert_close(got, reference("pow", np.float64, x, np.full_like(x, float(exponent))),
                 ULPS[np.float64], (x,))


# --- the generated code -----------------------------------------------------------------------
def _assembly(text: str) -> str:
    return jit.assembly(lower_program(typecheck(parse(text))))


@pytest.mark.skipif(not HAS_LIBMVEC, reason=NO_LIBMVEC)
@pytest.mark.parametrize(("program", "variant"), [
    ("|v: vec[f64]| result(for(v, merger[f64, +], |b, i, x| merge(b, sin(x))))", "sin"),
    ("|v: vec[f32]| result(for(v, merger[f32, +], |b, i, x| merge(b, exp(x) * 2.0f)))",
     "expf"),
    ("|v: vec[f64], w: vec[f64]| result(for(zip(v, w), merger[f64, +], "
     "|b, i, x| merge(b, pow(x.$0, x.$1))))", "pow"),
])
def test_reduction_calls_the_vector_variant(program, variant):
    asm = _assembly(program)
    widest = vecmath.variants(variant.removesuffix("f"), 32 if variant.endswith("f") else 64)
    assert re.search(rf"\b{widest[0][1]}\b", asm), widest
    # no fast-math beyond the reduction's own: nothing contracts the math into FMAs
    assert not re.search(r"\bvfmadd", asm)


FRESH_PROCESS = """
import json, sys
import numpy as np
import weldpy
from weldpy.config import stats
from weldpy.ir import compile
with weldpy.config(backend="llvm", cache_dir=sys.argv[1]):
    x = np.linspace(-20.0, 20.0, 1001)
    got = compile("|v: vec[f64]| result(for(v, merger[f64, +], |b, i, e| merge(b, sin(e))))")(x)
print(json.dumps({"got": float(got), "compiled": stats()["programs_compiled"],
                  "disk": stats()["cache_hits_disk"]}))
"""


def test_program_from_the_disk_cache_finds_libmvec(tmp_path):
    """A fresh process that loads the program from the disk cache (no code generation, so
    nothing of vecmath has run) links the variants and the scalar alias."""
    runs = []
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", FRESH_PROCESS, str(tmp_path)],
                             cwd=Path(__file__).parents[3], capture_output=True, text=True,
                             timeout=120)
        assert out.returncode == 0, out.stderr
        runs.append(json.loads(out.stdout))
    assert runs[0]["compiled"] >= 1 and runs[1]["compiled"] == 0 and runs[1]["disk"] >= 1
    want = np.sin(np.linspace(-20.0, 20.0, 1001))
    for run in runs:
        assert abs(run["got"] - want.sum()) <= 1e-13 * np.abs(want).sum()


def test_host_isas_follow_cpu_features():
    features = jit.host_features()
    isas = dict(vecmath.host_isas())
    if not llvm.get_process_triple().startswith("x86_64"):
        assert isas == {}
        return
    assert ("e" in isas) == ("avx512f" in features)
    assert ("d" in isas) == ("avx2" in features)
    assert isas.get("b") == 2 and len(set(isas.values())) == len(isas)  # one ISA a width

