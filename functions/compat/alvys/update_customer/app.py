"""PATCH /api/p/v1.0/customers/{customer_id} (vendor 002: RFC 7396 merge patch, If-Match required)"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.compat import alvys
from clientele.compat.alvys_schemas import CustomerWrite, CustomerWriteResponse, responses
from clientele.domain.customers import merge as customer_merge
from clientele.http.auth import principal
from clientele.http.body import DOCUMENTED_BODY, json_object
from clientele.http.preconditions import if_match
from clientele.http.resolver import make_resolver

app = make_resolver(writes=True, problems=alvys.problem)


@app.patch(
    "/api/p/v1.0/customers/<customer_id>",
    summary="Change a customer (002 merge patch)",
    description="Omitted fields stay, null clears. If-Match is required (428 without it, 412 when stale). "
    'Restores a soft-deleted customer with {"Status": "Active"}.',
    tags=["Vendor 002 (Alvys)"],
    enable_validation=False,  # the strict body parser and the domain validate
    responses=responses(200, CustomerWriteResponse, 400, 404, 409, 412, 413, 415, 428, 503, description="Changed"),
)
def alvys_update_customer(
    customer_id: str, body: Annotated[CustomerWrite, Body(media_type="application/merge-patch+json")] = DOCUMENTED_BODY
):
    caller, payload = principal(app), json_object(app, merge_patch=True)
    view = customer_merge.patch_customer(
        caller,
        customer_id,
        alvys.patch_body(payload),
        if_match(app),
        if_match_required=True,
        new_address_defaults=alvys.new_address_defaults(),
    )
    return alvys.written(view)


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
