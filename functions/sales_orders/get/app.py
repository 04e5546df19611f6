"""GET /v1/sales-orders/{order_id}"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.ledger import orders
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.openapi import documented
from clientele.http.resolver import make_resolver
from clientele.http.schemas import SalesOrderOut

app = make_resolver()


@app.get(
    "/v1/sales-orders/<order_id>",
    summary="Get a sales order",
    tags=["Sales ledger"],
    responses=documented(200, SalesOrderOut, 404),
)
def get_sales_order(order_id: str):
    return responses.ok(orders.get(principal(app), order_id))


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
