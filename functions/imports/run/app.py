"""The import worker: S3 notifications (uploads/, drop/) and continuations from the import queue."""

from typing import Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.workers.imports import handle_import_messages


def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return handle_import_messages(event, context)
