"""Fulfillments (API.md §10): create against unfulfilled quantities, get, lists, PATCH, cancel."""

from __future__ import annotations

from typing import Any

from tests.harness import Api, admin
from tests.integration.test_ledger import customer, get_order, order, pointers

LINES = [
    {"sku": "A", "description": "Widget", "quantity": 5, "unit_price": "2.00", "weight_kg": "0.5"},
    {"sku": "B", "description": "Gadget", "quantity": 2, "unit_price": "10.00"},
]


def lined_order(api: Api, customer_id: str, **fields: Any) -> dict[str, Any]:
    return order(api, customer_id, total=None, lines=LINES, ship_to={"line1": "1 Main St", "country": "AU"}, **fields)


def fulfill(api: Api, order_id: str, body: dict[str, Any] | None = None, **kwargs: Any):
    return api.call("fulfillments/create", path={"order_id": order_id}, body=body or {}, **kwargs)


def get(api: Api, fulfillment_id: str, **kwargs: Any):
    return api.call("fulfillments/get", path={"fulfillment_id": fulfillment_id}, **kwargs)


def cancel(api: Api, fulfillment_id: str):
    return api.call("fulfillments/cancel", path={"fulfillment_id": fulfillment_id})


def patch(api: Api, fulfillment_id: str, body: Any, etag: str | None):
    headers = {"If-Match": etag} if etag else {}
    return api.call(
        "fulfillments/update",
        path={"fulfillment_id": fulfillment_id},
        body=body,
        headers=headers,
        content_type="application/merge-patch+json",
    )


def test_a_fulfillment_ships_lines_and_moves_the_orders_quantities(api):
    cus = customer(api)
    made = lined_order(api, cus["id"])
    first_line, second_line = (line["id"] for line in made["lines"])
    body = {
        "lines": [{"line_id": first_line, "quantity": 3}],
        "packages": [{"weight_kg": "1.5", "length_m": "0.3"}],
        "carrier": "AusPost",
        "reference": "PO-1",
    }
    reply = fulfill(api, made["id"], body)

    assert reply.status == 201, reply.body
    created = reply.body
    assert reply.etag == created["etag"] and reply.header("Location") == f"/v1/fulfillments/{created['id']}"
    assert created["status"] == "pending" and created["starshipit"] is None and created["version"] == 1
    assert created["order_number"] == made["number"] and created["customer_id"] == cus["id"]
    assert created["lines"] == [
        {"line_id": first_line, "sku": "A", "product_id": None, "description": "Widget", "quantity": 3,
         "unit_price": "2.00", "weight_kg": "0.5"}
    ]  # fmt: skip
    assert created["ship_to"]["line1"] == "1 Main St"
    after = get_order(api, made["id"]).body
    assert [line["fulfilled_quantity"] for line in after["lines"]] == [3, 0]
    assert after["fulfillment_status"] == "partially_fulfilled"

    rest = fulfill(api, made["id"])
    assert rest.status == 201
    assert {line["line_id"]: line["quantity"] for line in rest.body["lines"]} == {first_line: 2, second_line: 2}
    assert get_order(api, made["id"]).body["fulfillment_status"] == "fulfilled"
    assert pointers(fulfill(api, made["id"])) == [("/lines", "over_fulfilled")]
    assert get(api, created["id"]).body == created


def test_over_fulfilled_unknown_and_duplicate_lines_are_422_and_write_nothing(api, stored):
    cus = customer(api)
    made = lined_order(api, cus["id"])
    other = lined_order(api, cus["id"])
    line = made["lines"][1]["id"]
    before = sorted(str(item) for item in stored(f"T#{api.tenant}#"))

    over = fulfill(
        api,
        made["id"],
        {"lines": [{"line_id": made["lines"][0]["id"], "quantity": 1}, {"line_id": line, "quantity": 3}]},
    )
    foreign = fulfill(api, made["id"], {"lines": [{"line_id": other["lines"][0]["id"], "quantity": 1}]})
    twice = fulfill(api, made["id"], {"lines": [{"line_id": line, "quantity": 1}, {"line_id": line, "quantity": 1}]})
    zero = fulfill(api, made["id"], {"lines": [{"line_id": line, "quantity": 0}]})
    bad_package = fulfill(api, made["id"], {"packages": [{"weight_kg": 2}]})
    read_only = fulfill(api, made["id"], {"status": "submitted"})

    assert pointers(over) == [("/lines/1/quantity", "over_fulfilled")]
    assert pointers(foreign) == [("/lines/0/line_id", "unknown_line")]
    assert pointers(twice) == [("/lines/1/line_id", "duplicate_line")]
    assert pointers(zero) == [("/lines/0/quantity", "out_of_range")]
    assert pointers(bad_package) == [("/packages/0/weight_kg", "invalid_decimal")]
    assert pointers(read_only) == [("/status", "read_only")]
    assert sorted(str(item) for item in stored(f"T#{api.tenant}#")) == before


def test_orders_without_lines_are_422_and_cancelled_orders_409(api):
    cus = customer(api)
    plain = order(api, cus["id"])
    cancelled = lined_order(api, cus["id"])
    api.call("sales_orders/cancel", path={"order_id": cancelled["id"]})

    assert pointers(fulfill(api, plain["id"])) == [("/lines", "order_has_no_lines")]
    reply = fulfill(api, cancelled["id"])
    assert reply.status == 409 and reply.body["type"] == "/problems/order-cancelled"
    assert fulfill(api, "ord_01JD3X5V7R2T8E6Q9M4K1N0B5C").status == 404


def test_an_order_with_a_pending_fulfillment_cannot_be_cancelled_until_it_is(api):
    cus = customer(api)
    made = lined_order(api, cus["id"])
    created = fulfill(api, made["id"]).body

    refused = api.call("sales_orders/cancel", path={"order_id": made["id"]})
    assert refused.status == 409 and refused.body["type"] == "/problems/order-has-fulfillments"
    first = cancel(api, created["id"])
    again = cancel(api, created["id"])
    assert first.status == again.status == 200
    assert first.body["status"] == "cancelled" and first.body["warnings"] == [] and again.body == first.body
    back = get_order(api, made["id"]).body
    assert [line["fulfilled_quantity"] for line in back["lines"]] == [0, 0]
    assert back["fulfillment_status"] == "unfulfilled"
    assert api.call("sales_orders/cancel", path={"order_id": made["id"]}).status == 200


def test_a_submitted_fulfillment_says_its_starshipit_order_is_kept(api, aws):
    cus = customer(api)
    made = lined_order(api, cus["id"])
    created = fulfill(api, made["id"]).body
    aws.clients.dynamodb.update_item(
        TableName=aws.table,
        Key={"pk": {"S": f"T#{api.tenant}#C#{cus['id']}"}, "sk": {"S": f"FUL#{made['id']}#{created['id']}"}},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "submitted"}},
    )

    reply = cancel(api, created["id"])
    assert reply.status == 200 and reply.body["status"] == "cancelled"
    assert [warning["code"] for warning in reply.body["warnings"]] == ["starshipit_order_kept"]


def test_patch_needs_if_match_and_merges_the_shipping_details(api):
    cus = customer(api)
    made = lined_order(api, cus["id"])
    created = fulfill(api, made["id"], {"carrier": "AusPost", "reference": "R1"}).body

    assert patch(api, created["id"], {"carrier": "X"}, None).status == 428
    assert patch(api, created["id"], {"carrier": "X"}, '"stale"').status == 412
    reply = patch(
        api,
        created["id"],
        {"carrier": "StarTrack", "reference": None, "ship_to": {"city": "Perth"}, "packages": [{"weight_kg": "2"}]},
        created["etag"],
    )
    assert reply.status == 200, reply.body
    assert reply.body["carrier"] == "StarTrack" and reply.body["reference"] is None
    assert reply.body["ship_to"]["city"] == "Perth" and reply.body["ship_to"]["line1"] == "1 Main St"
    assert reply.body["packages"] == [{"weight_kg": "2", "length_m": None, "width_m": None, "height_m": None}]
    assert reply.etag == reply.body["etag"] != created["etag"] and reply.body["version"] == 2
    assert patch(api, created["id"], {"carrier": "Y"}, created["etag"]).status == 412
    assert pointers(patch(api, created["id"], {"lines": []}, reply.etag)) == [("/lines", "read_only")]
    assert pointers(patch(api, created["id"], {"carrier": "x" * 51}, reply.etag)) == [("/carrier", "too_long")]
    cancel(api, created["id"])
    gone = patch(api, created["id"], {"carrier": "Z"}, "*")
    assert gone.status == 409 and gone.body["type"] == "/problems/fulfillment-cancelled"


def test_get_honours_if_none_match(api):
    cus = customer(api)
    created = fulfill(api, lined_order(api, cus["id"])["id"]).body

    assert get(api, created["id"], headers={"If-None-Match": created["etag"]}).status == 304
    assert get(api, "ful_01JD3X5V7R2T8E6Q9M4K1N0B5C").status == 404


def test_fulfillment_lists_per_order_and_tenant_wide_are_queries(api, aws, dynamodb_calls):
    one, two = customer(api, code="F1"), customer(api, code="F2")
    order_one = order(api, one["id"], total=None, lines=[{"description": "x", "quantity": 10}])
    order_two = order(api, two["id"], total=None, lines=[{"description": "y", "quantity": 10}])
    line_one, line_two = order_one["lines"][0]["id"], order_two["lines"][0]["id"]
    made = []
    for target, line in ((order_one, line_one), (order_two, line_two), (order_one, line_one), (order_two, line_two)):
        made.append(fulfill(api, target["id"], {"lines": [{"line_id": line, "quantity": 1}]}).body)
    cancel(api, made[2]["id"])

    per_order = api.call("fulfillments/list_for_order", path={"order_id": order_one["id"]}).body
    assert [f["id"] for f in per_order["data"]] == [made[0]["id"], made[2]["id"]]
    page = api.call("fulfillments/list_for_order", path={"order_id": order_one["id"]}, query={"limit": "1"}).body
    rest = api.call(
        "fulfillments/list_for_order",
        path={"order_id": order_one["id"]},
        query={"limit": "1", "cursor": page["next_cursor"]},
    ).body
    assert [f["id"] for f in page["data"] + rest["data"]] == [made[0]["id"], made[2]["id"]] and not rest["has_more"]

    def listed(**query: str) -> list[str]:
        dynamodb_calls.clear()
        reply = api.call("fulfillments/list", query=query)
        assert reply.status == 200, reply.body
        assert dynamodb_calls == ["Query"]
        return [f["id"] for f in reply.body["data"]]

    newest_first = [f["id"] for f in reversed(made)]
    assert listed() == newest_first
    assert listed(status="cancelled") == [made[2]["id"]]
    assert listed(status="pending") == [made[3]["id"], made[1]["id"], made[0]["id"]]
    assert listed(customer_id=one["id"]) == [made[2]["id"], made[0]["id"]]
    assert listed(customer_id=one["id"], status="pending") == [made[0]["id"]]
    first = api.call("fulfillments/list", query={"limit": "3"}).body
    second = api.call("fulfillments/list", query={"limit": "3", "cursor": first["next_cursor"]}).body
    assert [f["id"] for f in first["data"] + second["data"]] == newest_first and not second["has_more"]
    assert api.call("fulfillments/list", query={"status": "shipped"}).status == 422
    assert admin(aws).call("fulfillments/list").body["data"] == []


def test_fulfillments_are_404_outside_the_tenant_and_organization(api, aws):
    cus = customer(api, organization_id="org-a")
    made = lined_order(api, cus["id"])
    created = fulfill(api, made["id"]).body
    courier_b = api.as_caller(role="courier", organization_id="org-b")

    for caller in (admin(aws), courier_b):
        assert get(caller, created["id"]).status == 404
        assert cancel(caller, created["id"]).status == 404
        assert fulfill(caller, made["id"]).status == 404
        assert caller.call("fulfillments/list_for_order", path={"order_id": made["id"]}).status == 404
    assert courier_b.call("fulfillments/list").body["data"] == []
    assert get(api.as_caller(role="courier", organization_id="org-a"), created["id"]).status == 200


def test_fulfillment_writes_are_one_transaction_after_two_reads(api, dynamodb_calls):
    cus = customer(api)
    made = lined_order(api, cus["id"])

    dynamodb_calls.clear()
    created = fulfill(api, made["id"]).body
    assert dynamodb_calls == ["GetItem", "BatchGetItem", "TransactWriteItems"]
    dynamodb_calls.clear()
    assert cancel(api, created["id"]).status == 200
    assert dynamodb_calls == ["GetItem", "BatchGetItem", "TransactWriteItems"]
    dynamodb_calls.clear()
    assert get(api, created["id"]).status == 200
    assert dynamodb_calls == ["GetItem", "BatchGetItem"]


def test_organization_scoped_lists_show_fulfillments_of_their_customers_whoever_created_them(api):
    cus = customer(api, organization_id="org-a")
    made = lined_order(api, cus["id"])
    created = fulfill(api, made["id"]).body  # by a tenant-wide admin

    courier_a = api.as_caller(role="courier", organization_id="org-a")
    assert [f["id"] for f in courier_a.call("fulfillments/list").body["data"]] == [created["id"]]
    assert api.as_caller(role="courier", organization_id="org-b").call("fulfillments/list").body["data"] == []


def test_fulfillment_creation_honours_idempotency_keys(api):
    cus = customer(api)
    made = lined_order(api, cus["id"])
    line = made["lines"][0]["id"]
    body = {"lines": [{"line_id": line, "quantity": 1}]}

    first = fulfill(api, made["id"], body, headers={"Idempotency-Key": "ship-1"})
    again = fulfill(api, made["id"], body, headers={"Idempotency-Key": "ship-1"})

    assert first.status == again.status == 201 and again.body == first.body
    assert again.header("Idempotent-Replayed") == "true"
    assert get_order(api, made["id"]).body["lines"][0]["fulfilled_quantity"] == 1
