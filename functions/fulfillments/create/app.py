"""POST /v1/sales-orders/{order_id}/fulfillments"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.ledger import fulfillments
from clientele.domain.ledger.fulfillments import FulfillmentCreation
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.body import DOCUMENTED_BODY, json_object
from clientele.http.idempotency import idempotent
from clientele.http.openapi import WRITE_PROBLEMS, documented
from clientele.http.resolver import make_resolver
from clientele.http.schemas import FulfillmentOut

app = make_resolver(writes=True)


@app.post(
    "/v1/sales-orders/<order_id>/fulfillments",
    summary="Fulfill some of an order's lines",
    description="lines [{line_id, quantity}] (1-250, each line once; omitted: every line's unfulfilled quantity). "
    "A quantity above the line's unfulfilled quantity is 422 over_fulfilled at /lines/{i}/quantity; an order "
    "without lines is 422; a cancelled order 409 order-cancelled. The order's fulfilled quantities change in the "
    "same transaction. Honours Idempotency-Key.",
    tags=["Fulfillments"],
    enable_validation=False,  # the strict body parser and the domain validate (API.md §12)
    responses=documented(201, FulfillmentOut, *WRITE_PROBLEMS, 404, 409, description="Created"),
)
def create_fulfillment(order_id: str, body: Annotated[FulfillmentCreation, Body()] = DOCUMENTED_BODY):
    caller, payload = principal(app), json_object(app)
    return idempotent(
        app,
        caller,
        f"create_fulfillment#{order_id}",
        payload,
        lambda: responses.fulfillment(fulfillments.create(caller, order_id, payload), status=201),
    )


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
