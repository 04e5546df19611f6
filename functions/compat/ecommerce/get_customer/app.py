"""GET /api/v4/admin/customers/{customer_id} (vendor 001, COMPAT.md)"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.compat import ecommerce
from clientele.domain.customers import numbers as customer_numbers
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.openapi import documented
from clientele.http.preconditions import if_none_match
from clientele.http.resolver import make_resolver

app = make_resolver()


@app.get(
    "/api/v4/admin/customers/<customer_id>",
    summary="Get a customer (ecommerce admin shape)",
    description="`customer_id` is the customer's number (or its `cus_…` id). Answers the vendor's "
    '`{"customer": {...}}` with the canonical ETag header; 304 without a body when If-None-Match names it. '
    "By number the customer is found through an eventually consistent index: one created a moment ago "
    "may answer 404 for a short while.",
    tags=["Vendor 001 (ecommerce admin)"],
    responses={**documented(200, ecommerce.EcommerceCustomerResponse, 404), 304: {"description": "Not modified"}},
)
def ecommerce_get_customer(customer_id: str):
    view = customer_numbers.get(principal(app), customer_id)
    unchanged = if_none_match(app)
    if unchanged is not None and unchanged.matches(view.etag):
        return responses.not_modified(view.etag)
    return ecommerce.customer_response(view)


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
