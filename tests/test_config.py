"""weldpy.config (setter and context manager, validation, environment defaults) and
weldpy.stats (keys, reset)."""

import pytest

import weldpy
from weldpy.config import (
    _reset_from_environment,
    count,
    count_fallback,
    settings,
    stats,
)
from weldpy.errors import WeldError


@pytest.fixture(autouse=True)
def restore():
    before = settings()
    with weldpy.config():
        yield
    assert settings() == before


def test_setter_applies_at_once_and_context_restores():
    backend = settings().backend
    weldpy.config(threads=3, grain=64)
    assert settings().threads == 3 and settings().grain == 64
    with weldpy.config(threads=1, backend="interp", optimize=False) as scope:
        assert settings().threads == 1 and settings().backend == "interp"
        assert not settings().optimize and settings().grain == 64
        assert "interp" in repr(scope)
        with weldpy.config(threads=2):
            assert settings().threads == 2
        assert settings().threads == 1
    assert settings().threads == 3 and settings().backend == backend
    assert settings().optimize


def test_context_restores_after_an_exception():
    threads = settings().threads
    with pytest.raises(KeyError):
        with weldpy.config(threads=threads + 1):
            raise KeyError("x")
    assert settings().threads == threads


@pytest.mark.parametrize("kwargs,cls", [
    ({"threads": 0}, ValueError), ({"threads": 1.5}, TypeError), ({"threads": True}, TypeError),
    ({"backend": "gpu"}, ValueError), ({"backend": 1}, TypeError),
    ({"optimize": 1}, TypeError), ({"grain": 0}, ValueError), ({"cache_dir": 3}, TypeError),
    ({"debug": -1}, ValueError),
])
def test_bad_values_are_rejected(kwargs, cls):
    before = settings()
    with pytest.raises(cls) as info:
        weldpy.config(**kwargs)
    assert isinstance(info.value, WeldError)
    assert settings() == before


def test_cache_dir_accepts_paths(tmp_path):
    with weldpy.config(cache_dir=tmp_path):
        assert settings().cache_dir == str(tmp_path)


def test_environment_defaults(monkeypatch):
    monkeypatch.setenv("WELDPY_THREADS", "5")
    monkeypatch.setenv("WELDPY_BACKEND", "interp")
    monkeypatch.setenv("WELDPY_DEBUG", "2")
    _reset_from_environment()
    try:
        s = settings()
        assert (s.threads, s.backend, s.debug) == (5, "interp", 2)
        monkeypatch.delenv("WELDPY_BACKEND")
        monkeypatch.delenv("WELDPY_THREADS")
        _reset_from_environment()
        assert settings().backend == "llvm" and settings().threads >= 1
        monkeypatch.setenv("WELDPY_THREADS", "many")
        _reset_from_environment()
        with pytest.raises(ValueError, match="WELDPY_THREADS"):
            settings()
    finally:
        monkeypatch.delenv("WELDPY_THREADS", raising=False)
        monkeypatch.delenv("WELDPY_DEBUG", raising=False)
        _reset_from_environment()


def test_stats_keys_counts_and_reset():
    stats(reset=True)
    want = {"programs_compiled", "cache_hits_memory", "cache_hits_disk", "compile_seconds",
            "run_seconds", "loops_executed", "bytes_in", "bytes_out", "bytes_allocated",
            "fallbacks", "inputs_copied"}
    assert set(stats()) == want and weldpy.stats is stats
    count("loops_executed", 3)
    count("compile_seconds", 0.25)
    count_fallback("median")
    count_fallback("median")
    s = stats(reset=True)
    assert s["loops_executed"] == 3 and s["compile_seconds"] == 0.25
    assert s["fallbacks"] == {"median": 2}
    s["fallbacks"]["x"] = 1  # a copy
    assert stats()["fallbacks"] == {} and stats()["loops_executed"] == 0
    with pytest.raises(KeyError):
        count("no_such_counter")
