"""List pages and matching on 10,000 customers (in-process moto, the integration tests' harness).

Prints, per list page: Query calls, items DynamoDB read (ScannedCount) and items
matched (Count), for an unselective and a selective filter (`q` has its own figures: bench/search.py);
and the latency of
POST /v1/customers/match with 20 customers per postal code. moto, like
DynamoDB, returns at most 1 MB per Query call. moto answers index queries by
walking the whole table, so its latencies here say little about DynamoDB's.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from tests.harness import admin, emulated

CUSTOMERS = 10_000
PER_POSTAL_CODE = 20
STREETS = ("George Street", "Pitt Street", "Market Street", "King Street", "Queen Street")


def _seed(api) -> None:
    from clientele.domain.customers import service as customers
    from clientele.domain.kernel.principal import Principal

    caller = Principal(tenant_id=api.tenant, subject="bench", role="admin", organization_id=None)
    started = time.perf_counter()
    for number in range(CUSTOMERS):
        postal = f"{2000 + number // PER_POSTAL_CODE}"
        customers.create(
            caller,
            {
                "name": f"Customer {number:05d} Pty Ltd",
                "code": f"C{number:05d}",
                "branch": "Rare" if number % 100 == 0 else "Common",
                "address": {"line1": f"{number % 97} {STREETS[number % 5]}", "postal_code": postal, "country": "AU"},
            },
        )
    print(f"  (seeded {CUSTOMERS:,} customers in {time.perf_counter() - started:.0f} s)")


def _page_figures(api, **query: Any) -> tuple[int, int, int, int, float]:
    from clientele.store.kernel.client import dynamodb

    reads = {"calls": 0, "scanned": 0, "matched": 0}

    def record(parsed: dict[str, Any], **_: Any) -> None:
        reads["calls"] += 1
        reads["scanned"] += parsed.get("ScannedCount", 0)
        reads["matched"] += parsed.get("Count", 0)

    events = dynamodb().meta.events
    events.register("after-call.dynamodb.Query", lambda parsed, **kw: record(parsed), unique_id="bench-query")
    try:
        started = time.perf_counter()
        reply = api.list(**query)
        elapsed = (time.perf_counter() - started) * 1000
    finally:
        events.unregister("after-call.dynamodb.Query", unique_id="bench-query")
    return reads["calls"], reads["scanned"], reads["matched"], len(reply.body["data"]), elapsed


def main() -> None:
    print(f"Lists and matching on {CUSTOMERS:,} customers ({PER_POSTAL_CODE} per postal code)")
    with emulated() as aws:
        api = admin(aws)
        _seed(api)
        print("  list page (limit 50)              Query calls  items read  items matched  returned  ms")
        for label, query in [
            ("no filter, -created_at", {}),
            ("unselective: status=active", {"status": "active"}),
            ("selective: branch=Rare (1 %)", {"branch": "Rare"}),
            ("no filter, name sort", {"sort": "name"}),
        ]:
            calls, scanned, matched, returned, elapsed = _page_figures(api, limit=50, **query)
            print(f"  {label:<34} {calls:>6} {scanned:>11,} {matched:>14,} {returned:>9} {elapsed:7.1f}")
        timings = []
        for number in range(0, CUSTOMERS, CUSTOMERS // 50):
            body = {
                "postal_code": f"{2000 + number // PER_POSTAL_CODE}",
                "line1": f"{number % 97} George St",
                "name": f"Customer {number:05d}",
            }
            started = time.perf_counter()
            reply = api.call("customers/match", body=body)
            timings.append((time.perf_counter() - started) * 1000)
            assert reply.status == 200, reply.body
        print(
            f"  match ({PER_POSTAL_CODE} candidates, line1 + name): median {statistics.median(timings):.1f} ms, "
            f"p90 {statistics.quantiles(timings, n=10)[-1]:.1f} ms over {len(timings)} requests (in-process)"
        )


if __name__ == "__main__":
    main()
