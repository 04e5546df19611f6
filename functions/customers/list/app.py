"""GET /v1/customers (lists, sorts, filters, cursor pagination)"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.customers import lists as customer_lists
from clientele.domain.customers.lists import CustomerListQuery
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.deadlines import request_deadline
from clientele.http.openapi import documented
from clientele.http.resolver import make_resolver
from clientele.http.schemas import CustomerPage

app = make_resolver()


@app.get(
    "/v1/customers",
    summary="List customers",
    description="Every list is a Query on an index (never a Scan); follow next_cursor until has_more is false.",
    tags=["Customers"],
    responses=documented(200, CustomerPage, 400, 422),
)
def list_customers(query: Annotated[CustomerListQuery, Query()]):
    return responses.ok(customer_lists.list_customers(principal(app), query, request_deadline(app)))


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
