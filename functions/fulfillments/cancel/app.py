"""POST /v1/fulfillments/{fulfillment_id}/cancel"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.ledger import fulfillments
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.openapi import documented
from clientele.http.resolver import make_resolver
from clientele.http.schemas import CancelledFulfillmentOut

app = make_resolver(writes=True)


@app.post(
    "/v1/fulfillments/<fulfillment_id>/cancel",
    summary="Cancel a fulfillment",
    description="Idempotent; its quantities return to the order's lines. A submitted fulfillment is cancelled "
    "here only (its Starshipit order is not deleted), which warnings says.",
    tags=["Fulfillments"],
    responses=documented(200, CancelledFulfillmentOut, 404, 503),
)
def cancel_fulfillment(fulfillment_id: str):
    return responses.fulfillment(fulfillments.cancel(principal(app), fulfillment_id))


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
