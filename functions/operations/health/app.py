"""GET /health: 200 when the table answers, else 503 (no auth)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.http.health import health_response
from clientele.http.openapi import documented
from clientele.http.resolver import make_resolver
from clientele.http.schemas import Health

app = make_resolver()


@app.get(
    "/health",
    summary="Is the service up",
    tags=["Operations"],
    responses={
        **documented(200, Health, authenticated=False),
        503: {"description": "The table is not reachable", "content": {"application/json": {"model": Health}}},
    },
)
def health():
    return health_response()


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
