"""POST /v1/sales-orders/{order_id}/cancel"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.ledger import orders
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.openapi import documented
from clientele.http.resolver import make_resolver
from clientele.http.schemas import SalesOrderOut

app = make_resolver(writes=True)


@app.post(
    "/v1/sales-orders/<order_id>/cancel",
    summary="Cancel a sales order",
    description="Idempotent (a cancelled order answers 200 as it is). 409 order-has-allocations while credits "
    "are allocated to it, 409 order-has-fulfillments while it has pending or submitted fulfillments. Its "
    "total leaves the customer's lifetime value.",
    tags=["Sales ledger"],
    responses=documented(200, SalesOrderOut, 404, 409, 503),
)
def cancel_sales_order(order_id: str):
    return responses.ok(orders.cancel(principal(app), order_id))


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
