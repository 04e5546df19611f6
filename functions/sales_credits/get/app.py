"""GET /v1/sales-credits/{credit_id}"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.ledger import credits
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.openapi import documented
from clientele.http.resolver import make_resolver
from clientele.http.schemas import SalesCreditOut

app = make_resolver()


@app.get(
    "/v1/sales-credits/<credit_id>",
    summary="Get a sales credit",
    tags=["Sales ledger"],
    responses=documented(200, SalesCreditOut, 404),
)
def get_sales_credit(credit_id: str):
    return responses.ok(credits.get(principal(app), credit_id))


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
