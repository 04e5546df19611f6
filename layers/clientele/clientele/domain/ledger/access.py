"""Finding ledger records for a caller: by id through their pointer, within the tenant and organization.

A record of another tenant, or of a customer outside an organization-scoped caller's organization,
is answered exactly as a record that does not exist: 404.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from clientele.domain.kernel import cursors, ids
from clientele.domain.kernel.errors import MalformedRequest, NotFound
from clientele.domain.kernel.principal import Principal
from clientele.secrets import cursor_signing_key
from clientele.store.ledger import items as store
from clientele.store.sku_mappings.items import customer_scope

# Optimistic rounds of read, check and conditional write before a busy record gives up (503).
WRITE_ATTEMPTS = 8


def not_found(kind: str, record_id: str) -> NotFound:
    return NotFound(f"{kind} {record_id!r} not found")


def owner(principal: Principal, pattern: re.Pattern[str], kind: str, record_id: str) -> str:
    """The customer holding the record (one GetItem of its pointer); 404 when there is none."""
    if not pattern.fullmatch(record_id):
        raise not_found(kind, record_id)
    customer_id = store.owner_of(principal.tenant_id, record_id)
    if customer_id is None:
        raise not_found(kind, record_id)
    return customer_id


def bundle(
    principal: Principal,
    customer_id: str,
    *,
    orders: Sequence[str] = (),
    credits: Sequence[str] = (),
    allocations: Sequence[str] = (),
    skus: Sequence[str] = (),
    addresses: Sequence[str] = (),
    fulfillments: Sequence[tuple[str, str]] = (),
    customer: bool = False,
) -> store.Bundle:
    """One BatchGetItem of the customer's partition; the customer item is read too when the caller is
    organization-scoped (to check its organization) or when `customer` asks for it."""
    read_customer = customer or principal.organization_scoped
    found = store.read_bundle(
        principal.tenant_id,
        customer_id,
        customer=read_customer,
        orders=orders,
        credits=credits,
        allocations=allocations,
        skus=skus,
        addresses=addresses,
        fulfillments=fulfillments,
    )
    return found


def visible(principal: Principal, found: store.Bundle) -> bool:
    """Whether the bundle's customer (read when the caller is organization-scoped) is the caller's."""
    if not principal.organization_scoped:
        return True
    return found.customer is not None and principal.can_see(found.customer.get("organization_id"))


def check_customer(principal: Principal, customer_id: str) -> None:
    """Lists: the customer exists and is visible to the caller (one GetItem)."""
    if not ids.is_customer_id(customer_id):
        raise not_found("customer", customer_id)
    scope = customer_scope(principal.tenant_id, customer_id)
    if scope is None or not principal.can_see(scope.organization_id):
        raise not_found("customer", customer_id)


def cursor_position(cursor: str | None, binding: dict[str, Any]) -> str | None:
    if cursor is None:
        return None
    position = cursors.redeem(cursor, binding, cursor_signing_key())
    if not isinstance(position, str):
        raise MalformedRequest("the cursor is not one this API issued")
    return position


def next_cursor(position: str | None, binding: dict[str, Any]) -> str | None:
    return cursors.issue(position, binding, cursor_signing_key()) if position is not None else None
