"""The table's change stream: effects that follow committed changes (a deleted customer's SKU mappings)."""

from typing import Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.workers.change_stream import handle_table_changes


def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return handle_table_changes(event, context)
