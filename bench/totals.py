"""`include_total` on a tenant of many customers, with and without counts (in-process moto).

The tenant is built fast: one customer is created through the service, then cloned into customer
items written with BatchWriteItem (in the tenant's created-order list index), and each is counted by
the change stream's counts effect in-process (as the stream function does on its INSERT record).
Prints, for `include_total=true` on the default list: DynamoDB calls and milliseconds while the
tenant's counts are incomplete (counted by reading: a Select=COUNT Query per 1 MB, at most 50), once
they are complete (one BatchGetItem), and with a filter the counts don't answer; and what the stream
function's counts effect costs per customer write. `TOTALS_BENCH_CUSTOMERS` sets the size (20,000 by
default: moto walks the whole table per Query, so its milliseconds grow with the table, DynamoDB's
with the 1 MB pages read).
"""

from __future__ import annotations

import os
import time
from typing import Any

from bench.cloning import put_and_follow
from tests.harness import admin, emulated

CUSTOMERS = int(os.environ.get("TOTALS_BENCH_CUSTOMERS", "20000"))


def _seed(aws: Any, tenant: str, template: dict[str, Any]) -> float:
    from clientele.domain.counts import tally
    from clientele.store.kernel import keys

    dropped = {name for name in template if name.startswith(("sort_", "lookup_", "org_"))}

    def clone(position: int) -> dict[str, Any]:
        customer_id = f"cus_TOTAL{position:021d}"
        return {
            **{name: value for name, value in template.items() if name not in dropped},
            **keys.customer_key(tenant, customer_id),
            "id": customer_id,
            "number": position + 100,
            "name": f"Customer {position}",
            "code": f"T{position:06d}",
            "status": "inactive" if position % 10 == 0 else "active",
            "tenant_list": keys.tenant_customers(tenant, False),
            "sort_created": keys.sort_value(template["created_at"], customer_id),
            "version": 1,
        }

    started = time.perf_counter()
    tally.count_current(tenant, template)  # the template customer, created through the service
    put_and_follow(aws, map(clone, range(CUSTOMERS)), lambda item: tally.count_current(tenant, item))
    return time.perf_counter() - started


def _total(tenant: str, **filters: Any) -> tuple[int, bool, int, float]:
    from clientele.domain.customers.lists import CustomerListQuery, list_customers
    from clientele.domain.kernel.principal import Principal
    from tests.harness import counted_dynamodb_calls

    caller = Principal(tenant_id=tenant, subject="bench", role="admin", organization_id=None)
    with counted_dynamodb_calls() as calls:
        started = time.perf_counter()
        answer = list_customers(caller, CustomerListQuery(limit=50, include_total=True, **filters))
        elapsed = (time.perf_counter() - started) * 1000
    return answer["total"], answer["total_exact"], len(calls), elapsed


def _stream_cost(api: Any) -> list[tuple[str, int]]:
    """DynamoDB calls the counts effect makes per kind of customer write."""
    from clientele.domain.counts import tally
    from clientele.store.customers import items as customer_store

    created = api.created({"name": "Counted Pty Ltd"})

    def image() -> dict[str, Any]:
        return customer_store.load_many(api.tenant, [created["id"]])[created["id"]]

    first = image()
    rows = [("create (INSERT)", tally.follow(api.tenant, created["id"], None, first).calls)]
    branch = api.patch(created["id"], {"branch": "North"}, created["etag"]).body
    second = image()
    rows.append(("update the counts don't see (MODIFY)", tally.follow(api.tenant, created["id"], first, second).calls))
    api.patch(created["id"], {"status": "inactive"}, branch["etag"])
    third = image()
    rows.append(("status change (MODIFY)", tally.follow(api.tenant, created["id"], second, third).calls))
    rows.append(("the same record again (redelivery)", tally.follow(api.tenant, created["id"], second, third).calls))
    rows.append(("hard delete (REMOVE)", tally.follow(api.tenant, created["id"], third, None).calls))
    return rows


def main() -> None:
    print(f"include_total on a tenant of {CUSTOMERS:,} customers (counts kept by the change stream)")
    with emulated() as aws:
        api = admin(aws)
        sample = api.created({"name": "Template Customer"})
        from clientele.domain.counts import tally
        from clientele.store.customers import items as customer_store

        template = customer_store.load_many(api.tenant, [sample["id"]])[sample["id"]]
        seconds = _seed(aws, api.tenant, template)
        print(f"  (built {CUSTOMERS:,} customers and counted them in {seconds:.0f} s)")
        print("  include_total=true (limit 50)                     total  exact  DynamoDB calls         ms")
        rows = [("counts incomplete: counted by reading", {})]
        for label, filters in rows:
            total, exact, calls, elapsed = _total(api.tenant, **filters)
            print(f"  {label:<46} {total:>9,} {exact!s:>6} {calls:>15} {elapsed:10.1f}")
        tally.mark_tenant_complete(api.tenant)
        for label, filters in [
            ("counts complete: no filter", {}),
            ("counts complete: status=inactive", {"status": "inactive"}),
            ("counts complete: archived=any", {"archived": "any"}),
            ("a filter not counted (branch): by reading", {"branch": "North"}),
        ]:
            total, exact, calls, elapsed = _total(api.tenant, **filters)
            print(f"  {label:<46} {total:>9,} {exact!s:>6} {calls:>15} {elapsed:10.1f}")
        print("  stream function, counts effect per customer write        DynamoDB calls")
        for label, calls in _stream_cost(api):
            print(f"  {label:<56} {calls:>14}")


if __name__ == "__main__":
    main()
