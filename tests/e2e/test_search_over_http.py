"""Search through the local runner: the runner's stream poller keeps the search index (API.md §14)."""

from __future__ import annotations

import time
import uuid

import requests

FRESHNESS_BOUND_S = 5.0  # API.md §14: found by its new words within 5 seconds locally


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _search(runner, token: str, q: str) -> list[str]:
    reply = requests.get(f"{runner.url}/v1/customers", params={"q": q}, headers=_headers(token), timeout=30)
    assert reply.status_code == 200, reply.text
    assert reply.json()["sort"] == "relevance"
    return [item["name"] for item in reply.json()["data"]]


def _lag_until(runner, token: str, q: str, expected: list[str], bound: float = FRESHNESS_BOUND_S) -> float:
    started = time.monotonic()
    while _search(runner, token, q) != expected:
        assert time.monotonic() - started < bound, f"{q!r} did not list {expected} in time"
        time.sleep(0.05)
    return time.monotonic() - started


def test_a_created_and_renamed_customer_is_found_within_seconds(runner):
    token = runner.token(tenant=f"e2e-search-{uuid.uuid4().hex[:10]}")
    # Warm up: the first record starts the stream function's environment (a cold start, as in Lambda).
    requests.post(f"{runner.url}/v1/customers", json={"name": "Warm Up"}, headers=_headers(token), timeout=30)
    cold_lag = _lag_until(runner, token, "warm", ["Warm Up"], bound=60)
    created = requests.post(
        f"{runner.url}/v1/customers",
        json={"name": "Zanzibar Über Freight", "code": "ZAN-1"},
        headers=_headers(token),
        timeout=30,
    )
    assert created.status_code == 201

    created_lag = _lag_until(runner, token, "uber zanz", ["Zanzibar Über Freight"])
    assert _search(runner, token, "zan-1") == ["Zanzibar Über Freight"]

    renamed = requests.patch(
        f"{runner.url}/v1/customers/{created.json()['id']}",
        json={"name": "Quokka Haulage"},
        headers={**_headers(token), "If-Match": created.headers["ETag"]},
        timeout=30,
    )
    assert renamed.status_code == 200
    # Never found by its old words (candidates are checked against the customer as it is now).
    assert _search(runner, token, "zanzibar") == []
    renamed_lag = _lag_until(runner, token, "quok", ["Quokka Haulage"])

    print(
        f"search lag in the local runner: first record (cold) {cold_lag:.2f} s, "
        f"created {created_lag:.2f} s, renamed {renamed_lag:.2f} s"
    )
