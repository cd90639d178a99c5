"""``dot``, ``matmul``/``@``, ``inner``, ``outer`` (``weldpy.numpy.products``) against
NumPy's: generated 1-D and 2-D shapes (0 and 1 extents) and dtypes (integers and booleans
exactly, as NumPy's products wrap and ``or``; floats within n * eps * sum(|products|)), zero
fallbacks; NumPy's shape errors at the call; more than 2 dimensions in NumPy, visibly; a
matrix-vector product fused with the math before it (no n x k intermediate)."""

import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import weldpy
import weldpy.numpy as wnp

DTYPES = [numpy.float64, numpy.float32, numpy.int64, numpy.int8, numpy.bool_]
FUNCTIONS = {"dot": (numpy.dot, wnp.dot), "matmul": (numpy.matmul, lambda a, b: a @ b),
             "inner": (numpy.inner, wnp.inner), "outer": (numpy.outer, wnp.outer)}


def operands(draw, name):
    n, k, m = (draw(st.integers(0, 4)) for _ in range(3))
    ndims = draw(st.sampled_from([(1, 1), (2, 1), (1, 2), (2, 2)]))
    if name == "inner":
        shapes = [(n, k)[2 - d:] for d in ndims]
    elif name == "outer":
        shapes = [(n, k)[:d] for d in ndims]
    else:
        shapes = [(n, k)[2 - ndims[0]:], (k, m)[:ndims[1]]]
    dtype = draw(st.sampled_from(DTYPES))
    elements = (st.integers(-3, 3) if numpy.dtype(dtype).kind in "iu" else
                st.booleans() if dtype is numpy.bool_ else
                st.floats(-4, 4, width=numpy.dtype(dtype).itemsize * 8))
    return [draw(hnp.arrays(dtype, s, elements=elements)) for s in shapes]


@pytest.mark.parametrize("name", FUNCTIONS)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_products_as_numpys(name, data):
    a, b = operands(data.draw, name)
    theirs, ours = FUNCTIONS[name]
    want = theirs(a, b)
    got = ours(wnp.asarray(a), b)
    assert got.shape == numpy.shape(want)
    value = numpy.asarray(got.evaluate() if hasattr(got, "evaluate") else got)
    assert value.dtype == numpy.asarray(want).dtype
    if value.dtype.kind == "f":
        scale = numpy.abs(theirs(numpy.abs(a).astype(value.dtype), numpy.abs(b))) + 1e-30
        depth = max(a.shape[-1:] + (1,))
        numpy.testing.assert_array_less(numpy.abs(value - want),
                                        depth * numpy.finfo(value.dtype).eps * scale * 4)
    else:
        numpy.testing.assert_array_equal(value, want)


def test_shape_errors_as_numpys():
    a, b = numpy.ones((2, 3)), numpy.ones((4, 2))
    for theirs, ours in ((numpy.dot, wnp.dot), (numpy.matmul, wnp.matmul),
                         (numpy.inner, wnp.inner)):
        with pytest.raises(ValueError) as numpys:
            theirs(a, b)
        with pytest.raises(ValueError) as raised:
            ours(wnp.asarray(a), b)
        assert isinstance(raised.value, weldpy.WeldError)
        assert str(raised.value).split(":")[-1][:20] in str(numpys.value) or \
            "not aligned" in str(raised.value) or "mismatch" in str(raised.value)
    with pytest.raises(ValueError, match="does not have enough dimensions"):
        wnp.matmul(wnp.asarray(a), 2.0)


def test_more_than_two_dimensions_run_in_numpy_visibly(fallbacks_allowed):
    a = numpy.arange(24.0).reshape(2, 3, 4)
    weldpy.stats(reset=True)
    numpy.testing.assert_array_equal(numpy.asarray(wnp.dot(wnp.asarray(a), numpy.ones(4))),
                                     numpy.dot(a, numpy.ones(4)))
    assert weldpy.stats()["fallbacks"] == {"numpy.dot": 1}


def test_a_matrix_vector_product_fuses_with_the_math_before_it():
    rng = numpy.random.default_rng(3)
    a, v = rng.random((80, 60)), rng.random(60)
    lazy = wnp.exp(wnp.asarray(a) * 0.5) @ v
    with weldpy.config(threads=1):
        weldpy.stats(reset=True)
        got = lazy.evaluate()
        stats = weldpy.stats()
    numpy.testing.assert_allclose(got, numpy.exp(a * 0.5) @ v, rtol=1e-12)
    assert stats["bytes_allocated"] < 8 * 80 * 60  # (no n x k intermediate)
