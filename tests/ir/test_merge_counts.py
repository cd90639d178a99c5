"""The analysis that lets a parallel loop skip an appender's capacity check or write each
part in place (``single_merges``): exact on simple bodies, conservative on the rest."""

import pytest

from weldpy.ir import exprs as E
from weldpy.ir.merge_counts import single_merges
from weldpy.ir.parser import parse
from weldpy.ir.traverse import preorder
from weldpy.ir.typecheck import typecheck


def analyse(body: str, builder: str = "appender[i64]"):
    """(number of unchecked merges, exact paths) of ``for(v, builder, body)``."""
    program = typecheck(parse(f"|v: vec[i64]| for(v, {builder}, {body})"))
    loop = next(n for n in preorder(program) if isinstance(n, E.For))
    found = single_merges(loop.func, loop.builder.ty)
    merges = [n for n in preorder(loop.func) if isinstance(n, E.Merge)]
    assert found.unchecked <= {id(m) for m in merges}
    return len(found.unchecked), set(found.exact)


@pytest.mark.parametrize("body,unchecked,exact", [
    ("|b,i,x| merge(b, x)", 1, {()}),
    ("|b,i,x| if(x > 0L, merge(b, x), b)", 1, set()),
    ("|b,i,x| if(x > 0L, merge(b, x), merge(b, 0L))", 2, {()}),
    ("|b,i,x| merge(merge(b, x), x)", 0, set()),
    ("|b,i,x| let c = merge(b, x); merge(c, x)", 0, set()),
    ("|b,i,x| let c = merge(b, x); c", 1, {()}),
    ("|b,i,x| for(v, b, |b2,j,y| merge(b2, y))", 0, set()),  # a nested loop: unbounded
    ("|b,i,x| (|c: appender[i64]| merge(c, x))(b)", 0, set()),  # a call: not followed
    ("|b,i,x| merge(b, len(v))", 1, {()}),
    # a nested loop over its own builder, reusing the name b, does not count
    ("|b,i,x| merge(b, result(for(v, merger[i64,+], |b,j,y| merge(b, y))))", 1, {()}),
])
def test_one_appender(body, unchecked, exact):
    assert analyse(body) == (unchecked, exact)


def test_structs_of_builders_are_counted_per_field():
    body = "|b,i,x| {merge(b.$0, x), if(x > 0L, merge(b.$1, x), b.$1), merge(b.$2, x)}"
    assert analyse(body, "{appender[i64], appender[i64], merger[i64,+]}") == (2, {(0,)})


def test_no_appender_no_work():
    assert analyse("|b,i,x| merge(b, x)", "merger[i64,+]") == (0, set())
