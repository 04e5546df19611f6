"""POST /v1/customers/match (candidates at a postal code, scored on line1 and name)"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.customers import matching
from clientele.domain.customers.matching import MatchRequest
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.body import DOCUMENTED_BODY, json_object
from clientele.http.openapi import BODY_PROBLEMS, documented
from clientele.http.resolver import make_resolver
from clientele.http.schemas import Matches

app = make_resolver()


@app.post(
    "/v1/customers/match",
    summary="Find customers matching a postal code, address line and name",
    tags=["Customers"],
    enable_validation=False,  # the strict body parser and the domain validate (API.md §12)
    responses=documented(200, Matches, *BODY_PROBLEMS),
)
def match_customers(body: Annotated[MatchRequest, Body()] = DOCUMENTED_BODY):
    caller, payload = principal(app), json_object(app)
    return responses.ok({"matches": matching.match(caller, payload)})


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
