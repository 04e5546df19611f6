"""GET /v1/integrations/{integration_id}"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.integrations import instances
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.openapi import documented
from clientele.http.resolver import make_resolver
from clientele.http.schemas import IntegrationOut

app = make_resolver()


@app.get(
    "/v1/integrations/<integration_id>",
    summary="Get an integration instance",
    description="Credentials are masked; the ETag header is the instance's current version.",
    tags=["Integrations"],
    responses=documented(200, IntegrationOut, 404),
)
def get_integration(integration_id: str):
    return responses.integration(instances.get(principal(app), integration_id))


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
