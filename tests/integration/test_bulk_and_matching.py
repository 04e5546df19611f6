"""Bulk operations by id, the deletability check (API.md §3 rows 9-12) and matching (row 13)."""

from __future__ import annotations

import pytest

from tests.harness import new_tenant

MISSING = "cus_01JD3X5V7R2T8E6Q9M4K1N0B5C"


def _link(aws, api, customer_id, orders=0, credits=0):
    """What the sales ledger does when it records orders and credits for a customer."""
    aws.clients.dynamodb.update_item(
        TableName=aws.table,
        Key={"pk": {"S": f"T#{api.tenant}#C#{customer_id}"}, "sk": {"S": "CUSTOMER"}},
        UpdateExpression="SET sales_orders_count = :o, sales_credits_count = :c",
        ExpressionAttributeValues={":o": {"N": str(orders)}, ":c": {"N": str(credits)}},
    )


def _bulk(api, operation, ids, **kwargs):
    return api.call(f"customers/bulk_{operation}", body={"ids": ids}, **kwargs)


@pytest.fixture
def three(api):
    return [
        api.created({"name": f"Bulk {i}", "code": f"BK{i}", "address": {"line1": f"{i} A St", "country": "AU"}})
        for i in range(3)
    ]


def test_bulk_delete_answers_per_id_in_request_order(api, aws, three, stored):
    _link(aws, api, three[1]["id"], orders=2, credits=1)
    ids = [three[2]["id"], MISSING, three[1]["id"], "not-an-id", three[0]["id"]]

    reply = _bulk(api, "delete", ids)

    assert reply.status == 200
    assert [(r["id"], r["outcome"]) for r in reply.body["results"]] == [
        (three[2]["id"], "deleted"),
        (MISSING, "not_found"),
        (three[1]["id"], "linked_records"),
        ("not-an-id", "not_found"),
        (three[0]["id"], "deleted"),
    ]
    assert reply.body["results"][2]["detail"] == "linked records: 2 sales orders, 1 sales credits"
    assert api.get(three[0]["id"]).status == 404 and api.get(three[1]["id"]).status == 200
    remaining = {item["pk"] for item in stored(f"T#{api.tenant}#C#")}
    assert remaining == {f"T#{api.tenant}#C#{three[1]['id']}"}
    assert api.create({"name": "Reuse", "code": "BK0"}).status == 201  # guards released


def test_bulk_delete_of_100_customers_is_batched(api, dynamodb_calls):
    ids = [api.created({"name": f"Many {i}", "code": f"M{i}"})["id"] for i in range(100)]
    dynamodb_calls.clear()

    reply = _bulk(api, "delete", ids)

    assert {r["outcome"] for r in reply.body["results"]} == {"deleted"}
    # 100 customers + 100 code guards = 200 actions: one read and two transactions.
    assert dynamodb_calls == ["BatchGetItem", "TransactWriteItems", "TransactWriteItems"]


def test_bulk_archive_and_unarchive_are_idempotent(api, three, dynamodb_calls):
    ids = [c["id"] for c in three]
    first = _bulk(api, "archive", ids[:2])
    dynamodb_calls.clear()
    second = _bulk(api, "archive", [*ids, MISSING])

    assert [r["outcome"] for r in first.body["results"]] == ["archived", "archived"]
    assert [r["outcome"] for r in second.body["results"]] == ["archived", "archived", "archived", "not_found"]
    assert dynamodb_calls == ["BatchGetItem", "TransactWriteItems"]  # only the third needed a write
    assert api.list(archived="true").body["data"] and all(api.get(i).body["archived"] for i in ids)
    assert api.get(ids[0]).body["version"] == three[0]["version"] + 1

    back = _bulk(api, "unarchive", ids)
    assert [r["outcome"] for r in back.body["results"]] == ["unarchived"] * 3
    assert not any(api.get(i).body["archived"] for i in ids)
    assert len(api.list().body["data"]) == 3


def test_bulk_results_keep_duplicates_and_hide_other_tenants_and_organizations(api, three):
    outsider = api.as_caller(tenant_id=new_tenant())
    courier = api.as_caller(role="courier", organization_id="org-z")
    ids = [three[0]["id"], three[0]["id"]]

    assert [r["outcome"] for r in _bulk(outsider, "archive", ids).body["results"]] == ["not_found", "not_found"]
    assert [r["outcome"] for r in _bulk(courier, "delete", ids).body["results"]] == ["not_found", "not_found"]
    assert [r["outcome"] for r in _bulk(api, "archive", ids).body["results"]] == ["archived", "archived"]


@pytest.mark.parametrize(
    "body",
    [{}, {"ids": []}, {"ids": "cus_x"}, {"ids": [1]}, {"ids": ["cus_x"] * 101}, {"ids": ["cus_x"], "extra": 1}],
)
def test_bulk_bodies_are_validated(api, body):
    reply = api.call("customers/bulk_archive", body=body)

    assert reply.status == 422


def test_bulk_writes_honour_the_writes_switch(api, three, writes_switch):
    writes_switch(False)

    assert _bulk(api, "delete", [three[0]["id"]]).status == 503


def test_deletable_per_id_with_reasons(api, aws, three):
    _link(aws, api, three[0]["id"], orders=1)
    _link(aws, api, three[1]["id"], credits=3)

    reply = api.call(
        "customers/check_deletable", body={"ids": [three[0]["id"], three[1]["id"], three[2]["id"], MISSING]}
    )

    assert reply.body["results"] == [
        {"id": three[0]["id"], "deletable": False, "reasons": ["has_sales_orders"]},
        {"id": three[1]["id"], "deletable": False, "reasons": ["has_sales_credits"]},
        {"id": three[2]["id"], "deletable": True, "reasons": []},
        {"id": MISSING, "deletable": False, "reasons": ["not_found"]},
    ]


@pytest.fixture
def street(api):
    """Customers at postal code 2000 (one twice), and one elsewhere."""
    made = {
        "acme": api.created(
            {
                "name": "Acme Pty Ltd",
                "code": "ACME",
                "address": {"line1": "1 George Street", "postal_code": "2000", "country": "AU"},
            }
        ),
        "acme2": api.created(
            {"name": "ACME Pty. Limited", "address": {"line1": "1 George St", "postal_code": "2000", "country": "AU"}}
        ),
        "other": api.created(
            {
                "name": "Zebra Holdings",
                "organization_id": "org-z",
                "address": {"line1": "99 Pitt Street", "postal_code": "2000", "country": "AU"},
            }
        ),
        "far": api.created(
            {"name": "Acme Pty Ltd", "address": {"line1": "1 George Street", "postal_code": "3000", "country": "AU"}}
        ),
    }
    api.add_address(made["other"]["id"], {"line1": "1 George Street", "postal_code": "2000", "country": "AU"})
    return made


def _match(api, **body):
    reply = api.call("customers/match", body=body)
    assert reply.status == 200, reply.body
    return reply.body["matches"]


def test_match_on_postal_code_alone_lists_every_candidate_once(api, street):
    matches = _match(api, postal_code="2000")

    assert sorted(m["customer"]["id"] for m in matches) == sorted(street[k]["id"] for k in ("acme", "acme2", "other"))
    assert all(m["score"] == 1 and m["matched_on"] == ["postal_code"] for m in matches)


def test_match_on_line1_scores_and_orders_best_first(api, street):
    matches = _match(api, postal_code="20 00", line1="1 George St.")

    ids = [m["customer"]["id"] for m in matches]
    assert set(ids) == {street["acme"]["id"], street["acme2"]["id"], street["other"]["id"]}
    assert all(m["matched_on"] == ["postal_code", "line1"] and m["score"] >= 0.9 for m in matches)
    other = next(m for m in matches if m["customer"]["id"] == street["other"]["id"])
    assert other["address_id"] != street["other"]["default_shipping_address_id"]  # its best address
    assert matches[0]["customer"] == {
        "id": matches[0]["customer"]["id"],
        "code": matches[0]["customer"]["code"],
        "name": matches[0]["customer"]["name"],
        "status": "active",
    }


def test_match_on_name_and_line1_averages(api, street):
    matches = _match(api, postal_code="2000", line1="1 George Street", name="acme pty ltd")

    assert matches[0]["customer"]["id"] == street["acme"]["id"] and matches[0]["score"] == 1.0
    assert matches[0]["matched_on"] == ["postal_code", "line1", "name"]
    assert [m["score"] for m in matches] == sorted((m["score"] for m in matches), reverse=True)


def test_a_candidate_below_the_threshold_does_not_match(api, street):
    assert _match(api, postal_code="2000", line1="47 Harbour Boulevard") == []


def test_match_respects_the_organization_scope_and_tenant(api, street):
    courier = api.as_caller(role="courier", organization_id="org-z")

    assert [m["customer"]["id"] for m in _match(courier, postal_code="2000")] == [street["other"]["id"]]
    assert _match(api.as_caller(tenant_id=new_tenant()), postal_code="2000") == []


@pytest.mark.parametrize("body", [{}, {"postal_code": ""}, {"postal_code": "2000", "city": "x"}, {"postal_code": 2000}])
def test_match_needs_a_postal_code(api, body):
    assert api.call("customers/match", body=body).status == 422


def test_match_reads_the_index_then_the_customers(api, street, dynamodb_calls):
    _match(api, postal_code="2000", line1="1 George St")

    assert dynamodb_calls == ["Query", "BatchGetItem"]
