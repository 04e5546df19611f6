"""GET /v1/fulfillments/{fulfillment_id}"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.ledger import fulfillments
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.openapi import documented
from clientele.http.preconditions import if_none_match
from clientele.http.resolver import make_resolver
from clientele.http.schemas import FulfillmentOut

app = make_resolver()


@app.get(
    "/v1/fulfillments/<fulfillment_id>",
    summary="Get a fulfillment",
    description="With its ETag; If-None-Match naming it answers 304 without a body.",
    tags=["Fulfillments"],
    responses={**documented(200, FulfillmentOut, 404), 304: {"description": "Not modified"}},
)
def get_fulfillment(fulfillment_id: str):
    body = fulfillments.get(principal(app), fulfillment_id)
    unchanged = if_none_match(app)
    if unchanged is not None and unchanged.matches(body["etag"]):
        return responses.not_modified(body["etag"])
    return responses.fulfillment(body)


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
