"""Programs from Weld's own test suite (weld-project/weld, tests/*.rs), as Weld wrote them.

Shared by the parser and printer tests; ``map`` (a Weld macro) and nditer/simd programs are
left out.
"""

WELD_PROGRAMS = [
    # dictionary_tests.rs
    """|x:vec[i32], y:vec[i32]| tovec(result(for(zip(x,y), dictmerger[i32,i32,+],
                |b,i,e| merge(b, e))))""",
    """|x:vec[i32], y:vec[i32]|
                    tovec(result(for(
                        zip(x,y),
                        dictmerger[{i32,i32},{i32,f32},+],
                        |b,i,e| merge(b, {{e.$0, e.$0}, {e.$1, f32(e.$1)}}))))""",
    """|x:vec[i32], y:vec[i32]| tovec(result(for(zip(x,y), groupmerger[i32,i32],
                |b,i,e| merge(b, e))))""",
    """|x:vec[i32], y:vec[i32], z:vec[i32]|
                tovec(result(for(zip(x,y,z), groupmerger[{i32,i32}, i32],
                |b,i,e| merge(b, {{e.$0, e.$1}, e.$2}))))""",
    """|x:vec[i32], y:vec[i32]| tovec(result(@(grain_size: 100)for(zip(x,y),
                dictmerger[i32,i32,+](100000000L), |b,i,e| merge(b, e))))""",
    """|x:vec[i32], y:vec[i32]| let a = result(for(zip(x,y), dictmerger[i32,i32,+],
                |b,i,e| merge(b, e))); lookup(a, 1)""",
    """|x:vec[i32]| let v = ["abcdefghi", "abcdefghi", "abcdefghi"];
                let d = result(for(zip(v,x), dictmerger[vec[i8],i32,+], |b,i,e| merge(b, e)));
                lookup(d, "abcdefghi")""",
    """|x:vec[i32], y:vec[i32]| let a = result(for(zip(x,y), dictmerger[i32,i32,+],
                |b,i,e| merge(b, e))); keyexists(a, 1)""",
    # sort_tests.rs (Weld's older key-function form still parses: sort takes any lambda)
    "|ys:vec[i32]| sort(ys, |x:i32| if(x != 5, x + 1, 0))",
    "|ys:vec[f64]| sort(ys, |x:f64| 1.0 / exp(-1.0*x))",
    """|ys:vec[i32], xs:vec[i32]|
                  sort(
                    result(
                      for(
                        zip(xs,ys),
                        appender[{i32,i32}],
                        |b,i,e| merge(b, e)
                      )
                    ),
                    |x:{i32, i32}| x.$0
                )""",
    # iters_tests.rs
    "|a: i64| result(for(rangeiter(1L, 1000L + 1L, 1L), merger[i64,+], |b,i,e| merge(b, a+e)))",
    """|v: vec[i64]| result(
        @(grain_size: 100)for(zip(v, rangeiter(1L, 1000L + 1L, 1L)), merger[i64,+],
        |b,i,e| merge(b, e.$0 + e.$1)))""",
    """|x:vec[i32], y:vec[i32]| result(for(zip(iter(x,0L,4L,2L), y), appender, |b,i,e|
                merge(b,e.$0+e.$1)))""",
    # vecmerger_tests.rs
    "|x:vec[i32]| result(for(x, vecmerger[i32,+](x), |b,i,e| b))",
    """|x:vec[i64]| {
        result(for(x, vecmerger[i64,+](x), |b,i,e| merge(b, {i,e*7L}))),
        result(for(x, vecmerger[i64,*](x), |b,i,e| merge(b, {i, i}))),
        result(for(x, vecmerger[i64,min](x), |b,i,e| merge(b, {i, i}))),
        result(for(x, vecmerger[i64,max](x), |b,i,e| merge(b, {i, i})))
        }""",
    # merger_tests.rs
    "||result(for([]:vec[i32], merger[i32, +], |b, i, n| merge(b, n)))",
    "|x:vec[i32], a:i32| result(for(x, merger[i32,+](1000), |b,i,e| merge(b, e+a)))",
    """|x:vec[i32]| let r = @(grain_size: 100)for(x, {merger[i32,+], merger[i32,+]}, |b,i,e|
                { merge(b.$0, e), merge(b.$1, e) }); result(r.$0) + result(r.$1)""",
    """
|p0: vec[f64], p1: vec[f64], p2: vec[f64]|
 let merged = for(zip(p0, p1, p2),
                  {merger[i64, +], merger[f64, +], merger[i64, +], merger[f64, +], merger[i64, +],
                   merger[f64, +]},
                  |bs1: {merger[i64, +], merger[f64, +], merger[i64, +], merger[f64, +],
                         merger[i64, +], merger[f64, +]}, i1: i64, ns1: {f64, f64, f64}|
                   {merge(bs1.$0, 1L), merge(bs1.$1, f64(ns1.$0)), merge(bs1.$2, 1L),
                    merge(bs1.$3, f64(ns1.$1)), merge(bs1.$4, 1L), merge(bs1.$5, f64(ns1.$2))});
 {result(merged.$0), result(merged.$1), result(merged.$2), result(merged.$3),
  result(merged.$4), result(merged.$5)}""",
    """
    |i8in: vec[i8], i32in: vec[i32], f64in: vec[f64]|
    let i8min = result(for(i8in, merger[i8, min], |b, i, n| merge(b, n)));
    let i32max = result(for(i32in, merger[i32, max], |b, i, n| merge(b, n)));
    let f64min = result(for(f64in, merger[f64, min], |b, i, n| merge(b, n)));
    {i8min, i32max, f64min}""",
    # complex_loop_tests.rs
    """|p: vec[i64]|
    result(for(p,merger[i64, +], |bs, i, ns| if(ns >= 3L, if(ns < 7L, merge(bs, ns), bs), bs)))""",
    """|p: vec[i64]|
        let filter = result(for(p,appender[i64], |bs, i, ns|if(ns >= 3L, if(ns < 7L,
            merge(bs, ns), bs), bs)));
        result(for(filter, merger[i64, +], |bs2, i2, ns2| merge(bs2, ns2)))""",
    """|ys:vec[i64]|result(for(ys, appender[{i64, i32}], |b0, i0, y0| for(ys, b0, |b1, i1, y1|
        if (y1 > y0, merge(b0, {y0, i32(y1)}), b0))))""",
    """|x:vec[i32], y:vec[i32]| let rs = for(zip(x,y),{appender[i32],dictmerger[i32,i32,+]},
                |bs,i,e| {merge(bs.$0, e.$0+e.$1), merge(bs.$1, e)});
                {result(rs.$0), tovec(result(rs.$1))}""",
    # iterate, slice, select, optlookup, cudf (Weld's language docs and basic tests)
    "|x:i32| iterate(x, |x| {x - 1, x - 1 > 5})",
    "|x: vec[i32]| slice(x, 1L, 2L)",
    "|x: i32| select(x > 0, x, 0 - x)",
    """|x:vec[i32]| let d = result(for(x, dictmerger[i32, i64, max], |b, i, e|
        merge(b, {e, i}))); optlookup(d, 3)""",
    "|x: vec[f64]| cudf[my_udf, vec[f64]](x, 2.0)",
]
