"""IR expression nodes: one immutable dataclass per construct of IR.md.

Nodes are structural values: ``==`` and ``hash`` look at the fields (floats by bit pattern, so
``0.0 != -0.0`` and a NaN literal equals itself), never at the type the checker attached or at
the source position, and both are computed iteratively with the hash cached on the node, so
programs of any depth compare and hash without recursion. Children are ``Expr`` or tuples of
``Expr``; edit with ``dataclasses.replace`` (which drops the attached type), never mutate.

After type checking (``weldpy.ir.typecheck``) every node's ``ty`` is set, every builder and
lambda parameter has a complete type, and every vector literal knows its element type.
"""

from __future__ import annotations

import enum
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass, field, fields

from weldpy.ir.types import BuilderType, ScalarKind, Type

Annotations = tuple[tuple[str, str], ...]
# a lookup a frontend built at an index in range by construction (a broadcast offset, a
# view's element, a checked index): the optimiser may move or copy it as one that cannot
# fail; generated code still checks it
INBOUNDS: Annotations = (("inbounds", "true"),)


class UnaryKind(enum.Enum):
    """Unary operators and one-argument math functions; the value is the IR spelling."""

    NEG = "-"
    NOT = "!"
    EXP = "exp"
    LOG = "log"
    SQRT = "sqrt"
    SIN = "sin"
    COS = "cos"
    TAN = "tan"
    ASIN = "asin"
    ACOS = "acos"
    ATAN = "atan"
    SINH = "sinh"
    COSH = "cosh"
    TANH = "tanh"
    ERF = "erf"
    FLOOR = "floor"
    CEIL = "ceil"
    TRUNC = "trunc"
    RINT = "rint"
    ABS = "abs"
    SIGN = "sign"
    LOG1P = "log1p"
    EXPM1 = "expm1"
    LOG2 = "log2"
    LOG10 = "log10"
    EXP2 = "exp2"
    CBRT = "cbrt"
    ISNAN = "isnan"
    ISINF = "isinf"
    ISFINITE = "isfinite"


class BinKind(enum.Enum):
    """Binary operators and two-argument functions; the value is the IR spelling."""

    ADD = "+"
    SUB = "-"
    MUL = "*"
    DIV = "/"
    MOD = "%"
    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    LAND = "&&"
    LOR = "||"
    BAND = "&"
    BOR = "|"
    XOR = "^"
    SHL = "<<"
    SHR = ">>"
    MIN = "min"
    MAX = "max"
    POW = "pow"
    ATAN2 = "atan2"
    HYPOT = "hypot"
    COMPARE = "compare"


FUNCTION_BINKINDS = frozenset(
    {BinKind.MIN, BinKind.MAX, BinKind.POW, BinKind.ATAN2, BinKind.HYPOT, BinKind.COMPARE}
)
COMPARISON_BINKINDS = frozenset(
    {BinKind.EQ, BinKind.NE, BinKind.LT, BinKind.LE, BinKind.GT, BinKind.GE}
)


class IterKind(enum.Enum):
    SCALAR = "iter"
    RANGE = "rangeiter"


class Node:
    """Slots shared by every node: the checked type, source position and cached hash."""

    __slots__ = ("_ty", "_pos", "_hash")

    @property
    def ty(self) -> Type | None:
        """The type the checker attached (None before checking)."""
        return getattr(self, "_ty", None)

    @property
    def pos(self) -> tuple[int, int] | None:
        """(line, column) in the parsed text, or None for built nodes."""
        return getattr(self, "_pos", None)

    def with_type(self, ty: Type) -> Node:
        """Attach ``ty``; only for nodes just built (types are derived, never changed)."""
        object.__setattr__(self, "_ty", ty)
        return self

    def with_pos(self, pos: tuple[int, int] | None) -> Node:
        """Attach a source position; only for nodes just built."""
        object.__setattr__(self, "_pos", pos)
        return self

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Node):
            return NotImplemented
        return nodes_equal(self, other)

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self) -> int:
        h = getattr(self, "_hash", None)
        return h if h is not None else hash_node(self)

    def __str__(self) -> str:
        from weldpy.ir.printer import pretty

        return pretty(self)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self}>"


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Expr(Node):
    """Base class of expressions. ``annotations`` are Weld's ``@(key: value, ...)``."""

    annotations: Annotations = field(default=(), kw_only=True)


def _node(cls):
    return dataclass(frozen=True, slots=True, eq=False, repr=False)(cls)


@_node
class Literal(Expr):
    """A scalar literal; ``value`` is a Python bool, int or float (f32 values pre-rounded)."""

    kind: ScalarKind
    value: bool | int | float


@_node
class StringLit(Expr):
    """A string literal: a ``vec[i8]`` of the given bytes."""

    value: bytes


@_node
class Ident(Expr):
    name: str


@dataclass(frozen=True, slots=True)
class Param:
    """A lambda parameter: a name and its type (None where the text left it out)."""

    name: str
    ty: Type | None = None


@_node
class Lambda(Expr):
    params: tuple[Param, ...]
    body: Expr


@_node
class Let(Expr):
    name: str
    value: Expr
    body: Expr


@_node
class Ascribe(Expr):
    """``e: T``: the program says ``value`` has type ``type_``."""

    value: Expr
    type_: Type


@_node
class If(Expr):
    cond: Expr
    on_true: Expr
    on_false: Expr


@_node
class Select(Expr):
    cond: Expr
    on_true: Expr
    on_false: Expr


@_node
class UnaryOp(Expr):
    op: UnaryKind
    value: Expr


@_node
class BinOp(Expr):
    op: BinKind
    left: Expr
    right: Expr


@_node
class Cast(Expr):
    kind: ScalarKind
    value: Expr


@_node
class MakeStruct(Expr):
    elems: tuple[Expr, ...]


@_node
class GetField(Expr):
    value: Expr
    index: int


@_node
class MakeVector(Expr):
    """``[a, b, ...]``; ``elem_type`` is required in the text only when there are no elements
    (written ``[]: vec[T]``) and is filled in by the checker."""

    elems: tuple[Expr, ...]
    elem_type: Type | None = None


@_node
class Length(Expr):
    value: Expr


@_node
class Lookup(Expr):
    """``lookup(v, i64)`` on a vector or ``lookup(d, key)`` on a dictionary."""

    data: Expr
    index: Expr


@_node
class OptLookup(Expr):
    """``optlookup(d, key)``: ``{bool, V}``, the flag true when the key is present."""

    data: Expr
    key: Expr


@_node
class KeyExists(Expr):
    data: Expr
    key: Expr


@_node
class Slice(Expr):
    data: Expr
    index: Expr
    size: Expr


@_node
class Sort(Expr):
    """``sort(v, |a, b| cmp)``: stable, by a comparator returning i32."""

    data: Expr
    cmp: Expr


@_node
class ToVec(Expr):
    value: Expr


@_node
class Apply(Expr):
    func: Expr
    args: tuple[Expr, ...]


@_node
class Iter(Expr):
    """One iterator of a ``for``: ``v``, ``iter(v, start, end, stride)`` or
    ``rangeiter(start, end, stride)`` (``data`` is None for a range)."""

    kind: IterKind
    data: Expr | None
    start: Expr | None = None
    end: Expr | None = None
    stride: Expr | None = None


@_node
class For(Expr):
    """``for(iters, builder, |b, i, e| body)``; with several iterators (``zip``) the element
    is a struct of the iterators' elements."""

    iters: tuple[Iter, ...]
    builder: Expr
    func: Expr


@_node
class Merge(Expr):
    builder: Expr
    value: Expr


@_node
class Result(Expr):
    builder: Expr


@_node
class NewBuilder(Expr):
    """A new builder of type ``type_``; ``arg`` is the size hint, initial value or vector."""

    type_: BuilderType
    arg: Expr | None = None


@_node
class Iterate(Expr):
    """``iterate(initial, |x| {next, continue})``."""

    initial: Expr
    update: Expr


@_node
class CUDF(Expr):
    """``cudf[name, T](args)``: a call of a registered native function."""

    name: str
    return_type: Type
    args: tuple[Expr, ...]


@_node
class Assert(Expr):
    cond: Expr


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def field_names(cls: type) -> tuple[str, ...]:
    """The dataclass field names of a node class, annotations last (cached)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = tuple(f.name for f in fields(cls) if f.name != "annotations") + ("annotations",)
        _FIELD_NAMES[cls] = names
    return names


def _leaf_key(value):
    """A hashable key for a non-node field value, floats by bit pattern."""
    if isinstance(value, float):
        return ("f", struct.pack("<d", value))
    if isinstance(value, tuple):
        return tuple(_leaf_key(v) for v in value)
    if isinstance(value, bool):
        return ("b", value)
    return value


def nodes_equal(a: Node, b: Node) -> bool:
    """Structural equality, iterative."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if x is y:
            continue
        if type(x) is not type(y):
            return False
        hx, hy = getattr(x, "_hash", None), getattr(y, "_hash", None)
        if hx is not None and hy is not None and hx != hy:
            return False
        for name in field_names(type(x)):
            if not _push_or_compare(getattr(x, name), getattr(y, name), stack):
                return False
    return True


def _push_or_compare(u, v, stack) -> bool:
    if isinstance(u, Node):
        if not isinstance(v, Node):
            return False
        stack.append((u, v))
        return True
    if isinstance(u, tuple) and u and isinstance(u[0], Node):
        if not isinstance(v, tuple) or len(u) != len(v):
            return False
        stack.extend(zip(u, v, strict=True))
        return True
    return _leaf_key(u) == _leaf_key(v)


def hash_node(root: Node) -> int:
    """The structural hash of ``root``, computed iteratively and cached on every node."""
    stack = [root]
    while stack:
        node = stack[-1]
        if getattr(node, "_hash", None) is not None:
            stack.pop()
            continue
        pending = [c for c in node_children(node) if getattr(c, "_hash", None) is None]
        if pending:
            stack.extend(pending)
            continue
        stack.pop()
        key = [type(node).__name__]
        for name in field_names(type(node)):
            value = getattr(node, name)
            if isinstance(value, Node):
                key.append(value._hash)
            elif isinstance(value, tuple) and value and isinstance(value[0], Node):
                key.append(tuple(v._hash for v in value))
            else:
                key.append(_leaf_key(value))
        object.__setattr__(node, "_hash", hash(tuple(key)))
    return root._hash


_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}
_CHILD_TYPE = re.compile(r"\b(Expr|Iter)\b")


def child_fields(cls: type) -> tuple[str, ...]:
    """Names of the fields of ``cls`` that hold child nodes (an Expr, None or a tuple of Expr)."""
    names = _CHILD_FIELDS.get(cls)
    if names is None:
        names = tuple(
            f.name for f in fields(cls)
            if f.name != "annotations" and _CHILD_TYPE.search(str(f.type))
        )
        _CHILD_FIELDS[cls] = names
    return names


_CHILDREN: dict[type, Callable[[Node], list[Node]]] = {}


def node_children(node: Node) -> list[Node]:
    """The child nodes of ``node`` in field order (None children skipped)."""
    read = _CHILDREN.get(type(node))
    if read is None:
        read = _CHILDREN[type(node)] = _children_reader(type(node))
    return read(node)


_MAKERS: dict[type, Callable[[Node, list[Node]], Node]] = {}


def with_children(node: Node, kids: list[Node]) -> Node:
    """A new node like ``node`` (its other fields and annotations) with ``kids`` as its
    children, in ``node_children`` order (no type or position: ``traverse.rebuild``)."""
    make = _MAKERS.get(type(node))
    if make is None:
        make = _MAKERS[type(node)] = _children_maker(type(node))
    return make(node, kids)


def _children_maker(cls: type) -> Callable[[Node, list[Node]], Node]:
    """``with_children`` for ``cls``, written out per class as ``_children_reader``."""
    kinds = {f.name: str(f.type) for f in fields(cls)}
    lines = ["def make(n, k):", "    i = 0"]
    args = []
    children = set(child_fields(cls))
    for name in kinds:
        if name not in children:
            args.append(f"{name}=n.{name}")
        elif kinds[name].startswith("tuple"):
            lines.append(f"    m = len(n.{name}); v_{name} = tuple(k[i:i + m]); i += m")
            args.append(f"{name}=v_{name}")
        elif "None" in kinds[name]:
            lines.append(f"    v_{name} = None if n.{name} is None else k[i]; "
                         f"i += n.{name} is not None")
            args.append(f"{name}=v_{name}")
        else:
            lines.append(f"    v_{name} = k[i]; i += 1")
            args.append(f"{name}=v_{name}")
    lines.append(f"    return cls({', '.join(args)})")
    namespace: dict = {"cls": cls}
    exec("\n".join(lines), namespace)  # noqa: S102
    return namespace["make"]


def _children_reader(cls: type) -> Callable[[Node], list[Node]]:
    """A function reading ``cls``'s children: the hottest code of every walk, so written
    out per class (``[n.left, n.right]``), each field as its annotation allows."""
    kinds = {f.name: str(f.type) for f in fields(cls)}
    parts = []
    for name in child_fields(cls):
        if kinds[name].startswith("tuple"):
            parts.append(f"*n.{name}")
        elif "None" in kinds[name]:
            parts.append(f"*((n.{name},) if n.{name} is not None else ())")
        else:
            parts.append(f"n.{name}")
    namespace: dict = {}
    exec(f"def read(n):\n    return [{', '.join(parts)}]", namespace)  # noqa: S102
    return namespace["read"]
