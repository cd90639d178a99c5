"""Advanced indexing by one array (``weldpy.numpy.selection``) against NumPy's: boolean
masks of the leading axes and integer index arrays (NumPy, lazy, lists; negative indices;
any index shape), read and assigned (values broadcast and cast as NumPy's assignment does,
repeated indices: the last), on generated shapes (0 and 1 extents) and dtypes, on both
backends, zero fallbacks; NumPy's errors at the call; a mask's selection fused with what
reads it."""

import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import weldpy
import weldpy.numpy as wnp
from tests.numpy.checks import assert_like_numpy

DTYPES = [numpy.float64, numpy.float32, numpy.int64, numpy.int8, numpy.uint16, numpy.bool_]


def lazy_copy(a):
    return wnp.asarray(a).copy()


def values_of(data, shape, dtype):
    return data.draw(hnp.arrays(dtype, shape, elements=hnp.from_dtype(
        numpy.dtype(dtype), allow_nan=False, allow_infinity=False)))


@st.composite
def masked_cases(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5))
    k = draw(st.integers(1, len(shape)))
    mask = draw(hnp.arrays(numpy.bool_, shape[:k]))
    return shape, mask, draw(st.sampled_from(["numpy", "lazy", "list"]))


@st.composite
def index_cases(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
    index_shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=4))
    n = shape[0]
    index = draw(hnp.arrays(numpy.int64, index_shape, elements=st.integers(-n, n - 1)))
    return shape, index, draw(st.sampled_from(["numpy", "lazy", "list"]))


def as_key(index, how):
    if how == "lazy":
        return wnp.asarray(index).copy()
    return index.tolist() if how == "list" and index.ndim == 1 else index


@settings(max_examples=60, deadline=None)
@given(case=masked_cases(), dtype=st.sampled_from(DTYPES), data=st.data())
def test_reading_through_a_mask(case, dtype, data):
    shape, mask, how = case
    a = values_of(data, shape, dtype)
    got = lazy_copy(a)[as_key(mask, how)]
    want = a[mask]
    assert got.shape == want.shape
    with weldpy.config(backend=data.draw(st.sampled_from(["llvm", "interp"]))):
        assert_like_numpy(got.evaluate(), want)


@settings(max_examples=60, deadline=None)
@given(case=index_cases(), dtype=st.sampled_from(DTYPES), data=st.data())
def test_reading_at_integer_indices(case, dtype, data):
    shape, index, how = case
    a = values_of(data, shape, dtype)
    got = lazy_copy(a)[as_key(index, how)]
    want = a[index]
    assert got.shape == want.shape
    with weldpy.config(backend=data.draw(st.sampled_from(["llvm", "interp"]))):
        assert_like_numpy(got.evaluate(), want)


@settings(max_examples=60, deadline=None)
@given(case=masked_cases(), dtype=st.sampled_from(DTYPES), data=st.data())
def test_assigning_through_a_mask(case, dtype, data):
    shape, mask, how = case
    a = values_of(data, shape, dtype)
    chosen = a[mask].shape
    value = data.draw(st.sampled_from(["scalar", "all", "row"]))
    v = {"scalar": values_of(data, (), dtype)[()], "all": values_of(data, chosen, numpy.float64),
         "row": values_of(data, chosen[1:], numpy.int64)}[value]
    x = lazy_copy(a)
    before = x.copy()
    x[as_key(mask, how)] = v
    with numpy.errstate(all="ignore"):
        a_new = a.copy()
        a_new[mask] = v
    with weldpy.config(backend=data.draw(st.sampled_from(["llvm", "interp"]))):
        assert_like_numpy(x.evaluate(), a_new)
        assert_like_numpy(before.evaluate(), a)  # (a value built earlier keeps its version)


@settings(max_examples=60, deadline=None)
@given(case=index_cases(), data=st.data())
def test_assigning_at_integer_indices_the_last_repeat_wins(case, data):
    shape, index, how = case
    a = values_of(data, shape, numpy.float64)
    v = values_of(data, index.shape + shape[1:], numpy.float64)
    x = lazy_copy(a)
    x[as_key(index, how)] = v
    a[index] = v
    assert_like_numpy(x.evaluate(), a)


def test_assigning_through_a_view_writes_its_base():
    a = numpy.arange(12.0).reshape(3, 4)
    x = lazy_copy(a)
    row = x[1]
    row[row > 5] = -1.0
    a[1][a[1] > 5] = -1.0
    x[:, 2][[0, 2]] = 50.0
    a[:, 2][[0, 2]] = 50.0
    assert_like_numpy(x.evaluate(), a)


def test_a_mask_and_what_reads_it_are_one_loop():
    """(Under NumPy's default error state, the vectorised loop computes sqrt of the values
    the mask drops too, raising the CPU's invalid flag: the run is then repeated with the
    error checks, which find nothing to report. ``invalid="ignore"`` reads no flags.)"""
    x = numpy.linspace(-1.0, 1.0, 1001)
    a = wnp.asarray(x)
    with numpy.errstate(invalid="ignore"):
        total = (wnp.sqrt(a[a > 0]) * 2.0).sum()  # (counting the mask runs at the call)
    with weldpy.config(threads=1):
        weldpy.stats(reset=True)
        got = float(total)
        stats = weldpy.stats()
    assert stats["loops_executed"] == 1 and stats["bytes_allocated"] == 0
    assert got == pytest.approx((numpy.sqrt(x[x > 0]) * 2.0).sum(), rel=1e-12)


@pytest.mark.parametrize("key, kind, message", [
    (numpy.array([True, False]), IndexError,
     "boolean index did not match indexed array along axis 0; size of axis is 3 but size "
     "of corresponding boolean axis is 2"),
    (numpy.ones((3, 4, 1), dtype=bool), IndexError, "too many indices for array"),
    ([0, 3], IndexError, "index 3 is out of bounds for axis 0 with size 3"),
    (numpy.array([[-4]]), IndexError, "index -4 is out of bounds for axis 0 with size 3"),
])
def test_bad_index_arrays_raise_numpys_errors_at_the_call(key, kind, message):
    a = numpy.zeros((3, 4))
    with pytest.raises(kind) as numpys:
        a[key]
    assert message in str(numpys.value)
    with pytest.raises(kind, match=message.replace("(", r"\(")) as raised:
        lazy_copy(a)[key]
    assert isinstance(raised.value, weldpy.WeldError)
    with pytest.raises(kind, match=message.replace("(", r"\(")):
        lazy_copy(a)[key] = 1.0


def test_assigning_the_wrong_number_of_values_raises_numpys_errors():
    x = wnp.arange(5.0)
    with pytest.raises(ValueError, match="cannot assign 3 input values to the 2 output "
                                         "values where the mask is true"):
        x[x > 2] = numpy.array([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="could not broadcast"):
        x[[0, 1]] = numpy.ones(3)


def test_a_masked_sqrt_warns_as_numpy_does_not():
    """NumPy computes sqrt of the selected values only: no warning, whatever the vectorised
    loop computed for the others."""
    import warnings

    x = numpy.linspace(-1.0, 1.0, 11)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = float((wnp.sqrt(wnp.asarray(x)[x > 0])).sum())
    assert got == pytest.approx(numpy.sqrt(x[x > 0]).sum(), rel=1e-12)
