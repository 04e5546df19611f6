"""Customer use cases: create, read, patch, replace, delete, archive, unarchive.

Every write is conditional: creates put guard items for the unique values in
the same transaction, updates are conditioned on the version the caller's
If-Match named, and a lost condition becomes the matching API error.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from clientele.config import get_settings
from clientele.domain.customers.addresses import ADDRESS_READ_ONLY, address_fingerprint, new_address
from clientele.domain.customers.fields import (
    DEFAULT_ADDRESS_FIELDS,
    READ_ONLY_FIELDS,
    WRITABLE_FIELDS,
    CustomerCreation,
    CustomerFields,
    PasswordField,
    customer_view,
)
from clientele.domain.customers.links import link_counts
from clientele.domain.customers.normalize import code_key, name_key, postal_key
from clientele.domain.customers.passwords import hash_password
from clientele.domain.kernel import clock, ids, merge_patch
from clientele.domain.kernel.errors import (
    Conflict,
    FieldError,
    LinkedRecords,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
)
from clientele.domain.kernel.etags import IfMatch, etag_for
from clientele.domain.kernel.principal import Principal
from clientele.domain.kernel.validation import pointer, read_only_errors, validate
from clientele.observability import count
from clientele.store.customers import items as store
from clientele.store.kernel.errors import ConditionNotMet, ItemChanged, LinkedRecordsExist, UniqueValueTaken
from clientele.store.kernel.transactions import Transaction, TransactionCancelled

# Uniqueness rules in the order a conflict is reported when several are broken at once.
UNIQUE_FIELDS = ("code", "external_id", "name_postal_code")
_CONFLICT_DETAIL = {
    "code": "code {value!r} is already used by another customer",
    "external_id": "external_id {value!r} is already used by another customer",
    "name_postal_code": "a customer with this name and billing postal code already exists",
}
_KEEP = object()  # PUT without a password keeps the stored hash


@dataclass(frozen=True)
class CustomerView:
    """A customer as answered by the API; `etag` is also the ETag header."""

    body: dict[str, Any]

    @property
    def etag(self) -> str:
        etag: str = self.body["etag"]
        return etag

    @property
    def id(self) -> str:
        customer_id: str = self.body["id"]
        return customer_id


# ---------------------------------------------------------------- rules


def _guards(customer: dict[str, Any], addresses: Iterable[dict[str, Any]]) -> list[store.Guard]:
    """The unique values a customer holds (API.md §2, Uniqueness)."""
    guards = []
    if customer.get("code"):
        guards.append(store.Guard("code", (customer.get("organization_id") or "", code_key(customer["code"]))))
    if customer.get("external_id"):
        guards.append(store.Guard("external_id", (customer["external_id"],)))
    billing_id = customer.get("default_billing_address_id")
    billing = next((address for address in addresses if address["id"] == billing_id), None)
    if billing is not None and billing.get("postal_code"):
        guards.append(store.Guard("name_postal_code", (name_key(customer["name"]), postal_key(billing["postal_code"]))))
    return guards


def _unique_values(guards: Iterable[store.Guard]) -> dict[str, list[str]]:
    """What the customer item records of the guards it holds (so deletes release exactly those)."""
    return {guard.field: list(guard.parts) for guard in guards}


def held_guards(customer: dict[str, Any]) -> list[store.Guard]:
    return [store.Guard(field, tuple(parts)) for field, parts in (customer.get("unique_values") or {}).items()]


def _indexes(customer: dict[str, Any], addresses: Iterable[dict[str, Any]] | None) -> store.CustomerIndexes:
    """Index values; without the address book (None) its postal codes carry over from the item."""
    postal_keys = (
        tuple(sorted({postal_key(a["postal_code"]) for a in addresses if a.get("postal_code")}))
        if addresses is not None
        else tuple(customer.get("postal_keys") or ())
    )
    return store.CustomerIndexes(
        name_key=name_key(customer["name"]),
        code_key=code_key(customer["code"]) if customer.get("code") else None,
        organization_id=customer.get("organization_id"),
        created_at=customer["created_at"],
        updated_at=customer["updated_at"],
        archived=bool(customer.get("archived")),
        email_keys=tuple(sorted({email.casefold() for email in customer.get("emails") or ()})),
        postal_keys=postal_keys,
    )


def conflict_for(taken: UniqueValueTaken, customer: dict[str, Any]) -> Conflict:
    detail = _CONFLICT_DETAIL[taken.field].format(value=customer.get(taken.field))
    return Conflict(field=taken.field, existing_id=taken.holder_id, detail=detail)


def view_of(customer: dict[str, Any], addresses: list[dict[str, Any]]) -> CustomerView:
    return CustomerView(customer_view(customer, addresses, get_settings().default_currency))


def full_name(first: Any, last: Any) -> str | None:
    """ "first last" of the non-blank parts; None when there are none (or a part isn't a string,
    which the model then refuses)."""
    parts = (first, last)
    if not all(part is None or isinstance(part, str) for part in parts):
        return None
    return " ".join(part.strip() for part in parts if part and part.strip()) or None


def _derive_name(data: dict[str, Any]) -> None:
    """On create, a missing name is "first last" when either is given."""
    if "name" in data:
        return
    joined = full_name(data.get("first_name"), data.get("last_name"))
    if joined:
        data["name"] = joined


def _nested_read_only(data: dict[str, Any], name: str) -> list[FieldError]:
    nested = data.get(name)
    if not isinstance(nested, dict):
        return []
    errors = [
        FieldError(code="read_only", message="is read-only", pointer=pointer([name, key]))
        for key in ADDRESS_READ_ONLY
        if key in nested
    ]
    data[name] = {key: value for key, value in nested.items() if key not in ADDRESS_READ_ONLY}
    return errors


def _pop_read_only(data: dict[str, Any], names: Iterable[str], message: str = "is read-only") -> list[FieldError]:
    names = [name for name in names if name in data]
    errors = read_only_errors(data, names, message)
    for name in names:
        del data[name]
    return errors


def _password_change(data: dict[str, Any], errors: list[FieldError]) -> Any:
    """The new password hash, None to clear it, or _KEEP when the body has no password key."""
    if "password" not in data:
        return _KEEP
    value = data.pop("password")
    try:
        checked = validate(PasswordField, {"password": value})
    except ValidationFailed as failed:
        errors.extend(failed.errors)
        return _KEEP
    return hash_password(checked.password) if checked.password is not None else None


def load_visible(principal: Principal, customer_id: str) -> store.StoredCustomer:
    if not ids.is_customer_id(customer_id):
        raise NotFound(f"customer {customer_id!r} not found")
    stored = store.load(principal.tenant_id, customer_id)
    if stored is None or not principal.can_see(stored.customer.get("organization_id")):
        raise NotFound(f"customer {customer_id!r} not found")
    return stored


def check_precondition(stored: store.StoredCustomer, if_match: IfMatch | None, *, required: bool) -> None:
    if if_match is None:
        if required:
            raise PreconditionRequired("this write needs an If-Match header with the customer's ETag")
        return
    if not if_match.matches(etag_for(stored.customer["id"], stored.customer["version"])):
        raise PreconditionFailed("If-Match does not match the customer's current ETag")


def _changed_elsewhere(changed: ItemChanged, customer_id: str) -> Exception:
    if changed.current is None:
        return NotFound(f"customer {customer_id!r} not found")
    return PreconditionFailed("the customer changed since it was read; fetch it again and retry")


# ---------------------------------------------------------------- use cases


@dataclass(frozen=True)
class NewCustomer:
    """A validated customer about to be created: its item (still without a number), addresses and guards."""

    customer: dict[str, Any]
    address_items: list[dict[str, Any]]
    guards: list[store.Guard]

    def numbered(self, number: int) -> dict[str, Any]:
        return {**self.customer, "number": number}

    def unit(self, tenant: str, number: int) -> Transaction:
        """The store actions that create it (one transaction unit)."""
        return store.insert_unit(
            tenant, self.numbered(number), _indexes(self.customer, self.address_items), self.guards, self._addresses()
        )

    def _addresses(self) -> list[store.NewAddress]:
        return [
            store.NewAddress(item, postal_key(item["postal_code"]) if item.get("postal_code") else None)
            for item in self.address_items
        ]


def plan_creation(principal: Principal, body: dict[str, Any], also_required: Iterable[str] = ()) -> NewCustomer:
    """Validate a create body (POST /v1/customers, or an import row) into the customer it creates.

    `also_required`: fields a vendor route requires that the canonical API defaults (e.g. 002's Type).
    """
    data = dict(body)
    errors = [
        FieldError("required", "is required", pointer=pointer([name])) for name in also_required if name not in data
    ]
    errors += _pop_read_only(data, READ_ONLY_FIELDS)
    errors += _pop_read_only(data, DEFAULT_ADDRESS_FIELDS, "can only be set on PATCH or PUT")
    errors += _nested_read_only(data, "address") + _nested_read_only(data, "billing_address")
    if principal.organization_scoped:
        data["organization_id"] = principal.organization_id
    _derive_name(data)
    fields = validate(CustomerCreation, data, extra_errors=errors)

    now = clock.now()
    timestamp = clock.timestamp(now)
    customer_id = ids.new_id("cus", int(now.timestamp() * 1000))
    addresses = _first_addresses(fields, customer_id, timestamp)
    shipping = next((a for a in addresses if a["role"] in {"shipping", "both"}), None)
    billing = next((a for a in addresses if a["role"] in {"billing", "both"}), None)
    address_items = [{k: v for k, v in a.items() if k != "role"} for a in addresses]

    customer = {
        "id": customer_id,
        "tenant_id": principal.tenant_id,
        **fields.model_dump(exclude={"password", "address", "billing_address", *DEFAULT_ADDRESS_FIELDS}),
        "default_shipping_address_id": shipping["id"] if shipping else None,
        "default_billing_address_id": billing["id"] if billing else None,
        "archived": False,
        "archived_at": None,
        "password_hash": hash_password(fields.password) if fields.password is not None else None,
        "version": 1,
        "created_at": timestamp,
        "updated_at": timestamp,
        "created_by": principal.subject,
        "updated_by": principal.subject,
    }
    guards = _guards(customer, address_items)
    customer["unique_values"] = _unique_values(guards)
    customer["address_ids"] = sorted(item["id"] for item in address_items)
    return NewCustomer(customer, address_items, guards)


def create(principal: Principal, body: dict[str, Any], also_required: Iterable[str] = ()) -> CustomerView:
    new = plan_creation(principal, body, also_required)
    number = store.next_customer_number(principal.tenant_id)
    try:
        new.unit(principal.tenant_id, number).execute()
    except TransactionCancelled as cancelled:
        error = store.creation_error(cancelled, new.guards)
        if isinstance(error, UniqueValueTaken):
            count("UniqueConflicts")
            raise conflict_for(error, new.customer) from None
        raise error from None
    count("CustomersCreated")
    return view_of(new.numbered(number), new.address_items)


def _first_addresses(fields: CustomerCreation, customer_id: str, now: str) -> list[dict[str, Any]]:
    """`address` is the default shipping address and, unless `billing_address` is given, billing too.

    The same place given twice becomes one entry that is both defaults.
    """
    if fields.address is None and fields.billing_address is None:
        return []
    entries = []
    if fields.address is not None:
        entries.append({**new_address(fields.address, ids.new_id("adr"), customer_id, now), "role": "shipping"})
    if fields.billing_address is not None:
        billing = new_address(fields.billing_address, ids.new_id("adr"), customer_id, now)
        if entries and address_fingerprint(entries[0]) == address_fingerprint(billing):
            entries[0]["role"] = "both"
        else:
            entries.append({**billing, "role": "billing"})
    elif entries:
        entries[0]["role"] = "both"
    return entries


def get(principal: Principal, customer_id: str) -> CustomerView:
    stored = load_visible(principal, customer_id)
    return view_of(stored.customer, stored.addresses)


def _begin_write(
    principal: Principal, customer_id: str, body: dict[str, Any], if_match: IfMatch | None, verb: str
) -> tuple[store.StoredCustomer, dict[str, Any], list[FieldError], Any]:
    """What PATCH and PUT share: the precondition, read-only fields and the write-only password."""
    if if_match is None:
        raise PreconditionRequired(f"{verb} needs an If-Match header with the customer's ETag")
    stored = load_visible(principal, customer_id)
    check_precondition(stored, if_match, required=True)
    data = dict(body)
    errors = _pop_read_only(data, READ_ONLY_FIELDS)
    password = _password_change(data, errors)
    return stored, data, errors, password


def update(principal: Principal, customer_id: str, patch: dict[str, Any], if_match: IfMatch | None) -> CustomerView:
    """RFC 7396 merge patch of the writable fields."""
    stored, data, errors, password = _begin_write(principal, customer_id, patch, if_match, "PATCH")
    if principal.organization_scoped:
        data.pop("organization_id", None)  # organization-scoped callers can't move customers
    current = {name: stored.customer[name] for name in WRITABLE_FIELDS if name in stored.customer}
    fields = validate(CustomerFields, merge_patch.apply(current, data), extra_errors=errors)
    return _save(principal, stored, fields, password)


def replace(principal: Principal, customer_id: str, body: dict[str, Any], if_match: IfMatch | None) -> CustomerView:
    """PUT: every writable field replaced; omitted optional ones reset to their defaults.

    The password is write-only, so no representation carries it: a PUT without
    `password` keeps it, `"password": null` clears it.
    """
    stored, data, errors, password = _begin_write(principal, customer_id, body, if_match, "PUT")
    if principal.organization_scoped:
        data["organization_id"] = principal.organization_id
    fields = validate(CustomerFields, data, extra_errors=errors)
    return _save(principal, stored, fields, password)


def _check_default_addresses(fields: CustomerFields, addresses: list[dict[str, Any]]) -> None:
    known = {address["id"] for address in addresses}
    errors = [
        FieldError(code="unknown_address", message="must name an address of this customer", pointer=f"/{name}")
        for name in DEFAULT_ADDRESS_FIELDS
        if getattr(fields, name) is not None and getattr(fields, name) not in known
    ]
    if errors:
        raise ValidationFailed(errors)


def _save(principal: Principal, stored: store.StoredCustomer, fields: CustomerFields, password: Any) -> CustomerView:
    _check_default_addresses(fields, stored.addresses)
    before = stored.customer
    after = {**before, **fields.model_dump()}
    if password is not _KEEP:
        after["password_hash"] = password
    changed_defaults = [
        after[name] for name in DEFAULT_ADDRESS_FIELDS if after.get(name) and after[name] != before.get(name)
    ]
    customer = commit(principal, stored, after, stored.addresses, required_addresses=changed_defaults)
    return view_of(customer, stored.addresses)


# What a customer write may change: everything but its id, number, tenant and creation.
_MANAGED = (
    *WRITABLE_FIELDS,
    "password_hash",
    "archived",
    "archived_at",
    "version",
    "updated_at",
    "updated_by",
    "unique_values",
    "address_ids",
)


def commit(
    principal: Principal,
    stored: store.StoredCustomer,
    after: dict[str, Any],
    addresses_after: list[dict[str, Any]],
    *,
    required_addresses: Iterable[str] = (),
    address_puts: Iterable[dict[str, Any]] = (),
    address_deletes: Iterable[str] = (),
) -> dict[str, Any]:
    """Write a new state of the customer (and its address book) if nobody changed it since `stored`.

    Bumps the version, stamps the update, moves the guards whose values changed,
    and returns the customer as now stored. Raises NotFound, PreconditionFailed
    (changed meanwhile) or Conflict (a unique value is taken).
    """
    change, saved = prepare_change(
        principal,
        stored.customer,
        after,
        addresses_after,
        required_addresses=required_addresses,
        address_puts=address_puts,
        address_deletes=address_deletes,
    )
    apply_change(principal, change, saved)
    return saved


def prepare_change(
    principal: Principal,
    before: dict[str, Any],
    after: dict[str, Any],
    addresses_after: list[dict[str, Any]] | None,
    *,
    required_addresses: Iterable[str] = (),
    address_puts: Iterable[dict[str, Any]] = (),
    address_deletes: Iterable[str] = (),
) -> tuple[store.CustomerChange, dict[str, Any]]:
    """The store change that turns `before` into `after`, and the customer as it will be stored.

    With `addresses_after` None the address book is unchanged and not loaded:
    the held guards and the stored address ids and postal codes carry over.
    """
    guards = _guards(after, addresses_after) if addresses_after is not None else held_guards(before)
    after = {
        **after,
        "version": before["version"] + 1,
        "updated_at": clock.now_timestamp(),
        "updated_by": principal.subject,
        "unique_values": _unique_values(guards),
        "address_ids": sorted(a["id"] for a in addresses_after)
        if addresses_after is not None
        else before.get("address_ids", []),
    }
    change = store.CustomerChange(
        customer_id=before["id"],
        expected_version=before["version"],
        set_attributes={name: after[name] for name in _MANAGED if after.get(name) is not None},
        remove_attributes=frozenset(name for name in _MANAGED if after.get(name) is None and name in before),
        indexes=_indexes(after, addresses_after),
        guards_before=held_guards(before),
        guards_after=guards,
        required_addresses=list(required_addresses),
        address_puts=[
            store.NewAddress(address, postal_key(address["postal_code"]) if address.get("postal_code") else None)
            for address in address_puts
        ],
        address_deletes=list(address_deletes),
    )
    return change, {name: value for name, value in after.items() if value is not None}


def archive_state(before: dict[str, Any], archived: bool) -> dict[str, Any]:
    return {**before, "archived": archived, "archived_at": clock.now_timestamp() if archived else None}


def apply_change(principal: Principal, change: store.CustomerChange, after: dict[str, Any]) -> None:
    """Commit a prepared change; lost conditions become the API's errors (404, 412, 409)."""
    try:
        store.update(principal.tenant_id, change)
    except UniqueValueTaken as taken:
        count("UniqueConflicts")
        raise conflict_for(taken, after) from None
    except ItemChanged as changed:
        count("LostUpdatesPrevented")
        raise _changed_elsewhere(changed, change.customer_id) from None
    except ConditionNotMet as unmet:
        # The named address was deleted meanwhile (which also changes the ETag).
        raise PreconditionFailed(f"address {unmet.tag} no longer exists") from None
    count("CustomersUpdated")


def delete(principal: Principal, customer_id: str, if_match: IfMatch | None, *, required: bool = True) -> None:
    """Hard delete of the customer and its address book; releases its unique values.

    `required=False` (vendor routes whose clients send no If-Match) honours If-Match only when sent.
    """
    if if_match is None and required:
        raise PreconditionRequired("DELETE needs an If-Match header with the customer's ETag")
    stored = load_visible(principal, customer_id)
    check_precondition(stored, if_match, required=required)
    customer = stored.customer
    try:
        store.delete(
            principal.tenant_id,
            customer_id,
            customer["version"],
            held_guards(customer),
            [address["id"] for address in stored.addresses],
        )
    except LinkedRecordsExist as linked:
        raise LinkedRecords(link_counts(linked.current)) from None
    except ItemChanged as changed:
        raise _changed_elsewhere(changed, customer_id) from None
    # Its SKU mappings follow from the table's change stream (domain.change_stream.effects).
    count("CustomersDeleted")


def set_archived(principal: Principal, customer_id: str, archived: bool, if_match: IfMatch | None) -> CustomerView:
    """Archive or unarchive; idempotent (no write, same ETag, when already in that state)."""
    stored = load_visible(principal, customer_id)
    check_precondition(stored, if_match, required=False)
    before = stored.customer
    if bool(before.get("archived")) == archived:
        return view_of(before, stored.addresses)
    return view_of(commit(principal, stored, archive_state(before, archived), stored.addresses), stored.addresses)
