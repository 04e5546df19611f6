"""GET /health: 200 {"status": "ok"} when the table is reachable, else 503."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from clientele.domain.operations.health import table_reachable
from clientele.http.types import HttpResponse
from clientele.observability import logger


def health_response() -> HttpResponse:
    if table_reachable():
        return Response(status_code=200, content_type="application/json", body={"status": "ok"})
    logger.warning("health check failed: table unreachable")
    return Response(status_code=503, content_type="application/json", body={"status": "unavailable"})
