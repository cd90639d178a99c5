"""Generated programs give the same answers on the llvm backend as on the interpreter."""

import numpy as np
from hypothesis import assume, given, settings

import weldpy
from tests.results import assert_same, reassociates, uses_math_library
from tests.strategies import programs
from weldpy.ir import compile


@settings(max_examples=60)
@given(programs())
def test_llvm_agrees_with_the_interpreter(prog):
    assume(not uses_math_library(prog.expr))  # each such function: test_interp_scalars
    program = compile(prog.expr)
    with weldpy.config(backend="interp"), np.errstate(all="ignore"):
        want = program(*prog.args)
    for threads in (1, 2):  # 2 threads, grain 1: loops split into parts, combined
        with weldpy.config(backend="llvm", threads=threads, grain=1), \
                np.errstate(all="ignore"):
            got = program(*prog.args)
        assert_same(got, want, loose=reassociates(prog.expr))
