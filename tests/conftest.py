"""Test-wide setup: the hypothesis profiles of ``tests.strategies`` (``weldpy`` by default;
pick another with HYPOTHESIS_PROFILE=weldpy-thorough). Being in the ``tests`` package, this
also puts the repository root on ``sys.path``, so every test can import ``tests.strategies``."""

import os
import tempfile

from hypothesis import settings

from tests.strategies import register_profiles

register_profiles()
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "weldpy"))

# compiled programs go to a cache of this test session, not the user's ~/.cache/weldpy
os.environ.setdefault("WELDPY_CACHE_DIR", tempfile.mkdtemp(prefix="weldpy-test-cache-"))
