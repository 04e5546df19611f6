"""GET /api/p/v1.0/customers/{customer_id} (vendor 002: read)"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.compat import alvys
from clientele.compat.alvys_schemas import CustomerResponse, responses
from clientele.domain.customers import service as customers
from clientele.http.auth import principal
from clientele.http.resolver import make_resolver

app = make_resolver(problems=alvys.problem)


@app.get(
    "/api/p/v1.0/customers/<customer_id>",
    summary="Get a customer (002)",
    description="The ETag is in the header only. Works while writes are switched off.",
    tags=["Vendor 002 (Alvys)"],
    responses=responses(200, CustomerResponse, 404, description="The customer"),
)
def alvys_get_customer(customer_id: str):
    return alvys.read(customers.get(principal(app), customer_id))


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
