"""PATCH as an RFC 7396 merge patch, PUT as a full replacement (API.md §3 rows 4 and 5)."""

from __future__ import annotations

import pytest

FULL = {
    "name": "Full Customer",
    "code": "FULL",
    "external_id": "ext-full",
    "type": "broker_3pl",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "company_name": "Engines Ltd",
    "emails": ["ada@example.com", "billing@example.com"],
    "phones": ["+44 20 7946 0000"],
    "mobile": "+44 7700 900000",
    "fax": "+44 20 7946 0001",
    "organization_id": "org-1",
    "branch": "London",
    "tax_id": "51824753556",
    "tax_branch": "001",
    "gender": "female",
    "timezone": "Europe/London",
    "newsletter_subscribed": True,
    "shipping_profile_id": "sp-1",
    "pricing_tier": "gold",
    "default_store": "store-1",
    "default_warehouse": "wh-1",
    "default_tax_code": "GST",
    "default_shipping_methods": ["express", "pickup"],
    "store_credit": "10",
    "credit_limit": "1000.5",
    "allow_credit_limit": True,
    "hide_price": True,
    "password_expired": True,
    "metadata": {"segment": "enterprise", "source": "import"},
}


@pytest.fixture
def customer(api):
    return api.created(FULL)


def test_full_customer_round_trips_every_field(customer):
    for name, value in FULL.items():
        expected = {"store_credit": "10.00", "credit_limit": "1000.50"}.get(name, value)
        assert customer[name] == expected, name


def test_merge_patch_absent_unchanged_null_clears_objects_merge_arrays_replace(api, customer):
    reply = api.patch(
        customer["id"],
        {"branch": None, "phones": ["+1 555 0100"], "metadata": {"segment": None, "tier": "A"}},
        customer["etag"],
    )

    assert reply.status == 200
    patched = reply.body
    assert patched["branch"] is None
    assert patched["phones"] == ["+1 555 0100"]
    assert patched["metadata"] == {"source": "import", "tier": "A"}
    unchanged = set(FULL) - {"branch", "phones", "metadata", "store_credit", "credit_limit"}
    assert all(patched[name] == customer[name] for name in unchanged)
    assert patched["version"] == customer["version"] + 1


@pytest.mark.parametrize(
    "content_type", ["application/merge-patch+json", "application/json", "Application/JSON; charset=UTF-8"]
)
def test_patch_accepts_merge_patch_and_json_media_types(api, customer, content_type):
    reply = api.patch(customer["id"], {"branch": "Leeds"}, customer["etag"], content_type=content_type)

    assert reply.status == 200 and reply.body["branch"] == "Leeds"


@pytest.mark.parametrize("field", ["name", "type", "status"])
def test_clearing_a_required_or_enumerated_field_is_422(api, customer, field):
    reply = api.patch(customer["id"], {field: None}, customer["etag"])

    if field == "name":
        assert reply.status == 422
        assert reply.body["errors"][0]["pointer"] == "/name"
    else:
        # type and status have defaults: null resets them.
        assert reply.status == 200
        assert reply.body[field] == {"type": "customer", "status": "active"}[field]


def test_read_only_fields_in_a_patch_are_422_even_unchanged(api, customer):
    reply = api.patch(
        customer["id"], {"id": customer["id"], "number": customer["number"], "branch": "x"}, customer["etag"]
    )

    assert reply.status == 422
    assert {e["pointer"] for e in reply.body["errors"]} == {"/id", "/number"}
    assert api.get(customer["id"]).body == customer


def test_patch_validates_like_create(api, customer):
    reply = api.patch(customer["id"], {"emails": ["ok@example.com", "bad"], "unknown": 1}, customer["etag"])

    assert reply.status == 422
    assert {(e["pointer"], e["code"]) for e in reply.body["errors"]} == {
        ("/emails/1", "invalid_email"),
        ("/unknown", "unknown_field"),
    }


def test_patch_can_set_and_clear_the_password(api, customer, stored):
    set_reply = api.patch(customer["id"], {"password": "a new secret"}, customer["etag"])
    assert set_reply.status == 200 and set_reply.body["password_set"] is True

    cleared = api.patch(customer["id"], {"password": None}, set_reply.etag)
    assert cleared.status == 200 and cleared.body["password_set"] is False

    short = api.patch(customer["id"], {"password": "short"}, cleared.etag)
    assert short.status == 422 and short.body["errors"][0]["pointer"] == "/password"


def test_put_replaces_everything_and_resets_omitted_fields(api, customer):
    reply = api.put(customer["id"], {"name": "Minimal", "emails": ["only@example.com"]}, customer["etag"])

    assert reply.status == 200
    replaced = reply.body
    assert replaced["name"] == "Minimal" and replaced["emails"] == ["only@example.com"]
    assert replaced["code"] is None and replaced["external_id"] is None
    assert replaced["type"] == "customer" and replaced["store_credit"] == "0.00"
    assert replaced["metadata"] == {} and replaced["default_shipping_methods"] == []
    assert replaced["newsletter_subscribed"] is False and replaced["organization_id"] is None
    assert replaced["number"] == customer["number"] and replaced["created_at"] == customer["created_at"]


def test_put_needs_a_name(api, customer):
    reply = api.put(customer["id"], {"code": "C9"}, customer["etag"])

    assert reply.status == 422 and reply.body["errors"][0] == {
        "pointer": "/name",
        "code": "required",
        "message": "is required",
    }


def test_put_keeps_a_password_it_does_not_mention_and_null_clears_it(api):
    customer = api.created({"name": "Has secret", "password": "kept secret"})

    kept = api.put(customer["id"], {"name": "Has secret"}, customer["etag"])
    assert kept.body["password_set"] is True

    cleared = api.put(customer["id"], {"name": "Has secret", "password": None}, kept.etag)
    assert cleared.body["password_set"] is False


def test_default_address_ids_must_name_an_address_of_this_customer(api):
    other = api.created({"name": "Other", "address": {"line1": "1 A St", "country": "AU"}})
    customer = api.created({"name": "Mine", "address": {"line1": "2 B St", "country": "AU"}})

    reply = api.patch(customer["id"], {"default_shipping_address_id": other["addresses"][0]["id"]}, customer["etag"])

    assert reply.status == 422
    assert reply.body["errors"] == [
        {
            "pointer": "/default_shipping_address_id",
            "code": "unknown_address",
            "message": "must name an address of this customer",
        }
    ]


def test_organization_scoped_callers_cannot_move_customers(api):
    courier = api.as_caller(role="courier", organization_id="org-c")
    customer = courier.created({"name": "Stays put"})

    reply = courier.patch(customer["id"], {"organization_id": "org-elsewhere", "branch": "B"}, customer["etag"])
    assert reply.status == 200 and reply.body["organization_id"] == "org-c"

    replaced = courier.put(customer["id"], {"name": "Stays put"}, reply.etag)
    assert replaced.status == 200 and replaced.body["organization_id"] == "org-c"
