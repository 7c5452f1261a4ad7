"""Turns the JSON lines collected by bench/peers/run.sh into a Markdown table: for each client
and each figure, the median over the runs. Standard library only.

Usage: report.py RESULTS.jsonl
"""

import json
import statistics
import sys
from collections import defaultdict

CLIENTS = ["zd", "zenpy", "node-zendesk"]
ROWS = [
    ("paging", "tickets", "tickets paged", "{:.0f}"),
    ("paging", "paging_s", "page through all tickets (s)", "{:.3f}"),
    ("paging", "tickets_per_s", "tickets/s", "{:,.0f}"),
    ("paging", "rss_kb", "peak RSS while paging (MiB)", "mib"),
    ("latency", "show_p50_ms", "show ticket p50 (ms)", "{:.2f}"),
    ("latency", "show_p99_ms", "show ticket p99 (ms)", "{:.2f}"),
    ("latency", "search_p50_ms", "search `status:open`, 100/page, p50 (ms)", "{:.2f}"),
    ("latency", "search_p99_ms", "search `status:open`, 100/page, p99 (ms)", "{:.2f}"),
    ("startup", "wall_ms", "process start to first ticket (ms)", "{:.0f}"),
    ("startup", "rss_kb", "peak RSS, start-up run (MiB)", "mib"),
]


def main():
    if len(sys.argv) != 2:
        print("usage: report.py RESULTS.jsonl", file=sys.stderr)
        return 2
    samples = defaultdict(list)
    runs = defaultdict(set)
    with open(sys.argv[1], encoding="utf-8") as lines:
        for line in lines:
            line = line.strip()
            if not line:
                continue
            record = json.loads(line)
            client, mode = record["client"], record["mode"]
            runs[client].add(record.get("run"))
            for key, value in record.items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    samples[(client, mode, key)].append(value)

    header = "| figure (median of runs) | " + " | ".join(CLIENTS) + " |"
    print(header)
    print("|---|" + "---:|" * len(CLIENTS))
    for mode, key, label, fmt in ROWS:
        cells = []
        for client in CLIENTS:
            values = samples.get((client, mode, key))
            if not values:
                cells.append("n/a")
                continue
            median = statistics.median(values)
            cells.append(f"{median / 1024:.1f}" if fmt == "mib" else fmt.format(median))
        print(f"| {label} | " + " | ".join(cells) + " |")
    counts = ", ".join(f"{c}: {len(runs[c])}" for c in CLIENTS)
    print(f"\nRuns per client: {counts}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
