"""PATCH /v1/customers/{customer_id}/addresses/{address_id} (merge patch; If-Match honoured)"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.customers import address_book
from clientele.domain.customers.addresses import AddressPatch
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.body import DOCUMENTED_BODY, json_object
from clientele.http.openapi import WRITE_PROBLEMS, documented
from clientele.http.preconditions import if_match
from clientele.http.resolver import make_resolver
from clientele.http.schemas import AddressOut

app = make_resolver(writes=True)


@app.patch(
    "/v1/customers/<customer_id>/addresses/<address_id>",
    summary="Change an address (merge patch)",
    tags=["Addresses"],
    enable_validation=False,  # the strict body parser and the domain validate (API.md §12)
    responses=documented(200, AddressOut, *WRITE_PROBLEMS, 404, 409, 412),
)
def update_address(
    customer_id: str,
    address_id: str,
    body: Annotated[AddressPatch, Body(media_type="application/merge-patch+json")] = DOCUMENTED_BODY,
):
    caller, patch = principal(app), json_object(app, merge_patch=True)
    address = address_book.update_address(caller, customer_id, address_id, patch, if_match(app))
    return responses.address(address, customer_id)


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
