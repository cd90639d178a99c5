"""The WeldError hierarchy: every error weldpy raises on bad input.

Each class also derives from the built-in exception NumPy or pandas would raise for the same
mistake, so ``except TypeError`` keeps working in user code (API.md, "Errors").
"""

from __future__ import annotations


class WeldError(Exception):
    """Base class of every error weldpy raises on bad input."""


class WeldTypeError(WeldError, TypeError):
    """A program or an argument has the wrong type (also a ``TypeError``)."""


class WeldSyntaxError(WeldError, SyntaxError):
    """IR text that does not parse; the message gives line and column."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        where = f" (line {line}, column {column})" if line is not None else ""
        super().__init__(message + where)
        self.msg = message + where
        self.lineno = line
        self.offset = column

    def __str__(self) -> str:
        return self.msg


class WeldUnsupportedError(WeldError, NotImplementedError):
    """A construct a backend or frontend cannot run (names the backend and construct)."""


class WeldRuntimeError(WeldError, RuntimeError):
    """An error that depends on the data, raised while a program runs."""


class WeldZeroDivisionError(WeldRuntimeError, ZeroDivisionError):
    """Integer division or remainder by zero inside a program."""


class WeldFloatingPointError(WeldRuntimeError, FloatingPointError):
    """A floating-point error NumPy's error state says to raise (``np.errstate(...='raise')``
    at the operation's call), raised when the value is evaluated."""


class WeldIndexError(WeldRuntimeError, IndexError):
    """A lookup or slice out of range, or a missing dictionary key."""


class WeldOverflowError(WeldError, OverflowError):
    """A value that does not fit the type an operation needs (NumPy: a Python integer out of
    bounds for an array's integer dtype)."""


class WeldShapeError(WeldError, ValueError):
    """Shapes an operation cannot combine (NumPy's broadcasting rules), raised at the call."""


class WeldAxisError(WeldShapeError, IndexError):
    """An axis out of bounds for an array (NumPy's AxisError is both kinds too)."""


class WeldValueError(WeldRuntimeError, ValueError):
    """A value that is out of the domain an operation accepts (zipped lengths that differ)."""


def position_suffix(pos: tuple[int, int] | None) -> str:
    """' at line L, column C' for a node's source position, or '' when it has none."""
    if pos is None:
        return ""
    return f" at line {pos[0]}, column {pos[1]}"
