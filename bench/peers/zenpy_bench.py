"""zenpy's side of the peer benchmark (bench/peers/run.sh): the same workload as zd's
`peer_bench` example and node_bench.js, against the same sandbox; prints one JSON line.

Environment: ZENDESK_BASE_URL, ZENDESK_EMAIL, ZENDESK_API_TOKEN, PEER_BENCH_MODE (paging,
latency or startup), PEER_BENCH_IDS (comma-separated ticket IDs to show), PEER_BENCH_SHOWS
(default 200), PEER_BENCH_SEARCHES (default 20), PEER_BENCH_QUERY (default status:open).
A measurement, not a test.
"""

import itertools
import json
import math
import os
import sys
import time
from urllib.parse import urlparse


def env(name, default=""):
    value = os.environ.get(name, "").strip()
    return value or default


def fail(message):
    print(f"zenpy_bench: {message}", file=sys.stderr)
    sys.exit(2)


def count_env(name, default):
    raw = env(name, str(default))
    try:
        return int(raw)
    except ValueError:
        fail(f"{name} must be a whole number, got {raw!r}")


def ticket_ids():
    raw = env("PEER_BENCH_IDS")
    try:
        ids = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        fail(f"PEER_BENCH_IDS must be comma-separated ticket IDs, got {raw!r}")
    if not ids:
        fail("PEER_BENCH_IDS must list at least one ticket ID")
    return ids


def quantile_ms(sorted_secs, q):
    # Nearest rank, as the Rust and Node sides compute it.
    rank = min(max(math.ceil(q * len(sorted_secs)), 1), len(sorted_secs))
    return sorted_secs[rank - 1] * 1e3


def client():
    base = env("ZENDESK_BASE_URL")
    if not base:
        fail("ZENDESK_BASE_URL must be set")
    parsed = urlparse(base)
    # zenpy builds https://{subdomain}.zendesk.com URLs; these two variables are its own switch
    # for pointing them elsewhere (here: the loopback sandbox).
    os.environ["ZENPY_FORCE_NETLOC"] = parsed.netloc
    os.environ["ZENPY_FORCE_SCHEME"] = parsed.scheme
    from zenpy import Zenpy

    # The cache would answer repeated shows from memory; every call here must reach the sandbox.
    return Zenpy(subdomain="sandbox", email=env("ZENDESK_EMAIL"), token=env("ZENDESK_API_TOKEN"),
                 disable_cache=True, timeout=30)


def paging(zd):
    started = time.perf_counter()
    count = 0
    for _ticket in zd.tickets(cursor_pagination=100):
        count += 1
    secs = time.perf_counter() - started
    return {"tickets": count, "paging_s": secs, "tickets_per_s": count / secs}


def latency(zd):
    ids = ticket_ids()
    shows = count_env("PEER_BENCH_SHOWS", 200)
    searches = count_env("PEER_BENCH_SEARCHES", 20)
    query = env("PEER_BENCH_QUERY", "status:open")

    show_times = []
    for i in range(shows):
        tid = ids[i % len(ids)]
        started = time.perf_counter()
        ticket = zd.tickets(id=tid)
        show_times.append(time.perf_counter() - started)
        if ticket.id != tid:
            fail(f"asked for ticket {tid}, got {ticket.id}")

    search_times = []
    results = 0
    for _ in range(searches):
        started = time.perf_counter()
        # One page of up to 100 results, as the other clients fetch: islice stops before the
        # generator would ask for page two.
        page = list(itertools.islice(zd.search(query), 100))
        search_times.append(time.perf_counter() - started)
        results = len(page)

    show_times.sort()
    search_times.sort()
    return {
        "shows": shows,
        "show_p50_ms": quantile_ms(show_times, 0.50),
        "show_p99_ms": quantile_ms(show_times, 0.99),
        "searches": searches,
        "search_results_per_page": results,
        "search_p50_ms": quantile_ms(search_times, 0.50),
        "search_p99_ms": quantile_ms(search_times, 0.99),
    }


def startup(zd):
    tid = ticket_ids()[0]
    return {"first_ticket": zd.tickets(id=tid).id}


def main():
    mode = env("PEER_BENCH_MODE", "paging")
    modes = {"paging": paging, "latency": latency, "startup": startup}
    if mode not in modes:
        fail(f"PEER_BENCH_MODE must be paging, latency or startup, got {mode!r}")
    out = modes[mode](client())
    out.update({"client": "zenpy", "mode": mode})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
