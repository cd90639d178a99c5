"""weldpy: lazy NumPy / pandas / ML pipelines fused into one Weld-style IR program.

The top-level API only: configuration, counters, ``evaluate`` and ``explain`` of lazy values,
the error hierarchy and the IR package.
"""

from weldpy import backends, ir
from weldpy.config import config, stats
from weldpy.errors import (
    WeldError,
    WeldRuntimeError,
    WeldSyntaxError,
    WeldTypeError,
    WeldUnsupportedError,
)
from weldpy.explain import Explanation, explain
from weldpy.lazy import evaluate_values as evaluate

__version__ = "0.1.0"

__all__ = [
    "WeldError",
    "WeldRuntimeError",
    "WeldSyntaxError",
    "WeldTypeError",
    "WeldUnsupportedError",
    "backends",
    "Explanation",
    "config",
    "evaluate",
    "explain",
    "ir",
    "stats",
]
