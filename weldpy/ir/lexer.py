"""Tokeniser of IR text (IR.md "Syntax"): text in, a ``Tokens`` table out.

One compiled regular expression splits the text; numbers are scanned whole (``1.5e-3F``,
``0xffL``, ``7ub``) and then classified, so a malformed literal is one error, not two tokens.
Integer literals keep their magnitude unchecked: whether ``2147483648`` fits an i32 depends on a
minus sign in front of it, which the parser sees. Float literals are rounded to their kind here
(f32 via float32).
"""

from __future__ import annotations

import re

import numpy as np

from weldpy.errors import WeldSyntaxError
from weldpy.ir.types import ScalarKind

# Weld's keywords plus IR.md's extensions; every word here is a token kind of its own.
KEYWORDS = frozenset(
    "if for zip len lookup optlookup keyexists slice sort exp sin cos tan asin acos atan sinh "
    "cosh tanh log erf sqrt select assert iterate cudf iter rangeiter merge result let true false "
    "i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 bool vec dict appender merger vecmerger dictmerger "
    "groupmerger tovec min max pow floor ceil trunc rint abs sign log1p expm1 log2 log10 exp2 "
    "cbrt atan2 hypot isnan isinf isfinite compare nan inf".split()
)
_OUT_OF_SCOPE = {
    "simd": "simd vectors are out of scope (vectorisation is LLVM's job)",
    "simditer": "simditer is out of scope (vectorisation is LLVM's job)",
    "fringeiter": "fringeiter is out of scope (vectorisation is LLVM's job)",
    "nditer": "nditer is out of scope",
    "broadcast": "broadcast is out of scope",
    "serialize": "serialize is out of scope",
    "deserialize": "deserialize is out of scope",
    "macro": "macros are out of scope",
    "type": "type aliases are out of scope",
}
_SPECIAL_FLOATS = {
    "nan": (ScalarKind.F64, float("nan")), "inf": (ScalarKind.F64, float("inf")),
    "nanF": (ScalarKind.F32, float("nan")), "infF": (ScalarKind.F32, float("inf")),
    "nanf": (ScalarKind.F32, float("nan")), "inff": (ScalarKind.F32, float("inf")),
}

_TOKEN = re.compile(
    r"""
    (?P<ws>[ \t\r\f\v]+|\#[^\n]*)
   |(?P<nl>\n)
   |(?P<num>0[xX][0-9A-Za-z_$]*|[0-9](?:[0-9A-Za-z_$]|\.[0-9]|(?<=[eE])[+-](?=[0-9]))*)
   |(?P<name>[A-Za-z_$][A-Za-z0-9_$]*)
   |(?P<str>"(?:[^"\\]|\\.)*"?)
   |(?P<op><<|>>|==|!=|<=|>=|&&|\|\||[-+*/%,=()\[\]{}@&.:;?!|^<>])
   |(?P<bad>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_INT = re.compile(
    r"(?:0[xX](?P<hex>[0-9a-fA-F]+)|0b(?P<bin>[01]+)|(?P<dec>[0-9]+))(?P<suffix>ul|ub|us|si|[ulLcC])?"
)
_FLOAT = re.compile(r"(?P<body>[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)(?P<f32>[fF])?")
INT_SUFFIXES = {
    None: ScalarKind.I32, "l": ScalarKind.I64, "L": ScalarKind.I64, "c": ScalarKind.I8,
    "C": ScalarKind.I8, "si": ScalarKind.I16, "ub": ScalarKind.U8, "us": ScalarKind.U16,
    "u": ScalarKind.U32, "ul": ScalarKind.U64,
}
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|.)", re.DOTALL)
_SIMPLE_ESCAPES = {"\\": b"\\", '"': b'"', "n": b"\n", "t": b"\t"}


class Tokens:
    """Parallel lists: ``kinds`` (keyword/punctuation text, or 'ident' 'int' 'float' 'boolean' 'str'
    'eof'), ``values`` (name, (magnitude, kind), (float, kind), bool or bytes), ``texts`` (source
    text) and ``positions`` ((line, column), 1-based). The last token is 'eof'."""

    __slots__ = ("kinds", "values", "texts", "positions")

    def __init__(self):
        self.kinds: list[str] = []
        self.values: list[object] = []
        self.texts: list[str] = []
        self.positions: list[tuple[int, int]] = []


def round_f32(value: float) -> float:
    """``value`` rounded to the nearest float32 (overflow gives inf, as a float32 literal)."""
    with np.errstate(over="ignore"):
        return float(np.float32(value))


def tokenize(text: str) -> Tokens:
    """Split ``text`` into tokens; raises WeldSyntaxError with line and column."""
    toks = Tokens()
    kinds, values, texts, positions = toks.kinds, toks.values, toks.texts, toks.positions
    line, line_start = 1, 0
    for m in _TOKEN.finditer(text):
        group = m.lastgroup
        if group == "ws":
            continue
        start = m.start()
        if group == "nl":
            line, line_start = line + 1, start + 1
            continue
        word = m.group()
        pos = (line, start - line_start + 1)
        if group == "op":
            kind, value = word, word
        elif group == "name":
            kind, value = _classify_name(word, pos)
        elif group == "num":
            kind, value = _classify_number(word, pos)
        elif group == "str":
            kind, value = "str", _decode_string(word, pos)
            newlines = word.count("\n")
            if newlines:
                line, line_start = line + newlines, start + word.rindex("\n") + 1
        else:
            raise WeldSyntaxError(f"unexpected character {word!r}", *pos)
        kinds.append(kind)
        values.append(value)
        texts.append(word)
        positions.append(pos)
    kinds.append("eof")
    values.append(None)
    texts.append("")
    positions.append((line, len(text) - line_start + 1))
    return toks


def _classify_name(word: str, pos) -> tuple[str, object]:
    if word in KEYWORDS:
        if word in _SPECIAL_FLOATS:
            return "float", _SPECIAL_FLOATS[word]
        if word in ("true", "false"):
            return "boolean", word == "true"
        return word, word
    if word in _SPECIAL_FLOATS:
        return "float", _SPECIAL_FLOATS[word]
    if word in _OUT_OF_SCOPE:
        raise WeldSyntaxError(_OUT_OF_SCOPE[word], *pos)
    return "ident", word


def _classify_number(word: str, pos) -> tuple[str, object]:
    if word.isdigit():
        return "int", (int(word), ScalarKind.I32)
    m = _INT.fullmatch(word)
    if m is not None:
        digits, base = m.group("dec"), 10
        if m.group("hex") is not None:
            digits, base = m.group("hex"), 16
        elif m.group("bin") is not None:
            digits, base = m.group("bin"), 2
        return "int", (int(digits, base), INT_SUFFIXES[m.group("suffix")])
    m = _FLOAT.fullmatch(word)
    if m is not None:
        value = float(m.group("body"))
        if m.group("f32"):
            return "float", (ScalarKind.F32, round_f32(value))
        return "float", (ScalarKind.F64, value)
    raise WeldSyntaxError(f"invalid numeric literal {word!r}", *pos)


def _decode_string(word: str, pos) -> bytes:
    if len(word) < 2 or not word.endswith('"') or _ends_in_escape(word):
        raise WeldSyntaxError("unterminated string literal", *pos)
    body = word[1:-1]
    out = bytearray()
    last = 0
    for m in _ESCAPE.finditer(body):
        out += body[last:m.start()].encode("utf-8")
        esc = m.group(1)
        if esc[0] == "x" and len(esc) == 3:
            out.append(int(esc[1:], 16))
        elif esc in _SIMPLE_ESCAPES:
            out += _SIMPLE_ESCAPES[esc]
        else:
            raise WeldSyntaxError(
                f"invalid escape '\\{esc}' in string literal "
                "(allowed: \\\\ \\\" \\n \\t \\xHH)", *pos
            )
        last = m.end()
    out += body[last:].encode("utf-8")
    return bytes(out)


def _ends_in_escape(word: str) -> bool:
    """True when the closing quote is escaped (an odd run of backslashes before it)."""
    run = len(word) - 1 - len(word[:-1].rstrip("\\"))
    return run % 2 == 1
