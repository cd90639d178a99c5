"""Printer of expression trees and types as IR text that ``weldpy.ir.parser`` reads back.

``parse(pretty(e)) == e`` for every node, typed or untyped: binary operators are fully
parenthesised, lambda parameters and builders carry every type that is known, an empty vector
with a known element type prints as ``([]: vec[T])``, literals keep their kind suffix. Names are
printed as they are (``weldpy.ir.alpha.canonical`` renames). Printing is iterative: each node
expands into a list of text pieces and child nodes on an explicit stack, so 50,000-node let
chains and 10,000-deep nests print without recursion.
"""

from __future__ import annotations

import math
import re
import struct

import numpy as np

from weldpy.ir import exprs as E
from weldpy.ir import types as T
from weldpy.ir.exprs import IterKind
from weldpy.ir.lexer import tokenize
from weldpy.ir.types import ScalarKind

_SUFFIX = {
    ScalarKind.I8: "C", ScalarKind.I16: "si", ScalarKind.I32: "", ScalarKind.I64: "L",
    ScalarKind.U8: "ub", ScalarKind.U16: "us", ScalarKind.U32: "u", ScalarKind.U64: "ul",
}
_BARE = re.compile(r"-?[0-9A-Za-z_$][0-9A-Za-z_$.+-]*")
_FUNCTION_STYLE = {
    E.Length: "len", E.ToVec: "tovec", E.Result: "result", E.Assert: "assert",
    E.Lookup: "lookup", E.OptLookup: "optlookup", E.KeyExists: "keyexists", E.Merge: "merge",
    E.Sort: "sort", E.Iterate: "iterate", E.If: "if", E.Select: "select", E.Slice: "slice",
}
# Nodes that the parser reads as a leaf only inside parentheses.
_WRAPPED_WHEN_ANNOTATED = (E.GetField, E.Apply, E.Let, E.Lambda)


def pretty(expr: E.Expr) -> str:
    """IR text for ``expr`` that parses back to an equal node.

    Examples
    --------
    >>> from weldpy.ir.parser import parse
    >>> pretty(parse("let x = 1L; x + 2L"))
    'let x = 1L;\\n(x + 2L)'
    """
    out: list[str] = []
    stack: list = [expr]
    while stack:
        item = stack.pop()
        if type(item) is str:
            out.append(item)
        else:
            stack.extend(reversed(_pieces(item)))
    return "".join(out)


def _pieces(node) -> list:
    body = _RULES[type(node)](node)
    if not node.annotations:
        return body
    prefix = "@(" + ", ".join(f"{k}: {_annotation_value(v)}" for k, v in node.annotations) + ")"
    if isinstance(node, _WRAPPED_WHEN_ANNOTATED):
        return [prefix, "(", *body, ")"]
    return [prefix, *body]


def _annotation_value(value: str) -> str:
    """Bare when the text reads back as one identifier or (signed) number token, else quoted."""
    if _BARE.fullmatch(value):
        try:
            kinds = tokenize(value.removeprefix("-")).kinds
        except SyntaxError:
            kinds = []
        if len(kinds) == 2 and kinds[0] in (("int", "float") if value[0] == "-" else
                                            ("int", "float", "ident")):
            return value
    return _string(value.encode("utf-8"))


def _operand(node: E.Expr) -> list:
    """``node`` where the grammar wants an operator expression (no bare let or lambda)."""
    if isinstance(node, (E.Let, E.Lambda)) and not node.annotations:
        return ["(", node, ")"]
    return [node]


def _joined(nodes, sep: str = ", ") -> list:
    out: list = []
    for k, node in enumerate(nodes):
        if k:
            out.append(sep)
        out.append(node)
    return out


def _call(name: str, args) -> list:
    return [name + "(", *_joined(args), ")"]


def _literal(node: E.Literal) -> list:
    kind, value = node.kind, node.value
    if kind is ScalarKind.BOOL:
        return ["true" if value else "false"]
    if kind.is_float:
        return [_float_text(value, kind is ScalarKind.F32)]
    return [f"{int(value)}{_SUFFIX[kind]}"]


def _float_text(value: float, f32: bool) -> str:
    suffix = "F" if f32 else ""
    if math.isnan(value):
        negative = struct.pack("<d", value)[7] & 0x80
        return ("-" if negative else "") + "nan" + suffix
    if math.isinf(value):
        return ("-" if value < 0 else "") + "inf" + suffix
    text = str(np.float32(value)) if f32 else repr(float(value))
    if "." not in text and "e" not in text:
        text += ".0"
    return text + suffix


def _string(data: bytes) -> str:
    out = ['"']
    for byte in data:
        char = chr(byte)
        if char in '\\"':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif 0x20 <= byte < 0x7F:
            out.append(char)
        else:
            out.append(f"\\x{byte:02x}")
    out.append('"')
    return "".join(out)


def _param(param: E.Param) -> str:
    return param.name if param.ty is None else f"{param.name}: {pretty_type(param.ty)}"


def _lambda(node: E.Lambda) -> list:
    if not node.params:
        return ["|| ", node.body]
    return ["|" + ", ".join(_param(p) for p in node.params) + "| ", node.body]


def _ascribe(node: E.Ascribe) -> list:
    value = node.value
    if isinstance(value, E.MakeVector) and not value.elems and value.elem_type is None:
        # A bare `[]: vec[T]` would read back as a typed empty vector, not an ascription.
        return ["((", value, "): " + pretty_type(node.type_) + ")"]
    return ["(", *_operand(value), ": " + pretty_type(node.type_) + ")"]


def _unary(node: E.UnaryOp) -> list:
    return [node.op.value + "(", node.value, ")"]


def _binop(node: E.BinOp) -> list:
    if node.op in E.FUNCTION_BINKINDS:
        return _call(node.op.value, (node.left, node.right))
    return ["(", *_operand(node.left), f" {node.op.value} ", *_operand(node.right), ")"]


def _apply(node: E.Apply) -> list:
    func = node.func
    # `appender(x)` would read back as a builder with a size hint, not a call of a builder.
    bare_builder = isinstance(func, E.NewBuilder) and func.arg is None
    head = ["(", func, ")"] if bare_builder else _operand(func)
    return [*head, "(", *_joined(node.args), ")"]


def _vector(node: E.MakeVector) -> list:
    if not node.elems and node.elem_type is not None:
        return ["([]: vec[" + pretty_type(node.elem_type) + "])"]
    return ["[", *_joined(node.elems), "]"]


def _iter(node: E.Iter) -> list:
    bounds = [b for b in (node.start, node.end, node.stride) if b is not None]
    if node.kind is IterKind.RANGE:
        return _call("rangeiter", bounds)
    if bounds or node.annotations:
        return _call("iter", [node.data, *bounds])
    return [node.data]


def _for(node: E.For) -> list:
    iters = [node.iters[0]] if len(node.iters) == 1 else ["zip(", *_joined(node.iters), ")"]
    return ["for(", *iters, ", ", node.builder, ", ", node.func, ")"]


def _builder(node: E.NewBuilder) -> list:
    ty = node.type_
    text = "appender" if isinstance(ty, T.Appender) and ty.elem is None else pretty_type(ty)
    return [text] if node.arg is None else [text + "(", node.arg, ")"]


_RULES = {
    E.Literal: _literal,
    E.StringLit: lambda n: [_string(n.value)],
    E.Ident: lambda n: [n.name],
    E.Lambda: _lambda,
    E.Let: lambda n: ["let " + n.name + " = ", *_operand(n.value), ";\n", n.body],
    E.Ascribe: _ascribe,
    E.UnaryOp: _unary,
    E.BinOp: _binop,
    E.Cast: lambda n: [n.kind.value + "(", n.value, ")"],
    E.MakeStruct: lambda n: ["{", *_joined(n.elems), "}"],
    E.GetField: lambda n: [*_operand(n.value), f".${n.index}"],
    E.MakeVector: _vector,
    E.Apply: _apply,
    E.Iter: _iter,
    E.For: _for,
    E.NewBuilder: _builder,
    E.CUDF: lambda n: [f"cudf[{n.name}, {pretty_type(n.return_type)}](", *_joined(n.args), ")"],
}
_RULES.update({cls: (lambda n, _name=name: _call(_name, E.node_children(n)))
               for cls, name in _FUNCTION_STYLE.items()})


def pretty_type(ty: T.Type | None) -> str:
    """Weld's spelling of a type: ``vec[i32]``, ``{i32, f64}``, ``merger[f64, +]``; ``?`` for
    a component left unknown."""
    if ty is None:
        return "?"
    rule = _TYPE_RULES.get(type(ty))
    if rule is None:
        raise TypeError(f"pretty_type: not an IR type: {ty!r}")
    return rule(ty)


def _bracketed(name: str, *parts) -> str:
    return name + "[" + ", ".join(p if isinstance(p, str) else pretty_type(p) for p in parts) + "]"


_TYPE_RULES = {
    T.Scalar: lambda t: t.kind.value,
    T.Vec: lambda t: _bracketed("vec", t.elem),
    T.Dict: lambda t: _bracketed("dict", t.key, t.value),
    T.Struct: lambda t: "{" + ", ".join(pretty_type(f) for f in t.fields) + "}",
    T.Function: lambda t: "|" + ", ".join(pretty_type(p) for p in t.params) + "| "
    + pretty_type(t.result),
    T.Appender: lambda t: _bracketed("appender", t.elem),
    T.Merger: lambda t: _bracketed("merger", t.elem, t.op.value),
    T.VecMerger: lambda t: _bracketed("vecmerger", t.elem, t.op.value),
    T.DictMerger: lambda t: _bracketed("dictmerger", t.key, t.value, t.op.value),
    T.GroupMerger: lambda t: _bracketed("groupmerger", t.key, t.value),
}
