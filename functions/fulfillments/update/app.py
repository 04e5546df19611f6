"""PATCH /v1/fulfillments/{fulfillment_id} (RFC 7396 merge patch, If-Match required)"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.ledger import fulfillments
from clientele.domain.ledger.fulfillments import FulfillmentPatch
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.body import DOCUMENTED_BODY, json_object
from clientele.http.openapi import WRITE_PROBLEMS, documented
from clientele.http.preconditions import if_match
from clientele.http.resolver import make_resolver
from clientele.http.schemas import FulfillmentOut

app = make_resolver(writes=True)


@app.patch(
    "/v1/fulfillments/<fulfillment_id>",
    summary="Change a fulfillment's shipping details (merge patch)",
    description="packages, carrier, service_code, reference, ship_to. If-Match is required (428 without it, 412 "
    "when stale); a cancelled fulfillment is 409 fulfillment-cancelled. A submitted one stays submitted: push "
    "the change to Starshipit with PUT /v1/fulfillments/{id}/starshipit-order.",
    tags=["Fulfillments"],
    enable_validation=False,  # the strict body parser and the domain validate (API.md §12)
    responses=documented(200, FulfillmentOut, *WRITE_PROBLEMS, 404, 409, 412, 428),
)
def update_fulfillment(
    fulfillment_id: str,
    body: Annotated[FulfillmentPatch, Body(media_type="application/merge-patch+json")] = DOCUMENTED_BODY,
):
    caller, patch = principal(app), json_object(app, merge_patch=True)
    return responses.fulfillment(fulfillments.update(caller, fulfillment_id, patch, if_match(app)))


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
