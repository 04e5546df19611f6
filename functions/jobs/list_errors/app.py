"""GET /v1/jobs/{job_id}/errors (JSON pages, or every error as CSV with ?format=csv)"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.jobs import views as job_views
from clientele.domain.jobs.views import JobErrorsQuery
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.openapi import documented
from clientele.http.resolver import make_resolver
from clientele.http.schemas import DownloadLink, JobErrorPage

app = make_resolver()


@app.get(
    "/v1/jobs/<job_id>/errors",
    summary="A job's row errors",
    description="Row errors in row order (`row`: 1-based data row; `line`: the file line where the record "
    "starts). `?format=csv` answers every error as text/csv (303 to a download link when too large).",
    tags=["Jobs"],
    responses={
        **documented(200, JobErrorPage, 400, 404, 422),
        303: {
            "description": "CSV too large to answer inline",
            "content": {"application/json": {"model": DownloadLink}},
        },
    },
)
def list_job_errors(job_id: str, query: Annotated[JobErrorsQuery, Query()]):
    caller = principal(app)
    if query.format == "csv":
        return responses.export(job_views.errors_csv(caller, job_id))
    return responses.ok(job_views.list_errors(caller, job_id, query))


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
