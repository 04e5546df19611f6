"""DynamoDB round trips per operation stay within ARCHITECTURE.md §2's budget (counted with a botocore hook)."""

from __future__ import annotations

import pytest

ADDRESS = {"line1": "1 A St", "postal_code": "2000", "country": "AU"}


@pytest.fixture
def customer(api):
    return api.created({"name": "Budget", "code": "B1", "external_id": "b-1", "address": ADDRESS})


def test_get_is_one_query(api, customer, dynamodb_calls):
    api.get(customer["id"])

    assert dynamodb_calls == ["Query"]


def test_create_is_the_counter_plus_one_transaction(api, dynamodb_calls):
    api.created({"name": "New", "code": "N1", "external_id": "n-1", "address": ADDRESS})

    assert dynamodb_calls == ["UpdateItem", "TransactWriteItems"]


def test_create_with_an_idempotency_key_adds_the_record_put_and_update(api, dynamodb_calls):
    api.create({"name": "Keyed"}, headers={"Idempotency-Key": "budget"})
    first = list(dynamodb_calls)
    dynamodb_calls.clear()
    api.create({"name": "Keyed"}, headers={"Idempotency-Key": "budget"})

    assert sorted(first) == sorted(["PutItem", "UpdateItem", "TransactWriteItems", "UpdateItem"])
    assert dynamodb_calls == ["PutItem"]  # a replay is one failed conditional put


def test_patch_without_unique_changes_is_a_query_and_an_update(api, customer, dynamodb_calls):
    api.patch(customer["id"], {"branch": "x"}, customer["etag"])

    assert dynamodb_calls == ["Query", "UpdateItem"]


def test_patch_changing_the_code_is_still_two_calls(api, customer, dynamodb_calls):
    reply = api.patch(customer["id"], {"code": "B2", "external_id": "b-2", "name": "Renamed"}, customer["etag"])

    assert reply.status == 200
    assert dynamodb_calls == ["Query", "TransactWriteItems"]


def test_put_is_two_calls(api, customer, dynamodb_calls):
    api.put(customer["id"], {"name": "Budget", "code": "B9"}, customer["etag"])

    assert dynamodb_calls == ["Query", "TransactWriteItems"]


def test_delete_is_two_calls(api, customer, dynamodb_calls):
    api.delete(customer["id"], customer["etag"])

    assert dynamodb_calls == ["Query", "TransactWriteItems"]


def test_archive_is_two_calls_and_one_when_already_archived(api, customer, dynamodb_calls):
    api.archive(customer["id"])
    assert dynamodb_calls == ["Query", "UpdateItem"]

    dynamodb_calls.clear()
    api.archive(customer["id"])
    assert dynamodb_calls == ["Query"]


def test_health_is_one_read(api, dynamodb_calls):
    api.call("operations/health")

    assert dynamodb_calls == ["GetItem"]


def test_failed_preconditions_cost_one_read_and_no_write(api, customer, dynamodb_calls):
    api.patch(customer["id"], {"branch": "x"}, '"stale"')

    assert dynamodb_calls == ["Query"]
