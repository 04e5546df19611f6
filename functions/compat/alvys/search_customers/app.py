"""POST /api/p/v1.0/customers/search (vendor 002: numbered pages ordered by Name)"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.compat import alvys
from clientele.compat.alvys_schemas import SearchRequest, SearchResponse, responses
from clientele.domain.customers import numbered_search as customer_search
from clientele.http.auth import principal
from clientele.http.body import DOCUMENTED_BODY, json_object
from clientele.http.resolver import make_resolver

app = make_resolver(problems=alvys.problem)


@app.post(
    "/api/p/v1.0/customers/search",
    summary="Search customers (002)",
    description="Any of Name (contained, case-insensitive), CompanyNumber, ExternalId, Status; none finds "
    "every customer. Page is 1-based; PageSize 1-100 (default 25). Ordered by Name. Page * PageSize may "
    "reach at most 10,000 results. Works while writes are switched off.",
    tags=["Vendor 002 (Alvys)"],
    enable_validation=False,  # the strict body parser and the domain validate
    responses=responses(200, SearchResponse, 400, 413, 415, description="One page of matches"),
)
def alvys_search_customers(body: Annotated[SearchRequest, Body()] = DOCUMENTED_BODY):
    caller, payload = principal(app), json_object(app)
    return alvys.found(customer_search.search(caller, alvys.search_criteria(payload)))


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
