"""GET /v1/integrations (the tenant's integration instances, newest first)"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.integrations import instances
from clientele.domain.integrations.instances import InstanceListQuery
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.openapi import documented
from clientele.http.resolver import make_resolver
from clientele.http.schemas import IntegrationPage

app = make_resolver()


@app.get(
    "/v1/integrations",
    summary="List integration instances",
    description="Newest first; filter by `type`. Credentials are masked.",
    tags=["Integrations"],
    responses=documented(200, IntegrationPage, 400, 422),
)
def list_integrations(query: Annotated[InstanceListQuery, Query()]):
    return responses.ok(instances.list_instances(principal(app), query))


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
