"""What an argument of a weldpy.numpy function is: a lazy array, a concrete NumPy array, a
NumPy scalar (strongly typed), or a Python scalar (weak: NEP 50 types it by the other
operands, as the installed NumPy does); with how the IR reads it.

An ``Operand`` is either an array (a ``Lazy`` vector of its elements in C order, with a
shape) or a scalar (a ``Lazy`` scalar node, for a 0-d lazy value; or an IR literal).
``resolves`` is what ``ufunc.resolve_dtypes`` takes for it: its dtype, or the Python type of
a weak scalar.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np

from weldpy import fallback
from weldpy.errors import WeldTypeError
from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.lazy import Lazy
from weldpy.numpy.dtypes import compute_kind, flat_input

_WEAK = (int, float)  # (NEP 50: a Python bool is NumPy's bool, not weak)
_PYTHON_TYPE = {"f": float, "i": int}  # a dtype kind -> the Python scalar it holds exactly


class Operand(NamedTuple):  # (a tuple: made for every operand of every call, cheaply)
    shape: tuple[int, ...]
    resolves: object  # np.dtype, or a Python type (a weak scalar)
    node: Lazy | None = None  # an array's vector, or a 0-d lazy value's scalar
    literal: object = None  # a concrete scalar (Python or NumPy)

    @property
    def is_array(self) -> bool:
        return self.node is not None and self.shape != ()

    @property
    def dtype(self) -> np.dtype | None:
        return self.resolves if isinstance(self.resolves, np.dtype) else None

    def key(self) -> tuple:
        """What of this operand shapes the IR built for it, cheaply: a lazy operand's shape
        and dtype (its IR type follows from them), a literal's type and value (a float's
        sign too: -0.0 is not 0.0; a NaN never equals another, so it only misses)."""
        if self.node is not None:
            return (self.shape, self.resolves)
        value = self.literal
        if isinstance(value, float):
            return (float, value, math.copysign(1.0, value))
        if isinstance(value, np.generic):
            return (value.dtype, value.tobytes())
        return (type(value), value)

    def template(self) -> Operand:
        """This operand without its graph node (its type kept): what an IR builder shared
        by every call with the same ``key`` may hold without keeping the inputs alive."""
        if self.node is None:
            return self
        return Operand(self.shape, self.resolves, node=_Typed(self.node.ty))

    def probe(self):
        """A zero-size stand-in with the same typing, for asking NumPy what it would do."""
        if isinstance(self.resolves, np.dtype):
            return np.empty((0,) if self.shape else (), self.resolves)
        return self.literal

    def literal_expr(self, dtype: np.dtype, kind: T.ScalarKind) -> E.Expr:
        """This concrete scalar cast to ``dtype`` as NumPy casts it, as an IR literal of
        ``kind`` (float16: rounded to float16 first, then held in f32)."""
        return E.Literal(kind, self._converted(dtype, kind).item())

    def parameter(self, dtype: np.dtype, kind: T.ScalarKind) -> Operand:
        """This concrete scalar, cast as ``literal_expr`` casts it, as a program input (a
        0-d lazy operand whose key holds no value)."""
        literal, native = self.literal, kind.dtype
        if dtype == native and (type(literal) is _PYTHON_TYPE.get(native.kind)
                                or getattr(literal, "dtype", None) == native):
            value = native.type(literal)  # (the common cases, exact, without NumPy arrays)
        else:
            value = self._converted(dtype, kind)[()]
        return Operand((), self.resolves, node=Lazy.source(value, T.Scalar(kind)))

    def _converted(self, dtype: np.dtype, kind: T.ScalarKind) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.asarray(self.literal).astype(dtype).astype(kind.dtype)


@functools.cache
def _lazy_array() -> type:
    from weldpy.numpy.array import ndarray  # (the array class builds on operands)

    return ndarray


class _Typed:
    """A stand-in for a graph node that only has its type (``Operand.template``)."""

    __slots__ = ("ty",)

    def __init__(self, ty: T.Type):
        self.ty = ty


def operand(x, operation: str) -> Operand:
    if isinstance(x, _lazy_array()):
        return Operand(x.shape, x.dtype, node=x.node)
    if isinstance(x, bool):
        return Operand((), np.dtype(bool), literal=x)
    if isinstance(x, _WEAK) and not isinstance(x, np.generic):
        return Operand((), type(x), literal=x)
    if isinstance(x, np.generic):
        compute_kind(x.dtype, operation)
        return Operand((), x.dtype, literal=x)
    array = np.asarray(x)
    if array.dtype.kind in "OUSVMmc":
        raise WeldTypeError(f"{operation}: an argument of dtype {array.dtype} is not supported "
                            "by weldpy.numpy")
    if array.ndim == 0:
        return Operand((), array.dtype, literal=array[()])
    flat = flat_input(array, operation)
    ty = T.Vec(T.Scalar(T.ScalarKind.from_dtype(flat.dtype)))
    return Operand(array.shape, array.dtype, node=Lazy.source(flat, ty, fallback.made_by(x)))
