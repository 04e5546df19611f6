"""Tenant isolation and organization-scoped roles (API.md §1 Authentication and authorization)."""

from __future__ import annotations

import pytest

from tests.harness import new_tenant


@pytest.fixture
def customer(api):
    return api.created({"name": "Private", "code": "PRIV", "organization_id": "org-a"})


def _probes(caller, customer):
    return {
        "get": caller.get(customer["id"]),
        "patch": caller.patch(customer["id"], {"branch": "x"}, "*"),
        "put": caller.put(customer["id"], {"name": "x"}, "*"),
        "delete": caller.delete(customer["id"], "*"),
        "archive": caller.archive(customer["id"]),
        "unarchive": caller.unarchive(customer["id"]),
    }


def test_other_tenants_get_404_for_every_operation(api, customer):
    outsider = api.as_caller(tenant_id=new_tenant())

    replies = _probes(outsider, customer)

    assert {name: reply.status for name, reply in replies.items()} == dict.fromkeys(replies, 404)
    assert all(reply.body["type"] == "/problems/not-found" for reply in replies.values())
    assert api.get(customer["id"]).body == customer


def test_organization_scoped_role_sees_only_its_organization(api, customer):
    other_courier = api.as_caller(role="courier", organization_id="org-b")
    own_courier = api.as_caller(role="courier", organization_id="org-a")

    replies = _probes(other_courier, customer)

    assert {name: reply.status for name, reply in replies.items()} == dict.fromkeys(replies, 404)
    assert own_courier.get(customer["id"]).status == 200
    assert api.get(customer["id"]).body == customer


def test_manager_is_tenant_wide(api, customer):
    manager = api.as_caller(role="manager", organization_id=None)

    assert manager.get(customer["id"]).status == 200


@pytest.mark.parametrize(
    "claims",
    [
        {"tenant_id": None},
        {"tenant_id": ""},
        {"tenant_id": "has space"},
        {"tenant_id": "a#b"},
        {"tenant_id": "x" * 65},
        {"tenant_id": 42},
        {"role": "courier", "organization_id": None},
        {"role": None, "organization_id": None},
        {"role": ["admin"], "organization_id": None},
        {"role": "courier", "organization_id": ""},
    ],
)
def test_claims_that_do_not_identify_a_tenant_or_organization_are_403(api, claims):
    caller = api.as_caller(**claims)
    if "tenant_id" in claims and claims["tenant_id"] is None:
        caller.claims.pop("tenant_id", None)

    reply = caller.create({"name": "Nope"})

    assert reply.status == 403
    assert reply.body["type"] == "/problems/forbidden"


def test_non_string_role_is_organization_scoped(api, customer):
    odd = api.as_caller(role=7, organization_id="org-b")

    assert odd.get(customer["id"]).status == 404


@pytest.mark.parametrize(
    "customer_id", ["nope", "cus_short", "cus_01JD3X5V7R2T8E6Q9M4K1N0B5C#x", "adr_01JD3X5V7R2T8E6Q9M4K1N0B5C"]
)
def test_malformed_ids_are_404(api, customer_id):
    assert api.get(customer_id).status == 404
