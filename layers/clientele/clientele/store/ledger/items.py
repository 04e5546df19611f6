"""Sales order, credit, allocation and id-pointer items, and the transactions that write them.

Items (ARCHITECTURE.md §2), all in the customer's partition `T#{tenant}#C#{customer_id}`:

- order `sk = ORD#{order_id}`, credit `sk = CRD#{credit_id}`, allocation `sk = ALC#{allocation_id}`;
  orders and credits carry a `version` that every write is conditioned on.
- An unpaid open order carries `lookup_key = T#…#C#{customer}#UNPAID` and
  `lookup_sort = {order_date}\\0{created_at}\\0{order_id}`: it sits in the overloaded `lookup` index
  (sparse: the attributes are removed once it is paid or cancelled), so the customer's unpaid orders,
  oldest first, are one Query that reads nothing else. A credit with something remaining sits there
  the same way under `…#OPEN_CREDITS`, sorted by id.
- A fulfillment `sk = FUL#{order_id}#{fulfillment_id}` sorts under its order; it also sits in three
  overloaded indexes for the tenant-wide list (see fulfillment_index_attributes).
- Routes name orders, credits and fulfillments by id alone, so a pointer item `T#{tenant}#ID#{id}` /
  `ID` says which customer (and, for a fulfillment, which order) holds one; it is written in the
  record's creating transaction. A credit's pointer also maps its allocations to their orders.
- The order number's guard `T#{tenant}#U#order_number#{number}` / `UNIQUE` holds the order's id.

Every write is one TransactWriteItems holding an UpdateItem of the customer item (ADD of the link
counters and lifetime cents, which don't change its version; or a ConditionCheck), conditioned on the
customer existing (and being in the caller's organization).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from clientele.store.kernel import keys
from clientele.store.kernel.client import batch_get, call, from_item, table_name, to_attribute, to_item
from clientele.store.kernel.errors import ConditionNotMet, ItemChanged, StoreUnavailable, UniqueValueTaken
from clientele.store.kernel.listing import Condition, IndexQuery, read_page
from clientele.store.kernel.transactions import Transaction, TransactionCancelled

ORDER_ENTITY = "sales_order"
CREDIT_ENTITY = "sales_credit"
ALLOCATION_ENTITY = "allocation"
POINTER_ENTITY = "ledger_pointer"
ORDERS_COUNTER = "sales_orders_count"
CREDITS_COUNTER = "sales_credits_count"
FULFILLMENT_ENTITY = "fulfillment"
_STORE_ONLY = frozenset({"pk", "sk", "entity", "lookup_key", "lookup_sort", "tenant_list", "org_list", "sort_created"})


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in item.items() if name not in _STORE_ONLY}


def unpaid_sort(order: dict[str, Any]) -> str:
    return keys.sort_value(order["order_date"], order["created_at"], order["id"])


# ---------------------------------------------------------------- reads


def owner_of(tenant: str, record_id: str) -> str | None:
    """The customer holding the order or credit with this id (its pointer item), or None."""
    answer = call(
        "get_item",
        TableName=table_name(),
        Key=to_item(keys.record_pointer_key(tenant, record_id)),
        ConsistentRead=True,
    )
    item = answer.get("Item")
    return from_item(item)["customer_id"] if item else None


def pointer(tenant: str, record_id: str) -> dict[str, Any] | None:
    """A record's pointer item: `customer_id` (and `order_id` for a fulfillment), or None."""
    answer = call(
        "get_item",
        TableName=table_name(),
        Key=to_item(keys.record_pointer_key(tenant, record_id)),
        ConsistentRead=True,
    )
    item = answer.get("Item")
    return from_item(item) if item else None


@dataclass
class Bundle:
    """What one BatchGetItem read of a customer's partition found (absent items are left out)."""

    customer: dict[str, Any] | None = None
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    credits: dict[str, dict[str, Any]] = field(default_factory=dict)
    allocations: dict[str, dict[str, Any]] = field(default_factory=dict)
    mappings: dict[str, dict[str, Any]] = field(default_factory=dict)
    addresses: dict[str, dict[str, Any]] = field(default_factory=dict)
    fulfillments: dict[str, dict[str, Any]] = field(default_factory=dict)


def read_bundle(
    tenant: str,
    customer_id: str,
    *,
    customer: bool = False,
    orders: Sequence[str] = (),
    credits: Sequence[str] = (),
    allocations: Sequence[str] = (),
    skus: Sequence[str] = (),
    addresses: Sequence[str] = (),
    fulfillments: Sequence[tuple[str, str]] = (),
) -> Bundle:
    """Items of one customer's partition by key, in one BatchGetItem (100 keys per call).

    `fulfillments` are (order id, fulfillment id) pairs."""
    wanted = []
    if customer:
        wanted.append(keys.customer_key(tenant, customer_id))
    wanted += [keys.order_key(tenant, customer_id, order_id) for order_id in dict.fromkeys(orders)]
    wanted += [keys.credit_key(tenant, customer_id, credit_id) for credit_id in dict.fromkeys(credits)]
    wanted += [keys.allocation_key(tenant, customer_id, alc) for alc in dict.fromkeys(allocations)]
    wanted += [keys.sku_mapping_key(tenant, customer_id, sku) for sku in dict.fromkeys(skus)]
    wanted += [keys.address_key(tenant, customer_id, address) for address in dict.fromkeys(addresses)]
    wanted += [keys.fulfillment_key(tenant, customer_id, order, ful) for order, ful in dict.fromkeys(fulfillments)]
    bundle = Bundle()
    if not wanted:
        return bundle
    for item in batch_get(wanted):
        sk: str = item["sk"]
        plain = _plain(item)
        if sk == keys.CUSTOMER_SK:
            bundle.customer = plain
        elif sk.startswith(keys.ORDER_SK_PREFIX):
            bundle.orders[plain["id"]] = plain
        elif sk.startswith(keys.CREDIT_SK_PREFIX):
            bundle.credits[plain["id"]] = plain
        elif sk.startswith(keys.ALLOCATION_SK_PREFIX):
            bundle.allocations[plain["id"]] = plain
        elif sk.startswith(keys.SKU_SK_PREFIX):
            bundle.mappings[plain["customer_sku"]] = plain
        elif sk.startswith(keys.ADDRESS_SK_PREFIX):
            bundle.addresses[plain["id"]] = plain
        elif sk.startswith(keys.FULFILLMENT_SK_PREFIX):
            bundle.fulfillments[plain["id"]] = plain
    return bundle


def load_address(tenant: str, customer_id: str, address_id: str) -> dict[str, Any] | None:
    answer = call(
        "get_item",
        TableName=table_name(),
        Key=to_item(keys.address_key(tenant, customer_id, address_id)),
        ConsistentRead=True,
    )
    item = answer.get("Item")
    return _plain(from_item(item)) if item else None


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    has_more: bool


def _page(params: dict[str, Any], limit: int) -> Page:
    answer = call("query", **params, Limit=limit + 1)
    items = [_plain(from_item(item)) for item in answer.get("Items", [])]
    return Page(items=items[:limit], has_more=len(items) > limit)


def unpaid_page(tenant: str, customer_id: str, after: str | None, limit: int) -> Page:
    """Up to `limit` unpaid open orders, oldest order_date first (then created_at, id), after the
    sort value `after`: one Query of the sparse `lookup` index that reads at most limit + 1 items."""
    partition = keys.unpaid_orders(tenant, customer_id)
    params: dict[str, Any] = {
        "TableName": table_name(),
        "IndexName": "lookup",
        "KeyConditionExpression": "lookup_key = :partition",
        "ExpressionAttributeValues": {":partition": to_attribute(partition)},
    }
    if after is not None:
        order_id = after.rsplit(keys.SORT_SEPARATOR, 1)[-1]
        params["ExclusiveStartKey"] = to_item(
            {**keys.order_key(tenant, customer_id, order_id), "lookup_key": partition, "lookup_sort": after}
        )
    return _page(params, limit)


def credits_page(tenant: str, customer_id: str, open_only: bool, after: str | None, limit: int) -> Page:
    """Up to `limit` credits in id (creation) order after the credit `after`: every credit (a Query of
    the partition's CRD# range) or those with something remaining (a Query of the sparse index)."""
    if open_only:
        partition = keys.open_credits(tenant, customer_id)
        params: dict[str, Any] = {
            "TableName": table_name(),
            "IndexName": "lookup",
            "KeyConditionExpression": "lookup_key = :partition",
            "ExpressionAttributeValues": {":partition": to_attribute(partition)},
        }
        if after is not None:
            params["ExclusiveStartKey"] = to_item(
                {**keys.credit_key(tenant, customer_id, after), "lookup_key": partition, "lookup_sort": after}
            )
        return _page(params, limit)
    params = {
        "TableName": table_name(),
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
        "ExpressionAttributeValues": {
            ":pk": to_attribute(keys.customer_pk(tenant, customer_id)),
            ":prefix": to_attribute(keys.CREDIT_SK_PREFIX),
        },
        "ConsistentRead": True,
    }
    if after is not None:
        params["ExclusiveStartKey"] = to_item(keys.credit_key(tenant, customer_id, after))
    return _page(params, limit)


# ---------------------------------------------------------------- writes


@dataclass(frozen=True)
class RecordWrite:
    """An order or credit as it must be after the write; `expected_version` None for a new one.

    `listed` puts it in its sparse list (unpaid orders, open credits) or takes it out.
    """

    record: dict[str, Any]
    expected_version: int | None
    listed: bool


@dataclass
class LedgerWrite:
    """Everything one ledger write changes in a customer's partition, committed as one transaction."""

    customer_id: str
    # The customer must exist and, when set, be in this organization (else ConditionNotMet("customer")).
    organization_id: str | None = None
    orders: list[RecordWrite] = field(default_factory=list)
    credits: list[RecordWrite] = field(default_factory=list)
    fulfillments: list[RecordWrite] = field(default_factory=list)
    new_allocations: list[dict[str, Any]] = field(default_factory=list)
    removed_allocations: list[str] = field(default_factory=list)
    order_number: str | None = None  # a new order's number: its guard is taken
    orders_added: int = 0
    credits_added: int = 0
    lifetime_cents: dict[str, int] = field(default_factory=dict)  # attribute name -> cents added


def _record_item(tenant: str, key: dict[str, str], entity: str, write: RecordWrite, list_key: str) -> dict[str, Any]:
    item = {**key, "entity": entity, **write.record}
    if write.listed:
        item["lookup_key"] = list_key
        item["lookup_sort"] = unpaid_sort(write.record) if entity == ORDER_ENTITY else write.record["id"]
    return item


def _put_record(unit: Transaction, item: dict[str, Any], tag: str, expected_version: int | None) -> None:
    if expected_version is None:
        unit.put(item, tag=tag, condition="attribute_not_exists(pk)")
    else:
        condition, names, values = "#version = :expected", {"#version": "version"}, {":expected": expected_version}
        unit.put(item, tag=tag, condition=condition, names=names, values=values)


def _customer_action(unit: Transaction, tenant: str, write: LedgerWrite) -> None:
    condition = "attribute_exists(pk)"
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    if write.organization_id is not None:
        condition += " AND #organization = :organization"
        names["#organization"] = "organization_id"
        values[":organization"] = write.organization_id
    additions = {ORDERS_COUNTER: write.orders_added, CREDITS_COUNTER: write.credits_added, **write.lifetime_cents}
    additions = {name: amount for name, amount in additions.items() if amount}
    key = keys.customer_key(tenant, write.customer_id)
    if not additions:
        unit.check(key, tag="customer", condition=condition, names=names or None, values=values or None)
        return
    clauses = []
    for position, (name, amount) in enumerate(sorted(additions.items())):
        names[f"#a{position}"] = name
        values[f":a{position}"] = amount
        clauses.append(f"#a{position} :a{position}")
    unit.update(
        key, tag="customer", update="ADD " + ", ".join(clauses), condition=condition, names=names, values=values
    )


def commit(tenant: str, write: LedgerWrite) -> None:
    """Write everything in one TransactWriteItems.

    Raises ConditionNotMet("customer") when the customer is gone or out of the organization,
    UniqueValueTaken("number", holder order id) when the order number is taken, and ItemChanged(None)
    when an order, credit or allocation is not as read (another write came first: read again).
    """
    customer_id = write.customer_id
    unit = Transaction()
    _customer_action(unit, tenant, write)
    for order in write.orders:
        order_id = order.record["id"]
        key = keys.order_key(tenant, customer_id, order_id)
        item = _record_item(tenant, key, ORDER_ENTITY, order, keys.unpaid_orders(tenant, customer_id))
        _put_record(unit, item, f"order:{order_id}", order.expected_version)
        if order.expected_version is None:
            _put_pointer(unit, tenant, customer_id, order_id)
    for credit in write.credits:
        credit_id = credit.record["id"]
        key = keys.credit_key(tenant, customer_id, credit_id)
        item = _record_item(tenant, key, CREDIT_ENTITY, credit, keys.open_credits(tenant, customer_id))
        _put_record(unit, item, f"credit:{credit_id}", credit.expected_version)
        if credit.expected_version is None:
            _put_pointer(unit, tenant, customer_id, credit_id, allocations={})
    _record_allocation_orders(unit, tenant, write)
    for fulfillment in write.fulfillments:
        record = fulfillment.record
        item = {
            **keys.fulfillment_key(tenant, customer_id, record["order_id"], record["id"]),
            "entity": FULFILLMENT_ENTITY,
            **record,
            **fulfillment_index_attributes(tenant, record),
        }
        _put_record(unit, item, f"fulfillment:{record['id']}", fulfillment.expected_version)
        if fulfillment.expected_version is None:
            _put_pointer(unit, tenant, customer_id, record["id"], order_id=record["order_id"])
    for allocation in write.new_allocations:
        item = {**keys.allocation_key(tenant, customer_id, allocation["id"]), "entity": ALLOCATION_ENTITY, **allocation}
        unit.put(item, tag=f"allocation:{allocation['id']}", condition="attribute_not_exists(pk)")
    for allocation_id in write.removed_allocations:
        unit.delete(
            keys.allocation_key(tenant, customer_id, allocation_id),
            tag=f"allocation:{allocation_id}",
            condition="attribute_exists(pk)",
        )
    if write.order_number is not None:
        order_id = write.orders[0].record["id"]
        unit.put(
            {
                **keys.guard_key(tenant, "order_number", (write.order_number,)),
                "entity": "guard",
                "field": "number",
                "order_id": order_id,
                "customer_id": customer_id,
            },
            tag="guard",
            condition="attribute_not_exists(pk)",
            return_old=True,
        )
    try:
        unit.execute()
    except TransactionCancelled as cancelled:
        lost = [failure for failure in cancelled.failures if failure.code == "ConditionalCheckFailed"]
        if not lost:
            # Only concurrent transactions on the same items, still after the retries: busy, not wrong.
            raise StoreUnavailable("TransactionConflict") from None
        tags = {failure.tag for failure in lost}
        if "customer" in tags:
            raise ConditionNotMet("customer") from None
        guard = cancelled.failure("guard")
        if guard is not None and "guard" in tags:
            raise UniqueValueTaken("number", (guard.item or {}).get("order_id")) from None
        raise ItemChanged(None) from None


def _record_allocation_orders(unit: Transaction, tenant: str, write: LedgerWrite) -> None:
    """A credit's pointer maps its allocations to their orders (`allocations`), so an unallocation
    knows every key it needs after reading the pointer: one BatchGetItem reads the rest."""
    if not (write.new_allocations or write.removed_allocations) or not write.credits:
        return
    credit_id = write.credits[0].record["id"]
    names: dict[str, str] = {"#allocations": "allocations"}
    values: dict[str, Any] = {}
    assignments, removals = [], []
    for position, allocation in enumerate(write.new_allocations):
        names[f"#n{position}"] = allocation["id"]
        values[f":n{position}"] = allocation["order_id"]
        assignments.append(f"#allocations.#n{position} = :n{position}")
    for position, allocation_id in enumerate(write.removed_allocations):
        names[f"#r{position}"] = allocation_id
        removals.append(f"#allocations.#r{position}")
    update = ("SET " + ", ".join(assignments) if assignments else "") + (
        " REMOVE " + ", ".join(removals) if removals else ""
    )
    unit.update(
        keys.record_pointer_key(tenant, credit_id),
        tag=f"pointer:{credit_id}",
        update=update.strip(),
        condition="attribute_exists(#allocations)",
        names=names,
        values=values or None,
    )


def _put_pointer(
    unit: Transaction,
    tenant: str,
    customer_id: str,
    record_id: str,
    *,
    order_id: str | None = None,
    allocations: dict[str, str] | None = None,
) -> None:
    unit.put(
        {
            **keys.record_pointer_key(tenant, record_id),
            "entity": POINTER_ENTITY,
            "customer_id": customer_id,
            "order_id": order_id,
            "allocations": allocations,
        },
        tag=f"pointer:{record_id}",
        condition="attribute_not_exists(pk)",
    )


# ---------------------------------------------------------------- fulfillments


def fulfillment_sort(record: dict[str, Any]) -> str:
    return keys.sort_value(record["created_at"], record["id"])


def fulfillment_index_attributes(tenant: str, record: dict[str, Any]) -> dict[str, Any]:
    """A fulfillment sits in three overloaded indexes, all sorted by (created_at, id): the tenant's
    (tenant-created), the tenant's of its status (org-created), and its customer's (lookup)."""
    sort = fulfillment_sort(record)
    return {
        "tenant_list": keys.tenant_fulfillments(tenant),
        "org_list": keys.tenant_fulfillments(tenant, record["status"]),
        "sort_created": sort,
        "lookup_key": keys.customer_fulfillments(tenant, record["customer_id"]),
        "lookup_sort": sort,
    }


def order_fulfillments_page(tenant: str, customer_id: str, order_id: str, after: str | None, limit: int) -> Page:
    """Up to `limit` of the order's fulfillments, oldest first, after the fulfillment id `after` (one Query)."""
    params: dict[str, Any] = {
        "TableName": table_name(),
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
        "ExpressionAttributeValues": {
            ":pk": to_attribute(keys.customer_pk(tenant, customer_id)),
            ":prefix": to_attribute(f"{keys.FULFILLMENT_SK_PREFIX}{order_id}#"),
        },
        "ConsistentRead": True,
    }
    if after is not None:
        params["ExclusiveStartKey"] = to_item(keys.fulfillment_key(tenant, customer_id, order_id, after))
    return _page(params, limit)


def fulfillments_query(
    tenant: str, status: str | None, customer_id: str | None, organization_id: str | None
) -> IndexQuery:
    """The tenant's fulfillments newest first: by customer (lookup index, status as a filter within the
    customer's), by status (org-created), or all (tenant-created); organization-scoped callers filter on
    the organization the fulfillment's customer had when it was created."""
    conditions, names, values = [], {}, {}
    if organization_id is not None:
        conditions.append("#organization = :organization")
        names["#organization"] = "organization_id"
        values[":organization"] = organization_id
    if customer_id is not None:
        if status is not None:
            conditions.append("#status = :status")
            names["#status"] = "status"
            values[":status"] = status
        index, partition_attribute, sort_attribute = "lookup", "lookup_key", "lookup_sort"
        partition = keys.customer_fulfillments(tenant, customer_id)
    elif status is not None:
        index, partition_attribute, sort_attribute = "org-created", "org_list", "sort_created"
        partition = keys.tenant_fulfillments(tenant, status)
    else:
        index, partition_attribute, sort_attribute = "tenant-created", "tenant_list", "sort_created"
        partition = keys.tenant_fulfillments(tenant)
    return IndexQuery(
        index=index,
        partition_attribute=partition_attribute,
        sort_attribute=sort_attribute,
        partitions=(partition,),
        descending=True,
        filter=Condition(" AND ".join(conditions), names, values) if conditions else None,
    )


def fulfillments_page(
    query: IndexQuery, positions: list[Any], limit: int
) -> tuple[list[dict[str, Any]], list[Any], bool]:
    page = read_page(query, positions, limit)
    return [_plain(item) for item in page.items], page.positions, page.has_more
