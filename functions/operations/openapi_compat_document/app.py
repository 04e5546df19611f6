"""GET /openapi-compat.json: the OpenAPI 3.1 document of the vendor-compatible routes (no auth)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.http.documents import openapi_compat_document, openapi_response
from clientele.http.resolver import make_resolver

app = make_resolver()


@app.get("/openapi-compat.json", include_in_schema=False)
def openapi_compat():
    return openapi_response(openapi_compat_document())


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
