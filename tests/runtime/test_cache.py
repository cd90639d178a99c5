"""weldpy.runtime.cache: memory and disk levels, file integrity, concurrency, counters."""

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from weldpy.config import config, stats
from weldpy.runtime import cache as C

ROOT = Path(__file__).resolve().parents[2]


def counting_build(payload=b"object code"):
    calls = []

    def build():
        calls.append(1)
        return payload

    return build, calls


def counters_after(fn):
    stats(reset=True)
    out = fn()
    return out, stats()


def test_encode_decode_detect_every_damage():
    payload = bytes(range(256)) * 3
    data = C.encode(payload)
    assert C.decode(data) == payload
    assert C.decode(C.encode(b"")) == b""
    assert C.decode(data[:-1]) is None                  # truncated payload
    assert C.decode(data[:10]) is None                  # truncated header
    assert C.decode(b"") is None
    flipped = bytearray(data)
    flipped[-7] ^= 1
    assert C.decode(bytes(flipped)) is None             # corrupt payload
    assert C.decode(b"X" + data[1:]) is None            # other magic
    other = bytearray(data)
    other[8] += 1
    assert C.decode(bytes(other)) is None               # other format version
    assert C.decode(data + b"\0") is None               # trailing garbage


def test_memory_level_skips_build_and_load(tmp_path):
    cache = C.CompileCache(str(tmp_path))
    build, calls = counting_build()
    loads = []

    def load(code):
        loads.append(code)
        return object()

    first, s1 = counters_after(lambda: cache.get("k", build, load))
    second, s2 = counters_after(lambda: cache.get("k", build, load))
    assert second is first and len(calls) == 1 and loads == [b"object code"]
    assert (s1["programs_compiled"], s1["cache_hits_disk"], s1["cache_hits_memory"]) == (1, 0, 0)
    assert s1["compile_seconds"] > 0
    assert (s2["programs_compiled"], s2["cache_hits_disk"], s2["cache_hits_memory"]) == (0, 0, 1)


def test_disk_level_after_memory_is_forgotten(tmp_path):
    cache = C.CompileCache(str(tmp_path))
    build, calls = counting_build()
    cache.get("k", build, bytes)
    cache.clear_memory()
    code, s = counters_after(lambda: cache.get("k", build, bytes))
    assert code == b"object code" and len(calls) == 1
    assert (s["programs_compiled"], s["cache_hits_disk"]) == (0, 1)
    other = C.CompileCache(str(tmp_path))  # another process's view of the same directory
    assert other.object_code("k", build) == (b"object code", cache.digest("k"))
    assert len(calls) == 1


def test_key_holds_text_salt_optimize_and_version(tmp_path):
    cache = C.CompileCache(str(tmp_path), salt="host A")
    digest = cache.digest("prog")
    assert len(digest) == 64 and digest == cache.digest("prog")
    assert digest != cache.digest("prog ")
    assert digest != C.CompileCache(str(tmp_path), salt="host B").digest("prog")
    with config(optimize=False):
        assert digest != cache.digest("prog")
    assert os.path.basename(cache.path(digest)) == digest + C.SUFFIX


def test_memory_level_is_bounded_lru(tmp_path):
    cache = C.CompileCache(str(tmp_path), memory_limit=2)
    build, calls = counting_build()
    for key in ("a", "b", "a", "c"):  # "b" is least recently used when "c" comes
        cache.get(key, build, lambda code: object())
    _, s = counters_after(lambda: [cache.get(k, build, lambda code: object()) for k in "acb"])
    assert (s["cache_hits_memory"], s["cache_hits_disk"]) == (2, 1)


@pytest.mark.parametrize("damage", ["corrupt", "truncated", "empty", "header only"])
def test_damaged_file_is_rebuilt_and_rewritten(tmp_path, damage):
    cache = C.CompileCache(str(tmp_path))
    build, calls = counting_build(b"good object code" * 10)
    code, digest = cache.object_code("k", build)
    path = Path(cache.path(digest))
    data = path.read_bytes()
    damaged = {"corrupt": data[:-3] + b"xyz", "truncated": data[:len(data) // 2],
               "empty": b"", "header only": data[:C._HEADER.size]}[damage]
    path.write_bytes(damaged)
    fresh = C.CompileCache(str(tmp_path))
    (again, _), s = counters_after(lambda: fresh.object_code("k", build))
    assert again == code and len(calls) == 2 and s["programs_compiled"] == 1
    assert C.decode(path.read_bytes()) == code


def test_unusable_directory_means_memory_only(tmp_path):
    blocker = tmp_path / "a file"
    blocker.write_bytes(b"")
    cache = C.CompileCache(str(blocker / "cache"))
    build, calls = counting_build()
    assert cache.get("k", build, bytes) == b"object code"
    assert cache.disk_error is not None and "cannot write" in cache.disk_error
    assert cache.get("k", build, bytes) == b"object code" and len(calls) == 1
    assert cache.object_code("j", build)[0] == b"object code"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_read_only_directory_means_memory_only(tmp_path):
    tmp_path.chmod(0o500)
    try:
        cache = C.CompileCache(str(tmp_path))
        build, _ = counting_build()
        assert cache.get("k", build, bytes) == b"object code"
        assert cache.disk_error is not None and list(tmp_path.iterdir()) == []
    finally:
        tmp_path.chmod(0o700)


def test_threads_asking_for_one_key_build_it_once(tmp_path):
    cache = C.CompileCache(str(tmp_path))
    calls = []

    def slow_build():
        calls.append(1)
        time.sleep(0.05)
        return b"code"

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("k", slow_build, id)))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(set(results)) == 1 and len(results) == 4


def test_cache_for_follows_the_cache_dir_setting(tmp_path):
    with config(cache_dir=str(tmp_path / "one")):
        one = C.cache_for("salt")
        assert C.cache_for("salt") is one and C.cache_for("other") is not one
    with config(cache_dir=str(tmp_path / "two")):
        assert C.cache_for("salt") is not one
    assert one.directory == str(tmp_path / "one")


def test_default_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("WELDPY_CACHE_DIR", str(tmp_path / "mine"))
    assert C.default_directory() == str(tmp_path / "mine")
    monkeypatch.delenv("WELDPY_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert C.default_directory() == str(tmp_path / "weldpy")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert C.default_directory() == os.path.expanduser("~/.cache/weldpy")


def run_python(code, *args):
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


WRITER = """
import sys, time
from weldpy.runtime.cache import CompileCache
cache = CompileCache(sys.argv[1])
payload = b"x" * 50000
while time.time() < float(sys.argv[3]):  # start together
    pass
for i in range(int(sys.argv[2])):
    key = f"key{i % 3}"
    cache._write(cache.digest(key), payload)  # every round rewrites the entry
    code, _ = cache.object_code(key, lambda: b"read a partial file")
    assert code == payload and cache.disk_error is None, (code[:30], cache.disk_error)
print("ok")
"""


def test_two_processes_writing_the_same_keys_both_succeed(tmp_path):
    # both processes rewrite and read the same three entries hundreds of times: no reader
    # may ever see a partial file and no writer may fail
    start = time.time() + 0.8
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), "1000", str(start)],
                              cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0 and out.strip() == "ok", err
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [C.SUFFIX] * 3  # no temp files


JIT_PROGRAM = """
import json, sys
from weldpy.backends.llvm import jit
from weldpy.config import config, stats
ir = '''declare double @exp(double)
define double @f(double %x) {
  %e = call double @exp(double %x)
  %r = fadd double %e, 1.0
  ret double %r
}'''
with config(cache_dir=sys.argv[1]):
    lib = jit.cached_library("test program f", lambda: ir, ["f"])
    f = lib.cfunc("f", __import__("ctypes").c_double, __import__("ctypes").c_double)
assert f(0.0) == 2.0
s = stats()
print(json.dumps({"compiled": s["programs_compiled"], "disk": s["cache_hits_disk"]}))
"""


def test_a_new_process_loads_the_object_from_disk_without_compiling(tmp_path):
    first = json.loads(run_python(JIT_PROGRAM, tmp_path))
    assert (first["compiled"], first["disk"]) == (1, 0)
    second = json.loads(run_python(JIT_PROGRAM, tmp_path))
    assert (second["compiled"], second["disk"]) == (0, 1)  # (its speed: bench/compile.py)
