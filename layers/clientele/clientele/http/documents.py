"""The API's own documentation: the committed OpenAPI document and Swagger UI for it (offline)."""

from __future__ import annotations

from functools import cache
from importlib import resources

from aws_lambda_powertools.event_handler import Response

JSON = "application/json"


@cache
def openapi_document() -> str:
    """openapi.json, written by `make openapi` next to this module and committed."""
    return resources.files("clientele.http").joinpath("openapi.json").read_text(encoding="utf-8")


@cache
def _swagger_page() -> str:
    # Powertools ships Swagger UI's script and stylesheet: inline them, so /docs needs no network.
    from aws_lambda_powertools.event_handler.openapi import swagger_ui
    from aws_lambda_powertools.event_handler.openapi.swagger_ui import generate_swagger_html

    assets = resources.files(swagger_ui)
    script = assets.joinpath("swagger-ui-bundle.min.js").read_text(encoding="utf-8")
    stylesheet = assets.joinpath("swagger-ui.min.css").read_text(encoding="utf-8")
    return generate_swagger_html(openapi_document(), script, stylesheet, "", None)


def openapi_response() -> Response:
    return Response(
        status_code=200, content_type=JSON, body=openapi_document(), headers={"Cache-Control": "public, max-age=300"}
    )


def docs_response() -> Response:
    return Response(
        status_code=200,
        content_type="text/html; charset=utf-8",
        body=_swagger_page(),
        headers={"Cache-Control": "public, max-age=300"},
    )
