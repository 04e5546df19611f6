"""GET /v1/customers/{customer_id}/history (newest first, cursor pagination)"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.history import service as history
from clientele.domain.history.service import HistoryQuery
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.openapi import documented
from clientele.http.resolver import make_resolver
from clientele.http.schemas import HistoryPage

app = make_resolver()


@app.get(
    "/v1/customers/<customer_id>/history",
    summary="A customer's history",
    description="One entry per customer version, newest first, written by the change stream within seconds "
    "of each write. Readable for 30 days after a hard delete. Follow next_cursor until has_more is false.",
    tags=["Customers"],
    responses=documented(200, HistoryPage, 400, 404, 422),
)
def customer_history(customer_id: str, query: Annotated[HistoryQuery, Query()]):
    return responses.ok(history.list_history(principal(app), customer_id, query))


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
