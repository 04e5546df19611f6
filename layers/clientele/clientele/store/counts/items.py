"""Count items: how many customers a tenant (and each of its organizations) has per bucket.

Layout (README "Counted totals"):

- a tenant's counts: pk `T#{tenant}#COUNTS`, sk `TENANT`: one number attribute per bucket
  (`{LIVE or ARCHIVED}_{status}_{type}`), and `complete` once a backfill pass has counted every
  customer the tenant had before counting began;
- an organization's counts: pk `T#{tenant}#O#{org}#COUNTS`, sk `ORG`: the same buckets for the
  organization's customers (each also counted in the tenant's item);
- a counted marker per customer: pk `T#{tenant}#K#{id}`, sk `COUNTED`: the version counted (`v`),
  its bucket (`b`) and organization (`org`); after a hard delete a tombstone (no bucket, TTL);
- `COUNTS#BACKFILL` / `COMPLETE`: a backfill pass over the whole table has finished, so every
  tenant's counts are complete (tenants created later are counted from their first customer on).

A move from one bucket to another is one transaction: the ADDs on the count items and the marker's
put, conditioned on the marker as it was read, so a redelivered or older record, or a backfill
racing the stream, changes no count twice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from clientele.store.kernel import keys
from clientele.store.kernel.client import batch_get, call, from_item, table_name, to_item
from clientele.store.kernel.errors import StoreUnavailable
from clientele.store.kernel.transactions import Transaction, TransactionCancelled
from clientele.store.search.items import TOMBSTONE_SECONDS

COMPLETE_KEY = {"pk": "COUNTS#BACKFILL", "sk": "COMPLETE"}
# A marker that changed between its read and the transaction: read it again, this many times.
_MOVE_ATTEMPTS = 4


@dataclass(frozen=True)
class Bucket:
    """Where one customer is counted: its shelf, status and type (`name`), and its organization."""

    name: str
    organization_id: str | None


def bucket_name(archived: bool, status: str, customer_type: str) -> str:
    return f"{'ARCHIVED' if archived else 'LIVE'}_{status}_{customer_type}"


def tenant_counts_key(tenant: str) -> dict[str, str]:
    return {"pk": f"T#{tenant}#COUNTS", "sk": "TENANT"}


def organization_counts_key(tenant: str, organization_id: str) -> dict[str, str]:
    return {"pk": f"T#{tenant}#O#{keys.escape(organization_id)}#COUNTS", "sk": "ORG"}


def marker_key(tenant: str, customer_id: str) -> dict[str, str]:
    return {"pk": f"T#{tenant}#K#{customer_id}", "sk": "COUNTED"}


@dataclass(frozen=True)
class Moved:
    changed: bool  # counts were moved (or a tombstone written)
    skipped: bool  # the marker held this version or a later one: nothing written
    calls: int


def _marker(tenant: str, customer_id: str) -> dict[str, Any] | None:
    answer = call("get_item", TableName=table_name(), Key=to_item(marker_key(tenant, customer_id)), ConsistentRead=True)
    item = answer.get("Item")
    return from_item(item) if item else None


def _bucket_of(marker: dict[str, Any] | None) -> Bucket | None:
    if marker is None or "b" not in marker:
        return None  # never counted, or a tombstone
    return Bucket(str(marker["b"]), marker.get("org"))


def _deltas(before: Bucket | None, after: Bucket | None, tenant: str) -> dict[tuple[str, str], dict[str, int]]:
    """The ADDs a move makes, by count item key; opposite ADDs on one attribute cancel out."""
    deltas: dict[tuple[str, str], dict[str, int]] = {}
    for bucket, step in ((before, -1), (after, 1)):
        if bucket is None:
            continue
        targets = [tenant_counts_key(tenant)]
        if bucket.organization_id is not None:
            targets.append(organization_counts_key(tenant, bucket.organization_id))
        for key in targets:
            adds = deltas.setdefault((key["pk"], key["sk"]), {})
            adds[bucket.name] = adds.get(bucket.name, 0) + step
    return {key: {name: step for name, step in adds.items() if step} for key, adds in deltas.items()}


def move(tenant: str, customer_id: str, after: Bucket | None, version: int) -> Moved:
    """Count the customer in `after` (None: removed) for `version`, moving it out of where it was counted.

    Nothing is written when the marker holds `version` or a later one, or when the customer is counted
    in `after` already.
    """
    calls = 0
    for _ in range(_MOVE_ATTEMPTS):
        marker = _marker(tenant, customer_id)
        calls += 1
        if marker is not None and int(marker["v"]) >= version:
            return Moved(changed=False, skipped=True, calls=calls)
        before = _bucket_of(marker)
        if before == after and marker is not None:
            return Moved(changed=False, skipped=False, calls=calls)
        transaction = Transaction()
        for (pk, sk), adds in _deltas(before, after, tenant).items():
            if not adds:
                continue
            names = {f"#b{index}": name for index, name in enumerate(adds)}
            values = {f":d{index}": step for index, step in enumerate(adds.values())}
            update = "ADD " + ", ".join(f"#b{index} :d{index}" for index in range(len(adds)))
            transaction.update({"pk": pk, "sk": sk}, tag="count", update=update, names=names, values=values)
        item: dict[str, Any] = {**marker_key(tenant, customer_id), "v": version}
        if after is None:
            item["expires_at"] = int(time.time()) + TOMBSTONE_SECONDS
        else:
            item["b"] = after.name
            if after.organization_id is not None:
                item["org"] = after.organization_id
        if marker is None:
            transaction.put(item, tag="marker", condition="attribute_not_exists(pk)")
        else:
            transaction.put(item, tag="marker", condition="v = :seen", values={":seen": marker["v"]})
        calls += 1
        try:
            transaction.execute()
        except TransactionCancelled as cancelled:
            failure = cancelled.failure("marker")
            if failure is not None and failure.code == "ConditionalCheckFailed":
                continue  # moved by someone else meanwhile (the backfill, a parallel batch): read again
            raise
        return Moved(changed=True, skipped=False, calls=calls)
    raise StoreUnavailable("a counted marker kept changing")  # the stream retries the record


@dataclass(frozen=True)
class Counts:
    buckets: dict[str, int]  # count per bucket name (absent: 0)
    complete: bool  # every customer of the tenant is counted


def read(tenant: str, organization_id: str | None) -> Counts:
    """The tenant's (or one organization's) counts and whether they are complete: one BatchGetItem."""
    wanted = [tenant_counts_key(tenant), COMPLETE_KEY]
    if organization_id is not None:
        wanted.append(organization_counts_key(tenant, organization_id))
    found = {(item["pk"], item["sk"]): item for item in batch_get(wanted)}
    tenant_item = found.get((wanted[0]["pk"], wanted[0]["sk"])) or {}
    complete = bool(tenant_item.get("complete")) or (COMPLETE_KEY["pk"], COMPLETE_KEY["sk"]) in found
    counted = tenant_item if organization_id is None else found.get((wanted[-1]["pk"], wanted[-1]["sk"])) or {}
    buckets = {name: int(value) for name, value in counted.items() if name not in ("pk", "sk", "complete")}
    return Counts(buckets, complete)


def mark_tenant_complete(tenant: str) -> None:
    """A backfill pass has counted every customer of the tenant: its counts can answer totals."""
    call(
        "update_item",
        TableName=table_name(),
        Key=to_item(tenant_counts_key(tenant)),
        UpdateExpression="SET #complete = :yes",
        ExpressionAttributeNames={"#complete": "complete"},
        ExpressionAttributeValues={":yes": {"BOOL": True}},
    )


def mark_all_complete() -> None:
    """A backfill pass over the whole table has finished: every tenant's counts are complete."""
    call("put_item", TableName=table_name(), Item=to_item({**COMPLETE_KEY, "at": int(time.time())}))
