"""``dot``, ``matmul`` (``@``), ``inner`` and ``outer`` of 1-D and 2-D lazy arrays, as
weldpy.numpy's own broadcasting, multiplication and sums, so a product fuses with the loops
around it: ``A @ v`` is a loop over the rows of ``A`` summing each row's products in
registers (a reduction along the innermost axis), ``outer(x, y)`` a broadcast, and a product
of two matrices sums ``A[:, :, None] * B[None, :, :]`` along the middle axis without
building it. Sums run in the result's dtype as NumPy's products do (integers wrap, booleans
are ``or`` of ``and``); float sums are reassociated (README).

Shapes are checked at the call, with NumPy's errors; operands of more than 2 dimensions run
in NumPy, visibly (``weldpy.fallback``).
"""

from __future__ import annotations

import numpy as np

from weldpy import fallback
from weldpy.errors import WeldShapeError

_NEW = None  # np.newaxis


def dot(a, b):
    """``np.dot(a, b)`` for operands of at most 2 dimensions (0-d: a product)."""
    a, b = _lazy(a), _lazy(b)
    if a.ndim == 0 or b.ndim == 0 or a.ndim > 2 or b.ndim > 2:
        return _scalar_or_numpys(np.dot, a, b)
    inner_a, inner_b = a.shape[-1], b.shape[0]
    if inner_a != inner_b:
        raise WeldShapeError(f"shapes {a.shape} and {b.shape} not aligned: {inner_a} (dim "
                             f"{a.ndim - 1}) != {inner_b} (dim 0)")
    return _product(a, b)


def matmul(a, b):
    """``np.matmul(a, b)`` (``a @ b``) for operands of 1 or 2 dimensions."""
    a, b = _lazy(a), _lazy(b)
    for k, x in enumerate((a, b)):
        if x.ndim == 0:
            raise WeldShapeError(f"matmul: Input operand {k} does not have enough dimensions "
                                 f"(has 0, gufunc core with signature (n?,k),(k,m?)->(n?,m?) "
                                 f"requires 1)")
    if a.ndim > 2 or b.ndim > 2:
        return _numpys(np.matmul, a, b)
    if a.shape[-1] != b.shape[0]:
        raise WeldShapeError(
            f"matmul: Input operand 1 has a mismatch in its core dimension 0, with gufunc "
            f"signature (n?,k),(k,m?)->(n?,m?) (size {b.shape[0]} is different from "
            f"{a.shape[-1]})")
    return _product(a, b)


def inner(a, b):
    """``np.inner(a, b)``: sums over the last axes of both (0-d: a product)."""
    a, b = _lazy(a), _lazy(b)
    if a.ndim == 0 or b.ndim == 0 or a.ndim > 2 or b.ndim > 2:
        return _scalar_or_numpys(np.inner, a, b)
    if a.shape[-1] != b.shape[-1]:
        raise WeldShapeError(f"shapes {a.shape} and {b.shape} not aligned: "
                             f"{a.shape[-1]} (dim {a.ndim - 1}) != {b.shape[-1]} "
                             f"(dim {b.ndim - 1})")
    return _product(a, b.T if b.ndim == 2 else b)


def outer(a, b):
    """``np.outer(a, b)``: every product of an element of ``a`` and one of ``b`` (flattened)."""
    a, b = _lazy(a).ravel(), _lazy(b).ravel()
    return a[:, _NEW] * b[_NEW, :]


def _product(a, b):
    """The sums of products of ``a``'s last axis with ``b``'s first (shapes checked)."""
    dtype = np.result_type(a.dtype, b.dtype)
    if a.ndim == 1 and b.ndim == 1:
        return (a * b).sum(dtype=dtype)
    if b.ndim == 1:  # (rows of a, each summed in registers)
        return (a * b[_NEW, :]).sum(axis=1, dtype=dtype)
    if a.ndim == 1:
        return (a[:, _NEW] * b).sum(axis=0, dtype=dtype)
    return (a[:, :, _NEW] * b[_NEW, :, :]).sum(axis=1, dtype=dtype)


def _scalar_or_numpys(func, a, b):
    """``func(a, b)`` of a 0-d operand (a product), or of one of more than 2 dimensions
    (NumPy's, visibly)."""
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    return _numpys(func, a, b)


def _numpys(func, a, b):
    from weldpy.numpy.array import concrete

    return fallback.call(f"numpy.{func.__name__}", func, (a, b), {}, concrete)


def _lazy(x):
    from weldpy.numpy.array import ndarray
    from weldpy.numpy.creation import asarray

    return x if isinstance(x, ndarray) else asarray(x)
