"""Customer history (API.md §14): GET /v1/customers/{id}/history, from entries the change stream writes."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import pytest

from tests.harness import Api, _Context, new_tenant, run_change_stream

STREAM_FUNCTION = "change_stream/process"


def _history(api: Api, customer_id: str, **query: Any) -> Any:
    return api.call(
        "customers/history", customer_id=customer_id, query={name: str(value) for name, value in query.items()}
    )


def _entries(api: Api, customer_id: str) -> list[dict[str, Any]]:
    reply = _history(api, customer_id)
    assert reply.status == 200, reply.body
    return reply.body["data"]


@pytest.fixture
def lived(api: Api, aws: Any) -> dict[str, Any]:
    """A customer created, renamed, given a password, an address and a new default, archived, unarchived."""
    made = api.created({"name": "Hist Pty Ltd", "code": "H-1", "address": {"line1": "1 Quay St", "country": "AU"}})
    etag = api.patch(made["id"], {"name": "History Pty Ltd", "password": "correct horse battery"}, made["etag"]).etag
    added = api.add_address(made["id"], {"line1": "2 Wharf Rd", "country": "AU"}).body
    api.set_default(made["id"], "shipping", {"address_id": added["id"]})
    api.archive(made["id"])
    api.unarchive(made["id"])
    run_change_stream(aws)
    return {**made, "second_address": added["id"], "patched_etag": etag}


def test_history_lists_one_entry_per_version_newest_first_with_what_changed(api, lived):
    entries = _entries(api, lived["id"])

    assert [(e["version"], e["action"]) for e in entries] == [
        (6, "unarchived"),
        (5, "archived"),
        (4, "updated"),
        (3, "updated"),
        (2, "updated"),
        (1, "created"),
    ]
    by_version = {entry["version"]: entry for entry in entries}
    assert {entry["by"] for entry in entries} == {"user-admin"}
    assert by_version[1]["changes"]["name"] == {"from": None, "to": "Hist Pty Ltd"}
    assert by_version[1]["changes"]["code"] == {"from": None, "to": "H-1"}
    first_address = lived["default_shipping_address_id"]
    assert by_version[1]["changes"]["addresses"] == {"from": None, "to": [first_address]}
    assert by_version[2]["changes"] == {
        "name": {"from": "Hist Pty Ltd", "to": "History Pty Ltd"},
        "password_set": {"from": False, "to": True},
    }
    assert by_version[3]["changes"] == {
        "addresses": {"from": [first_address], "to": sorted([first_address, lived["second_address"]])}
    }
    assert by_version[4]["changes"] == {
        "default_shipping_address_id": {"from": first_address, "to": lived["second_address"]}
    }
    assert by_version[5]["changes"]["archived"] == {"from": False, "to": True}
    assert by_version[6]["changes"]["archived"] == {"from": True, "to": False}
    assert all(entry["at"] for entry in entries)
    assert entries[-1]["at"] == lived["created_at"]


def test_history_never_shows_a_password_or_its_hash(api, aws, lived):
    text = json.dumps(_history(api, lived["id"]).body)

    assert "correct horse" not in text and "password_hash" not in text and "$argon" not in text.lower()
    assert '"password"' not in text and "password_set" in text


def test_store_only_attributes_make_no_entry_and_no_change(api, aws, stored):
    made = api.created({"name": "Counted Co"})
    run_change_stream(aws)
    key = {"pk": {"S": f"T#{api.tenant}#C#{made['id']}"}, "sk": {"S": "CUSTOMER"}}
    # A counter moved without a new version (as the ledger and SKU mappings do).
    aws.clients.dynamodb.update_item(
        TableName=aws.table,
        Key=key,
        UpdateExpression="ADD sku_mappings_count :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )
    run_change_stream(aws)

    entries = _entries(api, made["id"])
    assert [entry["version"] for entry in entries] == [1]
    assert not set(entries[0]["changes"]) & {"sku_mappings_count", "tenant_list", "sort_name", "unique_values"}


def test_pages_follow_the_cursor_newest_first_each_entry_once(api, lived):
    seen: list[int] = []
    cursor = None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        reply = _history(api, lived["id"], **query)
        assert reply.status == 200, reply.body
        seen += [entry["version"] for entry in reply.body["data"]]
        assert (reply.body["next_cursor"] is None) == (not reply.body["has_more"])
        if not reply.body["has_more"]:
            break
        cursor = reply.body["next_cursor"]

    assert seen == [6, 5, 4, 3, 2, 1]


def test_a_cursor_works_only_for_its_customer_and_tenant(api, aws, lived):
    cursor = _history(api, lived["id"], limit=1).body["next_cursor"]
    other = api.created({"name": "Other Customer"})
    stranger = api.as_caller(tenant_id=new_tenant())

    assert _history(api, other["id"], cursor=cursor).status == 400
    assert _history(stranger, lived["id"], cursor=cursor).status == 400  # another tenant's cursor (§5)
    assert _history(api, lived["id"], limit=0).status == 422


def test_unknown_customers_and_other_tenants_customers_are_404(api, lived):
    stranger = api.as_caller(tenant_id=new_tenant())
    courier = api.as_caller(role="courier", organization_id="org-elsewhere")

    assert _history(api, "cus_01JD3X5V7R2T8E6Q9M4K1N0B5C").status == 404
    assert _history(api, "not-an-id").status == 404
    assert _history(stranger, lived["id"]).status == 404
    assert _history(courier, lived["id"]).status == 404


def test_a_customer_whose_writes_the_stream_has_not_followed_yet_has_an_empty_history(api):
    made = api.created({"name": "Fresh Co"})

    reply = _history(api, made["id"])

    assert reply.status == 200 and reply.body == {"data": [], "has_more": False, "next_cursor": None}


def test_history_stays_readable_for_30_days_after_a_hard_delete(api, aws, stored, lived):
    current = api.get(lived["id"])
    assert api.delete(lived["id"], current.etag).status == 204
    run_change_stream(aws)

    assert api.get(lived["id"]).status == 404
    entries = _entries(api, lived["id"])
    assert [(e["version"], e["action"], e["by"]) for e in entries[:2]] == [
        (7, "deleted", None),
        (6, "unarchived", "user-admin"),
    ]
    assert entries[0]["changes"]["name"] == {"from": "History Pty Ltd", "to": None}
    items = [item for item in stored(f"T#{api.tenant}#C#{lived['id']}") if item["sk"].startswith("HISTORY#")]
    assert len(items) == 7
    month = 30 * 24 * 60 * 60
    assert all(abs(int(item["expires_at"]) - (time.time() + month)) < 120 for item in items)
    # Another tenant still sees nothing, and an organization-scoped caller elsewhere neither.
    assert _history(api.as_caller(tenant_id=new_tenant()), lived["id"]).status == 404
    assert _history(api.as_caller(role="courier", organization_id="org-elsewhere"), lived["id"]).status == 404


def test_once_the_entries_expire_the_deleted_customer_is_404(api, aws, stored):
    made = api.created({"name": "Gone Co"})
    api.delete(made["id"], made["etag"])
    run_change_stream(aws)
    assert _history(api, made["id"]).status == 200
    for item in stored(f"T#{api.tenant}#C#{made['id']}"):  # what TTL does 30 days later
        aws.clients.dynamodb.delete_item(TableName=aws.table, Key={"pk": {"S": item["pk"]}, "sk": {"S": item["sk"]}})

    assert _history(api, made["id"]).status == 404


# ---------------------------------------------------------------- at least once


class _Capture:
    """Wraps the stream pollers' invocations: keeps each batch delivered (and its answer)."""

    def __init__(self) -> None:
        self.batches: list[dict[str, Any]] = []


@pytest.fixture
def captured(aws: Any, monkeypatch: pytest.MonkeyPatch) -> _Capture:
    from tests.harness import _stream_pollers

    capture = _Capture()
    for poller in _stream_pollers(aws):
        invoke = poller.invoke

        def keep(function_id: str, event: dict[str, Any], invoke: Any = invoke) -> Any:
            capture.batches.append(copy.deepcopy(event))
            return invoke(function_id, event)

        monkeypatch.setattr(poller, "invoke", keep)
    return capture


def _deliver(aws: Any, event: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = aws.handler(STREAM_FUNCTION)(copy.deepcopy(event), _Context(STREAM_FUNCTION))
    return answer


def _history_items(stored: Any, tenant: str, customer_id: str) -> list[dict[str, Any]]:
    return [item for item in stored(f"T#{tenant}#C#{customer_id}") if item["sk"].startswith("HISTORY#")]


def test_a_redelivered_batch_writes_no_history_entry_twice(api, aws, stored, captured, dynamodb_calls):
    made = api.created({"name": "Twice Co"})
    api.patch(made["id"], {"name": "Twice Again Co"}, made["etag"])
    run_change_stream(aws)
    before = _history_items(stored, api.tenant, made["id"])
    assert [item["version"] for item in before] == [1, 2] and len(captured.batches) == 1
    dynamodb_calls.clear()

    assert _deliver(aws, captured.batches[0]) == {"batchItemFailures": []}

    assert _history_items(stored, api.tenant, made["id"]) == before
    # One conditioned put per record, both refused: nothing written.
    assert dynamodb_calls.count("PutItem") == 2 and "UpdateItem" not in dynamodb_calls


def test_a_poisoned_record_does_not_block_the_rest_of_its_batch(api, aws, stored, monkeypatch):
    from clientele.store.history import items as history_items
    from tests.harness import _stream_pollers

    bad = api.created({"name": "Poisoned Co"})
    good = api.created({"name": "Healthy Co"})
    batches: list[dict[str, Any]] = []
    for poller in _stream_pollers(aws):  # read the batch only: this test delivers it itself
        monkeypatch.setattr(poller, "invoke", lambda _id, event: batches.append(event) or {"batchItemFailures": []})
    run_change_stream(aws)
    put_once = history_items.put_once

    def fail_for_bad(tenant: str, customer_id: str, entry: dict[str, Any]) -> bool:
        if customer_id == bad["id"]:
            raise RuntimeError("poisoned")
        return put_once(tenant, customer_id, entry)

    monkeypatch.setattr(history_items, "put_once", fail_for_bad)

    answer = _deliver(aws, batches[0])

    keys = {
        record["dynamodb"]["Keys"]["pk"]["S"]: record["dynamodb"]["SequenceNumber"] for record in batches[0]["Records"]
    }
    assert answer == {"batchItemFailures": [{"itemIdentifier": keys[f"T#{api.tenant}#C#{bad['id']}"]}]}
    assert [item["version"] for item in _history_items(stored, api.tenant, good["id"])] == [1]
    assert _history_items(stored, api.tenant, bad["id"]) == []

    monkeypatch.setattr(history_items, "put_once", put_once)
    assert _deliver(aws, batches[0]) == {"batchItemFailures": []}
    assert [item["version"] for item in _history_items(stored, api.tenant, bad["id"])] == [1]
