"""``out=``, ``where=`` and in-place operators of weldpy.numpy: NumPy's results and errors,
lazy outputs as new versions (values built earlier keep theirs), and the
preallocate-and-``out=`` style fusing as well as the expression style."""

import operator

import numpy
import pytest

import weldpy
import weldpy.numpy as wnp
from tests.numpy.checks import assert_like_numpy

IN_PLACE = [operator.iadd, operator.isub, operator.imul, operator.itruediv,
            operator.ifloordiv, operator.imod, operator.iand, operator.ior, operator.ixor]


@pytest.mark.parametrize("op", IN_PLACE, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", ["int8", "uint16", "int64", "float32", "float64", "bool"])
@pytest.mark.parametrize("other", [3, 2.5, numpy.arange(1, 6)], ids=["int", "float", "array"])
def test_in_place_operators_as_numpy(op, dtype, other):
    x = numpy.arange(1, 6).astype(dtype)
    with numpy.errstate(all="ignore"):
        try:
            want = op(x.copy(), other)
        except TypeError as exc:
            want = exc
    lazy = wnp.asarray(x)
    if isinstance(want, Exception):
        with pytest.raises(TypeError):
            op(lazy, other)
        return
    got = op(lazy, other)
    assert got is lazy
    assert_like_numpy(got.evaluate(), want)


def test_earlier_values_keep_their_version():
    a = wnp.asarray(numpy.arange(4.0))
    doubled, alias = a * 2, a
    a += 10
    numpy.testing.assert_array_equal(doubled.evaluate(), numpy.arange(4.0) * 2)
    numpy.testing.assert_array_equal(alias.evaluate(), numpy.arange(4.0) + 10)
    out = wnp.zeros(4)
    before = out + 1
    wnp.add(a, 1, out=out)
    numpy.testing.assert_array_equal(before.evaluate(), numpy.ones(4))
    numpy.testing.assert_array_equal(out.evaluate(), numpy.arange(4.0) + 11)


def test_out_lazy_concrete_and_tuple():
    x = numpy.linspace(-1.0, 1.0, 6)
    lazy_out = wnp.empty(6)
    assert wnp.exp(x, out=lazy_out) is lazy_out
    assert_like_numpy(lazy_out.evaluate(), numpy.exp(x), ulps=8)
    concrete = numpy.zeros(6, numpy.float32)
    assert wnp.multiply(wnp.asarray(x), 2, out=(concrete,)) is concrete  # filled now
    assert_like_numpy(concrete, (x * 2).astype(numpy.float32))
    assert numpy.add(wnp.asarray(x), 1, out=lazy_out) is lazy_out  # (NumPy's own ufunc)
    assert_like_numpy(lazy_out.evaluate(), x + 1)


def test_out_errors_at_the_call():
    a = wnp.asarray(numpy.arange(5.0))
    with pytest.raises(ValueError, match="non-broadcastable output"):
        wnp.add(a, 1, out=wnp.zeros(4))
    with pytest.raises(TypeError, match="same_kind"):
        wnp.add(a, 1, out=wnp.zeros(5, dtype=numpy.int64))


def test_where_with_and_without_out():
    x = numpy.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    out = numpy.full(5, 7.0)
    want = numpy.sqrt(x, out=out.copy(), where=x >= 0)
    lazy_out = wnp.full(5, 7.0)
    with numpy.errstate(all="ignore"):
        got = wnp.sqrt(wnp.asarray(x), out=lazy_out, where=x >= 0)
    assert_like_numpy(got.evaluate(), want)
    masked = wnp.sqrt(wnp.asarray(x), where=x >= 0).evaluate()  # (the rest undefined: 0)
    assert_like_numpy(masked[x >= 0], numpy.sqrt(x[x >= 0]))


def test_the_preallocate_and_out_style_fuses_as_the_expression_style():
    x = numpy.linspace(-1.0, 1.0, 10_001)
    a = wnp.asarray(x)
    out = wnp.empty_like(a)
    wnp.multiply(a, 1.5, out=out)
    for k in range(9):
        (wnp.add if k % 2 else wnp.multiply)(out, 0.5 + k, out=out)
    total = wnp.sum(out)
    want = x * 1.5
    for k in range(9):
        want = want + (0.5 + k) if k % 2 else want * (0.5 + k)
    with weldpy.config(backend="llvm", threads=1):
        weldpy.stats(reset=True)
        got = float(total)
        stats = weldpy.stats()
    assert abs(got - want.sum()) <= 1e-12 * numpy.abs(want).sum()
    assert stats["loops_executed"] == 1 and stats["bytes_allocated"] == 0
