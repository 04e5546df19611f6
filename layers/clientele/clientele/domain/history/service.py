"""Customer history: entries written from the change stream, and `GET /v1/customers/{id}/history`.

An entry is written once per customer version (the store conditions the put on the entry not
existing, so a redelivered stream record writes nothing). When a customer is hard deleted its
entries get a TTL 30 days ahead: until then the route answers from the entries alone.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from clientele.domain.history.changes import CustomerVersion
from clientele.domain.kernel import cursors, ids
from clientele.domain.kernel.errors import MalformedRequest, NotFound
from clientele.domain.kernel.principal import Principal
from clientele.secrets import cursor_signing_key
from clientele.store.history import items as store
from clientele.store.sku_mappings.items import customer_scope

RETAINED_AFTER_DELETE_SECONDS = 30 * 24 * 60 * 60
ENTRY_FIELDS = ("version", "action", "at", "by", "changes")


class HistoryQuery(BaseModel):
    """The query parameters of GET /v1/customers/{customer_id}/history; others are ignored."""

    model_config = ConfigDict(extra="ignore")

    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: StrictStr | None = None


def record(version: CustomerVersion) -> bool:
    """Write the version's entry unless it exists; True when written."""
    entry = {
        "customer_id": version.customer_id,
        "version": version.version,
        "action": version.action,
        "at": version.at,
        "by": version.by,
        "changes": version.changes,
        # Organization-scoped readers of a deleted customer's history are checked against this.
        "organization_id": version.organization_id,
    }
    written = store.put_once(version.tenant, version.customer_id, entry)
    if version.action == "deleted":
        # Again on every delivery of the removal: entries written after a first attempt get theirs too.
        store.expire(version.tenant, version.customer_id, int(time.time()) + RETAINED_AFTER_DELETE_SECONDS)
    return written


def entry_view(entry: dict[str, Any]) -> dict[str, Any]:
    return {name: entry.get(name) for name in ENTRY_FIELDS}


def list_history(principal: Principal, customer_id: str, query: HistoryQuery) -> dict[str, Any]:
    """One page of the customer's history, newest first (a GetItem for the customer and one Query).

    A customer that is gone is answered from its entries (kept 30 days after a hard delete); one
    that never existed in the tenant, or is out of the caller's organization, is 404.
    """
    not_found = NotFound(f"customer {customer_id!r} not found")
    if not ids.is_customer_id(customer_id):
        raise not_found
    binding = {"tenant": principal.tenant_id, "scope": principal.organization_id or "*", "history": customer_id}
    key = cursor_signing_key()
    before = None
    if query.cursor is not None:
        before = cursors.redeem(query.cursor, binding, key)
        if not isinstance(before, int) or isinstance(before, bool):
            raise MalformedRequest("the cursor is not one this API issued")
    scope = customer_scope(principal.tenant_id, customer_id)
    page = store.page(principal.tenant_id, customer_id, before, query.limit)
    if scope is not None:
        visible = principal.can_see(scope.organization_id)
    else:  # deleted: the newest entry on the page says where the customer was
        visible = bool(page.entries) and principal.can_see(page.entries[0].get("organization_id"))
    if not visible:
        raise not_found
    data = [entry_view(entry) for entry in page.entries]
    return {
        "data": data,
        "has_more": page.has_more,
        "next_cursor": cursors.issue(data[-1]["version"], binding, key) if page.has_more and data else None,
    }
