"""The API's own documentation: the committed OpenAPI document and Swagger UI for it (offline)."""

from __future__ import annotations

from functools import cache
from importlib import resources

from aws_lambda_powertools.event_handler import Response

from clientele.http.types import HttpResponse

JSON = "application/json"


@cache
def _committed(name: str) -> str:
    """A document `make openapi` wrote next to this module (and that is committed)."""
    return resources.files("clientele.http").joinpath(name).read_text(encoding="utf-8")


def openapi_document() -> str:
    """The canonical API's document, openapi.json."""
    return _committed("openapi.json")


def openapi_compat_document() -> str:
    """The vendor-compatible routes' document, openapi-compat.json (COMPAT.md)."""
    return _committed("openapi-compat.json")


@cache
def _swagger_page() -> str:
    # Powertools ships Swagger UI's script and stylesheet: inline them, so /docs needs no network.
    from aws_lambda_powertools.event_handler.openapi import swagger_ui
    from aws_lambda_powertools.event_handler.openapi.swagger_ui import generate_swagger_html

    assets = resources.files(swagger_ui)
    script = assets.joinpath("swagger-ui-bundle.min.js").read_text(encoding="utf-8")
    stylesheet = assets.joinpath("swagger-ui.min.css").read_text(encoding="utf-8")
    return generate_swagger_html(openapi_document(), script, stylesheet, "", None)


def openapi_response(document: str | None = None) -> HttpResponse:
    """The canonical document, or `document` (the compat one)."""
    body = openapi_document() if document is None else document
    return Response(status_code=200, content_type=JSON, body=body, headers={"Cache-Control": "public, max-age=300"})


def docs_response() -> HttpResponse:
    return Response(
        status_code=200,
        content_type="text/html; charset=utf-8",
        body=_swagger_page(),
        headers={"Cache-Control": "public, max-age=300"},
    )
