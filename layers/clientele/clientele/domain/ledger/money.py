"""Money as the ledger computes it: whole cents (exact integers), shown as strings with two decimals."""

from __future__ import annotations

from decimal import Decimal


def cents(amount: str) -> int:
    """A validated money string ("12.5", "12.50") as cents."""
    return int(Decimal(amount) * 100)


def money(value: int) -> str:
    sign = "-" if value < 0 else ""
    return f"{sign}{abs(value) // 100}.{abs(value) % 100:02d}"
