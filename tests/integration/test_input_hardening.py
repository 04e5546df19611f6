"""Hostile or broken input gets a clear 4xx, never a 5xx, and never changes stored data (API.md §12)."""

from __future__ import annotations

import base64
import io
import json

import pytest

HOSTILE_BODIES = {
    "null": "null",
    "array": "[]",
    "string": '"name"',
    "number": "42",
    "unparsable": '{"name": ',
    "trailing garbage": '{"name": "x"} {}',
    "NaN": '{"name": "x", "store_credit": NaN}',
    "Infinity": '{"name": "x", "store_credit": Infinity}',
    "-Infinity": '{"name": "x", "credit_limit": -Infinity}',
    "huge integer": '{"name": "x", "number_of_things": ' + "9" * 31 + "}",
    "huge exponent": '{"name": "x", "f": 1e999}',
    "deep nesting": '{"metadata": ' + '{"a": ' * 33 + "1" + "}" * 33 + "}",
    "very deep nesting": "[" * 100_000 + "]" * 100_000,
    "lone surrogate value": '{"name": "\\ud800"}',
    "lone surrogate key": '{"\\udfff": "x"}',
    "duplicate keys": '{"name": "a", "name": "b"}',
    "nested duplicate keys": '{"name": "a", "metadata": {"k": "1", "k": "2"}}',
    "empty": "",
    "whitespace": "   ",
}


@pytest.mark.parametrize("text", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
def test_hostile_json_bodies_are_400_and_store_nothing(api, stored, text):
    reply = api.create(None, raw_body=text)

    assert reply.status == 400, reply.body
    assert reply.body["type"] == "/problems/malformed-request"
    assert reply.body["request_id"] == reply.header("X-Request-Id")
    assert stored(f"T#{api.tenant}#") == []


def test_hostile_patch_bodies_leave_the_customer_unchanged(api):
    customer = api.created({"name": "Target"})
    for text in HOSTILE_BODIES.values():
        reply = api.patch(customer["id"], None, customer["etag"], raw_body=text)
        assert reply.status == 400
    assert api.get(customer["id"]).body == customer


def test_invalid_utf8_is_400(api):
    raw = base64.b64encode(b'{"name": "\xff\xfe"}').decode()

    reply = api.create(None, raw_body=raw, base64_body=True)

    assert reply.status == 400
    assert "UTF-8" in reply.body["detail"]


def test_a_utf8_bom_is_tolerated(api):
    raw = base64.b64encode('\ufeff{"name": "Bommed"}'.encode()).decode()

    reply = api.create(None, raw_body=raw, base64_body=True)

    assert reply.status == 201 and reply.body["name"] == "Bommed"


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/xml",
        "application/json; charset=latin-1",
        "application/merge-patch+json",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded",
    ],
)
def test_non_json_media_types_are_415(api, stored, content_type):
    reply = api.create(None, raw_body='{"name": "x"}', content_type=content_type)

    assert reply.status == 415
    assert reply.body["type"] == "/problems/unsupported-media-type"
    assert stored(f"T#{api.tenant}#") == []


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "APPLICATION/JSON", "application/json;charset=UTF-8", 'application/json; charset="utf-8"'],
)
def test_json_media_type_is_case_insensitive_and_takes_utf8(api, content_type):
    assert api.create(None, raw_body='{"name": "ok"}', content_type=content_type).status == 201


def test_bodies_over_one_mebibyte_are_413(api, stored):
    text = '{"name": "big", "metadata": {"k": "' + "x" * (1024 * 1024) + '"}}'

    reply = api.create(None, raw_body=text)

    assert reply.status == 413
    assert reply.body["type"] == "/problems/payload-too-large"
    assert stored(f"T#{api.tenant}#") == []


@pytest.mark.parametrize("field", ["name", "branch", "first_name"])
@pytest.mark.parametrize("char", ["\x00", "\x07", "\t", "\n", "\x1f", "\x7f"])
def test_control_characters_are_422(api, field, char):
    body = {"name": "ok", field: f"bad{char}value"}

    reply = api.create(body)

    assert reply.status == 422
    assert reply.body["errors"][0] == {
        "pointer": f"/{field}",
        "code": "control_character",
        "message": "must not contain control characters",
    }


def test_control_characters_in_metadata_are_422(api):
    reply = api.create({"name": "ok", "metadata": {"key": "v\x01"}})

    assert reply.status == 422 and reply.body["errors"][0]["pointer"] == "/metadata/key"


def test_strings_are_stored_exactly_as_sent(api):
    decomposed = "Cafe\u0301 \U0001f600"

    customer = api.created({"name": "  Trimmed  ", "branch": f"  {decomposed}  "})

    assert customer["name"] == "Trimmed"
    assert customer["branch"] == f"  {decomposed}  "


def test_errors_list_at_most_50_then_flag_truncation(api):
    body = {"name": "ok", **{f"unknown_{i}": i for i in range(60)}}

    reply = api.create(body)

    assert reply.status == 422
    assert len(reply.body["errors"]) == 50
    assert reply.body["errors_truncated"] is True


def test_request_headers_over_10_kb_are_431(api):
    reply = api.create({"name": "x"}, headers={"X-Padding": "p" * 11_000})

    assert reply.status == 431


def test_get_and_delete_ignore_any_body(api):
    customer = api.created({"name": "Ignored"})

    fetched = api.call("customers/get", customer_id=customer["id"], raw_body="garbage", content_type="text/plain")
    deleted = api.call(
        "customers/delete",
        customer_id=customer["id"],
        raw_body="{",
        content_type=None,
        headers={"If-Match": customer["etag"]},
    )

    assert fetched.status == 200
    assert deleted.status == 204


def test_errors_never_leak_internals(api, monkeypatch):
    from clientele.store.customers import items as customers

    def explode(*_args, **_kwargs):
        raise RuntimeError("secret internal detail /var/task/x.py")

    monkeypatch.setattr(customers, "load", explode)

    reply = api.get("cus_01JD3X5V7R2T8E6Q9M4K1N0B5C")

    assert reply.status == 500
    assert reply.body["type"] == "/problems/internal-error"
    assert "secret" not in reply.raw["body"] and "Traceback" not in reply.raw["body"]
    assert reply.body["request_id"]


def test_logs_carry_request_and_tenant_but_no_personal_data(api, monkeypatch):
    from clientele.observability import logger
    from clientele.store.customers import items as customers

    captured = io.StringIO()
    previous = logger.registered_handler.setStream(captured)

    def explode(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(customers, "insert_unit", explode)
    body = {"name": "Private Person", "emails": ["private.person@example.com"], "password": "hunter2-secret"}

    try:
        reply = api.create(body, headers={"X-Request-Id": "trace-logs-1"})
    finally:
        logger.registered_handler.setStream(previous)

    assert reply.status == 500
    logs = captured.getvalue()
    records = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    [record] = [r for r in records if r.get("level") == "ERROR"]
    assert record["correlation_id"] == "trace-logs-1"
    assert record["tenant_id"] == api.tenant
    assert record["function_name"]
    for secret in ("Private Person", "private.person@example.com", "hunter2-secret"):
        assert secret not in logs
