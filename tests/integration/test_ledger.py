"""The sales ledger (API.md §10): orders with lines, credits, allocations, unpaid orders, linked records."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from tests.harness import Api

_numbers = itertools.count(1)


# ---------------------------------------------------------------- helpers


def customer(api: Api, **fields: Any) -> dict[str, Any]:
    return api.created({"name": "Ledger Pty Ltd", **fields})


def order(api: Api, customer_id: str, expect: int = 201, **fields: Any):
    body = {
        "customer_id": customer_id,
        "number": f"SO-{next(_numbers)}",
        "order_date": "2026-11-01",
        "currency": "USD",
        "total": "100.00",
        **fields,
    }
    body = {name: value for name, value in body.items() if value is not None}
    reply = api.call("sales_orders/create", body=body)
    assert reply.status == expect, reply.body
    return reply.body if expect == 201 else reply


def credit(api: Api, customer_id: str, amount: str = "100.00", currency: str = "USD") -> dict[str, Any]:
    reply = api.call("sales_credits/create", body={"customer_id": customer_id, "currency": currency, "amount": amount})
    assert reply.status == 201, reply.body
    return reply.body


def allocate(api: Api, credit_id: str, *entries: tuple[str, str], **kwargs: Any):
    body = {"allocations": [{"order_id": order_id, "amount": amount} for order_id, amount in entries]}
    return api.call("sales_credits/allocate", path={"credit_id": credit_id}, body=body, **kwargs)


def get_order(api: Api, order_id: str):
    return api.call("sales_orders/get", path={"order_id": order_id})


def get_credit(api: Api, credit_id: str):
    return api.call("sales_credits/get", path={"credit_id": credit_id})


def unpaid(api: Api, customer_id: str, **query: Any):
    return api.call("sales_orders/list_unpaid", customer_id=customer_id, query={k: str(v) for k, v in query.items()})


def pointers(reply) -> list[tuple[str, str]]:
    return [(error["pointer"], error["code"]) for error in reply.body["errors"]]


# ---------------------------------------------------------------- orders


def test_create_order_with_lines_resolves_customer_skus_and_computes_the_total(api, dynamodb_calls):
    cus = customer(api)
    for sku, product in (("00042-A", "prod_1"), ("abc", "prod_2")):
        assert (
            api.call(
                "sku_mappings/upsert", customer_id=cus["id"], body={"customer_sku": sku, "product_id": product}
            ).status
            == 201
        )
    dynamodb_calls.clear()
    created = order(
        api,
        cus["id"],
        total=None,
        ship_to={"line1": "1 Main St", "country": "AU", "city": "Sydney"},
        shipping_method="express",
        lines=[
            {
                "customer_sku": "00042-A",
                "description": "Widget",
                "quantity": 3,
                "unit_price": "12.5",
                "weight_kg": "0.25",
            },
            {"customer_sku": "abc", "description": "Gadget", "quantity": 2, "unit_price": "1"},
            {"sku": "BOX", "description": "Box", "quantity": 1},
        ],
    )

    assert dynamodb_calls == ["BatchGetItem", "TransactWriteItems"]
    assert created["total"] == "39.50" and created["balance"] == "39.50" and created["amount_paid"] == "0.00"
    assert [line["product_id"] for line in created["lines"]] == ["prod_1", "prod_2", None]
    assert created["lines"][0]["unit_price"] == "12.50" and created["lines"][2]["unit_price"] == "0.00"
    assert all(line["id"].startswith("lin_") and line["fulfilled_quantity"] == 0 for line in created["lines"])
    assert created["status"] == "open" and created["payment_status"] == "unpaid"
    assert created["fulfillment_status"] == "unfulfilled" and created["payments"] == []
    assert created["customer_snapshot"] == {"code": None, "name": "Ledger Pty Ltd"}
    assert created["ship_to"]["line1"] == "1 Main St" and created["shipping_method"] == "express"
    assert get_order(api, created["id"]).body == created


def test_an_unmapped_customer_sku_is_422_at_its_line_and_writes_nothing(api, stored):
    cus = customer(api)
    reply = order(api, cus["id"], 422, total=None, lines=[
        {"sku": "A", "description": "ok", "quantity": 1},
        {"customer_sku": "nope", "description": "x", "quantity": 1},
    ])  # fmt: skip

    assert pointers(reply) == [("/lines/1/customer_sku", "unknown_customer_sku")]
    assert not [item for item in stored(f"T#{api.tenant}#") if item["sk"].startswith("ORD#")]


def test_a_total_that_is_not_the_lines_sum_is_total_mismatch(api):
    cus = customer(api)
    reply = order(api, cus["id"], 422, total="10.00", lines=[{"description": "x", "quantity": 2, "unit_price": "4.00"}])

    assert pointers(reply) == [("/total", "total_mismatch")]
    assert (
        order(api, cus["id"], total="8", lines=[{"description": "x", "quantity": 2, "unit_price": "4.00"}])["total"]
        == "8.00"
    )


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"total": 10}, ("/total", "invalid_money")),
        ({"total": "10.001"}, ("/total", "invalid_money")),
        ({"currency": "XYZ"}, ("/currency", "invalid_currency")),
        ({"currency": "usd"}, ("/currency", "invalid_currency")),
        ({"order_date": "2026-02-30"}, ("/order_date", "invalid_date")),
        ({"total": None}, ("/total", "required")),
        ({"lines": [{"description": "x", "quantity": 0}], "total": None}, ("/lines/0/quantity", "out_of_range")),
        (
            {"lines": [{"description": "x", "quantity": 1, "weight_kg": "0"}], "total": None},
            ("/lines/0/weight_kg", "invalid_decimal"),
        ),
        (
            {"lines": [{"description": "x", "quantity": 1, "fulfilled_quantity": 1}], "total": None},
            ("/lines/0/fulfilled_quantity", "read_only"),
        ),
        ({"status": "open"}, ("/status", "read_only")),
        ({"ship_to": {"line1": "x"}}, ("/ship_to/country", "required")),
        ({"lines": [{"description": "x", "quantity": 1}] * 251, "total": None}, ("/lines", "too_many_items")),
    ],
)
def test_bad_order_input_is_422_with_a_pointer(api, fields, expected):
    cus = customer(api)
    reply = order(api, cus["id"], 422, **fields)

    assert reply.body["type"] == "/problems/validation-error"
    assert expected in pointers(reply)


def test_order_numbers_are_unique_per_tenant_and_the_conflict_names_the_holder(api, aws):
    from tests.harness import admin

    first, second = customer(api), customer(api, code="C2")
    held = order(api, first["id"], number="SO-X")
    reply = order(api, second["id"], 409, number="SO-X")

    assert reply.body["type"] == "/problems/conflict"
    assert reply.body["conflict"] == {"field": "number", "existing_id": held["id"]}
    other = admin(aws)
    assert order(other, customer(other)["id"], number="SO-X")["number"] == "SO-X"


def test_ship_to_comes_from_the_book_by_id_or_the_default_and_is_a_snapshot(api):
    cus = customer(api, address={"line1": "1 George Street", "city": "Sydney", "postal_code": "2000", "country": "AU"})
    extra = api.add_address(cus["id"], {"line1": "9 Elm Rd", "country": "NZ"}).body
    by_default = order(api, cus["id"])
    by_id = order(api, cus["id"], ship_to={"address_id": extra["id"]})
    unknown = order(api, cus["id"], 422, ship_to={"address_id": "adr_01JD3X5V7R2T8E6Q9M4K1N0B5C"})

    assert by_default["ship_to"]["line1"] == "1 George Street" and by_default["ship_to"]["postal_code"] == "2000"
    assert by_id["ship_to"]["line1"] == "9 Elm Rd" and by_id["ship_to"]["country"] == "NZ"
    assert pointers(unknown) == [("/ship_to/address_id", "unknown_address")]
    address_id = cus["default_shipping_address_id"]
    assert api.patch_address(cus["id"], address_id, {"line1": "2 Pitt St"}).status == 200
    assert get_order(api, by_default["id"]).body["ship_to"]["line1"] == "1 George Street"
    assert order(api, customer(api, code="NOADDR")["id"])["ship_to"] is None


def test_orders_update_the_lifetime_value_without_changing_the_customer_version(api):
    cus = customer(api)
    order(api, cus["id"], total="100.00")
    eur = order(api, cus["id"], total="20.50", currency="EUR")
    order(api, cus["id"], total="0.25")
    after = api.get(cus["id"])

    assert after.body["lifetime_value"] == "100.25"
    assert after.body["lifetime_values"] == {"EUR": "20.50", "USD": "100.25"}
    assert after.body["version"] == cus["version"] and after.etag == cus["etag"]
    assert api.call("sales_orders/cancel", path={"order_id": eur["id"]}).status == 200
    assert api.get(cus["id"]).body["lifetime_values"] == {"EUR": "0.00", "USD": "100.25"}
    # A customer write with the same ETag still works, and keeps the ledger's counters.
    patched = api.patch(cus["id"], {"branch": "North"}, cus["etag"])
    assert patched.status == 200 and patched.body["lifetime_value"] == "100.25"
    replaced = api.put(cus["id"], {"name": "Ledger Pty Ltd"}, patched.etag)
    assert replaced.status == 200 and replaced.body["lifetime_values"] == {"EUR": "0.00", "USD": "100.25"}
    assert api.get(cus["id"]).body["lifetime_value"] == "100.25"
    listed = api.list().body["data"]
    assert listed[0]["lifetime_value"] == "100.25"


def test_cancel_is_idempotent_and_leaves_the_unpaid_list(api):
    cus = customer(api)
    created = order(api, cus["id"])
    first = api.call("sales_orders/cancel", path={"order_id": created["id"]})
    again = api.call("sales_orders/cancel", path={"order_id": created["id"]})

    assert first.status == again.status == 200
    assert first.body["status"] == "cancelled" and again.body == first.body
    assert unpaid(api, cus["id"]).body["data"] == []
    assert api.get(cus["id"]).body["lifetime_value"] == "0.00"


def test_an_order_with_allocations_cannot_be_cancelled(api):
    cus = customer(api)
    created = order(api, cus["id"])
    crd = credit(api, cus["id"])
    alc = allocate(api, crd["id"], (created["id"], "10")).body["allocations"][0]
    reply = api.call("sales_orders/cancel", path={"order_id": created["id"]})

    assert reply.status == 409 and reply.body["type"] == "/problems/order-has-allocations"
    api.call("sales_credits/unallocate", path={"credit_id": crd["id"], "allocation_id": alc["id"]})
    assert api.call("sales_orders/cancel", path={"order_id": created["id"]}).status == 200


def test_unknown_customers_and_orders_are_404(api):
    assert order(api, "cus_01JD3X5V7R2T8E6Q9M4K1N0B5C", 404).body["type"] == "/problems/not-found"
    assert get_order(api, "ord_01JD3X5V7R2T8E6Q9M4K1N0B5C").status == 404
    assert get_order(api, "nope").status == 404
    assert api.call("sales_orders/cancel", path={"order_id": "ord_01JD3X5V7R2T8E6Q9M4K1N0B5C"}).status == 404


def test_ledger_records_are_404_outside_the_tenant_and_the_organization(api, aws):
    from tests.harness import admin

    cus = customer(api, organization_id="org-a")
    created = order(api, cus["id"])
    crd = credit(api, cus["id"])
    stranger = admin(aws)
    courier_b = api.as_caller(role="courier", organization_id="org-b")
    courier_a = api.as_caller(role="courier", organization_id="org-a")

    for caller in (stranger, courier_b):
        assert get_order(caller, created["id"]).status == 404
        assert get_credit(caller, crd["id"]).status == 404
        assert unpaid(caller, cus["id"]).status == 404
        assert caller.call("sales_credits/list", customer_id=cus["id"]).status == 404
        assert allocate(caller, crd["id"], (created["id"], "1")).status == 404
        assert caller.call("sales_orders/cancel", path={"order_id": created["id"]}).status == 404
        assert order(caller, cus["id"], 404)
        body = {"customer_id": cus["id"], "currency": "USD", "amount": "1"}
        assert caller.call("sales_credits/create", body=body).status == 404
    assert get_order(courier_a, created["id"]).status == 200
    assert allocate(courier_a, crd["id"], (created["id"], "1")).status == 201


def test_ledger_routes_honour_idempotency_keys(api, stored):
    cus = customer(api)
    body = {"customer_id": cus["id"], "number": "SO-IDEM", "order_date": "2026-01-01", "currency": "USD", "total": "5"}
    first = api.call("sales_orders/create", body=body, headers={"Idempotency-Key": "k1"})
    again = api.call("sales_orders/create", body=body, headers={"Idempotency-Key": "k1"})
    other = api.call("sales_orders/create", body={**body, "total": "6"}, headers={"Idempotency-Key": "k1"})

    assert first.status == again.status == 201 and again.body == first.body
    assert again.header("Idempotent-Replayed") == "true"
    assert other.status == 422 and other.body["type"] == "/problems/idempotency-key-reused"
    crd_body = {"customer_id": cus["id"], "currency": "USD", "amount": "5"}
    c1 = api.call("sales_credits/create", body=crd_body, headers={"Idempotency-Key": "k2"})
    c2 = api.call("sales_credits/create", body=crd_body, headers={"Idempotency-Key": "k2"})
    assert c1.body == c2.body
    a1 = allocate(api, c1.body["id"], (first.body["id"], "1"), headers={"Idempotency-Key": "k3"})
    a2 = allocate(api, c1.body["id"], (first.body["id"], "1"), headers={"Idempotency-Key": "k3"})
    assert a1.status == a2.status == 201 and a1.body == a2.body
    assert get_credit(api, c1.body["id"]).body["allocated"] == "1.00"
    assert api.get(cus["id"]).body["lifetime_value"] == "5.00"


# ---------------------------------------------------------------- unpaid orders


def test_unpaid_orders_are_oldest_order_date_first_then_created_at_and_paginate(api, dynamodb_calls):
    cus = customer(api)
    made = [
        order(api, cus["id"], order_date=day)
        for day in ("2026-03-01", "2026-01-15", "2026-03-01", "2026-02-01", "2026-01-15")
    ]
    paid = order(api, cus["id"], order_date="2025-01-01", total="10")
    crd = credit(api, cus["id"])
    assert allocate(api, crd["id"], (paid["id"], "10")).status == 201
    order(api, customer(api, code="OTHER")["id"], order_date="2020-01-01")
    expected = [made[1]["id"], made[4]["id"], made[3]["id"], made[0]["id"], made[2]["id"]]

    dynamodb_calls.clear()
    first = unpaid(api, cus["id"], limit=2)
    assert dynamodb_calls == ["GetItem", "Query"]
    seen = [o["id"] for o in first.body["data"]]
    reply = first
    while reply.body["has_more"]:
        reply = unpaid(api, cus["id"], limit=2, cursor=reply.body["next_cursor"])
        seen += [o["id"] for o in reply.body["data"]]
    assert seen == expected
    assert reply.body["next_cursor"] is None
    assert unpaid(api, cus["id"], cursor=first.body["next_cursor"], limit=2).status == 200
    other = customer(api, code="X2")
    assert unpaid(api, other["id"], cursor=first.body["next_cursor"]).status == 400


def test_a_partially_paid_order_stays_unpaid_until_its_balance_is_zero(api):
    cus = customer(api)
    created = order(api, cus["id"], total="50")
    crd = credit(api, cus["id"])
    allocate(api, crd["id"], (created["id"], "20"))
    assert [o["balance"] for o in unpaid(api, cus["id"]).body["data"]] == ["30.00"]
    allocate(api, crd["id"], (created["id"], "30"))
    assert unpaid(api, cus["id"]).body["data"] == []


# ---------------------------------------------------------------- credits and allocations


def test_credits_are_listed_all_or_open_and_count_on_the_customer(api):
    cus = customer(api)
    used = credit(api, cus["id"], "10.00")
    fresh = credit(api, cus["id"], "5")
    created = order(api, cus["id"])
    allocate(api, used["id"], (created["id"], "10"))

    everything = api.call("sales_credits/list", customer_id=cus["id"]).body["data"]
    open_only = api.call("sales_credits/list", customer_id=cus["id"], query={"status": "open"}).body["data"]
    assert [c["id"] for c in everything] == [used["id"], fresh["id"]]
    assert [c["id"] for c in open_only] == [fresh["id"]]
    assert fresh["amount"] == "5.00" and fresh["remaining"] == "5.00" and fresh["payment_status"] == "open"
    assert everything[0]["payment_status"] == "paid" and everything[0]["remaining"] == "0.00"
    bad = api.call("sales_credits/list", customer_id=cus["id"], query={"status": "closed"})
    assert bad.status == 422 and bad.body["errors"][0]["parameter"] == "status"
    page = api.call("sales_credits/list", customer_id=cus["id"], query={"limit": "1"}).body
    assert page["has_more"] and len(page["data"]) == 1
    rest = api.call("sales_credits/list", customer_id=cus["id"], query={"limit": "1", "cursor": page["next_cursor"]})
    assert [c["id"] for c in rest.body["data"]] == [fresh["id"]] and not rest.body["has_more"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"customer_id": "C", "currency": "USD", "amount": 5}, ("/amount", "invalid_money")),
        ({"customer_id": "C", "currency": "USD", "amount": "5.001"}, ("/amount", "invalid_money")),
        ({"customer_id": "C", "currency": "USD", "amount": "0"}, ("/amount", "not_positive")),
        ({"customer_id": "C", "currency": "USD", "amount": "-1"}, ("/amount", "invalid_money")),
        ({"customer_id": "C", "currency": "ABC", "amount": "1"}, ("/currency", "invalid_currency")),
        ({"customer_id": "C", "currency": "USD", "amount": "1", "remaining": "1"}, ("/remaining", "read_only")),
    ],
)
def test_bad_credit_input_is_422(api, body, expected):
    cus = customer(api)
    reply = api.call("sales_credits/create", body={**body, "customer_id": cus["id"]})

    assert reply.status == 422 and expected in pointers(reply)


def test_allocation_pays_orders_and_the_credit_all_at_once(api, dynamodb_calls):
    cus = customer(api)
    orders_made = [order(api, cus["id"], total="30") for _ in range(2)]
    crd = credit(api, cus["id"], "50")

    dynamodb_calls.clear()
    reply = allocate(api, crd["id"], (orders_made[0]["id"], "30"), (orders_made[1]["id"], "20"))
    assert dynamodb_calls == ["GetItem", "BatchGetItem", "TransactWriteItems"]

    assert reply.status == 201
    assert [a["amount"] for a in reply.body["allocations"]] == ["30.00", "20.00"]
    assert reply.body["credit"]["allocated"] == "50.00" and reply.body["credit"]["payment_status"] == "paid"
    first, second = reply.body["orders"]
    assert first["payment_status"] == "paid" and first["balance"] == "0.00"
    assert second["payment_status"] == "partially_paid" and second["amount_paid"] == "20.00"
    payment = second["payments"][0]
    assert payment["type"] == "credit" and payment["credit_id"] == crd["id"]
    assert payment["allocation_id"] == reply.body["allocations"][1]["id"]
    assert get_order(api, second["id"]).body == second
    assert get_credit(api, crd["id"]).body == reply.body["credit"]


def test_rejected_allocations_point_at_the_entries_and_write_nothing(api, aws, stored):
    cus = customer(api)
    other = customer(api, code="OTHER")
    small = order(api, cus["id"], total="10")
    big = order(api, cus["id"], total="100")
    euro = order(api, cus["id"], total="10", currency="EUR")
    cancelled = order(api, cus["id"], total="10")
    api.call("sales_orders/cancel", path={"order_id": cancelled["id"]})
    foreign = order(api, other["id"], total="10")
    crd = credit(api, cus["id"], "50")
    before = sorted(str(item) for item in stored(f"T#{api.tenant}#"))

    cases = [
        ([(small["id"], "11")], [("/allocations/0/amount", "exceeds_balance")]),
        ([(big["id"], "40"), (small["id"], "10"), (big["id"], "1")], [("/allocations/2/order_id", "duplicate_order")]),
        ([(big["id"], "45"), (small["id"], "6")], [("/allocations/1/amount", "exceeds_remaining")]),
        ([(euro["id"], "1")], [("/allocations/0/order_id", "currency_mismatch")]),
        ([(small["id"], "1"), (euro["id"], "1")], [("/allocations/1/order_id", "currency_mismatch")]),
        ([(cancelled["id"], "1")], [("/allocations/0/order_id", "order_not_open")]),
        ([(foreign["id"], "1")], [("/allocations/0/order_id", "unknown_order")]),
        ([("ord_01JD3X5V7R2T8E6Q9M4K1N0B5C", "1")], [("/allocations/0/order_id", "unknown_order")]),
    ]
    for entries, expected in cases:
        reply = allocate(api, crd["id"], *entries)
        assert reply.status == 422, (entries, reply.body)
        assert reply.body["type"] == "/problems/allocation-rejected"
        assert pointers(reply) == expected

    shape = [
        ({"allocations": [{"order_id": small["id"], "amount": 1}]}, ("/allocations/0/amount", "invalid_money")),
        ({"allocations": [{"order_id": small["id"], "amount": "1.001"}]}, ("/allocations/0/amount", "invalid_money")),
        ({"allocations": [{"order_id": small["id"], "amount": "0"}]}, ("/allocations/0/amount", "not_positive")),
        ({"allocations": [{"order_id": small["id"], "amount": "-1"}]}, ("/allocations/0/amount", "invalid_money")),
        ({"allocations": []}, ("/allocations", "too_short")),
        ({"allocations": [{"order_id": small["id"], "amount": "0.01"}] * 26}, ("/allocations", "too_many_items")),
    ]
    for body, expected in shape:
        reply = api.call("sales_credits/allocate", path={"credit_id": crd["id"]}, body=body)
        assert reply.status == 422 and expected in pointers(reply), reply.body
    assert sorted(str(item) for item in stored(f"T#{api.tenant}#")) == before


def test_unallocate_reverses_the_payment_and_both_statuses(api):
    cus = customer(api)
    created = order(api, cus["id"], total="40")
    crd = credit(api, cus["id"], "40")
    alc = allocate(api, crd["id"], (created["id"], "40")).body["allocations"][0]
    assert unpaid(api, cus["id"]).body["data"] == []
    assert api.call("sales_credits/list", customer_id=cus["id"], query={"status": "open"}).body["data"] == []

    reply = api.call("sales_credits/unallocate", path={"credit_id": crd["id"], "allocation_id": alc["id"]})
    assert reply.status == 200
    assert reply.body["credit"]["payment_status"] == "open" and reply.body["credit"]["remaining"] == "40.00"
    assert reply.body["order"]["payment_status"] == "unpaid" and reply.body["order"]["payments"] == []
    assert reply.body["order"]["balance"] == "40.00"
    assert [o["id"] for o in unpaid(api, cus["id"]).body["data"]] == [created["id"]]
    assert [
        c["id"] for c in api.call("sales_credits/list", customer_id=cus["id"], query={"status": "open"}).body["data"]
    ] == [crd["id"]]
    again = api.call("sales_credits/unallocate", path={"credit_id": crd["id"], "allocation_id": alc["id"]})
    assert again.status == 404


def test_partial_unallocation_leaves_partially_paid_states(api):
    cus = customer(api)
    created = order(api, cus["id"], total="40")
    crd = credit(api, cus["id"], "40")
    allocated = allocate(api, crd["id"], (created["id"], "10")).body["allocations"][0]
    allocate(api, crd["id"], (created["id"], "30"))
    reply = api.call("sales_credits/unallocate", path={"credit_id": crd["id"], "allocation_id": allocated["id"]})

    assert reply.body["credit"]["payment_status"] == "partially_paid" and reply.body["credit"]["remaining"] == "10.00"
    assert reply.body["order"]["payment_status"] == "partially_paid" and reply.body["order"]["balance"] == "10.00"


def test_unallocating_an_allocation_of_another_credit_is_404(api):
    cus = customer(api)
    created = order(api, cus["id"], total="40")
    one, two = credit(api, cus["id"]), credit(api, cus["id"])
    alc = allocate(api, one["id"], (created["id"], "5")).body["allocations"][0]

    assert api.call("sales_credits/unallocate", path={"credit_id": two["id"], "allocation_id": alc["id"]}).status == 404
    assert api.call("sales_credits/unallocate", path={"credit_id": one["id"], "allocation_id": "x"}).status == 404


def test_ledger_scopes_are_declared_on_every_route():
    from localdev.template import Template
    from tests.harness import ROOT

    routes = {route.route_key: route.scopes for route in Template.load(ROOT / "template.yaml").http_routes()}
    assert routes["POST /v1/sales-orders"] == ("ledger:write",)
    assert routes["GET /v1/sales-orders/{order_id}"] == ("ledger:read",)
    assert routes["POST /v1/sales-credits/{credit_id}/allocations"] == ("ledger:write",)
    assert routes["DELETE /v1/sales-credits/{credit_id}/allocations/{allocation_id}"] == ("ledger:write",)
    assert routes["GET /v1/customers/{customer_id}/unpaid-orders"] == ("ledger:read",)
    assert routes["GET /v1/customers/{customer_id}/sales-credits"] == ("ledger:read",)


# ---------------------------------------------------------------- linked records


def test_customers_with_ledger_records_cannot_be_hard_deleted_anywhere(api):
    with_order, with_credit, free = customer(api, code="A"), customer(api, code="B"), customer(api, code="C")
    order(api, with_order["id"])
    order(api, with_order["id"])
    credit(api, with_credit["id"])

    single = api.delete(with_order["id"], with_order["etag"])
    assert single.status == 409 and single.body["type"] == "/problems/linked-records"
    assert single.body["links"] == {"sales_orders": 2, "sales_credits": 0}
    bulk = api.bulk("delete", {"ids": [with_order["id"], with_credit["id"], free["id"]]}).body["results"]
    assert [r["outcome"] for r in bulk] == ["linked_records", "linked_records", "deleted"]
    deletable = api.call("customers/check_deletable", body={"ids": [with_order["id"], with_credit["id"]]})
    assert [r["reasons"] for r in deletable.body["results"]] == [["has_sales_orders"], ["has_sales_credits"]]
    compat = api.call("compat/shiipp/delete_customer", query={"id": with_credit["id"]})
    assert compat.status == 409
    assert api.get(with_order["id"]).status == 200 and api.get(with_credit["id"]).status == 200


def test_bulk_delete_by_filter_counts_linked_customers_as_failed(api, aws):
    from tests.harness import run_job_worker

    linked = customer(api, code="L1", branch="ledger-filter")
    customer(api, code="L2", branch="ledger-filter")
    order(api, linked["id"])
    reply = api.bulk("delete", {"filter": {"branch": "ledger-filter"}})
    assert reply.status == 202
    run_job_worker(aws)
    job = api.job(reply.body["id"]).body

    assert job["counts"]["succeeded"] == 1 and job["counts"]["failed"] == 1
    assert api.get(linked["id"]).status == 200


def test_ledger_call_budgets(api, dynamodb_calls):
    cus = customer(api)
    made = order(api, cus["id"], total="10")
    crd = credit(api, cus["id"], "10")
    alc = allocate(api, crd["id"], (made["id"], "5")).body["allocations"][0]

    budgets = {
        "get order": (lambda: get_order(api, made["id"]), ["GetItem", "BatchGetItem"]),
        "get credit": (lambda: get_credit(api, crd["id"]), ["GetItem", "BatchGetItem"]),
        "unallocate": (
            lambda: api.call("sales_credits/unallocate", path={"credit_id": crd["id"], "allocation_id": alc["id"]}),
            ["GetItem", "BatchGetItem", "TransactWriteItems"],
        ),
        "cancel": (
            lambda: api.call("sales_orders/cancel", path={"order_id": made["id"]}),
            ["GetItem", "BatchGetItem", "TransactWriteItems"],
        ),
        "create credit": (
            lambda: api.call("sales_credits/create", body={"customer_id": cus["id"], "currency": "USD", "amount": "1"}),
            ["TransactWriteItems"],
        ),
        "list credits": (lambda: api.call("sales_credits/list", customer_id=cus["id"]), ["GetItem", "Query"]),
    }
    for name, (operation, expected) in budgets.items():
        dynamodb_calls.clear()
        assert operation().status in {200, 201}, name
        assert dynamodb_calls == expected, name


def test_ledger_writes_answer_503_while_writes_are_switched_off(api, writes_switch):
    cus = customer(api)
    made = order(api, cus["id"], total=None, lines=[{"description": "x", "quantity": 1, "unit_price": "1"}])
    crd = credit(api, cus["id"])
    writes_switch(False)

    replies = {
        "create order": api.call(
            "sales_orders/create",
            body={
                "customer_id": cus["id"],
                "number": "OFF",
                "order_date": "2026-01-01",
                "currency": "USD",
                "total": "1",
            },
        ),
        "cancel order": api.call("sales_orders/cancel", path={"order_id": made["id"]}),
        "create credit": api.call(
            "sales_credits/create", body={"customer_id": cus["id"], "currency": "USD", "amount": "1"}
        ),
        "allocate": allocate(api, crd["id"], (made["id"], "1")),
        "fulfill": api.call("fulfillments/create", path={"order_id": made["id"]}, body={}),
    }
    for name, reply in replies.items():
        assert reply.status == 503 and reply.body["type"] == "/problems/endpoint-disabled", name
    assert get_order(api, made["id"]).body == made
    assert unpaid(api, cus["id"]).status == 200
