"""GET /openapi.json: the OpenAPI 3.1 document of the canonical API (no auth)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.http.documents import openapi_response
from clientele.http.resolver import make_resolver

app = make_resolver()


@app.get("/openapi.json", include_in_schema=False)
def openapi_document():
    return openapi_response()


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
