#!/usr/bin/env python3
"""PostgreSQL statements per request, before vs after, by statement text, from the runs of
instructions_per_request.sh. Usage: compare_statements.py OUT [scenario ...]"""
import glob, os, re, sys
out, wanted = sys.argv[1], sys.argv[2:]
for sdir in sorted(glob.glob(os.path.join(out, "postgres", "*"))):
    scenario = os.path.basename(sdir)
    if wanted and scenario not in wanted:
        continue
    per = {}
    for label in ("before", "after"):
        calls, rows, reqs = {}, {}, 0
        for d in glob.glob(os.path.join(sdir, label + ".*")):
            n = [l for l in open(os.path.join(d, "bench.txt")) if " ok, " in l][-1]
            reqs += int(re.search(r"\((\d+) ok", n).group(1))
            for l in open(os.path.join(d, "pg_statements.diff")):
                f = l.rstrip("\n").split("\t")
                calls[f[0]] = calls.get(f[0], 0) + int(f[1])
                rows[f[0]] = rows.get(f[0], 0) + int(f[2])
        per[label] = ({k: v / reqs for k, v in calls.items()}, {k: v / reqs for k, v in rows.items()})
    print(f"== {scenario}: calls (rows) per request, before -> after, summed over repeats")
    keys = sorted(set(per["before"][0]) | set(per["after"][0]), key=lambda k: -max(per["before"][0].get(k, 0), per["after"][0].get(k, 0)))
    for k in keys:
        b, a = per["before"][0].get(k, 0), per["after"][0].get(k, 0)
        rb, ra = per["before"][1].get(k, 0), per["after"][1].get(k, 0)
        print(f"  {b:7.3f} ({rb:7.2f}) -> {a:7.3f} ({ra:7.2f})  {k[:110]}")
