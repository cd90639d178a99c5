"""Scalar semantics (IR.md) on every backend: integer wrap-around, C division, shifts, IEEE
floats, math functions, casts, comparisons, short-circuit and branch evaluation. Expected
values come from NumPy array arithmetic or plain Python, never from the interpreter."""

import math
import warnings

import numpy as np
import pytest

from tests.results import assert_same, ulp_distance
from weldpy.errors import WeldIndexError, WeldZeroDivisionError

INT_KINDS = ["i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64"]
FLOAT_KINDS = ["f32", "f64"]
DTYPES = {"bool": np.bool_, "i8": np.int8, "i16": np.int16, "i32": np.int32, "i64": np.int64,
          "u8": np.uint8, "u16": np.uint16, "u32": np.uint32, "u64": np.uint64,
          "f32": np.float32, "f64": np.float64}


def assert_same_floats(got, want):
    """Bit-exact float comparison: NaN equals NaN, -0.0 differs from 0.0."""
    assert_same(got, want, loose=False)


def assert_close_floats(got, want, ulps: int):
    """NaN where NumPy gives NaN, infinities and signed zeros exact, else within ``ulps``
    units in the last place: IR.md's allowance for the math library."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, (got, want)
    nan = np.isnan(want)
    assert np.array_equal(np.isnan(got), nan), (got, want)
    exact = ~nan & (np.isinf(want) | (want == 0))
    assert np.array_equal(got[exact].view(np.uint8), want[exact].view(np.uint8)), (got, want)
    rest = ~nan & ~exact
    assert (ulp_distance(got[rest], want[rest]) <= ulps).all(), (got, want)


def int_values(kind):
    info = np.iinfo(DTYPES[kind])
    vals = {0, 1, 2, 3, 7, 100, info.max, info.max - 1, info.min, info.min + 1}
    if info.min < 0:
        vals |= {-1, -2, -3, -7, -100}
    return sorted(v for v in vals if info.min <= v <= info.max)


def pairs(kind):
    vals = int_values(kind)
    a = np.array([x for x in vals for _ in vals], dtype=DTYPES[kind])
    b = np.array([y for _ in vals for y in vals], dtype=DTYPES[kind])
    return a, b


def zip_map(t, expr):
    """Program: elementwise ``expr`` over two zipped vectors (names x, y)."""
    return (f"|a: vec[{t}], b: vec[{t}]| result(for(zip(a, b), appender, "
            f"|r, i, e| let x = e.$0; let y = e.$1; merge(r, {expr})))")


def map1(t, expr):
    return f"|a: vec[{t}]| result(for(a, appender, |r, i, x| merge(r, {expr})))"


@pytest.mark.parametrize("kind", INT_KINDS)
@pytest.mark.parametrize("op", ["+", "-", "*", "&", "|", "^"])
def test_integer_ops_wrap_like_numpy(run, kind, op):
    a, b = pairs(kind)
    fn = {"+": np.add, "-": np.subtract, "*": np.multiply, "&": np.bitwise_and,
          "|": np.bitwise_or, "^": np.bitwise_xor}[op]
    with np.errstate(all="ignore"):
        want = fn(a, b)
    got = run(zip_map(kind, f"x {op} y"), a, b)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("kind", INT_KINDS)
@pytest.mark.parametrize("op", ["min", "max"])
def test_integer_min_max(run, kind, op):
    a, b = pairs(kind)
    got = run(zip_map(kind, f"{op}(x, y)"), a, b)
    np.testing.assert_array_equal(got, getattr(np, {"min": "minimum", "max": "maximum"}[op])(a, b))


def c_div_mod(x: int, y: int, kind):
    """C semantics from Python's exact integers, wrapped modulo 2**64 by NumPy's astype."""
    q = abs(x) // abs(y)
    q = q if (x < 0) == (y < 0) else -q
    r = x - y * q
    wrap = [np.array([v % 2**64], dtype=np.uint64).astype(DTYPES[kind])[0] for v in (q, r)]
    return tuple(wrap)


@pytest.mark.parametrize("kind", INT_KINDS)
def test_integer_division_truncates_toward_zero(run, kind):
    a, b = pairs(kind)
    keep = b != 0
    a, b = a[keep], b[keep]
    quot = run(zip_map(kind, "x / y"), a, b)
    rem = run(zip_map(kind, "x % y"), a, b)
    for x, y, q, r in zip(a, b, quot, rem, strict=True):
        wq, wr = c_div_mod(int(x), int(y), kind)
        assert (q, r) == (wq, wr), (x, y)
    # the remainder has the dividend's sign, as C's (np.fmod on integers)
    np.testing.assert_array_equal(rem, np.fmod(a, b))


def test_division_examples(run):
    assert run("|a: i32, b: i32| {a / b, a % b}", -10, 3) == (-3, -1)
    assert run("|a: i32, b: i32| {a / b, a % b}", 10, -3) == (-3, 1)
    m = np.iinfo(np.int32).min
    assert run("|a: i32, b: i32| {a / b, a % b}", m, -1) == (m, 0)
    m = np.iinfo(np.int64).min
    assert run("|a: i64, b: i64| {a / b, a % b}", m, -1) == (m, 0)


@pytest.mark.parametrize("kind", INT_KINDS)
@pytest.mark.parametrize("op", ["/", "%"])
def test_integer_division_by_zero_raises(run, kind, op):
    name = "division" if op == "/" else "remainder"
    with pytest.raises(WeldZeroDivisionError, match=name) as info:
        run(f"|a: {kind}, b: {kind}| a {op} b", DTYPES[kind](5), DTYPES[kind](0))
    assert isinstance(info.value, ZeroDivisionError)


def expected_shift(x: int, s: int, op: str, kind) -> int:
    dtype = DTYPES[kind]
    bits = np.dtype(dtype).itemsize * 8
    signed = np.issubdtype(dtype, np.signedinteger)
    if not 0 <= s < bits:
        return -1 if op == ">>" and signed and x < 0 else 0
    value = x << s if op == "<<" else x >> s
    value &= (1 << bits) - 1
    if signed and value >= 1 << (bits - 1):
        value -= 1 << bits
    return value


@pytest.mark.parametrize("kind", INT_KINDS)
@pytest.mark.parametrize("op", ["<<", ">>"])
def test_shifts(run, kind, op):
    dtype = DTYPES[kind]
    bits = np.dtype(dtype).itemsize * 8
    info = np.iinfo(dtype)
    xs = [v for v in (1, 5, -1, -8, info.min, info.max) if info.min <= v <= info.max]
    amounts = [0, 1, 3, bits - 1, bits, bits + 1, 2 * bits]
    if info.min < 0:
        amounts += [-1, -bits]
    a = np.array([x for x in xs for _ in amounts], dtype=dtype)
    b = np.array([s for _ in xs for s in amounts], dtype=dtype)
    got = run(zip_map(kind, f"x {op} y"), a, b)
    want = [expected_shift(int(x), int(s), op, kind) for x, s in zip(a, b, strict=True)]
    np.testing.assert_array_equal(got, np.array(want, dtype=dtype))


def test_shift_examples(run):
    assert run("|a: i32| a >> 1", -8) == -4  # arithmetic for signed
    assert run("|a: u32| a >> 1u", np.uint32(0x80000000)) == 0x40000000  # logical
    assert run("|a: i32| a >> 40", -8) == -1
    assert run("|a: i32| a << 32", 1) == 0


@pytest.mark.parametrize("kind", INT_KINDS)
def test_integer_neg_abs_sign(run, kind):
    dtype = DTYPES[kind]
    a = np.array(int_values(kind), dtype=dtype)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(run(map1(kind, "-x"), a), np.negative(a))
        np.testing.assert_array_equal(run(map1(kind, "abs(x)"), a), np.abs(a))
    np.testing.assert_array_equal(run(map1(kind, "sign(x)"), a), np.sign(a))


def float_values(kind):
    info = np.finfo(DTYPES[kind])
    return np.array([0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 1e-3, float(info.max),
                     -float(info.max), float(info.smallest_subnormal), np.inf, -np.inf, np.nan],
                    dtype=DTYPES[kind])


def float_pairs(kind):
    v = float_values(kind)
    return np.repeat(v, len(v)), np.tile(v, len(v))


FLOAT_BINARY = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide,
                "%": np.fmod, "min": np.minimum, "max": np.maximum, "pow": np.power,
                "atan2": np.arctan2, "hypot": np.hypot}


@pytest.mark.parametrize("kind", FLOAT_KINDS)
@pytest.mark.parametrize("op", list(FLOAT_BINARY))
def test_float_binary_ops_are_ieee_like_numpy(run, kind, op):
    a, b = float_pairs(kind)
    expr = f"{op}(x, y)" if op[0].isalpha() else f"x {op} y"
    with np.errstate(all="ignore"):
        want = FLOAT_BINARY[op](a, b)
    got = run(zip_map(kind, expr), a, b)
    if op in ("pow", "atan2", "hypot"):
        assert_close_floats(got, want, MATH_ULPS)
    else:
        assert_same_floats(got, want)


def test_min_max_propagate_nan(run):
    assert np.isnan(run("|a: f64, b: f64| min(a, b)", 1.0, np.nan))
    assert np.isnan(run("|a: f64, b: f64| max(a, b)", np.nan, 1.0))


# correctly rounded in IEEE (and so equal to NumPy bit for bit); the others are the math
# library's, equal up to a few ULP (IR.md)
EXACT_UNARY = {"-", "sqrt", "floor", "ceil", "trunc", "rint", "abs", "sign"}
MATH_ULPS = 4

FLOAT_UNARY = {
    "-": np.negative, "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "sin": np.sin,
    "cos": np.cos, "tan": np.tan, "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan,
    "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh, "floor": np.floor, "ceil": np.ceil,
    "trunc": np.trunc, "rint": np.rint, "abs": np.abs, "sign": np.sign, "log1p": np.log1p,
    "expm1": np.expm1, "log2": np.log2, "log10": np.log10, "exp2": np.exp2, "cbrt": np.cbrt,
}


@pytest.mark.parametrize("kind", FLOAT_KINDS)
@pytest.mark.parametrize("fn", list(FLOAT_UNARY))
def test_float_unary_functions_match_numpy(run, kind, fn):
    a = float_values(kind)
    with np.errstate(all="ignore"):
        want = FLOAT_UNARY[fn](a)
    expr = "-x" if fn == "-" else f"{fn}(x)"
    got = run(map1(kind, expr), a)
    if fn in EXACT_UNARY:
        assert_same_floats(got, want)
    else:
        assert_close_floats(got, want, MATH_ULPS)


@pytest.mark.parametrize("kind", FLOAT_KINDS)
def test_erf_matches_math_erf(run, kind):
    a = float_values(kind)
    want = np.array([math.erf(float(x)) for x in a]).astype(DTYPES[kind])
    assert_close_floats(run(map1(kind, "erf(x)"), a), want, MATH_ULPS)


@pytest.mark.parametrize("kind", FLOAT_KINDS)
@pytest.mark.parametrize("fn", ["isnan", "isinf", "isfinite"])
def test_float_predicates(run, kind, fn):
    a = float_values(kind)
    got = run(map1(kind, f"{fn}(x)"), a)
    assert got.dtype == np.bool_
    np.testing.assert_array_equal(got, getattr(np, fn)(a))


def test_f32_math_stays_f32(run):
    got = run("|x: f32| exp(x)", np.float32(1.0))
    assert got.dtype == np.float32
    assert_close_floats(got, np.exp(np.float32(1.0)), MATH_ULPS)


CAST_VALUES = {
    "f": [0.0, -0.0, 0.5, -0.5, 1.9, -1.9, 127.5, 255.0, 256.0, -129.0, 3e9, -3e9, 1e19,
          -1e19, 1e300, np.inf, -np.inf, np.nan],
}


def cast_inputs(src):
    dtype = DTYPES[src]
    if src == "bool":
        return np.array([False, True])
    if src in FLOAT_KINDS:
        with np.errstate(all="ignore"):
            return np.array(CAST_VALUES["f"], dtype=dtype)
    return np.array(int_values(src), dtype=dtype)


def astype_each(a, dtype):
    """NumPy's astype element by element (its scalar loop)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return np.array([np.array([x]).astype(dtype)[0] for x in a], dtype=dtype)


@pytest.mark.parametrize("src", list(DTYPES))
@pytest.mark.parametrize("dst", list(DTYPES))
def test_casts_match_numpy_astype(run, src, dst):
    a = cast_inputs(src)
    want = a != 0 if dst == "bool" else astype_each(a, DTYPES[dst])
    got = run(map1(src, f"{dst}(x)"), a)
    if dst in FLOAT_KINDS:
        assert_same_floats(got, want)
    else:
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_astype_of_whole_arrays_agrees_except_float_to_u32_out_of_range():
    # NumPy's SIMD loop (arrays of 4+ elements) differs from its scalar loop only for NaN
    # and out-of-range floats cast to u32; the IR follows the scalar loop (one element).
    for src in FLOAT_KINDS:
        a = cast_inputs(src)
        for dst in INT_KINDS:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                whole = a.astype(DTYPES[dst])
            differ = whole != astype_each(a, DTYPES[dst])
            if dst != "u32":
                assert not differ.any(), (src, dst)
            else:
                info = np.iinfo(np.uint32)
                assert not (differ & (a >= 0) & (a <= info.max)).any()


@pytest.mark.parametrize("kind", INT_KINDS + FLOAT_KINDS)
@pytest.mark.parametrize("op", ["==", "!=", "<", "<=", ">", ">="])
def test_comparisons_give_bool(run, kind, op):
    a, b = float_pairs(kind) if kind in FLOAT_KINDS else pairs(kind)
    fn = {"==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal,
          ">": np.greater, ">=": np.greater_equal}[op]
    got = run(zip_map(kind, f"x {op} y"), a, b)
    assert got.dtype == np.bool_
    np.testing.assert_array_equal(got, fn(a, b))


@pytest.mark.parametrize("op", ["&", "|", "^", "min", "max", "==", "!=", "<", ">="])
def test_bool_operators(run, op):
    a = np.array([False, False, True, True])
    b = np.array([False, True, False, True])
    expr = f"{op}(x, y)" if op[0].isalpha() else f"x {op} y"
    fn = {"&": np.logical_and, "|": np.logical_or, "^": np.logical_xor, "min": np.minimum,
          "max": np.maximum, "==": np.equal, "!=": np.not_equal, "<": np.less,
          ">=": np.greater_equal}[op]
    np.testing.assert_array_equal(run(zip_map("bool", expr), a, b), fn(a, b))


def test_not_and_logical_ops(run):
    a = np.array([False, False, True, True])
    b = np.array([False, True, False, True])
    np.testing.assert_array_equal(run(zip_map("bool", "x && y"), a, b), a & b)
    np.testing.assert_array_equal(run(zip_map("bool", "x || y"), a, b), a | b)
    np.testing.assert_array_equal(run(map1("bool", "!x"), a), ~a)


def test_logical_operators_short_circuit(run):
    # the right side would fail (a lookup out of range) if it were evaluated
    bad = "lookup(v, 5L) == 1"
    assert run(f"|v: vec[i32]| false && {bad}", np.zeros(1, np.int32)) == np.False_
    assert run(f"|v: vec[i32]| true || {bad}", np.zeros(1, np.int32)) == np.True_
    with pytest.raises(WeldIndexError):
        run(f"|v: vec[i32]| true && {bad}", np.zeros(1, np.int32))
    with pytest.raises(WeldIndexError):
        run(f"|v: vec[i32]| false || {bad}", np.zeros(1, np.int32))


def test_if_evaluates_one_branch_and_select_both(run):
    assert run("|a: i32| if(a == 0, 0, 10 / a)", 0) == 0
    assert run("|a: i32| if(a != 0, 10 / a, 0)", 5) == 2
    with pytest.raises(WeldZeroDivisionError):
        run("|a: i32| select(a == 0, 0, 10 / a)", 0)
    assert run("|a: i32| select(a == 0, 1, 2)", 0) == 1


def test_literals_have_their_types(run):
    got = run("|| {1, 1L, 1c, 1si, 1ub, 1us, 1u, 1ul, 1.5F, 1.5, true, -3, nan, -inf}")
    kinds = [np.int32, np.int64, np.int8, np.int16, np.uint8, np.uint16, np.uint32,
             np.uint64, np.float32, np.float64, np.bool_, np.int32, np.float64, np.float64]
    assert [type(v) for v in got] == kinds
    assert got[:12] == (1, 1, 1, 1, 1, 1, 1, 1, 1.5, 1.5, True, -3)
    assert np.isnan(got[12]) and got[13] == -np.inf


def test_compare_on_scalars(run):
    prog = "|a: f64, b: f64| compare(a, b)"
    assert run(prog, 1.0, 2.0) == -1 and run(prog, 2.0, 1.0) == 1 and run(prog, 1.0, 1.0) == 0
    assert run(prog, np.nan, np.inf) == 1 and run(prog, -np.inf, np.nan) == -1
    assert run(prog, np.nan, np.nan) == 0 and run(prog, -0.0, 0.0) == 0
    assert type(run(prog, 1.0, 2.0)) is np.int32
    assert run("|a: bool, b: bool| compare(a, b)", False, True) == -1
    assert run("|a: u64, b: u64| compare(a, b)", np.uint64(2**64 - 1), np.uint64(1)) == 1
