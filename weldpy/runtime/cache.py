"""The compilation cache (DESIGN.md 6): compiled programs kept in memory and on disk.

    cache = cache_for(salt)                      # one per (directory, salt) in a process
    lib = cache.get(key_text, build, load)       # memory -> disk -> build()
    code, digest = cache.object_code(key_text, build)   # disk -> build(), no memory level

- ``key_text`` is built by the caller and must determine what ``build()`` returns: the
  printed program before optimisation, parameter types, input layout, backend options. The
  cache adds the ``salt`` (the backend's environment: host CPU, LLVM version; see
  ``weldpy.backends.llvm.jit.environment_key``), weldpy's version, this file format's
  version and the ``optimize`` setting, and hashes it all (sha256) into the entry's name.
- ``build() -> bytes`` compiles (object code); ``load(bytes) -> T`` makes the bytes usable
  (links them). The memory level keeps ``load``'s result, so a memory hit skips loading
  too; it holds the ``memory_limit`` most recently used entries (evicted ones stay alive as
  long as their users hold them).
- The disk level lives in ``settings().cache_dir``, else ``$WELDPY_CACHE_DIR``, else
  ``$XDG_CACHE_HOME/weldpy`` or ``~/.cache/weldpy``: one file ``<sha256>.wobj`` per entry,
  a header (magic, format version, payload length, sha256 of the payload), then the payload.
  A file is written under a temporary name in the same directory, then renamed over the
  entry (``os.replace``): readers never see a partial file, and two processes writing the
  same entry both succeed. A file that is truncated, corrupt or of another format is
  ignored and rewritten. A directory that cannot be created or written disables the disk
  level for this process (``disk_error`` says why; ``WELDPY_DEBUG`` >= 1 prints it):
  nothing fails because of the cache.
- Counters (``weldpy.stats``): ``programs_compiled`` for each ``build()``, ``cache_hits_memory``,
  ``cache_hits_disk``, and ``compile_seconds`` for the time spent building and loading.
"""

from __future__ import annotations

import hashlib
import os
import struct
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from weldpy.config import count, settings

T = TypeVar("T")

MAGIC = b"WELDPYOB"
FORMAT_VERSION = 1
_HEADER = struct.Struct("<8sIQ32s")  # magic, format version, payload length, sha256(payload)
SUFFIX = ".wobj"


def default_directory() -> str:
    """``$WELDPY_CACHE_DIR``, else ``$XDG_CACHE_HOME/weldpy``, else ``~/.cache/weldpy``."""
    if os.environ.get("WELDPY_CACHE_DIR"):
        return os.environ["WELDPY_CACHE_DIR"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "weldpy")


def encode(payload: bytes) -> bytes:
    """A cache file's contents: the header, then ``payload``."""
    return _HEADER.pack(MAGIC, FORMAT_VERSION, len(payload),
                        hashlib.sha256(payload).digest()) + payload


def decode(data: bytes) -> bytes | None:
    """The payload of a cache file's contents, or None if they are not a whole valid file."""
    if len(data) < _HEADER.size:
        return None
    magic, version, length, digest = _HEADER.unpack_from(data)
    payload = data[_HEADER.size:]
    if magic != MAGIC or version != FORMAT_VERSION or length != len(payload):
        return None
    if hashlib.sha256(payload).digest() != digest:
        return None
    return payload


def _ignore(name: str, amount=1) -> None:
    """``count``'s stand-in for code that is not a program."""


class CompileCache:
    """Compiled programs by key: in memory, then in ``directory`` (None: memory only)."""

    def __init__(self, directory: str | None, salt: str = "", memory_limit: int = 512):
        self.directory = directory
        self.salt = salt
        self.memory_limit = memory_limit
        self.disk_error: str | None = None if directory else "no cache directory"
        self._memory: OrderedDict[str, object] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}

    def digest(self, key_text: str) -> str:
        """The entry name of ``key_text``: sha256 of it and of everything the cache adds."""
        from weldpy import __version__
        full = (f"weldpy {__version__}; cache format {FORMAT_VERSION}; {self.salt}; "
                f"optimize={settings().optimize}\n{key_text}")
        return hashlib.sha256(full.encode()).hexdigest()

    def path(self, digest: str) -> str | None:
        """The disk file of entry ``digest`` (None without a usable directory)."""
        if self.disk_error is not None:
            return None
        return os.path.join(self.directory, digest + SUFFIX)

    def get(self, key_text: str, build: Callable[[], bytes], load: Callable[[bytes], T],
            counted: bool = True) -> T:
        """``load(code)`` for the code of ``key_text``; loaded once per process and key.
        ``counted=False``: not a program (weldpy's own runtime code), not in ``stats()``."""
        tally = count if counted else _ignore
        digest = self.digest(key_text)
        with self._lock:
            key_lock = self._key_locks.setdefault(digest, threading.Lock())
        # One thread compiles and loads a key; the others wait for it and then hit memory.
        with key_lock:
            try:
                with self._lock:
                    if digest in self._memory:
                        self._memory.move_to_end(digest)
                        tally("cache_hits_memory")
                        return self._memory[digest]
                start = time.perf_counter()
                loaded = load(self._object_code(digest, build, tally))
                tally("compile_seconds", time.perf_counter() - start)
                with self._lock:
                    self._memory[digest] = loaded
                    while len(self._memory) > self.memory_limit:
                        self._memory.popitem(last=False)
                return loaded
            finally:
                with self._lock:
                    self._key_locks.pop(digest, None)

    def object_code(self, key_text: str, build: Callable[[], bytes]) -> tuple[bytes, str]:
        """The code of ``key_text`` from disk, else built (and saved); and its digest."""
        digest = self.digest(key_text)
        start = time.perf_counter()
        code = self._object_code(digest, build)
        count("compile_seconds", time.perf_counter() - start)
        return code, digest

    def clear_memory(self) -> None:
        """Forget the memory level (the disk level stays)."""
        with self._lock:
            self._memory.clear()

    def _object_code(self, digest: str, build: Callable[[], bytes], tally=count) -> bytes:
        code = self._read(digest)
        if code is not None:
            tally("cache_hits_disk")
            return code
        code = bytes(build())
        tally("programs_compiled")
        self._write(digest, code)
        return code

    def _read(self, digest: str) -> bytes | None:
        path = self.path(digest)
        if path is None:
            return None
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:  # absent (the usual miss) or unreadable: compile instead
            return None
        return decode(data)

    def _write(self, digest: str, code: bytes) -> None:
        path = self.path(digest)
        if path is None:
            return
        tmp = None
        try:
            os.makedirs(self.directory, exist_ok=True)
            # a name no other process or thread uses (tempfile costs 3 ms to import)
            tmp = os.path.join(self.directory, f".{digest[:16]}-{os.getpid()}-"
                                               f"{os.urandom(6).hex()}.tmp")
            with open(tmp, "xb") as f:
                f.write(encode(code))
            os.replace(tmp, path)
        except OSError as error:
            self._disable_disk(error)
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass

    def _disable_disk(self, error: OSError) -> None:
        self.disk_error = f"cannot write to cache directory {self.directory!r}: {error}"
        if settings().debug >= 1:
            print(f"weldpy cache: {self.disk_error}; compiled programs are kept in memory "
                  f"only", file=sys.stderr, flush=True)


_caches: dict[tuple[str, str], CompileCache] = {}
_caches_lock = threading.Lock()


def cache_for(salt: str = "") -> CompileCache:
    """The process's cache for ``salt`` in the directory ``settings().cache_dir`` names."""
    directory = os.path.abspath(settings().cache_dir or default_directory())
    with _caches_lock:
        cache = _caches.get((directory, salt))
        if cache is None:
            cache = _caches[(directory, salt)] = CompileCache(directory, salt)
        return cache
