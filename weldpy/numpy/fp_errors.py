"""NumPy's floating-point errors on lazy operations: ``divide by zero``, ``overflow`` and
``invalid value`` ``encountered in <ufunc>``, handled as NumPy's error state
(``np.errstate``/``np.seterr``, and ``np.seterrcall``) said at the operation's call:
ignored, warned (RuntimeWarning), raised (``WeldFloatingPointError``, a
``FloatingPointError``), printed, logged or passed to the error callback. They are reported
when the value is evaluated.

Each operation whose mode is not ``ignore`` carries a check per kind of error
(``weldpy.lazy.Check``): a boolean over the same operands, true when some element meets
NumPy's condition. Float operations: ``invalid`` when a result is NaN and no operand is;
``divide`` when a result is infinite from finite operands at a pole (``x / 0``, ``log(0)``,
``log1p(-1)``, ``0 ** -n``, ``reciprocal(0)``); ``overflow`` for other infinite results of
finite operands. Integer ``//``, ``%`` and ``fmod`` by zero: ``divide``; ``MIN // -1``:
``overflow``. Casts (``astype``) of NaN, infinities and floats out of the range x86-64's
conversion takes to integers: ``invalid``; of finite floats to infinite narrower floats:
``overflow``. Reductions: ``overflow``/``invalid`` in ``reduce``. The checks of float
arithmetic are computed only when the run raised the matching hardware flag, so a pipeline
without errors runs without them; those of integer division and of casts (which raise no
flag, or not NumPy's) are computed with the values.

Not reported: underflow (NumPy ignores it by default), and float16 results beyond float16's
range (computed in float32; README).
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable

import numpy as np

from weldpy.errors import WeldFloatingPointError, WeldValueError
from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.lazy import Check, Lazy
from weldpy.runtime import fp_flags

B, U, K = E.BinKind, E.UnaryKind, T.ScalarKind
KINDS = ("divide", "over", "invalid")  # (NumPy's order of reporting)
_WORDS = {"divide": "divide by zero", "over": "overflow", "invalid": "invalid value"}
_HARDWARE = {"divide": fp_flags.DIVIDE, "over": fp_flags.OVERFLOW,
             "invalid": fp_flags.INVALID}
_CALLBACK_FLAG = {"divide": 1, "over": 2, "invalid": 8}  # (``np.seterrcall``'s bits)

# an error condition from the operands (of the loop's kinds) and the result (of its kind)
Condition = Callable[[list[E.Expr], E.Expr], E.Expr]


class Modes:
    """NumPy's error state at a call: the mode of each kind not ignored, the callback, and
    a hashable ``key`` of both."""

    __slots__ = ("modes", "callback", "key")

    def __init__(self, modes: dict[str, str], callback):
        self.modes, self.callback = modes, callback
        self.key = (tuple(modes.items()), id(callback))


def current() -> Modes | None:
    """NumPy's error state now; None when every kind weldpy reports is ignored. (Read once
    per state: NumPy keeps the state in one object per ``errstate``/``seterr``, which
    ``_state_object`` finds without building the dictionary ``np.geterr`` returns.)"""
    global _last
    state_object = _state_object() if _state_object is not None else None
    if state_object is not None and _last[0] is state_object:
        return _last[1]
    state = np.geterr()
    modes = {k: state[k] for k in KINDS if state[k] != "ignore"}
    callback = np.geterrcall() if {"call", "log"} & set(modes.values()) else None
    found = Modes(modes, callback) if modes else None
    if state_object is not None:
        _last = (state_object, found)
    return found


try:  # (NumPy >= 2.0 keeps the error state in this context variable)
    from numpy._core._ufunc_config import _extobj_contextvar

    _state_object = _extobj_contextvar.get
except ImportError:
    _state_object = None
_last: tuple = (None, None)


# a check to make: (kind, its condition, how to report it, the flags that signal it)
Planned = tuple[str, Condition, Callable[[], None], int | None]


def planned(name: str, conditions: dict[str, Condition], modes: Modes | None,
            unsignalled: frozenset[str] | tuple[str, ...] = ()) -> list[Planned]:
    """The checks operation ``name`` needs: one per kind of error whose mode is not ignored.
    ``unsignalled``: the kinds the hardware flags do not signal as NumPy's code does
    (integer division never traps; glibc's scalar ``pow(0, -inf)`` raises no flag), whose
    checks are computed with the values."""
    if modes is None or not conditions:
        return []
    return [(kind, conditions[kind], _reporter(name, kind, modes),
             None if kind in unsignalled else _HARDWARE[kind])
            for kind in KINDS if kind in conditions and kind in modes.modes]


def attach(node: Lazy, name: str, conditions: dict[str, Condition], modes: Modes | None,
           check_node: Callable[[str, Condition], Lazy],
           unsignalled: frozenset[str] | tuple[str, ...] = ()) -> None:
    """Give ``node`` (the value of operation ``name``) the checks it needs (``planned``);
    ``check_node(kind, condition)`` makes each boolean node."""
    node.checks = tuple(Check(check_node(kind, condition), report, flags)
                        for kind, condition, report, flags
                        in planned(name, conditions, modes, unsignalled))


def report_now(name: str, kind: str) -> None:
    """Report error ``kind`` of operation ``name`` now, as NumPy's error state says (for
    errors known at the call: the mean of an empty slice)."""
    modes = current()
    if modes is not None and kind in modes.modes:
        _reporter(name, kind, modes)()


def warn(message: str) -> None:
    """NumPy's RuntimeWarning ``message``, shown at the user's line (NumPy's warnings known
    at the call: ``Mean of empty slice``)."""
    warnings.warn(message, RuntimeWarning, stacklevel=_stack_level())


def warn_when(node: Lazy, condition: Lazy, message: str) -> None:
    """Give ``node`` a RuntimeWarning ``message`` when ``condition`` (a bool node, computed
    with the values) is true: NumPy's own warnings that depend on the data (``All-NaN slice
    encountered``)."""
    node.checks = (*node.checks, Check(condition, lambda: warn(message), None))


def float_conditions(name: str, kinds: list[T.ScalarKind],
                     literals: list) -> dict[str, Condition]:
    """The error conditions of float operation ``name`` on operands of ``kinds`` (those
    given as constants in ``literals``, None for the others)."""
    if name not in _FLOAT_OPERATIONS:
        return {}
    pole = _POLES.get(name)

    def floats(args):
        return [a for a, k in zip(args, kinds, strict=True) if k.is_float]

    def inf_from_finite(args, result):
        return _all([E.UnaryOp(U.ISINF, result)]
                    + [E.UnaryOp(U.ISFINITE, a) for a in floats(args)])

    def nan_from_numbers(args, result):
        return _all([E.UnaryOp(U.ISNAN, result)]
                    + [E.UnaryOp(U.NOT, E.UnaryOp(U.ISNAN, a)) for a in floats(args)])

    if pole is None:
        return {"invalid": nan_from_numbers, "over": inf_from_finite}
    if name == "floor_divide":  # (NumPy snaps an infinite quotient to an integer: inf - inf)
        def snapped_infinity(args, result):
            return E.BinOp(B.BOR, nan_from_numbers(args, result), E.BinOp(
                B.BAND, inf_from_finite(args, result), E.UnaryOp(U.NOT, pole(args, kinds))))
        return {"invalid": snapped_infinity,
                "over": lambda args, result: E.BinOp(B.BAND, inf_from_finite(args, result),
                                                     E.UnaryOp(U.NOT, pole(args, kinds))),
                "divide": lambda args, result: E.BinOp(B.BAND, inf_from_finite(args, result),
                                                       pole(args, kinds))}
    if name == "power":  # (0 ** -inf is a division by zero too)
        def infinite_power_of_zero(args, result):
            return E.BinOp(B.BAND, E.UnaryOp(U.ISINF, result), pole(args, kinds))
        conditions = {"invalid": nan_from_numbers, "divide": infinite_power_of_zero,
                      "over": inf_from_finite}
        if literals[1] is None or not literals[1] >= 0:  # (else no pole: x ** 2)
            conditions["over"] = lambda args, result: E.BinOp(
                B.BAND, inf_from_finite(args, result), E.UnaryOp(U.NOT, pole(args, kinds)))
            return conditions
        del conditions["divide"]
        return conditions
    return {
        "invalid": nan_from_numbers,
        "over": lambda args, result: E.BinOp(B.BAND, inf_from_finite(args, result),
                                             E.UnaryOp(U.NOT, pole(args, kinds))),
        "divide": lambda args, result: E.BinOp(B.BAND, inf_from_finite(args, result),
                                               pole(args, kinds)),
    }


def negative_powers(kind: T.ScalarKind) -> Planned:
    """The check of an integer power whose exponents are not constants: a negative one is
    NumPy's ValueError (raised when the value is evaluated; the value is then never
    given)."""
    def report() -> None:
        raise WeldValueError("power: Integers to negative integer powers are not allowed.")
    return ("negative", lambda args, result: E.BinOp(B.LT, args[1], E.Literal(kind, 0)),
            report, None)


def integer_conditions(name: str, kinds: list[T.ScalarKind]) -> dict[str, Condition]:
    """Integer ``//``, ``%`` and ``fmod``: by zero, and (``//``) the most negative by -1."""
    if name == "reciprocal":  # (NumPy's loop divides 1 by 0 and sets both flags)
        zero = lambda args, result: E.BinOp(B.EQ, args[0], E.Literal(kinds[0], 0))  # noqa: E731
        return {"divide": zero, "invalid": zero}
    if name not in ("floor_divide", "remainder", "fmod"):
        return {}
    kind = kinds[1]
    conditions: dict[str, Condition] = {
        "divide": lambda args, result: E.BinOp(B.EQ, args[1], E.Literal(kind, 0))}
    if name == "floor_divide" and kind.is_signed:
        smallest = int(np.iinfo(kind.dtype).min)
        conditions["over"] = lambda args, result: E.BinOp(
            B.BAND, E.BinOp(B.EQ, args[0], E.Literal(kind, smallest)),
            E.BinOp(B.EQ, args[1], E.Literal(kind, -1)))
    return conditions


def cast_conditions(source: T.ScalarKind, target: T.ScalarKind) -> dict[str, Condition]:
    """``astype``: float to integer of NaN, infinities and values out of the integer's range
    (invalid); float to a narrower float of finite values that become infinite (overflow)."""
    if not source.is_float:
        return {}
    if target.is_int:
        low, high = _converted_range(np.dtype(target.dtype))

        def out_of_range(args, result):
            a = args[0]
            inside = E.BinOp(B.BAND, E.BinOp(B.GE, a, E.Literal(source, low)),
                             E.BinOp(B.LT, a, E.Literal(source, high)))
            return E.UnaryOp(U.NOT, inside)  # (NaN is outside)
        return {"invalid": out_of_range}
    if target.is_float and np.dtype(target.dtype).itemsize < np.dtype(source.dtype).itemsize:
        return {"over": lambda args, result: E.BinOp(
            B.BAND, E.UnaryOp(U.ISINF, result), E.UnaryOp(U.ISFINITE, args[0]))}
    return {}


def reduction_conditions(kind: T.ScalarKind) -> dict[str, Condition]:
    """A float reduction (``reduce``): an infinite result of finite elements (overflow), a
    NaN result of elements without NaN (invalid). ``args[0]`` is whether every element is
    finite, ``args[1]`` whether none is NaN."""
    if not kind.is_float:
        return {}
    return {"over": lambda args, result: E.BinOp(B.BAND, E.UnaryOp(U.ISINF, result), args[0]),
            "invalid": lambda args, result: E.BinOp(B.BAND, E.UnaryOp(U.ISNAN, result),
                                                    args[1])}


def _converted_range(target: np.dtype) -> tuple[float, float]:
    """The floats NumPy converts to ``target`` without the invalid flag: x86-64 converts
    to the small integers through int32, to uint32 through int64, and to uint64 in two
    int64 halves."""
    if target.itemsize < 4 or target == np.int32:
        return -2.0 ** 31, 2.0 ** 31
    if target == np.uint64:
        return -2.0 ** 63, 2.0 ** 64
    return -2.0 ** 63, 2.0 ** 63


def _all(terms: list[E.Expr]) -> E.Expr:
    out = terms[0]
    for term in terms[1:]:
        out = E.BinOp(B.BAND, out, term)
    return out


def _zero(k: int) -> Callable:
    return lambda args, kinds: E.BinOp(B.EQ, args[k], E.Literal(kinds[k], 0))


# float operations that can raise (the others never make NaN or infinity from numbers)
_FLOAT_OPERATIONS = frozenset((
    "add", "subtract", "multiply", "divide", "true_divide", "floor_divide", "remainder",
    "fmod", "power", "reciprocal", "square", "exp", "expm1", "log", "log1p", "log2", "log10",
    "sqrt", "sin", "cos", "tan", "arcsin", "arccos", "sinh", "cosh", "hypot", "deg2rad",
    "rad2deg", "radians", "degrees"))
# the kinds of errors of these operations the hardware flags do not signal as NumPy's code
UNSIGNALLED = {"power": frozenset({"divide"})}
# where an infinite result of finite operands is a division by zero, not an overflow
_POLES: dict[str, Callable] = {
    "divide": _zero(1), "true_divide": _zero(1), "floor_divide": _zero(1),
    "reciprocal": _zero(0), "log": _zero(0), "log2": _zero(0), "log10": _zero(0),
    "log1p": lambda args, kinds: E.BinOp(B.EQ, args[0], E.Literal(kinds[0], -1.0)),
    "power": _zero(0),
}


def _reporter(name: str, kind: str, modes: Modes) -> Callable[[], None]:
    mode = modes.modes[kind]
    message = f"{_WORDS[kind]} encountered in {name}"

    def report() -> None:
        if mode == "warn":
            warn(message)
        elif mode == "raise":
            raise WeldFloatingPointError(message)
        elif mode == "call":
            modes.callback(_WORDS[kind], _CALLBACK_FLAG[kind])
        elif mode == "log":
            modes.callback.write(f"Warning: {message}\n")
        else:  # "print"
            print(f"Warning: {message}", file=sys.stdout)
    return report


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _stack_level() -> int:
    """The ``warnings.warn`` stack level (called from ``warn``) of the first caller outside
    weldpy."""
    frame, level = sys._getframe(2), 2
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    return level
