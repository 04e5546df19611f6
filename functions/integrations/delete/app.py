"""DELETE /v1/integrations/{integration_id} (If-Match required)"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.integrations import instances
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.openapi import documented
from clientele.http.preconditions import if_match
from clientele.http.resolver import make_resolver

app = make_resolver(writes=True)


@app.delete(
    "/v1/integrations/<integration_id>",
    summary="Delete an integration instance",
    description="Deletes the instance and its credentials' secret. Links it made (external ids) stay. "
    "If-Match is required.",
    tags=["Integrations"],
    responses=documented(204, None, 404, 412, 428, 503, description="Deleted"),
)
def delete_integration(integration_id: str):
    instances.delete(principal(app), integration_id, if_match(app))
    return responses.no_content()


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
