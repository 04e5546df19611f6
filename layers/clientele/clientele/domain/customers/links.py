"""Records linked to a customer (the sales ledger's orders and credits), which keep it from a hard delete.

The ledger counts them on the customer item (without touching its version), so a
delete, a bulk delete and the deletability check all read them from the customer itself.
"""

from __future__ import annotations

from typing import Any

# Linked record kind: the counter on the customer item, and the reason `deletable` gives.
LINKS = {
    "sales_orders": ("sales_orders_count", "has_sales_orders"),
    "sales_credits": ("sales_credits_count", "has_sales_credits"),
}


def link_counts(customer: dict[str, Any]) -> dict[str, int]:
    """How many records of each kind hold on to the customer."""
    return {kind: int(customer.get(counter) or 0) for kind, (counter, _) in LINKS.items()}


def link_reasons(customer: dict[str, Any]) -> list[str]:
    """Why the customer can't be deleted now (empty when it can)."""
    counts = link_counts(customer)
    return [reason for kind, (_, reason) in LINKS.items() if counts[kind]]


def links_detail(customer: dict[str, Any]) -> str | None:
    """`linked records: 2 sales orders, 1 sales credits`, or None when nothing holds on to it."""
    held = [f"{number} {kind.replace('_', ' ')}" for kind, number in link_counts(customer).items() if number]
    return f"linked records: {', '.join(held)}" if held else None


# The ledger keeps the lifetime value on the customer item too: one integer attribute of cents per
# currency (`lifetime_cents#EUR`), moved with ADD in the ledger's own transactions, so it never
# changes the customer's version and a customer write (an UpdateItem of its fields) never erases it.
LIFETIME_PREFIX = "lifetime_cents#"


def lifetime_attribute(currency: str) -> str:
    return LIFETIME_PREFIX + currency


def lifetime_totals(customer: dict[str, Any]) -> dict[str, str]:
    """The sums of the customer's non-cancelled orders by currency, as money strings."""
    totals = {}
    for name, value in customer.items():
        if name.startswith(LIFETIME_PREFIX):
            cents = int(value or 0)
            sign = "-" if cents < 0 else ""
            totals[name.removeprefix(LIFETIME_PREFIX)] = f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"
    return dict(sorted(totals.items()))
