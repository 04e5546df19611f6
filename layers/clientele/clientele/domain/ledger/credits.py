"""Sales credits and their allocations to orders (API.md §10, seed 003's open credits / allocate / unallocate).

An allocation is all or nothing: one transaction puts the allocation items and the credit and every
order as they must be after it, each conditioned on the version that was read and checked. Two
allocations racing for the same credit or order: the second one's transaction fails, it reads again
and checks the rules against what the first left (so it succeeds if it still fits, else 422).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from clientele.domain.kernel import clock, ids
from clientele.domain.kernel.errors import AllocationRejected, FieldError, NotFound, ServiceUnavailable
from clientele.domain.kernel.fields import Currency, PositiveMoney, Text
from clientele.domain.kernel.principal import Principal
from clientele.domain.kernel.validation import pointer, read_only_errors, validate
from clientele.domain.ledger import access
from clientele.domain.ledger.money import cents, money
from clientele.domain.ledger.orders import order_view, payment_status, unpaid
from clientele.observability import count
from clientele.store.kernel.errors import ConditionNotMet, ItemChanged
from clientele.store.ledger import items as store

MAX_ALLOCATIONS = 25
CREDIT_READ_ONLY = ("id", "allocated", "remaining", "payment_status", "created_at")
CREDIT_ATTRIBUTES = (
    "id",
    "customer_id",
    "currency",
    "amount",
    "allocated",
    "remaining",
    "payment_status",
    "reason",
    "created_at",
)
ALLOCATION_ATTRIBUTES = ("id", "credit_id", "order_id", "amount", "created_at")


class SalesCreditCreation(BaseModel):
    """Body of POST /v1/sales-credits."""

    model_config = ConfigDict(extra="forbid", strict=True)

    customer_id: Annotated[str, Text(64)]
    currency: Currency
    amount: PositiveMoney
    reason: Annotated[str, Text(255)] | None = None


class AllocationEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    order_id: Annotated[str, Text(64)]
    amount: PositiveMoney


class AllocationRequest(BaseModel):
    """Body of POST /v1/sales-credits/{credit_id}/allocations."""

    model_config = ConfigDict(extra="forbid", strict=True)

    allocations: Annotated[list[AllocationEntry], Field(min_length=1, max_length=MAX_ALLOCATIONS)]


class CreditListQuery(BaseModel):
    """Query parameters of GET /v1/customers/{customer_id}/sales-credits."""

    model_config = ConfigDict(extra="ignore")

    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: StrictStr | None = None
    status: Literal["open", "all"] = Field("all", description="open: something remaining; all (default)")


def credit_view(credit: dict[str, Any]) -> dict[str, Any]:
    return {name: credit.get(name) for name in CREDIT_ATTRIBUTES}


def allocation_view(allocation: dict[str, Any]) -> dict[str, Any]:
    return {name: allocation[name] for name in ALLOCATION_ATTRIBUTES}


def credit_status(amount: int, allocated: int) -> Literal["open", "partially_paid", "paid"]:
    if allocated <= 0:
        return "open"
    return "paid" if allocated >= amount else "partially_paid"


def _credit_after(credit: dict[str, Any], allocated: int, now: str) -> dict[str, Any]:
    amount = cents(credit["amount"])
    return {
        **credit,
        "allocated": money(allocated),
        "remaining": money(amount - allocated),
        "payment_status": credit_status(amount, allocated),
        "updated_at": now,
        "version": credit["version"] + 1,
    }


def _order_after(order: dict[str, Any], payments: list[dict[str, Any]], now: str) -> dict[str, Any]:
    total = cents(order["total"])
    paid = sum(cents(payment["amount"]) for payment in payments)
    return {
        **order,
        "payments": payments,
        "amount_paid": money(paid),
        "balance": money(total - paid),
        "payment_status": payment_status(total, paid),
        "updated_at": now,
        "version": order["version"] + 1,
    }


# ---------------------------------------------------------------- credits


def create(principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    """One transaction: the credit, its id pointer, and the customer's `sales_credits_count` (the
    customer's existence and organization are the transaction's condition: no read)."""
    errors = read_only_errors(body, CREDIT_READ_ONLY)
    fields = validate(
        SalesCreditCreation, {k: v for k, v in body.items() if k not in CREDIT_READ_ONLY}, extra_errors=errors
    )
    if not ids.is_customer_id(fields.customer_id):
        raise access.not_found("customer", fields.customer_id)
    now = clock.now_timestamp()
    credit = {
        "id": ids.new_id("crd"),
        "customer_id": fields.customer_id,
        "currency": fields.currency,
        "amount": fields.amount,
        "allocated": "0.00",
        "remaining": fields.amount,
        "payment_status": "open",
        "reason": fields.reason,
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }
    write = store.LedgerWrite(
        customer_id=fields.customer_id,
        organization_id=principal.organization_id,
        credits=[store.RecordWrite(credit, None, listed=True)],
        credits_added=1,
    )
    try:
        store.commit(principal.tenant_id, write)
    except ConditionNotMet:
        raise access.not_found("customer", fields.customer_id) from None
    count("SalesCreditsCreated")
    return credit_view(credit)


def _load_credit(
    principal: Principal, credit_id: str, *, allocation_id: str | None = None, **more: Any
) -> tuple[dict[str, Any], store.Bundle]:
    """The credit (and `more` of its customer's partition) after its pointer; with `allocation_id`, also that
    allocation and its order, which the pointer names (one BatchGetItem for all of them)."""
    if not ids.CREDIT_ID.fullmatch(credit_id):
        raise access.not_found("sales credit", credit_id)
    found_pointer = store.pointer(principal.tenant_id, credit_id)
    if found_pointer is None:
        raise access.not_found("sales credit", credit_id)
    customer_id = found_pointer["customer_id"]
    if allocation_id is not None:
        more["allocations"] = [allocation_id]
        order_id = (found_pointer.get("allocations") or {}).get(allocation_id)
        more["orders"] = [order_id] if order_id else []
    found = access.bundle(principal, customer_id, credits=[credit_id], **more)
    credit = found.credits.get(credit_id)
    if credit is None or not access.visible(principal, found):
        raise access.not_found("sales credit", credit_id)
    return credit, found


def get(principal: Principal, credit_id: str) -> dict[str, Any]:
    return credit_view(_load_credit(principal, credit_id)[0])


def list_credits(principal: Principal, customer_id: str, query: CreditListQuery) -> dict[str, Any]:
    """The customer's credits in creation order: all, or those with something remaining (a Query each)."""
    access.check_customer(principal, customer_id)
    binding = {"list": "sales_credits", "tenant": principal.tenant_id, "customer": customer_id, "status": query.status}
    after = access.cursor_position(query.cursor, binding)
    page = store.credits_page(principal.tenant_id, customer_id, query.status == "open", after, query.limit)
    position = page.items[-1]["id"] if page.has_more and page.items else None
    return {
        "data": [credit_view(credit) for credit in page.items],
        "has_more": page.has_more,
        "next_cursor": access.next_cursor(position, binding),
    }


# ---------------------------------------------------------------- allocate


def _rule_errors(
    credit: dict[str, Any], entries: list[AllocationEntry], orders: dict[str, dict[str, Any]]
) -> list[FieldError]:
    errors: list[FieldError] = []
    seen: set[str] = set()
    remaining = cents(credit["remaining"])
    running = 0
    for index, entry in enumerate(entries):
        at_order = pointer(["allocations", index, "order_id"])
        at_amount = pointer(["allocations", index, "amount"])
        order = orders.get(entry.order_id)
        amount = cents(entry.amount)
        if entry.order_id in seen:
            errors.append(
                FieldError("duplicate_order", "names an order already allocated to in this request", at_order)
            )
            continue
        seen.add(entry.order_id)
        if order is None:
            errors.append(FieldError("unknown_order", "is not an order of the credit's customer", at_order))
            continue
        if order["status"] != "open":
            errors.append(FieldError("order_not_open", "is a cancelled order", at_order))
        elif order["currency"] != credit["currency"]:
            errors.append(
                FieldError(
                    "currency_mismatch",
                    f"is an order in {order['currency']}, the credit is in {credit['currency']}",
                    at_order,
                )
            )
        elif amount > cents(order["balance"]):
            errors.append(
                FieldError("exceeds_balance", f"is more than the order's balance, {order['balance']}", at_amount)
            )
        running += amount
        if running > remaining:
            errors.append(
                FieldError(
                    "exceeds_remaining",
                    f"takes the allocations past the credit's remaining {credit['remaining']}",
                    at_amount,
                )
            )
    return errors


def allocate(principal: Principal, credit_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """All or nothing: one BatchGetItem (credit and orders) and one transaction; again on a lost race."""
    request = validate(AllocationRequest, body)
    order_ids = [entry.order_id for entry in request.allocations]
    for _ in range(access.WRITE_ATTEMPTS):
        credit, found = _load_credit(principal, credit_id, orders=[o for o in order_ids if ids.ORDER_ID.fullmatch(o)])
        errors = _rule_errors(credit, request.allocations, found.orders)
        if errors:
            raise AllocationRejected(errors)
        now = clock.now_timestamp()
        allocations, orders = [], []
        for entry in request.allocations:
            allocation = {
                "id": ids.new_id("alc"),
                "customer_id": credit["customer_id"],
                "credit_id": credit_id,
                "order_id": entry.order_id,
                "amount": entry.amount,
                "created_at": now,
            }
            allocations.append(allocation)
            order = found.orders[entry.order_id]
            payment = {
                "type": "credit",
                "allocation_id": allocation["id"],
                "credit_id": credit_id,
                "amount": entry.amount,
                "created_at": now,
            }
            orders.append((order, _order_after(order, [*order.get("payments", []), payment], now)))
        allocated = cents(credit["allocated"]) + sum(cents(entry.amount) for entry in request.allocations)
        credit_after = _credit_after(credit, allocated, now)
        write = store.LedgerWrite(
            customer_id=credit["customer_id"],
            credits=[store.RecordWrite(credit_after, credit["version"], listed=cents(credit_after["remaining"]) > 0)],
            orders=[store.RecordWrite(after, before["version"], listed=unpaid(after)) for before, after in orders],
            new_allocations=allocations,
        )
        try:
            store.commit(principal.tenant_id, write)
        except ItemChanged:
            continue
        except ConditionNotMet:
            raise access.not_found("sales credit", credit_id) from None
        count("SalesCreditsAllocated")
        return {
            "allocations": [allocation_view(allocation) for allocation in allocations],
            "credit": credit_view(credit_after),
            "orders": [order_view(after) for _, after in orders],
        }
    raise ServiceUnavailable("the credit or its orders kept changing while they were allocated; retry")


def unallocate(principal: Principal, credit_id: str, allocation_id: str) -> dict[str, Any]:
    """Remove the allocation and its payment on the order; both payment_status values follow."""
    if not ids.ALLOCATION_ID.fullmatch(allocation_id):
        raise NotFound(f"allocation {allocation_id!r} not found for this credit")
    for _ in range(access.WRITE_ATTEMPTS):
        credit, found = _load_credit(principal, credit_id, allocation_id=allocation_id)
        allocation = found.allocations.get(allocation_id)
        if allocation is None or allocation["credit_id"] != credit_id:
            raise NotFound(f"allocation {allocation_id!r} not found for this credit")
        order = found.orders.get(allocation["order_id"])
        if order is None:  # the pointer did not name it: read it
            order = store.read_bundle(
                principal.tenant_id, credit["customer_id"], orders=[allocation["order_id"]]
            ).orders[allocation["order_id"]]
        now = clock.now_timestamp()
        payments = [p for p in order.get("payments", []) if p["allocation_id"] != allocation_id]
        order_after = _order_after(order, payments, now)
        credit_after = _credit_after(credit, cents(credit["allocated"]) - cents(allocation["amount"]), now)
        write = store.LedgerWrite(
            customer_id=credit["customer_id"],
            credits=[store.RecordWrite(credit_after, credit["version"], listed=cents(credit_after["remaining"]) > 0)],
            orders=[store.RecordWrite(order_after, order["version"], listed=unpaid(order_after))],
            removed_allocations=[allocation_id],
        )
        try:
            store.commit(principal.tenant_id, write)
        except ItemChanged:
            continue
        except ConditionNotMet:
            raise access.not_found("sales credit", credit_id) from None
        count("SalesCreditsUnallocated")
        return {"credit": credit_view(credit_after), "order": order_view(order_after)}
    raise ServiceUnavailable("the credit or its order kept changing while it was unallocated; retry")
