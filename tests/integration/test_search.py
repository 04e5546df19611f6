"""Search (API.md §14): `q` on GET /v1/customers served from the search items the change stream keeps.

Search is eventually consistent: every test runs the stream (run_change_stream) after writing and
before searching, as the local runner's poller does within about a second.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.harness import Api, _Context, new_tenant, run_change_stream

STREAM_FUNCTION = "change_stream/process"


@pytest.fixture(autouse=True)
def no_request_deadline(monkeypatch):
    """moto answers every Query by walking the whole (session-wide) table, seconds per call late in a
    full run: without this, pages here would be cut short by their deadline (has_more, resumable;
    tested on its own below) and these tests would measure the emulator's speed, not search."""
    monkeypatch.setattr("clientele.http.deadlines.ANSWER_RESERVE_MS", -(10**9))


def _names(reply: Any) -> list[str]:
    assert reply.status == 200, reply.body
    return [item["name"] for item in reply.body["data"]]


def _search(api: Api, q: str, **query: Any) -> list[str]:
    return _names(api.list(q=q, **query))


@pytest.fixture
def people(api: Api, aws: Any) -> dict[str, dict[str, Any]]:
    bodies = [
        {"name": "Müller Logistik GmbH", "code": "MUE-1", "emails": ["Info@Mueller.example"]},
        {"name": "John Johnson", "first_name": "John", "last_name": "Johnson", "phones": ["+61 (2) 9876-5432"]},
        {"name": "Jonas Smith", "company_name": "Smith & Sons", "external_id": "CRM-77"},
        {"name": "O'Brien Freight", "code": "OB-9"},
        {"name": "Zed Archived", "code": "ZED"},
        {"name": "Org Person", "organization_id": "org-a", "code": "ORG-1"},
    ]
    made = {body["name"]: api.created(body) for body in bodies}
    api.archive(made["Zed Archived"]["id"])
    run_change_stream(aws)
    return made


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("mul", ["Müller Logistik GmbH"]),  # accents folded
        ("MÜLLER", ["Müller Logistik GmbH"]),
        ("logistik", ["Müller Logistik GmbH"]),  # any word, not only the first
        ("jo", ["John Johnson", "Jonas Smith"]),  # ordered by the matched word, once each
        ("john", ["John Johnson"]),
        ("johnson john", ["John Johnson"]),  # every word matches a different word
        ("john johnx", []),
        ("jo jo", ["John Johnson"]),  # two different words both starting "jo"
        ("smith sons", ["Jonas Smith"]),  # company words count
        ("obrien", ["O'Brien Freight"]),  # punctuation folded
        ("o'bri", ["O'Brien Freight"]),
        ("zed", []),  # archived customers are hidden by default
        ("ohn", []),  # prefixes only
        ("mue-1", ["Müller Logistik GmbH"]),  # exact code, ignoring case
        ("MUE", []),  # codes are exact, not prefixes
        ("crm-77", ["Jonas Smith"]),  # exact external id
        ("info@mueller.EXAMPLE", ["Müller Logistik GmbH"]),  # exact email
        ("029876 5432", []),  # phone digits must be equal
        ("61 2 9876 5432", ["John Johnson"]),  # phone digits
    ],
)
def test_search_semantics(api, people, q, expected):
    assert _search(api, q) == expected


def test_search_by_number(api, people):
    number = people["Jonas Smith"]["number"]

    assert _search(api, str(number)) == ["Jonas Smith"]


def test_identifier_matches_come_first_then_names_and_sort_is_relevance(api, aws):
    api.created({"name": "Acme Beta"})
    api.created({"name": "Acme Alpha"})
    coded = api.created({"name": "Zulu Traders", "code": "acme"})
    run_change_stream(aws)

    reply = api.list(q="acme", sort="-created_at")

    assert _names(reply) == ["Zulu Traders", "Acme Alpha", "Acme Beta"]
    assert reply.body["sort"] == "relevance"
    assert reply.body["data"][0]["id"] == coded["id"]


def test_archived_and_other_filters_still_apply(api, people):
    assert _search(api, "zed", archived="true") == ["Zed Archived"]
    assert _search(api, "z", archived="any") == ["Zed Archived"]
    assert _search(api, "jo", branch="North") == []
    assert _search(api, "jo", status="active") == ["John Johnson", "Jonas Smith"]
    assert _search(api, "org", organization_id="org-a") == ["Org Person"]
    assert _search(api, "org", organization_id="org-b") == []


def test_organization_scope_and_tenant_isolation(api, people):
    courier = api.as_caller(role="courier", organization_id="org-a")
    assert _search(courier, "o") == ["Org Person"]
    assert _search(courier, "mue-1") == []
    assert _search(api.as_caller(role="courier", organization_id="org-b"), "org") == []
    assert _search(api.as_caller(tenant_id=new_tenant()), "jo", archived="any") == []


def test_renames_move_the_customer_and_leave_no_stale_items(api, aws, stored):
    made = api.created({"name": "Alpha Traders", "code": "AT-1"})
    run_change_stream(aws)
    renamed = api.patch(made["id"], {"name": "Bravo Holdings", "code": "BH-1"}, made["etag"]).body

    # Before the stream follows the rename, the old words no longer list it (candidates are checked).
    assert _search(api, "alpha") == []
    run_change_stream(aws)

    assert _search(api, "alpha") == [] and _search(api, "at-1") == []
    assert _search(api, "bravo hold") == ["Bravo Holdings"] and _search(api, "bh-1") == ["Bravo Holdings"]
    search_items = stored(f"T#{api.tenant}#S#")
    assert sorted(item["sk"].split("\x00")[0] for item in search_items if "#S#W#" in item["pk"]) == [
        "bravo",
        "holdings",
    ]
    # Only what changed was written (the number's item keeps the version it was written for).
    assert {item["v"] for item in search_items if "#S#W#" in item["pk"] or "#S#M#" in item["pk"]} == {2}

    api.delete(made["id"], renamed["etag"])
    run_change_stream(aws)
    # Only the marker is left, as a tombstone the table's TTL removes (no late record can revive items).
    (tombstone,) = stored(f"T#{api.tenant}#S#")
    assert tombstone["pk"] == f"T#{api.tenant}#S#M#{made['id']}" and tombstone["expires_at"] > 0
    assert _search(api, "bravo") == []


def test_archiving_moves_items_to_the_archived_shelf(api, aws):
    made = api.created({"name": "Shelf Mover"})
    run_change_stream(aws)
    api.archive(made["id"])
    run_change_stream(aws)

    assert _search(api, "shelf") == []
    assert _search(api, "shelf", archived="true") == ["Shelf Mover"]
    api.unarchive(made["id"])
    run_change_stream(aws)
    assert _search(api, "shelf") == ["Shelf Mover"]


def test_paging_through_30_matches_of_one_prefix_lists_each_once_in_order(api, aws):
    for index in range(30):
        api.created({"name": f"Walker {index:02d}", "company_name": "Walkabout" if index % 3 == 0 else None})
    api.created({"name": "Unrelated"})
    run_change_stream(aws)

    seen: list[dict[str, Any]] = []
    cursor = None
    pages = 0
    while True:
        query = {"q": "walk", "limit": 7, **({"cursor": cursor} if cursor else {})}
        reply = api.list(**query)
        assert reply.status == 200
        seen += reply.body["data"]
        pages += 1
        if not reply.body["has_more"]:
            assert reply.body["next_cursor"] is None
            break
        cursor = reply.body["next_cursor"]

    assert len(seen) == 30 and len({item["id"] for item in seen}) == 30
    # Ordered by the matched word ("walkabout" before "walker"), then name.
    walkabouts = [f"Walker {index:02d}" for index in range(30) if index % 3 == 0]
    others = [f"Walker {index:02d}" for index in range(30) if index % 3]
    assert [item["name"] for item in seen] == walkabouts + others
    assert pages >= 5  # 5, unless a page was cut short by its deadline (a slow emulator): then more


def test_a_search_cursor_is_bound_to_its_query(api, aws):
    for index in range(3):
        api.created({"name": f"Bound {index}"})
    run_change_stream(aws)
    cursor = api.list(q="bound", limit=1).body["next_cursor"]

    assert api.list(q="bound", limit=1, cursor=cursor).status == 200
    assert api.list(q="boun", limit=1, cursor=cursor).status == 400
    assert api.list(q="bound", status="active", limit=1, cursor=cursor).status == 400


def test_include_total_counts_matches(api, aws):
    for index in range(4):
        api.created({"name": f"Counted {index}", "status": "inactive" if index == 0 else "active"})
    run_change_stream(aws)

    reply = api.list(q="counted", include_total="true", limit=2)
    assert (reply.body["total"], reply.body["total_exact"]) == (4, True)
    assert api.list(q="counted", status="active", include_total="true").body["total"] == 3


def test_an_exact_code_costs_three_calls_and_a_prefix_page_three(api, aws, dynamodb_calls):
    for index in range(20):
        api.created({"name": f"Cost {index:02d}", "code": f"CO-{index:02d}"})
    run_change_stream(aws)
    dynamodb_calls.clear()

    assert _search(api, "co-07") == ["Cost 07"]
    assert sorted(dynamodb_calls) == ["BatchGetItem", "Query", "Query"]
    dynamodb_calls.clear()
    assert len(api.list(q="cost", limit=10).body["data"]) == 10
    assert sorted(dynamodb_calls) == ["BatchGetItem", "Query", "Query"]


# ---------------------------------------------------------------- the stream function itself


def _image(aws: Any, tenant: str, customer_id: str) -> dict[str, Any]:
    key = {"pk": {"S": f"T#{tenant}#C#{customer_id}"}, "sk": {"S": "CUSTOMER"}}
    return aws.clients.dynamodb.get_item(TableName=aws.table, Key=key)["Item"]


def _record(name: str, image: dict[str, Any], old: dict[str, Any] | None = None, sequence: int = 1) -> dict[str, Any]:
    change: dict[str, Any] = {
        "Keys": {"pk": image["pk"], "sk": image["sk"]},
        "SequenceNumber": f"{sequence:021d}",
        "SizeBytes": 100,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if name != "REMOVE":
        change["NewImage"] = image
    if old is not None or name == "REMOVE":
        change["OldImage"] = old if old is not None else image
    return {
        "eventID": f"event-{sequence}",
        "eventName": name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": change,
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026-12-03T00:00:00.000",
    }


def _deliver(aws: Any, records: list[dict[str, Any]]) -> dict[str, Any]:
    handler = aws.handler(STREAM_FUNCTION)
    answer: dict[str, Any] = handler({"Records": records}, _Context(STREAM_FUNCTION))
    return answer


def test_a_redelivered_batch_writes_nothing_twice(api, aws, stored, dynamodb_calls):
    made = api.created({"name": "Redelivered Once", "code": "RD-1"})
    run_change_stream(aws)
    image = _image(aws, api.tenant, made["id"])
    before = stored(f"T#{api.tenant}#S#")
    renamed = api.patch(made["id"], {"name": "Redelivered Twice"}, made["etag"]).body
    new_image = _image(aws, api.tenant, made["id"])
    batch = [_record("INSERT", image, sequence=1), _record("MODIFY", new_image, image, sequence=2)]
    run_change_stream(aws)
    after = stored(f"T#{api.tenant}#S#")
    dynamodb_calls.clear()

    assert _deliver(aws, copy.deepcopy(batch)) == {"batchItemFailures": []}

    assert stored(f"T#{api.tenant}#S#") == after != before
    # Each record costs one conditioned call that writes nothing (the marker already holds its version);
    # the PutItems are the history entries' conditioned puts (one per record), refused as well.
    assert dynamodb_calls.count("TransactWriteItems") <= 2 and dynamodb_calls.count("PutItem") == 2
    assert _search(api, "twice") == ["Redelivered Twice"] and _search(api, "once") == []
    assert renamed["version"] == 2


def test_an_older_version_never_overwrites_a_newer_one(api, aws, stored):
    made = api.created({"name": "Old Name"})
    old_image = _image(aws, api.tenant, made["id"])
    api.patch(made["id"], {"name": "New Name"}, made["etag"])
    run_change_stream(aws)

    _deliver(aws, [_record("INSERT", old_image)])

    assert _search(api, "old") == [] and _search(api, "new") == ["New Name"]
    words = [item["sk"].split("\x00")[0] for item in stored(f"T#{api.tenant}#S#W#")]
    assert sorted(words) == ["name", "new"]


def test_a_poisoned_record_does_not_block_the_rest_of_its_batch(api, aws):
    good = api.created({"name": "Healthy Record"})
    bad = api.created({"name": "Poisoned Record"})
    run_change_stream(aws)
    good_image = _image(aws, api.tenant, good["id"])
    poisoned = _image(aws, api.tenant, bad["id"])
    poisoned["version"] = {"S": "not a number"}
    renamed = {**good_image, "name": {"S": "Healthy Renamed"}, "version": {"N": "2"}}

    answer = _deliver(aws, [_record("MODIFY", poisoned, poisoned, 1), _record("MODIFY", renamed, good_image, 2)])

    assert answer == {"batchItemFailures": [{"itemIdentifier": f"{1:021d}"}]}
    # The good record was followed (its image's words are indexed; the customer item itself, never
    # renamed, keeps listing it as "Healthy Record").
    stored_words = [
        item["sk"]["S"].split("\x00")[0]
        for item in aws.clients.dynamodb.query(
            TableName=aws.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"T#{api.tenant}#S#W#LIVE#r"}},
        )["Items"]
    ]
    assert "renamed" in stored_words


def test_customers_written_before_search_are_indexed_on_their_next_change(api, aws, stored):
    made = api.created({"name": "Legacy Customer", "code": "LG-1"})
    run_change_stream(aws)
    # As if written before the search index existed: no search items, no marker.
    for item in stored(f"T#{api.tenant}#S#"):
        aws.clients.dynamodb.delete_item(TableName=aws.table, Key={"pk": {"S": item["pk"]}, "sk": {"S": item["sk"]}})
    assert _search(api, "legacy") == []

    api.patch(made["id"], {"branch": "North"}, made["etag"])  # a change search does not see: nothing written
    run_change_stream(aws)
    assert _search(api, "legacy") == []
    current = api.get(made["id"])
    api.patch(made["id"], {"company_name": "Heritage"}, current.etag)
    run_change_stream(aws)

    assert _search(api, "legacy") == ["Legacy Customer"] and _search(api, "lg-1") == ["Legacy Customer"]
    assert _search(api, "heritage") == ["Legacy Customer"]


def test_pages_cut_short_by_their_deadline_still_walk_every_match_once(api, aws):
    import time

    from clientele.domain.search import query as search
    from clientele.domain.search import terms

    for index in range(6):
        api.created({"name": f"Deadline {index}"})
    run_change_stream(aws)
    scope = search.Scope(api.tenant, None, (False,))

    seen: list[str] = []
    position = None
    while True:
        # Out of time from the start: each page still lists at least one match, then stops.
        page = search.page(scope, terms.parse("deadline"), position, 4, lambda _c: True, stop_at=time.monotonic() - 1)
        assert page.items
        seen += [item["name"] for item in page.items]
        if not page.has_more:
            break
        position = page.position

    assert seen == [f"Deadline {index}" for index in range(6)]
