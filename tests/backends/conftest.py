"""Fixtures of the backend tests: every test that takes ``run`` runs once per backend in
``BACKENDS`` (``WELDPY_TEST_BACKENDS=interp,llvm`` by default; cuda joins when built)."""

import os

import pytest

from weldpy.config import config
from weldpy.ir.program import compile

BACKENDS = os.environ.get("WELDPY_TEST_BACKENDS", "interp,llvm").split(",")


@pytest.fixture(params=BACKENDS)
def backend(request):
    """The backend name, in force for the test (weldpy.config)."""
    with config(backend=request.param):
        yield request.param


@pytest.fixture
def run(backend):
    """``run(text, *args)``: compile IR text and call it with ``args`` on the backend."""

    def run(text, *args):
        return compile(text)(*args)

    return run
