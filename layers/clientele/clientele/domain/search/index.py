"""The search index's effect: a customer version's search items, kept by the change stream (API.md §14).

`follow` is applied to every customer item record of the table's stream (INSERT, MODIFY, REMOVE, with
both images). It writes only what search sees change (a write of other fields costs nothing), once
per version (store.search.items conditions every write on the version last indexed).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clientele.domain.search import terms
from clientele.store.search import items as store
from clientele.store.search.items import Applied, Entries


def entries_of(customer: Mapping[str, Any]) -> Entries:
    return Entries(
        words=terms.customer_words(customer),
        name=terms.folded_name(str(customer.get("name") or "")),
        identifiers=terms.customer_identifiers(customer),
        archived=bool(customer.get("archived")),
        organization_id=customer.get("organization_id") or None,
    )


def _version(image: Mapping[str, Any]) -> int:
    return int(image.get("version") or 0)


def follow(
    tenant: str, customer_id: str, old_image: Mapping[str, Any] | None, new_image: Mapping[str, Any] | None
) -> Applied:
    """Apply one customer item record (images as stream records carry them; None when absent)."""
    old_image = old_image or None
    new_image = new_image or None
    if new_image is not None:
        before = entries_of(old_image) if old_image is not None else None
        return store.apply(tenant, customer_id, before, entries_of(new_image), _version(new_image))
    if old_image is not None:
        # A removal outranks every version the customer had.
        return store.apply(tenant, customer_id, entries_of(old_image), None, _version(old_image) + 1, removed=True)
    return Applied(0, 0, skipped=True)


def index_current(tenant: str, customer: Mapping[str, Any], generation: str | None = None) -> Applied:
    """Write a customer's items from its current item (the backfill): nothing if this version is indexed,
    unless `generation` (a forced pass) has not written it yet."""
    return store.apply(
        tenant, str(customer["id"]), None, entries_of(customer), _version(customer), generation=generation
    )
