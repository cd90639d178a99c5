"""weldpy.backends.llvm.jit: hand-written LLVM IR compiled, optimised, loaded and called."""

import ctypes
import gc
import math
import re
import threading

import numpy as np
import pytest

from weldpy.backends.llvm import jit
from weldpy.config import config
from weldpy.errors import WeldUnsupportedError

D = ctypes.c_double
I64 = ctypes.c_int64
P = ctypes.c_void_p

EXP = """
declare double @exp(double)
define double @f(double %x) {
  %e = call double @exp(double %x)
  ret double %e
}
"""

# sum of p[0..n): the fast-math flags on the accumulator are what IR.md allows on reductions
SUM = """
define double @sum(ptr %p, i64 %n) {
entry:
  %empty = icmp sle i64 %n, 0
  br i1 %empty, label %exit, label %loop
loop:
  %i = phi i64 [0, %entry], [%i1, %loop]
  %acc = phi double [0.0, %entry], [%acc1, %loop]
  %q = getelementptr double, ptr %p, i64 %i
  %v = load double, ptr %q
  %acc1 = fadd reassoc nsz arcp contract afn double %acc, %v
  %i1 = add i64 %i, 1
  %more = icmp slt i64 %i1, %n
  br i1 %more, label %loop, label %exit
exit:
  %r = phi double [0.0, %entry], [%acc1, %loop]
  ret double %r
}
"""

# out[i] = x[i] * 2 + 1: an elementwise map the loop vectoriser must turn into vector code
MAP = """
define void @map(ptr noalias %x, ptr noalias %out, i64 %n) {
entry:
  %empty = icmp sle i64 %n, 0
  br i1 %empty, label %exit, label %loop
loop:
  %i = phi i64 [0, %entry], [%i1, %loop]
  %px = getelementptr double, ptr %x, i64 %i
  %v = load double, ptr %px
  %m = fmul double %v, 2.0
  %a = fadd double %m, 1.0
  %po = getelementptr double, ptr %out, i64 %i
  store double %a, ptr %po
  %i1 = add i64 %i, 1
  %more = icmp slt i64 %i1, %n
  br i1 %more, label %loop, label %exit
exit:
  ret void
}
"""


def load(text, *exports):
    return jit.Library.load(jit.compile_ir(text), exports)


def test_call_libm_exp():
    f = load(EXP, "f").cfunc("f", D, D)
    assert f(1.0) == math.exp(1.0)
    assert f(-745.2) == math.exp(-745.2)


def test_sum_loop_through_ctypes():
    x = np.random.default_rng(0).random(1001)
    s = load(SUM, "sum").cfunc("sum", D, P, I64)
    assert s(x.ctypes.data, x.size) == pytest.approx(x.sum(), rel=1e-12)
    assert s(x.ctypes.data, 0) == 0.0


def test_loops_are_vectorised_for_the_host():
    # AVX hosts get 4 or 8 lanes (some AVX-512 CPUs prefer 256-bit vectors), SSE hosts 2
    wide = "avx" in jit.host_features()
    for text in (MAP, SUM):
        lanes = [int(n) for n in re.findall(r"<(\d+) x double>", jit.optimized_ir(text))]
        assert lanes and max(lanes) >= (4 if wide else 2), text
    asm = jit.assembly(MAP)
    assert re.search(r"%[yz]mm" if wide else r"%xmm", asm)
    assert re.search(r"v?(mulpd|addpd)", asm)  # packed, not scalar (mulsd) arithmetic


def test_vectorised_map_is_correct_on_odd_lengths():
    f = load(MAP, "map").cfunc("map", None, P, P, I64)
    for n in (0, 1, 7, 8, 9, 1003):
        x = np.arange(n, dtype=np.float64) - 3.5
        out = np.full(n, np.nan)
        f(x.ctypes.data, out.ctypes.data, n)
        np.testing.assert_array_equal(out, x * 2.0 + 1.0)


UNARY_LIBM = ["exp", "log", "erf", "erfc", "cbrt", "expm1", "log1p", "log10", "log2", "sin",
              "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh",
              "atanh", "floor", "ceil", "trunc", "round", "fabs", "sqrt", "exp2"]
BINARY_LIBM = ["atan2", "hypot", "pow", "fmod", "copysign", "fmin", "fmax"]
INTRINSICS = ["exp", "log", "sin", "cos", "pow", "sqrt", "floor", "fabs", "log10", "exp2"]


def _libm_module():
    lines = [f"declare double @{f}(double)" for f in UNARY_LIBM]
    lines += [f"declare double @{f}(double, double)" for f in BINARY_LIBM]
    for f in UNARY_LIBM:
        lines.append(f"define double @u_{f}(double %x) {{\n  %r = call double @{f}(double %x)"
                     f"\n  ret double %r\n}}")
    for f in BINARY_LIBM:
        lines.append(f"define double @b_{f}(double %x, double %y) {{\n"
                     f"  %r = call double @{f}(double %x, double %y)\n  ret double %r\n}}")
    for f in INTRINSICS:  # LLVM lowers most of these to libm calls
        args, params = ("double %x, double %y", "double, double") if f == "pow" else \
            ("double %x", "double")
        lines.append(f"declare double @llvm.{f}.f64({params})")
        lines.append(f"define double @i_{f}(double %x, double %y) {{\n"
                     f"  %r = call double @llvm.{f}.f64({args})\n  ret double %r\n}}")
    return "\n".join(lines)


def test_libm_functions_and_intrinsics_resolve():
    exports = ([f"u_{f}" for f in UNARY_LIBM] + [f"b_{f}" for f in BINARY_LIBM]
               + [f"i_{f}" for f in INTRINSICS])
    lib = load(_libm_module(), *exports)
    x, y = 0.37, 1.9
    for f in UNARY_LIBM:
        expected = getattr(np, {"fabs": "abs", "asinh": "arcsinh", "acosh": "arccosh",
                                "atanh": "arctanh", "asin": "arcsin", "acos": "arccos",
                                "atan": "arctan", "round": "round"}.get(f, f), None)
        value = 1.37 if f == "acosh" else x
        got = lib.cfunc(f"u_{f}", D, D)(value)
        want = {"erf": math.erf, "erfc": math.erfc, "cbrt": np.cbrt, "round": round}.get(
            f, expected)(value)
        assert got == pytest.approx(float(want), rel=1e-15), f
    for f in BINARY_LIBM:
        want = {"atan2": math.atan2, "hypot": math.hypot, "pow": math.pow, "fmod": math.fmod,
                "copysign": math.copysign, "fmin": min, "fmax": max}[f](x, y)
        assert lib.cfunc(f"b_{f}", D, D, D)(x, y) == pytest.approx(want, rel=1e-15), f
    for f in INTRINSICS:
        want = math.pow(x, y) if f == "pow" else getattr(np, {"fabs": "abs"}.get(f, f))(x)
        assert lib.cfunc(f"i_{f}", D, D, D)(x, y) == pytest.approx(float(want), rel=1e-15), f


C_LIBRARY = """
declare ptr @malloc(i64)
declare ptr @realloc(ptr, i64)
declare void @free(ptr)
declare ptr @memcpy(ptr, ptr, i64)
declare ptr @memmove(ptr, ptr, i64)
declare ptr @memset(ptr, i32, i64)
declare i32 @memcmp(ptr, ptr, i64)
declare void @llvm.memcpy.p0.p0.i64(ptr, ptr, i64, i1)
declare void @llvm.memset.p0.i64(ptr, i8, i64, i1)

; fills 16 bytes with 7, grows to 32, copies the first half over the second, shifts it by
; one, and returns memcmp(first half, second half) (0) + the byte at 17 (7) + 100 * a[31]
define i64 @buffers(i64 %seed) {
  %a = call ptr @malloc(i64 16)
  call ptr @memset(ptr %a, i32 7, i64 16)
  %b = call ptr @realloc(ptr %a, i64 32)
  %hi = getelementptr i8, ptr %b, i64 16
  call ptr @memcpy(ptr %hi, ptr %b, i64 16)
  %c = call i32 @memcmp(ptr %b, ptr %hi, i64 16)
  call ptr @memmove(ptr %hi, ptr %b, i64 15)
  %tmp = call ptr @malloc(i64 8)
  call void @llvm.memset.p0.i64(ptr %tmp, i8 1, i64 8, i1 false)
  call void @llvm.memcpy.p0.p0.i64(ptr %b, ptr %tmp, i64 8, i1 false)
  call void @free(ptr %tmp)
  %p17 = getelementptr i8, ptr %b, i64 17
  %v17 = load i8, ptr %p17
  %p31 = getelementptr i8, ptr %b, i64 31
  %v31 = load i8, ptr %p31
  %p0 = getelementptr i8, ptr %b, i64 0
  %v0 = load i8, ptr %p0
  call void @free(ptr %b)
  %c64 = sext i32 %c to i64
  %w17 = zext i8 %v17 to i64
  %w31 = zext i8 %v31 to i64
  %w0 = zext i8 %v0 to i64
  %s1 = add i64 %c64, %w17
  %h = mul i64 %w31, 100
  %s2 = add i64 %s1, %h
  %k = mul i64 %w0, 1000
  %s3 = add i64 %s2, %k
  ret i64 %s3
}
"""


def test_c_library_functions_resolve():
    f = load(C_LIBRARY, "buffers").cfunc("buffers", I64, I64)
    assert f(0) == 0 + 7 + 700 + 1000


def test_invalid_ir_is_reported_as_a_weldpy_bug():
    bad = "define i32 @g(i32 %x) {\n  %y = add i64 %x, 1\n  ret i32 %y\n}"
    with pytest.raises(WeldUnsupportedError, match="does not parse.*weldpy bug"):
        jit.compile_ir(bad, name="bad_program")
    unverifiable = "define i32 @g(i32 %x) {\nentry:\n  ret i32 %y\nother:\n  %y = add i32 %x, 1\n" \
                   "  br label %other\n}"
    with pytest.raises(WeldUnsupportedError, match="fails verification") as info:
        jit.compile_ir(unverifiable, name="bad_program")
    assert "bad_program" in str(info.value)


def test_unresolved_symbol_is_a_clear_error_not_a_crash():
    text = ("declare double @no_such_function_anywhere(double)\n"
            "define double @g(double %x) {\n"
            "  %r = call double @no_such_function_anywhere(double %x)\n  ret double %r\n}")
    code = jit.compile_ir(text)
    with pytest.raises(WeldUnsupportedError, match="no_such_function_anywhere"):
        jit.Library.load(code, ["g"])
    with pytest.raises(WeldUnsupportedError, match="not_defined_here"):
        jit.Library.load(jit.compile_ir(EXP), ["f", "not_defined_here"])


def test_address_checks_the_export_list_and_closed_libraries():
    lib = load(EXP, "f")
    assert lib.address("f") != 0
    with pytest.raises(KeyError, match="exports: f"):
        lib.address("g")
    lib.close()
    lib.close()
    with pytest.raises(ValueError, match="closed"):
        lib.address("f")


def test_cfunc_keeps_its_library_alive():
    f = load(EXP, "f").cfunc("f", D, D)
    gc.collect()
    assert f(0.0) == 1.0


def test_imports_link_against_another_library():
    helper = load("define double @helper(double %x) {\n  %r = fmul double %x, 3.0\n"
                  "  ret double %r\n}", "helper")
    user_ir = ("declare double @helper(double)\ndefine double @use(double %x) {\n"
               "  %r = call double @helper(double %x)\n  %s = fadd double %r, 1.0\n"
               "  ret double %s\n}")
    user = jit.Library.load(jit.compile_ir(user_ir), ["use"],
                            imports={"helper": helper.address("helper")}, requires=[helper])
    del helper
    gc.collect()
    assert user.cfunc("use", D, D)(2.0) == 7.0


def _rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 1e6


def test_many_load_and_drop_cycles_do_not_crash_or_leak():
    code = jit.compile_ir(EXP)
    for _ in range(200):  # warm up the allocator
        jit.Library.load(code, ["f"])
    before = _rss_mb()
    for i in range(1000):
        lib = jit.Library.load(code, ["f"])
        assert lib.cfunc("f", D, D)(0.0) == 1.0
        if i % 2:
            lib.close()
        del lib
    gc.collect()
    assert _rss_mb() - before < 10.0  # measured ~0 MB; a shared LLJIT leaks ~11 MB/1000


def test_compiling_from_threads_at_once():
    results = []

    def work(k):
        text = EXP.replace("@f(", f"@f{k}(")
        results.append(load(text, f"f{k}").cfunc(f"f{k}", D, D)(1.0))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [math.exp(1.0)] * 4


def test_host_and_environment_keys():
    assert jit.host_id() == jit.host_id()
    assert "LLVM" in jit.environment_key() and jit.host_id() in jit.environment_key()


def test_debug_levels_print_timings_ir_and_assembly(capsys):
    with config(debug=1):
        jit.compile_ir(EXP, name="dbg")
    err = capsys.readouterr().err
    assert "weldpy jit dbg" in err and "optimise" in err and "assembly" not in err
    with config(debug=2):
        jit.compile_ir(EXP, name="dbg")
    err = capsys.readouterr().err
    assert "generated LLVM IR" in err and "optimised LLVM IR" in err and "dbg: assembly" in err
