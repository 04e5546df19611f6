"""The writes switch (API.md §8) and GET /health (§11)."""

from __future__ import annotations

import pytest


def test_writes_switched_off_answer_503_and_reads_keep_working(api, writes_switch):
    customer = api.created({"name": "Frozen"})
    writes_switch(False)

    replies = {
        "create": api.create({"name": "New"}),
        "patch": api.patch(customer["id"], {"branch": "x"}, customer["etag"]),
        "put": api.put(customer["id"], {"name": "x"}, customer["etag"]),
        "delete": api.delete(customer["id"], customer["etag"]),
        "archive": api.archive(customer["id"]),
        "unarchive": api.unarchive(customer["id"]),
    }

    for name, reply in replies.items():
        assert reply.status == 503, name
        assert reply.header("Retry-After") == "3600", name
        assert reply.body["type"] == "/problems/endpoint-disabled", name
    assert api.get(customer["id"]).body == customer

    writes_switch(True)
    assert api.patch(customer["id"], {"branch": "x"}, customer["etag"]).status == 200


def test_the_switch_is_checked_before_the_body(api, writes_switch):
    writes_switch(False)

    assert api.create(None, raw_body="{broken").status == 503


def test_health_is_ok_when_the_table_answers(api):
    reply = api.call("operations/health")

    assert reply.status == 200
    assert reply.body == {"status": "ok"}


def test_health_is_503_when_the_table_does_not_answer(api, monkeypatch):
    from clientele.store.customers import items as customers

    monkeypatch.setattr(customers, "table_name", lambda: "no-such-table")

    reply = api.call("operations/health")

    assert reply.status == 503
    assert reply.body == {"status": "unavailable"}


@pytest.mark.parametrize("function_dir", ["customers/create", "customers/get"])
def test_every_response_carries_a_request_id(api, function_dir):
    sent = api.call(
        function_dir,
        customer_id=None if function_dir == "customers/create" else "cus_x",
        body={"name": "Id"} if function_dir == "customers/create" else None,
        headers={"X-Request-Id": "client-chosen-42"},
    )
    generated = api.call("customers/get", customer_id="cus_x")

    assert sent.header("X-Request-Id") == "client-chosen-42"
    assert generated.header("X-Request-Id")
    assert generated.body["request_id"] == generated.header("X-Request-Id")


def test_openapi_document_is_served_without_auth(api):
    from localdev.openapi import DOCUMENT

    reply = api.call("operations/openapi_document")

    assert reply.status == 200
    assert reply.header("Content-Type") == "application/json"
    assert reply.raw["body"] == DOCUMENT.read_text()


def test_openapi_compat_document_is_served_without_auth(api):
    from localdev.openapi import COMPAT_DOCUMENT

    reply = api.call("operations/openapi_compat_document")

    assert reply.status == 200
    assert reply.header("Content-Type") == "application/json"
    assert reply.raw["body"] == COMPAT_DOCUMENT.read_text()
    assert "/api/p/v1.0/customers/search" in reply.body["paths"]


def test_docs_are_swagger_ui_that_works_offline(api):
    reply = api.call("operations/api_docs")

    assert reply.status == 200
    assert reply.header("Content-Type").startswith("text/html")
    page = reply.raw["body"]
    assert "SwaggerUIBundle" in page and '"title": "Clientele API"' in page
    assert "<script src=" not in page and "stylesheet' type='text/css' href=" not in page
