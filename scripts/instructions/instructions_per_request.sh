#!/usr/bin/env bash
# Instructions executed per request by the sandbox's load bench, before vs after a change.
#
#   instructions_per_request.sh BEFORE_BINARY AFTER_BINARY    # run, then print the table
#   REPORT_ONLY=1 OUT=DIR instructions_per_request.sh - -     # the table again from DIR's runs
#
# Why valgrind: this VM has no hardware performance counters (`perf stat -e instructions` is "not
# supported") and its throughput varies +-15% from run to run, so req/s cannot certify a 5% bound.
# Callgrind counts every instruction the process executes (event Ir), deterministically.
#
# What is counted. Each run is one load_bench process (BENCH_ONLY=<scenario>) under callgrind with
# `--dump-before=std::io::stdio::_print`: the bench prints one line after each phase, so every
# println! closes a dump and the dumps partition the run exactly: startup | prefill | floor |
# the scenario. The scenario's dump (the last numbered one) starts right after the floor's line
# is printed and ends right before the scenario's own line is printed, i.e. it holds exactly the
# scenario's requests (all joined before that print), whose number the bench prints ("N ok, E
# errors"). Prefill, the floor scenario and shutdown are outside it. Per request:
#   total  = Ir of the scenario's dump: the whole process (server, clients, tokio runtime).
#   client = inclusive Ir of the bench's own keep-alive clients
#            (load_bench::run_scenario::{{closure}}::{{closure}}, the spawned client task).
#   setup  = inclusive Ir of opening database connections during the scenario (the pools grow on
#            demand when the 4 clients first run concurrently; rusqlite's open + the sandbox's
#            sqlite::configure, which parses the schema; tokio_postgres's connect with its TLS
#            handshake). A one-off per run, not per request: how many connections open depends on
#            scheduling, and dividing it by a time-dependent request count is the main source of
#            spread, so it is shown apart.
#   server = total - client - setup: the sandbox's steady work per request (hyper, axum, auth,
#            handlers, SQLite or the PostgreSQL driver and TLS, the group-commit writer, the
#            blocking pool, the background job poller) plus tokio's scheduling, shared by both.
# PostgreSQL's own work is outside the process; for it the script reads pg_stat_statements (if
# the server preloads it and the target database has the extension): a snapshot during the floor
# scenario (when nothing touches the database but the job poller) and one after the process
# exits; the difference over the scenario's requests gives statements (BEGIN/COMMIT/SET
# included), rows and shared blocks (hit+read) per request; the per-statement difference is kept
# in each run's pg_statements.diff. "pg stmts w/o poll" leaves out the sandbox's background job
# poller (BEGIN, SELECT id FROM jobs, COMMIT every 250 ms: time-based, not per request).
# To enable it: start the server with `-c shared_preload_libraries=pg_stat_statements`, then
# `create extension pg_stat_statements` in that database (compare_statements.py beside this
# script prints the statements per request by text, before vs after).
#
# The table: mean per request over repeats, change = after/before - 1, worst = the largest
# "after" over the smallest "before" - 1 (a bound no pair of runs exceeds), spread = (max -
# min)/mean over the repeats of one binary.
#
# Knobs (environment): REPEATS (3), FIRST_REP (1; to add repeats to an existing OUT), SECS (5,
# per scenario; valgrind runs ~50x slower, so a few seconds give hundreds of requests), CLIENTS
# (4), TICKETS (200, the prefill; list 100 needs >= 100), SCENARIOS ("show list create search",
# BENCH_ONLY substrings), BACKENDS ("sqlite postgres"), PG_URL (a postgres:// URL to a database
# of your own, e.g. ...?sslmode=require; postgres runs are skipped without it), OUT (run
# directory, default ./runs-<time>). The table is printed and kept in $OUT/table.txt; callgrind
# files are in $OUT/<backend>/<scenario>/<label>.<rep>/ (open one with callgrind_annotate
# --inclusive=yes; compare_functions.py beside this script lists the functions whose
# per-request cost differs most). Runs alternate before/after to spread any drift; one valgrind
# at a time. Each PostgreSQL run's schema is dropped after it.
set -euo pipefail

if [ $# -ne 2 ]; then
    sed -n '2,5p' "$0" >&2
    exit 2
fi
REPEATS=${REPEATS:-3}
FIRST_REP=${FIRST_REP:-1}
SECS=${SECS:-5}
CLIENTS=${CLIENTS:-4}
TICKETS=${TICKETS:-200}
SCENARIOS=${SCENARIOS:-"show list create search"}
BACKENDS=${BACKENDS:-"sqlite postgres"}
PG_URL=${PG_URL:-}
OUT=${OUT:-$PWD/runs-$(date -u +%Y%m%dT%H%M%S)}
mkdir -p "$OUT"

# The database URL without its query string (for psql).
pg_plain() { printf '%s' "${PG_URL%%\?*}"; }
# psql quietly (notices of DROP ... CASCADE); only psql sees this, not the bench.
psql() { PGOPTIONS='-c client_min_messages=warning' command psql "$@"; }

# This database's statements (the snapshot queries left out) into $2, the eviction count into $1.
pg_snapshot() {
    local where="dbid = (select oid from pg_database where datname = current_database()) and query not like '%pg_stat_statements%'"
    psql "$(pg_plain)" -qAt -F $'\t' -c "select queryid, calls, rows, shared_blks_hit, shared_blks_read, shared_blks_dirtied, shared_blks_written, regexp_replace(query, '\s+', ' ', 'g') from pg_stat_statements where $where order by queryid" >"$2"
    psql "$(pg_plain)" -qAt -c "select dealloc from pg_stat_statements_info" >"$1"
}

pg_stats_available() {
    [ -n "$PG_URL" ] && psql "$(pg_plain)" -qAt -c "select 1 from pg_stat_statements limit 1" >/dev/null 2>&1
}

run_one() { # label binary backend scenario rep
    local label=$1 binary=$2 backend=$3 scenario=$4 rep=$5
    local dir="$OUT/$backend/$scenario/$label.$rep" db
    mkdir -p "$dir"
    printf '%s\t%s\t%s\t%s\t%s\n' "$label" "$backend" "$scenario" "$rep" "$binary" >"$dir/run.tsv"
    if [ "$backend" = sqlite ]; then db=sqlite; else db=$PG_URL; fi
    local stats=no
    if [ "$backend" = postgres ] && pg_stats_available; then
        stats=yes
        # This database's entries only: then every entry of the first snapshot is this run's, and
        # one missing from the second was evicted (pg_stat_statements.max is cluster-wide).
        psql "$(pg_plain)" -qAt -c "select pg_stat_statements_reset(0, (select oid from pg_database where datname = current_database()), 0)" >/dev/null
    fi
    (
        cd "$dir"
        BENCH_SECS=$SECS BENCH_CLIENTS=$CLIENTS BENCH_TICKETS=$TICKETS BENCH_ONLY=$scenario \
            valgrind --tool=callgrind --dump-before='std::io::stdio::_print' \
            --callgrind-out-file="$dir/callgrind.out" "$binary" --db "$db" >"$dir/bench.txt" 2>"$dir/valgrind.txt"
    ) &
    local pid=$!
    if [ $stats = yes ]; then
        # The floor scenario runs SECS seconds after the prefill line, touching no database.
        until grep -q '^prefilled' "$dir/bench.txt" 2>/dev/null; do
            kill -0 $pid 2>/dev/null || break
            sleep 0.1
        done
        sleep 1
        pg_snapshot "$dir/pg_dealloc.0" "$dir/pg_statements.0"
        if grep -q '^floor' "$dir/bench.txt"; then echo late >"$dir/pg_ok"; else echo yes >"$dir/pg_ok"; fi
    fi
    wait $pid || { echo "run failed: $dir (see valgrind.txt)" >&2; return 1; }
    if [ $stats = yes ]; then
        pg_snapshot "$dir/pg_dealloc.1" "$dir/pg_statements.1"
        if ! cmp -s "$dir/pg_dealloc.0" "$dir/pg_dealloc.1" &&
            awk -F'\t' 'NR==FNR { seen[$1] = $2; next } !($1 in seen) || seen[$1] < $2 { lost = 1 } END { exit !lost }' \
                "$dir/pg_statements.1" "$dir/pg_statements.0"; then
            echo evicted >"$dir/pg_ok"
        fi
        # Per statement: calls, rows, blocks during the scenario (after minus before).
        awk -F'\t' 'NR==FNR { for (i = 2; i <= 7; i++) b[$1, i] = $i; next }
            { printf "%s", $8; for (i = 2; i <= 7; i++) printf "\t%d", $i - b[$1, i]; printf "\n" }' \
            "$dir/pg_statements.0" "$dir/pg_statements.1" | awk -F'\t' '$2 > 0' | sort -t$'\t' -k2,2nr >"$dir/pg_statements.diff"
    fi
    if [ "$backend" = postgres ]; then
        local schema
        schema=$(grep -o 'schema=zd_bench_[0-9_]*' "$dir/bench.txt" | head -1 | cut -d= -f2)
        [ -n "$schema" ] && psql "$(pg_plain)" -qAt -c "drop schema if exists $schema cascade" >/dev/null
    fi
    local nparts part
    nparts=$(ls "$dir" | grep -cE '^callgrind\.out\.[0-9]+$')
    if [ "$nparts" -ne 5 ]; then echo "unexpected $nparts dumps in $dir" >&2; return 1; fi
    part=$(ls "$dir" | grep -E '^callgrind\.out\.[0-9]+$' | sort -t. -k3,3n | tail -1)
    ln -sf "$part" "$dir/scenario.callgrind"
    callgrind_annotate --inclusive=yes --threshold=100 "$dir/$part" >"$dir/inclusive.txt" 2>/dev/null
    echo "$label $backend $scenario #$rep: $(grep ' ok, ' "$dir/bench.txt" | tail -1)" >&2
}

if [ -z "${REPORT_ONLY:-}" ]; then
    BEFORE=$(realpath "$1")
    AFTER=$(realpath "$2")
    for backend in $BACKENDS; do
        if [ "$backend" = postgres ] && [ -z "$PG_URL" ]; then
            echo "skipping postgres: set PG_URL" >&2
            continue
        fi
        for scenario in $SCENARIOS; do
            for rep in $(seq "$FIRST_REP" $((FIRST_REP + REPEATS - 1))); do
                run_one before "$BEFORE" "$backend" "$scenario" "$rep"
                run_one after "$AFTER" "$backend" "$scenario" "$rep"
            done
        done
    done
fi

# The table, from the run directories.
python3 - "$OUT" <<'EOF' | tee "$OUT/table.txt"
import glob, os, re, statistics, sys
out = sys.argv[1]
CLIENT = ["load_bench::run_scenario::{{closure}}::{{closure}}"]
SETUP = ["rusqlite::inner_connection::InnerConnection::open_with_flags",
         "zendesk_sandbox::store::sqlite::configure",
         "tokio_postgres::config::Config::connect::{{closure}}"]

def inclusive(path, names):
    """Sum of the inclusive cost of the named functions (exact names: a recursive entry, marked
    'N by callgrind, is nested in the first one and already inside its cost)."""
    total = 0
    for line in open(path):
        m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+\?\?\?:(.*?) \[", line)
        if m and m.group(2) in names:
            total += int(m.group(1).replace(",", ""))
    return total

runs, binaries = [], {}
for run_tsv in sorted(glob.glob(os.path.join(out, "*", "*", "*", "run.tsv"))):
    d = os.path.dirname(run_tsv)
    label, backend, scenario, rep, binary = open(run_tsv).read().rstrip("\n").split("\t")
    binaries[label] = binary
    line = [l for l in open(os.path.join(d, "bench.txt")) if " ok, " in l][-1]
    ok, errors = map(int, re.search(r"\((\d+) ok, (\d+) errors", line).groups())
    if errors:
        print(f"warning: {errors} errors in {d}", file=sys.stderr)
    total = int(re.search(r"^totals: (\d+)", open(os.path.join(d, "scenario.callgrind")).read(), re.M).group(1))
    inc = os.path.join(d, "inclusive.txt")
    r = dict(label=label, backend=backend, scenario=scenario, requests=ok + errors, total=total,
             client=inclusive(inc, CLIENT), setup=inclusive(inc, SETUP))
    r["server"] = total - r["client"] - r["setup"]
    diff = os.path.join(d, "pg_statements.diff")
    if os.path.exists(diff):
        sums, polls = [0] * 6, 0
        for l in open(diff):
            f = l.rstrip("\n").split("\t")
            for i in range(6):
                sums[i] += int(f[1 + i])
            if f[0].startswith("SELECT id FROM jobs WHERE status"):
                polls += int(f[1])
        r["pg statements"], r["pg rows"], r["pg blocks"] = sums[0], sums[1], sums[2] + sums[3]
        r["pg stmts w/o poll"] = sums[0] - 3 * polls
        r["pg_ok"] = open(os.path.join(d, "pg_ok")).read().strip() if os.path.exists(os.path.join(d, "pg_ok")) else "?"
    runs.append(r)

print("before = " + binaries.get("before", "?") + "\nafter  = " + binaries.get("after", "?"))
print("per request, mean over repeats; change = after/before - 1; spread = (max-min)/mean over repeats;")
print("worst = the largest after over the smallest before, - 1: the change no pair of runs exceeds")
def spread(v):
    return f"{(max(v) - min(v)) / statistics.mean(v) * 100:.2f}%" if v and statistics.mean(v) else "-"
order = {"show": 0, "list": 1, "create": 2, "search": 3}
for backend in sorted({r["backend"] for r in runs}, key=lambda b: b != "sqlite"):
    print(f"\n== {backend}")
    print(f"{'scenario':<8} {'per request':<17} {'before':>12} {'after':>12} {'change':>8} {'worst':>8} {'spread b':>9} {'spread a':>9}  requests (before / after)")
    for scenario in sorted({r["scenario"] for r in runs if r["backend"] == backend}, key=lambda s: order.get(s, 9)):
        sel = lambda label: [r for r in runs if r["backend"] == backend and r["scenario"] == scenario and r["label"] == label]
        b, a = sel("before"), sel("after")
        if not b or not a:
            continue
        reqs = ",".join(str(r["requests"]) for r in b) + " / " + ",".join(str(r["requests"]) for r in a)
        for name, key, digits in [("server instr", "server", 0), ("+ conn. setup", "setup", 0),
                                  ("+ clients", "client", 0), ("= total instr", "total", 0),
                                  ("pg statements", "pg statements", 3),
                                  ("pg stmts w/o poll", "pg stmts w/o poll", 3), ("pg rows", "pg rows", 2),
                                  ("pg blocks", "pg blocks", 2)]:
            vb = [r[key] / r["requests"] for r in b if key in r]
            va = [r[key] / r["requests"] for r in a if key in r]
            if not vb or not va:
                continue
            mb, ma = statistics.mean(vb), statistics.mean(va)
            change = f"{(ma / mb - 1) * 100:+.2f}%" if mb else "-"
            worst = f"{(max(va) / min(vb) - 1) * 100:+.2f}%" if key in ("server", "total") and min(vb) else ""
            print(f"{scenario:<8} {name:<17} {mb:>12,.{digits}f} {ma:>12,.{digits}f} {change:>8} {worst:>8} {spread(vb):>9} {spread(va):>9}  {reqs if key == 'total' else ''}")
        flags = {r.get("pg_ok", "yes") for r in b + a} - {"yes"}
        if flags:
            print(f"{scenario:<8} note: pg snapshot flags {sorted(flags)} (late: taken after the floor ended; evicted: pg_stat_statements dropped entries)")
EOF
