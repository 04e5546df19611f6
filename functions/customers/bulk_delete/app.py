"""POST /v1/customers/bulk-delete (by ids: a result per id in request order; by filter: 202 and a job)"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.jobs import bulk
from clientele.domain.jobs.bulk import BulkBody
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.body import DOCUMENTED_BODY, json_object
from clientele.http.openapi import WRITE_PROBLEMS, documented
from clientele.http.resolver import make_resolver
from clientele.http.schemas import BulkResults, JobOut

app = make_resolver(writes=True)


@app.post(
    "/v1/customers/bulk-delete",
    summary="Bulk delete",
    description='`{"ids": [...]}` (1-100): one result per id (deleted / not_found / linked_records), in request order. '
    '`{"filter": {...}}`: 202 and a job acting on every matching customer.',
    tags=["Bulk"],
    enable_validation=False,  # the strict body parser and the domain validate (API.md §12)
    responses={
        **documented(200, BulkResults, *WRITE_PROBLEMS),
        202: {"description": "A job was created", "content": {"application/json": {"model": JobOut}}},
    },
)
def bulk_delete_customers(body: Annotated[BulkBody, Body()] = DOCUMENTED_BODY):
    caller, payload = principal(app), json_object(app)
    return responses.bulk(bulk.run(caller, "delete", payload))


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
