"""DynamoDB calls of the sales ledger's operations (issue 10's goals), counted with the botocore hook.

Goal: each write is one transaction plus at most one batched read; an unpaid-orders page reads at
most 2 x its limit items (here: a customer with 1,000 orders of which 10 are unpaid).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tests.harness import Api, admin, counted_dynamodb_calls, emulated

SHIP_TO = {"line1": "1 George Street", "city": "Sydney", "postal_code": "2000", "country": "AU"}


@contextmanager
def items_read() -> Iterator[list[int]]:
    """ScannedCount of every Query the handlers make (what a page really reads)."""
    from clientele.store.kernel.client import dynamodb

    counts: list[int] = []

    def record(parsed: dict[str, Any], **_: Any) -> None:
        counts.append(int(parsed.get("ScannedCount", 0)))

    events = dynamodb().meta.events
    events.register("after-call.dynamodb.Query", record, unique_id="bench-items-read")
    try:
        yield counts
    finally:
        events.unregister("after-call.dynamodb.Query", unique_id="bench-items-read")


def _order(api: Api, customer_id: str, number: str, **fields: Any) -> dict[str, Any]:
    body = {"customer_id": customer_id, "number": number, "order_date": "2026-11-01", "currency": "USD", **fields}
    reply = api.call("sales_orders/create", body=body)
    assert reply.status == 201, reply.body
    return reply.body


def _credit(api: Api, customer_id: str, amount: str) -> str:
    reply = api.call("sales_credits/create", body={"customer_id": customer_id, "currency": "USD", "amount": amount})
    assert reply.status == 201, reply.body
    return reply.body["id"]


def _measure(name: str, operation: Callable[[], Any]) -> int:
    with counted_dynamodb_calls() as calls:
        started = time.perf_counter()
        reply = operation()
        elapsed_ms = (time.perf_counter() - started) * 1000
    print(f"  {name:<52} {len(calls)}  {reply.status}  {', '.join(calls):<54} {elapsed_ms:6.1f} ms in-process")
    return len(calls)


def main() -> dict[str, int]:
    print("Sales ledger: DynamoDB calls per operation")
    figures: dict[str, int] = {}
    with emulated() as aws:
        api = admin(aws)
        customer = api.created({"name": "Bench Ledger", "address": SHIP_TO})
        customer_id = customer["id"]
        for index in range(5):
            body = {"customer_sku": f"CS-{index}", "product_id": f"P-{index}"}
            api.call("sku_mappings/upsert", customer_id=customer_id, body=body)
        lines = [
            {"customer_sku": f"CS-{i}", "description": f"Mapped {i}", "quantity": 2, "unit_price": "1.50"}
            for i in range(5)
        ] + [{"sku": f"S-{i}", "description": f"Plain {i}", "quantity": 1, "unit_price": "3.00"} for i in range(5)]
        figures["create order, 10 lines (5 by customer SKU), ship_to given"] = _measure(
            "create order, 10 lines (5 by customer SKU), ship_to given",
            lambda: api.call(
                "sales_orders/create",
                body={"customer_id": customer_id, "number": "B-1", "order_date": "2026-11-01", "currency": "USD",
                      "lines": lines, "ship_to": SHIP_TO},
            ),
        )  # fmt: skip
        figures["create order, same, default ship_to"] = _measure(
            "create order, same lines, ship_to = default address",
            lambda: api.call(
                "sales_orders/create",
                body={"customer_id": customer_id, "number": "B-2", "order_date": "2026-11-01", "currency": "USD",
                      "lines": lines},
            ),
        )  # fmt: skip
        orders = [_order(api, customer_id, f"A-{i}", total="20.00")["id"] for i in range(5)]
        credit_id = _credit(api, customer_id, "100.00")
        allocations: list[dict[str, Any]] = []

        def allocate() -> Any:
            reply = api.call(
                "sales_credits/allocate",
                path={"credit_id": credit_id},
                body={"allocations": [{"order_id": order_id, "amount": "10.00"} for order_id in orders]},
            )
            allocations.extend(reply.body["allocations"])
            return reply

        figures["allocate across 5 orders"] = _measure("allocate a credit across 5 orders", allocate)
        figures["unallocate"] = _measure(
            "unallocate",
            lambda: api.call(
                "sales_credits/unallocate", path={"credit_id": credit_id, "allocation_id": allocations[0]["id"]}
            ),
        )
        figures["create credit"] = _measure("create credit", lambda: api.call(
            "sales_credits/create", body={"customer_id": customer_id, "currency": "USD", "amount": "5"}
        ))  # fmt: skip
        figures["get order"] = _measure("get order", lambda: api.call("sales_orders/get", path={"order_id": orders[0]}))
        lined = _order(
            api,
            customer_id,
            "F-1",
            lines=[{"description": f"Line {i}", "quantity": 4, "unit_price": "1.00"} for i in range(10)],
        )
        shipped: list[str] = []

        def create_fulfillment() -> Any:
            reply = api.call(
                "fulfillments/create",
                path={"order_id": lined["id"]},
                body={"lines": [{"line_id": line["id"], "quantity": 2} for line in lined["lines"]]},
            )
            shipped.append(reply.body["id"])
            return reply

        figures["create fulfillment (10 lines)"] = _measure("create fulfillment (10 lines)", create_fulfillment)
        figures["get fulfillment"] = _measure(
            "get fulfillment", lambda: api.call("fulfillments/get", path={"fulfillment_id": shipped[0]})
        )
        figures["list fulfillments"] = _measure(
            "list the tenant's fulfillments (status=pending)",
            lambda: api.call("fulfillments/list", query={"status": "pending"}),
        )
        figures["cancel fulfillment"] = _measure(
            "cancel fulfillment", lambda: api.call("fulfillments/cancel", path={"fulfillment_id": shipped[0]})
        )
        to_cancel = _order(api, customer_id, "C-1", total="5.00")["id"]
        figures["cancel order"] = _measure(
            "cancel order", lambda: api.call("sales_orders/cancel", path={"order_id": to_cancel})
        )

        # A customer with 1,000 orders, 990 of them paid (25 per allocation), 10 unpaid.
        busy = api.created({"name": "Busy Ledger"})["id"]
        started = time.perf_counter()
        paid = [
            _order(api, busy, f"P-{i}", total="1.00", order_date=f"2025-{1 + i % 12:02d}-01")["id"] for i in range(990)
        ]
        for start in range(0, len(paid), 25):
            chunk = paid[start : start + 25]
            credit = _credit(api, busy, f"{len(chunk)}.00")
            reply = api.call(
                "sales_credits/allocate",
                path={"credit_id": credit},
                body={"allocations": [{"order_id": order_id, "amount": "1.00"} for order_id in chunk]},
            )
            assert reply.status == 201, reply.body
        for i in range(10):
            _order(api, busy, f"U-{i}", total="7.00", order_date=f"2026-0{1 + i % 9}-15")
        print(f"  (seeded 1,000 orders, 990 paid, in {time.perf_counter() - started:.1f} s)")
        with items_read() as scanned:
            figures["unpaid page (limit 50)"] = _measure(
                "unpaid-orders page, limit 50 (1,000 orders, 10 unpaid)",
                lambda: api.call("sales_orders/list_unpaid", customer_id=busy, query={"limit": "50"}),
            )
        print(f"    items read by the page's Query: {sum(scanned)} (goal: at most 2 x 50)")
        with items_read() as scanned:
            figures["unpaid page (limit 5)"] = _measure(
                "unpaid-orders page, limit 5",
                lambda: api.call("sales_orders/list_unpaid", customer_id=busy, query={"limit": "5"}),
            )
        print(f"    items read by the page's Query: {sum(scanned)} (goal: at most 2 x 5)")
    return figures


if __name__ == "__main__":
    main()
