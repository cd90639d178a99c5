"""weldpy.numpy's elementwise functions against NumPy: every compiled ufunc on every dtype
(generated arrays with NaN, inf, -0.0 and integer extremes), scalars weak and strong (NEP 50),
broadcasting, the errors NumPy raises at the call; zero fallbacks (tests/numpy/conftest.py)."""

import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import weldpy
import weldpy.numpy as wnp
from tests.numpy.checks import MATH_ULPS, assert_like_numpy, numpy_or_error
from weldpy.numpy.dtypes import compute_kind
from weldpy.numpy.elementwise import COMPILED_FOR, OPERATIONS

DTYPES = [numpy.dtype(t) for t in (bool, numpy.int8, numpy.int16, numpy.int32, numpy.int64,
                                   numpy.uint8, numpy.uint16, numpy.uint32, numpy.uint64,
                                   numpy.float16, numpy.float32, numpy.float64)]
FLOATS = [d for d in DTYPES if d.kind == "f"]
MATH = {numpy.exp, numpy.log, numpy.sin, numpy.cos, numpy.tan, numpy.arcsin, numpy.arccos,
        numpy.arctan, numpy.sinh, numpy.cosh, numpy.tanh, numpy.expm1, numpy.log1p,
        numpy.log2, numpy.log10, numpy.arctan2, numpy.hypot, numpy.power}
try:
    from scipy.special import erf as scipy_erf

    MATH.add(scipy_erf)
except ImportError:
    scipy_erf = None
UNARY = sorted((u for u in OPERATIONS if u.nin == 1), key=lambda u: u.__name__)
BINARY = sorted((u for u in OPERATIONS if u.nin == 2), key=lambda u: u.__name__)


def dtypes_for(ufunc):
    """The dtypes to draw for ``ufunc`` (for those compiled only for some loop types, the
    ones whose own loop is compiled; ``compare`` skips mixes that resolve to another)."""
    if ufunc not in COMPILED_FOR:
        return DTYPES
    return [d for d in DTYPES if COMPILED_FOR[ufunc]([compute_kind(d, "")] * 2)]


def compiled_for(ufunc, args) -> bool:
    """Whether weldpy compiles ``ufunc`` for these arrays' loop (else NumPy runs it)."""
    if ufunc not in COMPILED_FOR:
        return True
    try:
        loop = ufunc.resolve_dtypes(tuple(numpy.asarray(a).dtype for a in args) + (None,))
    except TypeError:
        return True  # (weldpy raises as NumPy does)
    return COMPILED_FOR[ufunc]([compute_kind(d, "") for d in loop[:ufunc.nin]])


def arrays(dtype, shape):
    elements = None
    if dtype.kind == "f":
        elements = st.floats(width=dtype.itemsize * 8, allow_nan=True, allow_infinity=True,
                             allow_subnormal=False)
    return hnp.arrays(dtype, shape, elements=elements)


def compare(ufunc, *args):
    """weldpy.numpy's ``ufunc(*args)`` evaluated against NumPy's: the same value, or the
    same kind of error (a WeldError at the call)."""
    if not compiled_for(ufunc, args):
        return  # (bool powers run in NumPy, visibly)
    want = numpy_or_error(ufunc, *args)
    lazy = wnp.erf if ufunc is scipy_erf else getattr(wnp, ufunc.__name__)
    if isinstance(want, Exception):  # (at the call, or for the data's errors, evaluating)
        with pytest.raises(weldpy.WeldError) as raised:
            lazy(*args).evaluate()
        builtin = next(c for c in type(want).__mro__ if c.__module__ == "builtins")
        assert isinstance(raised.value, builtin), (raised.value, want)
        return
    got = lazy(*args)
    ulps = MATH_ULPS if ufunc in MATH else 0
    if numpy.asarray(want).dtype == numpy.float16 and ufunc in MATH:
        ulps = 1  # (computed in float32, rounded once to float16, as NumPy)
    assert_like_numpy(got.evaluate(), want, ulps,
                      zero_signs=ufunc not in (numpy.minimum, numpy.maximum))


@pytest.mark.parametrize("ufunc", UNARY, ids=lambda u: u.__name__)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_unary_on_every_dtype(ufunc, data):
    dtype = data.draw(st.sampled_from(dtypes_for(ufunc)))
    x = data.draw(arrays(dtype, st.integers(0, 9)))
    compare(ufunc, x)


@pytest.mark.parametrize("ufunc", BINARY, ids=lambda u: u.__name__)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_binary_on_every_pair_of_dtypes(ufunc, data):
    a, b = (data.draw(st.sampled_from(dtypes_for(ufunc))) for _ in range(2))
    n = data.draw(st.integers(0, 9))
    compare(ufunc, data.draw(arrays(a, n)), data.draw(arrays(b, n)))


SCALARS = [True, 3, -1, 200, 70000, 2**40, 2.5, -0.0, float("nan"), numpy.int8(3),
           numpy.float32(1.5), numpy.uint64(7), numpy.float64(-2.0)]


@pytest.mark.parametrize("ufunc", [numpy.add, numpy.multiply, numpy.subtract, numpy.divide,
                                   numpy.less, numpy.maximum, numpy.bitwise_and,
                                   numpy.floor_divide, numpy.remainder],
                         ids=lambda u: u.__name__)
@pytest.mark.parametrize("scalar", SCALARS, ids=repr)
@pytest.mark.parametrize("dtype", ["int8", "uint8", "int64", "float16", "float32", "bool"])
def test_scalars_weak_and_strong_nep50(ufunc, scalar, dtype):
    x = numpy.array([0, 1, 5, 100], dtype=dtype)
    if not (compiled_for(ufunc, (x, x)) and compiled_for(ufunc, (x, numpy.asarray(scalar)))):
        return
    compare(ufunc, x, scalar)
    compare(ufunc, scalar, x)


@pytest.mark.parametrize("shapes", [((2, 3), (3,)), ((2, 1), (1, 4)), ((4, 1), (4,)),
                                    ((2, 3, 4), (3, 1)), ((1,), (5,)), ((0, 3), (3,)),
                                    ((3,), ())])
def test_broadcasting(shapes):
    rng = numpy.random.default_rng(0)
    a, b = (rng.standard_normal(s) for s in shapes)
    compare(numpy.add, a, b)
    compare(numpy.hypot, b, a)
    compare(numpy.greater, a, b.astype(numpy.int16))


def test_shapes_that_do_not_broadcast_raise_at_the_call():
    with pytest.raises(ValueError, match="could not be broadcast") as raised:
        wnp.add(numpy.zeros(3), numpy.zeros(4))
    assert isinstance(raised.value, weldpy.WeldError)


def test_a_python_integer_out_of_bounds_raises_at_the_call():
    with pytest.raises(OverflowError, match="out of bounds for int8"):
        wnp.asarray(numpy.zeros(3, numpy.int8)) + 1000


def test_operators_and_numpy_functions_stay_lazy():
    x = numpy.linspace(-2.0, 2.0, 9)
    a = wnp.asarray(x)
    results = [a + 1, 1 - a, a * a, 2.0 / (a + 3), -a, a < 0.5, (a > 0) & (a < 1),
               numpy.exp(a), numpy.add(a, x), x * a]
    assert all(isinstance(r, wnp.ndarray) for r in results)
    with numpy.errstate(all="ignore"):
        wants = [x + 1, 1 - x, x * x, 2.0 / (x + 3), -x, x < 0.5, (x > 0) & (x < 1),
                 numpy.exp(x), x + x, x * x]
    for got, want in zip(results, wants, strict=True):
        assert_like_numpy(got.evaluate(), want, MATH_ULPS)


def test_zero_d_lazy_values_broadcast_and_keep_their_dtype():
    x = numpy.arange(6, dtype=numpy.float32)
    a = wnp.asarray(x)
    centred = a - a.mean()
    assert_like_numpy(centred.evaluate(), x - x.mean())
    assert_like_numpy((a.sum() * 2).evaluate(), x.sum() * 2)


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_clip(data):
    dtype = data.draw(st.sampled_from(DTYPES[1:]))
    x = data.draw(arrays(dtype, st.integers(0, 9)))
    lo, hi = sorted(data.draw(st.lists(st.integers(-5, 100), min_size=2, max_size=2)))
    want = numpy_or_error(numpy.clip, x, lo, hi)
    if isinstance(want, Exception):  # (a Python integer bound out of the dtype's range)
        for clip in (lambda: wnp.clip(x, lo, hi), lambda: numpy.clip(wnp.asarray(x), lo, hi)):
            with pytest.raises(type(want)) as raised:
                clip()
            assert isinstance(raised.value, weldpy.WeldError)
        return
    assert_like_numpy(wnp.clip(x, lo, hi).evaluate(), want, zero_signs=False)
    assert_like_numpy(numpy.clip(wnp.asarray(x), lo, hi).evaluate(), want, zero_signs=False)
    assert_like_numpy(numpy.clip(wnp.asarray(x), None, hi).evaluate(),
                      numpy_or_error(numpy.clip, x, None, hi), zero_signs=False)


@pytest.mark.parametrize("exponent", [2, 2.0, 0.5, 3.0, -1.0, 0.0])
def test_float_power_by_a_scalar(exponent):
    x = numpy.array([-0.0, 0.0, -2.0, 3.0, numpy.inf, -numpy.inf, numpy.nan, 1e-300, 0.25])
    for dtype in FLOATS:
        with numpy.errstate(all="ignore"):
            want = x.astype(dtype) ** exponent
        got = (wnp.asarray(x.astype(dtype)) ** exponent).evaluate()
        assert_like_numpy(got, want, MATH_ULPS)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "int32", "uint32", "int64",
                                   "uint64"])
def test_integer_powers_and_reciprocals(dtype):
    x = numpy.array([0, 1, 2, 3, 5, 7, 100, 127], dtype)
    if numpy.dtype(dtype).kind == "i":
        x = numpy.concatenate([x, -x])
    exponents = numpy.resize(numpy.array([0, 1, 2, 3, 7, 13, 63, 64], dtype), x.shape)
    for backend in ("llvm", "interp"):
        with weldpy.config(backend=backend):
            for e in (0, 1, 2, 3, 9, 64) + ((2**40,) if x.itemsize == 8 else ()):
                # (constant exponents: unrolled)
                assert_like_numpy((wnp.asarray(x) ** e).evaluate(), x ** e)
            assert_like_numpy(numpy.power(wnp.asarray(x), exponents).evaluate(),
                              numpy.power(x, exponents))
            with numpy.errstate(all="ignore"):
                assert_like_numpy(wnp.reciprocal(wnp.asarray(x)).evaluate(),
                                  numpy.reciprocal(x))


def test_negative_integer_powers_are_numpys_value_error():
    x = numpy.array([2, 3])
    with pytest.raises(ValueError, match="negative integer powers") as raised:
        wnp.asarray(x) ** -1  # (a constant: at the call)
    assert isinstance(raised.value, weldpy.WeldError)
    value = numpy.power(wnp.asarray(x), numpy.array([1, -1]))  # (data: at evaluation)
    later = value + 1
    for v in (value, value, later):
        with pytest.raises(ValueError, match="negative integer powers"):
            v.evaluate()
