"""``ufunc.accumulate``, ``cumsum``, ``cumprod`` (and ``ufunc.outer``) of weldpy.numpy
against NumPy: a sequential scan as NumPy's, so floats are equal to the bit; every binary
ufunc weldpy compiles, every dtype (float16: README's difference, small integers only), any
axis of up to three dimensions, empty extents, on the interpreter and on llvm."""

import warnings

import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import weldpy
import weldpy.numpy as wnp
from tests.numpy.checks import MATH_ULPS, assert_like_numpy, numpy_or_error
from tests.numpy.test_elementwise import DTYPES, MATH, arrays, compiled_for

BINARY = [u for u in (numpy.add, numpy.subtract, numpy.multiply, numpy.divide,
                      numpy.minimum, numpy.maximum, numpy.fmin, numpy.fmax, numpy.logical_and,
                      numpy.logical_or, numpy.logical_xor, numpy.bitwise_and,
                      numpy.bitwise_or, numpy.bitwise_xor, numpy.floor_divide,
                      numpy.remainder, numpy.hypot, numpy.arctan2, numpy.power)]


def check(ufunc, x, axis, backend):
    if not compiled_for(ufunc, (x, x)) or ufunc is numpy.power and x.dtype.kind != "f":
        return  # (runs in NumPy, visibly: test_uncompiled_scans_run_in_numpy_visibly)
    with numpy.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = numpy_or_error(ufunc.accumulate, x, axis=axis)
        if isinstance(want, Exception):
            with pytest.raises(type(want)) as raised:
                ufunc.accumulate(wnp.asarray(x), axis=axis)
            assert isinstance(raised.value, weldpy.WeldError)
            return
        got = ufunc.accumulate(wnp.asarray(x), axis=axis)
        assert isinstance(got, wnp.ndarray)
        with weldpy.config(backend=backend):
            value = got.evaluate()
    assert_like_numpy(value, want, ulps=MATH_ULPS if ufunc in MATH else 0,
                      zero_signs=ufunc not in (numpy.minimum, numpy.maximum, numpy.fmin,
                                               numpy.fmax))


@pytest.mark.parametrize("ufunc", BINARY, ids=lambda u: u.__name__)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_accumulate(ufunc, data):
    dtype = data.draw(st.sampled_from([d for d in DTYPES if d != numpy.float16]))
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = data.draw(arrays(dtype, shape))
    check(ufunc, x, axis, data.draw(st.sampled_from(["llvm", "interp"])))


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("dtype", ["bool", "int8", "uint16", "int64", "float16", "float32",
                                   "float64"])
def test_cumsum_and_cumprod(name, axis, dtype):
    x = (numpy.arange(12) % 4 - 1).reshape(3, 4).astype(dtype)
    want = getattr(numpy, name)(x, axis=axis)
    assert_like_numpy(getattr(wnp, name)(x, axis=axis).evaluate(), want)
    assert_like_numpy(getattr(wnp.asarray(x), name)(axis).evaluate(), want)
    assert_like_numpy(getattr(numpy, name)(wnp.asarray(x), axis, numpy.float32).evaluate(),
                      getattr(numpy, name)(x, axis, numpy.float32))


def test_a_long_float_scan_equals_numpys_to_the_bit():
    x = numpy.random.default_rng(3).standard_normal(10_001)
    assert_like_numpy(wnp.cumsum(x).evaluate(), numpy.cumsum(x))
    assert_like_numpy(numpy.multiply.accumulate(wnp.asarray(x[:300] / 2 + 1)).evaluate(),
                      numpy.multiply.accumulate(x[:300] / 2 + 1))


def test_scans_into_out_and_dtype():
    x = numpy.arange(6, dtype=numpy.int8).reshape(2, 3)
    out = wnp.zeros((2, 3), numpy.float64)
    earlier = out * 1
    assert numpy.add.accumulate(wnp.asarray(x), axis=1, out=out) is out
    assert_like_numpy(out.evaluate(), numpy.add.accumulate(x, axis=1).astype(numpy.float64))
    assert_like_numpy(earlier.evaluate(), numpy.zeros((2, 3)))
    concrete = numpy.zeros(6, numpy.int16)
    assert wnp.cumsum(x, out=concrete) is concrete
    assert_like_numpy(concrete, numpy.cumsum(x).astype(numpy.int16))
    assert_like_numpy(numpy.add.accumulate(wnp.asarray(x), dtype=numpy.int8).evaluate(),
                      numpy.add.accumulate(x, dtype=numpy.int8))


def test_bad_scans_raise_numpys_errors_at_the_call():
    with pytest.raises(TypeError, match="scalar"):
        numpy.add.accumulate(wnp.asarray(numpy.float64(1.0)) + 0)
    for axis in (None, (0, 1)):
        with pytest.raises(ValueError, match="multiple axes"):
            numpy.add.accumulate(wnp.zeros((2, 2)), axis=axis)
    with pytest.raises(IndexError, match="out of bounds"):
        numpy.add.accumulate(wnp.zeros(2), axis=1)
    with pytest.raises(TypeError):
        numpy.subtract.accumulate(wnp.asarray(numpy.ones(3, bool)))


def test_uncompiled_scans_run_in_numpy_visibly(fallbacks_allowed):
    weldpy.stats(reset=True)
    x = numpy.array([2.0, 3.0, 2.0])
    assert_like_numpy(numpy.logaddexp.accumulate(wnp.asarray(x)),
                      numpy.logaddexp.accumulate(x))
    assert_like_numpy(numpy.power.accumulate(wnp.asarray(numpy.array([2, 3, 2]))),
                      numpy.power.accumulate(numpy.array([2, 3, 2])))
    assert weldpy.stats()["fallbacks"] == {"numpy.logaddexp.accumulate": 1,
                                           "numpy.power.accumulate": 1}


@pytest.mark.parametrize("ufunc", [numpy.add, numpy.subtract, numpy.multiply, numpy.maximum,
                                   numpy.less, numpy.arctan2], ids=lambda u: u.__name__)
@pytest.mark.parametrize("shapes", [((3,), (4,)), ((2, 3), (4,)), ((), (3,)), ((0,), (2,))])
def test_ufunc_outer(ufunc, shapes):
    a = numpy.arange(int(numpy.prod(shapes[0])), dtype=float).reshape(shapes[0]) - 1.5
    b = numpy.arange(int(numpy.prod(shapes[1])), dtype=numpy.int32).reshape(shapes[1])
    got = ufunc.outer(wnp.asarray(a), wnp.asarray(b))
    assert isinstance(got, wnp.ndarray)
    assert_like_numpy(got.evaluate(), ufunc.outer(a, b), ulps=MATH_ULPS if ufunc in MATH else 0)
    want = ufunc.outer(a, b)
    out = wnp.zeros(want.shape, want.dtype)
    assert ufunc.outer(wnp.asarray(a), b, out=out) is out
    assert_like_numpy(out.evaluate(), want, ulps=MATH_ULPS if ufunc in MATH else 0)
