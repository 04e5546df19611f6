"""Search on a tenant of many customers (in-process moto, the integration tests' harness).

The tenant is built fast: one customer is created through the service, then cloned into customer
items written with BatchWriteItem, and each is followed by the change stream's search effect
in-process (as the stream function does on its INSERT record). Prints, per `q` (first page, limit
50): DynamoDB calls, items read (search items and customers) and customers returned; and what the
stream function writes per customer write. `SEARCH_BENCH_CUSTOMERS` sets the size: 20,000 by default,
because moto answers every Query by walking the whole table (a `q` page takes 5-10 s at 20,000
customers, building the tenant 4-5 minutes); the calls and items read are what DynamoDB would read,
and they do not grow with the tenant (the key ranges read are the same). Pages are read through the
list service without a deadline (the handler's would cut moto's slow pages short).
"""

from __future__ import annotations

import os
import time
from typing import Any

from bench.cloning import put_and_follow
from tests.harness import admin, emulated

CUSTOMERS = int(os.environ.get("SEARCH_BENCH_CUSTOMERS", "20000"))
FIRST = ("Olivia", "Noah", "Emma", "Liam", "Mia", "Lucas", "Zoe", "Oscar", "Isla", "Hugo")
SYLLABLES = ("ba", "ko", "ri", "ma", "te", "lo", "su", "ne", "vi", "da")


def _name(index: int) -> str:
    last = "".join(SYLLABLES[(index // 10**k) % 10] for k in (1, 2, 3)) + "son"
    words = [FIRST[index % 10], last.capitalize()]
    if index % 10 < 3:
        words.append("Acme")  # 30 % of customers
    if index % 100 == 7:
        words.append("Rarity")  # 1 %
    return " ".join(words)


def _seed(aws, tenant: str, template: dict[str, Any]) -> float:
    from clientele.domain.search import index

    dropped = {name for name in template if name.startswith(("sort_", "lookup_")) or name.endswith("_list")}

    def clone(position: int) -> dict[str, Any]:
        customer_id = f"cus_BENCH{position:021d}"
        item = {name: value for name, value in template.items() if name not in dropped}
        item.update(
            pk=f"T#{tenant}#C#{customer_id}",
            sk="CUSTOMER",
            id=customer_id,
            number=position + 100,
            name=_name(position),
            code=f"C{position:06d}",
            emails=[f"buyer{position}@shop{position % 500}.example"],
            version=1,
        )
        return item

    started = time.perf_counter()
    put_and_follow(aws, map(clone, range(CUSTOMERS)), lambda item: index.follow(tenant, item["id"], None, item))
    return time.perf_counter() - started


def _figures(api, q: str) -> tuple[int, int, int, int, float]:
    from clientele.store.kernel.client import dynamodb

    reads = {"calls": 0, "search_items": 0, "customers": 0}

    def record(event_name: str, parsed: dict[str, Any], **_: Any) -> None:
        reads["calls"] += 1
        if event_name.endswith(".Query"):
            reads["search_items"] += parsed.get("ScannedCount", 0)
        else:
            reads["customers"] += sum(len(items) for items in parsed.get("Responses", {}).values())

    events = dynamodb().meta.events
    events.register("after-call.dynamodb", record, unique_id="bench-search")
    from clientele.domain.customers.lists import CustomerListQuery, list_customers
    from clientele.domain.kernel.principal import Principal

    caller = Principal(tenant_id=api.tenant, subject="bench", role="admin", organization_id=None)
    try:
        started = time.perf_counter()
        answer = list_customers(caller, CustomerListQuery(q=q, limit=50))
        elapsed = (time.perf_counter() - started) * 1000
    finally:
        events.unregister("after-call.dynamodb", unique_id="bench-search")
    return reads["calls"], reads["search_items"], reads["customers"], len(answer["data"]), elapsed


def _stream_cost(api) -> list[tuple[str, int, int]]:
    """TransactWriteItems calls and items written by the search effect, per kind of customer write."""
    from clientele.domain.search import index
    from clientele.store.kernel.client import dynamodb as client
    from clientele.store.kernel.client import from_item

    created = api.created({"name": "Stream Cost Pty Ltd", "code": "SC-1", "emails": ["a@b.example"]})

    def image() -> dict[str, Any]:
        raw = client().get_item(
            TableName=api.aws.table, Key={"pk": {"S": f"T#{api.tenant}#C#{created['id']}"}, "sk": {"S": "CUSTOMER"}}
        )["Item"]
        return from_item(raw)

    first = image()
    rows = []
    applied = index.follow(api.tenant, created["id"], None, first)
    rows.append(("create (INSERT)", applied.calls, applied.writes))
    branch = api.patch(created["id"], {"branch": "North"}, created["etag"]).body
    second = image()
    applied = index.follow(api.tenant, created["id"], first, second)
    rows.append(("update search doesn't see (MODIFY)", applied.calls, applied.writes))
    api.patch(created["id"], {"name": "Stream Cost Holdings"}, branch["etag"])
    third = image()
    applied = index.follow(api.tenant, created["id"], second, third)
    rows.append(("rename, one word changed (MODIFY)", applied.calls, applied.writes))
    applied = index.follow(api.tenant, created["id"], second, third)
    rows.append(("the rename's record again (redelivery)", applied.calls, applied.writes))
    applied = index.follow(api.tenant, created["id"], third, None)
    rows.append(("hard delete (REMOVE)", applied.calls, applied.writes))
    return rows


def main() -> None:
    print(f"Search on a tenant of {CUSTOMERS:,} customers (q served by the search index)")
    with emulated() as aws:
        api = admin(aws)
        api.aws = aws
        sample = api.created({"name": "Template Customer", "code": "TPL-1", "emails": ["t@template.example"]})
        from clientele.store.customers import items as customer_store

        template = customer_store.load_many(api.tenant, [sample["id"]])[sample["id"]]
        seconds = _seed(aws, api.tenant, template)
        print(f"  (built {CUSTOMERS:,} customers and their search items in {seconds:.0f} s)")
        print("  q (first page, limit 50)                 calls  search items read  customers read  returned  ms")
        middle = CUSTOMERS // 2
        for label, q in [
            ("exact code", f"C{middle:06d}"),
            ("exact email", f"buyer{middle}@shop{middle % 500}.example"),
            ("word prefix matching 1 % (rar)", "rar"),
            ("word prefix matching 30 % (acm)", "acm"),
            ("two words (acme + a 1 % surname)", "acme bakoba"),
        ]:
            calls, items, customers, returned, elapsed = _figures(api, q)
            print(f"  {label:<40} {calls:>6} {items:>18,} {customers:>15,} {returned:>9} {elapsed:7.1f}")
        print("  stream function, search effect per customer write   TransactWriteItems  items written")
        for label, calls, writes in _stream_cost(api):
            print(f"  {label:<52} {calls:>18} {writes:>14}")


if __name__ == "__main__":
    main()
