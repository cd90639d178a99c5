"""Parser of IR text into untyped expression trees (``weldpy.ir.exprs``), and of types.

Recursive descent in the shape of Weld's ``parser.rs``: ``let`` and lambdas at expression level,
then binary operators by precedence climbing (``||`` ``&&`` ``|`` ``^`` ``&`` ``== !=``
``< <= > >=`` ``<< >>`` ``+ -`` ``* / %``; the two comparison levels do not chain), then an
ascription ``e: T``, then the apply chain (``.$N`` and calls), then leaves. Let chains and
operator chains are loops; nesting recurses, so the whole parse runs through
``deepstack.call_deep`` and 10,000 nested parentheses parse. Weld's standard macros (``map``,
``filter``, ``flatten``, ``sum``) expand here (``weldpy.ir.macros``).

Every node gets the (line, column) of the first token of its text, counting a parenthesis that
opens its left operand (``(f)(x)`` is at the ``(``). Types the text leaves out are None.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from weldpy.deepstack import call_deep
from weldpy.errors import WeldSyntaxError
from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.ir.exprs import BinKind, IterKind, UnaryKind
from weldpy.ir.lexer import Tokens, tokenize
from weldpy.ir.macros import MACRO_ARITY, expand_macro
from weldpy.ir.type_syntax import SCALARS, TypeSyntax
from weldpy.ir.types import ScalarKind

_BINARY = {
    "||": (1, BinKind.LOR), "&&": (2, BinKind.LAND), "|": (3, BinKind.BOR),
    "^": (4, BinKind.XOR), "&": (5, BinKind.BAND), "==": (6, BinKind.EQ), "!=": (6, BinKind.NE),
    "<": (7, BinKind.LT), "<=": (7, BinKind.LE), ">": (7, BinKind.GT), ">=": (7, BinKind.GE),
    "<<": (8, BinKind.SHL), ">>": (8, BinKind.SHR), "+": (9, BinKind.ADD),
    "-": (9, BinKind.SUB), "*": (10, BinKind.MUL), "/": (10, BinKind.DIV), "%": (10, BinKind.MOD),
}
_NON_ASSOCIATIVE = frozenset({6, 7})
_INT_RANGES = {k: (int(np.iinfo(k.dtype).min), int(np.iinfo(k.dtype).max))
               for k in ScalarKind if k.is_int}

# Function-call leaves: keyword -> (arity, constructor taking the arguments positionally).
_CALLS = {
    "len": (1, E.Length), "tovec": (1, E.ToVec), "result": (1, E.Result),
    "assert": (1, E.Assert), "lookup": (2, E.Lookup), "optlookup": (2, E.OptLookup),
    "keyexists": (2, E.KeyExists), "merge": (2, E.Merge), "sort": (2, E.Sort),
    "iterate": (2, E.Iterate), "if": (3, E.If), "select": (3, E.Select), "slice": (3, E.Slice),
}
_CALLS.update({k.value: (1, lambda v, _k=k: E.UnaryOp(_k, v))
               for k in UnaryKind if k not in (UnaryKind.NEG, UnaryKind.NOT)})
_CALLS.update({k.value: (2, lambda a, b, _k=k: E.BinOp(_k, a, b)) for k in E.FUNCTION_BINKINDS})
_CALLS.update({k: (1, lambda v, _k=s: E.Cast(_k, v)) for k, s in SCALARS.items()})


def parse(text: str) -> E.Expr:
    """Parse IR text into an untyped expression.

    Examples
    --------
    >>> parse("|x: i32| x + 1L")
    <Lambda |x: i32| (x + 1L)>
    """
    return _run(text, lambda p: p.expr(), "the end of the expression")


def parse_type(text: str) -> T.Type | None:
    """Parse a type such as ``vec[{i32, f64}]``; ``?`` gives None."""
    return _run(text, lambda p: p.type_(), "the end of the type")


def _run(text, entry, what):
    tokens = tokenize(text)
    parser = _Parser(tokens)

    def go():
        result = entry(parser)
        if parser.kinds[parser.i] != "eof":
            parser.fail(f"end of input after {what}")
        return result

    # Nesting depth is bounded by the token count; short inputs skip the helper thread.
    return go() if len(tokens.kinds) < 100 else call_deep(go)


class _Parser(TypeSyntax):
    """Expressions; the token cursor, types and annotations come from ``TypeSyntax``."""

    def __init__(self, tokens: Tokens):
        super().__init__(tokens)
        self._used: set[str] | None = None
        self._fresh = -1

    def args(self, count: int, what: str) -> list:
        """``(e1, ..., en)`` for a construct ``what`` that takes exactly ``count`` arguments."""
        self.expect("(", f"'(' after {what}")
        out = []
        for k in range(count):
            out.append(self.expr())
            if k + 1 < count:
                self.expect(",", f"',' in {what} (it takes {count} arguments)")
        self.expect(")", f"')' closing {what}")
        return out

    # -- expressions ----------------------------------------------------------------------
    def expr(self) -> E.Expr:
        lets = []
        while self.kinds[self.i] == "let":
            pos = self.positions[self.i]
            self.i += 1
            name = self.name()
            ty = self.optional_type()
            self.expect("=", "'=' in let")
            value_pos = self.positions[self.i]
            value = self.let_value()
            if ty is not None:
                value = self.ascribe_node(value, ty, self.i, value_pos)
            self.expect(";", "';' after the let value")
            lets.append((name, value, pos))
        kind = self.kinds[self.i]
        body = self.lambda_() if kind in ("|", "||") else self.binary(1)
        for name, value, pos in reversed(lets):
            body = E.Let(name, value, body).with_pos(pos)
        return body

    def let_value(self) -> E.Expr:
        # Weld takes an operator expression here; a lambda is accepted too (unambiguous).
        return self.lambda_() if self.kinds[self.i] in ("|", "||") else self.binary(1)

    def lambda_(self) -> E.Lambda:
        pos = self.positions[self.i]
        params = []
        if self.kinds[self.i] == "|":
            self.i += 1
            params = self.sequence("|", self.param)
        else:
            self.i += 1
        return E.Lambda(tuple(params), self.expr()).with_pos(pos)

    def param(self) -> E.Param:
        name = self.name()
        return E.Param(name, self.optional_type())

    def binary(self, min_prec: int) -> E.Expr:
        pos = self.positions[self.i]
        left = self.ascribe()
        last = 0
        while True:
            entry = _BINARY.get(self.kinds[self.i])
            if entry is None or entry[0] < min_prec:
                return left
            prec, op = entry
            if prec == last and prec in _NON_ASSOCIATIVE:
                raise WeldSyntaxError(
                    f"comparisons do not chain: add parentheses before {self.texts[self.i]!r}",
                    *self.positions[self.i])
            self.i += 1
            right = self.binary(prec + 1)
            left = E.BinOp(op, left, right).with_pos(pos)
            last = prec

    def ascribe(self) -> E.Expr:
        pos = self.positions[self.i]
        value = self.apply()
        if self.kinds[self.i] != ":":
            return value
        end = self.i
        self.i += 1
        return self.ascribe_node(value, self.type_(), end, pos)

    def ascribe_node(self, value: E.Expr, ty, end: int, pos) -> E.Expr:
        """``value: ty`` (``end`` indexes the token after ``value``); ``?`` ascribes nothing,
        and a literal ``[]`` written just before takes ``ty``'s element type (Weld's
        ``[]: vec[T]``), while a parenthesised ``([])`` stays an ascription."""
        if ty is None:
            return value
        if (isinstance(ty, T.Vec) and isinstance(value, E.MakeVector) and not value.elems
                and value.elem_type is None
                and self.kinds[end - 1] == "]" and self.kinds[end - 2] == "["):
            return dataclasses.replace(value, elem_type=ty.elem).with_pos(value.pos)
        return E.Ascribe(value, ty).with_pos(pos)

    def apply(self) -> E.Expr:
        pos = self.positions[self.i]
        node = self.leaf()
        if (type(node) is E.Ident and node.name in MACRO_ARITY and self.kinds[self.i] == "("
                and not node.annotations):
            node = self.macro(node.name, pos)
        while True:
            kind = self.kinds[self.i]
            if kind == ".":
                self.i += 1
                word = self.texts[self.i]
                if self.kinds[self.i] != "ident" or not word[1:].isdigit() or word[0] != "$":
                    self.fail("a field index such as '$0' after '.'")
                self.i += 1
                node = E.GetField(node, int(word[1:])).with_pos(pos)
            elif kind == "(":
                self.i += 1
                args = self.sequence(")", self.expr)
                node = E.Apply(node, tuple(args)).with_pos(pos)
            else:
                return node

    def macro(self, name: str, pos) -> E.Expr:
        """A standard macro call ``name(data, ...)``; ``data`` may be a zip, as in for."""
        self.i += 1
        iters = self.iterators()
        func = None
        if MACRO_ARITY[name] == 2:
            self.expect(",", f"',' in {name}(data, function)")
            func = self.expr()
        self.expect(")", f"')' closing {name}(...)")
        return expand_macro(name, iters, func, self.fresh, pos)

    def fresh(self, base: str) -> str:
        """A name used nowhere in the text, for variables a macro introduces."""
        if self._used is None:
            self._used = {v for k, v in zip(self.kinds, self.values, strict=True)
                          if k == "ident"}
        while True:
            self._fresh += 1
            name = f"{base}__{self._fresh}"
            if name not in self._used:
                return name

    # -- leaves ---------------------------------------------------------------------------
    def leaf(self) -> E.Expr:
        pos = self.positions[self.i]
        annotations = self.annotations() if self.kinds[self.i] == "@" else ()
        kind = self.kinds[self.i]
        handler = _LEAVES.get(kind)
        if handler is not None:
            node = handler(self)
        elif kind in _CALLS:
            node = self.call(kind)
        elif kind in ("iter", "rangeiter", "zip"):
            self.fail(f"an expression ('{kind}' is only allowed as the iterator of a for)")
        else:
            self.fail("an expression")
        if annotations:
            node = dataclasses.replace(node, annotations=annotations + node.annotations)
            node.with_pos(pos)
        return node

    def call(self, kind: str) -> E.Expr:
        pos = self.positions[self.i]
        self.i += 1
        arity, build = _CALLS[kind]
        return build(*self.args(arity, f"'{kind}'")).with_pos(pos)

    def number(self, negative_pos=None) -> E.Literal:
        pos = negative_pos or self.positions[self.i]
        value = self.values[self.i]
        if self.kinds[self.i] == "int":
            magnitude, kind = value
            number = -magnitude if negative_pos else magnitude
            lo, hi = _INT_RANGES[kind]
            if not lo <= number <= hi:
                sign = "-" if negative_pos else ""
                raise WeldSyntaxError(
                    f"literal {sign}{self.texts[self.i]} is out of range for {kind.value} "
                    f"({lo} to {hi})", *pos)
        else:
            kind, number = value
            number = -number if negative_pos else number
        self.i += 1
        return E.Literal(kind, number).with_pos(pos)

    def minus(self) -> E.Expr:
        pos = self.positions[self.i]
        self.i += 1
        if self.kinds[self.i] in ("int", "float"):
            return self.number(pos)
        return E.UnaryOp(UnaryKind.NEG, self.leaf()).with_pos(pos)

    def bang(self) -> E.Expr:
        pos = self.positions[self.i]
        self.i += 1
        return E.UnaryOp(UnaryKind.NOT, self.leaf()).with_pos(pos)

    def simple(self) -> E.Expr:
        """A one-token leaf: bool, string or identifier."""
        kind, value, pos = self.kinds[self.i], self.values[self.i], self.positions[self.i]
        self.i += 1
        if kind == "boolean":
            return E.Literal(ScalarKind.BOOL, value).with_pos(pos)
        if kind == "str":
            return E.StringLit(value).with_pos(pos)
        return E.Ident(value).with_pos(pos)

    def paren(self) -> E.Expr:
        self.i += 1
        node = self.expr()
        self.expect(")", "')'")
        return node

    def vector(self) -> E.Expr:
        pos = self.positions[self.i]
        self.i += 1
        return E.MakeVector(tuple(self.sequence("]", self.expr))).with_pos(pos)

    def struct(self) -> E.Expr:
        pos = self.positions[self.i]
        self.i += 1
        return E.MakeStruct(tuple(self.sequence("}", self.expr))).with_pos(pos)

    def cudf(self) -> E.Expr:
        pos = self.positions[self.i]
        self.i += 1
        self.expect("[", "'[' after cudf")
        name = self.name()
        self.expect(",", "',' after the cudf name")
        ty = self.type_()
        self.expect("]", "']' after the cudf return type")
        self.expect("(", "'(' before the cudf arguments")
        return E.CUDF(name, ty, tuple(self.sequence(")", self.expr))).with_pos(pos)

    def for_(self) -> E.Expr:
        pos = self.positions[self.i]
        self.i += 1
        self.expect("(", "'(' after for")
        iters = self.iterators()
        self.expect(",", "',' after the iterator of for")
        builder = self.expr()
        self.expect(",", "',' after the builder of for")
        func = self.expr()
        self.expect(")", "')' closing for")
        return E.For(tuple(iters), builder, func).with_pos(pos)

    def iterators(self) -> list[E.Iter]:
        """A for's source: ``zip(it, ...)`` or one iterator."""
        if self.kinds[self.i] != "zip":
            return [self.iterator()]
        self.i += 1
        self.expect("(", "'(' after zip")
        iters = self.sequence(")", self.iterator)
        if not iters:
            self.fail("at least one iterator in zip", self.i - 1)
        return iters

    def iterator(self) -> E.Iter:
        pos = self.positions[self.i]
        annotations = ()
        if self.kinds[self.i] == "@" and self._annotates_iterator():
            annotations = self.annotations()
        kind = self.kinds[self.i]
        if kind == "rangeiter":
            self.i += 1
            start, end, stride = self.args(3, "'rangeiter'")
            return E.Iter(IterKind.RANGE, None, start, end, stride,
                          annotations=annotations).with_pos(pos)
        if kind != "iter":
            return E.Iter(IterKind.SCALAR, self.expr()).with_pos(pos)
        self.i += 1
        self.expect("(", "'(' after iter")
        data = self.expr()
        bounds = [None, None, None]
        if self.kinds[self.i] == ",":
            for k in range(3):
                self.expect(",", "',' in iter(data, start, end, stride)")
                bounds[k] = self.expr()
        self.expect(")", "')' closing iter")
        return E.Iter(IterKind.SCALAR, data, *bounds, annotations=annotations).with_pos(pos)

    def _annotates_iterator(self) -> bool:
        """Whether the annotation group at the cursor is followed by iter or rangeiter."""
        j = self.i + 1
        while self.kinds[j] not in (")", "eof"):
            j += 1
        return self.kinds[j] == ")" and self.kinds[j + 1] in ("iter", "rangeiter")

    def builder(self) -> E.Expr:
        pos = self.positions[self.i]
        word = self.kinds[self.i]
        self.i += 1
        if word == "appender" and self.kinds[self.i] != "[":
            ty = T.Appender(None)
        else:
            ty = self.type_arguments(word)
        arg = None
        if self.kinds[self.i] == "(":
            self.i += 1
            arg = self.expr()
            self.expect(")", f"')' closing the {word} argument")
        return E.NewBuilder(ty, arg).with_pos(pos)

_LEAVES = {
    "int": _Parser.number, "float": _Parser.number, "boolean": _Parser.simple,
    "str": _Parser.simple, "ident": _Parser.simple, "-": _Parser.minus, "!": _Parser.bang,
    "(": _Parser.paren, "[": _Parser.vector, "{": _Parser.struct, "cudf": _Parser.cudf,
    "for": _Parser.for_, "appender": _Parser.builder, "merger": _Parser.builder,
    "vecmerger": _Parser.builder, "dictmerger": _Parser.builder, "groupmerger": _Parser.builder,
}
