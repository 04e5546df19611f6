"""GET /v1/customers/{customer_id}"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.customers import service as customers
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.openapi import documented
from clientele.http.preconditions import if_none_match
from clientele.http.resolver import make_resolver
from clientele.http.schemas import CustomerOut

app = make_resolver()


@app.get(
    "/v1/customers/<customer_id>",
    summary="Get a customer with its address book",
    description="Answers 304 without a body when If-None-Match names the current ETag.",
    tags=["Customers"],
    responses={**documented(200, CustomerOut, 404), 304: {"description": "Not modified"}},
)
def get_customer(customer_id: str):
    view = customers.get(principal(app), customer_id)
    unchanged = if_none_match(app)
    if unchanged is not None and unchanged.matches(view.etag):
        return responses.not_modified(view.etag)
    return responses.customer(view)


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
