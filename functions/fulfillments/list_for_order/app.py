"""GET /v1/sales-orders/{order_id}/fulfillments"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.ledger import fulfillments
from clientele.domain.ledger.fulfillments import OrderFulfillmentsQuery
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.openapi import documented
from clientele.http.resolver import make_resolver
from clientele.http.schemas import FulfillmentPage

app = make_resolver()


@app.get(
    "/v1/sales-orders/<order_id>/fulfillments",
    summary="List an order's fulfillments",
    description="Oldest first; one Query of the order's fulfillments per page.",
    tags=["Fulfillments"],
    responses=documented(200, FulfillmentPage, 400, 404, 422),
)
def list_order_fulfillments(order_id: str, query: Annotated[OrderFulfillmentsQuery, Query()]):
    return responses.ok(fulfillments.list_for_order(principal(app), order_id, query))


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
