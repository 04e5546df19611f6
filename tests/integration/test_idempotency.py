"""Idempotency-Key on POST /v1/customers (API.md §7)."""

from __future__ import annotations

import json

import pytest

from tests.harness import new_tenant


def _customers(stored, api):
    return [item for item in stored(f"T#{api.tenant}#C#") if item["sk"] == "CUSTOMER"]


def test_same_key_and_body_replays_the_first_response_and_writes_nothing(api, stored):
    body = {"name": "Once", "code": "ONCE"}
    first = api.create(body, headers={"Idempotency-Key": "order-123"})

    replay = api.create(body, headers={"Idempotency-Key": "order-123"})

    assert first.status == 201 and replay.status == 201
    assert replay.body == first.body
    assert replay.etag == first.etag and replay.header("Location") == first.header("Location")
    assert replay.header("Idempotent-Replayed") == "true"
    assert first.header("Idempotent-Replayed") is None
    assert len(_customers(stored, api)) == 1


def test_key_order_and_spacing_of_the_body_do_not_matter(api):
    first = api.create(None, raw_body='{"name": "Same", "code": "S1"}', headers={"Idempotency-Key": "k"})
    replay = api.create(None, raw_body='{"code":"S1","name":"Same"}', headers={"Idempotency-Key": "k"})

    assert replay.header("Idempotent-Replayed") == "true" and replay.body == first.body


def test_same_key_with_another_body_is_422(api, stored):
    api.create({"name": "First"}, headers={"Idempotency-Key": "reused"})

    reply = api.create({"name": "Second"}, headers={"Idempotency-Key": "reused"})

    assert reply.status == 422
    assert reply.body["type"] == "/problems/idempotency-key-reused"
    assert [c["name"] for c in _customers(stored, api)] == ["First"]


def test_keys_are_scoped_per_tenant(api):
    mine = api.create({"name": "Mine"}, headers={"Idempotency-Key": "shared-key"})
    theirs = api.as_caller(tenant_id=new_tenant()).create({"name": "Mine"}, headers={"Idempotency-Key": "shared-key"})

    assert theirs.status == 201 and theirs.header("Idempotent-Replayed") is None
    assert theirs.body["id"] != mine.body["id"]


def test_a_failed_first_attempt_is_not_recorded(api):
    bad = api.create({"name": "Retry", "code": "N/A"}, headers={"Idempotency-Key": "fix-me"})
    fixed = api.create({"name": "Retry", "code": "FIXED"}, headers={"Idempotency-Key": "fix-me"})

    assert bad.status == 422
    assert fixed.status == 201 and fixed.header("Idempotent-Replayed") is None


def test_a_request_still_in_progress_is_409(api):
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    from clientele.store.kernel.idempotency import idempotency_store, key_prefix

    body = {"name": "Slow"}
    record = idempotency_store()
    record.configure(
        IdempotencyConfig(event_key_jmespath="key", payload_validation_jmespath="body"),
        key_prefix=key_prefix(api.tenant, "create_customer"),
    )
    record.save_inprogress(
        data={"key": "busy", "body": json.dumps(body, sort_keys=True, separators=(",", ":"))},
        remaining_time_in_millis=60_000,
    )

    reply = api.create(body, headers={"Idempotency-Key": "busy"})

    assert reply.status == 409
    assert reply.body["type"] == "/problems/idempotency-in-progress"


def test_idempotency_records_expire_after_24_hours(api, stored):
    api.create({"name": "Expiring"}, headers={"Idempotency-Key": "ttl"})

    [record] = stored(f"T#{api.tenant}#IDEM#")
    created = json.loads(api.get(_customers(stored, api)[0]["id"]).raw["body"])["created_at"]
    from datetime import datetime

    created_epoch = datetime.fromisoformat(created.replace("Z", "+00:00")).timestamp()
    assert record["sk"] == "IDEM"
    assert abs(int(record["expires_at"]) - (created_epoch + 24 * 3600)) < 60


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9", "tab\there"])
def test_malformed_keys_are_400(api, key):
    reply = api.create({"name": "Bad key"}, headers={"Idempotency-Key": key})

    assert reply.status == 400
    assert reply.body["type"] == "/problems/malformed-request"


def test_a_255_character_key_is_fine(api):
    assert api.create({"name": "Long key"}, headers={"Idempotency-Key": "k" * 255}).status == 201
