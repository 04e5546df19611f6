"""The bulk job worker: SQS messages {"tenant_id", "job_id"} advance a job chunk by chunk."""

from typing import Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.workers.bulk_jobs import handle_job_messages


def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return handle_job_messages(event, context)
