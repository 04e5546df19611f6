"""DELETE /v1/customers/{customer_id}/addresses/{address_id} (409 address-in-use for a default)"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.customers import address_book
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.openapi import documented
from clientele.http.preconditions import if_match
from clientele.http.resolver import make_resolver

app = make_resolver(writes=True)


@app.delete(
    "/v1/customers/<customer_id>/addresses/<address_id>",
    summary="Delete an address",
    description="A default shipping or billing address can't be deleted (409 address-in-use).",
    tags=["Addresses"],
    responses=documented(204, None, 404, 409, 412, 503, description="Deleted"),
)
def delete_address(customer_id: str, address_id: str):
    address_book.delete_address(principal(app), customer_id, address_id, if_match(app))
    return responses.no_content()


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
