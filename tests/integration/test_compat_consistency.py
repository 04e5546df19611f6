"""One customer through every API: written through one vendor's routes, read through the others' and the
canonical API, with the same values and the same ETag (COMPAT.md: translation only, no second rule)."""

from __future__ import annotations

from typing import Any

from tests.harness import Api


def _alvys_create(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    reply = api.call("compat/alvys/create_customer", body=body)
    assert reply.status == 201, reply.body
    return reply.body


def _alvys_get(api: Api, customer_id: str):
    return api.call("compat/alvys/get_customer", customer_id=customer_id)


def _ecommerce_get(api: Api, reference: str):
    return api.call("compat/ecommerce/get_customer", customer_id=reference)


def _shiipp_items(api: Api, **query: str) -> dict[str, dict[str, Any]]:
    reply = api.call("compat/shiipp/list_customers", query=query)
    assert reply.status == 200, reply.body
    return {item["courier_customer_id"]: item for item in reply.body["data"]}


def _number(api: Api, customer_id: str) -> str:
    return str(api.get(customer_id).body["number"])


def test_a_002_customer_reads_the_same_through_001_and_000(api):
    created = _alvys_create(
        api,
        {
            "Name": "Acme Logistics",
            "Type": "Customer",
            "CompanyNumber": "ACME-1",
            "BillingAddress": {"Street": "1 Main", "City": "Albany", "State": "NY", "Zip": "10001"},
            "Email": ["billing@acme.example", "ops@acme.example"],
            "Phone": ["555-1234"],
        },
    )

    ecommerce = _ecommerce_get(api, _number(api, created["Id"]))
    shiipp = _shiipp_items(api)[created["Id"]]

    assert ecommerce.status == 200 and ecommerce.etag == created["ETag"]
    body = ecommerce.body["customer"]
    assert (body["display_id"], body["status"], body["email"], body["is_in_trash"]) == (
        "ACME-1",
        "ACTIVE",
        "billing@acme.example",
        False,
    )
    billing = next(address for address in body["addresses"] if address["type"] == "BILLING")
    assert (billing["address_line_1"], billing["city"], billing["post_code"], billing["country"]["code"]) == (
        "1 Main",
        "Albany",
        "10001",
        "US",
    )
    assert (shiipp["user_code"], shiipp["is_active"], shiipp["courier_id"]) == ("ACME-1", 1, None)


def test_a_000_customer_reads_the_same_through_002_and_001(api):
    reply = api.call(
        "compat/shiipp/create_customer",
        body={
            "user_code": "CUST042",
            "first_name": "Alicia",
            "last_name": "Thompson",
            "branch": "Kingston",
            "is_active": 0,
            "courier_id": "courier-7",
        },
    )
    assert reply.status == 201, reply.body
    customer_id = reply.body["data"]["id"]

    alvys = _alvys_get(api, customer_id).body
    ecommerce = _ecommerce_get(api, _number(api, customer_id)).body["customer"]

    assert (alvys["Name"], alvys["CompanyNumber"], alvys["Status"], alvys["Type"]) == (
        "Alicia Thompson",
        "CUST042",
        "Inactive",
        "Customer",
    )
    assert (ecommerce["first_name"], ecommerce["last_name"], ecommerce["display_id"], ecommerce["status"]) == (
        "Alicia",
        "Thompson",
        "CUST042",
        "INACTIVE",
    )


def test_writes_through_each_vendor_show_through_the_others(api):
    created = _alvys_create(
        api,
        {"Name": "Relay Co", "Type": "Customer", "CompanyNumber": "RELAY-1", "Email": ["a@relay.example"]},
    )
    customer_id = created["Id"]

    # 001 renames and changes the first email; 002 and 000 see it, with 001's ETag.
    put = api.call(
        "compat/ecommerce/update_customer",
        customer_id=_number(api, customer_id),
        body={"customer": {"first_name": "Rita", "last_name": "Relay", "email": "rita@relay.example"}},
    )
    assert put.status == 200, put.body
    alvys = _alvys_get(api, customer_id)
    assert alvys.etag == put.etag
    assert (alvys.body["Name"], alvys.body["Email"]) == ("Rita Relay", ["rita@relay.example"])
    assert _shiipp_items(api)[customer_id]["first_name"] == "Rita"

    # 000 deactivates; 002's soft-delete state and 001's status agree.
    deactivated = api.call("compat/shiipp/update_customer", body={"courier_customer_id": customer_id, "is_active": 0})
    assert deactivated.status == 200, deactivated.body
    assert _alvys_get(api, customer_id).body["Status"] == "Inactive"
    assert _ecommerce_get(api, customer_id).body["customer"]["status"] == "INACTIVE"

    # 002 restores with the ETag 000's write left.
    restored = api.call(
        "compat/alvys/update_customer",
        customer_id=customer_id,
        body={"Status": "Active"},
        headers={"If-Match": deactivated.etag},
    )
    assert restored.status == 200 and restored.body["Status"] == "Active"
    assert _shiipp_items(api)[customer_id]["is_active"] == 1


def test_a_000_hard_delete_is_gone_from_every_api(api):
    created = _alvys_create(api, {"Name": "Gone Co", "Type": "Customer"})
    number = _number(api, created["Id"])

    deleted = api.call("compat/shiipp/delete_customer", query={"id": created["Id"]})

    assert deleted.status == 200, deleted.body
    assert _alvys_get(api, created["Id"]).status == 404
    assert _ecommerce_get(api, number).status == 404
    assert api.get(created["Id"]).status == 404
