"""The optimiser's pipeline (``weldpy.ir.passes``) and ``weldpy.config(optimize=...)``."""

import numpy as np
import pytest

import weldpy
from weldpy.config import settings
from weldpy.errors import WeldTypeError, WeldValueError
from weldpy.ir import compile, passes


def test_selection_names_passes_in_pipeline_order():
    assert passes.selected(True) == passes.NAMES
    assert passes.selected(False) == ()
    assert passes.selected(list(reversed(passes.NAMES))) == passes.NAMES


def test_config_checks_the_names():
    with pytest.raises(WeldValueError, match="'unrolling'.*fuse_vertical"):
        weldpy.config(optimize=["unrolling"])
    with pytest.raises(WeldTypeError, match="optimize"):
        weldpy.config(optimize="fuse_vertical")
    with weldpy.config(optimize=["fuse_vertical"]):
        assert settings().optimize == ("fuse_vertical",)


def test_each_setting_runs_its_own_program():
    program = compile("|v: vec[f64]| result(for(result(for(v, appender[f64], "
                      "|b, i, x| merge(b, x + 1.0))), merger[f64, +], |b, i, x| merge(b, x)))")
    v = np.arange(1000.0)
    for optimize, loops in ((False, 2), (True, 1), (["fuse_vertical"], 1), ([], 2)):
        with weldpy.config(backend="llvm", optimize=optimize, threads=1):
            weldpy.stats(reset=True)
            assert program(v) == (v + 1).sum()
            assert weldpy.stats()["loops_executed"] == loops, optimize


def test_the_pipeline_prints():
    text = passes.pipeline_text()
    assert all(name in text for name in passes.NAMES)
