"""POST /v1/imports/{job_id}/commit (202 with the commit job)"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.imports import service as imports
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.openapi import WRITE_PROBLEMS, documented
from clientele.http.resolver import make_resolver
from clientele.http.schemas import ImportJobOut

app = make_resolver(writes=True)


@app.post(
    "/v1/imports/<job_id>/commit",
    summary="Commit a finished preview",
    description="A new job (`mode: commit`, `source_job_id`) over the preview's file and options; "
    "409 unless the job is a finished preview.",
    tags=["Imports"],
    responses=documented(202, ImportJobOut, *WRITE_PROBLEMS, 404, 409, description="Accepted"),
)
def commit_import(job_id: str):
    return responses.job(imports.commit_preview(principal(app), job_id), 202)


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
