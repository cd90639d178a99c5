"""``np.roll`` of weldpy.numpy against NumPy's: any shape, shifts of any size and sign,
one axis, several, or the flattened array; on llvm and the interpreter; zero fallbacks."""

import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import weldpy
import weldpy.numpy as wnp
from tests.numpy.checks import assert_like_numpy, numpy_or_error


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_roll_as_numpys(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5))
    a = numpy.arange(int(numpy.prod(shape)), dtype=numpy.int32).reshape(shape)
    ndim = len(shape)
    axis = data.draw(st.none() | st.integers(-ndim, ndim - 1)
                     | st.lists(st.integers(0, ndim - 1), min_size=1, max_size=3).map(tuple))
    count = len(axis) if isinstance(axis, tuple) else 1
    shift = data.draw(st.integers(-12, 12) if count == 1 or data.draw(st.booleans())
                      else st.lists(st.integers(-12, 12), min_size=count, max_size=count)
                      .map(tuple))
    want = numpy_or_error(numpy.roll, a, shift, axis)
    if isinstance(want, Exception):
        with pytest.raises(type(want)):
            wnp.roll(wnp.asarray(a), shift, axis)
        return
    with weldpy.config(backend=data.draw(st.sampled_from(["llvm", "interp"]))):
        assert_like_numpy(numpy.roll(wnp.asarray(a) + 0, shift, axis).evaluate(), want)
