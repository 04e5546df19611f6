"""Fulfillments (API.md §10): shipments of some of an order's lines, which §13 sends to Starshipit.

A fulfillment's creation and its cancellation change the order's `fulfilled_quantity` values and
`fulfillment_status` in the same transaction, conditioned on the order's version: quantities are
always checked against the order as it is, so two fulfillments that fit only one at a time give
one 201 and one 422. A fulfillment's own writes (PATCH) are conditioned on its version (If-Match).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from clientele.domain.customers.addresses import AddressFields
from clientele.domain.kernel import clock, cursors, ids, merge_patch
from clientele.domain.kernel.errors import (
    FieldError,
    FulfillmentCancelled,
    MalformedRequest,
    OrderCancelled,
    PreconditionFailed,
    PreconditionRequired,
    ServiceUnavailable,
    ValidationFailed,
)
from clientele.domain.kernel.etags import IfMatch, etag_for
from clientele.domain.kernel.fields import PositiveDecimal3, Text
from clientele.domain.kernel.principal import Principal
from clientele.domain.kernel.validation import pointer, read_only_errors, validate
from clientele.domain.ledger import access
from clientele.domain.ledger.orders import load_visible as load_visible_order
from clientele.domain.ledger.orders import unpaid
from clientele.observability import count
from clientele.secrets import cursor_signing_key
from clientele.store.kernel.errors import ConditionNotMet, ItemChanged
from clientele.store.ledger import items as store

FULFILLMENT_ID = ids.id_pattern("ful")
MAX_LINES = 250
MAX_PACKAGES = 50
PATCHABLE = ("packages", "carrier", "service_code", "reference", "ship_to")
READ_ONLY = (
    "id",
    "order_id",
    "order_number",
    "customer_id",
    "status",
    "starshipit",
    "version",
    "etag",
    "created_at",
    "updated_at",
)
FULFILLMENT_ATTRIBUTES = (
    "id",
    "order_id",
    "order_number",
    "customer_id",
    "status",
    "lines",
    "packages",
    "carrier",
    "service_code",
    "reference",
    "ship_to",
    "starshipit",
    "version",
    "etag",
    "created_at",
    "updated_at",
)


class FulfillmentLineFields(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    line_id: Annotated[str, Text(64)]
    quantity: Annotated[StrictInt, Field(ge=1, le=100_000)]


class PackageFields(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    weight_kg: PositiveDecimal3 | None = None
    length_m: PositiveDecimal3 | None = None
    width_m: PositiveDecimal3 | None = None
    height_m: PositiveDecimal3 | None = None


class FulfillmentShipping(BaseModel):
    """What a fulfillment's PATCH may change (a merge patch of these)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    packages: Annotated[list[PackageFields], Field(max_length=MAX_PACKAGES)] = []
    carrier: Annotated[str, Text(50)] | None = None
    service_code: Annotated[str, Text(50)] | None = None
    reference: Annotated[str, Text(50)] | None = None
    ship_to: AddressFields | None = Field(None, description="Where it goes; the order's ship_to when omitted")


class FulfillmentCreation(FulfillmentShipping):
    """Body of POST /v1/sales-orders/{order_id}/fulfillments."""

    lines: Annotated[list[FulfillmentLineFields], Field(min_length=1, max_length=MAX_LINES)] | None = Field(
        None, description="Omitted: every line's unfulfilled quantity"
    )


class FulfillmentPatch(BaseModel):
    """PATCH body (RFC 7396): absent keys stay, null clears, ship_to merges, packages are replaced."""

    model_config = ConfigDict(extra="forbid")

    packages: list[PackageFields] | None = None
    carrier: str | None = None
    service_code: str | None = None
    reference: str | None = None
    ship_to: dict[str, Any] | None = None


class FulfillmentListQuery(BaseModel):
    """Query parameters of GET /v1/fulfillments."""

    model_config = ConfigDict(extra="ignore")

    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: StrictStr | None = None
    status: Literal["pending", "submitted", "cancelled"] | None = None
    customer_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None


class OrderFulfillmentsQuery(BaseModel):
    """Query parameters of GET /v1/sales-orders/{order_id}/fulfillments."""

    model_config = ConfigDict(extra="ignore")

    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: StrictStr | None = None


def fulfillment_view(fulfillment: dict[str, Any]) -> dict[str, Any]:
    view = {name: fulfillment.get(name) for name in FULFILLMENT_ATTRIBUTES}
    view["etag"] = etag_for(fulfillment["id"], fulfillment["version"])
    return view


def fulfillment_status(lines: list[dict[str, Any]]) -> str:
    done = [int(line.get("fulfilled_quantity") or 0) for line in lines]
    if not lines or not any(done):
        return "unfulfilled"
    if all(fulfilled >= int(line["quantity"]) for fulfilled, line in zip(done, lines, strict=True)):
        return "fulfilled"
    return "partially_fulfilled"


def _order_with(order: dict[str, Any], moved: dict[str, int], open_change: int, now: str) -> dict[str, Any]:
    """The order after `moved` quantities (by line id, negative to return them) were fulfilled."""
    lines = [
        {**line, "fulfilled_quantity": int(line.get("fulfilled_quantity") or 0) + moved.get(line["id"], 0)}
        for line in order["lines"]
    ]
    return {
        **order,
        "lines": lines,
        "fulfillment_status": fulfillment_status(lines),
        "open_fulfillments": int(order.get("open_fulfillments") or 0) + open_change,
        "updated_at": now,
        "version": order["version"] + 1,
    }


# ---------------------------------------------------------------- create


def _requested(fields: FulfillmentCreation, order: dict[str, Any]) -> dict[str, int]:
    """The quantity of each line to ship (in the order's line order), or the 422 that explains why not."""
    if not order["lines"]:
        raise ValidationFailed([FieldError("order_has_no_lines", "the order has no lines to fulfill", "/lines")])
    open_quantity = {
        line["id"]: int(line["quantity"]) - int(line.get("fulfilled_quantity") or 0) for line in order["lines"]
    }
    if fields.lines is None:
        wanted = {line_id: left for line_id, left in open_quantity.items() if left > 0}
        if not wanted:
            raise ValidationFailed(
                [FieldError("over_fulfilled", "every line of the order is fulfilled already", "/lines")]
            )
        return wanted
    errors: list[FieldError] = []
    wanted = {}
    for index, line in enumerate(fields.lines):
        if line.line_id in wanted:
            errors.append(
                FieldError(
                    "duplicate_line", "names a line already in this fulfillment", pointer(["lines", index, "line_id"])
                )
            )
        elif line.line_id not in open_quantity:
            errors.append(
                FieldError("unknown_line", "is not a line of this order", pointer(["lines", index, "line_id"]))
            )
        elif line.quantity > open_quantity[line.line_id]:
            errors.append(
                FieldError(
                    "over_fulfilled",
                    f"is more than the line's unfulfilled quantity, {open_quantity[line.line_id]}",
                    pointer(["lines", index, "quantity"]),
                )
            )
        else:
            wanted[line.line_id] = line.quantity
    if errors:
        raise ValidationFailed(errors)
    return wanted


def _order_and_customer(principal: Principal, order_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The order and its customer item (one GetItem of the pointer, one BatchGetItem); 404 when not visible."""
    customer_id = access.owner(principal, ids.ORDER_ID, "sales order", order_id)
    found = access.bundle(principal, customer_id, orders=[order_id], customer=True)
    order = found.orders.get(order_id)
    if order is None or found.customer is None or not principal.can_see(found.customer.get("organization_id")):
        raise access.not_found("sales order", order_id)
    return order, found.customer


def create(principal: Principal, order_id: str, body: dict[str, Any]) -> dict[str, Any]:
    errors = read_only_errors(body, READ_ONLY)
    fields = validate(FulfillmentCreation, {k: v for k, v in body.items() if k not in READ_ONLY}, extra_errors=errors)
    for _ in range(access.WRITE_ATTEMPTS):
        order, customer = _order_and_customer(principal, order_id)
        if order["status"] == "cancelled":
            raise OrderCancelled("the order is cancelled")
        wanted = _requested(fields, order)
        now = clock.now_timestamp()
        by_id = {line["id"]: line for line in order["lines"]}
        fulfillment = {
            "id": ids.new_id("ful"),
            "order_id": order_id,
            "order_number": order["number"],
            "customer_id": order["customer_id"],
            # Organization-scoped callers' lists filter on this (the customer's organization now).
            "organization_id": customer.get("organization_id"),
            "status": "pending",
            "lines": [
                {
                    "line_id": line_id,
                    "sku": by_id[line_id].get("sku"),
                    "product_id": by_id[line_id].get("product_id"),
                    "description": by_id[line_id]["description"],
                    "quantity": quantity,
                    "unit_price": by_id[line_id]["unit_price"],
                    "weight_kg": by_id[line_id].get("weight_kg"),
                }
                for line_id, quantity in wanted.items()
            ],
            "packages": [package.model_dump() for package in fields.packages],
            "carrier": fields.carrier,
            "service_code": fields.service_code,
            "reference": fields.reference,
            "ship_to": fields.ship_to.model_dump() if fields.ship_to is not None else order.get("ship_to"),
            "starshipit": None,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        order_after = _order_with(order, wanted, 1, now)
        write = store.LedgerWrite(
            customer_id=order["customer_id"],
            orders=[store.RecordWrite(order_after, order["version"], listed=unpaid(order_after))],
            fulfillments=[store.RecordWrite(fulfillment, None, listed=True)],
        )
        try:
            store.commit(principal.tenant_id, write)
        except ItemChanged:
            continue
        except ConditionNotMet:
            raise access.not_found("sales order", order_id) from None
        count("FulfillmentsCreated")
        return fulfillment_view(fulfillment)
    raise ServiceUnavailable("the order kept changing while it was fulfilled; retry")


# ---------------------------------------------------------------- read


def _load(principal: Principal, fulfillment_id: str, *, with_order: bool = False) -> store.Bundle:
    """The fulfillment (and its order) in one BatchGetItem, after one GetItem of its pointer."""
    if not FULFILLMENT_ID.fullmatch(fulfillment_id):
        raise access.not_found("fulfillment", fulfillment_id)
    found_pointer = store.pointer(principal.tenant_id, fulfillment_id)
    if found_pointer is None or not found_pointer.get("order_id"):
        raise access.not_found("fulfillment", fulfillment_id)
    order_id = found_pointer["order_id"]
    found = access.bundle(
        principal,
        found_pointer["customer_id"],
        fulfillments=[(order_id, fulfillment_id)],
        orders=[order_id] if with_order else [],
    )
    if fulfillment_id not in found.fulfillments or not access.visible(principal, found):
        raise access.not_found("fulfillment", fulfillment_id)
    return found


def load_visible(principal: Principal, fulfillment_id: str) -> dict[str, Any]:
    return _load(principal, fulfillment_id).fulfillments[fulfillment_id]


def get(principal: Principal, fulfillment_id: str) -> dict[str, Any]:
    return fulfillment_view(load_visible(principal, fulfillment_id))


def list_for_order(principal: Principal, order_id: str, query: OrderFulfillmentsQuery) -> dict[str, Any]:
    order = load_visible_order(principal, order_id)
    binding = {"list": "order_fulfillments", "tenant": principal.tenant_id, "order": order_id}
    after = access.cursor_position(query.cursor, binding)
    page = store.order_fulfillments_page(principal.tenant_id, order["customer_id"], order_id, after, query.limit)
    position = page.items[-1]["id"] if page.has_more and page.items else None
    return {
        "data": [fulfillment_view(item) for item in page.items],
        "has_more": page.has_more,
        "next_cursor": access.next_cursor(position, binding),
    }


def list_fulfillments(principal: Principal, query: FulfillmentListQuery) -> dict[str, Any]:
    """The tenant's fulfillments newest first; `status` and `customer_id` pick the index partition read."""
    index_query = store.fulfillments_query(
        principal.tenant_id, query.status, query.customer_id, principal.organization_id
    )
    binding = {
        "list": "fulfillments",
        "tenant": principal.tenant_id,
        "scope": principal.organization_id or "*",
        "status": query.status,
        "customer": query.customer_id,
    }
    key = cursor_signing_key()
    positions: list[Any] = [None]
    if query.cursor is not None:
        positions = cursors.redeem(query.cursor, binding, key)
        if not isinstance(positions, list) or len(positions) != 1:
            raise MalformedRequest("the cursor is not one this API issued")
    items, after, has_more = store.fulfillments_page(index_query, positions, query.limit)
    return {
        "data": [fulfillment_view(item) for item in items],
        "has_more": has_more,
        "next_cursor": cursors.issue(after, binding, key) if has_more else None,
    }


# ---------------------------------------------------------------- patch, cancel


def update(
    principal: Principal, fulfillment_id: str, patch: dict[str, Any], if_match: IfMatch | None
) -> dict[str, Any]:
    if if_match is None:
        raise PreconditionRequired("this write needs an If-Match header with the fulfillment's ETag")
    current = load_visible(principal, fulfillment_id)
    if not if_match.matches(etag_for(fulfillment_id, current["version"])):
        raise PreconditionFailed("If-Match does not match the fulfillment's current ETag")
    errors = read_only_errors(patch, READ_ONLY)
    errors += [
        FieldError("read_only", "is set when the fulfillment is created", pointer([name]))
        for name in patch
        if name == "lines"
    ]
    unknown = {name: value for name, value in patch.items() if name not in READ_ONLY and name != "lines"}
    if current["status"] == "cancelled" and not errors:
        raise FulfillmentCancelled("the fulfillment is cancelled")
    shipping = {name: current.get(name) for name in PATCHABLE}
    merged = merge_patch.apply(shipping, unknown)
    fields = validate(FulfillmentShipping, merged, extra_errors=errors)
    now = clock.now_timestamp()
    after = {
        **current,
        "packages": [package.model_dump() for package in fields.packages],
        "carrier": fields.carrier,
        "service_code": fields.service_code,
        "reference": fields.reference,
        "ship_to": fields.ship_to.model_dump() if fields.ship_to is not None else None,
        "updated_at": now,
        "version": current["version"] + 1,
    }
    write = store.LedgerWrite(
        customer_id=current["customer_id"], fulfillments=[store.RecordWrite(after, current["version"], listed=True)]
    )
    try:
        store.commit(principal.tenant_id, write)
    except ItemChanged:
        raise PreconditionFailed("the fulfillment changed since it was read; fetch it again and retry") from None
    except ConditionNotMet:
        raise access.not_found("fulfillment", fulfillment_id) from None
    count("FulfillmentsUpdated")
    return fulfillment_view(after)


def cancel(principal: Principal, fulfillment_id: str) -> dict[str, Any]:
    """Cancel (idempotent): its quantities return to the order's lines in the same transaction."""
    for _ in range(access.WRITE_ATTEMPTS):
        found = _load(principal, fulfillment_id, with_order=True)
        current = found.fulfillments[fulfillment_id]
        if current["status"] == "cancelled":
            return {**fulfillment_view(current), "warnings": []}
        order = found.orders[current["order_id"]]
        now = clock.now_timestamp()
        returned = {line["line_id"]: -int(line["quantity"]) for line in current["lines"]}
        order_after = _order_with(order, returned, -1, now)
        after = {**current, "status": "cancelled", "updated_at": now, "version": current["version"] + 1}
        write = store.LedgerWrite(
            customer_id=current["customer_id"],
            orders=[store.RecordWrite(order_after, order["version"], listed=unpaid(order_after))],
            fulfillments=[store.RecordWrite(after, current["version"], listed=True)],
        )
        try:
            store.commit(principal.tenant_id, write)
        except ItemChanged:
            continue
        except ConditionNotMet:
            raise access.not_found("fulfillment", fulfillment_id) from None
        count("FulfillmentsCancelled")
        warnings = []
        if current["status"] == "submitted":
            warnings.append(
                {
                    "code": "starshipit_order_kept",
                    "message": "the fulfillment was submitted: its Starshipit order is not deleted by Clientele",
                }
            )
        return {**fulfillment_view(after), "warnings": warnings}
    raise ServiceUnavailable("the fulfillment or its order kept changing while it was cancelled; retry")
