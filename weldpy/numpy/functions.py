"""NumPy's functions that stay lazy on weldpy arrays: the reductions and statistics, the
ufunc methods ``reduce``/``accumulate``/``outer``, ``clip``, ``cumsum``/``cumprod``,
``transpose``/``reshape``/``ravel``, ``concatenate``/``stack``/``hstack``/``vstack``,
``roll``, ``fill_diagonal``, ``shape``/``ndim``/``size``. Reached through
``ndarray.__array_function__``, the array's methods and weldpy.numpy's own names.

Arguments are bound by NumPy's own signature of each function (positionally or by keyword,
as NumPy takes them). A call with an argument weldpy does not compile (``where=``,
``initial=``, ...) runs in NumPy, visibly (``weldpy.fallback``). ``out=`` is NumPy's: a lazy
``out`` becomes the new value, a NumPy one is filled at the call.
"""

from __future__ import annotations

import functools
import inspect

import numpy as np

from weldpy import fallback
from weldpy.errors import WeldTypeError
from weldpy.numpy import (
    concatenation,
    elementwise,
    outputs,
    products,
    reductions,
    rolling,
    scans,
    statistics,
)
from weldpy.numpy.array import concrete, ndarray

_NO_VALUE = np._NoValue  # (NumPy's "not given" default)


def call(func, args: tuple, kwargs: dict):
    """``func(*args, **kwargs)`` lazy where weldpy compiles it, else NumPy's, visibly."""
    entry = _LAZY.get(func)
    if entry is not None:
        implementation, taken = entry
        arguments = _bind(func.__name__, func, args, kwargs)
        if arguments.keys() <= taken:
            out = arguments.pop("out", None)
            value = implementation(**arguments)
            if out is None:
                return value
            return outputs.deliver(func.__name__, value, out,
                                   "same_kind" if func in _UFUNC_LIKE_OUT else "unsafe")
    return fallback.call(f"numpy.{func.__name__}", func, args, kwargs, concrete)


def ufunc_method(ufunc: np.ufunc, method: str, args: tuple, kwargs: dict):
    """``ufunc.reduce(a, axis=0, dtype=None, out=None, keepdims=False)`` lazy for
    add/multiply/minimum/maximum, ``ufunc.accumulate(a, axis=0, dtype=None, out=None)`` and
    ``ufunc.outer(a, b, dtype=None, out=None)`` for the binary ufuncs weldpy compiles;
    NumPy's, visibly, otherwise."""
    name = f"{ufunc.__name__}.{method}"
    signature = _UFUNC_METHODS.get(method)
    if signature is not None and (method != "reduce" or ufunc in _UFUNC_REDUCTIONS):
        arguments = _bind(name, signature, args, kwargs)
        if arguments.keys() <= set(_parameters(signature)[0]):
            out = arguments.pop("out", None)
            if isinstance(out, tuple) and len(out) == 1:
                (out,) = out
            try:
                value = _UFUNC_METHOD_RUNS[method](ufunc, **arguments)
            except elementwise.NotCompiled:
                value = None
            if value is not None:
                return value if out is None else outputs.deliver(
                    name, value, out, "same_kind" if method == "outer" else "unsafe")
    return fallback.call(f"numpy.{name}", getattr(ufunc, method), args, kwargs, concrete)


def _reduce(ufunc, a, axis=0, dtype=None, keepdims=False):
    how = _UFUNC_REDUCTIONS[ufunc]
    return reductions.reduce(how, a, axis, None if how in ("min", "max") else dtype,
                             keepdims)


def _accumulate(ufunc, array, axis=0, dtype=None):
    return scans.accumulate(ufunc, array, axis, dtype)


def _outer(ufunc, a, b, dtype=None):
    """``ufunc(a[..., None, ...], b)``: every pair, by broadcasting ``a`` over ``b``'s axes."""
    from weldpy.numpy.creation import asarray

    if ufunc.nin != 2:
        raise elementwise.NotCompiled(ufunc.__name__)
    a, b = asarray(a), asarray(b)
    if a.ndim:
        a = a[(Ellipsis,) + (None,) * b.ndim]
    return elementwise.apply(ufunc, a, b, dtype=dtype)


# NumPy's signatures of the ufunc methods (``initial`` and ``where`` left out: with them a
# call runs in NumPy)
_UFUNC_METHODS = {"reduce": lambda a, axis=0, dtype=None, out=None, keepdims=False: None,
                  "accumulate": lambda array, axis=0, dtype=None, out=None: None,
                  "outer": lambda a, b, dtype=None, out=None: None}
_UFUNC_METHOD_RUNS = {"reduce": _reduce, "accumulate": _accumulate, "outer": _outer}


def _bind(name: str, func, args: tuple, kwargs: dict) -> dict:
    """The arguments given, by parameter name (those left at NumPy's defaults left out), as
    ``inspect.Signature.bind`` would bind them (its errors too), but at a tenth of its
    cost: reductions are called once per pipeline run."""
    positional, keyword, required, open_ended = _parameters(func)
    if len(args) > len(positional):
        raise WeldTypeError(f"numpy.{name}: takes {len(positional)} positional arguments "
                            f"but {len(args)} were given")
    bound = dict(zip(positional, args, strict=False))  # (fewer arguments than parameters)
    for k, v in kwargs.items():
        if k in bound:
            raise WeldTypeError(f"numpy.{name}: got multiple values for argument {k!r}")
        if k not in keyword and not open_ended:
            raise WeldTypeError(f"numpy.{name}: got an unexpected keyword argument {k!r}")
        bound[k] = v
    for k in required:
        if k not in bound:
            raise WeldTypeError(f"numpy.{name}: missing a required argument: {k!r}")
    return {k: v for k, v in bound.items()
            if v is not _NO_VALUE and not (k == "where" and v is True)}


@functools.cache
def _parameters(func) -> tuple[tuple[str, ...], frozenset[str], tuple[str, ...], bool]:
    """``func``'s parameters: the positional ones in order, those that may be given by
    keyword, the required ones, and whether it takes any other keyword."""
    kinds = inspect.Parameter
    parameters = list(inspect.signature(func).parameters.values())
    positional = tuple(p.name for p in parameters
                       if p.kind in (kinds.POSITIONAL_ONLY, kinds.POSITIONAL_OR_KEYWORD))
    keyword = frozenset(p.name for p in parameters
                        if p.kind in (kinds.POSITIONAL_OR_KEYWORD, kinds.KEYWORD_ONLY))
    required = tuple(p.name for p in parameters if p.default is p.empty
                     and p.kind not in (kinds.VAR_POSITIONAL, kinds.VAR_KEYWORD))
    open_ended = any(p.kind is kinds.VAR_KEYWORD for p in parameters)
    return positional, keyword, required, open_ended


def _clip(a, a_min=_NO_VALUE, a_max=_NO_VALUE):
    """NumPy's ``clip``: on integers, a Python integer bound beyond the dtype's range is no
    bound (NEP 50: no value-based promotion); one bound is ``minimum``/``maximum``."""
    if a_min is _NO_VALUE and a_max is _NO_VALUE:
        raise WeldTypeError("numpy.clip: One of max or min must be given")
    low = None if a_min is _NO_VALUE else a_min
    high = None if a_max is _NO_VALUE else a_max
    dtype = a.dtype if isinstance(a, ndarray) else np.asarray(a).dtype
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        if type(low) is int and low <= info.min:
            low = None
        if type(high) is int and high >= info.max:
            high = None
    if low is None and high is None:
        from weldpy.numpy.creation import asarray

        return asarray(a)
    if low is None:
        return elementwise.apply(np.minimum, a, high)
    if high is None:
        return elementwise.apply(np.maximum, a, low)
    return elementwise.apply(np._core.umath.clip, a, low, high)


def _fill_diagonal(a, val, wrap: bool = False) -> None:
    from weldpy.numpy import views

    if not isinstance(a, ndarray):  # (a NumPy array is filled in place, as NumPy does)
        np.fill_diagonal(a, concrete(val), wrap)
        return
    views.fill_diagonal(a, val, wrap)


def _lazy(a) -> ndarray:
    from weldpy.numpy.creation import asarray

    return asarray(a)


def _reduction(how: str):
    def run(a, axis=None, dtype=None, keepdims=False):
        return reductions.reduce(how, a, axis, dtype, keepdims)
    return run


def _statistic(name: str):
    function = getattr(statistics, name)

    def run(a, correction=None, **arguments):
        if correction is not None:  # (NumPy's other name of ddof)
            arguments["ddof"] = correction
        return function(a, **arguments)
    return run


_UFUNC_LIKE_OUT = (np.clip, np.concatenate, np.stack)  # (their out= casts by same_kind)
_UFUNC_REDUCTIONS = {np.add: "sum", np.multiply: "prod", np.minimum: "min",
                     np.maximum: "max"}
_REDUCING = {"a", "axis", "out", "keepdims"}
# NumPy function -> (its lazy form, the parameters that form takes)
_LAZY: dict = {
    np.sum: (_reduction("sum"), _REDUCING | {"dtype"}),
    np.prod: (_reduction("prod"), _REDUCING | {"dtype"}),
    np.mean: (_reduction("mean"), _REDUCING | {"dtype"}),
    np.min: (_reduction("min"), _REDUCING), np.max: (_reduction("max"), _REDUCING),
    np.amin: (_reduction("min"), _REDUCING), np.amax: (_reduction("max"), _REDUCING),
    np.var: (_statistic("var"), _REDUCING | {"dtype", "ddof", "correction"}),
    np.std: (_statistic("std"), _REDUCING | {"dtype", "ddof", "correction"}),
    np.clip: (_clip, {"a", "a_min", "a_max", "out"}),
    np.shape: (lambda a: a.shape, {"a"}), np.ndim: (lambda a: a.ndim, {"a"}),
    np.transpose: (lambda a, axes=None: _lazy(a).transpose(axes), {"a", "axes"}),
    np.reshape: (lambda a, shape: _lazy(a).reshape(shape), {"a", "shape"}),
    np.ravel: (lambda a: _lazy(a).ravel(), {"a"}),
    np.concatenate: (concatenation.concatenate,
                     {"arrays", "axis", "out", "dtype", "casting"}),
    np.roll: (rolling.roll, {"a", "shift", "axis"}),
    np.fill_diagonal: (_fill_diagonal, {"a", "val", "wrap"}),
    np.stack: (concatenation.stack, {"arrays", "axis", "out", "dtype", "casting"}),
    np.hstack: (concatenation.hstack, {"tup", "dtype", "casting"}),
    np.vstack: (concatenation.vstack, {"tup", "dtype", "casting"}),
    np.size: (lambda a, axis=None: a.size if axis is None else a.shape[axis], {"a", "axis"}),
}
for _name in ("any", "all", "argmin", "argmax", "nanmin", "nanmax"):
    _LAZY[getattr(np, _name)] = (_statistic(_name), _REDUCING)
for _name in ("nansum", "nanmean"):
    _LAZY[getattr(np, _name)] = (_statistic(_name), _REDUCING | {"dtype"})
for _name, _ufunc in (("cumsum", np.add), ("cumprod", np.multiply)):
    _LAZY[getattr(np, _name)] = (functools.partial(scans.cumulative, _ufunc),
                                 {"a", "axis", "dtype", "out"})
_LAZY[np.count_nonzero] = (_statistic("count_nonzero"), {"a", "axis", "keepdims"})
_LAZY[np.dot] = (products.dot, {"a", "b", "out"})
_LAZY[np.inner] = (products.inner, {"a", "b"})
_LAZY[np.outer] = (products.outer, {"a", "b", "out"})
