"""PATCH /v1/integrations/{integration_id} (RFC 7396 merge patch, If-Match required)"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.integrations import instances
from clientele.domain.integrations.instances import InstancePatch
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.body import DOCUMENTED_BODY, json_object
from clientele.http.openapi import WRITE_PROBLEMS, documented
from clientele.http.preconditions import if_match
from clientele.http.resolver import make_resolver
from clientele.http.schemas import IntegrationOut

app = make_resolver(writes=True)


@app.patch(
    "/v1/integrations/<integration_id>",
    summary="Change an integration instance (merge patch)",
    description="name, base_url, credentials (each key sent is replaced: rotation) and settings; `type` is "
    "read-only (422). If-Match is required (428 without it, 412 when stale).",
    tags=["Integrations"],
    enable_validation=False,  # the strict body parser and the domain validate (API.md §12)
    responses=documented(200, IntegrationOut, *WRITE_PROBLEMS, 404, 412, 428),
)
def update_integration(
    integration_id: str,
    body: Annotated[InstancePatch, Body(media_type="application/merge-patch+json")] = DOCUMENTED_BODY,
):
    caller, patch = principal(app), json_object(app, merge_patch=True)
    return responses.integration(instances.update(caller, integration_id, patch, if_match(app)))


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
