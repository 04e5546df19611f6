"""SKU mappings (API.md §9) and their CSV export (§6): upsert, list, delete by id, export, budgets."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.harness import Api, Reply, new_tenant, run_change_stream, run_job_worker

SKM_ID = re.compile(r"skm_[0-9A-HJKMNP-TV-Z]{26}")
UNKNOWN_CUSTOMER = "cus_01JD3X5V7R2T8E6Q9M4K1N0B5C"
UNKNOWN_MAPPING = "skm_01JD3X5V7R2T8E6Q9M4K1N0B5E"


# ---------------------------------------------------------------- helpers


def upsert(api: Api, customer_id: str, body: Any, **kwargs: Any) -> Reply:
    return api.call("sku_mappings/upsert", customer_id=customer_id, body=body, **kwargs)


def mapped(api: Api, customer_id: str, customer_sku: str, product_id: str) -> dict[str, Any]:
    reply = upsert(api, customer_id, {"customer_sku": customer_sku, "product_id": product_id})
    assert reply.status in (200, 201), reply.body
    return reply.body


def listed(api: Api, customer_id: str, **query: Any) -> Reply:
    return api.call("sku_mappings/list", customer_id=customer_id, query={k: str(v) for k, v in query.items()})


def walk(api: Api, customer_id: str, **query: Any) -> tuple[list[dict[str, Any]], int]:
    """Every mapping, following next_cursor; and how many pages it took."""
    items: list[dict[str, Any]] = []
    pages = 0
    while True:
        reply = listed(api, customer_id, **query)
        assert reply.status == 200, reply.body
        pages += 1
        items.extend(reply.body["data"])
        assert (reply.body["next_cursor"] is None) == (not reply.body["has_more"])
        if not reply.body["has_more"]:
            return items, pages
        query = {**query, "cursor": reply.body["next_cursor"]}


def delete(api: Api, customer_id: str, mapping_id: str, **kwargs: Any) -> Reply:
    return api.call("sku_mappings/delete", customer_id=customer_id, path={"mapping_id": mapping_id}, **kwargs)


def export(api: Api, customer_id: str, **kwargs: Any) -> Reply:
    return api.call("sku_mappings/export", customer_id=customer_id, **kwargs)


def seed(aws, api: Api, customer_id: str, pairs: list[tuple[str, str]]) -> None:
    """Many mappings at once, through the importer's transaction units (quicker than one POST each)."""
    from clientele.domain.kernel import clock, ids
    from clientele.store.kernel.transactions import run_units
    from clientele.store.sku_mappings.items import upsert_unit

    now = clock.now_timestamp()
    units = {sku: upsert_unit(api.tenant, customer_id, sku, product, ids.new_id("skm"), now) for sku, product in pairs}
    assert run_units(units) == {}


@pytest.fixture
def customer(api):
    return api.created({"name": "Mapped Co"})


# ---------------------------------------------------------------- upsert


def test_a_new_sku_is_201_with_location(api, customer):
    reply = upsert(api, customer["id"], {"customer_sku": "ABC-1", "product_id": "prod-9"})

    assert reply.status == 201
    body = reply.body
    assert SKM_ID.fullmatch(body["id"])
    assert body == {
        "id": body["id"],
        "customer_id": customer["id"],
        "customer_sku": "ABC-1",
        "product_id": "prod-9",
        "created_at": body["created_at"],
        "updated_at": body["created_at"],
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["created_at"])
    assert reply.header("Location") == f"/v1/customers/{customer['id']}/sku-mappings/{body['id']}"


def test_the_same_sku_again_is_200_and_keeps_id_and_created_at(api, customer):
    first = mapped(api, customer["id"], "ABC-1", "prod-1")

    reply = upsert(api, customer["id"], {"customer_sku": "ABC-1", "product_id": "prod-2"})

    assert reply.status == 200
    assert reply.body["id"] == first["id"] and reply.body["created_at"] == first["created_at"]
    assert reply.body["product_id"] == "prod-2" and reply.body["updated_at"] >= first["updated_at"]
    assert reply.header("Location") is None
    assert listed(api, customer["id"]).body["data"] == [reply.body]


def test_the_same_sku_and_product_again_is_200_and_writes_nothing(api, customer, dynamodb_calls):
    first = mapped(api, customer["id"], "ABC-1", "prod-1")
    dynamodb_calls.clear()

    reply = upsert(api, customer["id"], {"customer_sku": "ABC-1", "product_id": "prod-1"})

    assert reply.status == 200 and reply.body == first
    assert dynamodb_calls == ["TransactWriteItems"]  # the create, cancelled: nothing else


@pytest.mark.parametrize(
    "sku",
    [
        "000123",
        "0",
        "12345678901234567890123456789012345678901234567890",
        " padded ",
        "ümlaut-ß-日本語-🙂",
        "a#b%c",
        "=1+1",
        "x" * 100,
        "🙂" * 100,
    ],
)
def test_skus_and_products_are_stored_exactly(api, customer, sku):
    product = "00" + sku[:98]
    created = mapped(api, customer["id"], sku, product)

    assert created["customer_sku"] == sku and created["product_id"] == product
    assert listed(api, customer["id"]).body["data"] == [created]


def test_skus_are_case_sensitive(api, customer):
    lower = mapped(api, customer["id"], "abc", "p-lower")
    upper = mapped(api, customer["id"], "ABC", "p-upper")

    assert lower["id"] != upper["id"]
    assert [m["customer_sku"] for m in listed(api, customer["id"]).body["data"]] == ["ABC", "abc"]


def test_mappings_of_two_customers_are_independent(api, customer):
    other = api.created({"name": "Other Co"})
    mine = mapped(api, customer["id"], "SKU-1", "p-1")
    theirs = mapped(api, other["id"], "SKU-1", "p-2")

    assert mine["id"] != theirs["id"]
    assert listed(api, customer["id"]).body["data"] == [mine]
    assert listed(api, other["id"]).body["data"] == [theirs]


@pytest.mark.parametrize(
    ("body", "pointer", "code"),
    [
        ({"product_id": "p"}, "/customer_sku", "required"),
        ({"customer_sku": "s"}, "/product_id", "required"),
        ({"customer_sku": "", "product_id": "p"}, "/customer_sku", "blank"),
        ({"customer_sku": "s", "product_id": ""}, "/product_id", "blank"),
        ({"customer_sku": "x" * 101, "product_id": "p"}, "/customer_sku", "too_long"),
        ({"customer_sku": "s", "product_id": "x" * 101}, "/product_id", "too_long"),
        ({"customer_sku": "a\tb", "product_id": "p"}, "/customer_sku", "control_character"),
        ({"customer_sku": "a\nb", "product_id": "p"}, "/customer_sku", "control_character"),
        ({"customer_sku": "s", "product_id": "p\x7f"}, "/product_id", "control_character"),
        ({"customer_sku": "s", "product_id": "p\x00"}, "/product_id", "control_character"),
        ({"customer_sku": 123, "product_id": "p"}, "/customer_sku", "invalid_type"),
        ({"customer_sku": "s", "product_id": None}, "/product_id", "invalid_type"),
        ({"customer_sku": "s", "product_id": "p", "color": "red"}, "/color", "unknown_field"),
        ({"customer_sku": "s", "product_id": "p", "id": "skm_x"}, "/id", "read_only"),
        ({"customer_sku": "s", "product_id": "p", "created_at": "x"}, "/created_at", "read_only"),
    ],
)
def test_invalid_bodies_are_422_and_write_nothing(api, customer, stored, body, pointer, code):
    reply = upsert(api, customer["id"], body)

    assert reply.status == 422, reply.body
    assert reply.body["type"] == "/problems/validation-error"
    assert {"pointer": pointer, "code": code} in [
        {"pointer": error["pointer"], "code": error["code"]} for error in reply.body["errors"]
    ]
    assert [item for item in stored(f"T#{api.tenant}#C#") if item["sk"].startswith("SKU")] == []


def test_a_body_that_is_not_json_is_400(api, customer):
    reply = upsert(api, customer["id"], None, raw_body="{not json")

    assert reply.status == 400 and reply.body["type"] == "/problems/malformed-request"


def test_an_unknown_customer_is_404_and_writes_nothing(api, stored):
    for customer_id in (UNKNOWN_CUSTOMER, "not-an-id"):
        reply = upsert(api, customer_id, {"customer_sku": "s", "product_id": "p"})
        assert reply.status == 404, customer_id
        assert reply.body["type"] == "/problems/not-found"
    assert stored(f"T#{api.tenant}#C#") == []


def test_another_tenants_customer_is_404_for_every_route(api, customer):
    created = mapped(api, customer["id"], "SKU-1", "p-1")
    stranger = api.as_caller(tenant_id=new_tenant())

    assert upsert(stranger, customer["id"], {"customer_sku": "SKU-1", "product_id": "p-2"}).status == 404
    assert listed(stranger, customer["id"]).status == 404
    assert export(stranger, customer["id"]).status == 404
    assert delete(stranger, customer["id"], created["id"]).status == 404
    assert listed(api, customer["id"]).body["data"] == [created]


def test_organization_scoped_callers_only_reach_their_organizations_customers(api):
    ours = api.created({"name": "Ours", "organization_id": "org-a"})
    theirs = api.created({"name": "Theirs", "organization_id": "org-b"})
    unorganized = api.created({"name": "Nobody's"})
    theirs_mapping = mapped(api, theirs["id"], "SKU-1", "p-1")
    courier = api.as_caller(role="courier", organization_id="org-a")

    assert upsert(courier, ours["id"], {"customer_sku": "SKU-1", "product_id": "p"}).status == 201
    assert listed(courier, ours["id"]).status == 200
    for customer_id in (theirs["id"], unorganized["id"]):
        assert upsert(courier, customer_id, {"customer_sku": "SKU-1", "product_id": "p"}).status == 404
        assert listed(courier, customer_id).status == 404
        assert export(courier, customer_id).status == 404
    assert delete(courier, theirs["id"], theirs_mapping["id"]).status == 404
    assert listed(api, theirs["id"]).body["data"] == [theirs_mapping]


def test_archived_customers_keep_their_mappings_readable_and_writable(api, customer):
    created = mapped(api, customer["id"], "SKU-1", "p-1")
    assert api.archive(customer["id"]).status == 200

    assert listed(api, customer["id"]).body["data"] == [created]
    assert upsert(api, customer["id"], {"customer_sku": "SKU-2", "product_id": "p-2"}).status == 201
    assert delete(api, customer["id"], created["id"]).status == 204


def test_a_deleted_customer_is_404(api, customer):
    assert api.delete(customer["id"], customer["etag"]).status == 204

    assert upsert(api, customer["id"], {"customer_sku": "s", "product_id": "p"}).status == 404
    assert listed(api, customer["id"]).status == 404


def test_writing_mappings_leaves_the_customer_and_its_etag_alone(api, customer):
    mapped(api, customer["id"], "SKU-1", "p-1")

    assert api.get(customer["id"]).body == customer


# ---------------------------------------------------------------- idempotency and the writes switch


def test_idempotency_key_replays_the_first_answer_and_writes_nothing_more(api, customer):
    body = {"customer_sku": "SKU-1", "product_id": "p-1"}
    first = upsert(api, customer["id"], body, headers={"Idempotency-Key": "sku-once"})
    mapped(api, customer["id"], "SKU-1", "p-changed")

    replay = upsert(api, customer["id"], body, headers={"Idempotency-Key": "sku-once"})

    assert first.status == 201 and replay.status == 201
    assert replay.body == first.body and replay.header("Location") == first.header("Location")
    assert replay.header("Idempotent-Replayed") == "true"
    assert listed(api, customer["id"]).body["data"][0]["product_id"] == "p-changed"


def test_idempotency_key_with_another_body_is_422(api, customer):
    upsert(api, customer["id"], {"customer_sku": "SKU-1", "product_id": "p-1"}, headers={"Idempotency-Key": "k"})

    reply = upsert(
        api, customer["id"], {"customer_sku": "SKU-1", "product_id": "p-2"}, headers={"Idempotency-Key": "k"}
    )

    assert reply.status == 422 and reply.body["type"] == "/problems/idempotency-key-reused"


def test_writes_switched_off_answer_503_and_reads_keep_working(api, customer, writes_switch):
    created = mapped(api, customer["id"], "SKU-1", "p-1")
    writes_switch(False)

    posted = upsert(api, customer["id"], {"customer_sku": "SKU-2", "product_id": "p-2"})
    deleted = delete(api, customer["id"], created["id"])

    for reply in (posted, deleted):
        assert reply.status == 503 and reply.body["type"] == "/problems/endpoint-disabled"
        assert reply.header("Retry-After") == "3600"
    assert listed(api, customer["id"]).body["data"] == [created]
    assert export(api, customer["id"]).status == 200


# ---------------------------------------------------------------- list


def test_the_list_is_ordered_by_customer_sku(api, customer):
    for sku in ("b", "A", "a", "10", "9", "a-1", "B"):
        mapped(api, customer["id"], sku, f"p-{sku}")

    reply = listed(api, customer["id"])

    assert reply.status == 200
    assert [m["customer_sku"] for m in reply.body["data"]] == ["10", "9", "A", "B", "a", "a-1", "b"]
    assert reply.body["has_more"] is False and reply.body["next_cursor"] is None


def test_q_is_a_case_sensitive_exact_prefix(api, customer):
    for sku in ("ABC-1", "ABC-2", "abc-3", "AB", "XABC", "ABD"):
        mapped(api, customer["id"], sku, "p")

    def skus(q: str) -> list[str]:
        return [m["customer_sku"] for m in listed(api, customer["id"], q=q).body["data"]]

    assert skus("ABC") == ["ABC-1", "ABC-2"]
    assert skus("AB") == ["AB", "ABC-1", "ABC-2", "ABD"]
    assert skus("abc") == ["abc-3"]
    assert skus("ABC-1") == ["ABC-1"]
    assert skus("Z") == []


def test_an_empty_list_of_a_customer_without_mappings(api, customer):
    reply = listed(api, customer["id"])

    assert reply.body == {"data": [], "has_more": False, "next_cursor": None}


def test_walking_250_mappings_with_limit_100_yields_each_once_in_order(api, aws, customer, dynamodb_calls):
    pairs = [(f"SKU-{n:05d}", f"p-{n}") for n in range(250)]
    seed(aws, api, customer["id"], pairs)
    dynamodb_calls.clear()

    items, pages = walk(api, customer["id"], limit=100)

    assert pages == 3
    assert [(m["customer_sku"], m["product_id"]) for m in items] == pairs
    assert dynamodb_calls == ["GetItem", "Query"] * 3  # the customer's check and one Query per page


def test_walking_with_q_and_a_page_size_that_divides_the_matches(api, aws, customer):
    seed(aws, api, customer["id"], [(f"A-{n:03d}", "p") for n in range(40)] + [(f"B-{n:03d}", "p") for n in range(7)])

    items, pages = walk(api, customer["id"], q="A-", limit=20)

    assert pages == 2  # has_more is exact: no empty third page
    assert [m["customer_sku"] for m in items] == [f"A-{n:03d}" for n in range(40)]


@pytest.mark.parametrize(("limit", "status"), [("0", 422), ("201", 422), ("abc", 422), ("1", 200), ("200", 200)])
def test_limit_bounds(api, customer, limit, status):
    reply = listed(api, customer["id"], limit=limit)

    assert reply.status == status
    if status == 422:
        assert reply.body["errors"][0]["parameter"] == "limit"


def test_the_default_page_is_50(api, aws, customer):
    seed(aws, api, customer["id"], [(f"S{n:03d}", "p") for n in range(51)])

    reply = listed(api, customer["id"])

    assert len(reply.body["data"]) == 50 and reply.body["has_more"] is True


def test_q_longer_than_a_sku_is_422(api, customer):
    reply = listed(api, customer["id"], q="x" * 101)

    assert reply.status == 422 and reply.body["errors"][0]["parameter"] == "q"


@pytest.fixture
def cursor(api, aws, customer):
    seed(aws, api, customer["id"], [(f"S{n}", "p") for n in range(5)])
    reply = listed(api, customer["id"], limit=2, q="S")
    assert reply.body["has_more"] is True
    return reply.body["next_cursor"]


def test_the_cursor_continues_where_the_page_stopped(api, customer, cursor):
    reply = listed(api, customer["id"], limit=2, q="S", cursor=cursor)

    assert [m["customer_sku"] for m in reply.body["data"]] == ["S2", "S3"]


def test_limit_may_change_between_pages(api, customer, cursor):
    reply = listed(api, customer["id"], limit=10, q="S", cursor=cursor)

    assert [m["customer_sku"] for m in reply.body["data"]] == ["S2", "S3", "S4"]


def _bad_cursor(reply: Reply) -> None:
    assert reply.status == 400, reply.body
    assert reply.body["type"] == "/problems/malformed-request"


def test_a_tampered_cursor_is_400(api, customer, cursor):
    payload, signature = cursor.split(".")
    forged_payload = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB")

    _bad_cursor(listed(api, customer["id"], limit=2, q="S", cursor=f"{forged_payload}.{signature}"))
    _bad_cursor(listed(api, customer["id"], limit=2, q="S", cursor="garbage"))
    _bad_cursor(listed(api, customer["id"], limit=2, q="S", cursor=cursor + "x"))


def test_a_cursor_reused_with_another_q_is_400(api, customer, cursor):
    _bad_cursor(listed(api, customer["id"], limit=2, q="S1", cursor=cursor))
    _bad_cursor(listed(api, customer["id"], limit=2, cursor=cursor))


def test_a_cursor_of_another_customer_is_400(api, aws, customer, cursor):
    other = api.created({"name": "Other"})
    seed(aws, api, other["id"], [(f"S{n}", "p") for n in range(5)])

    _bad_cursor(listed(api, other["id"], limit=2, q="S", cursor=cursor))


def test_a_cursor_of_another_tenant_or_scope_is_400(api, customer, cursor):
    # Same customer id, so only the binding differs (the other tenant would 404 on the customer anyway).
    from clientele.domain.kernel import cursors
    from clientele.secrets import cursor_signing_key

    binding = {"tenant": api.tenant, "scope": "*", "customer": customer["id"], "q": "S"}
    assert cursors.redeem(cursor, binding, cursor_signing_key()) == "S1"
    for changed in ({"tenant": new_tenant()}, {"scope": "org-a"}):
        with pytest.raises(Exception, match="cursor"):
            cursors.redeem(cursor, {**binding, **changed}, cursor_signing_key())


# ---------------------------------------------------------------- delete


def test_delete_is_204_then_404(api, customer, stored):
    keep = mapped(api, customer["id"], "KEEP", "p")
    gone = mapped(api, customer["id"], "GONE", "p")

    first = delete(api, customer["id"], gone["id"])
    again = delete(api, customer["id"], gone["id"])

    assert first.status == 204 and first.body == ""
    assert again.status == 404 and again.body["type"] == "/problems/not-found"
    assert listed(api, customer["id"]).body["data"] == [keep]
    left = sorted(item["sk"] for item in stored(f"T#{api.tenant}#C#{customer['id']}") if item["sk"] != "CUSTOMER")
    assert left == ["SKU#KEEP", f"SKUID#{keep['id']}"]  # the deleted mapping's pointer went with it


def test_delete_of_unknown_ids_is_404(api, customer):
    mapping = mapped(api, customer["id"], "S", "p")

    assert delete(api, customer["id"], UNKNOWN_MAPPING).status == 404
    assert delete(api, customer["id"], "not-a-mapping-id").status == 404
    assert delete(api, UNKNOWN_CUSTOMER, mapping["id"]).status == 404
    other = api.created({"name": "Other"})
    assert delete(api, other["id"], mapping["id"]).status == 404  # the id belongs to another customer
    assert listed(api, customer["id"]).body["data"] == [mapping]


def test_a_sku_deleted_and_mapped_again_gets_a_new_id(api, customer):
    first = mapped(api, customer["id"], "S", "p")
    delete(api, customer["id"], first["id"])

    again = upsert(api, customer["id"], {"customer_sku": "S", "product_id": "p"})

    assert again.status == 201 and again.body["id"] != first["id"]
    assert delete(api, customer["id"], first["id"]).status == 404
    assert delete(api, customer["id"], again.body["id"]).status == 204


def test_a_pointer_whose_mapping_has_another_id_is_404_and_removed(api, aws, customer, stored):
    mapping = mapped(api, customer["id"], "S", "p")
    pk = f"T#{api.tenant}#C#{customer['id']}"
    item = {"pk": {"S": pk}, "sk": {"S": f"SKUID#{UNKNOWN_MAPPING}"}, "customer_sku": {"S": "S"}}
    aws.clients.dynamodb.put_item(TableName=aws.table, Item=item)

    assert delete(api, customer["id"], UNKNOWN_MAPPING).status == 404

    assert sorted(i["sk"] for i in stored(pk) if i["sk"] != "CUSTOMER") == ["SKU#S", f"SKUID#{mapping['id']}"]
    assert listed(api, customer["id"]).body["data"] == [mapping]


# ---------------------------------------------------------------- export


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_export_is_csv_with_a_header_in_sku_order(api, customer):
    for sku, product in (("B-2", "p2"), ("A-1", "p1"), ("000123", "0042")):
        mapped(api, customer["id"], sku, product)

    reply = export(api, customer["id"])

    assert reply.status == 200
    assert reply.header("Content-Type") == "text/csv; charset=utf-8"
    assert reply.header("Content-Disposition") == f'attachment; filename="sku-mappings-{customer["id"]}.csv"'
    assert reply.body == "customer_sku,product_id\r\n000123,0042\r\nA-1,p1\r\nB-2,p2\r\n"


def test_export_of_a_customer_without_mappings_is_the_header(api, customer):
    assert export(api, customer["id"]).body == "customer_sku,product_id\r\n"


def test_export_escapes_formulas_and_quotes_per_rfc_4180(api, aws, customer):
    values = {
        "=1+1": "+SUM(A1)",
        "@x": "-2",
        "'a": "plain",
        "comma,sku": 'say "hi"',
        "ümlaut 日本": "🙂",
        "a=b": "x@y",
    }
    for sku, product in values.items():
        mapped(api, customer["id"], sku, product)
    # Control characters can't come through the API; the importer's units could store them.
    seed(aws, api, customer["id"], [("line\nbreak", "tab\tin"), ("\tlead", "\rcr")])

    body = export(api, customer["id"]).body

    assert body.endswith("\r\n") and "\r\n" in body
    lines = body.split("\r\n")
    assert lines[0] == "customer_sku,product_id"
    assert "'=1+1,'+SUM(A1)" in lines
    assert "'@x,'-2" in lines
    assert "''a,plain" in lines
    assert '"comma,sku","say ""hi"""' in lines
    assert "a=b,x@y" in lines
    assert "ümlaut 日本,🙂" in lines
    assert '"\'\tlead","\'\rcr"' in lines[1:]  # tab and CR in a cell: escaped, and quoted
    assert '"line\nbreak","tab\tin"' in body
    rows = _rows(body)
    assert rows[0] == ["customer_sku", "product_id"]
    # Removing one leading ' from an escaped cell gives the stored value back (API.md §6 round trip).
    triggers = ("=", "+", "-", "@", "\t", "\r", "'")
    restored = {tuple(c[1:] if c[:1] == "'" and c[1:2] in triggers else c for c in row) for row in rows[1:]}
    assert restored == {*values.items(), ("line\nbreak", "tab\tin"), ("\tlead", "\rcr")}


def test_export_of_many_mappings_pages_through_the_query(api, aws, customer, dynamodb_calls, monkeypatch):
    from clientele.store.sku_mappings import items as store

    pairs = [(f"SKU-{n:04d}", f"p-{n}") for n in range(120)]
    seed(aws, api, customer["id"], pairs)
    real_query = store._query
    monkeypatch.setattr(store, "_query", lambda *args: {**real_query(*args), "Limit": 50})
    dynamodb_calls.clear()

    reply = export(api, customer["id"])

    assert _rows(reply.body)[1:] == [list(pair) for pair in pairs]
    assert dynamodb_calls == ["GetItem", "Query", "Query", "Query"]


def test_a_large_export_is_a_303_to_a_download_link_with_the_same_content(api, aws, customer, monkeypatch):
    import requests

    from clientele.domain.csvio import downloads as csv_downloads

    seed(aws, api, customer["id"], [(f"SKU-{n:04d}", f"=p{n}") for n in range(300)] + [('q,"', "日本")])
    inline = export(api, customer["id"])
    assert inline.status == 200
    monkeypatch.setattr(csv_downloads, "INLINE_MAX_BYTES", len(inline.body.encode()) - 1)

    reply = export(api, customer["id"])

    assert reply.status == 303, reply.body
    location = reply.header("Location")
    assert reply.body["url"] == location
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", reply.body["expires_at"])
    url = urlsplit(location)
    key = url.path.split("/", 2)[2] if url.netloc.startswith("s3") else url.path.lstrip("/")
    assert re.fullmatch(rf"reports/{api.tenant}/[0-9a-f-]{{36}}\.csv", key), location
    assert "X-Amz-Signature=" in url.query and "X-Amz-Expires=900" in url.query
    downloaded = requests.get(location, timeout=10)
    assert downloaded.status_code == 200
    assert downloaded.content.decode() == inline.body
    head = aws.clients.s3.head_object(Bucket=aws.resources.bucket, Key=key)
    assert head["ContentType"] == "text/csv; charset=utf-8"


def test_the_inline_limit_counts_the_json_escaped_size(api, aws, customer, monkeypatch):
    from clientele.domain.csvio import downloads as csv_downloads

    seed(aws, api, customer["id"], [("日本", "🙂")])
    raw = export(api, customer["id"]).body
    escaped = len(json.dumps(raw)) - 2
    assert escaped > len(raw.encode())

    monkeypatch.setattr(csv_downloads, "INLINE_MAX_BYTES", escaped)
    assert export(api, customer["id"]).status == 200
    monkeypatch.setattr(csv_downloads, "INLINE_MAX_BYTES", escaped - 1)
    assert export(api, customer["id"]).status == 303


# ---------------------------------------------------------------- DynamoDB calls (ARCHITECTURE.md §2)


def test_create_is_one_transaction(api, customer, dynamodb_calls):
    upsert(api, customer["id"], {"customer_sku": "S", "product_id": "p"})

    assert dynamodb_calls == ["TransactWriteItems"]


def test_update_is_two_transactions(api, customer, dynamodb_calls):
    mapped(api, customer["id"], "S", "p-1")
    dynamodb_calls.clear()

    upsert(api, customer["id"], {"customer_sku": "S", "product_id": "p-2"})

    assert dynamodb_calls == ["TransactWriteItems", "TransactWriteItems"]


def test_delete_is_a_read_and_a_transaction(api, customer, dynamodb_calls):
    mapping = mapped(api, customer["id"], "S", "p")
    dynamodb_calls.clear()

    delete(api, customer["id"], mapping["id"])

    assert dynamodb_calls == ["GetItem", "TransactWriteItems"]


def test_a_list_page_is_the_customers_check_and_one_query(api, customer, dynamodb_calls):
    mapped(api, customer["id"], "S", "p")
    dynamodb_calls.clear()

    listed(api, customer["id"], q="S")

    assert dynamodb_calls == ["GetItem", "Query"]


def test_unknown_ids_cost_no_call(api, dynamodb_calls):
    upsert(api, "nope", {"customer_sku": "S", "product_id": "p"})
    delete(api, UNKNOWN_CUSTOMER, "nope")

    assert dynamodb_calls == []


# ---------------------------------------------------------------- the importer's store functions


def test_upsert_units_create_and_update_and_load_many_tells_them_apart(api, customer):
    from clientele.domain.kernel import clock, ids
    from clientele.store.kernel.transactions import run_units
    from clientele.store.sku_mappings import items as store

    existing = mapped(api, customer["id"], "OLD", "p-old")
    found = store.load_many(api.tenant, customer["id"], ["OLD", "NEW", "OLD"])
    assert found == {"OLD": existing}

    now = clock.now_timestamp()
    units = {
        "OLD": store.upsert_unit(
            api.tenant, customer["id"], "OLD", "p-changed", ids.new_id("skm"), now, existing_id=existing["id"]
        ),
        "NEW": store.upsert_unit(api.tenant, customer["id"], "NEW", "p-new", ids.new_id("skm"), now),
    }
    assert [len(units["OLD"]), len(units["NEW"])] == [1, 2]
    assert run_units(units) == {}

    after = store.load_many(api.tenant, customer["id"], ["OLD", "NEW"])
    assert after["OLD"] == {**existing, "product_id": "p-changed", "updated_at": now}
    assert after["NEW"]["created_at"] == now and after["NEW"]["product_id"] == "p-new"
    assert delete(api, customer["id"], after["NEW"]["id"]).status == 204


def test_a_wrong_guess_cancels_the_unit_and_writes_nothing(api, customer, stored):
    from clientele.domain.kernel import clock, ids
    from clientele.store.kernel.transactions import run_units
    from clientele.store.sku_mappings import items as store

    existing = mapped(api, customer["id"], "OLD", "p-old")
    now = clock.now_timestamp()
    units = {
        # Guessed new, but it exists: no dangling pointer may be left behind.
        "OLD": store.upsert_unit(api.tenant, customer["id"], "OLD", "p-x", ids.new_id("skm"), now),
        # Guessed existing, but it is not there.
        "GONE": store.upsert_unit(
            api.tenant, customer["id"], "GONE", "p-y", ids.new_id("skm"), now, existing_id=UNKNOWN_MAPPING
        ),
        "FINE": store.upsert_unit(api.tenant, customer["id"], "FINE", "p-z", ids.new_id("skm"), now),
    }

    failed = run_units(units)

    assert set(failed) == {"OLD", "GONE"}
    assert all(f.tag == "mapping" for cancelled in failed.values() for f in cancelled.failures)
    skus = sorted(item["sk"] for item in stored(f"T#{api.tenant}#C#{customer['id']}") if item["sk"] != "CUSTOMER")
    fine = store.load_many(api.tenant, customer["id"], ["FINE"])["FINE"]
    assert skus == sorted(["SKU#FINE", "SKU#OLD", f"SKUID#{fine['id']}", f"SKUID#{existing['id']}"])


def test_load_many_reads_more_than_100_keys(api, aws, customer, dynamodb_calls):
    from clientele.store.sku_mappings import items as store

    pairs = [(f"K{n:03d}", "p") for n in range(150)]
    seed(aws, api, customer["id"], pairs)
    dynamodb_calls.clear()

    found = store.load_many(api.tenant, customer["id"], [sku for sku, _ in pairs] + ["missing"])

    assert set(found) == {sku for sku, _ in pairs}
    assert dynamodb_calls == ["BatchGetItem", "BatchGetItem"]


def test_a_hard_deleted_customer_takes_its_sku_mappings_along(api, aws, stored):
    customer = api.created({"name": "Going away"})
    for sku in ("A", "B", "C"):
        assert (
            api.call(
                "sku_mappings/upsert", customer_id=customer["id"], body={"customer_sku": sku, "product_id": "P"}
            ).status
            == 201
        )
    delete = api.call(
        "sku_mappings/delete", customer_id=customer["id"], path={"mapping_id": _ids(api, customer["id"])["C"]}
    )
    assert delete.status == 204
    assert {item["sk"][:3] for item in stored(f"T#{api.tenant}#C#{customer['id']}")} >= {"SKU"}
    fresh = api.get(customer["id"])

    assert api.delete(customer["id"], fresh.etag).status == 204
    run_change_stream(aws)
    assert _left(stored, api.tenant, customer["id"]) == []


def test_the_purge_follows_from_the_change_stream_so_no_crash_after_the_delete_leaves_orphans(api, aws, stored):
    customer = api.created({"name": "Crash after delete"})
    api.call("sku_mappings/upsert", customer_id=customer["id"], body={"customer_sku": "X", "product_id": "P"})

    # The request's work ends with the delete's commit: whatever happens to it afterwards, the
    # stream holds the removal until the change stream function has followed it.
    assert api.delete(customer["id"], "*").status == 204
    assert {item["sk"] for item in stored(f"T#{api.tenant}#C#{customer['id']}")} >= {"SKU#X"}
    run_change_stream(aws)

    assert _left(stored, api.tenant, customer["id"]) == []


def test_a_redelivered_removal_purges_nothing_twice(api, aws, stored, dynamodb_calls):
    from clientele.domain.change_stream import effects

    customer = api.created({"name": "Twice removed"})
    api.call("sku_mappings/upsert", customer_id=customer["id"], body={"customer_sku": "X", "product_id": "P"})
    api.delete(customer["id"], "*")
    run_change_stream(aws)
    old_image = {"sku_mappings_count": 1}
    key = {"pk": f"T#{api.tenant}#C#{customer['id']}", "sk": "CUSTOMER"}
    dynamodb_calls.clear()

    effects.apply("REMOVE", key, old_image)  # the same record again: nothing left to remove

    assert dynamodb_calls == ["GetItem", "Query"]  # the counts' marker (a tombstone: nothing to move), the purge
    assert _left(stored, api.tenant, customer["id"]) == []


def test_bulk_deletes_take_sku_mappings_along(api, aws, stored):
    customer = api.created({"name": "Bulk going away"})
    api.call("sku_mappings/upsert", customer_id=customer["id"], body={"customer_sku": "X", "product_id": "P"})

    assert api.bulk("delete", {"ids": [customer["id"]]}).status == 200
    run_change_stream(aws)
    assert _left(stored, api.tenant, customer["id"]) == []


def test_bulk_deletes_by_filter_take_sku_mappings_along(api, aws, stored):
    customer = api.created({"name": "Filter going away", "branch": "Purged"})
    api.call("sku_mappings/upsert", customer_id=customer["id"], body={"customer_sku": "X", "product_id": "P"})

    assert api.bulk("delete", {"filter": {"branch": "Purged"}}).status == 202
    run_job_worker(aws)
    run_change_stream(aws)
    assert _left(stored, api.tenant, customer["id"]) == []


def test_customers_without_mappings_cost_the_change_stream_no_read(api, aws, dynamodb_calls):
    run_change_stream(aws)
    customer = api.created({"name": "Never mapped"})
    api.delete(customer["id"], "*")
    dynamodb_calls.clear()

    assert run_change_stream(aws) >= 1
    # The search index writes its items (one transaction per record), history its entries (a put per
    # version, and after the delete their TTL: one Query, one UpdateItem per entry), the counts read
    # their per-customer marker (a GetItem per record); the purge reads nothing.
    assert set(dynamodb_calls) == {"TransactWriteItems", "PutItem", "Query", "UpdateItem", "GetItem"}
    assert dynamodb_calls.count("Query") == 1
    assert dynamodb_calls.count("GetItem") == 2


def _left(stored, tenant, customer_id):
    """What is left in a customer's partition, but its history entries (kept 30 days after a hard delete)."""
    return [item for item in stored(f"T#{tenant}#C#{customer_id}") if not item["sk"].startswith("HISTORY#")]


def _ids(api, customer_id):
    listed = api.call("sku_mappings/list", customer_id=customer_id, query={"limit": "200"}).body["data"]
    return {mapping["customer_sku"]: mapping["id"] for mapping in listed}
