"""`q` pages from the search index (API.md §14): identifier matches first, then name-word matches.

A page reads the identifier partitions of `q`'s values (one Query each, tiny), the word items of its
lead word's prefix (one Query per shelf, with Limit: about what the page needs), and the candidates'
customer items (BatchGetItem, strongly consistent). Every candidate is checked against the customer
as it is now (its words, identifiers, shelf, organization and the list's other filters), so a stale
search item (the stream lags a write by a moment) never lists a customer that no longer matches, and
a customer is listed under exactly one item: the one its current words and name give. The position
(how many identifier matches were listed, and the sort key of the last word item) continues a walk
exactly after the last customer listed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from clientele.domain.search import terms
from clientele.store.customers import items as customer_store
from clientele.store.search import items as store

# Identifier items read per value at most (an email shared by more customers lists the first ones).
IDENTIFIER_CAP = 100
MAX_CALLS_PER_PAGE = 10
MAX_COUNT_CALLS = 50
_BATCH_GET_KEYS = 100
_COUNT_READ = 500

type Accept = Callable[[Mapping[str, Any]], bool]


@dataclass(frozen=True)
class Scope:
    """Where a search looks: the tenant, an organization (scoped callers, the filter) and the shelves."""

    tenant: str
    organization_id: str | None
    shelves: tuple[bool, ...]  # archived values listed

    def holds(self, customer: Mapping[str, Any]) -> bool:
        if bool(customer.get("archived")) not in self.shelves:
            return False
        return self.organization_id is None or customer.get("organization_id") == self.organization_id


@dataclass
class Page:
    items: list[dict[str, Any]]
    has_more: bool
    position: dict[str, Any] | None  # where the next page starts (None when has_more is false)
    calls: int = 0
    search_items_read: int = 0
    customers_read: int = 0


@dataclass
class _Walk:
    scope: Scope
    query: terms.Query
    accept: Accept
    calls: int = 0
    items_read: int = 0
    customers_read: int = 0
    reader: store.WordReader | None = None
    excluded: set[str] = field(default_factory=set)
    last_examined: str | None = None

    def load(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        self.calls += -(-len(ids) // _BATCH_GET_KEYS)
        found = customer_store.load_many(self.scope.tenant, ids)
        self.customers_read += len(found)
        return found

    def identifier_candidates(self) -> list[str]:
        if not self.query.identifiers:
            return []
        entries, calls = store.identifier_entries(self.scope.tenant, self.query.identifiers, IDENTIFIER_CAP)
        self.calls += calls
        self.items_read += len(entries)
        ids: dict[str, None] = {}
        for entry in entries:
            archived_ok = bool(entry.get("archived")) in self.scope.shelves
            org_ok = self.scope.organization_id is None or entry.get("org") == self.scope.organization_id
            if archived_ok and org_ok:
                ids.setdefault(str(entry["cid"]))
        return list(ids)

    def identifier_match(self, customer: Mapping[str, Any] | None) -> bool:
        return (
            customer is not None
            and self.scope.holds(customer)
            and terms.identifier_matches(self.query.identifiers, customer)
            and self.accept(customer)
        )

    def open_words(self, after: str | None) -> None:
        lead = self.query.lead
        if lead is None:
            return
        partitions = [
            store.word_partition(self.scope.tenant, self.scope.organization_id, archived, lead[0])
            for archived in self.scope.shelves
        ]
        self.reader = store.WordReader(partitions, lead, after)

    def word_candidates(
        self, wanted: int, max_calls: int, stop_at: float | None, holding: int = 0
    ) -> list[dict[str, Any]]:
        """The next word items (up to `wanted`) whose words, as indexed, match and list the customer here.

        Time (`stop_at`) stops reading only once the page holds something (`holding` matches already,
        or a candidate found here), so every page makes progress, as list pages do.
        """
        found: list[dict[str, Any]] = []
        reader = self.reader
        if reader is None:
            return found
        while len(found) < wanted:
            out_of_time = stop_at is not None and time.monotonic() >= stop_at and (holding or found)
            if self.calls + reader.calls >= max_calls or out_of_time:
                break
            entry = reader.next(wanted - len(found) + 1)
            if entry is None:
                break
            self.last_examined = str(entry["sk"])
            indexed_words = [str(word) for word in entry.get("w") or ()]
            representative = self.query.representative(indexed_words)
            if representative is None or not self.query.matches_words(indexed_words):
                continue
            if not self.last_examined.startswith(representative + "\x00"):
                continue  # the customer is listed under another of its words
            if str(entry["cid"]) in self.excluded:
                continue  # listed with the identifier matches
            found.append(entry)
        return found

    def word_match(self, entry: Mapping[str, Any], customer: Mapping[str, Any] | None) -> bool:
        if customer is None or not self.scope.holds(customer) or str(customer["id"]) in self.excluded:
            return False
        words = terms.customer_words(customer)
        representative = self.query.representative(words)
        if representative is None or not self.query.matches_words(words):
            return False
        name = terms.folded_name(str(customer.get("name") or ""))
        if store.word_sort_key(representative, name, str(customer["id"])) != entry["sk"]:
            return False  # a stale item: the customer's current item is elsewhere in the order
        return self.accept(customer)

    def exhausted(self) -> bool:
        return self.reader is None or self.reader.exhausted()

    def total_calls(self) -> int:
        return self.calls + (self.reader.calls if self.reader else 0)

    def total_items(self) -> int:
        return self.items_read + (self.reader.items_read if self.reader else 0)


def page(
    scope: Scope,
    query: terms.Query,
    position: Mapping[str, Any] | None,
    limit: int,
    accept: Accept,
    *,
    max_calls: int = MAX_CALLS_PER_PAGE,
    stop_at: float | None = None,
) -> Page:
    """A page of `limit` matches from `position` (None: the first page), and where the next one starts."""
    offset = int((position or {}).get("i", 0))
    walk = _Walk(scope, query, accept)
    identifier_ids = walk.identifier_candidates()
    needed = limit + 1
    walk.open_words((position or {}).get("w"))
    # The first word items are read before the candidates' customers, so one BatchGetItem serves both.
    pending_identifiers = max(0, len(identifier_ids) - offset)
    first_words = walk.word_candidates(max(0, needed - pending_identifiers), max_calls, stop_at, pending_identifiers)
    customers = walk.load([*identifier_ids, *(str(entry["cid"]) for entry in first_words)])
    identifier_matches = [customers[i] for i in identifier_ids if walk.identifier_match(customers.get(i))]
    walk.excluded = {str(customer["id"]) for customer in identifier_matches}
    listed: list[tuple[dict[str, Any], str | None]] = [(customer, None) for customer in identifier_matches[offset:]]
    batch = first_words
    while True:
        listed += [
            (customers[str(e["cid"])], str(e["sk"])) for e in batch if walk.word_match(e, customers.get(str(e["cid"])))
        ]
        if len(listed) >= needed or walk.exhausted():
            break
        if walk.total_calls() >= max_calls or (stop_at is not None and time.monotonic() >= stop_at and listed):
            break
        batch = walk.word_candidates(needed - len(listed), max_calls - 1, stop_at, len(listed))
        if not batch:
            break  # the words ran out, or the budget did
        customers = walk.load([str(entry["cid"]) for entry in batch])
    shown = listed[:limit]
    has_more = len(listed) > limit or not walk.exhausted()
    next_position: dict[str, Any] | None = None
    if has_more:
        identifiers_shown = sum(1 for _customer, sort_key in shown if sort_key is None)
        if len(listed) > limit:
            last_sort_key = shown[-1][1] if shown else None
            if last_sort_key is None:
                next_position = {"i": offset + identifiers_shown, "w": None}
            else:
                next_position = {"i": len(identifier_matches), "w": last_sort_key}
        else:
            # Stopped by the budget: go on after the last word item examined.
            next_position = {"i": len(identifier_matches), "w": walk.last_examined or (position or {}).get("w")}
    return Page(
        items=[customer for customer, _sort_key in shown],
        has_more=has_more,
        position=next_position,
        calls=walk.total_calls(),
        search_items_read=walk.total_items(),
        customers_read=walk.customers_read,
    )


@dataclass(frozen=True)
class Count:
    total: int
    exact: bool
    first: list[dict[str, Any]] = field(default_factory=list)  # the first `keep` matches, in order


def count(
    scope: Scope,
    query: terms.Query,
    accept: Accept,
    *,
    keep: int = 0,
    max_calls: int = MAX_COUNT_CALLS,
    stop_at: float | None = None,
) -> Count:
    """How many customers match, each checked as a page checks it, within a budget (else a lower bound).

    The first `keep` matches come back too, in page order (numbered pages take theirs from the count).
    """
    walk = _Walk(scope, query, accept)
    identifier_ids = walk.identifier_candidates()
    found = walk.load(identifier_ids)
    first = [found[i] for i in identifier_ids if walk.identifier_match(found.get(i))]
    total = len(first)
    walk.excluded = {str(customer["id"]) for customer in first}
    del first[keep:]
    walk.open_words(None)
    while not walk.exhausted():
        if walk.total_calls() >= max_calls - 1 or (stop_at is not None and time.monotonic() >= stop_at):
            return Count(total, exact=False, first=first)
        batch = walk.word_candidates(_COUNT_READ, max_calls - 1, stop_at)
        customers = walk.load([str(entry["cid"]) for entry in batch])
        for entry in batch:
            customer = customers.get(str(entry["cid"]))
            if walk.word_match(entry, customer):
                total += 1
                if customer is not None and len(first) < keep:
                    first.append(customer)
    return Count(total, exact=True, first=first)
