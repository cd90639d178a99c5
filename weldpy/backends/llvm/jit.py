"""LLVM IR text -> optimised object code -> callable machine code: the layer under codegen.

Owns llvmlite's process-wide setup (done once, lazily), the host ``TargetMachine``, the O3
pipeline, emission of object code, and loading object code with ORC LLJIT (``Library``).
The compilation cache (``weldpy.runtime.cache``) stores what ``compile_ir`` returns;
``cached_library`` puts the two together.

    obj = compile_ir(llvm_ir_text)               # parse, verify, optimise at O3, emit
    lib = Library.load(obj, ["kernel"])          # link into this process
    fn = lib.cfunc("kernel", ctypes.c_double, ctypes.c_void_p, ctypes.c_int64)

Each ``Library`` gets its own LLJIT instance: dropping a library then frees all of its
memory (one shared LLJIT keeps every library's JITDylib forever, ~11 KB and a slower lookup
per program; measured), at ~0.7 ms per load. A piece shared by several programs is loaded
once as its own Library and passed to the others as ``imports`` (its addresses) and
``requires`` (kept alive as long as they are).

Generated code may call the C library (malloc, memcpy, ...) and libm (exp, erf, pow, ...):
every library loaded in the process is visible to it. ``WELDPY_DEBUG`` >= 1 prints the stage
timings of each compilation to stderr; >= 2 also the generated and optimised LLVM IR and the
assembly.
"""

from __future__ import annotations

import ctypes
import functools
import itertools
import platform
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping

import llvmlite
import llvmlite.binding as llvm

from weldpy.config import settings
from weldpy.errors import WeldUnsupportedError
from weldpy.runtime.cache import CompileCache, cache_for

_lock = threading.Lock()  # the TargetMachine and pass builders are not thread-safe
_library_ids = itertools.count()
_ERROR_LINES = 20  # lines of an LLVM diagnostic kept in an error message


@functools.cache
def _initialize() -> None:
    """llvmlite's native target, and libm and libmvec made visible to generated code."""
    # llvm.initialize() raises in llvmlite 0.50: the native target suffices.
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    # Python links libm, so loading it is normally a no-op; it makes sure exp, erf, ...
    # resolve in an embedding process that does not. Then glibc's vector math (vecmath),
    # before any program links against the process. (By soname: find_library would run a
    # subprocess, ~1.5 ms.)
    for library in ("libm.so.6", "libmvec.so.1"):
        try:
            llvm.load_library_permanently(library)
        except RuntimeError:  # not glibc: libm is linked in, math calls stay scalar
            pass


def _new_target_machine() -> llvm.TargetMachine:
    _initialize()
    return llvm.Target.from_default_triple().create_target_machine(
        cpu=llvm.get_host_cpu_name(), features=llvm.get_host_cpu_features().flatten(),
        opt=3, jit=True)


@functools.cache
def target_machine() -> llvm.TargetMachine:
    """The host TargetMachine (host CPU name and features, O3), shared; use under _lock."""
    return _new_target_machine()


@functools.cache
def host_id() -> str:
    """The host CPU as a cache key part: triple, CPU name and its feature string."""
    _initialize()
    return (f"{llvm.get_process_triple()} {llvm.get_host_cpu_name()} "
            f"{llvm.get_host_cpu_features().flatten()}")


@functools.cache
def host_features() -> frozenset[str]:
    """The host CPU's enabled features, e.g. ``'avx512f' in host_features()``."""
    _initialize()
    return frozenset(name for name, on in llvm.get_host_cpu_features().items() if on)


@functools.cache
def environment_key() -> str:
    """Everything besides the program that decides its object code: the cache's salt."""
    # the C library too: which libm/libmvec functions (vecmath) the object code links to
    return (f"llvmlite {llvmlite.__version__}; LLVM "
            f"{'.'.join(map(str, llvm.llvm_version_info))}; host {host_id()}; "
            f"libc {' '.join(platform.libc_ver())}")


def _first_lines(text: str) -> str:
    lines = str(text).strip().splitlines()
    more = f"\n... ({len(lines) - _ERROR_LINES} more lines)" if len(lines) > _ERROR_LINES else ""
    return "\n".join(lines[:_ERROR_LINES]) + more


def _weldpy_bug(what: str, name: str, detail) -> WeldUnsupportedError:
    return WeldUnsupportedError(
        f"llvm backend: the LLVM IR generated for {name!r} {what} (a weldpy bug: please "
        f"report it with the program and WELDPY_DEBUG=2 output):\n{_first_lines(detail)}")


def parse(llvm_ir: str, name: str = "program") -> llvm.ModuleRef:
    """Parse and verify LLVM IR text for the host; a failure is a weldpy bug, said so."""
    _initialize()
    try:
        module = llvm.parse_assembly(llvm_ir)
    except RuntimeError as error:
        raise _weldpy_bug("does not parse", name, error) from None
    module.name = name
    module.triple = llvm.get_process_triple()
    module.data_layout = str(target_machine().target_data)
    try:
        module.verify()
    except RuntimeError as error:
        raise _weldpy_bug("fails verification", name, error) from None
    return module


def optimize(module: llvm.ModuleRef, level: int = 3) -> None:
    """Run the new pass manager's O``level`` pipeline (loop and SLP vectorisation on)."""
    if level == 0:
        return
    options = llvm.create_pipeline_tuning_options(speed_level=level)
    options.loop_vectorization = True
    options.slp_vectorization = True
    with _lock:
        builder = llvm.create_pass_builder(target_machine(), options)
        builder.getModulePassManager().run(module, builder)


def compile_ir(llvm_ir: str, name: str = "program", level: int = 3) -> bytes:
    """Parse, verify, optimise (O``level``) and compile LLVM IR text to object code."""
    debug = settings().debug
    start = time.perf_counter()
    module = parse(llvm_ir, name)
    parsed = time.perf_counter()
    optimize(module, level)
    optimized = time.perf_counter()
    with _lock:
        code = target_machine().emit_object(module)
    if debug >= 1:
        _debug_print(f"weldpy jit {name}: parse+verify {_ms(parsed - start)}, optimise "
                     f"{_ms(optimized - parsed)}, codegen {_ms(time.perf_counter() - optimized)}"
                     f", {len(code)} bytes of object code")
    if debug >= 2:
        debug_dump(llvm_ir, name, module)
    return bytes(code)


def optimized_ir(llvm_ir: str, level: int = 3) -> str:
    """The LLVM IR text after optimisation (for tests and debugging)."""
    module = parse(llvm_ir)
    optimize(module, level)
    return str(module)


def assembly(llvm_ir: str, level: int = 3) -> str:
    """The host assembly of LLVM IR text after optimisation (for tests and debugging)."""
    module = parse(llvm_ir)
    optimize(module, level)
    with _lock:
        return target_machine().emit_assembly(module)


def debug_dump(llvm_ir: str, name: str = "program", module: llvm.ModuleRef | None = None,
               out=None) -> None:
    """Print the generated LLVM IR, the optimised IR and the assembly of a program."""
    if module is None:
        module = parse(llvm_ir, name)
        optimize(module)
    with _lock:
        asm = target_machine().emit_assembly(module)
    rule = "-" * 20
    text = (f"{rule} {name}: generated LLVM IR {rule}\n{llvm_ir}\n"
            f"{rule} {name}: optimised LLVM IR {rule}\n{module}\n"
            f"{rule} {name}: assembly {rule}\n{asm}")
    _debug_print(text, out)


def _debug_print(text: str, out=None) -> None:
    print(text, file=out or sys.stderr, flush=True)


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms"


class Library:
    """Object code linked into this process; its functions live as long as this object.

    Use ``Library.load``. ``address(name)`` gives an exported symbol's address;
    ``cfunc`` a ctypes function that keeps the library alive while it is referenced.
    """

    def __init__(self, lljit, tracker, name: str, exports: tuple[str, ...],
                 requires: tuple[Library, ...]):
        self._lljit = lljit
        self._tracker = tracker
        self.name = name
        self.exports = exports
        self._requires = requires  # libraries whose code this one calls: keep them alive

    @classmethod
    def load(cls, object_code: bytes, exports: Iterable[str], *,
             imports: Mapping[str, int] | None = None,
             requires: Iterable[Library] = ()) -> Library:
        """Link ``object_code`` (from ``compile_ir``) and look up ``exports``.

        ``imports`` maps symbol names to addresses the code may call (e.g. another
        Library's functions; list that library in ``requires``). An undefined symbol raises
        WeldUnsupportedError naming it; nothing is left loaded then.
        """
        _initialize()
        exports = tuple(exports)
        name = f"weldpy{next(_library_ids)}"
        # Loading object code needs no code generation: the LLJIT's default (host) target
        # machine is enough, and is cheaper to make than the shared one's copy.
        lljit = llvm.create_lljit_compiler(suppress_errors=True)
        builder = llvm.JITLibraryBuilder().add_object_img(object_code).add_current_process()
        for symbol, address in (imports or {}).items():
            builder.import_symbol(symbol, address)
        for symbol in exports:
            builder.export_symbol(symbol)
        try:
            tracker = builder.link(lljit, name)
        except RuntimeError as error:
            lljit.close()
            raise _link_error(object_code, exports, imports or {}, error) from None
        return cls(lljit, tracker, name, exports, tuple(requires))

    def address(self, name: str) -> int:
        """The address of the exported symbol ``name`` (a KeyError names the exports)."""
        if self._tracker is None:
            raise ValueError(f"Library {self.name} is closed")
        if name not in self.exports:
            raise KeyError(f"{name!r} is not exported by {self.name} (exports: "
                           f"{', '.join(self.exports)})")
        return self._tracker[name]

    def cfunc(self, name: str, restype, *argtypes) -> Callable:
        """The exported function ``name`` as a ctypes function (keeps this library alive)."""
        func = ctypes.CFUNCTYPE(restype, *argtypes)(self.address(name))
        func.library = self
        return func

    def close(self) -> None:
        """Unload the code now (the tracker before the JIT that owns it); idempotent."""
        tracker, lljit = self._tracker, self._lljit
        self._tracker = self._lljit = None
        if tracker is not None:
            tracker.close()
        if lljit is not None:
            lljit.close()

    def __del__(self, _finalizing=sys.is_finalizing):
        if not _finalizing():  # at exit llvmlite (and sys) may already be torn down
            self.close()

    def __repr__(self) -> str:
        state = "closed" if self._tracker is None else "loaded"
        return f"<weldpy jit Library {self.name} {state}: {', '.join(self.exports)}>"


def _link_error(object_code: bytes, exports: tuple[str, ...], imports: Mapping[str, int],
                error: RuntimeError) -> WeldUnsupportedError:
    """The error for a failed link, naming the symbols that nothing defines."""
    missing = [s for s in _undefined_symbols(object_code)
               if s not in imports and not llvm.address_of_symbol(s)]
    detail = (f"undefined symbols {', '.join(missing)}" if missing
              else _first_lines(error))
    return WeldUnsupportedError(
        f"llvm backend: cannot link compiled code exporting {', '.join(exports)} (a weldpy "
        f"bug, or a C library not loaded in this process): {detail}")


_ELF_HEADER = struct.Struct("<16x24xQ10xHHH")  # e_shoff, e_shentsize, e_shnum, e_shstrndx
_ELF_SECTION = struct.Struct("<4xI16xQQI4x8xQ")  # sh_type, sh_offset, sh_size, sh_link, entsize
_ELF_SYMBOL = struct.Struct("<IBBHQQ")  # st_name, st_info, st_other, st_shndx, value, size
_SHT_SYMTAB = 2


def _undefined_symbols(object_code: bytes) -> list[str]:
    """The names an ELF64 object refers to but does not define ([] if it is not ELF64)."""
    if object_code[:5] != b"\x7fELF\x02":
        return []
    shoff, shentsize, shnum, _ = _ELF_HEADER.unpack_from(object_code)
    sections = [_ELF_SECTION.unpack_from(object_code, shoff + i * shentsize)
                for i in range(shnum)]
    names = []
    for kind, offset, size, link, entsize in sections:
        if kind != _SHT_SYMTAB or not entsize:
            continue
        strings = sections[link][1]
        for at in range(offset + entsize, offset + size, entsize):  # entry 0 is null
            name_at, _, _, section, _, _ = _ELF_SYMBOL.unpack_from(object_code, at)
            if section == 0:
                end = object_code.index(b"\0", strings + name_at)
                names.append(object_code[strings + name_at:end].decode())
    return [n for n in names if n]


def program_cache() -> CompileCache:
    """The compile cache for this host and LLVM, in ``settings().cache_dir``'s directory."""
    return cache_for(environment_key())


def cached_library(key_text: str, make_ir: Callable[[], str], exports: Iterable[str], *,
                   name: str = "program", imports: Mapping[str, int] | None = None,
                   requires: Iterable[Library] = (), counted: bool = True) -> Library:
    """The Library for ``key_text``: from memory, else from disk, else compiled.

    ``key_text`` must determine ``make_ir()``'s output (the printed program before
    optimisation, parameter types, input layout, backend options); the cache adds the host,
    the LLVM and weldpy versions and the ``optimize`` setting. ``make_ir`` runs only on a
    miss, so a hit skips code generation too. ``counted=False`` keeps weldpy's own runtime
    code out of ``stats()``, which counts programs.
    """
    exports, requires = tuple(exports), tuple(requires)
    return program_cache().get(
        key_text,
        build=lambda: compile_ir(make_ir(), name),
        load=lambda code: Library.load(code, exports, imports=imports, requires=requires),
        counted=counted)
