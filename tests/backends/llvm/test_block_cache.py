"""The runtime's cache of large freed blocks (``runtime_blocks``): big results reuse warm
memory, hold correct data, and the cache is safe under threads."""

import threading

import numpy as np

import weldpy
from weldpy.ir import compile

MAP = compile("|v: vec[f64]| result(for(v, appender[f64], |b,i,x| merge(b, x * 2.0)))")
N = 1 << 20  # 8 MiB of output: above the 4 MiB the cache starts at


def test_a_freed_result_is_reused_by_the_next_run():
    x = np.arange(N, dtype=np.float64)
    with weldpy.config(backend="llvm", threads=1):
        first = MAP(x)
        address = first.ctypes.data
        del first
        second = MAP(x + 1)
        assert second.ctypes.data == address
        np.testing.assert_array_equal(second, (x + 1) * 2)
        third = MAP(x)  # `second` is alive: a block of its own
        assert third.ctypes.data != second.ctypes.data
        np.testing.assert_array_equal(third, x * 2)
        np.testing.assert_array_equal(second, (x + 1) * 2)


def test_smaller_and_larger_requests_get_blocks_that_fit():
    with weldpy.config(backend="llvm", threads=2, grain=1000):
        for n in (N, N // 2, 3 * N, N // 3, 2 * N + 7):
            x = np.random.default_rng(n).random(n)
            np.testing.assert_array_equal(MAP(x), x * 2)


def test_threads_share_the_cache_safely():
    errors = []

    def work(seed):
        rng = np.random.default_rng(seed)
        try:
            for _ in range(10):
                x = rng.random(N + int(rng.integers(0, N)))
                np.testing.assert_array_equal(MAP(x), x * 2)
        except AssertionError as error:
            errors.append(error)

    with weldpy.config(backend="llvm", threads=2, grain=4096):
        workers = [threading.Thread(target=work, args=(seed,)) for seed in range(3)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    assert not errors
