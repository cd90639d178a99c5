"""Basic indexing of weldpy.numpy arrays against NumPy's: views (integers, slices with any
step, np.newaxis, ...) read their base's current version; item assignment, in-place
operators and out= through a view write into a new version of the base; values computed
earlier keep theirs (API.md's versioning rule). Generated shapes and keys, zero fallbacks."""

import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import weldpy
import weldpy.numpy as wnp
from tests.numpy.checks import assert_like_numpy


@st.composite
def keys(draw, shape):
    """A basic index for ``shape``: integers in range, slices (any step), new axes, ..."""
    items, axis = [], 0
    while axis < len(shape) and draw(st.booleans()):
        kind = draw(st.sampled_from(["int", "slice", "slice", "new", "ellipsis"]))
        if kind == "int" and shape[axis] > 0:
            items.append(draw(st.integers(-shape[axis], shape[axis] - 1)))
            axis += 1
        elif kind == "new":
            items.append(None)
        elif kind == "ellipsis" and Ellipsis not in items:
            items.append(Ellipsis)
            axis = len(shape)
        else:
            bound = st.none() | st.integers(-shape[axis] - 2, shape[axis] + 2)
            step = draw(st.none() | st.integers(-3, 3).filter(lambda s: s != 0))
            items.append(slice(draw(bound), draw(bound), step))
            axis += 1
    return tuple(items) if len(items) != 1 or draw(st.booleans()) else items[0]


def lazy_copy(a):
    return wnp.asarray(a) + a.dtype.type(0)  # (a lazy array owning its elements)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_reading_views(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5))
    a = numpy.arange(int(numpy.prod(shape)), dtype=numpy.float64).reshape(shape)
    key = data.draw(keys(shape))
    got = lazy_copy(a)[key]
    want = a[key]
    assert got.shape == numpy.shape(want)
    with weldpy.config(backend=data.draw(st.sampled_from(["llvm", "interp"]))):
        assert_like_numpy(got.evaluate(), want)
    inner = data.draw(keys(numpy.shape(want))) if numpy.ndim(want) else ()
    if numpy.ndim(want):
        assert_like_numpy(got[inner].evaluate(), want[inner])


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_writing_through_views_makes_new_versions(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
    dtype = data.draw(st.sampled_from(["int16", "float32", "float64"]))
    a = numpy.arange(int(numpy.prod(shape))).reshape(shape).astype(dtype)
    x, b = lazy_copy(a), a.copy()
    key = data.draw(keys(shape))
    before = x * 1
    view, bview = x[key], b[key]
    how = data.draw(st.sampled_from(["set scalar", "set row", "iadd", "out"]))
    if numpy.ndim(bview) == 0:
        how = "set scalar"
    if how == "set scalar":
        x[key] = 7.5
        b[key] = 7.5
    elif how == "set row":
        row = numpy.arange(bview.shape[-1]) * 3
        x[key] = row
        b[key] = row
    elif how == "iadd":
        view += 2
        bview += 2
    else:
        numpy.multiply(view, 3, out=view)
        numpy.multiply(bview, 3, out=bview)
    with weldpy.config(backend=data.draw(st.sampled_from(["llvm", "interp"]))):
        assert_like_numpy(x.evaluate(), b)
    assert_like_numpy(before.evaluate(), a)  # (computed earlier: its own version)
    if numpy.ndim(bview):
        assert_like_numpy(view.evaluate(), bview)


def test_views_see_writes_to_their_base_and_to_each_other():
    a = numpy.arange(10.0)
    x, b = lazy_copy(a), a.copy()
    left, right = x[:6], x[4:]
    bleft, bright = b[:6], b[4:]
    copied, bcopied = x.copy(), b.copy()
    left[4:] = -1.0
    bleft[4:] = -1.0
    x[9] = 100.0
    b[9] = 100.0
    assert_like_numpy(right.evaluate(), bright)
    assert_like_numpy(left.evaluate(), bleft)
    assert_like_numpy(copied.evaluate(), bcopied)
    assert_like_numpy(wnp.array(x).evaluate(), b)


def test_bad_indices_raise_numpys_errors_at_the_call():
    x = lazy_copy(numpy.zeros((2, 3)))
    for key, kind in (((0, 3), IndexError), ((0, 0, 0), IndexError), (5, IndexError)):
        with pytest.raises(kind) as raised:
            x[key]
        assert isinstance(raised.value, weldpy.WeldError)
    with pytest.raises(ValueError, match="could not broadcast"):
        x[0] = numpy.ones(4)


def test_advanced_indexing_by_several_arrays_runs_in_numpy_visibly(fallbacks_allowed):
    """(One index array is compiled: tests/numpy/test_selection.py.)"""
    a = numpy.arange(6.0).reshape(2, 3)
    x = lazy_copy(a)
    weldpy.stats(reset=True)
    assert_like_numpy(numpy.asarray(x[[0, 1], [1, 2]]), a[[0, 1], [1, 2]])
    x[[0, 1], [2, 0]] = 9.0
    a[[0, 1], [2, 0]] = 9.0
    assert_like_numpy(x.evaluate(), a)
    assert weldpy.stats()["fallbacks"] == {"numpy.ndarray.__getitem__": 1,
                                           "numpy.ndarray.__setitem__": 1}


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_transposes_and_reshapes_are_views_as_numpys(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    a = numpy.arange(int(numpy.prod(shape)), dtype=numpy.float64).reshape(shape)
    x, b = lazy_copy(a), a.copy()
    order = data.draw(st.permutations(range(len(shape))))
    transposed, btransposed = x.transpose(order), b.transpose(order)
    assert_like_numpy(transposed.evaluate(), btransposed)
    assert_like_numpy(x.T.evaluate(), b.T)
    sizes = [d for d in range(1, a.size + 1) if a.size % d == 0]
    rows = data.draw(st.sampled_from(sizes))
    reshaped, breshaped = x.reshape(rows, -1), b.reshape(rows, -1)
    assert_like_numpy(numpy.reshape(x, (rows, -1)).evaluate(), breshaped)
    assert_like_numpy(x.ravel().evaluate(), b.ravel())
    transposed[(0,) * len(shape)] = -5.0  # (writes through both kinds of view)
    btransposed[(0,) * len(shape)] = -5.0
    reshaped[-1] += 10.0
    breshaped[-1] += 10.0
    assert_like_numpy(x.evaluate(), b)
    assert_like_numpy(reshaped.evaluate(), breshaped)
    assert_like_numpy(transposed.evaluate(), btransposed)


def test_bad_reshapes_and_transposes_raise_numpys_errors():
    x = lazy_copy(numpy.zeros((2, 3)))
    for shape in ((4,), (-1, -1), (5, -1)):
        with pytest.raises(ValueError) as raised:
            x.reshape(shape)
        assert isinstance(raised.value, weldpy.WeldError)
    with pytest.raises(ValueError):
        x.transpose(0, 0)
    with pytest.raises(IndexError):
        x.transpose(0, 2)


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_masked_assignment_of_a_scalar(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=5))
    dtype = data.draw(st.sampled_from(["int32", "float64", "uint8"]))
    a = (numpy.arange(int(numpy.prod(shape))) % 7).reshape(shape).astype(dtype)
    x, b = lazy_copy(a), a.copy()
    before = x + 0
    threshold = data.draw(st.integers(0, 7))
    value = data.draw(st.sampled_from([0, 3, 2.5]))
    x[x > threshold] = value  # (a lazy mask)
    b[b > threshold] = value
    x[numpy.asarray(b) == 0] = 1  # (a NumPy mask)
    b[b == 0] = 1
    assert_like_numpy(x.evaluate(), b)
    assert_like_numpy(before.evaluate(), a)


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4), (3, 3, 3), (1, 1), (0, 0)])
@pytest.mark.parametrize("val", [7, 2.5, [1, 2], numpy.arange(3)])
@pytest.mark.parametrize("wrap", [False, True])
def test_fill_diagonal_as_numpys(shape, val, wrap):
    a = numpy.zeros(shape, dtype=numpy.int32)
    x, b = lazy_copy(a), a.copy()
    before = x + 0
    numpy.fill_diagonal(x, val, wrap)
    numpy.fill_diagonal(b, val, wrap)
    assert_like_numpy(x.evaluate(), b)
    assert_like_numpy(before.evaluate(), a)
    if len(shape) == 2 and min(shape) > 1:  # (through a view: into its base)
        y, c = lazy_copy(a), a.copy()
        wnp.fill_diagonal(y[1:, 1:], val)
        numpy.fill_diagonal(c[1:, 1:], val)
        assert_like_numpy(y.evaluate(), c)
