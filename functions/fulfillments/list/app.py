"""GET /v1/fulfillments"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.ledger import fulfillments
from clientele.domain.ledger.fulfillments import FulfillmentListQuery
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.openapi import documented
from clientele.http.resolver import make_resolver
from clientele.http.schemas import FulfillmentPage

app = make_resolver()


@app.get(
    "/v1/fulfillments",
    summary="List the tenant's fulfillments",
    description="Newest first. status and customer_id each select an index partition (a Query, never a "
    "filter over the tenant's fulfillments); with both, status filters the customer's.",
    tags=["Fulfillments"],
    responses=documented(200, FulfillmentPage, 400, 422),
)
def list_fulfillments(query: Annotated[FulfillmentListQuery, Query()]):
    return responses.ok(fulfillments.list_fulfillments(principal(app), query))


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
