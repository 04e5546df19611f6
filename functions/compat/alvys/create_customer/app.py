"""POST /api/p/v1.0/customers (vendor 002: create)"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.compat import alvys
from clientele.compat.alvys_schemas import CustomerWrite, CustomerWriteResponse, responses
from clientele.domain.customers import service as customers
from clientele.http.auth import principal
from clientele.http.body import DOCUMENTED_BODY, json_object
from clientele.http.resolver import make_resolver

app = make_resolver(writes=True, problems=alvys.problem)


@app.post(
    "/api/p/v1.0/customers",
    summary="Create a customer (002)",
    description="Name and Type are required; other fields than the writable ones are ignored. "
    "The ETag is in the header and the body.",
    tags=["Vendor 002 (Alvys)"],
    enable_validation=False,  # the strict body parser and the domain validate
    responses=responses(201, CustomerWriteResponse, 400, 409, 413, 415, 503, description="Created"),
)
def alvys_create_customer(body: Annotated[CustomerWrite, Body()] = DOCUMENTED_BODY):
    caller, payload = principal(app), json_object(app)
    return alvys.written(customers.create(caller, alvys.creation_body(payload), alvys.REQUIRED_ON_CREATE), status=201)


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
