"""POST /v1/customers/{customer_id}/sku-mappings (201 created, or 200 when the SKU was already mapped)"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.sku_mappings import service as sku_mappings
from clientele.domain.sku_mappings.service import SkuMappingFields
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.body import DOCUMENTED_BODY, json_object
from clientele.http.idempotency import idempotent
from clientele.http.openapi import WRITE_PROBLEMS, documented
from clientele.http.resolver import make_resolver
from clientele.http.schemas import SkuMappingOut

app = make_resolver(writes=True)


@app.post(
    "/v1/customers/<customer_id>/sku-mappings",
    summary="Map a customer SKU to a product (upsert)",
    description="201 with the new mapping; 200 when the customer_sku was already mapped (same id and "
    "created_at, product_id and updated_at changed). Both strings are kept exactly. Honours Idempotency-Key.",
    tags=["SKU mappings"],
    enable_validation=False,  # the strict body parser and the domain validate (API.md §12)
    responses={
        **documented(201, SkuMappingOut, *WRITE_PROBLEMS, 404, description="Created"),
        200: {"description": "Updated (the SKU was mapped)", "content": {"application/json": {"model": SkuMappingOut}}},
    },
)
def upsert_sku_mapping(customer_id: str, body: Annotated[SkuMappingFields, Body()] = DOCUMENTED_BODY):
    caller, payload = principal(app), json_object(app)
    return idempotent(
        app,
        caller,
        f"upsert_sku_mapping#{customer_id}",
        payload,
        lambda: responses.upserted_sku_mapping(sku_mappings.upsert(caller, customer_id, payload)),
    )


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
