"""POST /v1/sales-credits"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.ledger import credits
from clientele.domain.ledger.credits import SalesCreditCreation
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.body import DOCUMENTED_BODY, json_object
from clientele.http.idempotency import idempotent
from clientele.http.openapi import WRITE_PROBLEMS, documented
from clientele.http.resolver import make_resolver
from clientele.http.schemas import SalesCreditOut

app = make_resolver(writes=True)


@app.post(
    "/v1/sales-credits",
    summary="Create a sales credit",
    description="A positive amount in an ISO 4217 currency for a customer. Honours Idempotency-Key.",
    tags=["Sales ledger"],
    enable_validation=False,  # the strict body parser and the domain validate (API.md §12)
    responses=documented(201, SalesCreditOut, *WRITE_PROBLEMS, 404, description="Created"),
)
def create_sales_credit(body: Annotated[SalesCreditCreation, Body()] = DOCUMENTED_BODY):
    caller, payload = principal(app), json_object(app)
    return idempotent(app, caller, "create_sales_credit", payload, lambda: _created(credits.create(caller, payload)))


def _created(credit: dict[str, Any]):
    return responses.created(credit, f"/v1/sales-credits/{credit['id']}")


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
