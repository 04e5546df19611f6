"""POST /api/ManageCustomers.php (vendor 000, Shiipp: create a customer)"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.compat import shiipp
from clientele.domain.customers import service as customers
from clientele.http.auth import principal
from clientele.http.body import DOCUMENTED_BODY, json_object
from clientele.http.idempotency import idempotent
from clientele.http.resolver import make_resolver

app = make_resolver(writes=True, problems=shiipp.problem)


@app.post(
    shiipp.PATH,
    summary="Create a customer (Shiipp)",
    description="user_code, first_name and last_name are required; is_active is 1 (default) or 0. Admins and "
    "managers must send courier_id; a courier's customers are always its own. 409 when the user_code exists in "
    "that courier account. Honours Idempotency-Key.",
    tags=[shiipp.TAG],
    enable_validation=False,  # the strict body parser, the translation and the domain validate
    responses=shiipp.responses(201, shiipp.ShiippCreated, 400, 409, 413, 415, 503, description="Created"),
)
def create_customer(body: Annotated[shiipp.ShiippCreateRequest, Body()] = DOCUMENTED_BODY):
    caller, request = principal(app), json_object(app)
    return idempotent(
        app,
        caller,
        "shiipp_create_customer",
        request,
        lambda: shiipp.created(customers.create(caller, shiipp.creation_body(caller, request))),
    )


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
