"""GET /openapi.json: the OpenAPI 3.1 document of the canonical API (no auth)."""

from clientele.http.documents import openapi_response
from clientele.http.resolver import make_resolver

app = make_resolver()


@app.get("/openapi.json", include_in_schema=False)
def openapi_document():
    return openapi_response()


def handler(event, context):
    return app.resolve(event, context)
