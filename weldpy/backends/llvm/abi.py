"""The boundary between Python and a compiled program: canonical values in, memory out.

Arguments (canonical values, already checked by ``weldpy.runtime.marshal``) are written into
one struct laid out as ``layout`` says; arrays are passed by pointer, never copied. After a
run, the result is read back: a vector whose data is the start of one of the run's blocks is
handed to NumPy without a copy (``weldpy.runtime.buffers``); one that points anywhere else
(an input, a constant, the middle of a block) is copied. Every block not handed out is freed.
Dicts: an argument goes in as its pairs (``dicts.import_value`` builds the table); a result
is read from the table's slots (``hashtable``'s layout) as NumPy columns.
Lists of vectors: a ``VecList`` (strings, Arrow string arrays) gives every ``{ptr, len}`` by
array arithmetic on its buffers; other lists of short vectors are copied into one buffer,
and short result vectors inside a list or dict copied out together (``_COPY_BYTES``): a
Python step per vector costs more than the copy.
"""

from __future__ import annotations

import ctypes
import struct

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


_STRUCT_CODES = {"b": "b", "B": "B", "h": "h", "H": "H", "i": "i", "I": "I", "q": "q",
                 "Q": "Q", "l": "q", "L": "Q", "f": "f", "d": "d", "?": "B"}


def flat_packer(params: T.Struct):
    """For parameters that are all scalars or vectors of scalars (the common case): a
    ``pack(buffer, offset, args) -> arrays to keep alive`` writing them with one
    ``struct.pack_into`` (5x cheaper than ``Packer`` per call); None otherwise."""
    dtype = numpy_dtype(params)
    fmt, at, convert = ["<"], 0, []
    for i, ty in enumerate(params.fields):
        offset = dtype.fields[f"f{i}"][1]
        fmt.append("x" * (offset - at))
        if isinstance(ty, T.Scalar):
            code = _STRUCT_CODES.get(ty.kind.dtype.char)
            if code is None:
                return None
            fmt.append(code)
            convert.append(float if ty.kind.is_float else int)
            at = offset + ty.kind.dtype.itemsize
        elif isinstance(ty, T.Vec) and isinstance(ty.elem, T.Scalar):
            fmt.append("Qq")
            convert.append(None)
            at = offset + 16
        else:
            return None
    layout = struct.Struct("".join(fmt))

    def pack(buffer, offset: int, args) -> list:
        words, keep = [], []
        for value, to in zip(args, convert, strict=True):
            if to is None:
                array = value if value.flags.c_contiguous else np.ascontiguousarray(value)
                keep.append(array)
                words += (array.__array_interface__["data"][0], len(array))
            else:
                words.append(to(value))
        layout.pack_into(buffer, offset, *words)
        return keep

    return pack


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
        else:
            array = np.zeros(len(value), dtype=numpy_dtype(ty.elem))
            self.column(ty.elem, value, array)
        self.keep.append(array)
        return address(array), len(array)

    def column(self, ty: T.Type, values, dest: np.ndarray) -> None:
        """Store the canonical values ``values`` (a sequence, or an array already in
        ``dest``'s layout) of type ``ty`` into the 1-D array ``dest``."""
        if isinstance(values, np.ndarray) and values.dtype == dest.dtype:
            dest[...] = values
        elif isinstance(ty, T.Scalar) or _flat_struct(ty):
            dest[...] = np.array(values, dtype=dest.dtype)  # scalars or tuples of them
        elif isinstance(ty, T.Vec) and isinstance(ty.elem, T.Scalar):
            self.vectors(ty, values, dest)
        else:
            for i, item in enumerate(values):
                self.write(ty, item, dest[i:i + 1].reshape(()))

    def vectors(self, ty: T.Vec, values: list, dest: np.ndarray) -> None:
        """The ``{ptr, len}`` of every canonical vector of scalars in ``values``, into
        ``dest``: from the buffers a ``VecList`` views, else, for short vectors, from one
        copy of them all (cheaper than a Python visit of each vector's address)."""
        itemsize = ty.elem.kind.dtype.itemsize
        segments = getattr(values, "segments", None)
        if segments is None:
            lengths = np.fromiter(map(len, values), np.int64, len(values))
            if lengths.sum() * itemsize > _COPY_BYTES * max(len(values), 1):
                for i, item in enumerate(values):
                    dest[i] = self.vec(ty, item)
                return
            data = np.concatenate([np.empty(0, ty.elem.kind.dtype), *values],
                                  dtype=ty.elem.kind.dtype, casting="equiv")
            segments = [(data, np.concatenate([[0], np.cumsum(lengths)]))]
        at = 0
        for data, offsets in segments:
            self.keep.append(data)
            n = len(offsets) - 1
            dest["ptr"][at:at + n] = address(data) + offsets[:-1] * itemsize
            dest["len"][at:at + n] = np.diff(offsets)
            at += n

    def dict(self, ty: T.Dict, value: WeldDict) -> int:
        """The address of ``{pairs, n}``: the entries as a ``vec[{K, V}]``, from which the
        entry code builds the table (``dicts.import_value``)."""
        held = value.columns()
        if held is None:
            items = value.items()
            held = [k for k, _ in items], [v for _, v in items]
        pairs = np.zeros(len(value), dtype=numpy_dtype(T.Struct((ty.key, ty.value))))
        self.column(ty.key, held[0], pairs["f0"])
        self.column(ty.value, held[1], pairs["f1"])
        self.keep.append(pairs)
        head = np.array((address(pairs), len(pairs)), dtype=np.uint64)
        self.keep.append(head)
        return address(head)


# Vectors of at most this many bytes on average are copied together (into one buffer, for
# arguments; out of the run's blocks, for results) rather than visited one by one in Python
# (about 1-3 us each): copying 4 KiB costs about as much.
_COPY_BYTES = 4096


def _flat_struct(ty: T.Type) -> bool:
    return isinstance(ty, T.Struct) and bool(ty.fields) and all(
        isinstance(f, T.Scalar) for f in ty.fields)


def _gather(ptrs: np.ndarray, lengths: np.ndarray, dtype: np.dtype,
            own: bool) -> list[np.ndarray]:
    """Copies of the vectors ``(ptrs[i], lengths[i])`` of ``dtype``: one ``memmove`` per
    vector into one buffer, then views of it, or, if ``own``, one array owning its memory
    per vector (a result's arrays are the caller's: ``marshal`` copies views)."""
    ends = np.cumsum(lengths)
    starts = ends - lengths
    flat = np.empty(int(ends[-1]) if len(ends) else 0, dtype=dtype)
    base, size = address(flat), dtype.itemsize
    for dst, src, n in zip((base + starts * size).tolist(), ptrs.tolist(),
                           (lengths * size).tolist(), strict=True):
        if n:
            ctypes.memmove(dst, src, n)
    bounds = zip(starts.tolist(), ends.tolist(), strict=True)
    return [flat[a:b].copy() for a, b in bounds] if own else [flat[a:b] for a, b in bounds]


class Unpacker:
    """Reads a result from memory into canonical values, adopting the blocks it keeps."""

    def __init__(self, blocks: dict[int, int], unlink, free_block):
        self.blocks = blocks  # data address -> size of every live block of the run
        self.adopted: dict[int, OwnedBlock] = {}
        self._unlink, self._free_block = unlink, free_block

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
        return self.column(ty.elem, items)

    def column(self, ty: T.Type, raw: np.ndarray, own: bool = True):
        """The canonical values of type ``ty`` stored in the 1-D array ``raw``: ``raw``
        itself for scalars and structs of scalars (so it must not be run memory), else a
        list read now (of vectors that own their memory if ``own``, else that may view one
        shared copy)."""
        if isinstance(ty, T.Scalar) or _flat_struct(ty):
            return raw
        if not (isinstance(ty, T.Vec) and (isinstance(ty.elem, T.Scalar)
                                           or _flat_struct(ty.elem))):
            return [self.read(ty, row) for row in raw]
        lengths = raw["len"]
        dtype = numpy_dtype(ty.elem)
        if lengths.sum() * dtype.itemsize > _COPY_BYTES * max(len(raw), 1):
            return [self.vec(ty, p, n) for p, n in zip(raw["ptr"].tolist(), lengths.tolist(),
                                                        strict=True)]
        return _gather(raw["ptr"], lengths, dtype, own)

    def dict(self, ty: T.Dict, table: int) -> WeldDict:
        """The table at ``table`` (``hashtable``'s layout) read into a ``WeldDict``: the
        occupied slots' keys and values as columns, without a Python step per entry
        where keys are scalars or structs of scalars."""
        entries, mask, _ = _view(table, np.dtype(np.uint64), 3).tolist()
        dtype = numpy_dtype(T.Struct((T.U64, ty.key, ty.value)))
        slots = _view(entries, dtype, mask + 1)
        used = np.flatnonzero(slots["f0"])  # indexing with it copies out of run memory
        keys = self.column(ty.key, slots["f1"][used], own=False)  # never a user's array
        return WeldDict.from_columns(keys, self.column(ty.value, slots["f2"][used]))

    def _array(self, address: int, dtype: np.dtype, length: int, adopt: bool) -> np.ndarray:
        size = self.blocks.get(address)
        if size is None or length * dtype.itemsize > size:
            return copy_out(address, dtype, length)
        if not adopt:  # read now, freed with the run
            raw = (ctypes.c_char * (length * dtype.itemsize)).from_address(address)
            return np.frombuffer(raw, dtype=dtype, count=length)
        if address in self.adopted:  # the result holds this vector twice: arrays are
            return copy_out(address, dtype, length)  # independent objects, so copy
        self._unlink(address)
        owner = self.adopted[address] = OwnedBlock(address, size, self._free_block)
        return owner.array(dtype, length)
