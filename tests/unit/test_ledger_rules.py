"""Ledger rules without AWS: money in cents, payment and fulfillment states, lifetime totals."""

from __future__ import annotations

import pytest

from clientele.domain.customers.links import lifetime_attribute, lifetime_totals
from clientele.domain.ledger.credits import credit_status
from clientele.domain.ledger.fulfillments import fulfillment_status
from clientele.domain.ledger.money import cents, money
from clientele.domain.ledger.orders import payment_status


@pytest.mark.parametrize(
    ("text", "value"), [("0", 0), ("1", 100), ("12.5", 1250), ("12.05", 1205), ("9999999999999.99", 999999999999999)]
)
def test_money_strings_are_exact_cents(text, value):
    assert cents(text) == value
    assert money(value) == f"{value // 100}.{value % 100:02d}"


def test_negative_cents_show_a_sign():
    assert money(-5) == "-0.05" and money(-1250) == "-12.50"


def test_payment_states():
    assert [payment_status(1000, paid) for paid in (0, 1, 999, 1000)] == [
        "unpaid",
        "partially_paid",
        "partially_paid",
        "paid",
    ]
    assert payment_status(0, 0) == "paid"
    assert [credit_status(1000, allocated) for allocated in (0, 1, 1000)] == ["open", "partially_paid", "paid"]


def test_fulfillment_states():
    lines = [{"quantity": 2, "fulfilled_quantity": 0}, {"quantity": 1, "fulfilled_quantity": 0}]
    assert fulfillment_status(lines) == "unfulfilled"
    lines[0]["fulfilled_quantity"] = 1
    assert fulfillment_status(lines) == "partially_fulfilled"
    lines[0]["fulfilled_quantity"], lines[1]["fulfilled_quantity"] = 2, 1
    assert fulfillment_status(lines) == "fulfilled"
    assert fulfillment_status([]) == "unfulfilled"


def test_lifetime_totals_read_the_ledgers_cent_counters():
    customer = {"name": "x", lifetime_attribute("USD"): 10025, lifetime_attribute("EUR"): 0, "sales_orders_count": 3}
    assert lifetime_totals(customer) == {"EUR": "0.00", "USD": "100.25"}
    assert lifetime_totals({"name": "y"}) == {}
