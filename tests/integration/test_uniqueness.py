"""The three uniqueness rules (API.md §2), enforced with guard items in the same transaction."""

from __future__ import annotations

from tests.harness import new_tenant


def _conflict(reply) -> dict:
    assert reply.status == 409, reply.body
    assert reply.body["type"] == "/problems/conflict"
    return reply.body["conflict"]


def test_code_is_unique_per_tenant_and_organization_case_insensitively(api):
    holder = api.created({"name": "Holder", "code": "CUST042"})

    conflict = _conflict(api.create({"name": "Other", "code": " cust042 "}))

    assert conflict == {"field": "code", "existing_id": holder["id"]}


def test_same_code_is_fine_in_another_organization_and_another_tenant(api):
    api.created({"name": "No org", "code": "SHARED"})

    assert api.create({"name": "Org A", "code": "SHARED", "organization_id": "org-a"}).status == 201
    assert api.create({"name": "Org B", "code": "shared", "organization_id": "org-b"}).status == 201
    assert _conflict(api.create({"name": "Org A2", "code": "Shared", "organization_id": "org-a"}))["field"] == "code"
    assert api.as_caller(tenant_id=new_tenant()).create({"name": "Elsewhere", "code": "SHARED"}).status == 201


def test_external_id_is_unique_per_tenant_across_organizations(api):
    holder = api.created({"name": "Holder", "external_id": "crm-1", "organization_id": "org-a"})

    conflict = _conflict(api.create({"name": "Other", "external_id": "crm-1", "organization_id": "org-b"}))

    assert conflict == {"field": "external_id", "existing_id": holder["id"]}


def test_name_and_billing_postal_code_are_unique_after_normalization(api):
    holder = api.created(
        {"name": "Acme, Pty  Ltd", "address": {"line1": "1 A St", "postal_code": "sw1a 1aa", "country": "GB"}}
    )

    conflict = _conflict(
        api.create(
            {
                "name": "ACME PTY LTD",
                "billing_address": {"line1": "9 B Rd", "postal_code": "SW1A1AA", "country": "GB"},
            }
        )
    )

    assert conflict == {"field": "name_postal_code", "existing_id": holder["id"]}


def test_name_rule_applies_only_with_a_billing_postal_code(api):
    api.created({"name": "Twin"})
    api.created({"name": "Twin", "address": {"line1": "1 A St", "country": "AU"}})

    assert api.create({"name": "Twin"}).status == 201
    assert (
        api.create({"name": "Twin", "address": {"line1": "2 B St", "postal_code": "2000", "country": "AU"}}).status
        == 201
    )


def test_a_lost_create_writes_nothing(api, stored):
    api.created({"name": "Holder", "code": "TAKEN"})
    before = stored(f"T#{api.tenant}#")

    reply = api.create(
        {"name": "Loser", "code": "TAKEN", "external_id": "fresh", "address": {"line1": "x", "country": "AU"}}
    )

    assert reply.status == 409
    after = stored(f"T#{api.tenant}#")
    assert [i for i in after if i["sk"] != "customer_number"] == [i for i in before if i["sk"] != "customer_number"]
    assert api.create({"name": "Winner", "external_id": "fresh"}).status == 201


def test_conflict_reports_the_first_rule_broken(api):
    holder = api.created({"name": "Holder", "code": "C1", "external_id": "E1"})

    assert _conflict(api.create({"name": "X", "code": "C1", "external_id": "E1"})) == {
        "field": "code",
        "existing_id": holder["id"],
    }


def test_soft_deleted_customer_keeps_its_values(api):
    holder = api.created({"name": "Sleeping", "code": "KEEP", "external_id": "keep-1"})
    assert api.patch(holder["id"], {"status": "inactive"}, holder["etag"]).status == 200

    assert _conflict(api.create({"name": "New", "code": "KEEP"}))["existing_id"] == holder["id"]
    assert _conflict(api.create({"name": "New", "external_id": "keep-1"}))["existing_id"] == holder["id"]


def test_hard_delete_releases_every_value(api, stored):
    holder = api.created(
        {
            "name": "Leaving",
            "code": "FREE",
            "external_id": "free-1",
            "address": {"line1": "1 A St", "postal_code": "3000", "country": "AU"},
        }
    )
    assert api.delete(holder["id"], holder["etag"]).status == 204

    assert stored(f"T#{api.tenant}#U#") == []
    reply = api.create(
        {
            "name": "Leaving",
            "code": "FREE",
            "external_id": "free-1",
            "address": {"line1": "1 A St", "postal_code": "3000", "country": "AU"},
        }
    )
    assert reply.status == 201


def test_changing_a_code_moves_its_guard(api):
    customer = api.created({"name": "Mover", "code": "OLD"})

    moved = api.patch(customer["id"], {"code": "NEW"}, customer["etag"])

    assert moved.status == 200
    assert api.create({"name": "Takes old", "code": "OLD"}).status == 201
    assert _conflict(api.create({"name": "Wants new", "code": "new"}))["existing_id"] == customer["id"]


def test_patch_to_a_taken_value_is_409_and_changes_nothing(api):
    holder = api.created({"name": "Holder", "code": "MINE"})
    customer = api.created({"name": "Other", "code": "OTHER", "branch": "North"})

    reply = api.patch(customer["id"], {"code": "mine", "branch": "South"}, customer["etag"])

    assert _conflict(reply) == {"field": "code", "existing_id": holder["id"]}
    assert api.get(customer["id"]).body == customer


def test_moving_organization_moves_the_code_guard(api):
    customer = api.created({"name": "Traveller", "code": "TRV", "organization_id": "org-a"})
    assert api.patch(customer["id"], {"organization_id": "org-b"}, customer["etag"]).status == 200

    assert api.create({"name": "Stays", "code": "TRV", "organization_id": "org-a"}).status == 201
    assert _conflict(api.create({"name": "Joins", "code": "TRV", "organization_id": "org-b"}))["field"] == "code"


def test_renaming_into_a_name_postal_collision_is_409(api):
    api.created({"name": "Taken Name", "address": {"line1": "1 A St", "postal_code": "4000", "country": "AU"}})
    customer = api.created(
        {"name": "Free Name", "address": {"line1": "2 B St", "postal_code": "4000", "country": "AU"}}
    )

    reply = api.patch(customer["id"], {"name": "taken name"}, customer["etag"])

    assert _conflict(reply)["field"] == "name_postal_code"


def test_put_without_code_releases_it(api):
    customer = api.created({"name": "Replaced", "code": "GONE"})

    assert api.put(customer["id"], {"name": "Replaced"}, customer["etag"]).status == 200

    assert api.create({"name": "Heir", "code": "GONE"}).status == 201


def test_clearing_the_default_billing_address_releases_the_name_rule(api):
    customer = api.created({"name": "Billing", "address": {"line1": "1 A St", "postal_code": "5000", "country": "AU"}})

    reply = api.patch(customer["id"], {"default_billing_address_id": None}, customer["etag"])

    assert reply.status == 200 and reply.body["default_billing_address"] is None
    assert (
        api.create(
            {"name": "Billing", "billing_address": {"line1": "z", "postal_code": "5000", "country": "AU"}}
        ).status
        == 201
    )
