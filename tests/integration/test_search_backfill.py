"""The search backfill (domain.search.backfill): customers written before search existed get their items."""

from __future__ import annotations

from typing import Any

from tests.harness import counted_dynamodb_calls, run_change_stream


def _forget_search_items(aws: Any, stored: Any, tenant: str) -> None:
    """As if the customers were written before the search index existed: no items, no markers."""
    for item in stored(f"T#{tenant}#S#"):
        aws.clients.dynamodb.delete_item(TableName=aws.table, Key={"pk": {"S": item["pk"]}, "sk": {"S": item["sk"]}})


def test_backfill_indexes_old_customers_resumably_and_writes_nothing_twice(api, aws, stored):
    from clientele.domain.search import backfill

    for index in range(12):
        api.created({"name": f"Legacy {index:02d}", "code": f"LG-{index:02d}"})
    run_change_stream(aws)
    _forget_search_items(aws, stored, api.tenant)
    assert api.list(q="legacy").body["data"] == []

    # A first run stopped after one small page; the next ones resume from the checkpoint it left.
    runs = [backfill.run(max_seconds=0, page_size=5, restart=True, tenant=api.tenant)]
    assert not runs[0].done
    while not runs[-1].done:
        runs.append(backfill.run(max_seconds=0, page_size=1000, tenant=api.tenant))

    names = [item["name"] for item in api.walk(q="legacy", limit=5)]
    assert names == [f"Legacy {index:02d}" for index in range(12)]
    assert [item["name"] for item in api.list(q="lg-07").body["data"]] == ["Legacy 07"]
    assert sum(run.indexed for run in runs) >= 12

    # A second full run finds every customer indexed at its version: nothing written.
    before = stored(f"T#{api.tenant}#S#")
    again = backfill.run(restart=True, page_size=1000, tenant=api.tenant)
    assert again.done and again.writes == 0 and again.already >= 12
    assert stored(f"T#{api.tenant}#S#") == before
    # Finished: running it again does nothing until --restart.
    assert backfill.run(tenant=api.tenant).customers == 0


def _forget_counts(aws: Any, stored: Any, tenant: str) -> None:
    """As if the customers were written before counting began: no counted markers, no count items."""
    forgotten = stored(f"T#{tenant}#K#") + stored(f"T#{tenant}#COUNTS")
    forgotten += [item for item in stored(f"T#{tenant}#O#") if item["pk"].endswith("#COUNTS")]
    for item in forgotten:
        aws.clients.dynamodb.delete_item(TableName=aws.table, Key={"pk": {"S": item["pk"]}, "sk": {"S": item["sk"]}})


def _total(api: Any, **query: Any) -> tuple[int, bool, int]:
    """include_total's answer, and how many Query calls it took (1: the page alone, from the counts)."""
    with counted_dynamodb_calls() as calls:
        body = api.list(include_total="true", limit=1, **query).body
    return body["total"], body["total_exact"], calls.count("Query")


def test_backfill_counts_customers_from_before_counting_and_marks_the_tenant_complete(api, aws, stored):
    from clientele.domain.search import backfill

    old = [
        api.created({"name": f"Old {index}", "organization_id": "org-a" if index % 2 else None}) for index in range(4)
    ]
    api.archive(old[3]["id"])
    run_change_stream(aws)
    _forget_counts(aws, stored, api.tenant)
    # Since counting began: a new customer, and a change of an old one (the stream counts both).
    api.created({"name": "New", "organization_id": "org-a"})
    first = api.get(old[0]["id"])
    api.patch(old[0]["id"], {"status": "inactive"}, first.etag)
    run_change_stream(aws)
    assert _total(api, archived="any")[2] == 4  # not complete: two pages and two counts read

    progress = backfill.run(restart=True, page_size=1000, tenant=api.tenant)

    assert progress.done and progress.counted == 3  # the three old customers the stream hadn't seen
    for query in ({}, {"archived": "any"}, {"status": "inactive"}, {"organization_id": "org-a", "archived": "any"}):
        pages = 2 if query.get("archived") == "any" else 1  # the page alone: the total from the counts
        assert _total(api, **query) == (len(api.walk(**query)), True, pages), query
    # Again: everything counted already, nothing moves.
    assert backfill.run(restart=True, page_size=1000, tenant=api.tenant).counted == 0
    assert _total(api, archived="any") == (5, True, 2)  # the two pages alone


def test_backfill_gives_old_customer_items_their_number_lookup_without_racing_writers(api, aws, stored):
    from clientele.domain.search import backfill
    from clientele.store.customers import items as customer_store

    customers = [api.created({"name": f"Numbered {index}"}) for index in range(3)]
    run_change_stream(aws)
    for customer in customers:  # as if written before the lookup index existed
        aws.clients.dynamodb.update_item(
            TableName=aws.table,
            Key={"pk": {"S": f"T#{api.tenant}#C#{customer['id']}"}, "sk": {"S": "CUSTOMER"}},
            UpdateExpression="REMOVE lookup_key, lookup_sort",
        )
    number = customers[0]["number"]
    assert customer_store.customer_id_for_number(api.tenant, number) is None
    item = next(item for item in stored(f"T#{api.tenant}#C#{customers[1]['id']}") if item["sk"] == "CUSTOMER")
    # A customer changed since it was read is left alone (the next pass finds it again).
    assert customer_store.add_number_lookup(api.tenant, {**item, "version": item["version"] - 1}) is False

    progress = backfill.run(restart=True, page_size=1000, tenant=api.tenant)

    assert progress.lookups == 3
    for customer in customers:
        assert customer_store.customer_id_for_number(api.tenant, customer["number"]) == customer["id"]
        assert api.get(customer["id"]).body["version"] == customer["version"]
    assert backfill.run(restart=True, page_size=1000, tenant=api.tenant).lookups == 0


def test_forced_backfill_rewrites_indexed_customers_once_per_pass_and_resumes(api, aws, stored):
    from clientele.domain.search import backfill

    for index in range(6):
        api.created({"name": f"Refolded {index}"})
    run_change_stream(aws)
    # A word item lost (say, written under an older folding rule) while the marker says indexed.
    lost = next(item for item in stored(f"T#{api.tenant}#S#W#") if item["sk"].startswith("refolded"))
    aws.clients.dynamodb.delete_item(TableName=aws.table, Key={"pk": {"S": lost["pk"]}, "sk": {"S": lost["sk"]}})
    assert backfill.run(restart=True, page_size=1000, tenant=api.tenant).writes == 0
    assert len(api.walk(q="refolded")) == 5

    # A forced pass stopped after a page, resumed (without --force) until done: each customer once.
    runs = [backfill.run(force=True, max_seconds=0, page_size=2, tenant=api.tenant)]
    while not runs[-1].done:
        runs.append(backfill.run(max_seconds=0, page_size=1000, tenant=api.tenant))
    assert len(runs) > 1 and sum(run.indexed for run in runs) == 6 and sum(run.already for run in runs) == 0
    assert len(api.walk(q="refolded")) == 6
    keys = sorted((item["pk"], item["sk"]) for item in stored(f"T#{api.tenant}#S#"))
    # A new forced pass writes the same items again; an ordinary one nothing.
    assert backfill.run(force=True, page_size=1000, tenant=api.tenant).indexed == 6
    assert backfill.run(restart=True, page_size=1000, tenant=api.tenant).writes == 0
    assert sorted((item["pk"], item["sk"]) for item in stored(f"T#{api.tenant}#S#")) == keys
