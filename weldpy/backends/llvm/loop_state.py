"""A value carried around a generated loop (a builder), held in one phi per scalar field.

LLVM's loop vectoriser finds reductions only in scalar phis: a struct of builders carried in
one aggregate phi (``{merger[f64, +], merger[f64, max]}`` from horizontal fusion) hides both
reductions, and the loop stays scalar (measured: 90 ms against 5 ms over 20M f64). So the
value is split into its scalar leaves on the way in, one phi each, and rebuilt with
``insertvalue`` where the body reads it; LLVM folds the rebuilding away.
"""

from __future__ import annotations

from llvmlite import ir


class LoopState:
    """Create in the block that enters the loop, before its branch; ``enter`` in the loop's
    head gives the value, ``carry`` at the end of the body passes the next one."""

    def __init__(self, b: ir.IRBuilder, initial: ir.Value):
        self.b, self.type, self.pre = b, initial.type, b.block
        self.paths = _leaf_paths(initial.type)
        self.initial = [_read(b, initial, path) for path in self.paths]
        self.phis: list[ir.PhiInstr] = []

    def enter(self, name: str) -> ir.Value:
        """The phis (at the builder's position, the loop's head) and the value they make."""
        self.phis = [self.b.phi(v.type, name) for v in self.initial]
        for phi, value in zip(self.phis, self.initial, strict=True):
            phi.add_incoming(value, self.pre)
        if self.paths == [()]:
            return self.phis[0]
        value = ir.Constant(self.type, ir.Undefined)
        for phi, path in zip(self.phis, self.paths, strict=True):
            value = self.b.insert_value(value, phi, list(path))
        return value

    def carry(self, value: ir.Value) -> None:
        """``value`` (at the end of the body, before its branch back) for the next iteration."""
        block = self.b.block
        for phi, path in zip(self.phis, self.paths, strict=True):
            phi.add_incoming(_read(self.b, value, path), block)


def _leaf_paths(ty: ir.Type) -> list[tuple[int, ...]]:
    if isinstance(ty, ir.LiteralStructType):
        return [(k, *path) for k, field in enumerate(ty.elements) for path in _leaf_paths(field)]
    return [()]


def _read(b: ir.IRBuilder, value: ir.Value, path: tuple[int, ...]) -> ir.Value:
    return b.extract_value(value, list(path)) if path else value
