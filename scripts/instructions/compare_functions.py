#!/usr/bin/env python3
"""Per-request cost of each function in two callgrind dumps (before, after), largest differences
first. Usage: compare_functions.py [--inclusive] BEFORE_DUMP BEFORE_REQUESTS AFTER_DUMP AFTER_REQUESTS [N]
Function names are compared without the binary's path and without callgrind's '2 cycle marks."""
import re, subprocess, sys
args = sys.argv[1:]
inclusive = args and args[0] == "--inclusive"
if inclusive:
    args = args[1:]
b, nb, a, na = args[:4]
top = int(args[4]) if len(args) > 4 else 30
def load(path, n):
    out = subprocess.run(["callgrind_annotate", f"--inclusive={'yes' if inclusive else 'no'}", "--threshold=100", path],
                         capture_output=True, text=True).stdout
    d = {}
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*?)(?: \[[^\]]*\])?$", line)
        if m and "PROGRAM TOTALS" not in line:
            name = re.sub(r"'\d+$", "", m.group(2))
            d[name] = d.get(name, 0) + int(m.group(1).replace(",", "")) / float(n)
    return d
db, da = load(b, nb), load(a, na)
keys = sorted(set(db) | set(da), key=lambda k: -abs(da.get(k, 0) - db.get(k, 0)))
print(f"{'before':>11} {'after':>11} {'diff':>9}  function (instructions per request, {'inclusive' if inclusive else 'self'})")
for k in keys[:top]:
    print(f"{db.get(k, 0):11.0f} {da.get(k, 0):11.0f} {da.get(k, 0) - db.get(k, 0):+9.0f}  {k[:160]}")
