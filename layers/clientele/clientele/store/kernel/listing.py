"""Paginated Queries on a list index: one or more partitions merged in sort order, with filters.

Every list is a Query (never a Scan). A page reads until it holds `limit`
matches plus one more (to know whether more exist) or the partitions end,
within at most `max_calls` Query calls. Positions are the exclusive start keys
of each partition, so a page continues exactly after the last item it returned.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from clientele.store.kernel.client import call, from_item, table_name, to_attribute

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

type RawItem = dict[str, AttributeValueTypeDef]

# Query calls one list page may make. A page without filter expressions costs 1 (2 with
# archived=any), as ARCHITECTURE.md §2 budgets. A filter expression reads past non-matches:
# up to 1 MB (about 1,000 customers) per call, so 10 calls keep has_more exact for tenants of
# up to about 10,000 customers per partition even with a very selective filter.
MAX_CALLS_PER_PAGE = 10
# Query calls a count may make: each reads up to 1 MB of the index (roughly 500-1,000 customers).
MAX_COUNT_CALLS = 50

DONE = "done"


@dataclass(frozen=True)
class Condition:
    """An expression with its placeholders (names `#x`, values `:x`), values as Python values."""

    expression: str
    names: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IndexQuery:
    """What to read: partitions of one index, a range of its sort key, and filters on the items."""

    index: str
    partition_attribute: str
    sort_attribute: str
    partitions: tuple[str, ...]
    descending: bool = False
    sort_range: Condition | None = None  # uses the placeholder #sort for the sort attribute
    filter: Condition | None = None


@dataclass
class Page:
    items: list[dict[str, Any]]
    # Per partition: the exclusive start key to continue from, None (from the start), or DONE.
    positions: list[Any]
    has_more: bool
    calls: int


def _query_params(query: IndexQuery, partition: str, start: dict[str, Any] | None, limit: int | None) -> dict[str, Any]:
    names = {"#partition": query.partition_attribute, "#sort": query.sort_attribute}
    values: dict[str, Any] = {":partition": partition}
    key_condition = "#partition = :partition"
    if query.sort_range is not None:
        key_condition += f" AND {query.sort_range.expression}"
        names.update(query.sort_range.names)
        values.update(query.sort_range.values)
    params: dict[str, Any] = {
        "TableName": table_name(),
        "IndexName": query.index,
        "KeyConditionExpression": key_condition,
        "ScanIndexForward": not query.descending,
    }
    if query.filter is not None:
        params["FilterExpression"] = query.filter.expression
        names.update(query.filter.names)
        values.update(query.filter.values)
    # DynamoDB rejects names that no expression uses.
    used = " ".join(filter(None, [key_condition, params.get("FilterExpression")]))
    params["ExpressionAttributeNames"] = {name: value for name, value in names.items() if name in used}
    params["ExpressionAttributeValues"] = {name: to_attribute(value) for name, value in values.items()}
    if start is not None:
        params["ExclusiveStartKey"] = start
    if limit is not None:
        params["Limit"] = limit
    return params


def _start_key(query: IndexQuery, raw_item: RawItem) -> RawItem:
    attributes = ("pk", "sk", query.partition_attribute, query.sort_attribute)
    return {name: raw_item[name] for name in attributes}


class _Partition:
    """One partition's reader: buffered items and where the next Query starts."""

    def __init__(self, query: IndexQuery, partition: str, position: Any) -> None:
        self.query = query
        self.partition = partition
        self.exhausted = position == DONE
        self.next_start = None if self.exhausted else position
        self.buffer: deque[RawItem] = deque()
        # After the last item handed out (or where this page began).
        self.resume_from: Any = position

    def fetch(self, limit: int | None) -> None:
        page = call("query", **_query_params(self.query, self.partition, self.next_start, limit))
        self.buffer.extend(page.get("Items", []))
        self.next_start = page.get("LastEvaluatedKey")
        self.exhausted = self.next_start is None

    def head_sort_value(self) -> str:
        return self.buffer[0][self.query.sort_attribute]["S"]

    def take(self) -> RawItem:
        item = self.buffer.popleft()
        self.resume_from = _start_key(self.query, item)
        return item

    def position_after_page(self) -> Any:
        if self.buffer:
            # Items read but not handed out: read them again from after the last one handed out.
            return self.resume_from
        # Everything read was handed out or filtered away: go on from where reading stopped.
        return DONE if self.exhausted else self.next_start


def read_page(
    query: IndexQuery,
    positions: list[Any],
    limit: int,
    max_calls: int | None = None,
    stop_at: float | None = None,
) -> Page:
    """Up to `limit` items in sort order across the partitions, and whether more exist.

    Reading stops after `max_calls` Query calls, or once the monotonic clock passes `stop_at` and the
    page holds at least one item; a page stopped early says `has_more` and resumes where it stopped.
    """
    max_calls = MAX_CALLS_PER_PAGE if max_calls is None else max_calls
    partitions = [_Partition(query, name, position) for name, position in zip(query.partitions, positions, strict=True)]
    # Without a filter every item read is a match: ask for no more than the page needs.
    fetch_limit = limit + 1 if query.filter is None else None
    calls = 0
    taken: list[RawItem] = []
    probe: _Partition | None = None  # the partition holding the first match beyond the page
    out_of_calls = False
    while True:
        for partition in partitions:
            while not partition.buffer and not partition.exhausted:
                # Out of time stops a page only once it holds something, so every page makes progress.
                if calls >= max_calls or (taken and _past(stop_at)):
                    out_of_calls = True
                    break
                partition.fetch(fetch_limit)
                calls += 1
        if out_of_calls:
            break
        ready = [partition for partition in partitions if partition.buffer]
        if not ready:
            break
        pick = (max if query.descending else min)(ready, key=lambda p: p.head_sort_value())
        if len(taken) == limit:
            probe = pick
            break
        taken.append(pick.take())
    positions_after = [partition.position_after_page() for partition in partitions]
    has_more = probe is not None or (out_of_calls and any(position != DONE for position in positions_after))
    return Page(items=[from_item(item) for item in taken], positions=positions_after, has_more=has_more, calls=calls)


def sort_value_of(query: IndexQuery, item: dict[str, Any]) -> str:
    """An item's value of the query's sort key (where a walk over the index has got to)."""
    value: str = item[query.sort_attribute]  # the sort keys of list indexes are strings
    return value


def _past(stop_at: float | None) -> bool:
    return stop_at is not None and time.monotonic() >= stop_at


@dataclass(frozen=True)
class Count:
    total: int
    exact: bool  # False: reading stopped first, and `total` is a lower bound


def count(query: IndexQuery, max_calls: int | None = None, stop_at: float | None = None) -> Count:
    """How many items match: Select=COUNT page after page (a call per 1 MB read), within a budget.

    Stops before a call that would exceed `max_calls`, or once the monotonic clock passes `stop_at`.
    """
    max_calls = MAX_COUNT_CALLS if max_calls is None else max_calls
    total = calls = 0
    for partition in query.partitions:
        start = None
        while True:
            if calls >= max_calls or _past(stop_at):
                return Count(total, exact=False)
            params = _query_params(query, partition, start, None)
            params["Select"] = "COUNT"
            page = call("query", **params)
            calls += 1
            total += page.get("Count", 0)
            start = page.get("LastEvaluatedKey")
            if start is None:
                break
    return Count(total, exact=True)
