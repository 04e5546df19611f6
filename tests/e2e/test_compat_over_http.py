"""The vendor-compatible routes through the local runner over real HTTP: routing, scopes, races, one customer
seen through every API."""

from __future__ import annotations

import uuid

import requests

from tests.e2e.concurrency import race


def _tenant() -> str:
    return f"e2e-compat-{uuid.uuid4().hex[:10]}"


ALVYS = "/api/p/v1.0/customers"


def test_002_seed_flow_create_patch_soft_delete_restore(runner):
    headers = runner.headers(tenant=_tenant())
    body = {
        "Name": "Acme Logistics",
        "Type": "Customer",
        "CompanyNumber": "ACME-1",
        "Status": "Active",
        "BillingAddress": {"Street": "1 Main", "City": "City", "State": "NY", "Zip": "10001"},
        "Email": ["billing@acme.example"],
        "Phone": ["555-1234"],
    }

    created = requests.post(f"{runner.url}{ALVYS}", json=body, headers=headers, timeout=30)
    assert created.status_code == 201 and created.headers["ETag"] == created.json()["ETag"]
    url = f"{runner.url}{ALVYS}/{created.json()['Id']}"
    patched = requests.patch(
        url, json={"Status": "Inactive"}, headers={**headers, "If-Match": created.headers["ETag"]}, timeout=30
    )
    assert patched.status_code == 200 and patched.json()["Status"] == "Inactive"
    deleted = requests.delete(url, headers={**headers, "If-Match": patched.headers["ETag"]}, timeout=30)
    assert deleted.status_code == 204
    read = requests.get(url, headers=headers, timeout=30)
    assert read.status_code == 200 and "ETag" not in read.json() and read.headers["ETag"]
    restored = requests.patch(
        url, json={"Status": "Active"}, headers={**headers, "If-Match": read.headers["ETag"]}, timeout=30
    )
    assert restored.status_code == 200 and restored.json()["Status"] == "Active"
    found = requests.post(f"{runner.url}{ALVYS}/search", json={"Name": "acme"}, headers=headers, timeout=30)
    assert found.json()["Total"] == 1 and found.json()["Items"][0]["Id"] == created.json()["Id"]


def test_002_concurrent_patches_with_one_etag_one_wins_the_rest_412(runner):
    headers = runner.headers(tenant=_tenant())
    created = requests.post(
        f"{runner.url}{ALVYS}", json={"Name": "Race Co", "Type": "Customer"}, headers=headers, timeout=30
    ).json()
    url = f"{runner.url}{ALVYS}/{created['Id']}"

    statuses = race(
        4,
        lambda i: (
            requests.patch(
                url, json={"Fax": f"555-000{i}"}, headers={**headers, "If-Match": created["ETag"]}, timeout=30
            ).status_code
        ),
    )

    assert sorted(statuses) == [200, 412, 412, 412]


def test_vendor_routes_need_the_canonical_scopes(runner):
    tenant = _tenant()
    read_only = runner.headers(tenant=tenant, scope="customer:read")

    create = requests.post(
        f"{runner.url}{ALVYS}", json={"Name": "X", "Type": "Customer"}, headers=read_only, timeout=30
    )
    search = requests.post(f"{runner.url}{ALVYS}/search", json={}, headers=read_only, timeout=30)
    anonymous = requests.post(f"{runner.url}{ALVYS}/search", json={}, timeout=30)

    assert create.status_code == 403
    assert search.status_code == 200
    assert anonymous.status_code == 401


def test_compat_document_is_served_without_a_token(runner):
    reply = requests.get(f"{runner.url}/openapi-compat.json", timeout=30)

    assert reply.status_code == 200
    assert f"{ALVYS}/search" in reply.json()["paths"]
    assert not any(
        path.startswith("/api/") for path in requests.get(f"{runner.url}/openapi.json", timeout=30).json()["paths"]
    )
