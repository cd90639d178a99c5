"""Weld's own test programs (tests/ir/weld_conformance_cases.py) give Weld's answers, on every
backend: ``weldpy.ir.compile(text)`` then a call with the inputs under ``weldpy.config``.

Integers and bools compare exactly and dtypes must match exactly; floats compare with
``assert_allclose`` (NaN-aware) at rtol 1e-12 for f64 and 1e-6 for f32, whose results may
differ from NumPy's by a few ULP of float32 (IR.md: elementwise math equals NumPy's up to
the few ULP of the math library). A call must also leave its inputs unchanged.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import weldpy
from tests.backends.conftest import BACKENDS, backend_config
from tests.ir.weld_conformance_cases import ANY, CASES, Loose, Raises

RTOL = {np.dtype(np.float64): 1e-12, np.dtype(np.float32): 1e-6}


def _check_array(got, exp, where):
    assert isinstance(got, np.ndarray), f"{where}: expected an ndarray, got {type(got)}"
    assert got.dtype == exp.dtype, f"{where}: dtype {got.dtype} != {exp.dtype}"
    assert got.shape == exp.shape, f"{where}: shape {got.shape} != {exp.shape}"
    if exp.dtype.names:
        for name in exp.dtype.names:
            _check_array(got[name], exp[name], f"{where}.{name}")
    elif exp.dtype.kind == "f":
        np.testing.assert_allclose(got, exp, rtol=RTOL[exp.dtype], equal_nan=True,
                                   err_msg=where)
    else:
        np.testing.assert_array_equal(got, exp, err_msg=where)


def _check_scalar(got, exp, where):
    assert type(got) is type(exp), f"{where}: type {type(got)} != {type(exp)} ({got!r})"
    if exp.dtype.kind == "f":
        np.testing.assert_allclose(got, exp, rtol=RTOL[exp.dtype], equal_nan=True,
                                   err_msg=where)
    else:
        assert got == exp, f"{where}: {got!r} != {exp!r}"


def _check_sequence(got, exp, where):
    assert type(got) is type(exp), f"{where}: type {type(got)} != {type(exp)} ({got!r})"
    assert len(got) == len(exp), f"{where}: length {len(got)} != {len(exp)}"
    for k, (g, e) in enumerate(zip(got, exp, strict=True)):
        check(g, e, f"{where}[{k}]")


def check(got, exp, where="result"):
    """Assert that ``got`` is ``exp`` in IR.md's result conventions."""
    if exp is ANY:
        return
    if isinstance(exp, Loose):
        _check_loose(_plain(got), _plain(exp.value), where)
    elif isinstance(exp, np.ndarray):
        _check_array(got, exp, where)
    elif isinstance(exp, np.generic):
        _check_scalar(got, exp, where)
    elif isinstance(exp, tuple | list):
        _check_sequence(got, exp, where)
    elif isinstance(exp, dict):
        assert isinstance(got, dict) and got.keys() == exp.keys(), f"{where}: {got!r}"
        for key, e in exp.items():
            check(got[key], e, f"{where}[{key!r}]")
    else:
        assert got == exp, f"{where}: {got!r} != {exp!r}"


def _plain(value):
    """``value`` as nested lists/tuples of Python scalars (vectors become lists, structs
    tuples, bytes lists of ints), for results whose Python shape IR.md leaves open."""
    if isinstance(value, np.ndarray):
        if value.dtype.names or value.dtype == object:
            return [_plain(v) for v in value]
        return value.tolist()
    if isinstance(value, np.void):
        return tuple(_plain(value[n]) for n in value.dtype.names)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bytes):
        return list(value)
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _check_loose(got, exp, where):
    if isinstance(exp, tuple | list):
        assert isinstance(got, tuple | list), f"{where}: {got!r} is not a sequence"
        assert len(got) == len(exp), f"{where}: length {len(got)} != {len(exp)}: {got!r}"
        for k, (g, e) in enumerate(zip(got, exp, strict=True)):
            _check_loose(g, e, f"{where}[{k}]")
    elif isinstance(exp, float):
        np.testing.assert_allclose(got, exp, rtol=1e-12, err_msg=where)
    else:
        assert got == exp, f"{where}: {got!r} != {exp!r}"


def _run(case):
    args = copy.deepcopy(case.args)
    result = weldpy.ir.compile(case.program)(*args)
    check(args, case.args, "inputs after the call")
    return result


def test_case_ids_are_unique():
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_weld_program(case, backend):
    with backend_config(backend):
        if isinstance(case.expected, Raises):
            with pytest.raises(case.expected.exc):
                _run(case)
        else:
            check(_run(case), case.expected)
