"""DELETE /api/ManageCustomers.php (vendor 000, Shiipp: permanent delete; If-Match optional)"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.compat import shiipp
from clientele.domain.customers import service as customers
from clientele.http.auth import principal
from clientele.http.body import DOCUMENTED_BODY, json_object
from clientele.http.preconditions import if_match
from clientele.http.resolver import make_resolver

app = make_resolver(writes=True, problems=shiipp.problem)


@app.delete(
    shiipp.PATH,
    summary="Delete a customer (Shiipp)",
    description="Name the customer with ?id= or the body's courier_customer_id (the body is not read when ?id= "
    "is given). Permanent: the customer and its address book are deleted and its user_code released. 409 while "
    "sales orders or credits link it. If-Match is not required, and honoured when sent (412 when stale).",
    tags=[shiipp.TAG],
    enable_validation=False,  # the translation checks the id, wherever it comes from
    responses=shiipp.responses(200, shiipp.ShiippMessage, 400, 404, 409, 412, 415, 503, description="Deleted"),
)
def delete_customer(
    customer_id: Annotated[str | None, Query(alias="id", description="The customer's id (courier_customer_id)")] = None,
    body: Annotated[shiipp.ShiippDeleteRequest, Body()] = DOCUMENTED_BODY,
):
    caller = principal(app)
    query_id = app.current_event.get_query_string_value("id")
    sent = json_object(app) if query_id is None and app.current_event.body else None
    customers.delete(caller, shiipp.delete_target(query_id, sent), if_match(app), required=False)
    return shiipp.removed()


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
