"""The change stream worker: Powertools Batch over the table's DynamoDB stream (ARCHITECTURE.md §5).

Records arrive in order per item; each is followed by `domain.change_stream.effects`, whose effects
are idempotent. The change events of the batch's applied records are put on the bus afterwards, ten
per PutEvents call; a record whose event EventBridge refused is reported failed too, so it comes
again (its history entry is not written twice; its events are put again with the same ids).

A record that fails is reported (ReportBatchItemFailures): Lambda retries from it,
bisects a batch that keeps failing, and after its retries sends the batch's description to the
on-failure queue (ChangeStreamFailureQueue).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from clientele.domain.change_events.events import Outbox
from clientele.domain.change_stream import effects
from clientele.observability import count, flush_metrics, logger

_processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


def _follow(record: DynamoDBRecord, outbox: Outbox) -> None:
    change = record.dynamodb
    if change is None or record.event_name is None:
        return
    item_key = {name: str(value) for name, value in (change.keys or {}).items()}
    effects.apply(record.event_name.name, item_key, change.old_image, change.new_image)
    events = effects.record_changes(record.event_name.name, item_key, change.old_image, change.new_image)
    outbox.add(str(change.sequence_number), events)


def _process(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    outbox = Outbox()
    answer = process_partial_response(event, lambda record: _follow(record, outbox), _processor, context)
    put = len(outbox)
    refused = outbox.publish()
    if put:
        count("ChangeEventsPut", put)
    if refused:
        count("ChangeEventRecordsRefused", len(refused))
        failures = answer.setdefault("batchItemFailures", [])
        reported = {failure["itemIdentifier"] for failure in failures}
        failures.extend({"itemIdentifier": record_id} for record_id in refused if record_id not in reported)
    return answer


def handle_table_changes(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    try:
        answer: PartialItemFailureResponse = logger.inject_lambda_context(_process, clear_state=True)(event, context)
        return answer
    finally:
        flush_metrics()
