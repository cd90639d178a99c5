"""weldpy.numpy tests run with fallbacks forbidden: an operation that fell back to NumPy
raises, so a passing test proves it compiled (``weldpy.fallback``). Tests of fallbacks
themselves take the ``fallbacks_allowed`` fixture."""

import pytest

from weldpy import fallback


@pytest.fixture(autouse=True)
def no_fallbacks(request):
    if "fallbacks_allowed" in request.fixturenames:
        yield
        return
    with fallback.forbidden():
        yield


@pytest.fixture
def fallbacks_allowed():
    """Fallbacks run (and are counted) in this test."""
