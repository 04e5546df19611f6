"""DELETE /api/p/v1.0/customers/{customer_id} (vendor 002: soft delete, If-Match required)"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.compat import alvys
from clientele.compat.alvys_schemas import responses
from clientele.domain.customers import merge as customer_merge
from clientele.http import responses as answers
from clientele.http.auth import principal
from clientele.http.preconditions import if_match
from clientele.http.resolver import make_resolver

app = make_resolver(writes=True, problems=alvys.problem)


@app.delete(
    "/api/p/v1.0/customers/<customer_id>",
    summary="Soft-delete a customer (002)",
    description="Status becomes Inactive and the CompanyNumber stays reserved; "
    'PATCH {"Status": "Active"} restores it. If-Match is required.',
    tags=["Vendor 002 (Alvys)"],
    responses=responses(204, None, 404, 412, 428, 503, description="Soft-deleted"),
)
def alvys_delete_customer(customer_id: str):
    customer_merge.patch_customer(principal(app), customer_id, alvys.SOFT_DELETE, if_match(app), if_match_required=True)
    return answers.no_content()


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
