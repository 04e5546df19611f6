"""DELETE /v1/sales-credits/{credit_id}/allocations/{allocation_id}"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.ledger import credits
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.openapi import documented
from clientele.http.resolver import make_resolver
from clientele.http.schemas import UnallocationResult

app = make_resolver(writes=True)


@app.delete(
    "/v1/sales-credits/<credit_id>/allocations/<allocation_id>",
    summary="Unallocate a sales credit from an order",
    description="Removes the allocation and its credit payment on the order; both payment_status values are "
    "recalculated.",
    tags=["Sales ledger"],
    responses=documented(200, UnallocationResult, 404, 503),
)
def unallocate_sales_credit(credit_id: str, allocation_id: str):
    return responses.ok(credits.unallocate(principal(app), credit_id, allocation_id))


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
