"""Lowering of names, lets, lambdas and control flow: Ident, Let, Lambda, Apply, Ascribe,
If (one branch runs), Select (both run), Iterate, Assert, CUDF.
"""

from __future__ import annotations

import llvmlite.binding as llvm
from llvmlite import ir

from weldpy.backends.llvm.codegen import RULES, Codegen, LambdaValue
from weldpy.backends.llvm.layout import I1, PTR, mem_type, value_type
from weldpy.errors import WeldUnsupportedError
from weldpy.ir import exprs as E
from weldpy.ir import udf


def _ident(cg: Codegen, node: E.Ident):
    return cg.lookup(node.name)


def _let(cg: Codegen, node: E.Let):
    # a chain of lets is walked in a loop, so long programs do not nest Python frames
    names = []
    while isinstance(node, E.Let):
        cg.bind(node.name, cg.lower(node.value))
        names.append(node.name)
        node = node.body
    try:
        return cg.lower(node)
    finally:
        for name in reversed(names):
            cg.unbind(name)


def _lambda(cg: Codegen, node: E.Lambda):
    return LambdaValue(node, cg.snapshot())


def _apply(cg: Codegen, node: E.Apply):
    fn = cg.lower(node.func)
    return cg.apply(fn, [cg.lower(a) for a in node.args])


def _if(cg: Codegen, node: E.If):
    b = cg.builder
    cond = cg.lower(node.cond)
    then_bb, else_bb = b.append_basic_block("then"), b.append_basic_block("else")
    done = b.append_basic_block("endif")
    b.cbranch(cond, then_bb, else_bb)
    incoming = []
    for block, branch in ((then_bb, node.on_true), (else_bb, node.on_false)):
        b.position_at_end(block)
        incoming.append((cg.lower(branch), b.block))
        b.branch(done)
    b.position_at_end(done)
    phi = b.phi(value_type(node.ty))
    for value, block in incoming:
        phi.add_incoming(value, block)
    return phi


def _select(cg: Codegen, node: E.Select):
    cond = cg.lower(node.cond)
    on_true, on_false = cg.lower(node.on_true), cg.lower(node.on_false)
    return cg.builder.select(cond, on_true, on_false)


def _iterate(cg: Codegen, node: E.Iterate):
    """``x = initial; repeat (x, go) = update(x) while go``; the value is the last x."""
    b = cg.builder
    initial = cg.lower(node.initial)
    update = cg.lower(node.update)
    start = b.block
    loop, done = b.append_basic_block("iterate"), b.append_basic_block("iterate.done")
    b.branch(loop)
    b.position_at_end(loop)
    state = b.phi(value_type(node.ty))
    state.add_incoming(initial, start)
    pair = cg.apply(update, [state])
    new = cg.from_mem(node.ty, b.extract_value(pair, 0))
    go = b.trunc(b.extract_value(pair, 1), I1)
    state.add_incoming(new, b.block)
    b.cbranch(go, loop, done)
    b.position_at_end(done)
    return new


def _assert(cg: Codegen, node: E.Assert):
    cond = cg.lower(node.cond)
    cg.check(cond, "runtime", "assertion failed", node)
    return ir.Constant(I1, 1)


def _ascribe(cg: Codegen, node: E.Ascribe):
    return cg.lower(node.value)


def _cudf(cg: Codegen, node: E.CUDF):
    """A call of a registered native function by symbol: arguments by pointer to their
    memory form, the result written through a last pointer (Weld's convention)."""
    address = udf.native_address(node.name)
    if address is None:
        raise WeldUnsupportedError(
            f"llvm backend: cudf[{node.name}] has no native implementation; register one "
            f"with weldpy.ir.udf.register(name, native=address)")
    symbol = f"weldpy_udf_{node.name}"
    llvm.add_symbol(symbol, address)
    b = cg.builder
    slots = []
    for arg in node.args:
        slot = cg.entry_alloca(mem_type(arg.ty))
        cg.store(arg.ty, cg.lower(arg), slot)
        slots.append(slot)
    out = cg.entry_alloca(mem_type(node.return_type))
    fn = cg.declare(symbol, ir.VoidType(), [PTR] * (len(slots) + 1))
    b.call(fn, [*slots, out])
    return cg.load(node.return_type, out)


RULES.update({
    E.Ident: _ident, E.Let: _let, E.Lambda: _lambda, E.Apply: _apply, E.If: _if,
    E.Select: _select, E.Iterate: _iterate, E.Assert: _assert, E.Ascribe: _ascribe,
    E.CUDF: _cudf,
})
