"""GET /v1/customers/{customer_id}/addresses"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.customers import address_book
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.openapi import documented
from clientele.http.resolver import make_resolver
from clientele.http.schemas import AddressList

app = make_resolver()


@app.get(
    "/v1/customers/<customer_id>/addresses",
    summary="List a customer's addresses",
    tags=["Addresses"],
    responses=documented(200, AddressList, 404),
)
def list_addresses(customer_id: str):
    return responses.ok({"data": address_book.list_addresses(principal(app), customer_id)})


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
