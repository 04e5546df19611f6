"""PUT /v1/customers/{customer_id} (full replacement, If-Match required)"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.customers import service as customers
from clientele.domain.customers.fields import CustomerReplacement
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.body import DOCUMENTED_BODY, json_object
from clientele.http.openapi import WRITE_PROBLEMS, documented
from clientele.http.preconditions import if_match
from clientele.http.resolver import make_resolver
from clientele.http.schemas import CustomerOut

app = make_resolver(writes=True)


@app.put(
    "/v1/customers/<customer_id>",
    summary="Replace a customer",
    description="Omitted optional fields reset to their defaults; a PUT without `password` keeps it. "
    "If-Match is required.",
    tags=["Customers"],
    enable_validation=False,  # the strict body parser and the domain validate (API.md §12)
    responses=documented(200, CustomerOut, *WRITE_PROBLEMS, 404, 409, 412, 428),
)
def replace_customer(customer_id: str, body: Annotated[CustomerReplacement, Body()] = DOCUMENTED_BODY):
    caller, payload = principal(app), json_object(app)
    return responses.customer(customers.replace(caller, customer_id, payload, if_match(app)))


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
