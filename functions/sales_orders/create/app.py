"""POST /v1/sales-orders"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.ledger import orders
from clientele.domain.ledger.orders import SalesOrderCreation
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.body import DOCUMENTED_BODY, json_object
from clientele.http.idempotency import idempotent
from clientele.http.openapi import WRITE_PROBLEMS, documented
from clientele.http.resolver import make_resolver
from clientele.http.schemas import SalesOrderOut

app = make_resolver(writes=True)


@app.post(
    "/v1/sales-orders",
    summary="Create a sales order",
    description="Lines (0-250) with customer_sku resolved through the customer's SKU mappings; total computed "
    "from the lines or checked against them (total_mismatch); ship_to an address, {address_id} of the "
    "customer's book, or (omitted) its default shipping address, kept as a snapshot. The number is unique per "
    "tenant (409 conflict naming the holder). Honours Idempotency-Key.",
    tags=["Sales ledger"],
    enable_validation=False,  # the strict body parser and the domain validate (API.md §12)
    responses=documented(201, SalesOrderOut, *WRITE_PROBLEMS, 404, 409, description="Created"),
)
def create_sales_order(body: Annotated[SalesOrderCreation, Body()] = DOCUMENTED_BODY):
    caller, payload = principal(app), json_object(app)
    return idempotent(
        app,
        caller,
        "create_sales_order",
        payload,
        lambda: _created(orders.create(caller, payload)),
    )


def _created(order: dict[str, Any]):
    return responses.created(order, f"/v1/sales-orders/{order['id']}")


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
