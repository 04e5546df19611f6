"""The effects of one changed table item, applied at least once from the table's DynamoDB stream.

Every effect is idempotent: a stream record is delivered at least once (retries, bisected batches,
a batch re-sent from its first failed record), so applying a record twice must change nothing more.

Effects today:
- the search index (domain.search.index): a customer version's word and identifier items, written
  once per version (conditioned on the version last indexed), stale ones deleted.
- the per-tenant counts (domain.counts.tally): the customer moved to the bucket of its version,
  conditioned on its counted marker.
- a hard-deleted customer's SKU mappings are purged. They can't go in the delete's own transaction
  (a customer may have thousands), and doing it in the request after the commit could be cut short
  by a crash; the stream delivers the removal until it is processed, and no mapping can be written
  once the customer item is gone (every mapping write checks it), so no orphan can remain.
- history and change events (`record_changes`): a customer version's history entry, written once
  (domain.history), and the events the record stands for (domain.change_events), which the worker
  puts on the bus after the batch's records are applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clientele.domain.change_events.events import ChangeEvent, customer_event, job_finished
from clientele.domain.counts import tally
from clientele.domain.history import service as history
from clientele.domain.history.changes import version_of
from clientele.domain.search import index as search_index
from clientele.domain.sku_mappings import service as sku_mappings
from clientele.observability import count
from clientele.store.jobs.items import job_of
from clientele.store.kernel import keys


def apply(
    event_name: str,
    item_key: Mapping[str, str],
    old_image: Mapping[str, Any] | None,
    new_image: Mapping[str, Any] | None = None,
) -> None:
    """Follow one stream record: `event_name` INSERT/MODIFY/REMOVE, the item's key, its images."""
    customer = keys.customer_of(item_key)
    if customer is None:
        return  # not a customer item: nothing follows it
    tenant, customer_id = customer
    applied = search_index.follow(tenant, customer_id, old_image, new_image if event_name != "REMOVE" else None)
    if applied.writes:
        count("SearchItemsWritten", applied.writes)
    if applied.skipped:
        count("SearchRecordsAlreadyApplied")  # redelivered, or older than what is indexed: nothing written
    if tally.follow(tenant, customer_id, old_image, new_image if event_name != "REMOVE" else None).changed:
        count("CustomerCountsMoved")
    if event_name == "REMOVE" and old_image:
        sku_mappings.purge_deleted_customer(tenant, customer_id, old_image)


def record_changes(
    event_name: str,
    item_key: Mapping[str, str],
    old_image: Mapping[str, Any] | None,
    new_image: Mapping[str, Any] | None = None,
) -> list[ChangeEvent]:
    """Write a customer version's history entry; return the change events the record stands for."""
    customer = keys.customer_of(item_key)
    if customer is not None:
        version = version_of(event_name, *customer, old_image, new_image)
        if version is None:
            return []  # no new version (a counter moved)
        if history.record(version):
            count("HistoryEntriesWritten")
        else:
            count("HistoryRecordsAlreadyApplied")
        return [customer_event(version)]
    job = job_of(item_key)
    finished = job_finished(*job, old_image, new_image) if job is not None and event_name != "REMOVE" else None
    return [finished] if finished is not None else []
