"""GET /v1/customers/{customer_id}/unpaid-orders"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.ledger import orders
from clientele.domain.ledger.orders import OrderListQuery
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.openapi import documented
from clientele.http.resolver import make_resolver
from clientele.http.schemas import SalesOrderPage

app = make_resolver()


@app.get(
    "/v1/customers/<customer_id>/unpaid-orders",
    summary="List a customer's unpaid orders",
    description="Open orders with a balance above zero, oldest order_date first (then created_at). One Query "
    "of a sparse index per page; follow next_cursor until has_more is false.",
    tags=["Sales ledger"],
    responses=documented(200, SalesOrderPage, 400, 404, 422),
)
def list_unpaid_orders(customer_id: str, query: Annotated[OrderListQuery, Query()]):
    return responses.ok(orders.unpaid_orders(principal(app), customer_id, query))


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
