"""NumPy dtypes and the IR's scalar types: what a lazy array stores and what it computes in.

Every NumPy dtype weldpy.numpy supports has an IR scalar kind to compute in: itself, except
float16, which the IR does not have: it is computed in f32 and stored as float16 (API.md), so
results equal NumPy's (whose float16 loops also compute in float32 and round).
"""

from __future__ import annotations

import numpy as np

from weldpy.errors import WeldTypeError
from weldpy.ir import types as T

FLOAT16 = np.dtype(np.float16)
_KINDS = {np.dtype(k.dtype): k for k in T.ScalarKind} | {FLOAT16: T.ScalarKind.F32}


def compute_kind(dtype: np.dtype, operation: str) -> T.ScalarKind:
    """The IR scalar kind a value of ``dtype`` is computed in (``operation`` names the call
    in the error for a dtype weldpy.numpy does not support)."""
    kind = _KINDS.get(dtype)
    if kind is not None:
        return kind
    dtype = np.dtype(dtype)
    if dtype == FLOAT16:
        return T.ScalarKind.F32
    kind = T.ScalarKind.from_dtype(dtype)
    if kind is None:
        raise WeldTypeError(f"{operation}: dtype {dtype} is not supported by weldpy.numpy "
                            "(bool, int8..int64, uint8..uint64, float16/32/64 are)")
    return kind


def compute_dtype(dtype: np.dtype) -> np.dtype:
    """The NumPy dtype of the values compiled code reads and writes for ``dtype``."""
    return np.dtype(np.float32) if np.dtype(dtype) == FLOAT16 else np.dtype(dtype)


def flat_input(array: np.ndarray, operation: str) -> np.ndarray:
    """``array`` as the flat vector a program reads (a view when it is C-contiguous and of a
    dtype computed as stored; a copy otherwise, as the calling convention would make)."""
    compute_kind(array.dtype, operation)
    flat = np.ravel(array, order="C")
    wanted = compute_dtype(array.dtype)
    return flat if flat.dtype == wanted and flat.dtype.isnative else flat.astype(wanted)
