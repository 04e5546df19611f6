"""POST /v1/customers"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.customers import service as customers
from clientele.domain.customers.fields import CustomerCreation
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.body import DOCUMENTED_BODY, json_object
from clientele.http.idempotency import idempotent
from clientele.http.openapi import WRITE_PROBLEMS, documented
from clientele.http.resolver import make_resolver
from clientele.http.schemas import CustomerOut

app = make_resolver(writes=True)


@app.post(
    "/v1/customers",
    summary="Create a customer",
    description="Optional `address` / `billing_address` become address-book entries and defaults. "
    "Honours Idempotency-Key.",
    tags=["Customers"],
    enable_validation=False,  # the strict body parser and the domain validate (API.md §12)
    responses=documented(201, CustomerOut, *WRITE_PROBLEMS, 409, description="Created"),
)
def create_customer(body: Annotated[CustomerCreation, Body()] = DOCUMENTED_BODY):
    caller, payload = principal(app), json_object(app)
    return idempotent(
        app,
        caller,
        "create_customer",
        payload,
        lambda: responses.customer(customers.create(caller, payload), status=201),
    )


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
