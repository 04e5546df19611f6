"""Build the OpenAPI 3.1 documents from the functions' own route declarations.

Two documents: the canonical API (openapi.json) and the vendor-compatible
routes of COMPAT.md (openapi-compat.json), kept apart so the canonical one stays clean.

Every HTTP function of template.yaml is loaded and Powertools' OpenAPIMerge
joins what each resolver documents (paths, parameters, request and response
models, problem responses). A little tidying follows: query parameters get the
constraints of their pydantic model, public routes drop the bearer requirement,
and schemas nothing refers to are left out. `make openapi` writes the result
into the layer, where GET /openapi.json and GET /openapi-compat.json serve
them; a test fails when a committed document drifts from the code.

Run: ``python -m localdev.openapi [--check]``.
"""

import argparse
import json
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localdev.functions import add_to_sys_path
from localdev.template import Template

REPO_ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS_DIR = REPO_ROOT / "layers" / "clientele" / "clientele" / "http"
DOCUMENT = DOCUMENTS_DIR / "openapi.json"
COMPAT_DOCUMENT = DOCUMENTS_DIR / "openapi-compat.json"
CANONICAL_PREFIXES = ("/v1/", "/health")
COMPAT_PREFIXES = ("/api/",)
DESCRIPTION = (
    "Clientele's canonical API: customers with strong ETags and atomic uniqueness rules, their address "
    "book, lists, bulk operations and jobs, matching. Errors are RFC 9457 problem details. Every route but "
    "/health needs a bearer JWT carrying the route's scope (customer:read, customer:create, customer:update, "
    "customer:delete) and a tenant_id claim."
)

COMPAT_DESCRIPTION = (
    "Clientele's vendor-compatible routes (COMPAT.md): teams leaving the 000 (Shiipp ManageCustomers), "
    "001 (ecommerce admin customers) and 002 (Alvys public API customers) systems point their integrations "
    "here. Each route speaks its vendor's request and response shapes and errors, and runs the same services "
    "as the canonical API (/openapi.json). Every route needs a bearer JWT with the scope of its canonical "
    "equivalent (customer:read, customer:create, customer:update, customer:delete) and a tenant_id claim."
)


@dataclass(frozen=True)
class DocumentKind:
    path: Path
    title: str
    description: str
    prefixes: tuple[str, ...]


CANONICAL = DocumentKind(DOCUMENT, "Clientele API", DESCRIPTION, CANONICAL_PREFIXES)
COMPAT = DocumentKind(COMPAT_DOCUMENT, "Clientele vendor-compatible routes", COMPAT_DESCRIPTION, COMPAT_PREFIXES)


def _merged(template: Template, kind: DocumentKind) -> dict[str, Any]:
    from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    merge = OpenAPIMerge(
        title=kind.title,
        version="1.0.0",
        description=kind.description,
        security_schemes={"bearer": HTTPBearer(bearerFormat="JWT")},
        security=[{"bearer": []}],
        on_conflict="error",
    )
    specs = {spec.logical_id: spec for spec in template.functions()}
    for route in template.http_routes():
        if route.path.startswith(kind.prefixes):
            merge.add_file(specs[route.function_id].module_file)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a function that fails to load must fail the build
        document: dict[str, Any] = json.loads(merge.get_openapi_json_schema())
    return document


def _constrain_query_parameters(document: dict[str, Any]) -> None:
    """Powertools flattens a query model into parameters without its constraints: put them back."""
    schemas = document.get("components", {}).get("schemas", {})
    for path_item in document["paths"].values():
        for operation in path_item.values():
            query = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
            names = {parameter["name"] for parameter in query}
            # The route's own query model: the smallest one declaring every parameter (several lists
            # share limit, cursor and q; the largest model would lend them its constraints).
            candidates = [s for s in schemas.values() if names and names <= set(s.get("properties", {}))]
            model = min(candidates, key=lambda schema: len(schema["properties"]), default=None)
            if model is None:
                continue
            for parameter in query:
                field = dict(model["properties"][parameter["name"]])
                description = field.pop("description", None)
                parameter["schema"] = field
                if description:
                    parameter["description"] = description


def _validation_errors_are_problems(document: dict[str, Any]) -> None:
    """Powertools documents its parameter-validation 422 as HTTPValidationError; the API answers a problem."""
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path_item in document["paths"].values():
        for operation in path_item.values():
            response = operation.get("responses", {}).get("422")
            if response and "HTTPValidationError" in json.dumps(response):
                response["description"] = "Validation error: errors point at each bad parameter"
                response["content"] = problem


def _vendor_validation_is_their_own(document: dict[str, Any]) -> None:
    """Vendor routes answer parameter errors in their own shapes (400), never Powertools' 422."""
    for path_item in document["paths"].values():
        for operation in path_item.values():
            response = operation.get("responses", {}).get("422")
            if response and "HTTPValidationError" in json.dumps(response):
                del operation["responses"]["422"]


def _public_routes_need_no_token(document: dict[str, Any]) -> None:
    for path_item in document["paths"].values():
        for operation in path_item.values():
            if "401" not in operation.get("responses", {}):
                operation["security"] = []


def _referenced(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        reference = value.get("$ref")
        if isinstance(reference, str) and reference.startswith("#/components/schemas/"):
            found.add(reference.rsplit("/", 1)[1])
        for item in value.values():
            _referenced(item, found)
    elif isinstance(value, list):
        for item in value:
            _referenced(item, found)


def _drop_unused_schemas(document: dict[str, Any]) -> None:
    schemas = document.get("components", {}).get("schemas", {})
    used: set[str] = set()
    _referenced(document["paths"], used)
    while True:  # schemas referred to by used schemas are used too
        more: set[str] = set()
        _referenced({name: schemas[name] for name in used if name in schemas}, more)
        if more <= used:
            break
        used |= more
    document["components"]["schemas"] = {name: schemas[name] for name in sorted(used) if name in schemas}


def build_document(kind: DocumentKind = CANONICAL, template_path: Path = REPO_ROOT / "template.yaml") -> dict[str, Any]:
    template = Template.load(template_path)
    add_to_sys_path(template.layer_dirs().values())
    document = _merged(template, kind)
    _constrain_query_parameters(document)
    if kind is COMPAT:
        _vendor_validation_is_their_own(document)
    _validation_errors_are_problems(document)
    _public_routes_need_no_token(document)
    _drop_unused_schemas(document)
    return document


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localdev.openapi", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when a committed document is out of date")
    args = parser.parse_args(argv)
    failed = False
    for kind in (CANONICAL, COMPAT):
        text = render(build_document(kind))
        name = kind.path.relative_to(REPO_ROOT)
        if not args.check:
            kind.path.write_text(text)
            print(f"wrote {name} ({len(document_paths(text))} paths)")
        elif (kind.path.read_text() if kind.path.exists() else "") != text:
            print(f"{name} is out of date: run `make openapi` and commit it", file=sys.stderr)
            failed = True
    return 1 if failed else 0


def document_paths(text: str) -> list[str]:
    return list(json.loads(text)["paths"])


if __name__ == "__main__":
    sys.exit(main())
