"""Counted totals (API.md §5 `include_total`): per-tenant counts the change stream keeps, exact under
at-least-once delivery, answering totals in one read once a tenant's counts are complete."""

from __future__ import annotations

from typing import Any

from tests.harness import counted_dynamodb_calls, run_change_stream

# Filters the counts answer, each compared with the list itself.
COUNTED = [
    {},
    {"archived": "true"},
    {"archived": "any"},
    {"status": "inactive"},
    {"status": "active", "archived": "any"},
    {"type": "broker_3pl"},
    {"organization_id": "org-a"},
    {"organization_id": "org-a", "archived": "any", "status": "active"},
    {"organization_id": "org-b", "type": "customer"},
    {"organization_id": "org-none"},
]


def _counting(tenant: str) -> None:
    """A tenant whose counts are complete: created after counting began (a backfill pass over it, empty)."""
    from clientele.domain.counts import tally

    tally.mark_tenant_complete(tenant)


def _total(api: Any, **query: Any) -> tuple[int, bool, list[str]]:
    with counted_dynamodb_calls() as calls:
        reply = api.list(include_total="true", limit=1, **query)
    assert reply.status == 200, reply.body
    return reply.body["total"], reply.body["total_exact"], list(calls)


def _assert_counted(api: Any) -> None:
    """Every counted filter's total equals what the list walks, and comes from the counts."""
    for query in COUNTED:
        total, exact, calls = _total(api, **query)
        assert (total, exact) == (len(api.walk(limit=200, **query)), True), query
        # The page (one Query, two with archived=any) and the counts (one BatchGetItem): no count Query.
        page_queries = 2 if query.get("archived") == "any" else 1
        assert calls.count("BatchGetItem") == 1 and calls.count("Query") == page_queries, (query, calls)


def _made(api: Any) -> dict[str, dict[str, Any]]:
    made = {}
    for name, extra in [
        ("Alpha", {"organization_id": "org-a"}),
        ("Bravo", {"organization_id": "org-a", "status": "inactive"}),
        ("Charlie", {"organization_id": "org-b", "type": "broker_3pl"}),
        ("Delta", {}),
        ("Echo", {"type": "broker_3pl", "status": "inactive"}),
        ("Foxtrot", {"organization_id": "org-b"}),
    ]:
        made[name] = api.created({"name": name, **extra})
    return made


def test_counts_follow_creates_archives_status_type_and_organization_changes_and_deletes(api, aws):
    _counting(api.tenant)
    made = _made(api)
    api.archive(made["Foxtrot"]["id"])
    run_change_stream(aws)
    _assert_counted(api)

    assert api.unarchive(made["Foxtrot"]["id"]).status == 200
    assert api.archive(made["Alpha"]["id"]).status == 200
    bravo = api.get(made["Bravo"]["id"])
    assert api.patch(made["Bravo"]["id"], {"status": "active", "organization_id": "org-b"}, bravo.etag).status == 200
    charlie = api.get(made["Charlie"]["id"])
    assert api.patch(made["Charlie"]["id"], {"type": "customer", "organization_id": None}, charlie.etag).status == 200
    delta = api.get(made["Delta"]["id"])
    assert api.patch(made["Delta"]["id"], {"credit_limit": "10.00"}, delta.etag).status == 200
    echo = api.get(made["Echo"]["id"])
    assert api.delete(made["Echo"]["id"], echo.etag).status == 204
    run_change_stream(aws)

    _assert_counted(api)
    assert _total(api, archived="any")[0] == 5
    assert _total(api, organization_id="org-b")[0] == 2  # Bravo moved in, Charlie out


def test_redelivered_and_out_of_order_batches_change_no_count(api, aws, monkeypatch):
    _counting(api.tenant)
    delivered: list[tuple[Any, str, dict[str, Any]]] = []
    for poller in aws.stream_pollers:

        def recording(function_id: str, event: dict[str, Any], original: Any = poller.invoke) -> Any:
            delivered.append((original, function_id, event))
            return original(function_id, event)

        monkeypatch.setattr(poller, "invoke", recording)
    made = _made(api)
    api.archive(made["Alpha"]["id"])
    bravo = api.get(made["Bravo"]["id"])
    api.patch(made["Bravo"]["id"], {"status": "active"}, bravo.etag)
    delta = api.get(made["Delta"]["id"])
    api.delete(made["Delta"]["id"], delta.etag)
    run_change_stream(aws)
    assert delivered
    before = {str(query): _total(api, **query)[0] for query in COUNTED}

    # Every batch again, then every record again one at a time, newest first.
    for invoke, function_id, event in delivered:
        invoke(function_id, event)
    for invoke, function_id, event in reversed(delivered):
        for record in reversed(event["Records"]):
            invoke(function_id, {"Records": [record]})

    assert {str(query): _total(api, **query)[0] for query in COUNTED} == before
    _assert_counted(api)


def test_incomplete_counts_and_uncounted_filters_fall_back_to_the_bounded_count(api, aws, monkeypatch):
    from clientele.store.kernel import listing

    _made(api)
    run_change_stream(aws)  # counted, but the tenant's customers from before counting began might not be

    total, exact, calls = _total(api, status="active")
    assert (total, exact) == (4, True) and calls.count("Query") == 2  # the page and the count

    _counting(api.tenant)
    assert _total(api, status="active")[2].count("Query") == 1
    # branch, postal_code and dates aren't counted: counted by reading, within the budget.
    monkeypatch.setattr(listing, "MAX_COUNT_CALLS", 0)
    assert _total(api, branch="North")[:2] == (0, False)
    assert _total(api, created_after="2000-01-01T00:00:00Z")[:2] == (0, False)
    assert _total(api, status="active") == (4, True, ["Query", "BatchGetItem"])


def test_counts_are_per_tenant_and_an_organization_scoped_caller_gets_its_organization(api, aws):
    _counting(api.tenant)
    _made(api)
    other = api.as_caller(tenant_id=f"{api.tenant}-x")
    _counting(other.tenant)
    other.created({"name": "Elsewhere", "organization_id": "org-a"})
    run_change_stream(aws)

    assert _total(api)[:2] == (6, True) and _total(other)[:2] == (1, True)
    courier = api.as_caller(role="courier", organization_id="org-a")
    total, exact, calls = _total(courier, archived="any")
    assert (total, exact) == (2, True) and calls.count("BatchGetItem") == 1
    # An organization filter of its own changes nothing for a scoped caller: its scope wins.
    assert _total(courier, organization_id="org-b", archived="any")[0] == 2
    assert _total(courier, status="inactive")[0] == 1


def test_a_finished_pass_over_the_whole_table_makes_every_tenant_complete(api, aws, stored):
    from clientele.domain.counts import tally

    _made(api)
    run_change_stream(aws)
    assert _total(api)[2].count("Query") == 2  # not complete: the page and a count
    tally.mark_all_complete()
    try:
        assert _total(api) == (6, True, ["Query", "BatchGetItem"])
    finally:
        # Other tests' tenants must not be complete: their writes aren't all delivered to the stream.
        aws.clients.dynamodb.delete_item(
            TableName=aws.table, Key={"pk": {"S": "COUNTS#BACKFILL"}, "sk": {"S": "COMPLETE"}}
        )


def test_a_removal_of_a_customer_never_counted_counts_nothing(api, aws):
    from clientele.domain.change_stream import effects

    _counting(api.tenant)
    image = {"id": "cus_never", "name": "Never", "version": 3, "status": "active", "type": "customer"}
    key = {"pk": f"T#{api.tenant}#C#cus_never", "sk": "CUSTOMER"}
    effects.apply("REMOVE", key, image, None)
    # Its late creation record arrives after the removal: the tombstone refuses it.
    effects.apply("INSERT", key, None, {**image, "version": 1})
    assert _total(api, archived="any")[0] == 0
