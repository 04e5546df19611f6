"""The bulk job worker: Powertools Batch over SQS, one job message at a time.

A message says which job to advance. The worker advances it until it
finishes or the Lambda's time runs low; then it queues a continuation and
returns. While it runs it holds a short lease on the message (see
`leases`): a worker that dies lets go of it within the lease. A failed
record is reported back (ReportBatchItemFailures) and comes again after a
retry delay; on its last delivery before the dead-letter queue, the job is
marked failed so nobody waits on it forever.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from clientele.config import get_settings
from clientele.domain.jobs import bulk_jobs as jobs
from clientele.observability import flush_metrics, logger
from clientele.store.jobs.items import JobMoved
from clientele.workers.leases import message_lease

# A failed record is reported, not raised, even when it is the whole batch (BatchSize is 1).
_processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def _job_of(record: SQSRecord) -> tuple[str, str] | None:
    try:
        message = json.loads(record.body)
        return str(message["tenant_id"]), str(message["job_id"])
    except (ValueError, KeyError, TypeError):
        return None


def _advance(record: SQSRecord, lambda_context: Any) -> None:
    job = _job_of(record)
    if job is None:
        logger.error("dropping a job message that names no job", extra={"message_id": record.message_id})
        return
    tenant, job_id = job
    logger.append_keys(tenant_id=tenant, job_id=job_id)
    with message_lease(record):
        try:
            if jobs.run(tenant, job_id, lambda_context.get_remaining_time_in_millis):
                jobs.requeue(tenant, job_id)
        except JobMoved:
            logger.info("job advanced by another delivery; leaving it to that one")
        except Exception:
            if int(record.attributes.approximate_receive_count or 1) >= get_settings().jobs_max_receives:
                jobs.fail(tenant, job_id, "the job kept failing; see the worker's logs")
            raise


def _process(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(event, _advance, _processor, context)


def handle_job_messages(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    # Log keys start afresh for every invocation: Lambda context and cold start, then tenant and job.
    try:
        answer: PartialItemFailureResponse = logger.inject_lambda_context(_process, clear_state=True)(event, context)
        return answer
    finally:
        flush_metrics()
