"""The live WooCommerce customers page (API.md §13) against the fake store, started on loopback."""

from __future__ import annotations

import json
import logging
import socket
from typing import Any

import pytest

from localdev.fakes.woocommerce import FakeWooCommerce
from tests.harness import Api
from tests.integration.test_integrations import create, loopback  # noqa: F401 - the fixture is used by name

STARSHIPIT = {"api_key": "3f2a1b0c9d8e7f6a5b4c3d2e", "subscription_key": "0c1d2e3f4a5b6c7d8e9f0a1b"}


@pytest.fixture(scope="module")
def fake():
    with FakeWooCommerce(customers=250) as server:
        yield server


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch, fake, loopback):  # noqa: F811
    """Waits between tries are recorded, not slept; no fault is left over from another test."""
    from clientele.domain.integrations import client

    waited: list[float] = []
    real_send = client.send
    monkeypatch.setattr(
        client, "send", lambda call, deadline, words, **_: real_send(call, deadline, words, sleep=waited.append)
    )
    fake.state.faults.clear()
    return waited


def store(api: Api, fake, **fields: Any) -> dict[str, Any]:
    body = {
        "type": "woocommerce",
        "name": "Demo store",
        "base_url": fake.base_url,
        "credentials": fake.credentials,
        **fields,
    }
    reply = create(api, body)
    assert reply.status == 201, reply.body
    return reply.body


def browse(api: Api, instance_id: str, **query: str):
    return api.call("integrations/woocommerce_customers", path={"integration_id": instance_id}, query=query)


def test_a_page_of_the_store_with_totals_and_links(api, fake):
    instance = store(api, fake)
    linked = api.create({"name": "Olivia's Shop", "external_id": f"woo:{instance['id']}:2"}).body

    reply = browse(api, instance["id"], page="1", per_page="5")

    assert reply.status == 200, reply.body
    body = reply.body
    assert (body["page"], body["per_page"], body["total"], body["total_pages"]) == (1, 5, 250, 50)
    assert [item["woo_id"] for item in body["data"]] == [1, 2, 3, 4, 5]
    first = body["data"][0]
    woo = fake.state.customers[0]
    assert first == {
        "woo_id": 1,
        "email": woo["email"],
        "first_name": woo["first_name"],
        "last_name": woo["last_name"],
        "username": woo["username"],
        "role": woo["role"],
        "billing": woo["billing"],
        "shipping": woo["shipping"],
        "date_modified": woo["date_modified_gmt"],
        "customer_id": None,
    }
    assert body["data"][1]["customer_id"] == linked["id"]
    assert [item["customer_id"] for item in body["data"][2:]] == [None, None, None]


def test_defaults_search_and_roles(api, fake):
    everyone = store(api, fake)
    customers_only = store(api, fake, settings={"roles": "customer"})

    default = browse(api, everyone["id"]).body
    assert (default["page"], default["per_page"], len(default["data"])) == (1, 20, 20)
    narrower = browse(api, customers_only["id"]).body
    assert narrower["total"] == sum(1 for c in fake.state.customers if c["role"] == "customer") < 250
    wanted = fake.state.customers[41]["email"]
    assert [item["woo_id"] for item in browse(api, everyone["id"], search=wanted).body["data"]] == [42]
    last = browse(api, everyone["id"], page="13").body
    assert [item["woo_id"] for item in last["data"]] == list(range(241, 251))
    assert browse(api, everyone["id"], page="14").body["data"] == []


def test_bad_parameters_are_422(api, fake):
    instance = store(api, fake)

    for query in ({"per_page": "101"}, {"per_page": "0"}, {"page": "0"}, {"page": "x"}):
        reply = browse(api, instance["id"], **query)
        assert reply.status == 422, (query, reply.body)


def test_a_starshipit_instance_or_an_unknown_id_is_404(api, fake, monkeypatch):
    from clientele.domain.integrations import safety

    real = socket.getaddrinfo
    monkeypatch.setattr(
        safety.socket,
        "getaddrinfo",
        lambda host, port, *a, **k: (
            [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("52.62.10.20", port))]
            if host == "api.starshipit.com"
            else real(host, port, *a, **k)
        ),
    )
    ship = create(api, {"type": "starshipit", "name": "Ship", "credentials": STARSHIPIT}).body

    assert browse(api, ship["id"]).status == 404
    assert browse(api, "int_01JD3X5V7R2T8E6Q9M4K1N0B5K").status == 404
    assert browse(api, "nonsense").status == 404


def test_rate_limits_are_waited_out(api, fake, quick_retries):
    instance = store(api, fake)
    fake.fail_next("429", times=2, retry_after=7)

    reply = browse(api, instance["id"])

    assert reply.status == 200 and quick_retries == [7.0, 7.0]


def test_a_lost_answer_is_retried(api, fake):
    instance = store(api, fake)
    fake.fail_next("drop")

    assert browse(api, instance["id"]).status == 200


@pytest.mark.parametrize("kind", ["502", "503", "504"])
def test_gateway_failures_after_five_tries_are_502(api, fake, kind):
    instance = store(api, fake)
    fake.fail_next(kind, times=5)
    before = fake.state.api_requests

    reply = browse(api, instance["id"])

    assert reply.status == 502 and reply.body["type"] == "/problems/integration-unavailable"
    assert reply.body["upstream"] == {"status": int(kind)}
    assert fake.state.api_requests - before == 5


@pytest.mark.parametrize(
    ("kind", "detail"),
    [("500", "failed (500)"), ("html", "text/html"), ("garbage", "not valid JSON"), ("huge", "larger than 4 MiB")],
)
def test_unusable_answers_are_502_without_retrying(api, fake, kind, detail):
    instance = store(api, fake)
    fake.fail_next(kind)
    before = fake.state.api_requests

    reply = browse(api, instance["id"])

    assert reply.status == 502 and detail in reply.body["detail"], reply.body
    assert fake.state.api_requests - before == 1


def test_a_vendor_that_never_answers_is_502_before_the_function_times_out(api, fake):
    instance = store(api, fake)
    fake.fail_next("slow", times=5, delay=4)

    reply = api.call("integrations/woocommerce_customers", path={"integration_id": instance["id"]}, time_left_ms=3_500)

    assert reply.status == 502 and reply.body["type"] == "/problems/integration-unavailable"


def test_refused_credentials_are_422_with_the_stores_words_and_no_secret(api, fake, caplog, monkeypatch):
    from clientele.domain.integrations import client

    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="clientele")
    logged_calls: list[tuple[str, dict[str, Any]]] = []
    real_info = client.logger.info

    def info(message: str, *args: Any, extra: dict[str, Any] | None = None, **kwargs: Any) -> None:
        logged_calls.append((message, dict(extra or {})))
        real_info(message, *args, extra=extra, **kwargs)

    monkeypatch.setattr(client.logger, "info", info)
    wrong = {"consumer_key": "ck_not_the_key_123", "consumer_secret": "cs_not_the_secret_456"}
    instance = store(api, fake, credentials=wrong)

    reply = browse(api, instance["id"])

    assert reply.status == 422 and reply.body["type"] == "/problems/integration-credentials-rejected"
    assert reply.body["upstream"] == {
        "status": 401,
        "errors": [
            {
                "message": "Invalid signature - provided signature does not match.",
                "details": "woocommerce_rest_authentication_error",
            }
        ],
    }
    # moto's request mock (the `responses` library, not in Lambda) logs each passed-through request object.
    ours = [record for record in caplog.records if record.name != "responses"]
    logged = json.dumps([record.__dict__ for record in ours], default=str) + json.dumps(logged_calls)
    for text in (json.dumps(reply.body), logged):
        assert "cs_not_the_secret_456" not in text and "ck_not_the_key_123" not in text
    assert logged_calls[-1] == (
        "integration call",
        {
            "integration_id": instance["id"],
            "method": "GET",
            "path": "/wp-json/wc/v3/customers",
            "status": 401,
            "duration_ms": logged_calls[-1][1]["duration_ms"],
        },
    )


def test_a_host_that_now_resolves_to_a_private_address_is_refused_at_the_call(api, fake, monkeypatch):
    from clientele.domain.integrations import safety

    port = int(fake.base_url.rsplit(":", 1)[1])
    answers = {"store.example": "127.0.0.1"}
    real = socket.getaddrinfo
    monkeypatch.setattr(
        safety.socket,
        "getaddrinfo",
        lambda host, p, *a, **k: (
            [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], p))]
            if host in answers
            else real(host, p, *a, **k)
        ),
    )
    instance = store(api, fake, base_url=f"http://store.example:{port}")
    answers["store.example"] = "10.0.0.8"
    before = fake.state.api_requests

    reply = browse(api, instance["id"])

    assert reply.status == 422 and reply.body["type"] == "/problems/unsafe-url"
    assert fake.state.api_requests == before


def test_a_page_costs_two_dynamodb_calls_whatever_its_size(api, fake, dynamodb_calls):
    instance = store(api, fake)
    for woo_id in (3, 50, 99):
        api.create({"name": f"Linked {woo_id}", "external_id": f"woo:{instance['id']}:{woo_id}"})

    for per_page in ("10", "100"):
        dynamodb_calls.clear()
        reply = browse(api, instance["id"], per_page=per_page)
        assert reply.status == 200
        assert dynamodb_calls == ["GetItem", "BatchGetItem"], per_page
    assert sum(1 for item in reply.body["data"] if item["customer_id"]) == 3


def test_organization_scoped_callers_see_only_their_organizations_links(api, fake):
    instance = store(api, fake)
    api.create({"name": "Theirs", "external_id": f"woo:{instance['id']}:1", "organization_id": "org-a"})
    api.create({"name": "Others", "external_id": f"woo:{instance['id']}:2", "organization_id": "org-b"})
    courier = api.as_caller(role="courier", organization_id="org-a")

    data = browse(courier, instance["id"], per_page="2").body["data"]

    assert data[0]["customer_id"] is not None and data[1]["customer_id"] is None
