"""The committed OpenAPI document is what the code declares, and covers every canonical route."""

from __future__ import annotations

import json

import pytest

from localdev.openapi import DOCUMENT, build_document, render
from localdev.template import Template


@pytest.fixture(scope="module")
def built():
    return build_document()


def test_the_committed_document_matches_the_code(built):
    assert DOCUMENT.read_text() == render(built), "run `make openapi` and commit the result"


def test_every_canonical_route_is_documented(built):
    routes = {
        (route.method.lower(), route.path)
        for route in Template.load(DOCUMENT.parents[4] / "template.yaml").http_routes()
        if route.path.startswith(("/v1/", "/health"))
    }

    documented = {(method, path) for path, item in built["paths"].items() for method in item}

    assert documented == routes


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
