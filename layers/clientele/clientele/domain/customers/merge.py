"""A merge patch of a customer together with its default addresses.

Used by imports (API.md §6, `on_conflict=update`: a row's non-empty cells) and
by the vendor routes whose bodies carry address fields (002's BillingAddress,
001's address keys). The patch merges into the writable fields (RFC 7396:
null clears); `address` / `billing_address` merge into the customer's default
shipping / billing address, and without one make a new address that becomes
that default. The result goes through the same models, guards and
conditional write as PATCH.
"""

from __future__ import annotations

from typing import Any

from clientele.domain.customers.address_book import MAX_ADDRESSES
from clientele.domain.customers.addresses import AddressFields, new_address
from clientele.domain.customers.fields import WRITABLE_FIELDS, CustomerFields, PasswordField
from clientele.domain.customers.passwords import hash_password
from clientele.domain.customers.service import (
    CustomerView,
    apply_change,
    check_precondition,
    full_name,
    load_visible,
    prepare_change,
    view_of,
)
from clientele.domain.kernel import clock, ids, merge_patch
from clientele.domain.kernel.errors import FieldError, PreconditionRequired, ValidationFailed
from clientele.domain.kernel.etags import IfMatch
from clientele.domain.kernel.principal import Principal
from clientele.domain.kernel.validation import validate
from clientele.store.customers import items as store

_ROLES = (("address", "default_shipping_address_id"), ("billing_address", "default_billing_address_id"))


def _merged_addresses(
    stored: store.StoredCustomer,
    body: dict[str, Any],
    after: dict[str, Any],
    errors: list[FieldError],
    new_address_defaults: dict[str, Any],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(the address book after the merge, the address items to write)."""
    book = {address["id"]: address for address in stored.addresses}
    puts: dict[str, dict[str, Any]] = {}
    now = clock.now_timestamp()
    shared = after.get("default_shipping_address_id") == after.get("default_billing_address_id")
    for name, default_field in _ROLES:
        cells = body.get(name)
        if not cells:
            continue
        current_id = after.get(default_field)
        current = book.get(current_id) if current_id else None
        current_fields = {key: current.get(key) for key in AddressFields.model_fields} if current else {}
        # One address that is both defaults, with both kinds of cells: billing splits off as its own,
        # unless its cells leave that address as it is.
        split = (
            name == "billing_address"
            and shared
            and bool(body.get("address"))
            and not (current_id not in puts and _leaves_as_is(current_fields, cells))
        )
        base = current_fields if current and not split else dict(new_address_defaults)
        merged = merge_patch.apply({key: value for key, value in base.items() if value is not None}, cells)
        try:
            fields = validate(AddressFields, merged, at=(name,))
        except ValidationFailed as failed:
            errors.extend(failed.errors)
            continue
        if current is not None and not split and fields.model_dump() == current_fields:
            continue  # the cells say what the address already says
        if current is not None and not split:
            address = {**current, **fields.model_dump(), "updated_at": now}
        else:
            if len(book) >= MAX_ADDRESSES:
                message = f"a customer has at most {MAX_ADDRESSES} addresses"
                errors.append(FieldError("address_book_full", message, pointer=f"/{name}"))
                continue
            address = new_address(fields, ids.new_id("adr"), stored.customer["id"], now)
            after[default_field] = address["id"]
            if name == "address" and not after.get("default_billing_address_id"):
                after["default_billing_address_id"] = address["id"]
        if address != book.get(address["id"]):
            book[address["id"]] = address
            puts[address["id"]] = address
    return list(book.values()), list(puts.values())


def _leaves_as_is(current_fields: dict[str, Any], cells: dict[str, Any]) -> bool:
    """Whether merging `cells` into an address with these fields changes none of them."""
    if not current_fields:
        return False
    merged = merge_patch.apply({key: value for key, value in current_fields.items() if value is not None}, cells)
    try:
        return validate(AddressFields, merged).model_dump() == current_fields
    except ValidationFailed:
        return False  # the split path validates the cells again and reports what is wrong


def _renamed(data: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """The patch with `name` "first last" of the merged names, when it changes either of them."""
    first = data.get("first_name", before.get("first_name"))
    last = data.get("last_name", before.get("last_name"))
    if (first, last) == (before.get("first_name"), before.get("last_name")):
        return data
    name = full_name(first, last)
    return {**data, "name": name} if name else data


def plan_merge(
    principal: Principal,
    stored: store.StoredCustomer,
    body: dict[str, Any],
    new_address_defaults: dict[str, Any] | None = None,
    *,
    name_from_parts: bool = False,
) -> tuple[store.CustomerChange, dict[str, Any]] | None:
    """The change that merges `body` (a merge patch with `address` / `billing_address` objects) into
    the stored customer, or None when it changes nothing.

    `name_from_parts` (vendors 000 and 001): a patch that changes first_name or last_name renames
    the customer "first last".

    Raises ValidationFailed when the merged customer breaks a field rule.
    """
    before = stored.customer
    data = {key: value for key, value in body.items() if key not in {"address", "billing_address"}}
    if name_from_parts:
        data = _renamed(data, before)
    if principal.organization_scoped:
        data.pop("organization_id", None)
    errors: list[FieldError] = []
    password_changes = "password" in data
    password = data.pop("password", None)
    password_hash = None
    if password is not None:
        try:
            checked = validate(PasswordField, {"password": password}).password
            password_hash = hash_password(checked) if checked is not None else None
        except ValidationFailed as failed:
            errors.extend(failed.errors)
    current = {name: before[name] for name in WRITABLE_FIELDS if name in before}
    after = {**before}
    try:
        after.update(validate(CustomerFields, merge_patch.apply(current, data)).model_dump())
    except ValidationFailed as failed:
        errors.extend(failed.errors)
    book, puts = _merged_addresses(stored, body, after, errors, new_address_defaults or {})
    if errors:
        raise ValidationFailed(errors)
    if password_changes:
        after["password_hash"] = password_hash
    unchanged = all(after.get(name) == before.get(name) for name in WRITABLE_FIELDS)
    if unchanged and not puts and after.get("password_hash") == before.get("password_hash"):
        return None
    return prepare_change(principal, before, after, book, address_puts=puts)


def patch_customer(
    principal: Principal,
    customer_id: str,
    body: dict[str, Any],
    if_match: IfMatch | None,
    *,
    if_match_required: bool,
    new_address_defaults: dict[str, Any] | None = None,
    name_from_parts: bool = False,
) -> CustomerView:
    """PATCH with addresses: merge `body` into the customer (and its default addresses), conditionally.

    One Query and one write (ARCHITECTURE.md §2). See plan_merge for the options.
    """
    stored = load_visible(principal, customer_id)
    if if_match_required and if_match is None:
        raise PreconditionRequired("this write needs an If-Match header with the customer's ETag")
    check_precondition(stored, if_match, required=False)
    return merge_stored(
        principal, stored, body, new_address_defaults=new_address_defaults, name_from_parts=name_from_parts
    )


def merge_stored(
    principal: Principal,
    stored: store.StoredCustomer,
    body: dict[str, Any],
    *,
    new_address_defaults: dict[str, Any] | None = None,
    name_from_parts: bool = False,
) -> CustomerView:
    """Merge `body` into a customer already read (and its precondition checked): one conditional write,
    none when nothing changes."""
    planned = plan_merge(principal, stored, body, new_address_defaults, name_from_parts=name_from_parts)
    if planned is None:
        return view_of(stored.customer, stored.addresses)
    change, saved = planned
    apply_change(principal, change, saved)
    addresses = {address["id"]: address for address in stored.addresses}
    addresses.update({put.attributes["id"]: put.attributes for put in change.address_puts})
    return view_of(saved, list(addresses.values()))
