"""Every error becomes an RFC 9457 problem here, and only here."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response

from clientele.domain.kernel.errors import ClienteleError, Unauthorized, ValidationFailed
from clientele.http.types import HttpResponse

PROBLEM_JSON = "application/problem+json"


def problem_body(error: ClienteleError, instance: str, request_id: str) -> dict[str, Any]:
    return {
        "type": f"/problems/{error.slug}",
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
        "instance": instance,
        "request_id": request_id,
        **error.extensions(),
    }


def problem_response(error: ClienteleError, instance: str, request_id: str) -> HttpResponse:
    if isinstance(error, Unauthorized):
        # What API Gateway's JWT authorizer answers; only seen under sam local.
        return Response(status_code=401, content_type="application/json", body={"message": "Unauthorized"})
    return Response(
        status_code=error.status,
        content_type=PROBLEM_JSON,
        # Powertools serializes only application/json bodies.
        body=json.dumps(problem_body(error, instance, request_id), separators=(",", ":")),
        headers=dict(error.headers),
    )


def parameter_problem(errors: list[dict[str, Any]]) -> ValidationFailed:
    """Powertools' request validation errors (query parameters) as the API's field errors."""
    from clientele.domain.kernel.validation import parameter_errors

    return ValidationFailed(parameter_errors(errors))
