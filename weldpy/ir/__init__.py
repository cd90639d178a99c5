"""The weldpy IR (IR.md): types, expression nodes, text syntax, type checker, ``compile``.

>>> import weldpy, numpy as np
>>> prog = weldpy.ir.compile(
...     "|x: vec[f64]| result(for(x, merger[f64, +], |b, i, e| merge(b, e * 2.0)))")
>>> with weldpy.config(backend="interp"):
...     float(prog(np.array([1.0, 2.0])))
6.0
"""

from weldpy.ir import exprs, types
from weldpy.ir.alpha import alpha_equivalent
from weldpy.ir.parser import parse, parse_type
from weldpy.ir.printer import pretty, pretty_type
from weldpy.ir.program import Program, compile
from weldpy.ir.typecheck import typecheck

__all__ = [
    "Program",
    "alpha_equivalent",
    "compile",
    "exprs",
    "parse",
    "parse_type",
    "pretty",
    "pretty_type",
    "typecheck",
    "types",
]
