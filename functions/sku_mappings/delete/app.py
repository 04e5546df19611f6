"""DELETE /v1/customers/{customer_id}/sku-mappings/{mapping_id}"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.sku_mappings import service as sku_mappings
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.openapi import documented
from clientele.http.resolver import make_resolver

app = make_resolver(writes=True)


@app.delete(
    "/v1/customers/<customer_id>/sku-mappings/<mapping_id>",
    summary="Delete a SKU mapping",
    tags=["SKU mappings"],
    responses=documented(204, None, 404, 503, description="Deleted"),
)
def delete_sku_mapping(customer_id: str, mapping_id: str):
    sku_mappings.delete(principal(app), customer_id, mapping_id)
    return responses.no_content()


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
