"""Customers named by their per-tenant `number` or their `cus_…` id (the vendor 001 routes, COMPAT.md).

A number is resolved through the `lookup` index (one Query), then the customer
is read as usual (strongly consistent, tenant and organization checked), so
by number a read costs one call more than by id. The index is eventually
consistent: a customer created a moment ago may answer 404 by number for a
short while (by id it never does).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from clientele.domain.customers.merge import merge_stored
from clientele.domain.customers.service import CustomerView, check_precondition, load_visible, view_of
from clientele.domain.kernel import ids
from clientele.domain.kernel.errors import NotFound
from clientele.domain.kernel.etags import IfMatch
from clientele.domain.kernel.principal import Principal
from clientele.store.customers import items as store

# Numbers start at 1; anything longer than this can't be one (and is not worth a query).
_NUMBER = re.compile(r"[0-9]{1,18}")


def customer_id_for(principal: Principal, reference: str) -> str:
    """The customer id `reference` names: a `cus_…` id as it is, a number through the lookup index.

    Anything else, and a number no customer of the caller's tenant has, is the canonical 404.
    Visibility (organization scope) is checked when the customer is read.
    """
    if ids.is_customer_id(reference):
        return reference
    customer_id = (
        store.customer_id_for_number(principal.tenant_id, int(reference)) if _NUMBER.fullmatch(reference) else None
    )
    if customer_id is None:
        raise NotFound(f"customer {reference!r} not found")
    return customer_id


def get(principal: Principal, reference: str) -> CustomerView:
    """The customer with its address book, by number (2 DynamoDB calls) or id (1)."""
    stored = load_visible(principal, customer_id_for(principal, reference))
    return view_of(stored.customer, stored.addresses)


def merge(
    principal: Principal,
    reference: str,
    translate: Callable[[dict[str, Any]], dict[str, Any]],
    if_match: IfMatch | None,
    *,
    new_address_defaults: dict[str, Any] | None = None,
    name_from_parts: bool = False,
) -> CustomerView:
    """customer_merge.patch_customer for a body that depends on the customer's current state.

    `translate` gets the current representation (the canonical GET body) and returns the merge
    patch with `address` / `billing_address` objects that plan_merge takes (001 replaces only the
    first email and phone, so it needs the current lists). One read serves both the translation
    and the conditional write. If-Match is honoured when sent, not required.
    """
    stored = load_visible(principal, customer_id_for(principal, reference))
    check_precondition(stored, if_match, required=False)
    body = translate(view_of(stored.customer, stored.addresses).body)
    return merge_stored(
        principal, stored, body, new_address_defaults=new_address_defaults, name_from_parts=name_from_parts
    )
