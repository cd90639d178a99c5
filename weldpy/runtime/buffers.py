"""Memory that generated code allocated and that now belongs to a NumPy array.

A run's blocks (``weldpy.backends.llvm.runtime_ir``: a 32-byte header before the data) that
hold a result are taken out of the run and wrapped here: the array's base is an
``OwnedBlock`` whose finaliser frees the block exactly once, when the last array viewing it
goes away. No copy is made.
"""

from __future__ import annotations

import ctypes

import numpy as np

HEADER = 32


class OwnedBlock:
    """The owner of one run-allocated block: frees it when garbage collected."""

    __slots__ = ("data", "nbytes", "free", "__weakref__")

    def __init__(self, data: int, nbytes: int, free):
        """``free(block_address)`` gives the block back (the runtime's ``free_block``)."""
        self.data, self.nbytes, self.free = data, nbytes, free

    def array(self, dtype: np.dtype, count: int, offset: int = 0) -> np.ndarray:
        """``count`` items of ``dtype`` at ``offset`` bytes into the block, viewing it."""
        if count == 0:
            return np.empty(0, dtype=dtype)
        raw = (ctypes.c_char * self.nbytes).from_address(self.data)
        out = np.frombuffer(raw, dtype=dtype, count=count, offset=offset)
        _keep(raw, self)
        return out

    def __del__(self):
        self.free(self.data - HEADER)


def _keep(raw, owner) -> None:
    # the ctypes array is the array's base; hang the owner on it so the block lives as long
    raw._weldpy_owner = owner


def owns_its_block(array: np.ndarray) -> bool:
    """Whether ``array`` is the one array made of an ``OwnedBlock`` (``OwnedBlock.array``)."""
    return getattr(array.base, "_weldpy_owner", None) is not None


def copy_out(address: int, dtype: np.dtype, count: int) -> np.ndarray:
    """A NumPy array owning a copy of ``count`` items at ``address`` (memory weldpy does not
    own: an input, a constant, the inside of another block)."""
    if count == 0:
        return np.empty(0, dtype=dtype)
    raw = (ctypes.c_char * (count * dtype.itemsize)).from_address(address)
    return np.frombuffer(raw, dtype=dtype, count=count).copy()
