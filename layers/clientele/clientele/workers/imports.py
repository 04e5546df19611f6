"""The import worker: Powertools Batch over the import queue (S3 notifications and continuations).

A message is either an S3 event (an object under `uploads/` or `drop/`), S3's
`s3:TestEvent` (ignored), or a continuation `{"tenant_id", "job_id", "range"}`
the worker sent itself before its time ran out. Keys arrive URL-encoded
(`unquote_plus`). While it runs, the worker holds a short lease on the
message (see `leases`): a worker that dies lets go of it within the lease. A
failed record is reported back (ReportBatchItemFailures) and comes again
after a retry delay; on its last delivery before the dead-letter queue the
job is marked failed, so nobody waits on it forever.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from clientele.config import get_settings
from clientele.domain.imports import runs as import_runs
from clientele.domain.imports import service as imports
from clientele.observability import flush_metrics, logger
from clientele.store.imports.checkpoints import CheckpointMoved
from clientele.store.jobs import items as job_messages
from clientele.workers.leases import message_lease

_processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def _work_of(record: SQSRecord) -> list[tuple[str, str, int]]:
    """The (tenant, job id, range) a message asks to run; [] when it asks for nothing."""
    try:
        message = json.loads(record.body)
    except ValueError:
        logger.error("dropping an import message that is not JSON", extra={"message_id": record.message_id})
        return []
    if not isinstance(message, dict) or message.get("Event") == "s3:TestEvent":
        return []
    if "job_id" in message:
        return [(str(message["tenant_id"]), str(message["job_id"]), int(message.get("range", 0)))]
    work = []
    for entry in message.get("Records") or []:
        s3 = entry.get("s3") or {}
        if not str(entry.get("eventName", "")).startswith("ObjectCreated"):
            continue
        source = s3.get("object") or {}
        accepted = imports.accept_object(
            (s3.get("bucket") or {}).get("name", ""),
            unquote_plus(source.get("key", "")),
            str(source.get("eTag") or source.get("etag") or ""),
            int(source.get("size") or 0),
        )
        if accepted is not None:
            work.append((*accepted, 0))
    return work


def _advance(record: SQSRecord, lambda_context: Any) -> None:
    with message_lease(record):
        for tenant, job_id, range_number in _work_of(record):
            logger.append_keys(tenant_id=tenant, job_id=job_id)
            try:
                if import_runs.run(tenant, job_id, range_number, lambda_context.get_remaining_time_in_millis):
                    job_messages.enqueue_import(tenant, job_id, range_number)
            except CheckpointMoved:
                logger.info("import advanced by another delivery; leaving it to that one")
            except Exception:
                if int(record.attributes.approximate_receive_count or 1) >= get_settings().jobs_max_receives:
                    import_runs.fail(tenant, job_id, "the import kept failing; see the worker's logs")
                raise


def _process(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(event, _advance, _processor, context)


def handle_import_messages(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    try:
        answer: PartialItemFailureResponse = logger.inject_lambda_context(_process, clear_state=True)(event, context)
        return answer
    finally:
        flush_metrics()
