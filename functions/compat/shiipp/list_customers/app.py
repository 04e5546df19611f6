"""GET /api/ManageCustomers.php (vendor 000, Shiipp: list customers, cursor pagination)"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.compat import shiipp
from clientele.domain.customers import lists as customer_lists
from clientele.http.auth import principal
from clientele.http.resolver import make_resolver

app = make_resolver(problems=shiipp.problem)


@app.get(
    shiipp.PATH,
    summary="List customers (Shiipp)",
    description="Newest first. courier_id filters by courier organization (ignored for couriers, who only see "
    "their own); limit is 1-200 (default 50); follow next_cursor until it is null.",
    tags=[shiipp.TAG],
    responses=shiipp.responses(200, shiipp.ShiippPage, 400),
)
def list_customers(query: Annotated[shiipp.ListQuery, Query()]):
    caller = principal(app)
    return shiipp.page(customer_lists.list_customers(caller, shiipp.list_query(caller, query)))


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
