"""Seeds the benchmark sandbox (bench/peers/run.sh) with N tickets through
`POST /api/v2/tickets/create_many` jobs of 100, waits for every job, checks the count through
cursor paging, and prints the IDs of the first 200 tickets (comma-separated) for the show step.

Standard library only. Environment: ZENDESK_BASE_URL, ZENDESK_EMAIL, ZENDESK_API_TOKEN,
PEER_BENCH_TICKETS (default 2000), PEER_BENCH_SEED_TIMEOUT (seconds, default 600).
"""

import base64
import json
import os
import sys
import time
import urllib.error
import urllib.request

STATUSES = ["open", "pending", "new", "open", "hold"]
PRIORITIES = ["low", "normal", "high", "urgent"]


def fail(message):
    print(f"seed: {message}", file=sys.stderr)
    sys.exit(2)


BASE = os.environ.get("ZENDESK_BASE_URL", "").rstrip("/")
EMAIL = os.environ.get("ZENDESK_EMAIL", "")
TOKEN = os.environ.get("ZENDESK_API_TOKEN", "")
if not (BASE and EMAIL and TOKEN):
    fail("ZENDESK_BASE_URL, ZENDESK_EMAIL and ZENDESK_API_TOKEN must be set")
try:
    TOTAL = int(os.environ.get("PEER_BENCH_TICKETS", "2000"))
    DEADLINE = time.monotonic() + float(os.environ.get("PEER_BENCH_SEED_TIMEOUT", "600"))
except ValueError:
    fail("PEER_BENCH_TICKETS and PEER_BENCH_SEED_TIMEOUT must be numbers")
AUTH = "Basic " + base64.b64encode(f"{EMAIL}/token:{TOKEN}".encode()).decode()


def call(method, path, body=None):
    url = path if path.startswith("http") else f"{BASE}/api/v2{path}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", AUTH)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)
    except urllib.error.HTTPError as e:
        fail(f"{method} {path} answered HTTP {e.code}: {e.read()[:300]!r}")


def ticket(n):
    return {
        "subject": f"Benchmark ticket {n}: printer on fire",
        "comment": {"body": f"Ticket {n} of the peer benchmark. The printer in room {n % 40} is on fire."},
        "status": STATUSES[n % len(STATUSES)],
        "priority": PRIORITIES[n % len(PRIORITIES)],
        "tags": ["peer_bench", f"batch_{n // 100}"],
    }


def main():
    jobs = []
    for start in range(0, TOTAL, 100):
        batch = [ticket(n) for n in range(start, min(start + 100, TOTAL))]
        jobs.append(call("POST", "/tickets/create_many", {"tickets": batch})["job_status"]["id"])
    for job_id in jobs:
        while True:
            job = call("GET", f"/job_statuses/{job_id}")["job_status"]
            if job["status"] == "completed":
                errors = [r for r in job.get("results") or [] if r.get("error") or r.get("errors")]
                if errors:
                    fail(f"job {job_id} completed with errors: {errors[:3]}")
                break
            if job["status"] in ("failed", "killed"):
                fail(f"job {job_id} ended {job['status']}: {job.get('message')}")
            if time.monotonic() > DEADLINE:
                fail(f"job {job_id} still {job['status']} at the seeding deadline")
            time.sleep(0.2)

    ids = []
    url = "/tickets?page[size]=100"
    while url:
        page = call("GET", url)
        ids.extend(t["id"] for t in page["tickets"])
        url = page["links"]["next"] if page["meta"]["has_more"] else None
    if len(ids) != TOTAL:
        fail(f"expected {TOTAL} tickets after seeding, the sandbox lists {len(ids)}")
    print(",".join(str(i) for i in ids[:200]))


if __name__ == "__main__":
    main()
