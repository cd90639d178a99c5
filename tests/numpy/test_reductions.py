"""Whole-array reductions of weldpy.numpy against NumPy: dtypes as NumPy gives them, empty
arrays (sum 0, mean NaN with NumPy's warning, min raising ValueError at the call), NaN, and
float sums within the reassociation bound n * eps * sum(|x|)."""

import warnings

import numpy
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import weldpy
import weldpy.numpy as wnp
from tests.numpy.checks import assert_like_numpy, numpy_or_error
from tests.numpy.test_elementwise import DTYPES, arrays

HOW = ["sum", "prod", "min", "max", "mean"]


def check(how, x, dtype=None):
    kwargs = {} if dtype is None else {"dtype": dtype}
    with numpy.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = getattr(numpy, how)(x, **kwargs)
        got = getattr(wnp, how)(wnp.asarray(x), **kwargs)
        value = got.evaluate()
    assert isinstance(got, wnp.ndarray) and got.shape == ()
    assert type(value) is type(want), (type(value), type(want))
    if numpy.asarray(want).dtype.kind != "f" or how in ("min", "max"):
        assert_like_numpy(value, want, zero_signs=how not in ("min", "max"))
        return
    if numpy.isnan(want) or numpy.isinf(want):
        assert numpy.isnan(value) == numpy.isnan(want) and (numpy.isnan(want) or value == want)
        return
    eps = numpy.finfo(numpy.asarray(want).dtype).eps
    terms = numpy.abs(numpy.asarray(x, dtype=numpy.float64))
    scale = terms.sum() if how != "prod" else numpy.abs(want)
    bound = max(x.size, 1) * eps * scale / (x.size if how == "mean" else 1) * 2
    assert abs(float(value) - float(want)) <= bound + numpy.finfo(numpy.float64).tiny


@pytest.mark.parametrize("how", HOW)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_every_dtype(how, data):
    dtype = data.draw(st.sampled_from(DTYPES))
    x = data.draw(arrays(dtype, hnp.array_shapes(min_dims=1, max_dims=3, min_side=1,
                                                   max_side=6)))
    if dtype.kind == "f" and how in ("sum", "prod", "mean"):
        x = numpy.where(numpy.isfinite(x), x, 1).astype(dtype)  # (orders of infinities)
        compute = numpy.float32 if dtype == numpy.float16 else dtype
        with numpy.errstate(all="ignore"):  # a product reassociated may overflow elsewhere:
            # every partial product stays below the product of the factors beyond 1
            big = numpy.prod(numpy.maximum(numpy.abs(x.astype(numpy.float64)), 1.0))
            assume(how != "prod" or big < numpy.finfo(compute).max)
    check(how, x)


@pytest.mark.parametrize("how", ["sum", "prod", "mean"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "uint32"])
def test_a_dtype_keyword(how, dtype):
    check(how, numpy.arange(1, 8, dtype=numpy.int16), dtype)


def test_nan_propagates():
    x = numpy.array([1.0, numpy.nan, -3.0])
    for how in HOW:
        assert numpy.isnan(float(getattr(wnp, how)(x)))


def test_empty_arrays():
    empty = numpy.zeros(0)
    assert float(wnp.sum(empty)) == 0.0 and float(wnp.prod(empty)) == 1.0
    with pytest.warns(RuntimeWarning, match="Mean of empty slice"):
        mean = wnp.mean(empty)
    assert numpy.isnan(float(mean))
    for how in ("min", "max"):
        with pytest.raises(ValueError, match="zero-size array") as raised:
            getattr(wnp, how)(empty)
        assert isinstance(raised.value, weldpy.WeldError)


def test_a_sum_of_large_float32_arrays_is_close_to_numpys():
    x = numpy.random.default_rng(5).standard_normal(100_003).astype(numpy.float32)
    check("sum", x)
    check("mean", x)


STATISTICS = ["var", "std", "any", "all", "count_nonzero", "argmin", "argmax", "nansum",
              "nanmean", "nanmin", "nanmax"]


@pytest.mark.parametrize("name", STATISTICS)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_statistics_on_every_dtype(name, data):
    dtype = data.draw(st.sampled_from(DTYPES))
    x = data.draw(arrays(dtype, st.integers(1, 12)))
    if dtype.kind == "f":  # (finite magnitudes: sums of squares must not overflow)
        big = numpy.abs(x.astype(numpy.float64)) > 1e100
        x = numpy.where(numpy.isinf(x) | big, dtype.type(1.5), x)
    with numpy.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = getattr(numpy, name)(x)
        got = getattr(wnp, name)(wnp.asarray(x)).evaluate()
    assert type(got) is type(want), (type(got), type(want))
    if numpy.asarray(want).dtype.kind != "f" or name in ("nanmin", "nanmax"):
        assert_like_numpy(got, want, zero_signs=False)
        return
    if numpy.isnan(want) or numpy.isinf(want):
        assert numpy.isnan(got) if numpy.isnan(want) else got == want
        return
    scale = float(numpy.nanmax(numpy.abs(x.astype(numpy.float64)))) ** (
        2 if name == "var" else 1)
    eps = numpy.finfo(numpy.asarray(want).dtype).eps
    assert abs(float(got) - float(want)) <= 64 * x.size * eps * max(scale, 1e-300)


def test_statistics_edge_cases():
    assert wnp.any(numpy.zeros(0)).evaluate() is numpy.False_
    assert wnp.all(numpy.zeros(0)).evaluate() is numpy.True_
    with pytest.raises(ValueError, match="empty sequence"):
        wnp.argmax(numpy.zeros(0))
    with pytest.warns(RuntimeWarning, match="Degrees of freedom"):
        v = wnp.var(numpy.ones(2), ddof=2)
    assert numpy.isnan(float(v)) or numpy.isinf(float(v))
    assert numpy.isnan(float(wnp.nanmax(numpy.array([numpy.nan, numpy.nan]))))
    assert wnp.argmax(numpy.array([1.0, numpy.nan, 3.0, numpy.nan])).evaluate() == 1
    assert wnp.argmin(numpy.array([2, 1, 1, 0, 0], numpy.int8)).evaluate() == 3
    assert type(wnp.count_nonzero(numpy.arange(3)).evaluate()) is numpy.int64


def axis_arguments(ndim):
    """Every form of NumPy's ``axis``: None, an axis (negative too), a tuple of axes."""
    one = st.integers(-ndim, ndim - 1) if ndim else st.nothing()
    several = st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim).map(tuple) \
        if ndim else st.just(())
    return st.one_of(st.none(), one, several)


def finite_data(x):
    """``x`` with finite, moderate floats (sums and products that do not overflow)."""
    if x.dtype.kind != "f":
        return x
    x = numpy.where(numpy.isfinite(x), x, x.dtype.type(1.5))
    return numpy.where(numpy.abs(x.astype(numpy.float64)) > 1e3, x.dtype.type(2.0), x)


def check_along(name, x, kwargs, lazy_kwargs=None):
    """weldpy.numpy's ``name(x, **kwargs)`` against NumPy's: the same dtype, shape and
    values (floats within the reassociation bound), or the same kind of error."""
    with numpy.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = numpy_or_error(getattr(numpy, name), x, **kwargs)
        if isinstance(want, Exception):
            with pytest.raises(type(want)) as raised:
                getattr(wnp, name)(wnp.asarray(x), **(lazy_kwargs or kwargs))
            assert isinstance(raised.value, weldpy.WeldError)
            return
        got = getattr(wnp, name)(wnp.asarray(x), **(lazy_kwargs or kwargs))
        assert isinstance(got, wnp.ndarray)
        got = got.evaluate()
    got_array, want_array = numpy.asarray(got), numpy.asarray(want)
    assert got_array.dtype == want_array.dtype and got_array.shape == want_array.shape
    assert type(got) is type(want) or isinstance(want, numpy.ndarray)
    if want_array.dtype.kind == "f" and name not in ("min", "max", "nanmin", "nanmax"):
        numpy.testing.assert_allclose(got_array.astype(numpy.float64),
                                      want_array.astype(numpy.float64),
                                      rtol=64 * numpy.finfo(want_array.dtype).eps,
                                      atol=(64 * numpy.finfo(want_array.dtype).eps
                                            if name in ("var", "std") else 0),
                                      equal_nan=True)
    else:
        assert_like_numpy(got, want, zero_signs=False)


@pytest.mark.parametrize("how", HOW)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_along_axes(how, data):
    dtype = data.draw(st.sampled_from(DTYPES))
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5))
    axis = data.draw(axis_arguments(len(shape)))
    keepdims = data.draw(st.booleans())
    x = finite_data(data.draw(arrays(dtype, shape)))
    check_along(how, x, {"axis": axis, "keepdims": keepdims})


@pytest.mark.parametrize("name", STATISTICS)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_statistics_along_axes(name, data):
    dtype = data.draw(st.sampled_from(DTYPES))
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5))
    single = name in ("argmin", "argmax")  # (NumPy takes one axis there)
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1))
                     if single else axis_arguments(len(shape)))
    kwargs = {"axis": axis, "keepdims": data.draw(st.booleans())}
    if name in ("var", "std"):
        kwargs["ddof"] = data.draw(st.integers(0, 2))
    x = data.draw(arrays(dtype, shape))
    if name in ("var", "std", "nanmean", "nansum"):  # (NaN stays: the nan* skip it)
        x = numpy.where(numpy.isinf(x), x.dtype.type(1.5), finite_data(x)) \
            if dtype.kind == "f" and name in ("var", "std") else x
        if dtype.kind == "f" and name in ("nanmean", "nansum"):
            big = numpy.isinf(x) | (numpy.abs(x.astype(numpy.float64)) > 1e3)
            x = numpy.where(big, x.dtype.type(2.0), x)
    check_along(name, x, kwargs)


def test_numpys_ways_of_passing_arguments():
    x = numpy.arange(12.0).reshape(3, 4)
    a = wnp.asarray(x)
    assert_like_numpy(numpy.sum(a, 1).evaluate(), numpy.sum(x, 1))
    assert_like_numpy(a.sum(0, numpy.float32).evaluate(), x.sum(0, numpy.float32))
    assert_like_numpy(a.var(1, None, None, 1).evaluate(), x.var(1, None, None, 1))
    assert_like_numpy(numpy.std(a, axis=0, correction=1).evaluate(),
                      numpy.std(x, axis=0, correction=1))
    assert_like_numpy(numpy.mean(a, axis=(0, 1), keepdims=True).evaluate(),
                      numpy.mean(x, axis=(0, 1), keepdims=True))
    assert_like_numpy(numpy.max(a, where=True, axis=-1).evaluate(), numpy.max(x, axis=-1))
    assert_like_numpy(numpy.argmax(a, keepdims=True).evaluate(),
                      numpy.argmax(x, keepdims=True))
    assert_like_numpy(a.clip(2, 5).evaluate(), x.clip(2, 5))
    assert_like_numpy(numpy.clip(a, None, 5).evaluate(), numpy.clip(x, None, 5))
    assert_like_numpy(wnp.count_nonzero(a, axis=0).evaluate(), numpy.count_nonzero(x, axis=0))


def test_reductions_into_out():
    x = numpy.arange(12.0).reshape(3, 4) / 3
    lazy_out = wnp.zeros(4, numpy.int64)
    earlier = lazy_out + 1
    assert numpy.sum(wnp.asarray(x), axis=0, out=lazy_out) is lazy_out
    assert_like_numpy(lazy_out.evaluate(), numpy.sum(x, axis=0).astype(numpy.int64))
    assert_like_numpy(earlier.evaluate(), numpy.ones(4, numpy.int64))  # (its own version)
    concrete_out = numpy.zeros(3, numpy.float32)
    assert wnp.mean(x, axis=1, out=concrete_out) is concrete_out
    assert_like_numpy(concrete_out, numpy.mean(x, axis=1).astype(numpy.float32))
    with pytest.raises(ValueError, match="shape"):
        wnp.sum(x, axis=0, out=numpy.zeros(3))


def test_unsupported_arguments_run_in_numpy_visibly(fallbacks_allowed):
    x = numpy.arange(6.0)
    weldpy.stats(reset=True)
    assert float(wnp.sum(x, initial=10.0)) == 25.0
    assert float(wnp.max(x, where=x < 3, initial=-1)) == 2.0
    assert weldpy.stats()["fallbacks"] == {"numpy.sum": 1, "numpy.max": 1}


def test_bad_axes_raise_numpys_errors_at_the_call():
    x = numpy.zeros((2, 3))
    with pytest.raises(ValueError, match="duplicate"):
        wnp.sum(x, axis=(0, -2))
    with pytest.raises(TypeError):
        wnp.sum(x, axis=1.0)
    with pytest.raises(TypeError):
        wnp.argmax(x, axis=(0, 1))
    with pytest.raises(ValueError, match="empty sequence"):
        wnp.argmin(numpy.zeros((0, 3)), axis=0)
    assert wnp.argmin(numpy.zeros((0, 3)), axis=1).evaluate().shape == (0,)
    with pytest.raises(ValueError, match="zero-size"):
        wnp.min(numpy.zeros((3, 0)), axis=1)
    with pytest.warns(RuntimeWarning, match="Mean of empty slice"):
        wnp.mean(numpy.zeros((3, 0)), axis=1)


def test_axis_errors_at_the_call():
    for kind in (ValueError, IndexError, weldpy.WeldError):  # (as NumPy's AxisError)
        with pytest.raises(kind, match="out of bounds"):
            wnp.sum(numpy.zeros((2, 3)), axis=2)


@pytest.mark.parametrize("ufunc", [numpy.add, numpy.multiply, numpy.minimum, numpy.maximum],
                         ids=lambda u: u.__name__)
@pytest.mark.parametrize("axis", [0, 1, -1, None])
@pytest.mark.parametrize("dtype", ["int8", "uint32", "float32", "float64", "bool"])
def test_ufunc_reduce_stays_lazy(ufunc, axis, dtype):
    x = (numpy.arange(12) % 5).reshape(3, 4).astype(dtype)
    want = ufunc.reduce(x, axis=axis)
    got = ufunc.reduce(wnp.asarray(x), axis=axis)
    assert isinstance(got, wnp.ndarray)
    assert_like_numpy(got.evaluate(), want)
    out = wnp.zeros(numpy.shape(want), numpy.asarray(want).dtype)
    if numpy.shape(want):
        assert ufunc.reduce(wnp.asarray(x), axis=axis, out=out) is out
        assert_like_numpy(out.evaluate(), want)


@pytest.mark.parametrize("how", ["sum", "prod"])
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_sums_and_products_in_bool_are_or_and_and(how, axis):
    b = numpy.array([[True, False, True], [False, False, True]])
    want = getattr(numpy, how)(b, axis=axis, dtype=bool)
    got = getattr(wnp, how)(b, axis=axis, dtype=bool).evaluate()
    numpy.testing.assert_array_equal(got, want)
    assert numpy.asarray(got).dtype == numpy.bool_
