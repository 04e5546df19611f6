"""POST /v1/integrations"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.integrations import instances
from clientele.domain.integrations.instances import InstanceCreation
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.body import DOCUMENTED_BODY, json_object
from clientele.http.idempotency import idempotent
from clientele.http.openapi import WRITE_PROBLEMS, documented
from clientele.http.resolver import make_resolver
from clientele.http.schemas import IntegrationOut

app = make_resolver(writes=True)


@app.post(
    "/v1/integrations",
    summary="Create an integration instance",
    description="A Starshipit account or a WooCommerce store. Credentials are kept in Secrets Manager and "
    "answered masked; base_url must pass the outbound safety rules (422 unsafe-url). Honours Idempotency-Key.",
    tags=["Integrations"],
    enable_validation=False,  # the strict body parser and the domain validate (API.md §12)
    responses=documented(201, IntegrationOut, *WRITE_PROBLEMS, description="Created"),
)
def create_integration(body: Annotated[InstanceCreation, Body()] = DOCUMENTED_BODY):
    caller, payload = principal(app), json_object(app)
    return idempotent(
        app,
        caller,
        "create_integration",
        payload,
        lambda: responses.integration(instances.create(caller, payload), status=201),
    )


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
