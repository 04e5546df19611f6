"""PUT /v1/customers/{customer_id}/default-shipping-address (body {"address_id"}; answers the customer)"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.customers import address_book
from clientele.domain.customers.address_book import DefaultAddress
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.body import DOCUMENTED_BODY, json_object
from clientele.http.openapi import WRITE_PROBLEMS, documented
from clientele.http.preconditions import if_match
from clientele.http.resolver import make_resolver
from clientele.http.schemas import CustomerOut

app = make_resolver(writes=True)


@app.put(
    "/v1/customers/<customer_id>/default-shipping-address",
    summary="Set the default shipping address",
    tags=["Addresses"],
    enable_validation=False,  # the strict body parser and the domain validate (API.md §12)
    responses=documented(200, CustomerOut, *WRITE_PROBLEMS, 404, 409, 412),
)
def set_default_shipping_address(customer_id: str, body: Annotated[DefaultAddress, Body()] = DOCUMENTED_BODY):
    caller, payload = principal(app), json_object(app)
    return responses.customer(address_book.set_default(caller, customer_id, "shipping", payload, if_match(app)))


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
