"""Hard delete, soft delete and archive (API.md §3 rows 6-8)."""

from __future__ import annotations


def test_hard_delete_removes_the_customer_its_addresses_and_guards(api, stored):
    customer = api.created(
        {
            "name": "Gone",
            "code": "GONE",
            "address": {"line1": "1 A St", "postal_code": "2000", "country": "AU"},
            "billing_address": {"line1": "PO Box 1", "postal_code": "2001", "country": "AU"},
        }
    )

    reply = api.delete(customer["id"], customer["etag"])

    assert reply.status == 204 and reply.body == ""
    assert api.get(customer["id"]).status == 404
    assert stored(f"T#{api.tenant}#C#") == []
    assert stored(f"T#{api.tenant}#U#") == []
    assert api.delete(customer["id"], "*").status == 404


def test_hard_delete_is_refused_while_ledger_records_link_the_customer(api, aws):
    customer = api.created({"name": "Has orders", "code": "ORD"})
    # The sales ledger keeps these counters on the customer item.
    aws.clients.dynamodb.update_item(
        TableName=aws.table,
        Key={"pk": {"S": f"T#{api.tenant}#C#{customer['id']}"}, "sk": {"S": "CUSTOMER"}},
        UpdateExpression="SET sales_orders_count = :two, sales_credits_count = :one",
        ExpressionAttributeValues={":two": {"N": "2"}, ":one": {"N": "1"}},
    )

    reply = api.delete(customer["id"], customer["etag"])

    assert reply.status == 409
    assert reply.body["type"] == "/problems/linked-records"
    assert reply.body["links"] == {"sales_orders": 2, "sales_credits": 1}
    assert api.get(customer["id"]).status == 200


def test_soft_delete_and_restore_by_status(api):
    customer = api.created({"name": "Sleeper"})

    inactive = api.patch(customer["id"], {"status": "inactive"}, customer["etag"])
    restored = api.patch(customer["id"], {"status": "active"}, inactive.etag)

    assert inactive.body["status"] == "inactive"
    assert restored.body["status"] == "active"


def test_archive_and_unarchive_are_idempotent(api):
    customer = api.created({"name": "Archivist"})

    first = api.archive(customer["id"])
    second = api.archive(customer["id"])

    assert first.status == 200 == second.status
    assert first.body["archived"] is True and first.body["archived_at"].endswith("Z")
    assert second.body == first.body and second.etag == first.etag
    assert first.body["version"] == customer["version"] + 1

    back = api.unarchive(customer["id"])
    again = api.unarchive(customer["id"])
    assert back.body["archived"] is False and back.body["archived_at"] is None
    assert again.etag == back.etag
    assert api.unarchive(api.created({"name": "Never archived"})["id"]).status == 200


def test_archive_ignores_any_body(api):
    customer = api.created({"name": "Bodyless"})

    reply = api.archive(customer["id"], raw_body="this is not json", content_type="text/plain")

    assert reply.status == 200 and reply.body["archived"] is True
