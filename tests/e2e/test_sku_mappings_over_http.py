"""SKU mappings through the local runner over real HTTP: upsert, list, export, delete, scopes, a race."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter

import requests


def _tenant() -> str:
    return f"e2e-sku-{uuid.uuid4().hex[:10]}"


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_upsert_list_export_and_delete_over_http(runner):
    token = runner.token(tenant=_tenant())
    customer = requests.post(
        f"{runner.url}/v1/customers", json={"name": "Mapped over HTTP"}, headers=_headers(token), timeout=30
    ).json()
    base = f"{runner.url}/v1/customers/{customer['id']}/sku-mappings"

    created = requests.post(
        base, json={"customer_sku": "00042", "product_id": "=P-1"}, headers=_headers(token), timeout=30
    )
    requests.post(base, json={"customer_sku": "A,1", "product_id": "p-2"}, headers=_headers(token), timeout=30)
    updated = requests.post(
        base, json={"customer_sku": "00042", "product_id": "P-9"}, headers=_headers(token), timeout=30
    )

    assert created.status_code == 201 and created.headers["Location"].endswith(created.json()["id"])
    assert updated.status_code == 200 and updated.json()["id"] == created.json()["id"]

    page = requests.get(base, params={"limit": 1}, headers=_headers(token), timeout=30).json()
    assert [m["customer_sku"] for m in page["data"]] == ["00042"] and page["has_more"] is True
    rest = requests.get(
        base, params={"limit": 1, "cursor": page["next_cursor"]}, headers=_headers(token), timeout=30
    ).json()
    assert [m["customer_sku"] for m in rest["data"]] == ["A,1"] and rest["has_more"] is False
    prefixed = requests.get(base, params={"q": "A"}, headers=_headers(token), timeout=30).json()
    assert [m["customer_sku"] for m in prefixed["data"]] == ["A,1"]

    exported = requests.get(f"{base}/export", headers=_headers(token), timeout=30)
    assert exported.status_code == 200
    assert exported.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert exported.content == b'customer_sku,product_id\r\n00042,P-9\r\n"A,1",p-2\r\n'

    # /export is a route of its own (GET), not a mapping id; DELETE of a mapping id still routes to delete.
    assert requests.delete(f"{base}/{created.json()['id']}", headers=_headers(token), timeout=30).status_code == 204
    assert requests.delete(f"{base}/{created.json()['id']}", headers=_headers(token), timeout=30).status_code == 404
    assert requests.delete(f"{base}/export", headers=_headers(token), timeout=30).status_code == 404
    left = requests.get(f"{base}/export", headers=_headers(token), timeout=30).content
    assert left == b'customer_sku,product_id\r\n"A,1",p-2\r\n'


def test_the_routes_need_the_sku_scopes(runner):
    tenant = _tenant()
    admin = runner.token(tenant=tenant)
    customer = requests.post(f"{runner.url}/v1/customers", json={"name": "Scoped"}, headers=_headers(admin), timeout=30)
    base = f"{runner.url}/v1/customers/{customer.json()['id']}/sku-mappings"
    reader = runner.token(tenant=tenant, scope="customer:read sku:read")
    customers_only = runner.token(tenant=tenant, scope="customer:read customer:update")

    denied_write = requests.post(
        base, json={"customer_sku": "s", "product_id": "p"}, headers=_headers(reader), timeout=30
    )
    denied_read = requests.get(base, headers=_headers(customers_only), timeout=30)
    denied_export = requests.get(f"{base}/export", headers=_headers(customers_only), timeout=30)

    assert [denied_write.status_code, denied_read.status_code, denied_export.status_code] == [403, 403, 403]
    assert requests.get(base, headers=_headers(reader), timeout=30).status_code == 200


def test_two_concurrent_upserts_of_a_new_sku_make_one_mapping(runner):
    token = runner.token(tenant=_tenant())
    customer = requests.post(
        f"{runner.url}/v1/customers", json={"name": "Raced"}, headers=_headers(token), timeout=30
    ).json()
    base = f"{runner.url}/v1/customers/{customer['id']}/sku-mappings"

    for round_number in range(5):
        sku = f"RACE-{round_number}"
        barrier = threading.Barrier(2)
        replies: list[requests.Response | None] = [None, None]

        def post(index: int, sku: str = sku, barrier: threading.Barrier = barrier, replies: list = replies) -> None:
            barrier.wait()
            replies[index] = requests.post(
                base, json={"customer_sku": sku, "product_id": f"p-{index}"}, headers=_headers(token), timeout=30
            )

        threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert Counter(reply.status_code for reply in replies) == {201: 1, 200: 1}, round_number
        assert replies[0].json()["id"] == replies[1].json()["id"]
        listed = requests.get(base, params={"q": sku}, headers=_headers(token), timeout=30).json()["data"]
        assert [m["id"] for m in listed] == [replies[0].json()["id"]]


def test_a_deleted_customers_mappings_are_purged_by_the_change_stream(runner):
    tenant = _tenant()
    token = runner.token(tenant=tenant)
    customer = requests.post(
        f"{runner.url}/v1/customers", json={"name": "Purged over HTTP"}, headers=_headers(token), timeout=30
    ).json()
    base = f"{runner.url}/v1/customers/{customer['id']}/sku-mappings"
    for sku in ("A", "B"):
        requests.post(base, json={"customer_sku": sku, "product_id": "P"}, headers=_headers(token), timeout=30)
    gone = requests.delete(
        f"{runner.url}/v1/customers/{customer['id']}", headers={**_headers(token), "If-Match": "*"}, timeout=30
    )
    assert gone.status_code == 204

    dynamodb = runner.aws_client("dynamodb")
    partition = {":pk": {"S": f"T#{tenant}#C#{customer['id']}"}}
    deadline = time.monotonic() + 10
    left = None
    while time.monotonic() < deadline:
        items = dynamodb.query(
            TableName=runner.aws["table"], KeyConditionExpression="pk = :pk", ExpressionAttributeValues=partition
        )["Items"]
        # History entries stay 30 days after a hard delete (then TTL removes them).
        left = [item for item in items if not item["sk"]["S"].startswith("HISTORY#")]
        if not left:
            break
        time.sleep(0.2)

    assert left == []
