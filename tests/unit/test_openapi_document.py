"""The committed OpenAPI documents are what the code declares: the canonical one covers every canonical
route, the compat one every vendor route (COMPAT.md), and neither holds the other's."""

from __future__ import annotations

import json

import pytest

from localdev.openapi import COMPAT, COMPAT_PREFIXES, DOCUMENT, build_document, render
from localdev.template import Template


@pytest.fixture(scope="module")
def built():
    return build_document()


@pytest.fixture(scope="module")
def compat():
    return build_document(COMPAT)


def _routes(*prefixes: str) -> set[tuple[str, str]]:
    return {
        (route.method.lower(), route.path)
        for route in Template.load(DOCUMENT.parents[4] / "template.yaml").http_routes()
        if route.path.startswith(prefixes)
    }


def test_the_committed_document_matches_the_code(built):
    assert DOCUMENT.read_text() == render(built), "run `make openapi` and commit the result"


def test_every_canonical_route_is_documented(built):
    documented = {(method, path) for path, item in built["paths"].items() for method in item}

    assert documented == _routes("/v1/", "/health")


def test_the_committed_compat_document_matches_the_code(compat):
    assert COMPAT.path.read_text() == render(compat), "run `make openapi` and commit the result"


def test_every_vendor_route_is_in_the_compat_document_and_only_there(built, compat):
    documented = {(method, path) for path, item in compat["paths"].items() for method in item}
    vendor_routes = _routes(*COMPAT_PREFIXES)

    assert documented == vendor_routes
    assert len(vendor_routes) == 11  # 000: 4, 001: 2, 002: 5
    assert not any(path.startswith(COMPAT_PREFIXES) for path in built["paths"])


def test_compat_operations_are_tagged_by_vendor_and_describe_their_bodies(compat):
    tags = {operation["tags"][0] for item in compat["paths"].values() for operation in item.values()}
    search = compat["paths"]["/api/p/v1.0/customers/search"]["post"]

    assert {tag.split(" (")[0] for tag in tags} == {"Vendor 000", "Vendor 001", "Vendor 002"}
    assert search["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/SearchRequest")
    assert search["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/SearchResponse")


def test_it_is_openapi_3_1_with_bearer_auth_and_a_public_health_route(built):
    assert built["openapi"] == "3.1.0"
    assert built["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    assert built["paths"]["/health"]["get"]["security"] == []
    assert "security" not in built["paths"]["/v1/customers"]["post"]


def test_bodies_and_answers_are_described_by_models(built):
    create = built["paths"]["/v1/customers"]["post"]
    patch = built["paths"]["/v1/customers/{customer_id}"]["patch"]

    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CustomerCreation"
    }
    assert "application/merge-patch+json" in patch["requestBody"]["content"]
    assert create["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/CustomerOut")
    for status in ("400", "409", "415", "422", "503"):
        assert create["responses"][status]["content"]["application/problem+json"]["schema"]["$ref"].endswith("/Problem")


def test_query_parameters_keep_their_constraints(built):
    parameters = {p["name"]: p["schema"] for p in built["paths"]["/v1/customers"]["get"]["parameters"]}

    assert parameters["limit"]["minimum"] == 1 and parameters["limit"]["maximum"] == 200
    assert "-created_at" in parameters["sort"]["enum"]


def test_the_document_is_valid_json_with_resolvable_references(built):
    text = json.dumps(built)
    schemas = built["components"]["schemas"]
    for reference in {part.split('"')[0] for part in text.split('"$ref": "#/components/schemas/')[1:]}:
        assert reference in schemas, reference
