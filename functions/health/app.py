"""GET /health: 200 when the table answers, else 503 (no auth)."""

from clientele.http.health import health_response
from clientele.http.resolver import make_resolver

app = make_resolver()


@app.get("/health")
def health():
    return health_response()


def handler(event, context):
    return app.resolve(event, context)
