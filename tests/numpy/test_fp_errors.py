"""NumPy's floating-point errors on weldpy.numpy: the same warnings as NumPy for every
elementwise function, cast and reduction (generated arrays with zeros, infinities, NaN and
huge values; float16 aside, README), on llvm at 1 and 2 threads and the interpreter; the
modes of ``np.errstate``/``np.seterr`` as at the operation's call; ``where=`` masks;
NumPy's own data-dependent warnings; and no second program when nothing happened."""

import io
import warnings

import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import weldpy
import weldpy.numpy as wnp
from tests.numpy.checks import MATH_ULPS, assert_like_numpy, numpy_or_error
from tests.numpy.test_elementwise import MATH, compiled_for
from weldpy.numpy.elementwise import OPERATIONS
from weldpy.runtime import fp_flags

UFUNCS = sorted((u for u in OPERATIONS if getattr(numpy, u.__name__, None) is u),
                key=lambda u: u.__name__)
UNARY = [u for u in UFUNCS if u.nin == 1]
BINARY = [u for u in UFUNCS if u.nin == 2]
SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 1e300, -1e300, 1e-300, numpy.inf, -numpy.inf,
           numpy.nan, 710.0, 1e200]
BACKENDS = [("llvm", 1), ("llvm", 2), ("interp", 1)]


def messages(run) -> tuple[object, list[str]]:
    """``run()``'s value and the RuntimeWarnings it gave, in order."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = run()
    return value, [str(w.message) for w in caught if w.category is RuntimeWarning]


def float_arrays(dtype):
    return hnp.arrays(dtype, st.integers(1, 9),
                      elements=st.sampled_from(SPECIAL).map(lambda v: dtype.type(v)))


def int_arrays(dtype):
    info = numpy.iinfo(dtype)
    return hnp.arrays(dtype, st.integers(1, 9),
                      elements=st.sampled_from([0, 1, -1, 7, int(info.min), int(info.max)])
                      .map(lambda v: dtype.type(v) if info.min <= v <= info.max
                           else dtype.type(0)))


def compare(ufunc, args, backend):
    if not compiled_for(ufunc, args) or isinstance(numpy_or_error(ufunc, *args), Exception):
        return  # (NumPy's errors: test_elementwise)
    want, numpy_said = messages(lambda: ufunc(*args))
    name, threads = backend
    lazy = ufunc(*(wnp.asarray(a) for a in args))
    with weldpy.config(backend=name, threads=threads, grain=2):
        got, weldpy_said = messages(lambda: lazy.evaluate())
    assert set(weldpy_said) == set(numpy_said), (ufunc.__name__, args)
    assert_like_numpy(got, want, ulps=MATH_ULPS if ufunc in MATH else 0, zero_signs=False)


@pytest.mark.parametrize("ufunc", UNARY, ids=lambda u: u.__name__)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_unary_warnings_as_numpys(ufunc, data):
    dtype = data.draw(st.sampled_from([numpy.dtype("float32"), numpy.dtype("float64")]))
    x = data.draw(float_arrays(dtype))
    compare(ufunc, (x,), data.draw(st.sampled_from(BACKENDS)))


@pytest.mark.parametrize("ufunc", BINARY, ids=lambda u: u.__name__)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_binary_warnings_as_numpys(ufunc, data):
    dtype = data.draw(st.sampled_from([numpy.dtype(t) for t in ("float32", "float64", "int8",
                                                                 "int64", "uint32")]))
    strategy = float_arrays(dtype) if dtype.kind == "f" else int_arrays(dtype)
    x = data.draw(strategy)
    y = data.draw(strategy.filter(lambda y: True).map(
        lambda y: numpy.resize(y, x.shape)))
    if ufunc is numpy.power and dtype.kind == "f":  # (README, differences: x ** inf)
        y = numpy.where(numpy.isinf(y), y.dtype.type(2), y)
    compare(ufunc, (x, y), data.draw(st.sampled_from(BACKENDS)))


@pytest.mark.parametrize("target", ["int8", "uint8", "int16", "int32", "uint32", "int64",
                                    "uint64", "float32"])
@pytest.mark.parametrize("source", ["float32", "float64"])
def test_cast_warnings_as_numpys(source, target):
    values = [300.0, -1.0, 2.0 ** 31, -2.0 ** 31 - 1, 2.0 ** 32, 2.0 ** 63, -2.0 ** 63,
              2.0 ** 64, 1e20, -1e20, 1e300, numpy.nan, numpy.inf, 5.0]
    for v in values:
        x = numpy.array([5.0, v], source)
        want, numpy_said = messages(lambda x=x: x.astype(target))
        got, weldpy_said = messages(lambda x=x: wnp.asarray(x).astype(target).evaluate())
        assert weldpy_said == numpy_said, (v, numpy_said, weldpy_said)
        numpy.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("how", ["sum", "prod", "mean"])
@pytest.mark.parametrize("axis", [None, 1])
def test_reduction_warnings_as_numpys(how, axis):
    for row in ([1e308, 1e308], [numpy.inf, -numpy.inf], [numpy.inf, 1.0], [1.0, 2.0],
                [numpy.nan, 1e308]):
        x = numpy.array([row, [1.0, 2.0]])
        want, numpy_said = messages(lambda x=x: getattr(numpy, how)(x, axis=axis))
        got, weldpy_said = messages(
            lambda x=x: getattr(wnp, how)(wnp.asarray(x), axis=axis).evaluate())
        assert set(weldpy_said) == set(numpy_said), (row, numpy_said, weldpy_said)
        numpy.testing.assert_array_equal(got, want)


def test_numpys_own_warnings_on_data():
    x = numpy.array([[numpy.nan, 1.0], [numpy.nan, numpy.nan]])
    for name, axis in (("nanmean", 1), ("nanmax", 0), ("nanmin", None), ("nanmean", None),
                       ("mean", None)):
        data = x if name != "mean" else numpy.zeros(0)
        want, numpy_said = messages(
            lambda name=name, data=data, axis=axis: getattr(numpy, name)(data, axis=axis))
        got, weldpy_said = messages(
            lambda name=name, data=data, axis=axis: getattr(wnp, name)(data, axis=axis)
            .evaluate())
        assert set(weldpy_said) == set(numpy_said), (name, numpy_said, weldpy_said)
        numpy.testing.assert_array_equal(got, want)


def test_the_error_state_at_the_call_decides():
    x = numpy.array([1.0, 0.0])
    with numpy.errstate(divide="ignore"):
        quiet = wnp.asarray(x) / 0.0
    loud = wnp.asarray(x) / 0.0
    with numpy.errstate(all="ignore"):  # (evaluation follows the call's state)
        assert messages(loud.evaluate)[1] == ["divide by zero encountered in divide",
                                              "invalid value encountered in divide"]
    assert messages(quiet.evaluate)[1] == ["invalid value encountered in divide"]
    with numpy.errstate(all="raise"):
        raising = wnp.sqrt(wnp.asarray(numpy.array([-1.0])))
    with pytest.raises(FloatingPointError, match="invalid value encountered in sqrt") as raised:
        raising.evaluate()
    assert isinstance(raised.value, weldpy.WeldError)


def test_call_print_and_log_modes(capsys):
    calls = []
    x = wnp.asarray(numpy.array([1.0, -1.0]))
    with numpy.errstate(all="call", call=lambda *args: calls.append(args)):
        values = [x / 0.0, wnp.sqrt(x)]
    weldpy.evaluate(*values)
    assert calls == [("divide by zero", 1), ("invalid value", 8)]
    log = io.StringIO()
    with numpy.errstate(all="log", call=log):
        value = wnp.log(x)
    value.evaluate()
    assert log.getvalue() == ("Warning: divide by zero encountered in log\n"
                              if False else "Warning: invalid value encountered in log\n")
    with numpy.errstate(all="print"):
        value = x * 1e308 * 10
    value.evaluate()
    assert capsys.readouterr().out == "Warning: overflow encountered in multiply\n"


def test_where_reports_only_the_elements_computed():
    x = numpy.array([4.0, -1.0])
    assert messages(lambda: wnp.sqrt(wnp.asarray(x), where=x >= 0).evaluate())[1] == []
    assert messages(lambda: wnp.sqrt(wnp.asarray(x), where=x < 0).evaluate())[1] == [
        "invalid value encountered in sqrt"]


def test_integer_division_by_zero():
    x = numpy.array([5, numpy.iinfo(numpy.int64).min])
    for ufunc in (numpy.floor_divide, numpy.remainder, numpy.fmod):
        for y in (numpy.array([0, 1]), numpy.array([1, -1])):
            compare(ufunc, (x, y), ("llvm", 1))


@pytest.mark.skipif(not fp_flags.AVAILABLE, reason="the hardware flags are read on x86-64")
def test_no_second_program_without_errors():
    x = numpy.linspace(1.0, 2.0, 50_000)
    weldpy.stats(reset=True)
    with weldpy.config(threads=2, grain=1000):
        value = ((wnp.log(wnp.asarray(x)) / x) ** 2 + wnp.sqrt(x)).sum()
        assert messages(value.evaluate)[1] == []
        assert weldpy.stats()["programs_compiled"] + weldpy.stats()["cache_hits_memory"] \
            + weldpy.stats()["cache_hits_disk"] == 1
        y = x.copy()
        y[-1] = 0.0  # (in the second thread's part)
        value = ((wnp.log(wnp.asarray(y)) / y) ** 2 + wnp.sqrt(y)).sum()
        want = messages(lambda: ((numpy.log(y) / y) ** 2 + numpy.sqrt(y)).sum())[1]
        assert want and messages(value.evaluate)[1] == want


def test_seterr_through_weldpy_numpy_is_numpys():
    old = wnp.seterr(divide="ignore")
    try:
        assert wnp.geterr()["divide"] == "ignore" == numpy.geterr()["divide"]
        x = wnp.asarray(numpy.array([1.0])) / 0.0
        assert messages(x.evaluate)[1] == []
    finally:
        wnp.seterr(**old)
    with wnp.errstate(over="raise"):
        big = wnp.asarray(numpy.array([1e308])) * 10.0
    with pytest.raises(FloatingPointError, match="overflow encountered in multiply"):
        big.evaluate()
