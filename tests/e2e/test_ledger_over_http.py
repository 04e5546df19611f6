"""The sales ledger through the local runner over real HTTP: scopes, and races on real threads.

Each race is run for several trials; every trial must end with exactly one winner and balances
that add up (nothing allocated twice, nothing lost).
"""

from __future__ import annotations

import itertools
import uuid
from collections import Counter
from decimal import Decimal
from typing import Any

import requests

from tests.e2e.concurrency import race

TRIALS = 5
_numbers = itertools.count(1)


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Ledger:
    def __init__(self, runner: Any) -> None:
        self.url = runner.url
        self.token = runner.token(tenant=f"e2e-ledger-{uuid.uuid4().hex[:10]}")

    def post(self, path: str, body: dict[str, Any] | None = None) -> requests.Response:
        return requests.post(f"{self.url}{path}", json=body, headers=_headers(self.token), timeout=60)

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        reply = requests.get(f"{self.url}{path}", params=params, headers=_headers(self.token), timeout=60)
        assert reply.status_code == 200, reply.text
        return reply.json()

    def customer(self) -> str:
        reply = self.post("/v1/customers", {"name": f"Raced {uuid.uuid4().hex[:6]}"})
        assert reply.status_code == 201, reply.text
        return reply.json()["id"]

    def order(self, customer_id: str, total: str) -> str:
        body = {
            "customer_id": customer_id,
            "number": f"E2E-{uuid.uuid4().hex[:8]}-{next(_numbers)}",
            "order_date": "2026-11-01",
            "currency": "USD",
            "total": total,
        }
        reply = self.post("/v1/sales-orders", body)
        assert reply.status_code == 201, reply.text
        return reply.json()["id"]

    def credit(self, customer_id: str, amount: str) -> str:
        reply = self.post("/v1/sales-credits", {"customer_id": customer_id, "currency": "USD", "amount": amount})
        assert reply.status_code == 201, reply.text
        return reply.json()["id"]

    def allocate(self, credit_id: str, order_id: str, amount: str) -> requests.Response:
        body = {"allocations": [{"order_id": order_id, "amount": amount}]}
        return self.post(f"/v1/sales-credits/{credit_id}/allocations", body)


def test_the_ledger_routes_need_the_ledger_scopes(runner):
    ledger = Ledger(runner)
    customer_id = ledger.customer()
    order_id = ledger.order(customer_id, "10")
    tenant_token = ledger.token
    reader = runner.token(tenant=_tenant_of(runner, tenant_token), scope="ledger:read")
    customers_only = runner.token(tenant=_tenant_of(runner, tenant_token), scope="customer:read customer:create")

    body = {"customer_id": customer_id, "currency": "USD", "amount": "1"}
    denied_write = requests.post(f"{runner.url}/v1/sales-credits", json=body, headers=_headers(reader), timeout=30)
    denied_read = requests.get(f"{runner.url}/v1/sales-orders/{order_id}", headers=_headers(customers_only), timeout=30)
    allowed = requests.get(f"{runner.url}/v1/sales-orders/{order_id}", headers=_headers(reader), timeout=30)

    assert [denied_write.status_code, denied_read.status_code, allowed.status_code] == [403, 403, 200]


def _tenant_of(runner: Any, token: str) -> str:
    import jwt

    return jwt.decode(token, options={"verify_signature": False})["tenant_id"]


def test_racing_allocations_of_one_credit_have_one_winner(runner):
    ledger = Ledger(runner)
    customer_id = ledger.customer()
    for trial in range(TRIALS):
        credit_id = ledger.credit(customer_id, "10")
        orders = [ledger.order(customer_id, "10") for _ in range(2)]

        replies = race(2, lambda i, credit_id=credit_id, orders=orders: ledger.allocate(credit_id, orders[i], "8"))

        assert Counter(reply.status_code for reply in replies) == {201: 1, 422: 1}, (trial, [r.text for r in replies])
        loser = next(reply for reply in replies if reply.status_code == 422).json()
        assert loser["type"] == "/problems/allocation-rejected"
        assert loser["errors"][0]["code"] == "exceeds_remaining"
        credit = ledger.get(f"/v1/sales-credits/{credit_id}")
        assert (credit["allocated"], credit["remaining"], credit["payment_status"]) == (
            "8.00",
            "2.00",
            "partially_paid",
        )
        balances = sorted(ledger.get(f"/v1/sales-orders/{order_id}")["balance"] for order_id in orders)
        assert balances == ["10.00", "2.00"], trial


def test_racing_allocations_to_one_order_never_overpay_it(runner):
    ledger = Ledger(runner)
    customer_id = ledger.customer()
    for trial in range(TRIALS):
        order_id = ledger.order(customer_id, "10")
        credits = [ledger.credit(customer_id, "10") for _ in range(2)]

        replies = race(2, lambda i, credits=credits, order_id=order_id: ledger.allocate(credits[i], order_id, "6"))

        assert Counter(reply.status_code for reply in replies) == {201: 1, 422: 1}, (trial, [r.text for r in replies])
        order = ledger.get(f"/v1/sales-orders/{order_id}")
        assert (order["amount_paid"], order["balance"], len(order["payments"])) == ("6.00", "4.00", 1)
        remaining = sorted(ledger.get(f"/v1/sales-credits/{credit_id}")["remaining"] for credit_id in credits)
        assert remaining == ["10.00", "4.00"], trial


def test_an_allocation_racing_an_order_cancel_has_one_winner(runner):
    ledger = Ledger(runner)
    customer_id = ledger.customer()
    outcomes = Counter()
    for trial in range(TRIALS * 2):
        order_id = ledger.order(customer_id, "10")
        credit_id = ledger.credit(customer_id, "10")

        def act(index: int, order_id: str = order_id, credit_id: str = credit_id) -> requests.Response:
            if index == 0:
                return ledger.allocate(credit_id, order_id, "10")
            return ledger.post(f"/v1/sales-orders/{order_id}/cancel")

        allocation, cancel = race(2, act)
        order = ledger.get(f"/v1/sales-orders/{order_id}")
        credit = ledger.get(f"/v1/sales-credits/{credit_id}")
        if allocation.status_code == 201:
            assert cancel.status_code == 409 and cancel.json()["type"] == "/problems/order-has-allocations", trial
            assert (order["status"], order["balance"], credit["remaining"]) == ("open", "0.00", "0.00")
            outcomes["allocated"] += 1
        else:
            assert allocation.status_code == 422 and cancel.status_code == 200, (allocation.text, cancel.text)
            assert allocation.json()["errors"][0]["code"] == "order_not_open"
            assert (order["status"], order["payments"], credit["remaining"]) == ("cancelled", [], "10.00")
            outcomes["cancelled"] += 1
    assert sum(outcomes.values()) == TRIALS * 2


def test_racing_fulfillments_of_one_line_have_one_winner(runner):
    ledger = Ledger(runner)
    customer_id = ledger.customer()
    for trial in range(TRIALS):
        body = {
            "customer_id": customer_id,
            "number": f"E2E-F-{uuid.uuid4().hex[:8]}",
            "order_date": "2026-11-01",
            "currency": "USD",
            "lines": [{"description": "Raced line", "quantity": 5, "unit_price": "1.00"}],
        }
        created = ledger.post("/v1/sales-orders", body)
        assert created.status_code == 201, created.text
        order_id, line_id = created.json()["id"], created.json()["lines"][0]["id"]

        def ship(index: int, order_id: str = order_id, line_id: str = line_id) -> requests.Response:
            return ledger.post(
                f"/v1/sales-orders/{order_id}/fulfillments", {"lines": [{"line_id": line_id, "quantity": 3}]}
            )

        replies = race(2, ship)

        assert Counter(reply.status_code for reply in replies) == {201: 1, 422: 1}, (trial, [r.text for r in replies])
        loser = next(reply for reply in replies if reply.status_code == 422).json()
        assert [(e["pointer"], e["code"]) for e in loser["errors"]] == [("/lines/0/quantity", "over_fulfilled")]
        order = ledger.get(f"/v1/sales-orders/{order_id}")
        assert order["lines"][0]["fulfilled_quantity"] == 3 and order["fulfillment_status"] == "partially_fulfilled"
        listed = ledger.get(f"/v1/sales-orders/{order_id}/fulfillments")["data"]
        assert [f["lines"][0]["quantity"] for f in listed] == [3], trial


def test_racing_creates_of_one_order_number_have_one_winner(runner):
    ledger = Ledger(runner)
    customers = [ledger.customer(), ledger.customer()]
    for trial in range(TRIALS):
        number = f"E2E-N-{uuid.uuid4().hex[:8]}"

        def create(index: int, number: str = number) -> requests.Response:
            body = {
                "customer_id": customers[index],
                "number": number,
                "order_date": "2026-11-01",
                "currency": "USD",
                "total": "3.00",
            }
            return ledger.post("/v1/sales-orders", body)

        replies = race(2, create)

        assert Counter(reply.status_code for reply in replies) == {201: 1, 409: 1}, (trial, [r.text for r in replies])
        winner = next(reply for reply in replies if reply.status_code == 201).json()
        loser = next(reply for reply in replies if reply.status_code == 409).json()
        assert loser["conflict"] == {"field": "number", "existing_id": winner["id"]}
    values = [ledger.get(f"/v1/customers/{customer_id}")["lifetime_value"] for customer_id in customers]
    # The losers wrote nothing: the lifetime values add up to the winners' totals.
    assert sum(Decimal(value) for value in values) == Decimal("3.00") * TRIALS
