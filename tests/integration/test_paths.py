"""Paths with control characters route nowhere (API.md §12): Powertools' route patterns end in `$`,
which matches before a final newline, so `/v1/customers/cus_X%0A` must not answer as `/v1/customers/cus_X`."""

from __future__ import annotations

import copy
import uuid

import pytest

from tests.harness import Api, Emulated, _Context, sample_event

CONTROL_SUFFIXES = {"newline": "\n", "encoded newline": "%0A", "lower-case encoded": "%0a", "NUL": "%00", "DEL": "\x7f"}


@pytest.mark.parametrize("suffix", CONTROL_SUFFIXES.values(), ids=CONTROL_SUFFIXES.keys())
def test_a_customer_id_with_a_control_character_is_not_found(api: Api, suffix: str) -> None:
    customer = api.created({"name": "Trailing Newline"})

    reply = api.call("customers/get", customer_id=customer["id"] + suffix)

    assert reply.status == 404
    assert reply.body["type"] == "/problems/not-found"
    assert api.get(customer["id"]).status == 200


def test_a_control_character_inside_the_path_is_not_found(api: Api) -> None:
    customer = api.created({"name": "Inner Newline"})

    reply = api.call("addresses/list", path={"customer_id": customer["id"] + "%0A"})

    assert reply.status == 404


def test_a_vendor_route_with_a_trailing_newline_is_not_found(api: Api) -> None:
    customer = api.created({"name": "Vendor Newline"})

    reply = api.call("compat/alvys/get_customer", path={"customer_id": customer["id"] + "\n"})

    assert reply.status == 404


def _http_functions(aws: Emulated) -> list[str]:
    return sorted(name for name in aws.specs if "routeKey" in sample_event(name))


def test_every_route_refuses_a_path_ending_in_a_newline(aws: Emulated, api: Api) -> None:
    for function_dir in _http_functions(aws):
        event = copy.deepcopy(sample_event(function_dir))
        event["rawPath"] += "\n"
        event["requestContext"]["http"]["path"] = event["rawPath"]
        event["requestContext"]["requestId"] = str(uuid.uuid4())
        if "authorizer" in event["requestContext"]:
            event["requestContext"]["authorizer"]["jwt"]["claims"] = api.claims

        result = aws.handler(function_dir)(event, _Context(function_dir))

        assert result["statusCode"] == 404, function_dir
