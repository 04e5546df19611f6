"""The change stream worker: Powertools Batch over the table's DynamoDB stream (ARCHITECTURE.md §5).

Records arrive in order per item; each is followed by `domain.change_stream.effects`, whose effects
are idempotent. A record that fails is reported (ReportBatchItemFailures): Lambda retries from it,
bisects a batch that keeps failing, and after its retries sends the batch's description to the
on-failure queue (ChangeStreamFailureQueue).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from clientele.domain.change_stream import effects
from clientele.observability import flush_metrics, logger

_processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


def _follow(record: DynamoDBRecord) -> None:
    change = record.dynamodb
    if change is None or record.event_name is None:
        return
    item_key = {name: str(value) for name, value in (change.keys or {}).items()}
    effects.apply(record.event_name.name, item_key, change.old_image, change.new_image)


def _process(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(event, _follow, _processor, context)


def handle_table_changes(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    try:
        answer: PartialItemFailureResponse = logger.inject_lambda_context(_process, clear_state=True)(event, context)
        return answer
    finally:
        flush_metrics()
