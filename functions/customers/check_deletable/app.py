"""POST /v1/customers/deletable (per id: deletable, and the reasons it is not)"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.jobs import bulk
from clientele.domain.jobs.bulk import IdsBody
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.body import DOCUMENTED_BODY, json_object
from clientele.http.openapi import BODY_PROBLEMS, documented
from clientele.http.resolver import make_resolver
from clientele.http.schemas import DeletableResults

app = make_resolver()


@app.post(
    "/v1/customers/deletable",
    summary="Which customers could be deleted",
    tags=["Bulk"],
    enable_validation=False,  # the strict body parser and the domain validate (API.md §12)
    responses=documented(200, DeletableResults, *BODY_PROBLEMS),
)
def check_deletable(body: Annotated[IdsBody, Body()] = DOCUMENTED_BODY):
    caller, payload = principal(app), json_object(app)
    return responses.ok({"results": bulk.deletable(caller, bulk.parse_ids(payload))})


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
