"""GET /v1/integrations/{integration_id}/woocommerce/customers (the store's customers, live)"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.integrations import woocommerce
from clientele.domain.integrations.woocommerce import WooCustomersQuery
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.deadlines import request_deadline
from clientele.http.openapi import documented
from clientele.http.resolver import make_resolver
from clientele.http.schemas import WooCustomerPage

app = make_resolver()


@app.get(
    "/v1/integrations/<integration_id>/woocommerce/customers",
    summary="List a WooCommerce store's customers",
    description="Woo's page as it is now (id order), each with `customer_id`, the linked Clientele customer "
    "(external_id woo:{integration_id}:{woo_id}) or null; total and total_pages from X-WP-Total and "
    "X-WP-TotalPages. The store's refusals are 422 integration-rejected or integration-credentials-rejected; "
    "no usable answer after the retries is 502 integration-unavailable; an unsafe base_url is 422 unsafe-url.",
    tags=["Integrations"],
    responses=documented(200, WooCustomerPage, 404, 422, 502),
)
def list_woocommerce_customers(integration_id: str, query: Annotated[WooCustomersQuery, Query()]):
    return responses.ok(woocommerce.browse(principal(app), integration_id, query, request_deadline(app)))


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
