"""weldpy tests; shared hypothesis strategies live in tests.strategies."""
