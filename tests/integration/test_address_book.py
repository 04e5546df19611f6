"""The address book (API.md §4)."""

from __future__ import annotations

import pytest

from tests.harness import new_tenant

HOME = {"line1": "1 George Street", "city": "Sydney", "state": "NSW", "postal_code": "2000", "country": "AU"}
DOCK = {"label": "Dock", "line1": "12 Dock Road", "city": "Port Botany", "postal_code": "2036", "country": "AU"}


@pytest.fixture
def customer(api):
    return api.created({"name": "Addressed Co", "address": HOME})


def test_list_holds_every_address_with_default_flags(api, customer):
    added = api.add_address(customer["id"], DOCK).body

    reply = api.addresses(customer["id"])

    assert reply.status == 200
    by_id = {address["id"]: address for address in reply.body["data"]}
    assert by_id[added["id"]]["is_default_shipping"] is False
    home = by_id[customer["default_shipping_address_id"]]
    assert home["is_default_shipping"] and home["is_default_billing"] and home["line1"] == HOME["line1"]


def test_adding_is_201_with_location_and_changes_the_customers_etag(api, customer):
    reply = api.add_address(customer["id"], DOCK)

    assert reply.status == 201
    assert reply.header("Location") == f"/v1/customers/{customer['id']}/addresses/{reply.body['id']}"
    assert reply.body["label"] == "Dock" and reply.body["customer_id"] == customer["id"]
    after = api.get(customer["id"]).body
    assert after["etag"] != customer["etag"] and after["version"] == customer["version"] + 1
    assert reply.body in after["addresses"]


@pytest.mark.parametrize(
    "same_place",
    [
        {"line1": "1 george st", "city": "SYDNEY", "state": "nsw", "postal_code": "2000", "country": "AU"},
        {
            "line1": "1 George St.",
            "city": " Sydney ",
            "state": "NSW",
            "postal_code": "20 00",
            "country": "AU",
            "label": "HQ",
            "phone": "+61 2 9000 0000",
        },
    ],
)
def test_the_same_place_again_is_200_deduplicated_and_changes_nothing(api, customer, same_place):
    reply = api.add_address(customer["id"], same_place)

    assert reply.status == 200
    assert reply.body["deduplicated"] is True
    assert reply.body["id"] == customer["default_shipping_address_id"]
    assert api.get(customer["id"]).body == customer


def test_a_different_street_number_is_a_new_address(api, customer):
    assert api.add_address(customer["id"], {**HOME, "line1": "3 George Street"}).status == 201


def test_the_first_address_becomes_both_defaults(api):
    bare = api.created({"name": "Bare"})

    added = api.add_address(bare["id"], DOCK).body
    after = api.get(bare["id"]).body

    assert added["is_default_shipping"] and added["is_default_billing"]
    assert after["default_shipping_address_id"] == added["id"] == after["default_billing_address_id"]


def test_patching_an_address_merges_and_bumps_the_customer(api, customer):
    address_id = customer["default_shipping_address_id"]

    reply = api.patch_address(customer["id"], address_id, {"line2": "Level 3", "state": None})

    assert reply.status == 200
    assert reply.body["line2"] == "Level 3" and reply.body["state"] is None and reply.body["city"] == "Sydney"
    assert api.get(customer["id"]).body["version"] == customer["version"] + 1


@pytest.mark.parametrize("field", ["line1", "country"])
def test_line1_and_country_cannot_be_cleared(api, customer, field):
    reply = api.patch_address(customer["id"], customer["default_shipping_address_id"], {field: None})

    assert reply.status == 422 and reply.body["errors"][0]["pointer"] == f"/{field}"


def test_address_validation_and_read_only_fields(api, customer):
    reply = api.add_address(customer["id"], {"line1": "x", "country": "au", "id": "adr_x", "zip": "1"})

    assert reply.status == 422
    assert {(e["pointer"], e["code"]) for e in reply.body["errors"]} == {
        ("/country", "invalid_country"),
        ("/id", "read_only"),
        ("/zip", "unknown_field"),
    }


def test_a_default_address_cannot_be_deleted(api, customer):
    reply = api.delete_address(customer["id"], customer["default_shipping_address_id"])

    assert reply.status == 409
    assert reply.body["type"] == "/problems/address-in-use"


def test_deleting_after_another_became_default(api, customer):
    dock = api.add_address(customer["id"], DOCK).body
    api.set_default(customer["id"], "shipping", {"address_id": dock["id"]})
    api.set_default(customer["id"], "billing", {"address_id": dock["id"]})

    reply = api.delete_address(customer["id"], customer["default_shipping_address_id"])

    assert reply.status == 204
    assert [a["id"] for a in api.addresses(customer["id"]).body["data"]] == [dock["id"]]


def test_setting_a_default_answers_the_customer_with_its_new_etag(api, customer):
    dock = api.add_address(customer["id"], DOCK).body

    reply = api.set_default(customer["id"], "shipping", {"address_id": dock["id"]})

    assert reply.status == 200
    assert reply.body["default_shipping_address_id"] == dock["id"]
    assert reply.body["default_billing_address_id"] == customer["default_billing_address_id"]
    assert reply.etag == reply.body["etag"] != customer["etag"]


@pytest.mark.parametrize("body", [{}, {"address_id": "adr_01JD3X5V7R2T8E6Q9M4K1N0B5C"}, {"address_id": 7}])
def test_a_default_must_be_one_of_the_customers_addresses(api, customer, body):
    reply = api.set_default(customer["id"], "billing", body)

    assert reply.status == 422 and reply.body["errors"][0]["pointer"] == "/address_id"


def test_moving_the_default_billing_address_moves_the_name_rule(api, customer):
    dock = api.add_address(customer["id"], DOCK).body
    api.set_default(customer["id"], "billing", {"address_id": dock["id"]})

    assert api.create({"name": "Addressed Co", "address": HOME}).status == 201
    clash = api.create({"name": "addressed co", "billing_address": {**DOCK, "line1": "elsewhere"}})
    assert clash.status == 409 and clash.body["conflict"]["existing_id"] == customer["id"]


def test_changing_the_billing_postal_code_into_a_taken_one_is_409(api, customer):
    api.created({"name": "Addressed Co", "address": {**DOCK, "postal_code": "3000"}})

    reply = api.patch_address(customer["id"], customer["default_billing_address_id"], {"postal_code": "3000"})

    assert reply.status == 409 and reply.body["conflict"]["field"] == "name_postal_code"
    assert api.get(customer["id"]).body == customer


def test_if_match_is_honoured_but_not_required(api, customer):
    stale = api.add_address(customer["id"], DOCK, headers={"If-Match": '"old"'})
    fresh = api.add_address(customer["id"], DOCK, headers={"If-Match": customer["etag"]})

    assert stale.status == 412
    assert fresh.status == 201


def test_address_routes_respect_tenants_and_organizations(api, customer):
    outsider = api.as_caller(tenant_id=new_tenant())
    courier = api.as_caller(role="courier", organization_id="org-x")
    address_id = customer["default_shipping_address_id"]

    for caller in (outsider, courier):
        assert caller.addresses(customer["id"]).status == 404
        assert caller.add_address(customer["id"], DOCK).status == 404
        assert caller.patch_address(customer["id"], address_id, {"line2": "x"}).status == 404
        assert caller.delete_address(customer["id"], address_id).status == 404
        assert caller.set_default(customer["id"], "billing", {"address_id": address_id}).status == 404
    assert api.patch_address(customer["id"], "adr_01JD3X5V7R2T8E6Q9M4K1N0B5C", {"line2": "x"}).status == 404


def test_postal_code_list_filter_follows_address_changes(api, customer):
    dock = api.add_address(customer["id"], DOCK).body

    assert [c["id"] for c in api.list(postal_code="2036").body["data"]] == [customer["id"]]
    api.patch_address(customer["id"], dock["id"], {"postal_code": "2099"})
    assert api.list(postal_code="2036").body["data"] == []
    assert [c["id"] for c in api.list(postal_code="2099").body["data"]] == [customer["id"]]


def test_the_address_book_is_capped(api, aws):
    bare = api.created({"name": "Hoarder"})
    for number in range(88):  # written straight to the table to keep the test quick
        address_id = f"adr_01JD3X5V7R2T8E6Q9M4K1N{number:04d}"
        aws.clients.dynamodb.put_item(
            TableName=aws.table,
            Item={
                "pk": {"S": f"T#{api.tenant}#C#{bare['id']}"},
                "sk": {"S": f"CUSTOMER#ADDR#{address_id}"},
                "id": {"S": address_id},
                "customer_id": {"S": bare["id"]},
                "line1": {"S": f"{number} Long Road"},
                "country": {"S": "AU"},
                "created_at": {"S": bare["created_at"]},
                "updated_at": {"S": bare["created_at"]},
            },
        )
    for number in (88, 89):
        assert api.add_address(bare["id"], {"line1": f"{number} Long Road", "country": "AU"}).status == 201

    reply = api.add_address(bare["id"], {"line1": "91 Long Road", "country": "AU"})

    assert reply.status == 422 and reply.body["errors"][0]["code"] == "address_book_full"
    assert api.delete(bare["id"], "*").status == 204  # 1 + 90 addresses in one transaction


def test_adding_an_address_honours_idempotency_keys(api, customer):
    first = api.add_address(customer["id"], DOCK, headers={"Idempotency-Key": "dock-1"})
    replay = api.add_address(customer["id"], DOCK, headers={"Idempotency-Key": "dock-1"})

    assert first.status == 201 and replay.status == 201
    assert replay.header("Idempotent-Replayed") == "true" and replay.body == first.body


def test_address_writes_are_two_dynamodb_calls(api, customer, dynamodb_calls):
    api.add_address(customer["id"], DOCK)

    assert dynamodb_calls == ["Query", "TransactWriteItems"]
