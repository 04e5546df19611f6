"""How each route documents its answers in the OpenAPI document (Powertools builds it from these).

`documented(200, CustomerOut, 404, 412)` gives a route's `responses`: the
success with its model, the listed problem statuses, and what every
authenticated route may also answer (the gateway's 401/403/429, the missing
tenant claim's 403, and 500).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clientele.http.schemas import GatewayMessage, Problem

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

PROBLEM_JSON = "application/problem+json"
JSON = "application/json"

_PROBLEMS = {
    400: "Malformed request: the body is not a JSON object, or the cursor or Idempotency-Key is bad",
    404: "Not found in the caller's tenant and organization",
    409: "Conflict: a unique value is taken (conflict names the holder), or another state conflict",
    412: "Precondition failed: If-Match does not name the current ETag",
    413: "Payload too large (over 1 MiB)",
    415: "Unsupported media type: send application/json (or merge-patch+json on PATCH)",
    422: "Validation error: errors point at each bad field or parameter",
    428: "Precondition required: this write needs If-Match",
    431: "Request header fields too large (over 10 KB)",
    502: "The vendor gave no usable answer after the retries (integration-unavailable; upstream.status)",
    503: "Writes are switched off (endpoint-disabled, Retry-After: 3600), or the data store is busy",
}


def _problem(description: str) -> OpenAPIResponse:
    return {"description": description, "content": {PROBLEM_JSON: {"model": Problem}}}


def documented(
    status: int, model: type | None, *problems: int, description: str = "Success", authenticated: bool = True
) -> dict[int, OpenAPIResponse]:
    responses: dict[int, OpenAPIResponse] = {
        status: {"description": description, "content": {JSON: {"model": model}}}
        if model
        else {"description": description}
    }
    for problem in problems:
        responses[problem] = _problem(_PROBLEMS[problem])
    if authenticated:
        responses[401] = {
            "description": "No valid bearer token (answered by API Gateway)",
            "content": {JSON: {"model": GatewayMessage}},
        }
        responses[403] = {
            "description": 'The token lacks the route\'s scope (API Gateway: {"message": "Forbidden"}), '
            "a tenant_id, or an organization-scoped role's organization_id (problem details)",
            "content": {JSON: {"model": GatewayMessage}, PROBLEM_JSON: {"model": Problem}},
        }
        responses[429] = {"description": "Throttled by API Gateway", "content": {JSON: {"model": GatewayMessage}}}
    responses[431] = _problem(_PROBLEMS[431])
    responses[500] = _problem("Unexpected error: no details, quote the request_id")
    return responses


# What the routes that take a JSON body may also answer.
BODY_PROBLEMS = (400, 413, 415, 422)
WRITE_PROBLEMS = (*BODY_PROBLEMS, 503)
