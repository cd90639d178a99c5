"""The LLVM backend (the default): a typed program -> native code for the host CPU.

``prepare(program)`` generates LLVM IR (``codegen`` and the ``rules_*`` modules),
compiles it through the compile cache (``jit.cached_library``: memory, then disk, then
LLVM), and returns ``run(canonical_args) -> canonical result``: arguments are packed without
copies (``abi``), the entry function runs with the GIL released (ctypes), its top-level loops
on the thread pool (``pool``, ``parallel``), a failing check raises its ``WeldError``
(Ctrl-C during a loop: KeyboardInterrupt, ``interrupt``), and result buffers become NumPy
arrays without copies.
"""

from __future__ import annotations

import ctypes
import hashlib
import pathlib

import numpy as np

from weldpy.backends.llvm import (  # noqa: F401  (importing a rules module registers it)
    builders,
    dicts,
    interrupt,
    pool,
    rules_control,
    rules_data,
    rules_loops,
    rules_scalar,
    runtime_ir,
    sort,
)
from weldpy.backends.llvm.abi import Packer, Unpacker, address, flat_packer
from weldpy.backends.llvm.codegen import ENTRY, SITES, SITES_LEN, lower_program, read_sites
from weldpy.backends.llvm.jit import cached_library
from weldpy.backends.llvm.layout import numpy_dtype
from weldpy.config import count_all, settings
from weldpy.deepstack import call_deep
from weldpy.errors import (
    WeldIndexError,
    WeldRuntimeError,
    WeldValueError,
    WeldZeroDivisionError,
)
from weldpy.ir import exprs as E
from weldpy.ir import passes, printer, udf
from weldpy.ir import types as T
from weldpy.ir.traverse import preorder
from weldpy.runtime import fp_flags

_ERRORS = {"index": WeldIndexError, "zero_division": WeldZeroDivisionError,
           "value": WeldValueError, "runtime": WeldRuntimeError}


def _source_digest() -> str:
    """A digest of this backend's code and of the optimiser's passes: a cached program is
    stale when the code that optimised or generated it changed, even within one weldpy
    version (the cache's key holds the program BEFORE optimisation)."""
    h = hashlib.sha256()
    here = pathlib.Path(__file__).parent
    for folder in (here, here.parent.parent / "ir" / "passes"):
        for path in sorted(folder.glob("*.py")):
            h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()


GENERATOR = _source_digest()
_VOIDP = ctypes.c_void_p
_CTX_BYTES = 8 * runtime_ir.CTX_WORDS


def _round_up(n: int, to: int = 16) -> int:
    return (n + to - 1) // to * to


def _imports(typed: E.Lambda) -> dict[str, int]:
    """Native UDF symbols the program calls, by address (resolved at every load)."""
    out = {}
    for node in preorder(typed):
        if isinstance(node, E.CUDF) and udf.native_address(node.name) is not None:
            out[f"weldpy_udf_{node.name}"] = udf.native_address(node.name)
    return out


class Runner:
    """One loaded program: call it with canonical arguments."""

    def __init__(self, program, optimize=True):
        self.params = T.Struct(tuple(p.ty for p in program.params))
        self.result = program.result_type
        # keyed by the program BEFORE optimisation (the cache adds the optimize setting), so
        # a hit skips the optimiser as well as code generation and LLVM; as it came (typed
        # or, from the lazy graph, with typed parameters: its types follow from them), so a
        # hit skips type checking too
        source = program.source
        key = f"llvm {GENERATOR}\noptimize={optimize}\n{printer.pretty(source)}"
        runtime = runtime_ir.library()
        self.library = cached_library(
            key, lambda: call_deep(_generate, program.expr, optimize),
            (ENTRY, SITES, SITES_LEN),
            imports={**runtime_ir.addresses(), **_imports(source)}, requires=(runtime,))
        lib = self.library
        self._main = lib.cfunc(ENTRY, None, _VOIDP, _VOIDP, _VOIDP)
        self._free_all = runtime.cfunc("weld_rt_free_all", None, _VOIDP)
        self._unlink = runtime.cfunc("weld_rt_unlink", None, _VOIDP)
        self._free_block = runtime.cfunc("weld_rt_free_block", None, _VOIDP)
        self._blocks = runtime.cfunc("weld_rt_blocks", ctypes.c_int64, _VOIDP, _VOIDP,
                                     ctypes.c_int64)
        length = ctypes.c_int64.from_address(lib.address(SITES_LEN)).value
        self.sites = read_sites(ctypes.string_at(lib.address(SITES), length))
        # one zeroed frame per call holds the context, the result and the arguments
        args_dtype, result_dtype = numpy_dtype(self.params), numpy_dtype(self.result)
        self._result_at = _CTX_BYTES
        self._args_at = _round_up(self._result_at + result_dtype.itemsize)
        self._frame_bytes = self._args_at + args_dtype.itemsize
        self._args_dtype, self._result_dtype = args_dtype, result_dtype
        self._flat_pack = flat_packer(self.params)
        self._pairs = 16  # room for this many live blocks in a first weld_rt_blocks call

    reports_fp_flags = fp_flags.AVAILABLE

    def __call__(self, args: tuple, raised: list | None = None):
        """The result; with ``raised``, the floating-point exception flags the run raised
        (``weldpy.runtime.fp_flags``' bits) are appended to it."""
        frame = np.zeros(self._frame_bytes, dtype=np.uint8)
        at = address(frame)
        ctx = frame[:_CTX_BYTES].view(np.int64)
        ctx[runtime_ir.SENTINEL] = ctx[runtime_ir.SENTINEL + 1] = at + 8 * runtime_ir.SENTINEL
        now = settings()
        threads, grain, pool_address = pool.run_words(now.threads, now.grain)
        ctx[runtime_ir.THREADS] = threads  # (one word at a time: 6x cheaper than a list)
        ctx[runtime_ir.GRAIN] = grain
        ctx[runtime_ir.POOL] = pool_address
        ctx[runtime_ir.INTERRUPT] = interrupt.flag_address()
        result = np.ndarray((), self._result_dtype, buffer=frame, offset=self._result_at)
        # what the packed pointers point at: alive until the result is read (it may point
        # there too: a program returning its argument)
        keep = self._pack(frame, args)
        try:
            if raised is not None:
                fp_flags.clear()
            self._main(at + self._args_at, at + self._result_at, at)
            if raised is not None:
                raised.append(fp_flags.raised() | int(ctx[runtime_ir.FP_FLAGS]))
            count_all(loops_executed=int(ctx[runtime_ir.LOOPS_EXECUTED]),
                      bytes_allocated=int(ctx[runtime_ir.BYTES_ALLOCATED]))
            self._raise_if_failed(ctx)
            out = Unpacker(self._live_blocks(at), self._unlink, self._free_block).read(
                self.result, result)
            del keep
            return out
        finally:
            self._free_all(at)

    def _pack(self, frame: np.ndarray, args: tuple):
        if self._flat_pack is not None:
            return self._flat_pack(frame, self._args_at, args)
        packer = Packer()
        packer.write(self.params, args,
                     np.ndarray((), self._args_dtype, buffer=frame, offset=self._args_at))
        return packer

    def _live_blocks(self, ctx: int) -> dict[int, int]:
        pairs = np.empty((self._pairs, 2), dtype=np.int64)
        n = self._blocks(ctx, address(pairs), self._pairs)
        if n > self._pairs:  # more blocks than room: ask again with enough
            pairs = np.empty((n, 2), dtype=np.int64)
            self._blocks(ctx, address(pairs), n)
        return dict(pairs[:n].tolist())

    def _raise_if_failed(self, ctx: np.ndarray) -> None:
        site = int(ctx[runtime_ir.ERROR])
        if site == 0:
            return
        details = int(ctx[runtime_ir.DETAIL0]), int(ctx[runtime_ir.DETAIL1])
        if site == runtime_ir.INTERRUPT_SITE:
            interrupt.raise_pending()
        if site == runtime_ir.MEMORY_SITE:
            asked = details[0] % (1 << 64)
            what = f"{asked} bytes" if asked <= runtime_ir.MAX_BYTES else "a size that overflows"
            raise MemoryError(f"weldpy: a program could not allocate {what}")
        found = self.sites[site - 1]
        raise _ERRORS[found.kind](found.message.format(*details))


def _generate(typed: E.Lambda, optimize) -> str:
    return lower_program(passes.optimize(typed, optimize))


def prepare(program, optimize=True):
    """A callable running ``program`` (a ``weldpy.ir.Program``), optimised with the
    ``weldpy.config(optimize=...)`` selection ``optimize``, natively:
    ``run(canonical_args) -> canonical result``."""
    return Runner(program, optimize)
