"""Reading through lets of copies and of structs of copies: the tidy-up after fusion.

Fusion hands a large loop body its new element by a ``let`` (constant time, as a long chain
needs) and canonical iterators do the same, so a fused body is a chain of

    let z1 = {x.$0, x.$1, x.$2};  let y = z1;  ... y.$2 ... z1.$0 ...

``unpack(node)`` reads each such name's fields where they are read (``y.$2`` is ``x.$2``) and
drops the ``let``s left unread: a program a third of the size for every later pass, the
type checker and LLVM. A *copy* is a name, a literal or a field of a name; a ``let`` bound
to a copy, or to a struct literal of copies, is read through (a struct still read whole
keeps its ``let``, as does one whose copies a name bound in between shadows). One walk,
linear in the program (recursive, on a deep stack). Types are kept: every node it puts in
place of another has that node's type.
"""

from __future__ import annotations

from weldpy.deepstack import call_deep
from weldpy.ir import exprs as E
from weldpy.ir.traverse import children, rebuild


def unpack(node: E.Expr) -> E.Expr:
    """``node`` with lets of copies and of structs of copies read through (see above)."""
    return call_deep(_Unpack().visit, node)


def _is_copy(node: E.Expr) -> bool:
    if isinstance(node, E.GetField):
        node = node.value
    return isinstance(node, (E.Ident, E.Literal))


def _names(value: E.Expr | tuple) -> set[str]:
    parts = value if isinstance(value, tuple) else (value,)
    out = set()
    for part in parts:
        inner = part.value if isinstance(part, E.GetField) else part
        if isinstance(inner, E.Ident):
            out.add(inner.name)
    return out


class _Unpack:
    def __init__(self):
        # name -> (key of its let, what it reads as: a copy, or a tuple of field copies)
        self.env: dict[str, tuple[int, E.Expr | tuple]] = {}
        self.kept: set[int] = set()  # keys of lets still read: a struct read whole, or
        # a binding whose copies a name bound in between shadows
        self.readers: dict[str, list[str]] = {}  # name -> names whose copies read it (or did)

    def visit(self, node: E.Node) -> E.Node:
        if isinstance(node, E.Ident):
            return self._ident(node)
        if isinstance(node, E.GetField) and isinstance(node.value, E.Ident):
            bound = self.env.get(node.value.name)
            if bound is not None:
                value = bound[1]
                if isinstance(value, tuple):
                    return value[node.index]
                out = E.GetField(value, node.index, annotations=node.annotations)
                return out.with_type(node.ty) if node.ty is not None else out
            return node
        if isinstance(node, E.Let):
            return self._let(node)
        if isinstance(node, E.Lambda):
            saved = self._enter([p.name for p in node.params], None, 0)
            body = self.visit(node.body)
            self._leave(saved)
            return rebuild(node, [body])
        return rebuild(node, [self.visit(kid) for kid in children(node)])

    def _ident(self, node: E.Ident) -> E.Expr:
        bound = self.env.get(node.name)
        if bound is None:
            return node
        key, value = bound
        if isinstance(value, tuple):
            self.kept.add(key)
            return node
        return value

    def _let(self, node: E.Let) -> E.Expr:
        value = node.value
        reads: E.Expr | tuple | None = None
        if isinstance(value, E.Ident) and isinstance(self.env.get(value.name, (0, None))[1],
                                                     tuple):
            reads = self.env[value.name][1]  # another name for a struct of copies
        else:
            value = self.visit(value)
            if _is_copy(value):
                reads = value
            elif isinstance(value, E.MakeStruct) and all(map(_is_copy, value.elems)):
                reads = value.elems
        key = id(node)
        saved = self._enter([node.name], reads, key)
        body = self.visit(node.body)
        self._leave(saved)
        if reads is None:
            return rebuild(node, [value, body])
        if key in self.kept:
            if value is node.value and isinstance(value, E.Ident):
                value = self.visit(value)  # (an alias of a struct read whole: read it)
            return rebuild(node, [value, body])
        return body

    def _enter(self, names: list[str], reads, key: int) -> list:
        """Bind ``names`` (to ``reads``, or shadowing: None); what to restore after."""
        saved = []
        for name in names:
            saved.append((name, self.env.get(name)))
            # a binding whose copies read an outer ``name`` would read this one here
            for other in self.readers.get(name, ()):
                bound = self.env.get(other)
                if other != name and bound is not None and name in _names(bound[1]):
                    saved.append((other, self.env.pop(other)))
                    self.kept.add(bound[0])
            if reads is None:
                self.env.pop(name, None)
            else:
                self.env[name] = (key, reads)
                for read in _names(reads):
                    self.readers.setdefault(read, []).append(name)
        return saved

    def _leave(self, saved: list) -> None:
        for name, before in reversed(saved):
            if before is None:
                self.env.pop(name, None)
            else:
                self.env[name] = before
