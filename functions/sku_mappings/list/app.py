"""GET /v1/customers/{customer_id}/sku-mappings (customer_sku order, q = SKU prefix, cursor pagination)"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.sku_mappings import service as sku_mappings
from clientele.domain.sku_mappings.service import SkuMappingListQuery
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.openapi import documented
from clientele.http.resolver import make_resolver
from clientele.http.schemas import SkuMappingPage

app = make_resolver()


@app.get(
    "/v1/customers/<customer_id>/sku-mappings",
    summary="List a customer's SKU mappings",
    description="Ordered by customer_sku; `q` is a case-sensitive customer_sku prefix. One Query per page; "
    "follow next_cursor until has_more is false.",
    tags=["SKU mappings"],
    responses=documented(200, SkuMappingPage, 400, 404, 422),
)
def list_sku_mappings(customer_id: str, query: Annotated[SkuMappingListQuery, Query()]):
    return responses.ok(sku_mappings.list_mappings(principal(app), customer_id, query))


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
