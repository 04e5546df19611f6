"""PUT /api/ManageCustomers.php (vendor 000, Shiipp: change the fields sent; If-Match optional)"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.compat import shiipp
from clientele.domain.customers import merge as customer_merge
from clientele.http.auth import principal
from clientele.http.body import DOCUMENTED_BODY, json_object
from clientele.http.preconditions import if_match
from clientele.http.resolver import make_resolver

app = make_resolver(writes=True, problems=shiipp.problem)


@app.put(
    shiipp.PATH,
    summary="Update a customer (Shiipp)",
    description='Only the fields sent change; a new first_name or last_name renames the customer "first last". '
    "404 for unknown ids and customers of another courier, 409 when the user_code is taken. If-Match is not "
    "required, and honoured when sent (412 when stale).",
    tags=[shiipp.TAG],
    enable_validation=False,  # the strict body parser, the translation and the domain validate
    responses=shiipp.responses(200, shiipp.ShiippMessage, 400, 404, 409, 412, 413, 415, 503),
)
def update_customer(body: Annotated[shiipp.ShiippUpdateRequest, Body()] = DOCUMENTED_BODY):
    caller = principal(app)
    customer_id, patch = shiipp.update_request(json_object(app))
    view = customer_merge.patch_customer(
        caller, customer_id, patch, if_match(app), if_match_required=False, name_from_parts=True
    )
    return shiipp.updated(view)


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
