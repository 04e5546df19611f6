"""GET /v1/jobs (the tenant's jobs, newest first)"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.jobs import views as job_views
from clientele.domain.jobs.views import JobListQuery
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.openapi import documented
from clientele.http.resolver import make_resolver
from clientele.http.schemas import JobPage

app = make_resolver()


@app.get(
    "/v1/jobs",
    summary="List jobs",
    description="Imports (S3 drops included) and bulk jobs, newest first; filter by `type` and `status`. "
    "Entries have every field GET /v1/jobs/{job_id} answers; a running import's `errors_sample` is the one "
    "it keeps as it goes (exact once it ends), where the GET reads it live.",
    tags=["Jobs"],
    responses=documented(200, JobPage, 400, 422),
)
def list_jobs(query: Annotated[JobListQuery, Query()]):
    return responses.ok(job_views.list_jobs(principal(app), query))


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
