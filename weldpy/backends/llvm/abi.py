"""The boundary between Python and a compiled program: canonical values in, memory out.

Arguments (canonical values, already checked by ``weldpy.runtime.marshal``) are written into
one struct laid out as ``layout`` says; arrays are passed by pointer, never copied. After a
run, the result is read back: a vector whose data is the start of one of the run's blocks is
handed to NumPy without a copy (``weldpy.runtime.buffers``); one that points anywhere else
(an input, a constant, the middle of a block) is copied. Every block not handed out is freed.
"""

from __future__ import annotations

import ctypes

import numpy as np

from weldpy.backends.llvm.layout import numpy_dtype
from weldpy.errors import WeldUnsupportedError
from weldpy.ir import types as T
from weldpy.runtime.buffers import OwnedBlock, copy_out


class Packer:
    """Writes canonical values into memory; keeps what it points at alive."""

    def __init__(self):
        self.keep: list = []

    def write(self, ty: T.Type, value, dest: np.ndarray) -> None:
        """Store ``value`` into the 0-d structured/scalar array ``dest``."""
        if isinstance(ty, T.Scalar):
            dest[()] = value
        elif isinstance(ty, T.Vec):
            dest[()] = self.vec(ty, value)
        elif isinstance(ty, T.Struct):
            for i, f in enumerate(ty.fields):
                self.write(f, value[i], dest[f"f{i}"])
        else:
            raise WeldUnsupportedError(f"llvm backend: cannot pass a {ty} argument yet")

    def vec(self, ty: T.Vec, value) -> tuple[int, int]:
        """(data address, length) of a canonical vector."""
        if isinstance(ty.elem, T.Scalar):
            array = np.ascontiguousarray(value)
            self.keep.append(array)
            return array.ctypes.data, len(array)
        items = np.zeros(len(value), dtype=numpy_dtype(ty.elem))
        for i, item in enumerate(value):
            self.write(ty.elem, item, items[i:i + 1].reshape(()))
        self.keep.append(items)
        return items.ctypes.data, len(items)


class Unpacker:
    """Reads a result from memory into canonical values, adopting the blocks it keeps."""

    def __init__(self, blocks: dict[int, int], unlink):
        self.blocks = blocks  # data address -> size of every live block of the run
        self.adopted: dict[int, OwnedBlock] = {}
        self._unlink = unlink

    def read(self, ty: T.Type, raw):
        if isinstance(ty, T.Scalar):
            return ty.kind.dtype.type(raw)
        if isinstance(ty, T.Vec):
            return self.vec(ty, int(raw["ptr"]), int(raw["len"]))
        if isinstance(ty, T.Struct):
            return tuple(self.read(f, raw[f"f{i}"]) for i, f in enumerate(ty.fields))
        raise WeldUnsupportedError(f"llvm backend: cannot return a {ty} yet")

    def vec(self, ty: T.Vec, address: int, length: int):
        dtype = numpy_dtype(ty.elem)
        items = self._array(address, dtype, length, adopt=isinstance(ty.elem, T.Scalar))
        if isinstance(ty.elem, T.Scalar):
            return items
        return [self.read(ty.elem, items[i]) for i in range(length)]

    def _array(self, address: int, dtype: np.dtype, length: int, adopt: bool) -> np.ndarray:
        size = self.blocks.get(address)
        if size is None or length * dtype.itemsize > size:
            return copy_out(address, dtype, length)
        if not adopt:  # read now, freed with the run
            raw = (ctypes.c_char * (length * dtype.itemsize)).from_address(address)
            return np.frombuffer(raw, dtype=dtype, count=length)
        owner = self.adopted.get(address)
        if owner is None:
            self._unlink(address)
            owner = self.adopted[address] = OwnedBlock(address, size)
        return owner.array(dtype, length)
