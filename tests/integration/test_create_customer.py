"""POST /v1/customers (API.md §2, §3 row 1)."""

from __future__ import annotations

import pytest

from tests.harness import new_tenant


def test_created_customer_has_location_etag_and_defaults(api):
    reply = api.create({"name": "Acme Pty Ltd", "code": "ACME"})

    assert reply.status == 201
    customer = reply.body
    assert reply.header("Location") == f"/v1/customers/{customer['id']}"
    assert reply.etag == customer["etag"]
    assert customer["id"].startswith("cus_") and len(customer["id"]) == 30
    assert customer["version"] == 1
    assert customer["type"] == "customer"
    assert customer["status"] == "active"
    assert customer["archived"] is False and customer["archived_at"] is None
    assert customer["store_credit"] == "0.00" and customer["credit_limit"] == "0.00"
    assert customer["newsletter_subscribed"] is False
    assert customer["emails"] == [] and customer["metadata"] == {}
    assert customer["created_by"] == "user-admin" == customer["updated_by"]
    assert customer["created_at"].endswith("Z") and len(customer["created_at"]) == 24
    assert customer["addresses"] == []
    assert customer["default_shipping_address"] is None


def test_create_then_get_returns_the_same_representation(api):
    created = api.created({"name": "Same", "emails": ["Orders@Example.COM"], "store_credit": "12.5"})
    fetched = api.get(created["id"])

    assert fetched.status == 200
    assert fetched.body == created
    assert created["emails"] == ["Orders@example.com"]
    assert created["store_credit"] == "12.50"


def test_number_is_a_sequence_per_tenant(api):
    numbers = [api.created({"name": f"Customer {i}"})["number"] for i in range(3)]
    other_tenant = api.as_caller(tenant_id=new_tenant())

    assert numbers == [1, 2, 3]
    assert other_tenant.created({"name": "First elsewhere"})["number"] == 1


@pytest.mark.parametrize(
    ("given", "name"),
    [
        ({"first_name": "Ada", "last_name": "Lovelace"}, "Ada Lovelace"),
        ({"first_name": "Ada"}, "Ada"),
        ({"last_name": " Lovelace "}, "Lovelace"),
        ({"name": "Countess", "first_name": "Ada", "last_name": "Lovelace"}, "Countess"),
    ],
)
def test_name_comes_from_first_and_last_when_omitted(api, given, name):
    assert api.created(given)["name"] == name


def test_name_is_required_without_first_or_last_name(api):
    reply = api.create({"code": "NONAME"})

    assert reply.status == 422
    assert {"pointer": "/name", "code": "required", "message": "is required"} in reply.body["errors"]


def test_password_is_write_only_and_stored_as_salted_hash(api, stored):
    customer = api.created({"name": "Secret", "password": "correct horse battery"})

    assert customer["password_set"] is True
    assert "password" not in customer and "password_hash" not in customer
    [item] = [i for i in stored(f"T#{api.tenant}#C#{customer['id']}") if i["sk"] == "CUSTOMER"]
    assert item["password_hash"].startswith("scrypt$")
    assert "correct horse battery" not in str(item)
    assert api.created({"name": "No secret"})["password_set"] is False


def test_address_becomes_default_shipping_and_billing(api, stored):
    customer = api.created(
        {"name": "Addressed", "address": {"line1": "1 George Street", "postal_code": "2000", "country": "AU"}}
    )

    [address] = customer["addresses"]
    assert customer["default_shipping_address_id"] == address["id"] == customer["default_billing_address_id"]
    assert address["is_default_shipping"] and address["is_default_billing"]
    assert customer["default_shipping_address"] == address == customer["default_billing_address"]
    assert address["customer_id"] == customer["id"] and address["id"].startswith("adr_")
    addresses = [i for i in stored(f"T#{api.tenant}#C#{customer['id']}") if i["sk"] != "CUSTOMER"]
    assert [a["id"] for a in addresses] == [address["id"]]


def test_billing_address_becomes_default_billing(api):
    customer = api.created(
        {
            "name": "Two places",
            "address": {"line1": "1 George Street", "country": "AU"},
            "billing_address": {"line1": "PO Box 7", "postal_code": "2001", "country": "AU"},
        }
    )

    shipping, billing = customer["default_shipping_address"], customer["default_billing_address"]
    assert shipping["line1"] == "1 George Street" and billing["line1"] == "PO Box 7"
    assert shipping["is_default_shipping"] and not shipping["is_default_billing"]
    assert billing["is_default_billing"] and not billing["is_default_shipping"]
    assert len(customer["addresses"]) == 2


def test_same_place_twice_is_one_address(api):
    customer = api.created(
        {
            "name": "Once",
            "address": {"line1": "1 George Street", "postal_code": "2000", "country": "AU"},
            "billing_address": {"line1": "1 george st.", "postal_code": "2000", "country": "AU"},
        }
    )

    assert len(customer["addresses"]) == 1
    assert customer["default_shipping_address_id"] == customer["default_billing_address_id"]


def test_tenant_wide_role_sets_organization_from_body(api):
    assert api.created({"name": "Org", "organization_id": "org-7"})["organization_id"] == "org-7"


def test_organization_scoped_role_gets_its_organization_forced(api):
    courier = api.as_caller(role="courier", organization_id="org-mine")

    customer = courier.created({"name": "Courier's", "organization_id": "org-other"})

    assert customer["organization_id"] == "org-mine"


def test_every_bad_field_is_listed_with_a_pointer(api, stored):
    reply = api.create(
        {
            "name": "",
            "code": "N/A",
            "emails": ["nope"],
            "store_credit": 5,
            "status": "deleted",
            "address": {"line1": "x"},
            "id": "cus_123",
            "nickname": "x",
        }
    )

    assert reply.status == 422
    assert reply.header("Content-Type") == "application/problem+json"
    assert reply.body["type"] == "/problems/validation-error"
    found = {(error["pointer"], error["code"]) for error in reply.body["errors"]}
    assert found == {
        ("/name", "blank"),
        ("/code", "placeholder_code"),
        ("/emails/0", "invalid_email"),
        ("/store_credit", "invalid_money"),
        ("/status", "invalid_choice"),
        ("/address/country", "required"),
        ("/id", "read_only"),
        ("/nickname", "unknown_field"),
    }
    assert stored(f"T#{api.tenant}#") == []


@pytest.mark.parametrize(
    "field", ["id", "number", "archived", "version", "etag", "created_at", "password_set", "lifetime_value"]
)
def test_read_only_fields_are_rejected(api, field):
    reply = api.create({"name": "RO", field: None})

    assert reply.status == 422
    assert reply.body["errors"] == [{"pointer": f"/{field}", "code": "read_only", "message": "is read-only"}]


@pytest.mark.parametrize("field", ["default_shipping_address_id", "default_billing_address_id"])
def test_default_address_ids_are_not_accepted_on_create(api, field):
    reply = api.create({"name": "Defaults", field: "adr_x"})

    assert reply.status == 422
    assert reply.body["errors"][0]["pointer"] == f"/{field}"


def test_read_only_address_fields_are_rejected(api):
    reply = api.create({"name": "A", "address": {"line1": "x", "country": "AU", "is_default_billing": True}})

    assert reply.status == 422
    assert reply.body["errors"][0] == {
        "pointer": "/address/is_default_billing",
        "code": "read_only",
        "message": "is read-only",
    }
