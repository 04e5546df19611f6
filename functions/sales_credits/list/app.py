"""GET /v1/customers/{customer_id}/sales-credits"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.ledger import credits
from clientele.domain.ledger.credits import CreditListQuery
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.openapi import documented
from clientele.http.resolver import make_resolver
from clientele.http.schemas import SalesCreditPage

app = make_resolver()


@app.get(
    "/v1/customers/<customer_id>/sales-credits",
    summary="List a customer's sales credits",
    description="In creation order; status=open lists those with something remaining (seed 003's open "
    "credits), all (default) every credit. One Query per page.",
    tags=["Sales ledger"],
    responses=documented(200, SalesCreditPage, 400, 404, 422),
)
def list_sales_credits(customer_id: str, query: Annotated[CreditListQuery, Query()]):
    return responses.ok(credits.list_credits(principal(app), customer_id, query))


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
