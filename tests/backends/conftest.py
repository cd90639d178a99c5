"""Fixtures of the backend tests: every test that takes ``run`` runs once per backend in
``BACKENDS`` (``WELDPY_TEST_BACKENDS``; cuda joins when built).

A name may carry a thread count: ``llvm@2`` is the llvm backend on 2 threads with grain 1,
so every loop of two or more iterations is split into parts and every way of combining the
parts' builders runs; plain ``llvm`` runs on one thread.
"""

import os

import pytest

from weldpy.config import config
from weldpy.ir.program import compile

BACKENDS = os.environ.get("WELDPY_TEST_BACKENDS", "interp,llvm,llvm@2").split(",")


def backend_config(name: str) -> config:
    """The ``weldpy.config`` scope of a ``BACKENDS`` name."""
    backend, _, threads = name.partition("@")
    if threads:
        return config(backend=backend, threads=int(threads), grain=1)
    return config(backend=backend, threads=1)


@pytest.fixture(params=BACKENDS)
def backend(request):
    """The backend name, in force for the test (weldpy.config)."""
    with backend_config(request.param):
        yield request.param


@pytest.fixture
def run(backend):
    """``run(text, *args)``: compile IR text and call it with ``args`` on the backend."""

    def run(text, *args):
        return compile(text)(*args)

    return run
