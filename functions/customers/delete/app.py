"""DELETE /v1/customers/{customer_id} (hard delete, If-Match required)"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.customers import service as customers
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.openapi import documented
from clientele.http.preconditions import if_match
from clientele.http.resolver import make_resolver

app = make_resolver(writes=True)


@app.delete(
    "/v1/customers/<customer_id>",
    summary="Delete a customer",
    description="Hard delete of the customer and its address book; releases its unique values. "
    "409 linked-records while sales orders or credits link it. If-Match is required.",
    tags=["Customers"],
    responses=documented(204, None, 404, 409, 412, 428, 503, description="Deleted"),
)
def delete_customer(customer_id: str):
    customers.delete(principal(app), customer_id, if_match(app))
    return responses.no_content()


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
