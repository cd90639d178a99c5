"""Fusion of 2-D work through weldpy.numpy: broadcasting, elementwise math and a reduction
along the last axis run as a loop over rows around a loop over each row, computing the
N x N elements in place (no N x N intermediate: ``weldpy.stats()``), as the Weld paper's
n-body step needs; results equal NumPy's."""

import pathlib

import numpy
import pytest

import weldpy
import weldpy.numpy as wnp
from tests.numpy.checks import assert_like_numpy

NBODY = pathlib.Path(__file__).parents[2] / "bench" / "workloads" / "nbody.py"


def load_nbody(frontend: str):
    source = NBODY.read_text()
    if frontend == "weldpy":
        source = source.replace("import numpy as np", "import weldpy.numpy as np", 1)
    namespace: dict = {}
    exec(compile(source, str(NBODY), "exec"), namespace)  # noqa: S102 (our own workload)
    return namespace["nbody_step"]


def run(*values):
    with weldpy.config(threads=2):
        weldpy.stats(reset=True)
        got = weldpy.evaluate(*values)
        return got, weldpy.stats()


@pytest.mark.parametrize("n", [1, 7, 150])
def test_an_nbody_step_allocates_no_n_by_n_intermediate(n):
    rng = numpy.random.default_rng(n)
    args = [rng.random(n) for _ in range(6)] + [rng.random(n) * 1e10, 0.01]
    want = load_nbody("numpy")(*args)
    got, stats = run(*load_nbody("weldpy")(*args))
    for g, w in zip(got, want, strict=True):
        numpy.testing.assert_allclose(g, w, rtol=1e-10, atol=0)
    assert stats["bytes_allocated"] < 30 * 8 * n + 4096  # (vectors of n: the outputs)
    assert stats["fallbacks"] == {}


@pytest.mark.parametrize("shape", [(5, 3), (1, 4), (4, 1), (0, 3), (3, 0), (90, 70)])
def test_a_broadcast_difference_summed_along_rows(shape):
    x = numpy.linspace(-2.0, 3.0, shape[0])
    y = numpy.linspace(1.0, 2.0, shape[1])
    want = (numpy.exp(x[:, None] - y[None, :]) * 2.0).sum(axis=1)
    lazy = (wnp.exp(wnp.asarray(x)[:, None] - wnp.asarray(y)[None, :]) * 2.0).sum(axis=1)
    got, stats = run(lazy)
    assert_like_numpy(got, want, ulps=64)  # (exp, then a sum in another order)
    # (vectors of the rows and columns, and the runtime's small blocks: never N x M)
    assert stats["bytes_allocated"] < max(8 * shape[0] * shape[1], 1024)
