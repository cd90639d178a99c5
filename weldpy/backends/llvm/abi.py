"""The boundary between Python and a compiled program: canonical values in, memory out.

Arguments (canonical values, already checked by ``weldpy.runtime.marshal``) are written into
one struct laid out as ``layout`` says; arrays are passed by pointer, never copied. After a
run, the result is read back: a vector whose data is the start of one of the run's blocks is
handed to NumPy without a copy (``weldpy.runtime.buffers``); one that points anywhere else
(an input, a constant, the middle of a block) is copied. Every block not handed out is freed.
Dicts: an argument goes in as its pairs (``dicts.import_value`` builds the table); a result
is read from the table's slots (``hashtable``'s layout).
"""

from __future__ import annotations

import ctypes

import numpy as np

from weldpy.backends.llvm.layout import numpy_dtype
from weldpy.errors import WeldUnsupportedError
from weldpy.ir import types as T
from weldpy.runtime.buffers import OwnedBlock, copy_out
from weldpy.runtime.values import WeldDict


def _view(address: int, dtype: np.dtype, count: int) -> np.ndarray:
    """``count`` items at ``address``, viewed (valid until the run's memory is freed)."""
    raw = (ctypes.c_char * (count * dtype.itemsize)).from_address(address)
    return np.frombuffer(raw, dtype=dtype, count=count)


def address(array: np.ndarray) -> int:
    """The data address of ``array`` (cheaper than ``array.ctypes.data``)."""
    return array.__array_interface__["data"][0]


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
        elif isinstance(ty, T.Dict):
            dest[()] = self.dict(ty, value)
        else:
            raise WeldUnsupportedError(f"llvm backend: cannot pass a {ty} argument yet")

    def vec(self, ty: T.Vec, value) -> tuple[int, int]:
        """(data address, length) of a canonical vector."""
        if isinstance(ty.elem, T.Scalar):
            array = np.ascontiguousarray(value)
            self.keep.append(array)
            return address(array), len(array)
        items = np.zeros(len(value), dtype=numpy_dtype(ty.elem))
        for i, item in enumerate(value):
            self.write(ty.elem, item, items[i:i + 1].reshape(()))
        self.keep.append(items)
        return address(items), len(items)

    def dict(self, ty: T.Dict, value: WeldDict) -> int:
        """The address of ``{pairs, n}``: the entries as a ``vec[{K, V}]``, from which the
        entry code builds the table (``dicts.import_value``)."""
        pairs = self.vec(T.Vec(T.Struct((ty.key, ty.value))), value.items())
        head = np.array(pairs, dtype=np.uint64)
        self.keep.append(head)
        return address(head)


def _flat_struct(ty: T.Type) -> bool:
    return isinstance(ty, T.Struct) and bool(ty.fields) and all(
        isinstance(f, T.Scalar) for f in ty.fields)


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
        if isinstance(ty, T.Dict):
            return self.dict(ty, int(raw))
        raise WeldUnsupportedError(f"llvm backend: cannot return a {ty} yet")

    def vec(self, ty: T.Vec, address: int, length: int):
        dtype = numpy_dtype(ty.elem)
        flat = isinstance(ty.elem, T.Scalar) or _flat_struct(ty.elem)
        items = self._array(address, dtype, length, adopt=flat)
        if flat:  # a vec of structs of scalars stays one structured array (marshal's form)
            return items
        return [self.read(ty.elem, items[i]) for i in range(length)]

    def dict(self, ty: T.Dict, table: int) -> WeldDict:
        """The table at ``table`` (``hashtable``'s layout) read into a ``WeldDict``."""
        entries, mask, _ = _view(table, np.dtype(np.uint64), 3).tolist()
        dtype = numpy_dtype(T.Struct((T.U64, ty.key, ty.value)))
        slots = _view(entries, dtype, mask + 1)
        slots = slots[slots["f0"] != 0]
        out = WeldDict()
        for key, value in zip(slots["f1"], slots["f2"], strict=True):
            out.put(self.read(ty.key, key), self.read(ty.value, value))
        return out

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
