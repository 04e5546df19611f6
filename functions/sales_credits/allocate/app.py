"""POST /v1/sales-credits/{credit_id}/allocations"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.ledger import credits
from clientele.domain.ledger.credits import AllocationRequest
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.body import DOCUMENTED_BODY, json_object
from clientele.http.idempotency import idempotent
from clientele.http.openapi import WRITE_PROBLEMS, documented
from clientele.http.resolver import make_resolver
from clientele.http.schemas import AllocationResult

app = make_resolver(writes=True)


@app.post(
    "/v1/sales-credits/<credit_id>/allocations",
    summary="Allocate a sales credit to orders",
    description="1-25 entries, each order once; all or nothing. Every order must be open, of the credit's "
    "customer and currency; each amount at most the order's balance, their sum at most the credit's remaining. "
    "Any violation: 422 allocation-rejected with errors pointing at the entries, nothing written. Holds under "
    "concurrency. Honours Idempotency-Key.",
    tags=["Sales ledger"],
    enable_validation=False,  # the strict body parser and the domain validate (API.md §12)
    responses=documented(201, AllocationResult, *WRITE_PROBLEMS, 404, description="Allocated"),
)
def allocate_sales_credit(credit_id: str, body: Annotated[AllocationRequest, Body()] = DOCUMENTED_BODY):
    caller, payload = principal(app), json_object(app)
    return idempotent(
        app,
        caller,
        f"allocate_sales_credit#{credit_id}",
        payload,
        lambda: responses.created(credits.allocate(caller, credit_id, payload)),
    )


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
