"""Customer, address, guard and counter items: reads and the conditional writes that keep the rules.

The domain hands over plain attribute dicts plus the normalized values that
indexes and guards need; this module owns the key formats, the index
attributes and the shape of every transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from clientele.store.kernel import keys
from clientele.store.kernel.client import (
    batch_get,
    call,
    dynamodb,
    from_item,
    table_name,
    to_attribute,
    to_item,
    without_key_attributes,
)
from clientele.store.kernel.errors import ConditionNotMet, ItemChanged, LinkedRecordsExist, UniqueValueTaken
from clientele.store.kernel.transactions import Transaction, TransactionCancelled, run_units

# Counters kept by the sales ledger on the customer item; a hard delete needs them at zero.
LINK_COUNTERS = ("sales_orders_count", "sales_credits_count")


@dataclass(frozen=True)
class Guard:
    """A unique value held by a customer: `field` plus its normalized, scoped parts."""

    field: str
    parts: tuple[str, ...]

    def key(self, tenant: str) -> dict[str, str]:
        return keys.guard_key(tenant, self.field, self.parts)


@dataclass(frozen=True)
class CustomerIndexes:
    """Normalized values behind the list indexes (sorts, partitions) and list filters."""

    name_key: str
    code_key: str | None
    organization_id: str | None
    created_at: str
    updated_at: str
    archived: bool
    email_keys: tuple[str, ...] = ()
    postal_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class NewAddress:
    attributes: dict[str, Any]
    postal_key: str | None


@dataclass(frozen=True)
class StoredCustomer:
    customer: dict[str, Any]
    addresses: list[dict[str, Any]] = field(default_factory=list)


def code_sort_prefix(code_key: str | None) -> str:
    """Customers with a code sort by it; those without come after every code."""
    return keys.sort_value("0", code_key, "") if code_key is not None else keys.sort_value("1", "")


def _index_attributes(tenant: str, customer_id: str, indexes: CustomerIndexes) -> dict[str, Any]:
    archived = indexes.archived
    return {
        "tenant_list": keys.tenant_customers(tenant, archived),
        "org_list": keys.organization_customers(tenant, indexes.organization_id, archived)
        if indexes.organization_id is not None
        else None,
        # List filters (q by exact email, postal_code) read these.
        "email_keys": list(indexes.email_keys) or None,
        "postal_keys": list(indexes.postal_keys) or None,
        "sort_name": keys.sort_value(indexes.name_key, customer_id),
        "sort_code": code_sort_prefix(indexes.code_key) + customer_id,
        "sort_created": keys.sort_value(indexes.created_at, customer_id),
        "sort_updated": keys.sort_value(indexes.updated_at, customer_id),
    }


def _address_item(tenant: str, customer_id: str, address: NewAddress) -> dict[str, Any]:
    item = {
        **keys.address_key(tenant, customer_id, address.attributes["id"]),
        "entity": "address",
        **address.attributes,
    }
    if address.postal_key:
        item["postal_key"] = keys.postal_code_partition(tenant, address.postal_key)
        item["postal_sort"] = keys.sort_value(customer_id, address.attributes["id"])
    return item


# ---------------------------------------------------------------- reads


def load(tenant: str, customer_id: str) -> StoredCustomer | None:
    """The customer and its address book in one strongly consistent Query."""
    params: dict[str, Any] = {
        "TableName": table_name(),
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
        "ExpressionAttributeValues": {
            ":pk": to_attribute(keys.customer_pk(tenant, customer_id)),
            ":prefix": to_attribute(keys.CUSTOMER_SK),
        },
        "ConsistentRead": True,
    }
    items: list[dict[str, Any]] = []
    while True:
        page = call("query", **params)
        items.extend(from_item(item) for item in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            break
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    customer = next((item for item in items if item["sk"] == keys.CUSTOMER_SK), None)
    if customer is None:
        return None
    addresses = [without_key_attributes(item) for item in items if item["sk"].startswith(keys.ADDRESS_SK_PREFIX)]
    return StoredCustomer(customer=without_key_attributes(customer), addresses=addresses)


def customer_id_for_number(tenant: str, number: int) -> str | None:
    """The id of the tenant's customer with this number, or None: one Query on the `lookup` index.

    Global secondary indexes are eventually consistent: a customer created a moment ago may not
    be found yet (typically for well under a second), and one deleted a moment ago may still be.
    Callers read the customer itself afterwards (strongly consistent), so a stale hit is a miss.
    """
    answer = call(
        "query",
        TableName=table_name(),
        IndexName="lookup",
        KeyConditionExpression="lookup_key = :key AND lookup_sort = :sort",
        ExpressionAttributeValues={
            ":key": to_attribute(keys.customer_number_lookup(tenant, number)),
            ":sort": to_attribute(keys.NUMBER_LOOKUP_SORT),
        },
        ProjectionExpression="#id",
        ExpressionAttributeNames={"#id": "id"},
        Limit=1,
    )
    items = answer.get("Items", [])
    return from_item(items[0])["id"] if items else None


def add_number_lookup(tenant: str, customer: Mapping[str, Any]) -> bool:
    """Give a numbered customer item written before the `lookup` index existed its number's lookup.

    Conditioned on the item still being at this version and still without a lookup, so it never races
    a writer (a changed customer is found again by the next pass). True when written.
    """
    from botocore.exceptions import ClientError

    if customer.get("number") is None or customer.get("lookup_key") is not None:
        return False
    try:
        call(
            "update_item",
            TableName=table_name(),
            Key=to_item(keys.customer_key(tenant, str(customer["id"]))),
            UpdateExpression="SET lookup_key = :key, lookup_sort = :sort",
            ConditionExpression="attribute_exists(pk) AND attribute_not_exists(lookup_key) AND #version = :version",
            ExpressionAttributeNames={"#version": "version"},
            ExpressionAttributeValues={
                ":key": to_attribute(keys.customer_number_lookup(tenant, int(customer["number"]))),
                ":sort": to_attribute(keys.NUMBER_LOOKUP_SORT),
                ":version": to_attribute(customer["version"]),
            },
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def ping() -> bool:
    """One cheap read: does the table answer?"""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        dynamodb().get_item(TableName=table_name(), Key=to_item(keys.HEALTH_KEY))
    except (ClientError, BotoCoreError):
        return False
    return True


# ---------------------------------------------------------------- writes


def next_customer_number(tenant: str) -> int:
    """Per-tenant sequence from 1 (an atomic counter: numbers never repeat, a failed create leaves a gap)."""
    response = call(
        "update_item",
        TableName=table_name(),
        Key=to_item(keys.counter_key(tenant, keys.COUNTER_CUSTOMER_NUMBER)),
        UpdateExpression="ADD #value :one",
        ExpressionAttributeNames={"#value": "value"},
        ExpressionAttributeValues={":one": to_attribute(1)},
        ReturnValues="UPDATED_NEW",
    )
    return int(response["Attributes"]["value"]["N"])


def reserve_customer_numbers(tenant: str, count: int) -> range:
    """`count` consecutive customer numbers in one call (bulk imports); unused ones leave a gap."""
    response = call(
        "update_item",
        TableName=table_name(),
        Key=to_item(keys.counter_key(tenant, keys.COUNTER_CUSTOMER_NUMBER)),
        UpdateExpression="ADD #value :count",
        ExpressionAttributeNames={"#value": "value"},
        ExpressionAttributeValues={":count": to_attribute(count)},
        ReturnValues="UPDATED_NEW",
    )
    last = int(response["Attributes"]["value"]["N"])
    return range(last - count + 1, last + 1)


def _put_guard(transaction: Transaction, tenant: str, guard: Guard, customer_id: str, now: str) -> None:
    transaction.put(
        {**guard.key(tenant), "entity": "guard", "field": guard.field, "customer_id": customer_id, "created_at": now},
        tag=f"guard:{guard.field}",
        condition="attribute_not_exists(pk)",
        return_old=True,
    )


def _release_guard(transaction: Transaction, tenant: str, guard: Guard, customer_id: str) -> None:
    # Only ever delete our own guard; a missing one is already released.
    transaction.delete(
        guard.key(tenant),
        tag=f"release:{guard.field}",
        condition="attribute_not_exists(pk) OR customer_id = :me",
        values={":me": customer_id},
    )


def _error_for(cancelled: TransactionCancelled, guard_order: Sequence[str]) -> Exception:
    """The store error a cancelled customer transaction stands for.

    A stale or vanished customer comes first: the caller must re-read before any
    uniqueness answer means something. Then the first lost guard, in `guard_order`.
    """
    customer_failure = cancelled.failure("customer")
    if customer_failure is not None:
        return ItemChanged(without_key_attributes(customer_failure.item) if customer_failure.item else None)
    for field_name in guard_order:
        failure = cancelled.failure(f"guard:{field_name}")
        if failure is not None:
            return UniqueValueTaken(field_name, (failure.item or {}).get("customer_id"))
    for failure in cancelled.failures:
        if failure.tag.startswith("check:"):
            return ConditionNotMet(failure.tag.removeprefix("check:"))
    return cancelled


def _raise_for(cancelled: TransactionCancelled, guard_order: Sequence[str]) -> None:
    raise _error_for(cancelled, guard_order) from None


def insert_unit(
    tenant: str,
    customer: dict[str, Any],
    indexes: CustomerIndexes,
    guards: Sequence[Guard],
    addresses: Sequence[NewAddress],
) -> Transaction:
    """The actions that create a customer: its item, one guard per unique value, its addresses."""
    customer_id = customer["id"]
    unit = Transaction()
    item = {
        **keys.customer_key(tenant, customer_id),
        "entity": "customer",
        **customer,
        **_index_attributes(tenant, customer_id, indexes),
    }
    if customer.get("number") is not None:
        # Updates never SET or REMOVE these (a customer's number never changes), so they stay.
        item["lookup_key"] = keys.customer_number_lookup(tenant, customer["number"])
        item["lookup_sort"] = keys.NUMBER_LOOKUP_SORT
    unit.put(item, tag="customer", condition="attribute_not_exists(pk)")
    for guard in guards:
        _put_guard(unit, tenant, guard, customer_id, customer["created_at"])
    for address in addresses:
        unit.put(_address_item(tenant, customer_id, address), tag="address", condition="attribute_not_exists(pk)")
    return unit


def insert(
    tenant: str,
    customer: dict[str, Any],
    indexes: CustomerIndexes,
    guards: Sequence[Guard],
    addresses: Sequence[NewAddress],
) -> None:
    """Create the customer, its guards and addresses atomically (one TransactWriteItems).

    Raises UniqueValueTaken naming the first lost guard (in `guards` order) and its holder.
    """
    try:
        insert_unit(tenant, customer, indexes, guards, addresses).execute()
    except TransactionCancelled as cancelled:
        _raise_for(cancelled, [guard.field for guard in guards])


def creation_error(cancelled: TransactionCancelled, guards: Sequence[Guard]) -> Exception:
    """What a cancelled creation unit stands for (UniqueValueTaken, usually)."""
    return _error_for(cancelled, [guard.field for guard in guards])


@dataclass(frozen=True)
class CustomerChange:
    """A conditional update of a customer: the attributes to set and to remove, and what must hold."""

    customer_id: str
    expected_version: int
    set_attributes: dict[str, Any]
    remove_attributes: frozenset[str]
    indexes: CustomerIndexes
    guards_before: Sequence[Guard] = ()
    guards_after: Sequence[Guard] = ()
    # Address items that must exist when the change commits (e.g. a new default address).
    required_addresses: Iterable[str] = ()
    # Address items written (created, or replaced when they exist) and deleted in the same transaction.
    address_puts: Sequence[NewAddress] = ()
    address_deletes: Sequence[str] = ()


def _update_expression(change: CustomerChange, tenant: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    index_values = _index_attributes(tenant, change.customer_id, change.indexes)
    to_set = {**change.set_attributes, **{k: v for k, v in index_values.items() if v is not None}}
    to_remove = set(change.remove_attributes) | {k for k, v in index_values.items() if v is None}
    names: dict[str, str] = {"#version": "version"}
    values: dict[str, Any] = {":expected": change.expected_version}
    assignments = []
    for position, (name, value) in enumerate(sorted(to_set.items())):
        names[f"#s{position}"] = name
        values[f":s{position}"] = value
        assignments.append(f"#s{position} = :s{position}")
    removals = []
    for position, name in enumerate(sorted(to_remove - to_set.keys())):
        names[f"#r{position}"] = name
        removals.append(f"#r{position}")
    expression = "SET " + ", ".join(assignments)
    if removals:
        expression += " REMOVE " + ", ".join(removals)
    return expression, names, values


def _moved_guards(tenant: str, change: CustomerChange) -> tuple[list[Guard], list[Guard]]:
    """(released, taken): the guards whose keys the change gives up and takes."""
    before = {tuple(guard.key(tenant).values()): guard for guard in change.guards_before}
    after = {tuple(guard.key(tenant).values()): guard for guard in change.guards_after}
    return [g for k, g in before.items() if k not in after], [g for k, g in after.items() if k not in before]


def change_unit(tenant: str, change: CustomerChange) -> Transaction:
    expression, names, values = _update_expression(change, tenant)
    released, taken = _moved_guards(tenant, change)
    unit = Transaction()
    unit.update(
        keys.customer_key(tenant, change.customer_id),
        tag="customer",
        update=expression,
        condition="#version = :expected",
        names=names,
        values=values,
        return_old=True,
    )
    for guard in released:
        _release_guard(unit, tenant, guard, change.customer_id)
    for guard in taken:
        _put_guard(unit, tenant, guard, change.customer_id, change.indexes.updated_at)
    for address_id in change.required_addresses:
        unit.check(
            keys.address_key(tenant, change.customer_id, address_id),
            tag=f"check:{address_id}",
            condition="attribute_exists(pk)",
        )
    for address in change.address_puts:
        # The customer's version condition already orders every address write: no condition needed here.
        unit.put(_address_item(tenant, change.customer_id, address), tag=f"address:{address.attributes['id']}")
    for address_id in change.address_deletes:
        unit.delete(keys.address_key(tenant, change.customer_id, address_id), tag=f"address:{address_id}")
    return unit


def update(tenant: str, change: CustomerChange) -> None:
    """Apply `change` if the customer still has `expected_version`.

    Guards that change move in the same transaction; with nothing but the
    customer item to write it is a single conditional UpdateItem (half the
    write cost of a transaction). Raises ItemChanged (current item or None),
    UniqueValueTaken, ConditionNotMet.
    """
    unit = change_unit(tenant, change)
    if len(unit) > 1:
        try:
            unit.execute()
        except TransactionCancelled as cancelled:
            _raise_for(cancelled, [guard.field for guard in _moved_guards(tenant, change)[1]])
        return

    from botocore.exceptions import ClientError

    expression, names, values = _update_expression(change, tenant)
    try:
        call(
            "update_item",
            TableName=table_name(),
            Key=to_item(keys.customer_key(tenant, change.customer_id)),
            UpdateExpression=expression,
            ConditionExpression="#version = :expected",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={name: to_attribute(value) for name, value in values.items()},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        # ALL_OLD puts the item in the error response, a key the stubs' response type leaves out.
        answer: Mapping[str, Any] = error.response
        old = answer.get("Item")
        raise ItemChanged(without_key_attributes(from_item(old)) if old else None) from None


def update_many(tenant: str, changes: Sequence[CustomerChange]) -> dict[str, Exception]:
    """Apply many changes in as few transactions as fit; returns the errors by customer id."""
    units = {change.customer_id: change_unit(tenant, change) for change in changes}
    guard_fields = {change.customer_id: [g.field for g in _moved_guards(tenant, change)[1]] for change in changes}
    return {key: _error_for(cancelled, guard_fields[key]) for key, cancelled in run_units(units).items()}


@dataclass(frozen=True)
class CustomerDeletion:
    customer_id: str
    expected_version: int
    guards: Sequence[Guard]
    address_ids: Sequence[str]


def deletion_unit(tenant: str, deletion: CustomerDeletion) -> Transaction:
    unit = Transaction()
    no_links = " AND ".join(f"(attribute_not_exists({name}) OR {name} = :zero)" for name in LINK_COUNTERS)
    unit.delete(
        keys.customer_key(tenant, deletion.customer_id),
        tag="customer",
        condition=f"#version = :expected AND {no_links}",
        names={"#version": "version"},
        values={":expected": deletion.expected_version, ":zero": 0},
        return_old=True,
    )
    for guard in deletion.guards:
        _release_guard(unit, tenant, guard, deletion.customer_id)
    for address_id in deletion.address_ids:
        unit.delete(keys.address_key(tenant, deletion.customer_id, address_id), tag="address")
    return unit


def _deletion_error(cancelled: TransactionCancelled, expected_version: int) -> Exception:
    failure = cancelled.failure("customer")
    if failure is not None and failure.item is not None and failure.item.get("version") == expected_version:
        return LinkedRecordsExist(without_key_attributes(failure.item))
    return _error_for(cancelled, [])


def delete(
    tenant: str, customer_id: str, expected_version: int, guards: Sequence[Guard], address_ids: Sequence[str]
) -> None:
    """Hard delete: customer, address book and guards in one transaction, only while no ledger record links it."""
    deletion = CustomerDeletion(customer_id, expected_version, guards, address_ids)
    try:
        deletion_unit(tenant, deletion).execute()
    except TransactionCancelled as cancelled:
        raise _deletion_error(cancelled, expected_version) from None


def unit_error(cancelled: TransactionCancelled, expected_version: int) -> Exception:
    """What a cancelled change or deletion unit of one customer stands for."""
    return _deletion_error(cancelled, expected_version)


def delete_many(tenant: str, deletions: Sequence[CustomerDeletion]) -> dict[str, Exception]:
    """Hard deletes packed into as few transactions as fit; returns the errors by customer id."""
    units = {deletion.customer_id: deletion_unit(tenant, deletion) for deletion in deletions}
    versions = {deletion.customer_id: deletion.expected_version for deletion in deletions}
    return {key: _deletion_error(cancelled, versions[key]) for key, cancelled in run_units(units).items()}


def load_many(tenant: str, customer_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Customer items (without address books) by id, with BatchGetItem (100 keys per call)."""
    unique = list(dict.fromkeys(customer_ids))
    items = batch_get([keys.customer_key(tenant, customer_id) for customer_id in unique])
    return {item["id"]: without_key_attributes(item) for item in items}


def load_stored_many(tenant: str, customer_ids: Sequence[str]) -> dict[str, StoredCustomer]:
    """Customers with their address books by id, batched (imports read hundreds of matched customers).

    Two rounds of BatchGetItem (100 keys per call): the customer items, then the address items they
    list in `address_ids`. Each read is strongly consistent but the two rounds are not one snapshot:
    a write between them changes the customer's version, which the caller's conditional write checks.
    """
    return with_address_books(tenant, list(load_many(tenant, customer_ids).values()))


def with_address_books(tenant: str, customers: Sequence[dict[str, Any]]) -> dict[str, StoredCustomer]:
    """The customer items (read already) with their address books, read with BatchGetItem."""
    owner_of: dict[tuple[str, str], str] = {}
    for customer in customers:
        for address_id in customer.get("address_ids") or ():
            key = keys.address_key(tenant, customer["id"], address_id)
            owner_of[(key["pk"], key["sk"])] = customer["id"]
    books: dict[str, list[dict[str, Any]]] = {}
    for item in batch_get([{"pk": pk, "sk": sk} for pk, sk in owner_of]):
        books.setdefault(owner_of[(item["pk"], item["sk"])], []).append(without_key_attributes(item))
    stored: dict[str, StoredCustomer] = {}
    for customer in customers:
        if "address_ids" not in customer:  # an item that doesn't list its addresses: its partition's Query
            loaded = load(tenant, customer["id"])
            if loaded is not None:
                stored[customer["id"]] = loaded
            continue
        book = sorted(books.get(customer["id"], []), key=lambda address: str(address["id"]))
        stored[customer["id"]] = StoredCustomer(customer=customer, addresses=book)
    return stored


def guard_holders(tenant: str, guards: Sequence[Guard]) -> dict[Guard, str]:
    """Which customer holds each of these unique values (absent: nobody)."""
    by_key = {tuple(guard.key(tenant).values()): guard for guard in guards}
    items = batch_get([dict(zip(("pk", "sk"), key, strict=True)) for key in by_key])
    return {by_key[(item["pk"], item["sk"])]: item["customer_id"] for item in items}


def addresses_of(tenant: str, wanted: Sequence[tuple[str, str]]) -> dict[str, dict[str, Any]]:
    """Address items by (customer id, address id), batched."""
    items = batch_get([keys.address_key(tenant, customer_id, address_id) for customer_id, address_id in wanted])
    return {item["id"]: without_key_attributes(item) for item in items}


def addresses_at(tenant: str, postal_key: str) -> list[dict[str, Any]]:
    """Every address item at a postal code (the postal-code index), across the tenant's customers."""
    params: dict[str, Any] = {
        "TableName": table_name(),
        "IndexName": "postal-code",
        "KeyConditionExpression": "postal_key = :postal",
        "ExpressionAttributeValues": {":postal": to_attribute(keys.postal_code_partition(tenant, postal_key))},
    }
    items: list[dict[str, Any]] = []
    while True:
        page = call("query", **params)
        items.extend(without_key_attributes(from_item(item)) for item in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]
