"""Search items: what the change stream writes so that `q` is a Query on a small key range.

Layout (README "Search"):

- word items, one per distinct folded word of a customer: pk `T#{tenant}#S#W#{shelf}#{c}` and, for a
  customer of an organization, the same again under `T#{tenant}#O#{org}#S#W#{shelf}#{c}`, where
  `shelf` is LIVE or ARCHIVED and `c` the word's first character; sk `{word}\\0{folded name}\\0{id}`.
  A word prefix is a `BETWEEN` range on one partition per shelf, read in (word, name, id) order.
  The item holds the customer's id, its words (`w`) and the version it was written for (`v`).
- identifier items: pk `T#{tenant}#S#X#{value}` (a code, external id or email case-folded, a phone's
  digits, a number), sk `{rank}#{kind}#{id}`, with the customer's organization and shelf: an exact
  value is one Query of a tiny partition.
- a marker per customer (pk `T#{tenant}#S#M#{id}`, sk `MARKER`; not in the customer's partition, so
  a hard delete leaves that partition empty) holds the version the items were written for: every
  write of them is one transaction conditioned on it, so a redelivered or older stream record writes
  nothing, and a version's items are replaced all at once. A removed customer's marker stays as a
  tombstone (TTL) until no stream record of it can arrive any more.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from clientele.store.kernel import keys
from clientele.store.kernel.client import call, from_item, table_name, to_attribute
from clientele.store.kernel.transactions import MAX_ACTIONS, Transaction, TransactionCancelled

MARKER_SK = "MARKER"
# A removed customer's marker outlives the stream's 24 h retention, so no late record can bring its
# items back, and then expires (table TTL).
TOMBSTONE_SECONDS = 3 * 24 * 3600
# The highest code point: `prefix + TOP` is above every word that starts with `prefix`.
TOP = "\U0010ffff"
_MAX_NAME_IN_KEY = 200
_KIND_RANK = {"code": 1, "external_id": 2, "email": 3, "phone": 4, "number": 5}


@dataclass(frozen=True)
class Entries:
    """What one customer version is found by (computed by domain.search.index)."""

    words: tuple[str, ...]
    name: str  # folded: the second part of a word item's sort key
    identifiers: tuple[tuple[str, str], ...]  # (kind, value)
    archived: bool
    organization_id: str | None


def _shelf(archived: bool) -> str:
    return "ARCHIVED" if archived else "LIVE"


def word_partition(tenant: str, organization_id: str | None, archived: bool, bucket: str) -> str:
    scope = f"T#{tenant}" if organization_id is None else f"T#{tenant}#O#{keys.escape(organization_id)}"
    return f"{scope}#S#W#{_shelf(archived)}#{keys.escape(bucket)}"


def identifier_partition(tenant: str, value: str) -> str:
    return f"T#{tenant}#S#X#{keys.escape(value)}"


def word_sort_key(word: str, name: str, customer_id: str) -> str:
    return keys.sort_value(word, name[:_MAX_NAME_IN_KEY], customer_id)


def marker_key(tenant: str, customer_id: str) -> dict[str, str]:
    return {"pk": f"T#{tenant}#S#M#{customer_id}", "sk": MARKER_SK}


def items_of(tenant: str, customer_id: str, entries: Entries | None) -> dict[tuple[str, str], dict[str, Any]]:
    """The search items of one customer version by (pk, sk), without their version."""
    if entries is None:
        return {}
    found: dict[tuple[str, str], dict[str, Any]] = {}
    scopes: list[str | None] = [None] if entries.organization_id is None else [None, entries.organization_id]
    for word in entries.words:
        for scope in scopes:
            pk = word_partition(tenant, scope, entries.archived, word[0])
            sk = word_sort_key(word, entries.name, customer_id)
            found[(pk, sk)] = {"pk": pk, "sk": sk, "cid": customer_id, "w": list(entries.words)}
    for kind, value in entries.identifiers:
        pk = identifier_partition(tenant, value)
        sk = f"{_KIND_RANK[kind]}#{kind}#{customer_id}"
        item = {"pk": pk, "sk": sk, "cid": customer_id, "archived": entries.archived}
        if entries.organization_id is not None:
            item["org"] = entries.organization_id
        found[(pk, sk)] = item
    return found


@dataclass(frozen=True)
class Applied:
    writes: int  # items put or deleted (the marker included)
    calls: int  # TransactWriteItems and GetItem calls
    skipped: bool  # the marker already held this version or a later one: nothing written


_NOT_LATER = "attribute_not_exists(pk) OR v < :v"
# A forced rewrite (the backfill's --force pass `:g`): also this version, unless this pass wrote it.
_NOT_LATER_OR_FORCED = "attribute_not_exists(pk) OR v < :v OR (v = :v AND (attribute_not_exists(g) OR g <> :g))"
_INDEXED_BEFORE = "attribute_exists(pk) AND v < :v"


def apply(
    tenant: str,
    customer_id: str,
    before: Entries | None,
    after: Entries | None,
    version: int,
    *,
    removed: bool = False,
    generation: str | None = None,
) -> Applied:
    """Move a customer's search items from `before`'s to `after`'s, for `version`, at most once.

    With `before` (a change), only what differs is written, conditioned on the marker holding an
    earlier version. A customer whose items were never written (created before search existed, see the
    backfill) has no marker: then every item of `after` is written. Without `before` (a creation, a
    backfill) every item is written, unless the marker already holds `version` or a later one; with
    `generation` (a forced backfill pass, without `before`) also when it holds `version` but was not
    written by that pass, so a resumed pass writes each customer once.
    """
    old = items_of(tenant, customer_id, before)
    new = items_of(tenant, customer_id, after)
    if before is not None:
        deletes = [key for key in old if key not in new]
        puts = [item for key, item in new.items() if old.get(key) != item]
        if not deletes and not puts:
            return Applied(0, 0, skipped=False)  # nothing search sees changed
        condition = _NOT_LATER if removed else _INDEXED_BEFORE
        try:
            calls = _write(
                tenant, customer_id, puts=puts, deletes=deletes, version=version, condition=condition, removed=removed
            )
            return Applied(len(puts) + len(deletes) + 1, calls, skipped=False)
        except _MarkerRefused as refused:
            calls = refused.calls
        stored = marker_version(tenant, customer_id)
        calls += 1
        if stored is not None:
            return Applied(0, calls, skipped=True)  # this version or a later one is indexed
        # Never indexed: write the whole version (old items can't exist, deleting them is harmless).
    deletes = [key for key in old if key not in new]
    puts = list(new.values())
    condition = _NOT_LATER if generation is None else _NOT_LATER_OR_FORCED
    try:
        calls = _write(
            tenant,
            customer_id,
            puts=puts,
            deletes=deletes,
            version=version,
            condition=condition,
            removed=removed,
            generation=generation,
        )
    except _MarkerRefused:
        return Applied(0, 1, skipped=True)
    return Applied(len(puts) + len(deletes) + 1, calls, skipped=False)


class _MarkerRefused(Exception):
    def __init__(self, calls: int) -> None:
        self.calls = calls


def _write(
    tenant: str,
    customer_id: str,
    *,
    puts: Sequence[dict[str, Any]],
    deletes: Sequence[tuple[str, str]],
    version: int,
    condition: str,
    removed: bool,
    generation: str | None = None,
) -> int:
    """The writes in transactions of at most 100 actions; each checks the marker, the last one sets it."""
    actions: list[tuple[str, Any]] = [("put", item) for item in puts] + [("delete", key) for key in deletes]
    room = MAX_ACTIONS - 1
    chunks = [actions[start : start + room] for start in range(0, len(actions), room)] or [[]]
    marker = marker_key(tenant, customer_id)
    marker_item: dict[str, Any] = {**marker, "v": version}
    if removed:
        marker_item["expires_at"] = int(time.time()) + TOMBSTONE_SECONDS
    values: dict[str, Any] = {":v": version}
    if generation is not None:
        marker_item["g"] = generation
        values[":g"] = generation
    calls = 0
    for index, chunk in enumerate(chunks):
        transaction = Transaction()
        for kind, payload in chunk:
            if kind == "put":
                transaction.put({**payload, "v": version}, tag="item")
            else:
                transaction.delete({"pk": payload[0], "sk": payload[1]}, tag="item")
        if index == len(chunks) - 1:
            transaction.put(marker_item, tag="marker", condition=condition, values=values)
        else:
            transaction.check(marker, tag="marker", condition=condition, values=values)
        calls += 1
        try:
            transaction.execute()
        except TransactionCancelled as cancelled:
            failure = cancelled.failure("marker")
            if failure is not None and failure.code == "ConditionalCheckFailed":
                raise _MarkerRefused(calls) from None
            raise
    return calls


def marker_version(tenant: str, customer_id: str) -> int | None:
    """The version a customer's search items were last written for (None: never)."""
    answer = call(
        "get_item",
        TableName=table_name(),
        Key={name: to_attribute(value) for name, value in marker_key(tenant, customer_id).items()},
        ConsistentRead=True,
    )
    item = answer.get("Item")
    return None if item is None else int(from_item(item)["v"])


def identifier_entries(tenant: str, values: Sequence[str], cap: int) -> tuple[list[dict[str, Any]], int]:
    """The identifier items of these values (at most `cap`), in (rank, kind, id) order; and the calls made."""
    found: list[dict[str, Any]] = []
    calls = 0
    for value in values:
        start: dict[str, Any] | None = None
        while len(found) < cap:
            params: dict[str, Any] = {
                "TableName": table_name(),
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": {":pk": to_attribute(identifier_partition(tenant, value))},
                "Limit": cap - len(found),
            }
            if start is not None:
                params["ExclusiveStartKey"] = start
            page = call("query", **params)
            calls += 1
            found += [from_item(item) for item in page.get("Items", [])]
            start = page.get("LastEvaluatedKey")
            if start is None:
                break
    found.sort(key=lambda item: (item["sk"].split("#", 2)[0], item["sk"].split("#", 2)[1], item["cid"]))
    return found, calls


class _Partition:
    def __init__(self, partition: str, low: str, high: str) -> None:
        self.partition = partition
        self.low = low
        self.high = high
        self.buffer: deque[dict[str, Any]] = deque()
        self.start: dict[str, Any] | None = None
        self.exhausted = False

    def fetch(self, limit: int) -> None:
        params: dict[str, Any] = {
            "TableName": table_name(),
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high",
            "ExpressionAttributeValues": {
                ":pk": to_attribute(self.partition),
                ":low": to_attribute(self.low),
                ":high": to_attribute(self.high),
            },
            "Limit": limit,
        }
        if self.start is not None:
            params["ExclusiveStartKey"] = self.start
        page = call("query", **params)
        self.buffer.extend(from_item(item) for item in page.get("Items", []))
        self.start = page.get("LastEvaluatedKey")
        self.exhausted = self.start is None


class WordReader:
    """Word items whose word starts with `prefix`, after sort key `after`, merged across partitions in sk order.

    Reads with Limit (what the caller says it needs next), so a page reads little more than it lists.
    """

    def __init__(self, partitions: Sequence[str], prefix: str, after: str | None) -> None:
        low = prefix if after is None else after + keys.SORT_SEPARATOR
        self._partitions = [_Partition(partition, low, prefix + TOP) for partition in partitions]
        self.calls = 0
        self.items_read = 0

    def exhausted(self) -> bool:
        return all(partition.exhausted and not partition.buffer for partition in self._partitions)

    def next(self, wanted: int) -> dict[str, Any] | None:
        """The next item in sk order; a partition that needs reading reads about `wanted` items."""
        for partition in self._partitions:
            while not partition.buffer and not partition.exhausted:
                partition.fetch(max(1, wanted))
                self.calls += 1
                self.items_read += len(partition.buffer)
        ready = [partition for partition in self._partitions if partition.buffer]
        if not ready:
            return None
        pick = min(ready, key=lambda partition: str(partition.buffer[0]["sk"]))
        return pick.buffer.popleft()
