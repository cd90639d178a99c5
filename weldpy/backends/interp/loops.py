"""Interpreter rules for loops and builders: iterators, ``for``, ``merge``, ``result`` and new
builders. Each rule is ``rule(interp, node, env) -> canonical value``.

``for(iters, b, |b, i, e| body)`` calls the body once per iteration with ``i`` the i64
iteration index 0..n-1 (also for strided iterators, as Weld's code generator does) and ``e``
the element, or the struct of the zipped iterators' elements; the builder value (a builder
or a nested struct of builders) is threaded from one call to the next.
"""

from __future__ import annotations

import numpy as np

from weldpy.backends.interp.builders import new_builder
from weldpy.config import count
from weldpy.errors import WeldIndexError, WeldValueError, position_suffix
from weldpy.ir import exprs as E


class _Range:
    """The i64 values of ``rangeiter``, produced on demand."""

    __slots__ = ("_range",)

    def __init__(self, values: range):
        self._range = values

    def __len__(self) -> int:
        return len(self._range)

    def __getitem__(self, i):
        return np.int64(self._range[i])


def _bounds(it, node, env) -> tuple[int, int, int]:
    return tuple(int(it.eval(x, env)) for x in (node.start, node.end, node.stride))


def _iter(it, node, env):
    """The sequence an iterator yields (indexable, with a length)."""
    if node.kind is E.IterKind.RANGE:
        start, end, stride = _bounds(it, node, env)
        if stride == 0:
            raise WeldValueError(f"rangeiter({start}, {end}, 0): the stride must not be 0"
                                 f"{position_suffix(node.pos)}")
        return _Range(range(start, end, stride))
    data = it.eval(node.data, env)
    if node.start is None:
        return data
    start, end, stride = _bounds(it, node, env)
    if not (0 <= start <= end <= len(data) and stride >= 1):
        raise WeldIndexError(f"iter(v, {start}, {end}, {stride}) out of range for a vector of "
                             f"length {len(data)} (needs 0 <= start <= end <= len(v), "
                             f"stride >= 1){position_suffix(node.pos)}")
    return data[start:end:stride]


def _for(it, node, env):
    seqs = [it.eval(i, env) for i in node.iters]
    lengths = [len(s) for s in seqs]
    if len(set(lengths)) > 1:
        raise WeldValueError(f"for: zipped iterators have different lengths {lengths}"
                             f"{position_suffix(node.pos)}")
    builder = it.eval(node.builder, env)
    body = it.eval(node.func, env)
    count("loops_executed")
    if len(seqs) == 1:
        seq = seqs[0]
        for i in range(lengths[0]):
            builder = body(builder, np.int64(i), seq[i])
    else:
        for i in range(lengths[0]):
            builder = body(builder, np.int64(i), tuple(s[i] for s in seqs))
    return builder


def _merge(it, node, env):
    builder, value = it.eval(node.builder, env), it.eval(node.value, env)
    return builder.merge(value, position_suffix(node.pos))


def _result(it, node, env):
    return it.eval(node.builder, env).result(position_suffix(node.pos))


def _new_builder(it, node, env):
    arg = None if node.arg is None else it.eval(node.arg, env)
    return new_builder(node.type_, arg)


RULES = {
    E.Iter: _iter,
    E.For: _for,
    E.Merge: _merge,
    E.Result: _result,
    E.NewBuilder: _new_builder,
}
