"""PATCH /v1/customers/{customer_id} (RFC 7396 merge patch, If-Match required)"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.customers import service as customers
from clientele.domain.customers.fields import CustomerPatch
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.body import DOCUMENTED_BODY, json_object
from clientele.http.openapi import WRITE_PROBLEMS, documented
from clientele.http.preconditions import if_match
from clientele.http.resolver import make_resolver
from clientele.http.schemas import CustomerOut

app = make_resolver(writes=True)


@app.patch(
    "/v1/customers/<customer_id>",
    summary="Change a customer (merge patch)",
    description="If-Match is required (428 without it, 412 when stale).",
    tags=["Customers"],
    enable_validation=False,  # the strict body parser and the domain validate (API.md §12)
    responses=documented(200, CustomerOut, *WRITE_PROBLEMS, 404, 409, 412, 428),
)
def update_customer(
    customer_id: str, body: Annotated[CustomerPatch, Body(media_type="application/merge-patch+json")] = DOCUMENTED_BODY
):
    caller, patch = principal(app), json_object(app, merge_patch=True)
    return responses.customer(customers.update(caller, customer_id, patch, if_match(app)))


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
