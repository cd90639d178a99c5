"""``import weldpy.numpy as np``: a lazy drop-in for NumPy (API.md).

Calls record IR in the lazy graph (``weldpy.lazy``) and return lazy ``ndarray``s; the
pipeline is compiled and run as one fused program when a value is needed. What weldpy does
not compile is NumPy's: other attributes are NumPy's own (``np.float64``, ``np.pi``,
``np.random``, whose functions return concrete arrays that weldpy functions accept), and a
NumPy function called with lazy arguments evaluates them and runs in NumPy, visibly
(``weldpy.fallback``).
"""

from __future__ import annotations

import functools

import numpy as _np

from weldpy import fallback as _fallback
from weldpy.numpy import elementwise as _elementwise
from weldpy.numpy import outputs as _outputs
from weldpy.numpy.array import concrete as _concrete
from weldpy.numpy.array import ndarray
from weldpy.numpy.creation import (
    arange,
    array,
    asarray,
    empty,
    empty_like,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    zeros,
    zeros_like,
)


def _ufunc(ufunc: _np.ufunc):
    """The lazy form of ``ufunc``: compiled for the keywords weldpy supports, else NumPy's."""
    @functools.wraps(ufunc)
    def call(*args, **kwargs):
        if set(kwargs) <= {"dtype", "out", "where"}:
            try:
                return _outputs.call(ufunc, args, **kwargs)
            except _elementwise.NotCompiled:
                pass
        return _fallback.call(f"numpy.{ufunc.__name__}", ufunc, args, kwargs, _concrete)
    return call


for _u in _elementwise.OPERATIONS:
    if isinstance(_u, _np.ufunc) and getattr(_np, _u.__name__, None) is _u:
        globals()[_u.__name__] = _ufunc(_u)
del _u
true_divide = divide  # noqa: F821 (made by the loop above: NumPy names it "divide")
abs = absolute  # noqa: A001, F821
radians, degrees = deg2rad, rad2deg  # noqa: F821
mod = remainder  # noqa: F821
erf = _elementwise.erf


def clip(a, *args, **kwargs):
    if not isinstance(a, ndarray):
        a = asarray(a)
    return a.__array_function__(_np.clip, (), (a, *args), kwargs)


def _numpys(name):
    """NumPy's ``name`` on ``a`` through the lazy array's ``__array_function__`` (lazy where
    weldpy compiles the call, NumPy's visibly otherwise)."""
    def run(a, *args, **kwargs):
        if not isinstance(a, ndarray):
            a = asarray(a)
        return a.__array_function__(getattr(_np, name), (), (a, *args), kwargs)
    run.__name__ = name
    return run


sum, prod = _numpys("sum"), _numpys("prod")  # noqa: A001 (NumPy's names)
min, max = _numpys("min"), _numpys("max")  # noqa: A001
mean = _numpys("mean")
amin, amax = min, max
var, std = _numpys("var"), _numpys("std")
any, all = _numpys("any"), _numpys("all")  # noqa: A001
count_nonzero = _numpys("count_nonzero")
dot, inner, outer = _numpys("dot"), _numpys("inner"), _numpys("outer")


def matmul(a, b, **kwargs):
    if kwargs:
        return _fallback.call("numpy.matmul", _np.matmul, (a, b), kwargs, _concrete)
    from weldpy.numpy import products

    return products.matmul(a, b)
argmin, argmax = _numpys("argmin"), _numpys("argmax")
nansum, nanmean = _numpys("nansum"), _numpys("nanmean")
nanmin, nanmax = _numpys("nanmin"), _numpys("nanmax")
cumsum, cumprod = _numpys("cumsum"), _numpys("cumprod")
transpose, reshape, ravel = _numpys("transpose"), _numpys("reshape"), _numpys("ravel")
roll, fill_diagonal = _numpys("roll"), _numpys("fill_diagonal")


def _joining(name):
    """NumPy's ``name`` of a sequence of arrays, lazy (``weldpy.numpy.functions``)."""
    function = getattr(_np, name)

    def run(arrays, *args, **kwargs):
        from weldpy.numpy import functions

        return functions.call(function, (arrays, *args), kwargs)
    run.__name__ = name
    return run


concatenate, stack = _joining("concatenate"), _joining("stack")
hstack, vstack = _joining("hstack"), _joining("vstack")


# NumPy's functions that take no arrays, weldpy's too (the error state applies to lazy
# operations at their call: ``weldpy.numpy.fp_errors``)
_NUMPY_AS_IS = frozenset({"seterr", "geterr", "seterrcall", "geterrcall", "errstate"})


def __getattr__(name: str):
    """NumPy's own attribute; a NumPy function, wrapped to run visibly as a fallback."""
    value = getattr(_np, name)
    if callable(value) and not isinstance(value, type) and not hasattr(value, "__path__") \
            and name not in _NUMPY_AS_IS:
        @functools.wraps(value)
        def call(*args, **kwargs):
            return _fallback.call(f"numpy.{name}", value, args, kwargs, _concrete)
        return call
    return value
