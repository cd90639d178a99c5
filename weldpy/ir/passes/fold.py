"""Constant folding and algebraic simplification (pass "fold"). Consumes a typed program and
returns it typed (each new node carries the type of the node it replaces), everywhere,
loop and lambda bodies included.

Operators, functions and casts of literals are computed by the interpreter's own scalar
operations (``weldpy.ir.scalar_ops``, the interpreter's), so a folded value is bit for bit what the
program would compute: wrap-around, each float type's rounding, NaN. An operation that raises
(integer division by zero) is left alone, to raise when the program runs.
``(2 + 3) * x`` -> ``5 * x``; ``f32(1.5)`` -> ``1.5F``; ``7 / 0`` stays.

Identities, only those exact for every value of ``x`` (NaN, infinities, -0.0 included):

- units: ``x + 0`` (ints), ``x + -0.0``, ``x - 0``, ``x - 0.0``, ``x * 1``, ``x * 1.0``,
  ``x / 1``, ``x & -1``, ``x | 0``, ``x ^ 0``, ``x << 0``, ``x >> 0``, ``x && true``,
  ``x || false``, ``min(x, largest)``, ``max(x, smallest)`` (and mirrored where the
  operator commutes) -> ``x``. Not ``x + 0.0``: ``-0.0 + 0.0`` is ``0.0``.
- absorbing: ``x * 0`` (ints), ``x & 0``, ``x | -1``, ``min(x, smallest)`` (ints, bools)
  -> the literal, when evaluating ``x`` cannot raise; ``false && x`` -> ``false`` and
  ``true || x`` -> ``true`` always (``x`` is never evaluated). Not ``x * 0.0`` (NaN, inf).
- ``-(-x)`` and ``!(!x)`` -> ``x``; ``T(x)`` with ``x`` already a ``T`` -> ``x``.
- ``if(true, a, b)`` -> ``a``; ``select(true, a, b)`` -> ``a`` when ``b`` cannot raise
  (select evaluates both); ``{a, b}.$0`` -> ``a`` when ``b`` cannot raise.
"""

from __future__ import annotations

import math

import numpy as np

from weldpy.errors import WeldError
from weldpy.ir import exprs as E
from weldpy.ir import scalar_ops
from weldpy.ir import types as T
from weldpy.ir.exprs import BinKind as B
from weldpy.ir.passes.inline import is_total
from weldpy.ir.traverse import children, postorder, rebuild
from weldpy.ir.types import ScalarKind


def run(expr: E.Expr) -> E.Expr:
    """``expr`` (typed) with every node simplified, children before parents."""
    done: dict[int, E.Node] = {}
    for node in postorder(expr):
        if id(node) not in done:
            new = rebuild(node, [done[id(c)] for c in children(node)])
            if new is not node:
                new.with_type(node.ty)
            done[id(node)] = _simplify(new)
    return done[id(expr)]


def _simplify(node: E.Node) -> E.Node:
    """``node`` rewritten by its class's rule until the rule no longer applies."""
    while True:
        rule = _RULES.get(type(node))
        new = node if rule is None else rule(node)
        if new is node:
            return node
        node = new


# ---- literals -----------------------------------------------------------------------------

def _value(lit: E.Literal):
    """The literal as the interpreter reads it: a NumPy scalar of its kind."""
    return lit.kind.dtype.type(lit.value)


def _literal(value) -> E.Literal:
    """A typed literal holding the NumPy scalar ``value``."""
    kind = ScalarKind.from_dtype(np.asarray(value).dtype)
    if kind is ScalarKind.BOOL:
        py = bool(value)
    else:
        py = float(value) if kind.is_float else int(value)
    return E.Literal(kind, py).with_type(T.Scalar(kind))


def _computed(node: E.Expr, compute) -> E.Expr:
    """The literal ``compute()`` gives, or ``node`` when computing it raises (the error is
    the program's, at run time)."""
    try:
        return _literal(compute())
    except WeldError:
        return node


# ---- tests on literals (kind, Python value) ----------------------------------------------

def _negative_zero(v) -> bool:
    return v == 0 and math.copysign(1.0, v) < 0


def _int_or_bool_extreme(kind: ScalarKind, largest: bool):
    if kind is ScalarKind.BOOL:
        return largest
    info = np.iinfo(kind.dtype)
    return info.max if largest else info.min


def _largest(k, v) -> bool:
    return v == math.inf if k.is_float else v == _int_or_bool_extreme(k, True)


def _smallest(k, v) -> bool:
    return v == -math.inf if k.is_float else v == _int_or_bool_extreme(k, False)


def _add_unit(k, v) -> bool:
    return v == 0 and (not k.is_float or _negative_zero(v))


def _sub_unit(k, v) -> bool:
    return v == 0 and not _negative_zero(v)


def _one(k, v) -> bool:
    return k is not ScalarKind.BOOL and v == 1


def _int_zero(k, v) -> bool:
    return k.is_int and v == 0


def _no_bits(k, v) -> bool:  # 0, false
    return not k.is_float and v == 0


def _all_bits(k, v) -> bool:  # -1 (every bit set), true
    if k is ScalarKind.BOOL:
        return bool(v)
    return k.is_int and v == int(scalar_ops.wrap(-1, k))


def _int_smallest(k, v) -> bool:
    return not k.is_float and _smallest(k, v)


def _int_largest(k, v) -> bool:
    return not k.is_float and _largest(k, v)


# op -> test on a right (left) literal for which ``x op lit`` (``lit op x``) is ``x``
_RIGHT_UNIT = {
    B.ADD: _add_unit, B.SUB: _sub_unit, B.MUL: _one, B.DIV: _one, B.BAND: _all_bits,
    B.BOR: _no_bits, B.XOR: _no_bits, B.SHL: _int_zero, B.SHR: _int_zero,
    B.LAND: _all_bits, B.LOR: _no_bits, B.MIN: _largest, B.MAX: _smallest,
}
_LEFT_UNIT = {op: _RIGHT_UNIT[op] for op in (B.ADD, B.MUL, B.BAND, B.BOR, B.XOR, B.LAND,
                                             B.LOR, B.MIN, B.MAX)}
# op -> test on a literal (either side) for which the result is that literal
_ABSORBING = {
    B.MUL: _int_zero, B.BAND: _no_bits, B.BOR: _all_bits, B.LAND: _no_bits,
    B.LOR: _all_bits, B.MIN: _int_smallest, B.MAX: _int_largest,
}
_SHORT_CIRCUIT = (B.LAND, B.LOR)
_NOT_COMPUTED = (B.LAND, B.LOR, B.COMPARE)  # short-circuit rules; compare is not scalar_ops'


def _applies(table, op, lit) -> bool:
    test = table.get(op)
    return isinstance(lit, E.Literal) and test is not None and test(lit.kind, lit.value)


# ---- rules --------------------------------------------------------------------------------

def _binop(node: E.BinOp) -> E.Expr:
    op, left, right = node.op, node.left, node.right
    if isinstance(left, E.Literal) and isinstance(right, E.Literal) and op not in _NOT_COMPUTED:
        return _computed(node, lambda: scalar_ops.binary(op, _value(left), _value(right),
                                                         left.kind))
    if _applies(_RIGHT_UNIT, op, right):
        return left
    if _applies(_LEFT_UNIT, op, left):
        return right
    if _applies(_ABSORBING, op, right) and is_total(left):
        return right
    if _applies(_ABSORBING, op, left) and (op in _SHORT_CIRCUIT or is_total(right)):
        return left  # the right of && and || is not evaluated when the left decides
    return node


def _unary(node: E.UnaryOp) -> E.Expr:
    inner = node.value
    if isinstance(inner, E.Literal):
        return _computed(node, lambda: scalar_ops.unary(node.op, _value(inner), inner.kind))
    if isinstance(inner, E.UnaryOp) and inner.op is node.op and node.op in _INVOLUTIONS:
        return inner.value
    return node


_INVOLUTIONS = (E.UnaryKind.NEG, E.UnaryKind.NOT)  # exact, wrap-around and NaN included


def _cast(node: E.Cast) -> E.Expr:
    inner = node.value
    if isinstance(inner, E.Literal):
        return _computed(node, lambda: scalar_ops.cast(_value(inner), node.kind))
    if inner.ty == T.Scalar(node.kind):
        return inner
    return node


def _if(node: E.If) -> E.Expr:
    if isinstance(node.cond, E.Literal):
        return node.on_true if node.cond.value else node.on_false
    return node


def _select(node: E.Select) -> E.Expr:
    if isinstance(node.cond, E.Literal):
        chosen, other = ((node.on_true, node.on_false) if node.cond.value
                         else (node.on_false, node.on_true))
        if is_total(other):
            return chosen
    return node


def _get_field(node: E.GetField) -> E.Expr:
    struct = node.value
    if isinstance(struct, E.MakeStruct) and all(
            is_total(e) for k, e in enumerate(struct.elems) if k != node.index):
        return struct.elems[node.index]
    return node


_RULES = {
    E.BinOp: _binop, E.UnaryOp: _unary, E.Cast: _cast, E.If: _if, E.Select: _select,
    E.GetField: _get_field,
}
