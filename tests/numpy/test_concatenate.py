"""``np.concatenate`` of lazy and concrete arrays against NumPy's: any axis (None too),
mixed dtypes (NumPy's result type and same_kind casting), empty parts, ``out=``, NumPy's
errors at the call; zero fallbacks."""

import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import weldpy
import weldpy.numpy as wnp
from tests.numpy.checks import assert_like_numpy, numpy_or_error


@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_concatenate_as_numpys(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1) | st.none())
    parts = []
    for _ in range(data.draw(st.integers(1, 4))):
        part = list(shape)
        if axis is not None:
            part[axis] = data.draw(st.integers(0, 3))
        dtype = data.draw(st.sampled_from(["int8", "int64", "float32", "float64", "bool"]))
        a = numpy.arange(int(numpy.prod(part))).reshape(part).astype(dtype)
        parts.append(wnp.asarray(a) + a.dtype.type(0) if data.draw(st.booleans()) else a)
    concrete = [numpy.asarray(p) for p in parts]
    want = numpy_or_error(numpy.concatenate, concrete, axis=axis)
    if isinstance(want, Exception):
        with pytest.raises(type(want)):
            wnp.concatenate(parts, axis=axis)
        return
    backend = data.draw(st.sampled_from(["llvm", "interp"]))
    with weldpy.config(backend=backend):
        assert_like_numpy(wnp.concatenate(parts, axis=axis).evaluate(), want)
        assert_like_numpy(numpy.concatenate([wnp.asarray(p) for p in parts], axis).evaluate(),
                          want)


def test_concatenate_errors_and_out():
    a, b = numpy.zeros((2, 3)), numpy.ones((2, 2))
    with pytest.raises(ValueError, match="must match exactly") as raised:
        wnp.concatenate([a, b])
    assert isinstance(raised.value, weldpy.WeldError)
    with pytest.raises(ValueError, match="zero-dimensional"):
        wnp.concatenate([wnp.asarray(numpy.float64(1.0)), wnp.asarray(numpy.float64(2.0))])
    with pytest.raises(TypeError, match="Cannot cast"):
        wnp.concatenate([a, a], dtype=numpy.int32)
    out = wnp.zeros((2, 5))
    assert numpy.concatenate([wnp.asarray(a), b], axis=1, out=out) is out
    assert_like_numpy(out.evaluate(), numpy.concatenate([a, b], axis=1))


@pytest.mark.parametrize("name", ["stack", "hstack", "vstack"])
@pytest.mark.parametrize("shapes", [[(3,), (3,)], [(2, 3), (2, 3), (2, 3)], [(), ()],
                                    [(0,), (0,)], [(2, 3), (3,)], [(2, 2), (2, 3)]])
def test_stack_hstack_vstack_as_numpys(name, shapes):
    parts = [numpy.arange(int(numpy.prod(s)), dtype=float).reshape(s) + k
             for k, s in enumerate(shapes)]
    want = numpy_or_error(getattr(numpy, name), parts)
    lazy = [wnp.asarray(p) + 0.0 for p in parts]
    if isinstance(want, Exception):
        with pytest.raises(type(want)):
            getattr(wnp, name)(lazy)
        return
    assert_like_numpy(getattr(wnp, name)(lazy).evaluate(), want)
    if name == "stack" and parts[0].ndim:
        assert_like_numpy(numpy.stack(lazy, axis=-1).evaluate(), numpy.stack(parts, axis=-1))
