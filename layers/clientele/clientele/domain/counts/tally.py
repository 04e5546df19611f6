"""Counted totals: each customer counted in exactly one bucket, kept by the change stream (API.md §5).

A bucket is (shelf, status, type) within the tenant and, for a customer of an organization, within
that organization too. `follow` is applied to every customer item record of the table's stream and
`count_current` by the backfill; both move the customer to the bucket of that version at most once
(store.counts.items conditions every move on the customer's counted marker). `total` answers a
list's `include_total` from the counts when the tenant's counts are complete and every filter of
the list is one of the counted ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from clientele.store.counts import items as store
from clientele.store.counts.items import Bucket, Moved

STATUSES = ("active", "inactive")
TYPES = ("customer", "broker_3pl")


def bucket_of(customer: Mapping[str, Any]) -> Bucket:
    name = store.bucket_name(
        bool(customer.get("archived")), str(customer.get("status") or "active"), str(customer.get("type") or "customer")
    )
    return Bucket(name, customer.get("organization_id") or None)


def _version(image: Mapping[str, Any]) -> int:
    return int(image.get("version") or 0)


def follow(
    tenant: str, customer_id: str, old_image: Mapping[str, Any] | None, new_image: Mapping[str, Any] | None
) -> Moved:
    """Apply one customer item record (images as stream records carry them; None when absent or removed)."""
    if new_image:
        return store.move(tenant, customer_id, bucket_of(new_image), _version(new_image))
    if old_image:
        # A removal outranks every version the customer had.
        return store.move(tenant, customer_id, None, _version(old_image) + 1)
    return Moved(changed=False, skipped=True, calls=0)


def count_current(tenant: str, customer: Mapping[str, Any]) -> Moved:
    """Count a customer from its current item (the backfill): nothing if this version is counted."""
    return store.move(tenant, str(customer["id"]), bucket_of(customer), _version(customer))


def total(
    tenant: str,
    organization_id: str | None,
    shelves: Iterable[bool],
    status: str | None = None,
    customer_type: str | None = None,
) -> int | None:
    """The number of customers in these buckets (one BatchGetItem), or None while counts are incomplete."""
    counts = store.read(tenant, organization_id)
    if not counts.complete:
        return None
    statuses = STATUSES if status is None else (status,)
    types = TYPES if customer_type is None else (customer_type,)
    return sum(
        counts.buckets.get(store.bucket_name(archived, one_status, one_type), 0)
        for archived in shelves
        for one_status in statuses
        for one_type in types
    )


def mark_tenant_complete(tenant: str) -> None:
    store.mark_tenant_complete(tenant)


def mark_all_complete() -> None:
    store.mark_all_complete()
