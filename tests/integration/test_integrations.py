"""Integration instances (API.md §13): CRUD with If-Match, credentials kept secret, outbound safety at save."""

from __future__ import annotations

import json
import logging
import os
import socket
from typing import Any

import pytest

from tests.harness import Api, admin, boto3_client

WOO_KEY = "ck_live_5f2b9c1d7e3a4b6c8d0e1f2a3b4c5d6e7f8a9b0c"
WOO_SECRET = "cs_live_9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b"
SHIP_KEY = "3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c"
SHIP_SUB = "0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f"
SECRETS = (WOO_KEY, WOO_SECRET, SHIP_KEY, SHIP_SUB)
PUBLIC = {"shop.example": "93.184.215.14", "api.starshipit.com": "52.62.10.20", "rebind.example": "93.184.215.15"}


@pytest.fixture(autouse=True)
def public_dns(monkeypatch):
    """The test names resolve to public addresses (no network here); others as the system resolves them."""
    from clientele.domain.integrations import safety

    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in PUBLIC:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(safety.socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def loopback():
    """ALLOW_LOOPBACK_INTEGRATIONS=true, as the local runner sets it, for this test only."""
    from clientele.config import get_settings

    os.environ["ALLOW_LOOPBACK_INTEGRATIONS"] = "true"
    get_settings.cache_clear()
    try:
        yield
    finally:
        os.environ.pop("ALLOW_LOOPBACK_INTEGRATIONS", None)
        get_settings.cache_clear()


def woo_body(**fields: Any) -> dict[str, Any]:
    return {
        "type": "woocommerce",
        "name": "Main store",
        "base_url": "https://shop.example",
        "credentials": {"consumer_key": WOO_KEY, "consumer_secret": WOO_SECRET},
        **fields,
    }


def starshipit_body(**fields: Any) -> dict[str, Any]:
    return {
        "type": "starshipit",
        "name": "Starshipit AU",
        "credentials": {"api_key": SHIP_KEY, "subscription_key": SHIP_SUB},
        **fields,
    }


def create(api: Api, body: dict[str, Any], **kwargs: Any):
    return api.call("integrations/create", body=body, **kwargs)


def get(api: Api, instance_id: str):
    return api.call("integrations/get", path={"integration_id": instance_id})


def patch(api: Api, instance_id: str, body: Any, etag: str | None):
    return api.call(
        "integrations/update",
        path={"integration_id": instance_id},
        body=body,
        headers={"If-Match": etag} if etag else {},
        content_type="application/merge-patch+json",
    )


def delete(api: Api, instance_id: str, etag: str | None):
    return api.call(
        "integrations/delete", path={"integration_id": instance_id}, headers={"If-Match": etag} if etag else {}
    )


def listed(api: Api, **query: str):
    return api.call("integrations/list", query=query)


def assert_no_secret(*texts: Any) -> None:
    for text in texts:
        dumped = text if isinstance(text, str) else json.dumps(text)
        for secret in SECRETS:
            assert secret not in dumped


def test_an_instance_is_created_with_masked_credentials_and_read_back(api, caplog):
    # Every logger at INFO (what Lambda keeps), ours at DEBUG. (botocore's own DEBUG request dumps,
    # off unless someone turns them on, quote every AWS request, as they would any secret.)
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="clientele")
    reply = create(api, woo_body(settings={"roles": "customer"}))

    assert reply.status == 201, reply.body
    made = reply.body
    assert made["id"].startswith("int_") and reply.header("Location") == f"/v1/integrations/{made['id']}"
    assert reply.etag == made["etag"] and made["version"] == 1
    assert made["credentials"] == {"consumer_key": "…9b0c", "consumer_secret": "…1a0b"}
    assert made["settings"] == {"roles": "customer", "archive_missing": False}
    assert made["base_url"] == "https://shop.example" and made["last_sync"] is None
    got = get(api, made["id"])
    assert got.status == 200 and got.body == made and got.etag == made["etag"]
    # Whatever was logged (at any level), no line holds a credential.
    assert_no_secret(reply.raw, got.raw, json.dumps([record.__dict__ for record in caplog.records], default=str))


def test_the_credentials_are_one_secret_per_instance_named_by_tenant_and_instance(api, aws):
    made = create(api, starshipit_body()).body
    secrets = boto3_client("secretsmanager")

    name = f"{aws.specs['integrations/create'].environment['INTEGRATION_SECRET_PREFIX']}{api.tenant}/{made['id']}"
    assert json.loads(secrets.get_secret_value(SecretId=name)["SecretString"]) == {
        "api_key": SHIP_KEY,
        "subscription_key": SHIP_SUB,
    }
    assert made["base_url"] == "https://api.starshipit.com"  # the default
    assert made["settings"] == {}


def test_credentials_are_checked_per_type_naming_each_missing_or_extra_key(api):
    reply = create(
        api, woo_body(credentials={"consumer_key": WOO_KEY, "api_key": SHIP_KEY}, settings={"roles": "admins"})
    )

    assert reply.status == 422 and reply.body["type"] == "/problems/validation-error"
    errors = {(error["pointer"], error["code"]) for error in reply.body["errors"]}
    assert errors == {
        ("/credentials/consumer_secret", "required"),
        ("/credentials/api_key", "unknown_field"),
        ("/settings/roles", "invalid_choice"),
    }
    assert_no_secret(reply.raw)


def test_bad_bodies_are_422_and_a_store_needs_its_url(api):
    cases = [
        ({**woo_body(), "base_url": None}, "/base_url"),
        ({**woo_body(), "type": "shopify"}, "/type"),
        ({**woo_body(), "name": ""}, "/name"),
        ({**woo_body(), "id": "int_x"}, "/id"),
        ({**woo_body(), "colour": "red"}, "/colour"),
        (woo_body(credentials={"consumer_key": "short", "consumer_secret": WOO_SECRET}), "/credentials/consumer_key"),
    ]
    for body, where in cases:
        reply = create(api, body)
        assert reply.status == 422, (body, reply.body)
        assert where in {error["pointer"] for error in reply.body["errors"]}, reply.body


@pytest.mark.parametrize(
    "url",
    [
        "http://shop.example",
        "https://10.0.0.5",
        "https://169.254.169.254/latest/meta-data",
        "https://[fd00:ec2::254]",
        "https://user:pass@shop.example",
        "https://shop.example/?a=1",
        "https://127.0.0.1:8443",
        "https://no-such-host.invalid",
    ],
)
def test_unsafe_base_urls_are_refused_at_save(api, url):
    reply = create(api, woo_body(base_url=url))

    assert reply.status == 422 and reply.body["type"] == "/problems/unsafe-url", reply.body


def test_loopback_is_allowed_only_with_the_local_setting(api, loopback):
    reply = create(api, woo_body(base_url="http://127.0.0.1:8089/"))

    assert reply.status == 201, reply.body
    assert reply.body["base_url"] == "http://127.0.0.1:8089"
    assert create(api, woo_body(base_url="http://10.1.1.1")).body["type"] == "/problems/unsafe-url"


def test_a_patch_needs_a_current_if_match(api):
    made = create(api, woo_body()).body

    assert patch(api, made["id"], {"name": "Renamed"}, None).status == 428
    assert patch(api, made["id"], {"name": "Renamed"}, '"stale"').status == 412
    changed = patch(api, made["id"], {"name": "Renamed", "settings": {"archive_missing": True}}, made["etag"])
    assert changed.status == 200, changed.body
    assert changed.body["name"] == "Renamed" and changed.body["version"] == 2
    assert changed.body["settings"] == {"roles": "all", "archive_missing": True}
    assert changed.etag != made["etag"]
    assert patch(api, made["id"], {"name": "Again"}, made["etag"]).status == 412


def test_type_and_other_read_only_fields_are_422(api):
    made = create(api, woo_body()).body

    reply = patch(api, made["id"], {"type": "starshipit", "version": 9}, made["etag"])

    assert reply.status == 422
    assert {(e["pointer"], e["code"]) for e in reply.body["errors"]} == {
        ("/type", "read_only"),
        ("/version", "read_only"),
    }


def test_rotating_one_credential_keeps_the_other(api, aws):
    made = create(api, woo_body()).body
    rotated = "cs_rotated_1234567890abcdef1234567890abcd"

    reply = patch(api, made["id"], {"credentials": {"consumer_secret": rotated}}, made["etag"])

    assert reply.status == 200, reply.body
    assert reply.body["credentials"] == {"consumer_key": "…9b0c", "consumer_secret": "…abcd"}
    from clientele.store.integrations import secrets

    instance = aws_item(api, made["id"])
    assert secrets.read(api.tenant, made["id"], instance["secret_version"]) == {
        "consumer_key": WOO_KEY,
        "consumer_secret": rotated,
    }
    bad = patch(api, made["id"], {"credentials": {"consumer_key": None, "extra": "x" * 10}}, reply.etag)
    assert bad.status == 422
    assert {(e["pointer"], e["code"]) for e in bad.body["errors"]} == {
        ("/credentials/consumer_key", "required"),
        ("/credentials/extra", "unknown_field"),
    }
    assert_no_secret(reply.raw, bad.raw)


def aws_item(api: Api, instance_id: str) -> dict[str, Any]:
    from clientele.store.integrations import items

    found = items.load(api.tenant, instance_id)
    assert found is not None
    return found


def test_the_item_keeps_no_credential(api, stored):
    made = create(api, woo_body()).body

    assert_no_secret([{k: str(v) for k, v in item.items()} for item in stored(f"T#{api.tenant}#INT#{made['id']}")])


def test_an_unsafe_url_is_refused_on_patch_too(api):
    made = create(api, woo_body()).body

    reply = patch(api, made["id"], {"base_url": "https://192.168.0.10"}, made["etag"])

    assert reply.status == 422 and reply.body["type"] == "/problems/unsafe-url"


def test_delete_needs_if_match_and_removes_the_secret(api):
    made = create(api, woo_body()).body

    assert delete(api, made["id"], None).status == 428
    assert delete(api, made["id"], '"stale"').status == 412
    assert delete(api, made["id"], made["etag"]).status == 204
    assert get(api, made["id"]).status == 404
    assert delete(api, made["id"], made["etag"]).status == 404
    from clientele.store.integrations import secrets

    names = [s["Name"] for s in boto3_client("secretsmanager").list_secrets()["SecretList"]]
    assert secrets.secret_name(api.tenant, made["id"]) not in names


def test_lists_are_newest_first_and_filter_by_type(api):
    first = create(api, woo_body(name="One")).body
    second = create(api, starshipit_body()).body
    third = create(api, woo_body(name="Three")).body

    everything = listed(api)
    assert everything.status == 200
    assert [item["id"] for item in everything.body["data"]] == [third["id"], second["id"], first["id"]]
    woo = listed(api, type="woocommerce").body
    assert [item["id"] for item in woo["data"]] == [third["id"], first["id"]]
    paged = listed(api, limit="2").body
    assert paged["has_more"] and len(paged["data"]) == 2
    rest = listed(api, limit="2", cursor=paged["next_cursor"]).body
    assert [item["id"] for item in rest["data"]] == [first["id"]] and not rest["has_more"]
    assert listed(api, type="shopify").status == 422
    assert_no_secret(everything.raw)


def test_other_tenants_see_nothing(api, aws):
    made = create(api, woo_body()).body
    other = admin(aws)

    assert get(other, made["id"]).status == 404
    assert patch(other, made["id"], {"name": "Mine"}, made["etag"]).status == 404
    assert delete(other, made["id"], made["etag"]).status == 404
    assert listed(other).body["data"] == []
    assert get(api, made["id"]).body["name"] == "Main store"


def test_idempotency_key_replays_the_creation(api):
    first = create(api, woo_body(), headers={"Idempotency-Key": "create-int-1"})
    again = create(api, woo_body(), headers={"Idempotency-Key": "create-int-1"})

    assert first.status == again.status == 201
    assert again.body["id"] == first.body["id"] and again.header("Idempotent-Replayed") == "true"
    assert len(listed(api).body["data"]) == 1


def test_routes_need_the_integration_scopes_and_the_template_never_allows_loopback():
    from localdev.template import Template
    from tests.harness import ROOT

    template = Template.load(ROOT / "template.yaml")
    scopes = {route.route_key: route.scopes for route in template.http_routes() if "/v1/integrations" in route.path}
    assert scopes == {
        "POST /v1/integrations": ("integration:write",),
        "GET /v1/integrations": ("integration:read",),
        "GET /v1/integrations/{integration_id}": ("integration:read",),
        "PATCH /v1/integrations/{integration_id}": ("integration:write",),
        "DELETE /v1/integrations/{integration_id}": ("integration:write",),
        "GET /v1/integrations/{integration_id}/woocommerce/customers": ("integration:read",),
    }
    assert "ALLOW_LOOPBACK_INTEGRATIONS" not in (ROOT / "template.yaml").read_text()


def test_each_function_may_touch_only_the_integration_secrets():
    import yaml

    from tests.harness import ROOT

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: f"!{suffix} {getattr(node, 'value', '')}")
    resources = yaml.load((ROOT / "template.yaml").read_text(), Loader=Loader)["Resources"]
    for logical_id, resource in resources.items():
        for policy in resource.get("Properties", {}).get("Policies", []) or []:
            for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                integration_actions = set(actions) - {"secretsmanager:GetSecretValue"}
                if any(action.startswith("secretsmanager:") for action in integration_actions):
                    assert "/integrations/*" in str(statement["Resource"]), logical_id
                    assert "Integration" in logical_id, logical_id


def test_a_starshipit_url_set_back_to_null_is_the_default_again(api):
    made = create(api, starshipit_body(base_url="https://api.starshipit.com/")).body
    moved = patch(api, made["id"], {"base_url": "https://shop.example"}, made["etag"])
    assert moved.status == 200 and moved.body["base_url"] == "https://shop.example"

    back = patch(api, made["id"], {"base_url": None, "settings": None}, moved.etag)

    assert back.status == 200 and back.body["base_url"] == "https://api.starshipit.com"
    assert back.body["credentials"] == made["credentials"]


def test_writes_cost_a_few_calls(api, dynamodb_calls):
    made = create(api, woo_body()).body
    dynamodb_calls.clear()
    assert get(api, made["id"]).status == 200
    assert dynamodb_calls == ["GetItem"]
    dynamodb_calls.clear()
    renamed = patch(api, made["id"], {"name": "Renamed"}, made["etag"])
    assert renamed.status == 200 and dynamodb_calls == ["GetItem", "PutItem"]
    dynamodb_calls.clear()
    assert listed(api).status == 200 and dynamodb_calls == ["Query"]
