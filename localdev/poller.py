"""Lambda's SQS event source mapping, locally: poll a queue, invoke the function, delete what succeeded.

Failed messages are simply not deleted: they come back after the visibility timeout and
move to the dead-letter queue after ``maxReceiveCount`` receives, which the SQS emulator
implements. With ``ReportBatchItemFailures`` only the reported messages stay; an
exception (or a malformed failure report) leaves the whole batch. A message is received
once per delivery and its visibility is never touched here: a function that holds a
short lease on its message (ChangeMessageVisibility) and dies gets it back when the lease
lapses, as on AWS.
"""

import base64
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from localdev.template import SqsEventSource

log = logging.getLogger(__name__)

MAX_RECEIVE_BATCH = 10  # the most one ReceiveMessage returns
_ERROR_BACKOFF_S = 1.0
_IDLE_PAUSE_S = 0.1

Invoke = Callable[[str, dict[str, Any]], Any]


def sqs_record(message: Mapping[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One entry of an SQS event's ``Records``, from a ReceiveMessage message."""
    record = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": dict(message.get("Attributes") or {}),
        "messageAttributes": {
            name: _record_attribute(value) for name, value in (message.get("MessageAttributes") or {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def _record_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    """ReceiveMessage's attribute shape → the event's (camelCase, binary as base64 text)."""
    record: dict[str, Any] = {
        "stringListValues": list(value.get("StringListValues") or []),
        "binaryListValues": [_base64_text(item) for item in value.get("BinaryListValues") or []],
        "dataType": value.get("DataType", "String"),
    }
    if "StringValue" in value:
        record["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        record["binaryValue"] = _base64_text(value["BinaryValue"])
    return record


def _base64_text(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def failed_message_ids(result: Any, batch_ids: list[str]) -> set[str]:
    """The messages to keep after a ReportBatchItemFailures invocation.

    Like Lambda: an empty or null ``batchItemFailures`` means all succeeded; an entry
    without a valid ``itemIdentifier`` of this batch fails the whole batch.
    """
    if not isinstance(result, dict):
        return set()
    failures = result.get("batchItemFailures")
    if not failures:
        return set()
    if not isinstance(failures, list):
        return set(batch_ids)
    failed = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in batch_ids:
            log.warning("batchItemFailures entry %r is not in the batch: the whole batch fails", failure)
            return set(batch_ids)
        failed.add(identifier)
    return failed


class SqsPoller:
    """Feeds one queue to one function, like an event source mapping."""

    def __init__(
        self,
        source: SqsEventSource,
        queue_url: str,
        queue_arn: str,
        invoke: Invoke,
        *,
        sqs: Any,
        region: str,
        wait_seconds: int = 1,
    ) -> None:
        self.source = source
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.invoke = invoke
        self.sqs = sqs
        self.region = region
        self.wait_seconds = wait_seconds
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def receive_batch(self) -> list[dict[str, Any]]:
        """Up to BatchSize messages: one long poll, then more while the queue has them or the
        MaximumBatchingWindowInSeconds (counted from the first message) is open."""
        by_id: dict[str, dict[str, Any]] = {}
        wait = self.wait_seconds
        window_ends: float | None = None
        while len(by_id) < self.source.batch_size:
            answer = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=min(MAX_RECEIVE_BATCH, self.source.batch_size - len(by_id)),
                WaitTimeSeconds=wait,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            received = answer.get("Messages") or []
            # A message whose visibility timeout ran out during the window comes back: keep
            # its latest copy (the earlier receipt handle is no longer valid).
            by_id.update((message["MessageId"], message) for message in received)
            if by_id and window_ends is None:
                window_ends = time.monotonic() + self.source.batching_window_seconds
            remaining = window_ends - time.monotonic() if window_ends is not None else 0
            if not received and remaining <= 0:
                break
            wait = min(1, int(remaining)) if not received else 0
            if not received and wait == 0:
                time.sleep(min(remaining, 0.2))
        return list(by_id.values())

    def run_once(self) -> int:
        """Receive one batch, invoke, delete the successes. Returns the number of messages received."""
        messages = self.receive_batch()
        if not messages:
            return 0
        batch_ids = [message["MessageId"] for message in messages]
        event = {"Records": [sqs_record(message, self.queue_arn, self.region) for message in messages]}
        try:
            result = self.invoke(self.source.function_id, event)
        except Exception:
            # The function failed: Lambda leaves the whole batch to come back after the visibility timeout.
            # While the runner stops, its environments are ended on purpose: nothing to report then.
            if not self._stopping.is_set():
                log.exception("%s failed; the batch stays on %s", self.source.function_id, self.source.queue_id)
            return len(messages)
        failed = failed_message_ids(result, batch_ids) if self.source.report_batch_item_failures else set()
        done = [message for message in messages if message["MessageId"] not in failed]
        self._delete(done)
        return len(messages)

    def _delete(self, messages: list[dict[str, Any]]) -> None:
        for start in range(0, len(messages), MAX_RECEIVE_BATCH):
            chunk = messages[start : start + MAX_RECEIVE_BATCH]
            answer = self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)],
            )
            for failure in answer.get("Failed") or []:
                log.warning("could not delete a message from %s: %s", self.source.queue_id, failure)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                if not self.run_once() and not self.wait_seconds:
                    self._stopping.wait(_IDLE_PAUSE_S)  # no long poll to pace an empty queue
            except Exception:
                # Keep polling (the endpoint may be restarting), but say why nothing moves.
                log.exception("polling %s for %s failed", self.source.queue_id, self.source.function_id)
                self._stopping.wait(_ERROR_BACKOFF_S)

    def start(self) -> "SqsPoller":
        name = f"sqs-{self.source.queue_id}-{self.source.function_id}"
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        return self

    def request_stop(self) -> None:
        """Stop after the current poll (lets several pollers wind down in parallel)."""
        self._stopping.set()

    def stop(self, timeout: float | None = None) -> None:
        self.request_stop()
        if self._thread is not None:
            self._thread.join(timeout=timeout if timeout is not None else self.wait_seconds + 2)
            self._thread = None
