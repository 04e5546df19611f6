"""GET /v1/customers/{customer_id}/sku-mappings/export (CSV inline, or 303 to a download link when large)"""

from typing import Any

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.sku_mappings import service as sku_mappings
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.openapi import documented
from clientele.http.resolver import make_resolver
from clientele.http.schemas import DownloadLink

app = make_resolver()

_ANSWERS: dict[int, OpenAPIResponse] = {
    200: {"description": "The CSV file", "content": {"text/csv": {"schema": {"type": "string"}}}},
    **documented(303, DownloadLink, 404, description="Too large to answer inline: fetch it from Location"),
}
_ANSWERS[303]["headers"] = {"Location": {"description": "Presigned GET URL (15 minutes)", "schema": {"type": "string"}}}


@app.get(
    "/v1/customers/<customer_id>/sku-mappings/export",
    summary="Export a customer's SKU mappings as CSV",
    description="`customer_sku,product_id`, every mapping in customer_sku order, RFC 4180 with CRLF line ends; "
    "a cell starting with =, +, -, @, tab, CR, NUL or ' gets a ' prefix (formula injection). An export "
    "too large for a Lambda response (about 5 MB) is stored for 7 days and answered with 303 See Other: "
    "Location (and the body's url) is a presigned GET link valid for 15 minutes.",
    tags=["SKU mappings"],
    responses=_ANSWERS,
)
def export_sku_mappings(customer_id: str):
    return responses.export(sku_mappings.export(principal(app), customer_id))


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
