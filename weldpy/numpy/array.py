"""The lazy ``ndarray`` of weldpy.numpy: a node of the lazy graph (its elements in C order,
or a scalar for a 0-d value), a shape and a NumPy dtype.

It evaluates where API.md says (``numpy.asarray(x)``, ``repr``, ``float``/``int``/``bool``,
iteration, ``.tolist()``, ``.evaluate()``); operators and NumPy's own functions reach
``__array_ufunc__`` / ``__array_function__`` and stay lazy where weldpy compiles them, else
run in NumPy through ``weldpy.fallback``, visibly.
"""

from __future__ import annotations

import numpy as np

from weldpy import fallback
from weldpy.errors import WeldShapeError
from weldpy.lazy import Lazy, evaluate
from weldpy.numpy import elementwise, reductions
from weldpy.numpy.dtypes import FLOAT16


class ndarray:  # noqa: N801 (NumPy's name)
    """A lazy array (see the module docstring)."""

    __array_priority__ = 100  # (NumPy defers operators with concrete arrays to us)

    def __init__(self, node: Lazy, shape: tuple[int, ...], dtype: np.dtype,
                 scalar: bool = True):
        """``scalar``: a 0-d value evaluates to a NumPy scalar (as NumPy's reductions and
        ufuncs give), else to a 0-d array (as ``np.zeros(())``)."""
        self.node, self.shape, self.dtype = node, tuple(shape), np.dtype(dtype)
        self.scalar = scalar

    # --- what it is -----------------------------------------------------------------------
    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    # --- evaluation -----------------------------------------------------------------------
    def evaluate(self):
        """The concrete value: a ``numpy.ndarray``, or a NumPy scalar for a 0-d value."""
        (value,) = evaluate([self.node])
        return self._finish(value)

    def __weld_lazy__(self):
        """(node, finish) for ``weldpy.evaluate`` / ``weldpy.explain`` (``weldpy.lazy``)."""
        return self.node, self._finish

    def _finish(self, value):
        out = to_numpy(value, self.shape, self.dtype)
        return out if self.shape or self.scalar else np.asarray(out)

    def __array__(self, dtype=None, copy=None):
        value = np.asarray(self.evaluate())
        return value if dtype is None else value.astype(dtype)

    def __repr__(self) -> str:
        return repr(self.evaluate())

    def __str__(self) -> str:
        return str(self.evaluate())

    def __float__(self) -> float:
        return float(self.evaluate())

    def __int__(self) -> int:
        return int(self.evaluate())

    def __bool__(self) -> bool:
        return bool(self.evaluate())

    def __iter__(self):
        return iter(np.asarray(self.evaluate()))

    def tolist(self):
        return np.asarray(self.evaluate()).tolist()

    # --- NumPy's protocols ----------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "__call__" and set(kwargs) <= {"dtype", "out", "where"}:
            from weldpy.numpy import outputs

            try:
                return outputs.call(ufunc, inputs, **kwargs)
            except elementwise.NotCompiled:
                pass
        if method == "reduce" and ufunc in _UFUNC_REDUCTIONS and len(inputs) == 1 \
                and set(kwargs) <= {"axis", "dtype", "out", "keepdims"}:
            reduced = _ufunc_reduce(ufunc, inputs[0], **kwargs)
            if reduced is not None:
                return reduced
        name = f"numpy.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
        return fallback.call(name, getattr(ufunc, method), inputs, kwargs, concrete)

    def __array_function__(self, func, types, args, kwargs):
        implemented = _FUNCTIONS.get(func)
        if implemented is not None:
            return implemented(*args, **kwargs)
        return fallback.call(f"numpy.{func.__name__}", func, args, kwargs, concrete)

    def astype(self, dtype, copy=True):
        """This array cast to ``dtype`` (NumPy's casts; float to int of NaN or out of range
        as NumPy gives on x86-64)."""
        if np.dtype(dtype) == self.dtype and not copy:
            return self
        return elementwise.astype(self, dtype)

    def copy(self):
        return self  # (lazy values are never written in place: a copy is the same value)

    # --- reductions -----------------------------------------------------------------------
    def sum(self, axis=None, dtype=None, out=None, keepdims=False):
        return _FUNCTIONS[np.sum](self, axis, dtype, out, keepdims)

    def prod(self, axis=None, dtype=None, out=None, keepdims=False):
        return _FUNCTIONS[np.prod](self, axis, dtype, out, keepdims)

    def min(self, axis=None, out=None, keepdims=False):
        return _FUNCTIONS[np.min](self, axis, None, out, keepdims)

    def max(self, axis=None, out=None, keepdims=False):
        return _FUNCTIONS[np.max](self, axis, None, out, keepdims)

    def mean(self, axis=None, dtype=None, out=None, keepdims=False):
        return _FUNCTIONS[np.mean](self, axis, dtype, out, keepdims)

    def var(self, ddof=0, dtype=None):
        from weldpy.numpy import statistics

        return statistics.var(self, ddof, dtype)

    def std(self, ddof=0, dtype=None):
        from weldpy.numpy import statistics

        return statistics.std(self, ddof, dtype)

    def any(self):
        from weldpy.numpy import statistics

        return statistics.any(self)

    def all(self):
        from weldpy.numpy import statistics

        return statistics.all(self)

    def argmin(self):
        from weldpy.numpy import statistics

        return statistics.argmin(self)

    def argmax(self):
        from weldpy.numpy import statistics

        return statistics.argmax(self)

    # --- operators (made below from ``_OPERATORS``) -----------------------------------------
    def __abs__(self):
        return _ufunc(np.absolute, self)

    def __neg__(self):
        return _ufunc(np.negative, self)

    def __invert__(self):
        return _ufunc(np.invert, self)

    def __pos__(self):
        return self

    __hash__ = None  # (mutable container semantics, as NumPy's arrays)


def _ufunc(ufunc: np.ufunc, *args):
    """``ufunc(*args)``, compiled where weldpy compiles it, else NumPy's, visibly."""
    try:
        return elementwise.apply(ufunc, *args)
    except elementwise.NotCompiled:
        return fallback.call(f"numpy.{ufunc.__name__}", ufunc, args, {}, concrete)


# operator name -> its ufunc; each binary one has its reflected and in-place forms (the
# in-place one makes a new version of the array: values built from it earlier keep theirs)
_OPERATORS = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "truediv": np.divide,
              "floordiv": np.floor_divide, "mod": np.remainder, "pow": np.power,
              "and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor}
_COMPARISONS = {"lt": np.less, "le": np.less_equal, "gt": np.greater,
                "ge": np.greater_equal, "eq": np.equal, "ne": np.not_equal}


def _operators(ufunc: np.ufunc):
    def forward(self, other):
        return _ufunc(ufunc, self, other)

    def reflected(self, other):
        return _ufunc(ufunc, other, self)

    def in_place(self, other):
        return _in_place(ufunc, self, other)

    return forward, reflected, in_place


for _name, _u in _OPERATORS.items():
    _forward, _reflected, _in_place_op = _operators(_u)
    setattr(ndarray, f"__{_name}__", _forward)
    setattr(ndarray, f"__r{_name}__", _reflected)
    setattr(ndarray, f"__i{_name}__", _in_place_op)
for _name, _u in _COMPARISONS.items():  # (elementwise, as NumPy's; == too)
    setattr(ndarray, f"__{_name}__", _operators(_u)[0])


# ufunc.reduce -> the reduction it is
_UFUNC_REDUCTIONS = {np.add: "sum", np.multiply: "prod", np.minimum: "min",
                     np.maximum: "max"}


def _ufunc_reduce(ufunc: np.ufunc, a, axis=0, dtype=None, out=None, keepdims=False):
    """``ufunc.reduce(a, axis=..., out=...)`` lazy (None: not for these arguments); a lazy
    ``out`` (a whole lazy array) becomes the new value, a NumPy one is filled now."""
    from weldpy.numpy import outputs

    how = _UFUNC_REDUCTIONS[ufunc]
    if isinstance(out, tuple):
        if len(out) != 1:
            return None
        (out,) = out
    if axis is None or isinstance(axis, (int, np.integer)):
        value = _FUNCTIONS[getattr(np, how)](a, axis, dtype if how in ("sum", "prod")
                                             else None, None, keepdims)
    else:
        return None
    if out is None:
        return value
    if tuple(out.shape) != tuple(value.shape):
        raise WeldShapeError(f"{ufunc.__name__}.reduce: output shape {out.shape} "
                                     f"does not match the result's {value.shape}")
    value = outputs.cast_to(ufunc.__name__, value, out.dtype)
    if isinstance(out, ndarray):
        out.node = value.node
        return out
    np.copyto(out, value.evaluate(), casting="unsafe")
    return out


def _in_place(ufunc: np.ufunc, target: ndarray, other) -> ndarray:
    from weldpy.numpy import outputs

    try:
        return outputs.in_place(ufunc, target, other)
    except elementwise.NotCompiled:
        value = fallback.call(f"numpy.{ufunc.__name__}", ufunc, (target, other), {},
                              concrete)
        target.node = outputs.cast_to(ufunc.__name__, _wrap(value), target.dtype).node
        return target


def _wrap(value) -> ndarray:
    from weldpy.numpy.creation import asarray

    return asarray(value)


def to_numpy(value, shape: tuple, dtype: np.dtype):
    """A program's result as NumPy gives it: the array in its shape and dtype (float16 was
    computed in float32), or a NumPy scalar for a 0-d value."""
    if not shape:
        if np.asarray(value).dtype == dtype:
            return value
        with np.errstate(over="ignore"):
            return np.asarray(value).astype(dtype)[()]
    array = np.asarray(value)
    if dtype == FLOAT16 or array.dtype != dtype:
        with np.errstate(over="ignore"):  # (float32 beyond float16's range: inf, as NumPy)
            array = array.astype(dtype)
    return array.reshape(shape)


def concrete(args):
    """``args`` (a tuple, list or dict, nested) with every lazy array evaluated."""
    if isinstance(args, ndarray):
        return args.evaluate()
    if isinstance(args, (tuple, list)):
        return type(args)(concrete(a) for a in args)
    if isinstance(args, dict):
        return {k: concrete(v) for k, v in args.items()}
    return args


def _reduction(how: str):
    def reduce(a, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
        dtype = dtype if how not in ("min", "max") else None
        if out is None and not kwargs:
            if axis is None and not keepdims:
                return reductions.reduce(how, a, dtype)
            if isinstance(axis, (int, np.integer)) or (axis is None and np.ndim(a) == 1):
                return reductions.reduce_axis(how, a, int(axis or 0), dtype, keepdims)
        function = getattr(np, how)
        return fallback.call(f"numpy.{how}", function, (a,),
                             {"axis": axis, "dtype": dtype, "out": out, "keepdims": keepdims,
                              **kwargs} if how not in ("min", "max") else
                             {"axis": axis, "out": out, "keepdims": keepdims, **kwargs},
                             concrete)
    reduce.__name__ = how
    return reduce


def _clip(a, a_min=None, a_max=None, **kwargs):
    if kwargs or a_min is None or a_max is None:
        return fallback.call("numpy.clip", np.clip, (a, a_min, a_max), kwargs, concrete)
    dtype = a.dtype if isinstance(a, ndarray) else np.asarray(a).dtype
    if dtype.kind in "iu":  # (NumPy's clip clamps Python integer bounds to the dtype)
        info = np.iinfo(dtype)
        a_min, a_max = (min(max(b, info.min), info.max)
                        if isinstance(b, int) and not isinstance(b, (bool, np.generic)) else b
                        for b in (a_min, a_max))
    return _ufunc(np._core.umath.clip, a, a_min, a_max)


# NumPy functions that stay lazy (through ``__array_function__``)
_FUNCTIONS = {getattr(np, how): _reduction(how) for how in ("sum", "prod", "min", "max", "mean")}
_FUNCTIONS[np.clip] = _clip
def _whole(name: str, *lazy_keywords: str):
    """NumPy's ``name`` on a whole array, lazy (``statistics``); along an axis, or with
    keywords weldpy does not take, NumPy's, visibly."""
    def run(a, *args, axis=None, **kwargs):
        from weldpy.numpy import statistics

        if axis is None and not args and set(kwargs) <= set(lazy_keywords) \
                and not kwargs.get("keepdims") and kwargs.get("out") is None:
            return getattr(statistics, name)(a, **{k: v for k, v in kwargs.items()
                                                    if k not in ("keepdims", "out")})
        return fallback.call(f"numpy.{name}", getattr(np, name), (a, *args),
                             {"axis": axis, **kwargs}, concrete)
    return run


for _name, _keywords in (("var", ("ddof", "dtype")), ("std", ("ddof", "dtype")),
                         ("any", ()), ("all", ()), ("count_nonzero", ()), ("argmin", ()),
                         ("argmax", ()), ("nansum", ("dtype",)), ("nanmean", ("dtype",)),
                         ("nanmin", ()), ("nanmax", ())):
    _FUNCTIONS[getattr(np, _name)] = _whole(_name, *_keywords, "keepdims", "out")
_FUNCTIONS[np.shape] = lambda a: a.shape
_FUNCTIONS[np.ndim] = lambda a: a.ndim
_FUNCTIONS[np.size] = lambda a, axis=None: a.size if axis is None else a.shape[axis]
_FUNCTIONS[np.amin], _FUNCTIONS[np.amax] = _FUNCTIONS[np.min], _FUNCTIONS[np.max]
