"""GET /v1/jobs/{job_id}"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.domain.jobs import views as job_views
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.openapi import documented
from clientele.http.resolver import make_resolver
from clientele.http.schemas import JobOut

app = make_resolver()


@app.get("/v1/jobs/<job_id>", summary="Get a job", tags=["Jobs"], responses=documented(200, JobOut, 404))
def get_job(job_id: str):
    return responses.ok(job_views.get(principal(app), job_id))


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
