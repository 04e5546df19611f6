"""Sales orders (API.md §10): create (lines, ship_to, number guard), get, cancel, unpaid orders.

An order lives in its customer's partition. Its creation is one transaction: the order, its id
pointer, the number's guard and the customer's counters (`sales_orders_count`, the lifetime cents of
its currency), so the counters a hard delete and `lifetime_value` read can never disagree with the
orders. Later writes are conditioned on the order's `version` (read, check, write; another write in
between makes the write read again), so no rule is ever checked against a stale order.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from clientele.domain.customers.addresses import ADDRESS_FIELDS, AddressFields
from clientele.domain.customers.links import lifetime_attribute
from clientele.domain.kernel import clock, ids
from clientele.domain.kernel.errors import (
    Conflict,
    FieldError,
    OrderHasAllocations,
    OrderHasFulfillments,
    ServiceUnavailable,
    ValidationFailed,
)
from clientele.domain.kernel.fields import CalendarDate, Currency, Money, PositiveDecimal3, Text
from clientele.domain.kernel.principal import Principal
from clientele.domain.kernel.validation import pointer, read_only_errors, validate
from clientele.domain.ledger import access
from clientele.domain.ledger.money import cents, money
from clientele.observability import count
from clientele.store.kernel.errors import ConditionNotMet, ItemChanged, UniqueValueTaken
from clientele.store.ledger import items as store

MAX_LINES = 250
ORDER_READ_ONLY = (
    "id",
    "status",
    "payment_status",
    "amount_paid",
    "balance",
    "payments",
    "customer_snapshot",
    "fulfillment_status",
    "created_at",
    "updated_at",
)
LINE_READ_ONLY = ("id", "fulfilled_quantity")
ORDER_ATTRIBUTES = (
    "id",
    "customer_id",
    "number",
    "order_date",
    "currency",
    "total",
    "status",
    "payment_status",
    "amount_paid",
    "balance",
    "payments",
    "customer_snapshot",
    "lines",
    "ship_to",
    "shipping_method",
    "fulfillment_status",
    "created_at",
    "updated_at",
)


class OrderLineFields(BaseModel):
    """One line of POST /v1/sales-orders."""

    model_config = ConfigDict(extra="forbid", strict=True)

    sku: Annotated[str, Text(100)] | None = None
    customer_sku: Annotated[str, Text(100)] | None = Field(
        None, description="The customer's own SKU: product_id comes from its SKU mapping (422 when unmapped)"
    )
    product_id: Annotated[str, Text(100)] | None = None
    description: Annotated[str, Text(255)]
    quantity: Annotated[StrictInt, Field(ge=1, le=100_000)]
    unit_price: Money = "0.00"
    weight_kg: PositiveDecimal3 | None = Field(None, description="Per unit, > 0, at most 3 decimals")


class ShipToAddressId(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    address_id: Annotated[str, Text(64)]


class SalesOrderCreation(BaseModel):
    """Body of POST /v1/sales-orders."""

    model_config = ConfigDict(extra="forbid", strict=True)

    customer_id: Annotated[str, Text(64)]
    number: Annotated[str, Text(64)] = Field(description="Unique per tenant (409 conflict naming the holder)")
    order_date: CalendarDate = Field(description="YYYY-MM-DD")
    currency: Currency
    total: Money | None = Field(None, description="Required without lines; with lines, their sum when omitted")
    lines: Annotated[list[OrderLineFields], Field(max_length=MAX_LINES)] = []
    ship_to: AddressFields | ShipToAddressId | None = Field(
        None, description="An address, or {address_id} of the customer's book; omitted: the default shipping address"
    )
    shipping_method: Annotated[str, Text(64)] | None = None


class OrderListQuery(BaseModel):
    """Query parameters of GET /v1/customers/{customer_id}/unpaid-orders."""

    model_config = ConfigDict(extra="ignore")

    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: StrictStr | None = None


def order_view(order: dict[str, Any]) -> dict[str, Any]:
    return {name: order.get(name) for name in ORDER_ATTRIBUTES}


def payment_status(total: int, paid: int) -> Literal["unpaid", "partially_paid", "paid"]:
    if paid >= total:
        return "paid"
    return "partially_paid" if paid > 0 else "unpaid"


def unpaid(order: dict[str, Any]) -> bool:
    """Listed among the customer's unpaid orders: open, with a balance."""
    return order["status"] == "open" and cents(order["balance"]) > 0


# ---------------------------------------------------------------- create


def _validated(body: dict[str, Any]) -> SalesOrderCreation:
    errors = read_only_errors(body, ORDER_READ_ONLY)
    fields = {name: value for name, value in body.items() if name not in ORDER_READ_ONLY}
    lines = fields.get("lines")
    if isinstance(lines, list):
        clean = []
        for index, line in enumerate(lines):
            if isinstance(line, dict):
                errors += [
                    FieldError("read_only", "is read-only", pointer=pointer(["lines", index, name]))
                    for name in LINE_READ_ONLY
                    if name in line
                ]
                clean.append({name: value for name, value in line.items() if name not in LINE_READ_ONLY})
            else:
                clean.append(line)
        fields["lines"] = clean
    ship_to = fields.get("ship_to")
    if isinstance(ship_to, dict) and "address_id" in ship_to:
        validate(ShipToAddressId, ship_to, at=("ship_to",), extra_errors=[])
    elif ship_to is not None:
        validate(AddressFields, ship_to, at=("ship_to",))
    return validate(SalesOrderCreation, fields, extra_errors=errors)


def _new_lines(fields: SalesOrderCreation, mappings: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    lines, errors = [], []
    for index, line in enumerate(fields.lines):
        product_id = line.product_id
        if line.customer_sku is not None:
            mapping = mappings.get(line.customer_sku)
            if mapping is None:
                errors.append(
                    FieldError(
                        "unknown_customer_sku",
                        "has no SKU mapping for this customer",
                        pointer=pointer(["lines", index, "customer_sku"]),
                    )
                )
                continue
            product_id = mapping["product_id"]
        lines.append(
            {
                "id": ids.new_id("lin"),
                "sku": line.sku,
                "customer_sku": line.customer_sku,
                "product_id": product_id,
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "weight_kg": line.weight_kg,
                "fulfilled_quantity": 0,
            }
        )
    if errors:
        raise ValidationFailed(errors)
    return lines


def _total(fields: SalesOrderCreation, lines: list[dict[str, Any]]) -> int:
    if not fields.lines:
        if fields.total is None:
            raise ValidationFailed([FieldError("required", "is required for an order without lines", "/total")])
        return cents(fields.total)
    computed: int = sum(int(line["quantity"]) * cents(line["unit_price"]) for line in lines)
    if fields.total is not None and cents(fields.total) != computed:
        raise ValidationFailed(
            [
                FieldError(
                    "total_mismatch", f"must equal the lines' sum of quantity x unit_price, {money(computed)}", "/total"
                )
            ]
        )
    return computed


def _snapshot(address: dict[str, Any]) -> dict[str, Any]:
    return {name: address.get(name) for name in ADDRESS_FIELDS}


def create(principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    """One BatchGetItem (the customer, the lines' SKU mappings, a named ship_to address), a GetItem of the
    default shipping address only when ship_to is omitted, then one transaction."""
    fields = _validated(body)
    customer_id = fields.customer_id
    if not ids.is_customer_id(customer_id):
        raise access.not_found("customer", customer_id)
    tenant = principal.tenant_id
    named_address = fields.ship_to.address_id if isinstance(fields.ship_to, ShipToAddressId) else None
    skus = [line.customer_sku for line in fields.lines if line.customer_sku is not None]
    found = store.read_bundle(
        tenant, customer_id, customer=True, skus=skus, addresses=[named_address] if named_address else []
    )
    customer = found.customer
    if customer is None or not principal.can_see(customer.get("organization_id")):
        raise access.not_found("customer", customer_id)
    lines = _new_lines(fields, found.mappings)
    total = _total(fields, lines)
    ship_to: dict[str, Any] | None
    if isinstance(fields.ship_to, AddressFields):
        ship_to = fields.ship_to.model_dump()
    elif named_address is not None:
        if named_address not in found.addresses:
            raise ValidationFailed(
                [FieldError("unknown_address", "is not an address of this customer", "/ship_to/address_id")]
            )
        ship_to = _snapshot(found.addresses[named_address])
    else:
        default_id = customer.get("default_shipping_address_id")
        default = store.load_address(tenant, customer_id, default_id) if default_id else None
        ship_to = _snapshot(default) if default else None
    now = clock.now_timestamp()
    order = {
        "id": ids.new_id("ord"),
        "customer_id": customer_id,
        "number": fields.number,
        "order_date": fields.order_date,
        "currency": fields.currency,
        "total": money(total),
        "status": "open",
        "payment_status": payment_status(total, 0),
        "amount_paid": "0.00",
        "balance": money(total),
        "payments": [],
        "customer_snapshot": {"code": customer.get("code"), "name": customer.get("name")},
        "lines": lines,
        "ship_to": ship_to,
        "shipping_method": fields.shipping_method,
        "fulfillment_status": "unfulfilled",
        "open_fulfillments": 0,
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }
    write = store.LedgerWrite(
        customer_id=customer_id,
        organization_id=principal.organization_id,
        orders=[store.RecordWrite(order, None, listed=unpaid(order))],
        order_number=fields.number,
        orders_added=1,
        lifetime_cents={lifetime_attribute(fields.currency): total},
    )
    try:
        store.commit(tenant, write)
    except ConditionNotMet:
        raise access.not_found("customer", customer_id) from None
    except UniqueValueTaken as taken:
        raise Conflict("number", taken.holder_id, f"order number {fields.number!r} is already used") from None
    count("SalesOrdersCreated")
    return order_view(order)


# ---------------------------------------------------------------- get, cancel, unpaid


def load_visible(principal: Principal, order_id: str) -> dict[str, Any]:
    """The order (strongly consistent) when the caller may see it; 404 otherwise."""
    customer_id = access.owner(principal, ids.ORDER_ID, "sales order", order_id)
    found = access.bundle(principal, customer_id, orders=[order_id])
    order = found.orders.get(order_id)
    if order is None or not access.visible(principal, found):
        raise access.not_found("sales order", order_id)
    return order


def get(principal: Principal, order_id: str) -> dict[str, Any]:
    return order_view(load_visible(principal, order_id))


def cancel(principal: Principal, order_id: str) -> dict[str, Any]:
    """Cancel an open order (idempotent): its total leaves the customer's lifetime value."""
    for _ in range(access.WRITE_ATTEMPTS):
        order = load_visible(principal, order_id)
        if order["status"] == "cancelled":
            return order_view(order)
        if order.get("payments"):
            raise OrderHasAllocations("the order has credit allocations: unallocate them first")
        if int(order.get("open_fulfillments") or 0):
            raise OrderHasFulfillments("the order has pending or submitted fulfillments: cancel them first")
        now = clock.now_timestamp()
        after = {**order, "status": "cancelled", "updated_at": now, "version": order["version"] + 1}
        write = store.LedgerWrite(
            customer_id=order["customer_id"],
            orders=[store.RecordWrite(after, order["version"], listed=False)],
            lifetime_cents={lifetime_attribute(order["currency"]): -cents(order["total"])},
        )
        try:
            store.commit(principal.tenant_id, write)
        except ItemChanged:
            continue
        except ConditionNotMet:
            raise access.not_found("sales order", order_id) from None
        count("SalesOrdersCancelled")
        return order_view(after)
    raise ServiceUnavailable("the order kept changing while it was cancelled; retry")


def unpaid_orders(principal: Principal, customer_id: str, query: OrderListQuery) -> dict[str, Any]:
    """The customer's open orders with a balance, oldest order_date first (then created_at)."""
    access.check_customer(principal, customer_id)
    binding = {"list": "unpaid_orders", "tenant": principal.tenant_id, "customer": customer_id}
    after = access.cursor_position(query.cursor, binding)
    page = store.unpaid_page(principal.tenant_id, customer_id, after, query.limit)
    data = [order_view(order) for order in page.items]
    position = store.unpaid_sort(page.items[-1]) if page.has_more and page.items else None
    return {"data": data, "has_more": page.has_more, "next_cursor": access.next_cursor(position, binding)}
