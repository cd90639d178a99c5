"""Vector math through glibc's libmvec: loops calling exp, sin, erf, pow ... vectorise.

Owns the table of the math functions glibc's libmvec has SIMD variants of, the choice of
the variants the host can run (from its CPU features), and ``declare(cg, name, ty, arity)``:
the scalar function a math call goes to, declared so that LLVM's loop vectoriser replaces
it by a variant (``jit._initialize`` loads libmvec into the process).

The recipe (notes/llvmlite.md): the scalar declaration carries the attribute
``"vector-function-abi-variant"="_ZGVeN8v_expf64(_ZGVeN8v_exp),..."`` (one variant per
vector width: ``e`` AVX-512 8 x f64, ``d`` AVX2 / ``c`` AVX 4 x f64, ``b`` SSE 2 x f64;
twice the lanes for f32), and the variants are kept in ``llvm.compiler.used`` until the
vectoriser has run. The scalar name is not ``exp`` itself: LLVM knows libm's names and
rewrites some calls into intrinsics without the variant (``pow(2.0, x)`` becomes
``llvm.exp2``, which it vectorises by splitting it into scalar calls: measured). It is
glibc's own alias of the function, ``expf64`` (``expf32`` for f32: the ``_Float64`` and
``_Float32`` names, same address, exported since glibc 2.27): unknown to LLVM, and found by
the process-wide symbol lookup that links every program, also one loaded from the disk
cache (a name bound with ``llvm.add_symbol`` is not found by that lookup: measured). The loop's
remainder iterations call the scalar function, so an element's value may differ by the
libraries' few ULP (libmvec: at most 4 ULP) depending on its position; no fast-math flag
is involved (the vectoriser needs none for a call with a variant). Where libmvec, a
variant or the alias is missing, the call is the plain scalar libm call.
"""

from __future__ import annotations

import functools

import llvmlite.binding as llvm
from llvmlite import ir

from weldpy.backends.llvm import jit
from weldpy.backends.llvm.codegen import Codegen
from weldpy.backends.llvm.layout import F32, PTR

# the functions x86-64 libmvec has (glibc 2.35+; 2.22 had exp, log, sin, cos, pow), with
# their number of arguments
FUNCTIONS = {
    **dict.fromkeys(
        ["acos", "acosh", "asin", "asinh", "atan", "atanh", "cbrt", "cos", "cosh", "erf",
         "erfc", "exp", "exp10", "exp2", "expm1", "log", "log10", "log1p", "log2", "sin",
         "sinh", "tan", "tanh"], 1),
    "pow": 2, "atan2": 2, "hypot": 2,
}

# (ISA letter, CPU feature it needs, f64 lanes), one per vector width, widest first
_ISAS = [("e", "avx512f", 8), ("d", "avx2", 4), ("c", "avx", 4), ("b", "sse2", 2)]
_USED = "llvm.compiler.used"


@functools.cache
def host_isas() -> tuple[tuple[str, int], ...]:
    """The (ISA letter, f64 lanes) pairs whose variants this host runs: the best ISA of
    each vector width; () off x86-64."""
    if not llvm.get_process_triple().startswith("x86_64"):
        return ()
    features = jit.host_features()
    out, widths = [], set()
    for isa, feature, lanes in _ISAS:
        if feature in features and lanes not in widths:
            out.append((isa, lanes))
            widths.add(lanes)
    return tuple(out)


def _defined(symbol: str) -> bool:
    jit._initialize()  # libm and libmvec loaded
    return bool(llvm.address_of_symbol(symbol))


def alias(name: str, bits: int) -> str:
    """glibc's ``_Float64``/``_Float32`` name of libm's ``name`` on f``bits``."""
    return f"{name}f{bits}"


@functools.cache
def variants(name: str, bits: int) -> tuple[tuple[str, str, int], ...]:
    """For libm's ``name`` on f``bits``: (VFABI prefix, variant symbol, lanes) of each
    variant present in this process, e.g. ``("_ZGVeN8v", "_ZGVeN8v_exp", 8)``; () when the
    call cannot vectorise (also when the scalar alias is missing)."""
    arity = FUNCTIONS.get(name)
    if arity is None or not _defined(alias(name, bits)):
        return ()
    out = []
    for isa, lanes in host_isas():
        lanes *= 64 // bits
        prefix = f"_ZGV{isa}N{lanes}{'v' * arity}"
        symbol = f"{prefix}_{name}{'f' if bits == 32 else ''}"
        if _defined(symbol):
            out.append((prefix, symbol, lanes))
    return tuple(out)


class _RawAttributes(ir.FunctionAttributes):
    """Function attributes printed as given: llvmlite only accepts names from a fixed list,
    which has neither ``memory(none)`` nor string attributes."""

    def add(self, name):
        set.add(self, name)


def declare(cg: Codegen, name: str, ty: ir.Type, arity: int) -> ir.Function | None:
    """The scalar function to call for libm's ``name`` on ``ty`` with its libmvec variants
    attached, or None when the host has none (then call libm's own function)."""
    bits = 32 if ty == F32 else 64
    found = variants(name, bits)
    if not found:
        return None
    scalar = alias(name, bits)
    existing = cg.module.globals.get(scalar)
    if existing is not None:
        return existing
    fn = cg.declare(scalar, ty, [ty] * arity)
    kept = []
    for _, symbol, lanes in found:
        vector = ir.VectorType(ty, lanes)
        kept.append(cg.declare(symbol, vector, [vector] * arity))
    abi = ",".join(f"{prefix}_{scalar}({symbol})" for prefix, symbol, _ in found)
    # memory(none): errno, the only memory libm writes, is never read by generated code
    fn.attributes = _RawAttributes(
        ["nounwind", "willreturn", "memory(none)", f'"vector-function-abi-variant"="{abi}"'])
    _keep(cg.module, kept)
    return fn


def _keep(module: ir.Module, functions: list[ir.Function]) -> None:
    """Add ``functions`` to ``llvm.compiler.used``: nothing calls a variant before the loop
    vectoriser does, and an unused declaration would be dropped before it runs."""
    used = module.globals.get(_USED)
    if used is None:
        used = ir.GlobalVariable(module, ir.ArrayType(PTR, 0), _USED)
        used.linkage = "appending"
        used.section = "llvm.metadata"
        kept = []
    else:
        kept = list(used.initializer.constant)
    kept += functions
    used.value_type = ir.ArrayType(PTR, len(kept))
    used.initializer = ir.Constant(used.value_type, kept)
