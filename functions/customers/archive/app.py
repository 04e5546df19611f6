"""POST /v1/customers/{customer_id}/archive (idempotent; If-Match honoured when sent)"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.customers import service as customers
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.openapi import documented
from clientele.http.preconditions import if_match
from clientele.http.resolver import make_resolver
from clientele.http.schemas import CustomerOut

app = make_resolver(writes=True)


@app.post(
    "/v1/customers/<customer_id>/archive",
    summary="Archive a customer",
    description="Idempotent: archiveing twice changes nothing the second time. If-Match is honoured when sent.",
    tags=["Customers"],
    responses=documented(200, CustomerOut, 404, 412, 503),
)
def archive_customer(customer_id: str):
    return responses.customer(customers.set_archived(principal(app), customer_id, True, if_match(app)))


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
