"""POST /v1/imports (201 with the job and a presigned upload)"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.imports import service as imports
from clientele.domain.imports.service import ImportRequest
from clientele.http import responses
from clientele.http.auth import principal, require_scope_for
from clientele.http.body import DOCUMENTED_BODY, json_object
from clientele.http.idempotency import idempotent
from clientele.http.openapi import WRITE_PROBLEMS, documented
from clientele.http.resolver import make_resolver
from clientele.http.schemas import ImportJobOut

app = make_resolver(writes=True)


@app.post(
    "/v1/imports",
    summary="Start a CSV import",
    description="Creates the job and answers a presigned S3 PUT for the file; the upload starts processing. "
    "`sku_mappings` imports also need the sku:write scope. Honours Idempotency-Key.",
    tags=["Imports"],
    enable_validation=False,  # the strict body parser and the domain validate (API.md §12)
    responses=documented(201, ImportJobOut, *WRITE_PROBLEMS, 404, description="Created"),
)
def create_import(body: Annotated[ImportRequest, Body()] = DOCUMENTED_BODY):
    caller, payload = principal(app), json_object(app)
    if payload.get("type") == "sku_mappings":
        require_scope_for(app, "sku:write", "a sku_mappings import")
    return idempotent(app, caller, "create_import", payload, lambda: responses.job(imports.start(caller, payload), 201))


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
