"""The code generator's core: a typed IR program -> one LLVM module with an entry function.

``lower_program(typed_lambda)`` builds ``void weld_main(ptr args, ptr result, ptr ctx)``:
``args`` points at the parameters laid out as a struct of memory types (``layout``),
``result`` at room for the result's memory type, ``ctx`` at the run context
(``runtime_ir``). A failing check (an index out of range, a division by zero ...) stores its
error site in the context and returns; the caller raises the site's error.

``Codegen.lower(node)`` dispatches on the node's class through ``RULES``, a table filled by
the ``rules_*`` modules (one rule per construct, STYLE.md). Lambdas are compile-time values
(``LambdaValue``): applying one, or running a loop body, inlines it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from llvmlite import ir

from weldpy.backends.llvm import runtime_ir
from weldpy.backends.llvm.layout import I1, I64, PTR, VOID, is_bool, mem_type, value_type
from weldpy.errors import WeldUnsupportedError
from weldpy.ir import exprs as E
from weldpy.ir import types as T

ENTRY = "weld_main"

# node class -> rule(cg, node) -> LLVM value (or LambdaValue); filled by the rules modules
RULES: dict[type, object] = {}


@dataclass(frozen=True)
class ErrorSite:
    """One runtime check of the program: which error it raises, and its message, in which
    ``{0}`` and ``{1}`` stand for the two details the generated code records."""

    kind: str  # "index", "zero_division", "value", "runtime"
    message: str


@dataclass
class LambdaValue:
    """A lambda at compile time: its node and the bindings it closed over."""

    node: E.Lambda
    env: dict


@dataclass
class Function:
    """Per generated function: its LLVM function, the block a failing check jumps to, the
    context pointer, and the entry block where allocas go."""

    fn: ir.Function
    ctx: ir.Value
    bail: ir.Block
    entry: ir.Block
    allocas: ir.IRBuilder = field(init=False)

    def __post_init__(self):
        self.allocas = ir.IRBuilder(self.entry)


class Codegen:
    """State of one program's code generation."""

    def __init__(self):
        self.module = ir.Module(name="weldpy")
        self.rt = runtime_ir.add_runtime(self.module)
        self.sites: list[ErrorSite] = []
        self.env: dict[str, list] = {}
        self.builder: ir.IRBuilder | None = None
        self.func: Function | None = None
        self.loop_depth = 0  # loops around the code being generated (0: top level)
        # ids of Merge nodes into appenders known to have room (``single_merges``)
        self.unchecked_merges: frozenset[int] = frozenset()
        self._declared: dict[str, ir.Function] = {}

    # --- expressions -------------------------------------------------------------------
    def lower(self, node: E.Node):
        rule = RULES.get(type(node))
        if rule is None:
            raise WeldUnsupportedError(
                f"llvm backend: no lowering rule for {type(node).__name__}")
        return rule(self, node)

    def bind(self, name: str, value) -> None:
        self.env.setdefault(name, []).append(value)

    def unbind(self, name: str) -> None:
        self.env[name].pop()

    def lookup(self, name: str):
        return self.env[name][-1]

    def snapshot(self) -> dict:
        """The current binding of every name (what a lambda closes over)."""
        return {k: v[-1] for k, v in self.env.items() if v}

    def apply(self, fn, args: list):
        """Inline the lambda value ``fn`` applied to LLVM values ``args``."""
        if not isinstance(fn, LambdaValue):
            raise WeldUnsupportedError("llvm backend: only lambdas can be called")
        saved = self.env
        self.env = {k: [v] for k, v in fn.env.items()}
        for param, arg in zip(fn.node.params, args, strict=True):
            self.bind(param.name, arg)
        try:
            return self.lower(fn.node.body)
        finally:
            self.env = saved

    # --- checks and errors --------------------------------------------------------------
    def site(self, kind: str, message: str, node: E.Node) -> int:
        from weldpy.errors import position_suffix

        self.sites.append(ErrorSite(kind, message + position_suffix(node.pos)))
        return len(self.sites)

    def check(self, ok: ir.Value, kind: str, message: str, node: E.Node,
              details: tuple = ()) -> None:
        """Continue when ``ok`` (i1) holds; else record the error and leave the function."""
        b = self.builder
        fail = b.append_basic_block("fail")
        cont = b.append_basic_block("ok")
        b.cbranch(ok, cont, fail)
        b.position_at_end(fail)
        self.set_error(self.site(kind, message, node), details)
        b.branch(self.func.bail)
        b.position_at_end(cont)

    def set_error(self, site: int, details: tuple = ()) -> None:
        b, ctx = self.builder, self.func.ctx
        b.store(ir.Constant(I64, site), runtime_ir.ctx_word(b, ctx, runtime_ir.ERROR))
        for i, d in enumerate(details[:2]):
            value = d if d.type == I64 else self.to_i64(d)
            b.store(value, runtime_ir.ctx_word(b, ctx, runtime_ir.DETAIL0 + i))

    def to_i64(self, v: ir.Value) -> ir.Value:
        if isinstance(v.type, ir.IntType):
            return self.builder.sext(v, I64) if v.type.width < 64 else v
        return self.builder.bitcast(self.builder.fpext(v, ir.DoubleType())
                                    if v.type == ir.FloatType() else v, I64)

    # --- memory ---------------------------------------------------------------------------
    def alloc(self, nbytes: ir.Value) -> ir.Value:
        """``nbytes`` of run-owned memory; leaves the function if allocation fails."""
        b = self.builder
        ptr = b.call(self.rt["weld_rt_alloc"], [self.func.ctx, nbytes])
        self._check_null(ptr)
        return ptr

    def array_bytes(self, count: ir.Value, item_size: int) -> ir.Value:
        """``count * item_size``, or an impossible size (allocation then fails with
        MemoryError) when the product overflows or ``count`` is negative."""
        b = self.builder
        mul = self.declare("llvm.umul.with.overflow.i64",
                           ir.LiteralStructType([I64, I1]), [I64, I64])
        product = b.call(mul, [count, ir.Constant(I64, item_size)])
        return b.select(b.extract_value(product, 1), ir.Constant(I64, -1),
                        b.extract_value(product, 0))

    def realloc(self, data: ir.Value, nbytes: ir.Value) -> ir.Value:
        b = self.builder
        ptr = b.call(self.rt["weld_rt_realloc"], [self.func.ctx, data, nbytes])
        self._check_null(ptr)
        return ptr

    def memcpy(self, dst: ir.Value, src: ir.Value, nbytes: ir.Value) -> None:
        fn = self.declare("llvm.memcpy.p0.p0.i64", VOID, [PTR, PTR, I64, I1])
        self.builder.call(fn, [dst, src, nbytes, ir.Constant(I1, 0)])

    def release(self, data: ir.Value) -> None:
        """Free run-owned memory now (take its block out of the run, then free it)."""
        b = self.builder
        b.call(self.rt["weld_rt_unlink"], [data])
        b.call(self.rt["weld_rt_free_block"], [b.gep(
            data, [ir.Constant(I64, -runtime_ir.HEADER)], source_etype=ir.IntType(8))])

    def _check_null(self, ptr):
        b = self.builder
        failed = b.icmp_unsigned("==", ptr, ir.Constant(PTR, None))
        cont = b.append_basic_block("allocated")
        b.cbranch(failed, self.func.bail, cont)
        b.position_at_end(cont)

    def counted_loop(self, n: ir.Value, body) -> None:
        """Emit ``for i in 0..n: body(i)`` (i64) at the builder's position; ``body`` may
        leave the function on its own."""
        runtime_ir.loop(self.builder, ir.Constant(I64, 0), n, body)

    def entry_alloca(self, ty: ir.Type) -> ir.Value:
        """A stack slot in the function's entry block (promotable to registers)."""
        a = self.func.allocas
        a.position_at_start(self.func.entry)
        slot = a.alloca(ty)
        slot.type = PTR  # llvmlite types an alloca's pointer; every pointer here is opaque
        return slot

    # --- memory <-> value ---------------------------------------------------------------
    def load(self, t: T.Type, ptr: ir.Value) -> ir.Value:
        v = self.builder.load(ptr, typ=mem_type(t))
        return self.builder.trunc(v, I1) if is_bool(t) else v

    def store(self, t: T.Type, value: ir.Value, ptr: ir.Value) -> None:
        self.builder.store(self.to_mem(t, value), ptr)

    def to_mem(self, t: T.Type, value: ir.Value) -> ir.Value:
        return self.builder.zext(value, mem_type(t)) if is_bool(t) else value

    def from_mem(self, t: T.Type, value: ir.Value) -> ir.Value:
        return self.builder.trunc(value, I1) if is_bool(t) else value

    def element_ptr(self, t: T.Type, data: ir.Value, index: ir.Value) -> ir.Value:
        return self.builder.gep(data, [index], inbounds=True, source_etype=mem_type(t))

    def declare(self, name: str, ret: ir.Type, args: list[ir.Type]) -> ir.Function:
        """An external function (libm, libc), declared once."""
        fn = self._declared.get(name) or self.module.globals.get(name)
        if fn is None:
            fn = ir.Function(self.module, ir.FunctionType(ret, args), name)
        self._declared[name] = fn
        return fn

    # --- functions ------------------------------------------------------------------------
    def begin_function(self, fn: ir.Function, ctx: ir.Value) -> Function:
        entry = fn.append_basic_block("entry")
        bail = fn.append_basic_block("bail")
        body = fn.append_basic_block("body")
        ir.IRBuilder(entry).branch(body)
        self.func = Function(fn, ctx, bail, entry)
        self.builder = ir.IRBuilder(body)
        return self.func


SITES = "weld_sites"
SITES_LEN = "weld_sites_len"


def _embed_sites(module: ir.Module, sites: list[ErrorSite]) -> None:
    """The error sites as JSON in the module, so a program loaded from the disk cache
    (without code generation) still knows what each failing check means."""
    raw = bytearray(json.dumps([[s.kind, s.message] for s in sites]).encode())
    data = ir.GlobalVariable(module, ir.ArrayType(ir.IntType(8), len(raw)), SITES)
    data.global_constant = True
    data.initializer = ir.Constant(data.value_type, raw)
    length = ir.GlobalVariable(module, I64, SITES_LEN)
    length.global_constant = True
    length.initializer = ir.Constant(I64, len(raw))


def read_sites(text: bytes) -> list[ErrorSite]:
    return [ErrorSite(kind, message) for kind, message in json.loads(text)]


def lower_program(typed: E.Lambda) -> str:
    """The LLVM IR text of ``typed``, with its error sites embedded."""
    cg = Codegen()
    entry = ir.Function(cg.module, ir.FunctionType(VOID, [PTR, PTR, PTR]), ENTRY)
    args, result, ctx = entry.args
    func = cg.begin_function(entry, ctx)
    ir.IRBuilder(func.bail).ret_void()
    params = T.Struct(tuple(p.ty for p in typed.params))
    for i, p in enumerate(typed.params):
        slot = cg.builder.gep(args, [ir.Constant(I64, 0), ir.Constant(ir.IntType(32), i)],
                              source_etype=value_type(params))
        from weldpy.backends.llvm.dicts import import_value  # dict params become tables

        cg.bind(p.name, import_value(cg, p.ty, cg.load(p.ty, slot)))
    value = cg.lower(typed.body)
    cg.store(typed.body.ty, value, result)
    cg.builder.ret_void()
    if not has_loop(entry):
        # straight-line set-up around the loops' own functions, run once a call: compiled
        # unoptimised (fast instruction selection), a third less LLVM time for a map
        entry.attributes.add("noinline")
        entry.attributes.add("optnone")
    _embed_sites(cg.module, cg.sites)
    return str(cg.module)


def has_loop(fn: ir.Function) -> bool:
    """Whether ``fn``'s control flow has a cycle (a branch back to a block on the way)."""
    state: dict[int, int] = {}  # id(block) -> 1 on the path, 2 finished
    stack = [(fn.blocks[0], False)]
    while stack:
        block, done = stack.pop()
        if done:
            state[id(block)] = 2
            continue
        if state.get(id(block)):
            continue
        state[id(block)] = 1
        stack.append((block, True))
        for target in _targets(block):
            seen = state.get(id(target))
            if seen == 1:
                return True
            if seen is None:
                stack.append((target, False))
    return False


def _targets(block: ir.Block) -> list[ir.Block]:
    end = block.terminator
    return [] if end is None else [op for op in end.operands if isinstance(op, ir.Block)]
