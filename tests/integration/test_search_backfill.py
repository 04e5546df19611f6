"""The search backfill (domain.search.backfill): customers written before search existed get their items."""

from __future__ import annotations

from typing import Any

from tests.harness import run_change_stream


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
