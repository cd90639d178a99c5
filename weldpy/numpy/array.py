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
from weldpy.numpy import elementwise
from weldpy.numpy.dtypes import FLOAT16


class ndarray:  # noqa: N801 (NumPy's name)
    """A lazy array (see the module docstring)."""

    __array_priority__ = 100  # (NumPy defers operators with concrete arrays to us)

    def __init__(self, node: Lazy | None, shape: tuple[int, ...], dtype: np.dtype,
                 scalar: bool = True, base: ndarray | None = None, region=None):
        """``scalar``: a 0-d value evaluates to a NumPy scalar (as NumPy's reductions and
        ufuncs give), else to a 0-d array (as ``np.zeros(())``). A view (``x[1:5]``) has
        its ``base`` (the array owning the elements) and its ``region`` there
        (``weldpy.numpy.views``) instead of a node of its own."""
        self._node, self.shape, self.dtype = node, tuple(shape), np.dtype(dtype)
        self.scalar, self._base, self._region = scalar, base, region
        self._read_from = None  # (a view: the base version its node was gathered from)

    @property
    def node(self) -> Lazy:
        """The graph node of this array's current version (a view's: gathered from its
        base's current version)."""
        if self._base is None:
            return self._node
        from weldpy.numpy import views

        base = self._base.node
        if self._read_from is not base:
            self._read_from, self._node = base, views.gather(base, self._region)
        return self._node

    @node.setter
    def node(self, value: Lazy) -> None:
        """A new version (a view's: written into a new version of its base)."""
        if self._base is None:
            self._node = value
            return
        from weldpy.numpy import views

        self._base.node = views.scatter(self._base.node, self._region, value)

    # --- indexing (basic: views; the rest NumPy's, visibly) ---------------------------------
    def __getitem__(self, key):
        from weldpy.numpy import selection, views

        index = selection.advanced(key)
        if index is not None:
            return selection.select(self, index)
        try:
            region = self._region_of(key)
        except views.NotBasic:
            return fallback.call("numpy.ndarray.__getitem__", lambda a, k: a[k], (self, key),
                                 {}, concrete)
        root = self._root()
        if not region.axes:  # (integers only: an element, not a view)
            return ndarray(views.element(root.node, region), (), self.dtype)
        return ndarray(None, region.shape, self.dtype, base=root, region=region)

    def __setitem__(self, key, value) -> None:
        from weldpy.numpy import selection, views
        from weldpy.numpy.creation import full

        if _is_mask_of(key, self.shape) and np.ndim(value) == 0:
            # ``x[mask] = v``: v where the mask is true (a new version, as every write)
            self.node = elementwise.select(key, value, self, self.dtype).node
            return
        index = selection.advanced(key)
        if index is not None:
            selection.assign(self, index, value)
            return
        try:
            region = self._region_of(key)
        except views.NotBasic:
            def assign(a, k, v):
                a = np.array(a)
                a[k] = v
                return a
            self.node = _wrap(fallback.call("numpy.ndarray.__setitem__", assign,
                                            (self, key, value), {}, concrete)).node
            return
        shape = region.shape
        views.check_assignable(shape, np.shape(value))
        values = elementwise.select(full(shape, True), value, value, self.dtype)
        self._root().node = views.scatter(self._root().node, region, values.node)

    # --- shape (views where NumPy gives views) ---------------------------------------------
    @property
    def T(self) -> ndarray:  # noqa: N802 (NumPy's name)
        return self.transpose()

    def transpose(self, *axes) -> ndarray:
        """A view with the axes in the order given (reversed by default), as NumPy's."""
        from weldpy.numpy import views
        from weldpy.numpy.reductions import axes_of

        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = axes[0]
        order = tuple(range(self.ndim))[::-1] if not axes else tuple(
            axes_of(a, self.ndim)[0] for a in axes)
        if sorted(order) != list(range(self.ndim)):
            raise WeldShapeError(f"transpose: axes {tuple(axes)} don't match array")
        region = self._region if self._base is not None else views.Region.whole(self.shape)
        region = region.transpose(order)
        return ndarray(None, region.shape, self.dtype, base=self._root(), region=region)

    def reshape(self, *shape, order="C") -> ndarray:
        """NumPy's reshape in C order: a view of an array in its own order (a whole array
        or a reshape of one), else a copy (NumPy too copies where strides cannot express
        the new shape; it gives a view of a slice whose strides can)."""
        from weldpy.numpy import views

        if order != "C":
            return fallback.call("numpy.reshape", np.reshape, (self, shape),
                                 {"order": order}, concrete)
        new = _new_shape(shape[0] if len(shape) == 1 and not isinstance(shape[0], int)
                         else shape, self.size)
        if not self.shape:  # (a 0-d value: its one element, broadcast)
            from weldpy.numpy.creation import full

            return elementwise.select(full(new, True), self, self, self.dtype)
        if self._base is None or self._region.is_whole:
            return ndarray(None, new, self.dtype, base=self._root(),
                           region=views.Region.whole(new))
        return ndarray(self.node, new, self.dtype)

    def ravel(self, order="C") -> ndarray:
        return self.reshape(-1, order=order)

    def flatten(self, order="C") -> ndarray:
        return self.reshape(-1, order=order).copy()

    def _root(self) -> ndarray:
        return self if self._base is None else self._base

    def _region_of(self, key):
        from weldpy.numpy import views

        if not self.shape and self._base is None:
            if key == () or key is Ellipsis:
                return views.Region.whole(())
            raise views.NotBasic(key)
        region = self._region if self._base is not None else views.Region.whole(self.shape)
        return region.select(key)

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
        if ufunc is np.matmul and method == "__call__" and not kwargs:
            from weldpy.numpy import products

            return products.matmul(*inputs)
        if method == "__call__" and set(kwargs) <= {"dtype", "out", "where"}:
            from weldpy.numpy import outputs

            try:
                return outputs.call(ufunc, inputs, **kwargs)
            except elementwise.NotCompiled:
                pass
        if method in ("reduce", "accumulate", "outer"):
            from weldpy.numpy import functions

            return functions.ufunc_method(ufunc, method, inputs, kwargs)
        name = f"numpy.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
        return fallback.call(name, getattr(ufunc, method), inputs, kwargs, concrete)

    def __array_function__(self, func, types, args, kwargs):
        from weldpy.numpy import functions

        return functions.call(func, args, kwargs)

    def astype(self, dtype, copy=True):
        """This array cast to ``dtype`` (NumPy's casts; float to int of NaN or out of range
        as NumPy gives on x86-64)."""
        if np.dtype(dtype) == self.dtype and not copy:
            return self
        return elementwise.astype(self, dtype)

    def copy(self):
        """A new array holding this one's current version (writes to either, later, make
        new versions of that one only)."""
        return ndarray(self.node, self.shape, self.dtype, self.scalar)

    # --- reductions (NumPy's functions of the same names: made below) -----------------------

    # --- operators (made below from ``_OPERATORS``) -----------------------------------------
    def __abs__(self):
        return _ufunc(np.absolute, self)

    def __neg__(self):
        return _ufunc(np.negative, self)

    def __invert__(self):
        return _ufunc(np.invert, self)

    def __matmul__(self, other):
        from weldpy.numpy import products

        return products.matmul(self, other)

    def __rmatmul__(self, other):
        from weldpy.numpy import products

        return products.matmul(other, self)

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


def _is_mask_of(key, shape: tuple) -> bool:
    """Whether ``key`` is a boolean array of ``shape`` (NumPy's boolean-mask index)."""
    dtype = getattr(key, "dtype", None)
    return dtype is not None and np.dtype(dtype) == np.bool_ and tuple(key.shape) == shape \
        and shape != ()


def _new_shape(shape, size: int) -> tuple[int, ...]:
    """NumPy's reshape target: one -1 inferred; NumPy's ValueError when sizes differ."""
    shape = tuple(int(n) for n in (shape if isinstance(shape, (tuple, list)) else (shape,)))
    known = int(np.prod([n for n in shape if n != -1]))
    if shape.count(-1) > 1:
        raise WeldShapeError("can only specify one unknown dimension")
    if -1 in shape:
        if known == 0 or size % known:
            raise WeldShapeError(f"cannot reshape array of size {size} into shape {shape}")
        shape = tuple(size // known if n == -1 else n for n in shape)
    if int(np.prod(shape)) != size or any(n < 0 for n in shape):
        raise WeldShapeError(f"cannot reshape array of size {size} into shape {shape}")
    return shape


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


def _method(name: str):
    function = getattr(np, name)

    def method(self, *args, **kwargs):
        from weldpy.numpy import functions

        return functions.call(function, (self, *args), kwargs)
    method.__name__ = name
    return method


for _name in ("sum", "prod", "min", "max", "mean", "var", "std", "any", "all", "argmin",
              "argmax", "clip", "cumsum", "cumprod"):
    setattr(ndarray, _name, _method(_name))
