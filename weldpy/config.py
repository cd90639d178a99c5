"""Run-time settings (``weldpy.config``) and counters (``weldpy.stats``), API.md.

Settings are process-wide. ``config(...)`` applies the given values at once (a setter) and
returns a scope whose ``__exit__`` restores the values in force before the call (a context
manager). Defaults come from the environment the first time settings are read:
``WELDPY_THREADS``, ``WELDPY_BACKEND``, ``WELDPY_DEBUG``. Backends and the runtime bump the
counters with ``count`` and ``count_fallback``; ``stats`` reads them.

>>> from weldpy.config import config, settings
>>> with config(backend="interp", threads=1):
...     settings().backend
'interp'
"""

from __future__ import annotations

import copy
import ctypes
import importlib
import os
import threading
from dataclasses import dataclass, replace
from types import ModuleType

from weldpy.errors import WeldTypeError, WeldUnsupportedError, WeldValueError

BACKENDS = ("llvm", "cuda", "interp")
DEFAULT_BACKEND = "llvm"


@dataclass(frozen=True)
class Settings:
    """The settings in force: see API.md's ``weldpy.config``."""

    threads: int
    backend: str
    optimize: bool | tuple[str, ...] = True
    cache_dir: str | None = None
    grain: int | None = None
    debug: int = 0


_lock = threading.Lock()
_settings: Settings | None = None


def _check_int(name: str, value, low: int):
    if isinstance(value, bool) or not isinstance(value, int):
        raise WeldTypeError(f"config: {name} must be an int, got {type(value).__name__} "
                            f"{value!r}")
    if value < low:
        raise WeldValueError(f"config: {name} must be >= {low}, got {value}")
    return value


def _check_backend(value):
    if not isinstance(value, str):
        raise WeldTypeError(f"config: backend must be a str, got {type(value).__name__}")
    if value not in BACKENDS:
        raise WeldValueError(f"config: unknown backend {value!r}; choose one of "
                             f"{', '.join(BACKENDS)}")
    return value


def _check_optimize(value):
    """True (every pass), False (none) or a list of pass names (kept as a tuple)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        from weldpy.ir.passes import selected  # (the pass names live with the passes)

        selected(value)
        return tuple(value)
    raise WeldTypeError(f"config: optimize must be a bool or a list of pass names, got "
                        f"{type(value).__name__} {value!r}")


def _check_cache_dir(value):
    if not isinstance(value, (str, os.PathLike)):
        raise WeldTypeError(f"config: cache_dir must be a path, got {type(value).__name__}")
    return os.fspath(value)


_CHECKS = {
    "threads": lambda v: _check_int("threads", v, 1),
    "backend": _check_backend,
    "optimize": _check_optimize,
    "cache_dir": _check_cache_dir,
    "grain": lambda v: _check_int("grain", v, 1),
    "debug": lambda v: _check_int("debug", v, 0),
}


def _default_threads() -> int:
    """All cores, when the thread pool's library (libgomp) is there; else one."""
    try:
        ctypes.CDLL("libgomp.so.1")
    except OSError:
        return 1
    return os.cpu_count() or 1


def _from_environment() -> Settings:
    """Defaults: the environment variables, else all cores, the llvm backend, no debug."""
    def env_int(var, low, default):
        text = os.environ.get(var, "").strip()
        if not text:
            return default
        try:
            value = int(text)
        except ValueError:
            raise WeldValueError(f"environment variable {var}={text!r} is not an integer") \
                from None
        if value < low:
            raise WeldValueError(f"environment variable {var}={text!r} must be >= {low}")
        return value

    backend = os.environ.get("WELDPY_BACKEND", "").strip() or DEFAULT_BACKEND
    if backend not in BACKENDS:
        raise WeldValueError(f"environment variable WELDPY_BACKEND={backend!r}: choose one of "
                             f"{', '.join(BACKENDS)}")
    return Settings(threads=env_int("WELDPY_THREADS", 1, _default_threads()),
                    backend=backend, debug=env_int("WELDPY_DEBUG", 0, 0))


def settings() -> Settings:
    """The settings in force now."""
    global _settings
    with _lock:
        if _settings is None:
            _settings = _from_environment()
        return _settings


def _reset_from_environment() -> None:
    """Forget every setting and read the environment again (for tests)."""
    global _settings
    with _lock:
        _settings = None


class config:  # lower case: API.md names it weldpy.config, and it is used like a function
    """Set weldpy's settings now; as a context manager, restore the previous ones on exit.

    Parameters left as None keep their current value.

    >>> from weldpy.config import config, settings
    >>> old = settings().threads
    >>> _ = config(threads=2)               # a setter: applies now
    >>> with config(threads=1):             # a scope: restores threads=2 on exit
    ...     settings().threads
    1
    >>> settings().threads
    2
    >>> _ = config(threads=old)
    """

    def __init__(self, threads=None, backend=None, optimize=None, cache_dir=None, grain=None,
                 debug=None):
        given = {"threads": threads, "backend": backend, "optimize": optimize,
                 "cache_dir": cache_dir, "grain": grain, "debug": debug}
        changes = {k: _CHECKS[k](v) for k, v in given.items() if v is not None}
        global _settings
        previous = settings()
        with _lock:
            self._previous = previous
            _settings = replace(previous, **changes)
            self._applied = _settings

    def __enter__(self) -> config:
        return self

    def __exit__(self, *exc) -> None:
        global _settings
        with _lock:
            _settings = self._previous

    def __repr__(self) -> str:
        return f"<weldpy.config {self._applied}>"


# backend name -> module path; filled by weldpy.backends at import, read by weldpy.ir.compile,
# so the IR never imports a backend.
_BACKEND_MODULES: dict[str, str] = {}


def register_backend(name: str, module: str) -> None:
    """Make ``module`` (providing ``prepare(program) -> run``) the backend ``name``."""
    if name not in BACKENDS:
        raise WeldValueError(f"register_backend: unknown backend {name!r}")
    _BACKEND_MODULES[name] = module


def backend_module(name: str) -> ModuleType:
    """The module of backend ``name``; WeldUnsupportedError for one not built yet."""
    module = _BACKEND_MODULES.get(name)
    if module is None:
        built = ", ".join(sorted(_BACKEND_MODULES))
        raise WeldUnsupportedError(
            f"backend {name!r} is not built yet; use one of: {built} "
            f"(e.g. weldpy.config(backend='interp'))")
    return importlib.import_module(module)


_COUNTER_NAMES = (
    "programs_compiled", "cache_hits_memory", "cache_hits_disk", "compile_seconds",
    "run_seconds", "loops_executed", "bytes_in", "bytes_out", "bytes_allocated",
    "inputs_copied",
)
_FLOAT_COUNTERS = frozenset({"compile_seconds", "run_seconds"})


def _zeroed() -> dict:
    out = {name: 0.0 if name in _FLOAT_COUNTERS else 0 for name in _COUNTER_NAMES}
    out["fallbacks"] = {}
    return out


_counters = _zeroed()


def count(name: str, n: int | float = 1) -> None:
    """Add ``n`` to the counter ``name`` (one of ``stats()``'s numeric keys)."""
    if name not in _COUNTER_NAMES:
        raise KeyError(f"weldpy.stats has no counter {name!r}")
    with _lock:
        _counters[name] += n


def count_all(**amounts: int | float) -> None:
    """``count`` several counters at once (one lock: a run's counters, on the call path)."""
    unknown = amounts.keys() - _COUNTER_NAMES
    if unknown:
        raise KeyError(f"weldpy.stats has no counter {sorted(unknown)[0]!r}")
    with _lock:
        for name, n in amounts.items():
            _counters[name] += n


def count_fallback(operation: str, n: int = 1) -> None:
    """Record that ``operation`` ran outside compiled code (NumPy/pandas/pyarrow)."""
    with _lock:
        fallbacks = _counters["fallbacks"]
        fallbacks[operation] = fallbacks.get(operation, 0) + n


def stats(reset: bool = False) -> dict:
    """The counters since start or since the last ``stats(reset=True)``.

    >>> from weldpy.config import stats
    >>> sorted(stats())[:3]
    ['bytes_allocated', 'bytes_in', 'bytes_out']
    """
    global _counters
    with _lock:
        out = copy.deepcopy(_counters)
        if reset:
            _counters = _zeroed()
    return out
