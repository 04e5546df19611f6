"""GET /docs: Swagger UI for /openapi.json, working offline (no auth)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.http.documents import docs_response
from clientele.http.resolver import make_resolver

app = make_resolver()


@app.get("/docs", include_in_schema=False)
def api_docs():
    return docs_response()


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
