"""SKU mapping items: one per (customer, customer_sku) in the customer's partition, plus an id pointer.

Items (ARCHITECTURE.md §2):

- mapping `pk = T#{tenant}#C#{customer_id}`, `sk = SKU#{customer_sku}` (the raw SKU, so the
  partition's SKU# range is in customer_sku order and a prefix search is `begins_with`);
- pointer `sk = SKUID#{mapping_id}` holding `customer_sku`, so DELETE by id is one GetItem and
  one transaction instead of a Query over every mapping. It is written with the mapping when
  the mapping is created and deleted with it; an update keeps the id, so it never moves.

Every write carries a ConditionCheck on the customer item (exists and, for an organization-scoped
caller, belongs to the organization), so no mapping is written for a customer that is gone.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from clientele.store.kernel import keys
from clientele.store.kernel.client import batch_get, call, from_item, table_name, to_attribute, to_item
from clientele.store.kernel.errors import ConditionNotMet, ItemChanged, StoreUnavailable
from clientele.store.kernel.transactions import Transaction, TransactionCancelled

ENTITY = "sku_mapping"
POINTER_ENTITY = "sku_mapping_id"
# The attributes of a mapping as the domain sees it (the item also holds pk, sk and entity).
MAPPING_ATTRIBUTES = ("id", "customer_id", "customer_sku", "product_id", "created_at", "updated_at")


@dataclass(frozen=True)
class CustomerScope:
    """What the SKU routes need to know of a customer: that it exists, and its organization."""

    organization_id: str | None


def _attributes(plain: dict[str, Any]) -> dict[str, Any]:
    return {name: plain[name] for name in MAPPING_ATTRIBUTES if name in plain}


def _mapping(item: dict[str, Any]) -> dict[str, Any]:
    return _attributes(from_item(item))


# ---------------------------------------------------------------- reads


def customer_scope(tenant: str, customer_id: str) -> CustomerScope | None:
    """The customer's organization, or None when there is no such customer (one small GetItem)."""
    answer = call(
        "get_item",
        TableName=table_name(),
        Key=to_item(keys.customer_key(tenant, customer_id)),
        ProjectionExpression="pk, organization_id",
        ConsistentRead=True,
    )
    item = answer.get("Item")
    if item is None:
        return None
    return CustomerScope(organization_id=from_item(item).get("organization_id"))


@dataclass(frozen=True)
class Page:
    mappings: list[dict[str, Any]]
    has_more: bool


def _query(tenant: str, customer_id: str, prefix: str, after: str | None, limit: int | None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "TableName": table_name(),
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
        "ExpressionAttributeValues": {
            ":pk": to_attribute(keys.customer_pk(tenant, customer_id)),
            ":prefix": to_attribute(keys.SKU_SK_PREFIX + prefix),
        },
        "ConsistentRead": True,
    }
    if after is not None:
        params["ExclusiveStartKey"] = to_item(keys.sku_mapping_key(tenant, customer_id, after))
    if limit is not None:
        params["Limit"] = limit
    return params


def page(tenant: str, customer_id: str, prefix: str, after: str | None, limit: int) -> Page:
    """Up to `limit` mappings whose customer_sku starts with `prefix`, after the SKU `after`: one Query.

    It asks for one more than `limit`, so `has_more` is exact (no empty last page).
    """
    answer = call("query", **_query(tenant, customer_id, prefix, after, limit + 1))
    items = [_mapping(item) for item in answer.get("Items", [])]
    # A Query also stops at 1 MB; SKU items are far too small for that to cut a page short, but if
    # it ever did, LastEvaluatedKey still says that more may follow.
    has_more = len(items) > limit or "LastEvaluatedKey" in answer
    return Page(mappings=items[:limit], has_more=has_more)


def pages(tenant: str, customer_id: str) -> Iterator[list[dict[str, Any]]]:
    """Every mapping of the customer in customer_sku order, a Query page (≤ 1 MB) at a time."""
    params = _query(tenant, customer_id, "", None, None)
    while True:
        answer = call("query", **params)
        yield [_mapping(item) for item in answer.get("Items", [])]
        if "LastEvaluatedKey" not in answer:
            return
        params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def sku_of(tenant: str, customer_id: str, mapping_id: str) -> str | None:
    """The customer_sku of the mapping with this id (its pointer item), or None."""
    answer = call(
        "get_item",
        TableName=table_name(),
        Key=to_item(keys.sku_pointer_key(tenant, customer_id, mapping_id)),
        ConsistentRead=True,
    )
    item = answer.get("Item")
    return from_item(item)["customer_sku"] if item else None


def load_many(tenant: str, customer_id: str, skus: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The customer's mappings of these SKUs by customer_sku (absent SKUs are left out); BatchGetItem."""
    unique = list(dict.fromkeys(skus))
    items = batch_get([keys.sku_mapping_key(tenant, customer_id, sku) for sku in unique])
    return {mapping["customer_sku"]: mapping for mapping in map(_attributes, items)}


# ---------------------------------------------------------------- transaction units


# The customer item counts its mappings (like the ledger's counters, without touching its version),
# so a hard delete knows whether there are mappings to remove without reading for them.
MAPPINGS_COUNTER = "sku_mappings_count"


def customer_check(
    tenant: str, customer_id: str, organization_id: str | None = None, *, mappings_added: int = 0
) -> Transaction:
    """The customer's part of a mapping write (tag "customer"): it exists (and is in `organization_id`,
    when given), and its mapping count moves by `mappings_added` (a ConditionCheck when that is 0)."""
    unit = Transaction()
    condition, names, values = "attribute_exists(pk)", {}, {}
    if organization_id is not None:
        condition += " AND #organization = :organization"
        names["#organization"] = "organization_id"
        values[":organization"] = organization_id
    key = keys.customer_key(tenant, customer_id)
    if mappings_added:
        unit.update(
            key,
            tag="customer",
            update="ADD #mappings :added",
            condition=condition,
            names={**names, "#mappings": MAPPINGS_COUNTER},
            values={**values, ":added": mappings_added},
        )
    else:
        unit.check(key, tag="customer", condition=condition, names=names or None, values=values or None)
    return unit


def purge(tenant: str, customer_id: str) -> int:
    """Remove every mapping (and pointer) of a deleted customer; returns how many items went.

    Runs after the customer's delete committed: no mapping can be added any more (every mapping
    write needs the customer item), so one pass over the partition's `SKU` items finds them all.
    """
    removed = 0
    params: dict[str, Any] = {
        "TableName": table_name(),
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :sku)",
        "ExpressionAttributeValues": {
            ":pk": to_attribute(keys.customer_pk(tenant, customer_id)),
            ":sku": to_attribute("SKU"),
        },
        "ProjectionExpression": "pk, sk",
        "ConsistentRead": True,
    }
    while True:
        page = call("query", **params)
        found = page.get("Items", [])
        for start in range(0, len(found), 25):
            _delete_batch(found[start : start + 25])
        removed += len(found)
        if "LastEvaluatedKey" not in page:
            return removed
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _delete_batch(item_keys: list[dict[str, Any]]) -> None:
    request = {table_name(): [{"DeleteRequest": {"Key": key}} for key in item_keys]}
    for attempt in range(8):
        answer = call("batch_write_item", RequestItems=request)
        request = answer.get("UnprocessedItems") or {}
        if not request:
            return
        time.sleep(min(0.05 * 2**attempt, 1.0))
    raise StoreUnavailable("BatchWriteItem left items unprocessed")


# Positional arguments as the CSV importer calls it: tenant, customer, the row's two cells, a new id, the time.
def upsert_unit(  # noqa: PLR0917
    tenant: str,
    customer_id: str,
    customer_sku: str,
    product_id: str,
    new_id: str,
    now: str,
    *,
    existing_id: str | None = None,
    return_old: bool = False,
) -> Transaction:
    """The actions that upsert one mapping, without a read (for the API and for CSV imports).

    The mapping action is one UpdateItem, tag "mapping":
    `SET id = if_not_exists(id, :id), created_at = if_not_exists(created_at, :now), product_id = :p,
    updated_at = :now, …`.

    - `existing_id` None (the mapping is new as far as the caller knows, e.g. `load_many` did not find
      it): 2 actions, the mapping conditioned on not existing yet (or already holding `new_id`, so a
      replayed unit is harmless) plus the pointer item `SKUID#{new_id}` (tag "pointer").
    - `existing_id` given (`load_many` found it): 1 action, conditioned on the mapping still having
      that id; the pointer already exists and stays.

    When the guess was wrong (created or deleted meanwhile) the unit is cancelled on "mapping"; with
    `return_old` its failure holds the mapping as it is. Nothing is written then, so no pointer ever
    names a mapping that has another id.
    """
    key = keys.sku_mapping_key(tenant, customer_id, customer_sku)
    names = {"#id": "id", "#created": "created_at", "#updated": "updated_at"}
    values: dict[str, Any] = {
        ":entity": ENTITY,
        ":customer": customer_id,
        ":sku": customer_sku,
        ":product": product_id,
        ":now": now,
    }
    update = (
        "SET #id = if_not_exists(#id, :id), #created = if_not_exists(#created, :now), entity = :entity, "
        "customer_id = :customer, customer_sku = :sku, product_id = :product, #updated = :now"
    )
    unit = Transaction()
    if existing_id is None:
        values[":id"] = new_id
        unit.update(
            key,
            tag="mapping",
            update=update,
            condition="attribute_not_exists(pk) OR #id = :id",
            names=names,
            values=values,
            return_old=return_old,
        )
        pointer = {
            **keys.sku_pointer_key(tenant, customer_id, new_id),
            "entity": POINTER_ENTITY,
            "customer_sku": customer_sku,
        }
        unit.put(pointer, tag="pointer")
    else:
        values[":id"] = existing_id
        unit.update(key, tag="mapping", update=update, condition="#id = :id", names=names, values=values)
    return unit


def deletion_unit(tenant: str, customer_id: str, customer_sku: str, mapping_id: str) -> Transaction:
    """Delete a mapping (only while it has `mapping_id`, tag "mapping") and its pointer (tag "pointer")."""
    unit = Transaction()
    unit.delete(
        keys.sku_mapping_key(tenant, customer_id, customer_sku),
        tag="mapping",
        condition="#id = :id",
        names={"#id": "id"},
        values={":id": mapping_id},
    )
    unit.delete(keys.sku_pointer_key(tenant, customer_id, mapping_id), tag="pointer", condition="attribute_exists(pk)")
    return unit


# ---------------------------------------------------------------- writes for the API


def _raise_for(cancelled: TransactionCancelled) -> None:
    """The customer's check comes first: a gone customer is the answer whatever else failed."""
    if cancelled.failure("customer") is not None:
        raise ConditionNotMet("customer") from None
    failure = cancelled.failure("mapping")
    if failure is not None:
        raise ItemChanged(_attributes(failure.item) if failure.item else None) from None
    if cancelled.failure("pointer") is not None:
        raise ItemChanged(None) from None
    raise cancelled


def _execute(unit: Transaction) -> None:
    try:
        unit.execute()
    except TransactionCancelled as cancelled:
        _raise_for(cancelled)


def create(tenant: str, mapping: dict[str, Any], organization_id: str | None) -> None:
    """Write a new mapping and its pointer atomically with the customer's check (one TransactWriteItems).

    Raises ConditionNotMet("customer") when the customer is gone (or in another organization), and
    ItemChanged(current mapping) when the SKU is already mapped.
    """
    customer_id = mapping["customer_id"]
    transaction = customer_check(tenant, customer_id, organization_id, mappings_added=1)
    transaction.absorb(
        upsert_unit(
            tenant,
            customer_id,
            mapping["customer_sku"],
            mapping["product_id"],
            mapping["id"],
            mapping["created_at"],
            return_old=True,
        ),
        prefix="",
    )
    _execute(transaction)


def update(tenant: str, current: dict[str, Any], product_id: str, now: str, organization_id: str | None) -> None:
    """Point the `current` mapping at `product_id` (id and created_at kept), with the customer's check.

    Raises ConditionNotMet("customer"), or ItemChanged(None) when the mapping no longer has current's id.
    """
    customer_id, mapping_id = current["customer_id"], current["id"]
    transaction = customer_check(tenant, customer_id, organization_id)
    unit = upsert_unit(
        tenant, customer_id, current["customer_sku"], product_id, mapping_id, now, existing_id=mapping_id
    )
    transaction.absorb(unit, prefix="")
    _execute(transaction)


def delete(tenant: str, customer_id: str, customer_sku: str, mapping_id: str, organization_id: str | None) -> None:
    """Delete the mapping and its pointer with the customer's check (one TransactWriteItems).

    Raises ConditionNotMet("customer"), or ItemChanged(None) when the mapping is gone or has another id
    (a pointer left without its mapping is removed then).
    """
    transaction = customer_check(tenant, customer_id, organization_id, mappings_added=-1)
    transaction.absorb(deletion_unit(tenant, customer_id, customer_sku, mapping_id), prefix="")
    try:
        transaction.execute()
    except TransactionCancelled as cancelled:
        if cancelled.failure("customer") is None and cancelled.failure("pointer") is None:
            _drop_stale_pointer(tenant, customer_id, customer_sku, mapping_id)
        _raise_for(cancelled)


def _drop_stale_pointer(tenant: str, customer_id: str, customer_sku: str, mapping_id: str) -> None:
    """The pointer exists but its mapping does not have its id: remove it (only if it still says so)."""
    from botocore.exceptions import ClientError

    try:
        call(
            "delete_item",
            TableName=table_name(),
            Key=to_item(keys.sku_pointer_key(tenant, customer_id, mapping_id)),
            ConditionExpression="customer_sku = :sku",
            ExpressionAttributeValues={":sku": to_attribute(customer_sku)},
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
