"""Interpreter rules for vectors and dictionaries: literals, len, lookup, optlookup,
keyexists, slice, sort, tovec. Each rule is ``rule(interp, node, env) -> canonical value``.
"""

from __future__ import annotations

import functools

import numpy as np

from weldpy.errors import WeldIndexError, position_suffix
from weldpy.ir import exprs as E
from weldpy.runtime.values import WeldDict, make_vec, zero_value


def _make_vector(it, node, env):
    return make_vec([it.eval(e, env) for e in node.elems], node.ty.elem)


def _length(it, node, env):
    return np.int64(len(it.eval(node.value, env)))


def _lookup(it, node, env):
    data, key = it.eval(node.data, env), it.eval(node.index, env)
    if isinstance(data, WeldDict):
        return data.lookup(key, position_suffix(node.pos))
    index = int(key)
    if not 0 <= index < len(data):
        raise WeldIndexError(f"lookup: index {index} out of range for a vector of length "
                             f"{len(data)}{position_suffix(node.pos)}")
    return data[index]


def _optlookup(it, node, env):
    data, key = it.eval(node.data, env), it.eval(node.key, env)
    found = data.entry(key)
    if found is None:
        return (np.bool_(False), zero_value(node.ty.fields[1]))
    return (np.bool_(True), found[1])


def _keyexists(it, node, env):
    data, key = it.eval(node.data, env), it.eval(node.key, env)
    return np.bool_(key in data)


def _slice(it, node, env):
    data = it.eval(node.data, env)
    start, size = int(it.eval(node.index, env)), int(it.eval(node.size, env))
    if not 0 <= start <= len(data) or size < 0:
        raise WeldIndexError(f"slice: start {start} and size {size} out of range for a vector "
                             f"of length {len(data)}{position_suffix(node.pos)}")
    return data[start:start + size]  # clamps to the end, as Weld does


def _sort(it, node, env):
    data, cmp = it.eval(node.data, env), it.eval(node.cmp, env)
    key = functools.cmp_to_key(lambda i, j: int(cmp(data[i], data[j])))
    order = sorted(range(len(data)), key=key)  # sorted is stable
    if isinstance(data, np.ndarray):
        return data[np.array(order, dtype=np.int64)]
    return [data[i] for i in order]


def _tovec(it, node, env):
    return [(k, v) for k, v in it.eval(node.value, env).sorted_items()]


RULES = {
    E.MakeVector: _make_vector,
    E.Length: _length,
    E.Lookup: _lookup,
    E.OptLookup: _optlookup,
    E.KeyExists: _keyexists,
    E.Slice: _slice,
    E.Sort: _sort,
    E.ToVec: _tovec,
}
