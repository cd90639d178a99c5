"""The parser's token cursor, and the grammar of types and of annotations in IR text.

``TypeSyntax`` walks a ``lexer.Tokens`` table: helpers that consume tokens or raise
``WeldSyntaxError`` naming what was expected and what was found (with line and column), Weld's
type syntax (``vec[T]``, ``{T, U}``, ``dict[K, V]``, the builder types, ``?`` for a hole read as
None, and ``|T, U| R`` for functions), and annotations ``@(key: value, ...)``. The expression
grammar (``weldpy.ir.parser``) extends it.
"""

from __future__ import annotations

from weldpy.errors import WeldSyntaxError
from weldpy.ir import types as T
from weldpy.ir.lexer import KEYWORDS, Tokens
from weldpy.ir.types import BuilderOp, ScalarKind

SCALARS = {k.value: k for k in ScalarKind}
_BUILDER_OPS = {"+": BuilderOp.ADD, "*": BuilderOp.MUL, "min": BuilderOp.MIN,
                "max": BuilderOp.MAX}


class TypeSyntax:
    """A cursor over tokens (``i`` indexes the next one) that parses types and annotations."""

    def __init__(self, tokens: Tokens):
        self.kinds = tokens.kinds
        self.values = tokens.values
        self.texts = tokens.texts
        self.positions = tokens.positions
        self.i = 0

    # -- helpers --------------------------------------------------------------------------
    def fail(self, expected: str, index: int | None = None):
        index = self.i if index is None else index
        found = "end of input" if self.kinds[index] == "eof" else repr(self.texts[index])
        raise WeldSyntaxError(f"expected {expected} but found {found}", *self.positions[index])

    def expect(self, kind: str, what: str | None = None) -> None:
        if self.kinds[self.i] != kind:
            self.fail(what or f"'{kind}'")
        self.i += 1

    def name(self) -> str:
        if self.kinds[self.i] != "ident":
            self.fail("an identifier")
        self.i += 1
        return self.values[self.i - 1]

    def sequence(self, close: str, item) -> list:
        """Items separated by commas up to ``close`` (consumed); an empty list is allowed."""
        out = []
        while self.kinds[self.i] != close:
            out.append(item())
            if self.kinds[self.i] == ",":
                self.i += 1
            elif self.kinds[self.i] != close:
                self.fail(f"',' or '{close}'")
        self.i += 1
        return out

    def annotations(self) -> tuple[tuple[str, str], ...]:
        self.i += 1
        self.expect("(", "'(' after '@'")
        return tuple(self.sequence(")", self.annotation))

    def annotation(self) -> tuple[str, str]:
        kind = self.kinds[self.i]
        if kind != "ident" and kind not in KEYWORDS:
            self.fail("an annotation name")
        key = self.texts[self.i]
        self.i += 1
        self.expect(":", "':' after the annotation name")
        sign = ""
        if self.kinds[self.i] == "-" and self.kinds[self.i + 1] in ("int", "float"):
            sign = "-"
            self.i += 1
        kind = self.kinds[self.i]
        if kind == "str":
            value = self.values[self.i].decode("utf-8", errors="replace")
        elif kind in ("int", "float", "boolean", "ident") or kind in KEYWORDS:
            value = sign + self.texts[self.i]
        else:
            self.fail("an annotation value (a literal, identifier or string)")
        self.i += 1
        return key, value

    # -- types ----------------------------------------------------------------------------
    def optional_type(self):
        if self.kinds[self.i] != ":":
            return None
        self.i += 1
        return self.type_()

    def type_(self):
        kind = self.kinds[self.i]
        self.i += 1
        if kind in SCALARS:
            return T.Scalar(SCALARS[kind])
        if kind in _TYPE_SHAPES:
            return self.type_arguments(kind)
        if kind == "{":
            return T.Struct(tuple(self.sequence("}", self.type_)))
        if kind == "?":
            return None
        if kind in ("|", "||"):
            params = self.sequence("|", self.type_) if kind == "|" else []
            return T.Function(tuple(params), self.type_())
        self.fail("a type", self.i - 1)

    def type_arguments(self, word: str):
        """The bracketed arguments of ``word`` (vec, dict or a builder) and the type built."""
        slots, build = _TYPE_SHAPES[word]
        self.expect("[", f"'[' after {word}")
        args = []
        for k, slot in enumerate(slots):
            if k:
                self.expect(",", f"',' in {word}[...] ({len(slots)} arguments)")
            if slot == "op":
                op = _BUILDER_OPS.get(self.kinds[self.i])
                if op is None:
                    self.fail(f"a merge operator (+ * min max) in {word}")
                self.i += 1
                args.append(op)
            else:
                args.append(self.type_())
        self.expect("]", f"']' closing {word}[...]")
        return build(*args)


_TYPE_SHAPES = {
    "vec": (("type",), T.Vec), "dict": (("type", "type"), T.Dict),
    "appender": (("type",), T.Appender), "merger": (("type", "op"), T.Merger),
    "vecmerger": (("type", "op"), T.VecMerger),
    "dictmerger": (("type", "type", "op"), T.DictMerger),
    "groupmerger": (("type", "type"), T.GroupMerger),
}
