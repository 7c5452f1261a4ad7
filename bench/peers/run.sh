#!/usr/bin/env bash
# Peer benchmark: zd's Rust client (`zendesk` crate) against zenpy and node-zendesk, on the same
# zd sandbox with the same data. Builds zd and the `peer_bench` example once, starts a sandbox on
# a free loopback port with a temporary database, seeds tickets through create_many jobs, then
# runs each client's side (paging, latency, start-up) several times and prints a Markdown table of
# medians. The sandbox is stopped by PID on exit, whatever happens.
#
# Environment (all optional):
#   PEER_BENCH_TICKETS   tickets to seed (default 2000)
#   PEER_BENCH_RUNS      runs per client; the table shows medians (default 3)
#   PEER_BENCH_PROFILE   release (default) or debug (debug figures do not represent zd)
#   PEER_BENCH_STEP_TIMEOUT   seconds allowed to each client process (default 300)
#   PEER_BENCH_BUILD_TIMEOUT  seconds allowed to each cargo build (default 3600)
#   PEER_BENCH_RESULTS   where to keep the raw JSON lines (default: a temp file, path printed)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

TICKETS=${PEER_BENCH_TICKETS:-2000}
RUNS=${PEER_BENCH_RUNS:-3}
PROFILE=${PEER_BENCH_PROFILE:-release}
STEP_TIMEOUT=${PEER_BENCH_STEP_TIMEOUT:-300}
BUILD_TIMEOUT=${PEER_BENCH_BUILD_TIMEOUT:-3600}
EMAIL=bench-admin@example.com

case "$PROFILE" in
  release) CARGO_PROFILE=(--release) ;;
  debug) CARGO_PROFILE=() ;;
  *) echo "run.sh: PEER_BENCH_PROFILE must be release or debug, got '$PROFILE'" >&2; exit 2 ;;
esac
for n in "$TICKETS" "$RUNS" "$STEP_TIMEOUT" "$BUILD_TIMEOUT"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: PEER_BENCH_* counts and timeouts must be positive whole numbers, got '$n'" >&2; exit 2; }
done
command -v node >/dev/null || { echo "run.sh: node is required for node-zendesk" >&2; exit 2; }
if [ ! -x /usr/bin/time ]; then
  echo "run.sh: /usr/bin/time is required for peak RSS (apt-get install -y time)" >&2
  exit 2
fi

# The peers, installed as ./scripts/test installs them.
PY=$ROOT/.venv/bin/python
if ! "$PY" -c 'import zenpy' 2>/dev/null; then
  [ -x "$PY" ] || python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r tests/compat/requirements.txt
fi
NODE_DIR=$ROOT/tests/compat/node
if [ ! -d "$NODE_DIR/node_modules/node-zendesk" ]; then
  (cd "$NODE_DIR" && npm install --silent --no-audit --no-fund >/dev/null)
fi

echo "== building zd and the peer_bench example ($PROFILE, once)" >&2
timeout "$BUILD_TIMEOUT" cargo build "${CARGO_PROFILE[@]}" -p zd
timeout "$BUILD_TIMEOUT" cargo build "${CARGO_PROFILE[@]}" -p zendesk --example peer_bench
ZD_BIN=$ROOT/target/$PROFILE/zd
ZD_BENCH=$ROOT/target/$PROFILE/examples/peer_bench

WORK=$(mktemp -d "${TMPDIR:-/tmp}/zd-peer-bench.XXXXXX")
RESULTS=${PEER_BENCH_RESULTS:-$WORK/results.jsonl}
: >"$RESULTS"
SANDBOX_PID=
cleanup() {
  if [ -n "$SANDBOX_PID" ] && kill -0 "$SANDBOX_PID" 2>/dev/null; then
    kill -TERM "$SANDBOX_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SANDBOX_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$SANDBOX_PID" 2>/dev/null || true
  fi
  # Raw results survive only when PEER_BENCH_RESULTS points outside this temp dir.
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The admin token goes through the environment, not argv, so `ps` does not show it.
TOKEN=$("$PY" -c 'import secrets; print(secrets.token_hex(20))')
echo "== starting the sandbox (loopback, free port, database $WORK/sandbox.db)" >&2
ZD_LOG=warn ZD_SANDBOX_ADMIN_TOKEN=$TOKEN "$ZD_BIN" sandbox serve \
  --addr 127.0.0.1:0 --db "$WORK/sandbox.db" --admin-email "$EMAIL" \
  >"$WORK/sandbox.out" 2>"$WORK/sandbox.err" &
SANDBOX_PID=$!
BASE=
for _ in $(seq 150); do
  BASE=$(sed -n 's#^zd sandbox: serving the Zendesk API at \(http://127\.0\.0\.1:[0-9]*\)/api/v2.*#\1#p' "$WORK/sandbox.out")
  [ -n "$BASE" ] && break
  kill -0 "$SANDBOX_PID" 2>/dev/null || { echo "run.sh: the sandbox exited:" >&2; cat "$WORK/sandbox.err" >&2; exit 1; }
  sleep 0.2
done
[ -n "$BASE" ] || { echo "run.sh: the sandbox did not report its address within 30 s" >&2; exit 1; }
echo "   sandbox at $BASE (pid $SANDBOX_PID)" >&2

export ZENDESK_BASE_URL=$BASE ZENDESK_EMAIL=$EMAIL ZENDESK_API_TOKEN=$TOKEN
export PEER_BENCH_TICKETS=$TICKETS PEER_BENCH_NODE_DIR=$NODE_DIR

echo "== seeding $TICKETS tickets (create_many jobs of 100)" >&2
seed_started=$(date +%s%N)
PEER_BENCH_IDS=$(timeout 900 "$PY" bench/peers/seed.py)
export PEER_BENCH_IDS
echo "   seeded in $(( ($(date +%s%N) - seed_started) / 1000000 )) ms" >&2

# One client process: its JSON line, plus wall time, peak RSS and the run number.
measure() {
  local client=$1 mode=$2 run=$3
  local cmd
  case "$client" in
    zd) cmd=("$ZD_BENCH") ;;
    zenpy) cmd=("$PY" bench/peers/zenpy_bench.py) ;;
    node-zendesk) cmd=(node bench/peers/node_bench.js) ;;
  esac
  local started ended
  started=$(date +%s%N)
  if ! PEER_BENCH_MODE=$mode timeout "$STEP_TIMEOUT" /usr/bin/time -f '%M' -o "$WORK/rss" \
      "${cmd[@]}" >"$WORK/out" 2>"$WORK/err"; then
    echo "run.sh: $client $mode (run $run) failed:" >&2
    cat "$WORK/err" >&2
    exit 1
  fi
  ended=$(date +%s%N)
  "$PY" - "$WORK/out" "$WORK/rss" "$run" "$started" "$ended" >>"$RESULTS" <<'PYEOF'
import json, sys
out, rss, run, started, ended = sys.argv[1:]
record = json.loads(open(out).read().strip().splitlines()[-1])
record["rss_kb"] = int(open(rss).read().split()[-1])
record["wall_ms"] = (int(ended) - int(started)) / 1e6
record["run"] = int(run)
print(json.dumps(record))
PYEOF
  echo "   run $run $client $mode: $(tail -n 1 "$RESULTS")" >&2
}

for run in $(seq "$RUNS"); do
  for client in zd zenpy node-zendesk; do
    for mode in paging latency startup; do
      measure "$client" "$mode" "$run"
    done
  done
done

echo >&2
echo "Peer benchmark: $TICKETS tickets, $RUNS runs per client, zd built in $PROFILE, $(nproc) cores." 
echo
"$PY" bench/peers/report.py "$RESULTS"
if [ -n "${PEER_BENCH_RESULTS:-}" ]; then
  echo "raw results: $RESULTS" >&2
fi
