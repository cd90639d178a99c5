"""Test-wide setup: the hypothesis profiles of ``tests.strategies`` (``weldpy`` by default;
pick another with HYPOTHESIS_PROFILE=weldpy-thorough). Being in the ``tests`` package, this
also puts the repository root on ``sys.path``, so every test can import ``tests.strategies``."""

import os

from hypothesis import settings

from tests.strategies import register_profiles

register_profiles()
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "weldpy"))
