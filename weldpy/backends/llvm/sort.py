"""``sort(v, |a, b| cmp)``: a stable merge sort generated inline, and the API other rules use.

The Sort rule copies ``v`` into a new run-owned vector and sorts it: insertion sort on runs of
``RUN`` elements, then bottom-up merge passes alternating with a run-owned scratch buffer
(freed at once when the sort ends). The comparator lambda is inlined into the sort loops (two
copies: the insertion sort's and the merge's), so it closes over whatever the enclosing code
has, and its failing checks (a lookup out of range ...) leave the function like any other.
An element moves before an earlier one only when ``cmp(later, earlier) < 0``, the question
Python's stable ``sorted`` asks, so equal elements keep their order.

API for other code generators (dictionaries' ``tovec`` ...), all emitting code at
``cg.builder``; ``data`` points at ``n`` (i64) elements of ``elem_ty`` in memory form:
- ``sort_in_place(cg, elem_ty, data, n, cmp)``: ``cmp(a, b) -> i32`` emits the comparison of
  two elements given as values (``cg.from_mem`` of the memory form), negative if ``a`` goes
  first.
- ``sort_by_compare(cg, elem_ty, data, n, key_ty, key_of)``: sorts by Weld's ``compare`` of
  ``key_of(element value) -> value of key_ty`` (e.g. a struct's field 0 for ``tovec``).
- ``merge_sort(cg, elem_ty, data, tmp, n, cmp) -> ptr``: the core; sorts using ``tmp`` (room
  for ``n`` elements) and returns whichever of ``data``/``tmp`` holds the result.
"""

from __future__ import annotations

from llvmlite import ir

from weldpy.backends.llvm import radix
from weldpy.backends.llvm.codegen import RULES, Codegen
from weldpy.backends.llvm.compare import compare_values
from weldpy.backends.llvm.layout import I1, I32, I64, mem_type, size_of
from weldpy.backends.llvm.rules_data import make_vec, vec_parts
from weldpy.ir import exprs as E
from weldpy.ir import types as T

RUN = 16  # elements insertion-sorted before merging


def _c(ty, value):
    return ir.Constant(ty, value)


def _while(cg: Codegen, inits: list, cond, body) -> list:
    """``vals = inits; while cond(*vals): vals = body(*vals)``; returns the final values.
    ``cond`` and ``body`` may emit blocks of their own."""
    b = cg.builder
    pre = b.block
    head, loop = b.append_basic_block("sort.head"), b.append_basic_block("sort.body")
    done = b.append_basic_block("sort.done")
    b.branch(head)
    b.position_at_end(head)
    phis = []
    for value in inits:
        phi = b.phi(value.type)
        phi.add_incoming(value, pre)
        phis.append(phi)
    b.cbranch(cond(*phis), loop, done)
    b.position_at_end(loop)
    new = body(*phis)
    end = b.block
    for phi, value in zip(phis, new, strict=True):
        phi.add_incoming(value, end)
    b.branch(head)
    b.position_at_end(done)
    return phis


def _min(b, x, y):
    return b.select(b.icmp_signed("<", x, y), x, y)


class _Sorter:
    """The code of one sort: element type, comparator, and memory access in memory form."""

    def __init__(self, cg: Codegen, elem: T.Type, cmp):
        self.cg, self.elem, self.cmp = cg, elem, cmp

    def load(self, data, i):
        return self.cg.builder.load(self.cg.element_ptr(self.elem, data, i),
                                    typ=mem_type(self.elem))

    def put(self, data, i, value):
        self.cg.builder.store(value, self.cg.element_ptr(self.elem, data, i))

    def before(self, x, y) -> ir.Value:
        """i1: the element ``x`` (memory form) goes strictly before ``y``."""
        cg = self.cg
        c = self.cmp(cg.from_mem(self.elem, x), cg.from_mem(self.elem, y))
        return cg.builder.icmp_signed("<", c, _c(I32, 0))

    def nbytes(self, count):
        return self.cg.builder.mul(count, _c(I64, size_of(self.elem)))

    # --- insertion sort of runs -----------------------------------------------------------
    def insertion_runs(self, data, n) -> None:
        b = self.cg.builder

        def run(lo):
            hi = _min(b, b.add(lo, _c(I64, RUN)), n)
            _while(self.cg, [b.add(lo, _c(I64, 1))], lambda i: b.icmp_signed("<", i, hi),
                   lambda i: self._insert(data, lo, i))
            return [b.add(lo, _c(I64, RUN))]

        _while(self.cg, [_c(I64, 0)], lambda lo: b.icmp_signed("<", lo, n), run)

    def _insert(self, data, lo, i):
        """Move element ``i`` down into the sorted ``data[lo:i]``."""
        b = self.cg.builder
        x = self.load(data, i)

        def shift(j):
            self.put(data, j, self.load(data, b.sub(j, _c(I64, 1))))
            return [b.sub(j, _c(I64, 1))]

        (j,) = _while(self.cg, [i], lambda j: self._goes_below(data, lo, j, x), shift)
        self.put(data, j, x)
        return [b.add(i, _c(I64, 1))]

    def _goes_below(self, data, lo, j, x):
        """``j > lo and x before data[j - 1]`` (the comparator runs only when ``j > lo``)."""
        b = self.cg.builder
        start = b.block
        check, after = b.append_basic_block("sort.check"), b.append_basic_block("sort.cond")
        b.cbranch(b.icmp_signed(">", j, lo), check, after)
        b.position_at_end(check)
        less = self.before(x, self.load(data, b.sub(j, _c(I64, 1))))
        check_end = b.block
        b.branch(after)
        b.position_at_end(after)
        phi = b.phi(I1)
        phi.add_incoming(_c(I1, 0), start)
        phi.add_incoming(less, check_end)
        return phi

    # --- merging ----------------------------------------------------------------------------
    def merge_passes(self, data, tmp, n) -> ir.Value:
        b = self.cg.builder

        def one_pass(src, dst, width):
            def pair(lo):
                mid = _min(b, b.add(lo, width), n)
                self._merge(src, dst, lo, mid, _min(b, b.add(mid, width), n))
                return [b.add(lo, b.add(width, width))]

            _while(self.cg, [_c(I64, 0)], lambda lo: b.icmp_signed("<", lo, n), pair)
            return [dst, src, b.add(width, width)]

        src, _, _ = _while(self.cg, [data, tmp, _c(I64, RUN)],
                           lambda src, dst, width: b.icmp_signed("<", width, n), one_pass)
        return src

    def _merge(self, src, dst, lo, mid, hi) -> None:
        """Merge the sorted ``src[lo:mid]`` and ``src[mid:hi]`` into ``dst[lo:hi]``; the
        pick is a select, so a branch-free comparator makes a branch-free step."""
        b = self.cg.builder

        def step(i, j, k):
            x, y = self.load(src, i), self.load(src, j)
            right = self.before(y, x)
            self.put(dst, k, b.select(right, y, x))
            return [b.add(i, b.zext(b.not_(right), I64)), b.add(j, b.zext(right, I64)),
                    b.add(k, _c(I64, 1))]

        i, j, k = _while(self.cg, [lo, mid, lo], lambda i, j, k: b.and_(
            b.icmp_signed("<", i, mid), b.icmp_signed("<", j, hi)), step)
        left = b.sub(mid, i)
        self.cg.memcpy(self.cg.element_ptr(self.elem, dst, k),
               self.cg.element_ptr(self.elem, src, i), self.nbytes(left))
        self.cg.memcpy(self.cg.element_ptr(self.elem, dst, b.add(k, left)),
               self.cg.element_ptr(self.elem, src, j), self.nbytes(b.sub(hi, j)))


def merge_sort(cg: Codegen, elem_ty: T.Type, data, tmp, n, cmp) -> ir.Value:
    """Stable-sort ``data[0:n]`` with scratch ``tmp``; returns the buffer holding the
    result (``data`` or ``tmp``)."""
    sorter = _Sorter(cg, elem_ty, cmp)
    sorter.insertion_runs(data, n)
    return sorter.merge_passes(data, tmp, n)


def sort_in_place(cg: Codegen, elem_ty: T.Type, data, n, cmp) -> None:
    """Stable-sort ``data[0:n]`` in place by ``cmp(a, b) -> i32`` (see the module doc)."""
    b = cg.builder
    nbytes = b.mul(n, _c(I64, size_of(elem_ty)))
    tmp = cg.alloc(nbytes)
    result = merge_sort(cg, elem_ty, data, tmp, n, cmp)
    with b.if_then(b.icmp_unsigned("!=", result, data)):
        cg.memcpy(data, result, nbytes)
    cg.release(tmp)


def sort_by_compare(cg: Codegen, elem_ty: T.Type, data, n, key_ty: T.Type, key_of) -> None:
    """Stable-sort ``data[0:n]`` in place by ``compare(key_of(a), key_of(b))`` (integer and
    bool keys: by radix, ``radix``)."""
    if radix.sortable(key_ty):
        radix.radix_sort(cg, elem_ty, data, n, key_ty.kind, key_of)
        return
    sort_in_place(cg, elem_ty, data, n, lambda a, b: compare_values(
        cg, key_ty, key_of(a), key_of(b)))


def _sort(cg: Codegen, node: E.Sort):
    b = cg.builder
    data, n = vec_parts(cg, cg.lower(node.data))
    comparator = cg.lower(node.cmp)
    elem = node.ty.elem
    nbytes = b.mul(n, _c(I64, size_of(elem)))
    out = cg.alloc(nbytes)
    cg.memcpy(out, data, nbytes)
    tmp = cg.alloc(nbytes)
    result = merge_sort(cg, elem, out, tmp, n, lambda x, y: cg.apply(comparator, [x, y]))
    cg.release(b.select(b.icmp_unsigned("==", result, out), tmp, out))
    return make_vec(cg, result, n)


RULES[E.Sort] = _sort
