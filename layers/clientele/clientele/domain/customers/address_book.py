"""A customer's address book (API.md §4): list, add with deduplication, patch, delete, defaults.

Every change is one transaction with the customer item, whose version it
bumps (so the customer's ETag changes) and whose guards it moves when the
default billing address or its postal code changes. If-Match is honoured but
not required; without it, a write that loses a race with another write of the
same customer is retried on the fresh state (up to three times) instead of
failing, since the caller asked for no particular version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from clientele.domain.customers.addresses import (
    ADDRESS_READ_ONLY,
    AddressFields,
    address_fingerprint,
    address_view,
    new_address,
)
from clientele.domain.customers.service import CustomerView, check_precondition, commit, load_visible, view_of
from clientele.domain.kernel import clock, ids, merge_patch
from clientele.domain.kernel.errors import AddressInUse, FieldError, NotFound, PreconditionFailed, ValidationFailed
from clientele.domain.kernel.etags import IfMatch
from clientele.domain.kernel.principal import Principal
from clientele.domain.kernel.validation import read_only_errors, validate
from clientele.store.customers import items as store

# A hard delete removes customer, guards and address book in one transaction of at most 100 actions.
MAX_ADDRESSES = 90
_RETRIES_WITHOUT_IF_MATCH = 3


class DefaultAddress(BaseModel):
    """Body of PUT …/default-shipping-address and …/default-billing-address."""

    model_config = ConfigDict(extra="forbid", strict=True)

    address_id: Annotated[str, Field(min_length=1, max_length=64)]


@dataclass(frozen=True)
class AddressResult:
    address: dict[str, Any]
    created: bool = False
    deduplicated: bool = False


def _shown(customer: dict[str, Any], address: dict[str, Any]) -> dict[str, Any]:
    return address_view(
        address, customer.get("default_shipping_address_id"), customer.get("default_billing_address_id")
    )


def _find(stored: store.StoredCustomer, address_id: str) -> dict[str, Any]:
    found = next((address for address in stored.addresses if address["id"] == address_id), None)
    if found is None:
        raise NotFound(f"address {address_id!r} not found for this customer")
    return found


def _validated(data: dict[str, Any]) -> AddressFields:
    errors = read_only_errors(data, ADDRESS_READ_ONLY)
    fields = {name: value for name, value in data.items() if name not in ADDRESS_READ_ONLY}
    return validate(AddressFields, fields, extra_errors=errors)


def _with_retries[R](
    principal: Principal, customer_id: str, if_match: IfMatch | None, write: Callable[[store.StoredCustomer], R]
) -> R:
    """Load the customer, check If-Match, run `write`; retry a lost race when no If-Match pins a version."""
    attempts = 1 if if_match is not None else _RETRIES_WITHOUT_IF_MATCH
    for attempt in range(1, attempts + 1):
        stored = load_visible(principal, customer_id)
        check_precondition(stored, if_match, required=False)
        try:
            return write(stored)
        except PreconditionFailed:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")  # the loop returns or raises


def list_addresses(principal: Principal, customer_id: str) -> list[dict[str, Any]]:
    stored = load_visible(principal, customer_id)
    return [_shown(stored.customer, address) for address in sorted(stored.addresses, key=lambda a: a["id"])]


def add_address(
    principal: Principal, customer_id: str, body: dict[str, Any], if_match: IfMatch | None
) -> AddressResult:
    """201 with the new address, or 200 with the same place already in the book (nothing changed)."""
    fields = _validated(body)

    def write(stored: store.StoredCustomer) -> AddressResult:
        customer = stored.customer
        candidate = fields.model_dump()
        duplicate = next(
            (a for a in stored.addresses if address_fingerprint(a) == address_fingerprint(candidate)), None
        )
        if duplicate is not None:
            return AddressResult(_shown(customer, duplicate), deduplicated=True)
        if len(stored.addresses) >= MAX_ADDRESSES:
            raise ValidationFailed(
                [FieldError("address_book_full", f"a customer has at most {MAX_ADDRESSES} addresses", pointer="")]
            )
        address = new_address(fields, ids.new_id("adr"), customer["id"], clock.now_timestamp())
        after = dict(customer)
        # The first address of a customer becomes its default shipping and billing address.
        for default in ("default_shipping_address_id", "default_billing_address_id"):
            if not after.get(default):
                after[default] = address["id"]
        saved = commit(principal, stored, after, [*stored.addresses, address], address_puts=[address])
        return AddressResult(_shown(saved, address), created=True)

    return _with_retries(principal, customer_id, if_match, write)


def update_address(
    principal: Principal, customer_id: str, address_id: str, patch: dict[str, Any], if_match: IfMatch | None
) -> dict[str, Any]:
    """RFC 7396 merge patch of one address; line1 and country can't be cleared."""

    def write(stored: store.StoredCustomer) -> dict[str, Any]:
        address = _find(stored, address_id)
        current = {name: address.get(name) for name in AddressFields.model_fields if address.get(name) is not None}
        fields = _validated(merge_patch.apply(current, patch))
        changed = {**address, **fields.model_dump(), "updated_at": clock.now_timestamp()}
        addresses = [changed if a["id"] == address_id else a for a in stored.addresses]
        saved = commit(principal, stored, dict(stored.customer), addresses, address_puts=[changed])
        return _shown(saved, changed)

    return _with_retries(principal, customer_id, if_match, write)


def delete_address(principal: Principal, customer_id: str, address_id: str, if_match: IfMatch | None) -> None:
    """A default shipping or billing address can't be deleted until another one is default (409)."""

    def write(stored: store.StoredCustomer) -> None:
        _find(stored, address_id)
        customer = stored.customer
        roles = [
            role
            for role, field in (("shipping", "default_shipping_address_id"), ("billing", "default_billing_address_id"))
            if customer.get(field) == address_id
        ]
        if roles:
            raise AddressInUse(
                f"the address is the customer's default {' and '.join(roles)} address; make another one default first"
            )
        remaining = [a for a in stored.addresses if a["id"] != address_id]
        commit(principal, stored, dict(customer), remaining, address_deletes=[address_id])

    _with_retries(principal, customer_id, if_match, write)


def set_default(
    principal: Principal, customer_id: str, kind: str, body: dict[str, Any], if_match: IfMatch | None
) -> CustomerView:
    """Make one of the customer's addresses its default shipping or billing address (kind)."""
    address_id = validate(DefaultAddress, body).address_id
    field = f"default_{kind}_address_id"

    def write(stored: store.StoredCustomer) -> CustomerView:
        if not ids.ADDRESS_ID.fullmatch(address_id) or address_id not in {a["id"] for a in stored.addresses}:
            raise ValidationFailed(
                [FieldError("unknown_address", "must name an address of this customer", pointer="/address_id")]
            )
        if stored.customer.get(field) == address_id:
            return view_of(stored.customer, stored.addresses)  # already the default: nothing to write
        after = {**stored.customer, field: address_id}
        saved = commit(principal, stored, after, stored.addresses, required_addresses=[address_id])
        return view_of(saved, stored.addresses)

    return _with_retries(principal, customer_id, if_match, write)
