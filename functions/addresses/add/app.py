"""POST /v1/customers/{customer_id}/addresses (201 new, or 200 with `deduplicated: true`)"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.customers import address_book
from clientele.domain.customers.addresses import AddressFields
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.body import DOCUMENTED_BODY, json_object
from clientele.http.idempotency import idempotent
from clientele.http.openapi import WRITE_PROBLEMS, documented
from clientele.http.preconditions import if_match
from clientele.http.resolver import make_resolver
from clientele.http.schemas import AddressOut

app = make_resolver(writes=True)


@app.post(
    "/v1/customers/<customer_id>/addresses",
    summary="Add an address (deduplicated)",
    description="201 with the new address; 200 with the existing one and `deduplicated: true` when the same "
    "place is already in the book. Honours If-Match and Idempotency-Key.",
    tags=["Addresses"],
    enable_validation=False,  # the strict body parser and the domain validate (API.md §12)
    responses={
        **documented(201, AddressOut, *WRITE_PROBLEMS, 404, 409, 412, description="Created"),
        200: {"description": "Already there (deduplicated)", "content": {"application/json": {"model": AddressOut}}},
    },
)
def add_address(customer_id: str, body: Annotated[AddressFields, Body()] = DOCUMENTED_BODY):
    caller, payload = principal(app), json_object(app)
    return idempotent(
        app,
        caller,
        f"add_address#{customer_id}",
        payload,
        lambda: responses.added_address(address_book.add_address(caller, customer_id, payload, if_match(app))),
    )


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
