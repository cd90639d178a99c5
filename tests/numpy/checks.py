"""Comparing weldpy.numpy's results with NumPy's: dtype and shape equal; integers and bools
exact; floats exact for IEEE-exact operations and within a few ULP for math functions
(libmvec and glibc's documented error), NaN where NumPy has NaN, infinities and zeros'
signs equal."""

from __future__ import annotations

import numpy as np

from tests.results import ulp_distance

MATH_ULPS = 8  # glibc's libmvec: within 4 ULP of exact; NumPy's SIMD loops: a few more


def assert_like_numpy(got, want, ulps: int = 0, zero_signs: bool = True) -> None:
    """``zero_signs=False``: -0.0 and 0.0 count as equal (NumPy's minimum/maximum of two
    zeros returns either, by dtype and SIMD path)."""
    got_array, want_array = np.asarray(got), np.asarray(want)
    assert got_array.dtype == want_array.dtype, (got_array.dtype, want_array.dtype)
    assert got_array.shape == want_array.shape, (got_array.shape, want_array.shape)
    assert type(got) is type(want) or isinstance(got, np.ndarray), (type(got), type(want))
    if want_array.dtype.kind != "f":
        np.testing.assert_array_equal(got_array, want_array)
        return
    nan = np.isnan(want_array)
    np.testing.assert_array_equal(np.isnan(got_array), nan)
    exact = ~nan & (np.isinf(want_array) | (want_array == 0) | (ulps == 0))
    np.testing.assert_array_equal(got_array[exact], want_array[exact])
    if zero_signs:
        np.testing.assert_array_equal(np.signbit(got_array[exact]),
                                      np.signbit(want_array[exact]))
    close = ~nan & ~exact
    if close.any():
        assert np.isfinite(got_array[close]).all()
        assert ulp_distance(got_array[close], want_array[close]).max() <= ulps


def numpy_or_error(fn, *args, **kwargs):
    """``fn(*args)`` in NumPy (warnings ignored), or the exception it raised."""
    with np.errstate(all="ignore"):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 (compared with weldpy's)
            return exc
