"""Lambda's DynamoDB Streams event source mapping, locally: read a table's stream, filter, invoke, move on.

As Lambda does, per shard and in order:
- records that match none of the mapping's filter patterns are consumed without an invocation;
- a batch is up to ``BatchSize`` records, sent once it is full or ``MaximumBatchingWindowInSeconds``
  after its first record arrived;
- a batch that fails is retried: from the first failed record when the function reports
  ``batchItemFailures``; in halves when the function raised and ``BisectBatchOnFunctionError`` is
  set; after ``MaximumRetryAttempts`` retries, a description of the batch goes to the on-failure
  queue and reading goes on past it (the records themselves stay only in the stream).
"""

import base64
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from localdev.template import ACCOUNT_ID, StreamEventSource

log = logging.getLogger(__name__)

Invoke = Callable[[str, dict[str, Any]], Any]

_IDLE_PAUSE_S = 0.2
_READ_LIMIT = 1000  # the most one GetRecords call returns
_ERROR_BACKOFF_S = 1.0
_RETRY_PAUSE_S = 0.2


# ----------------------------------------------------------------------------- filter patterns


class UnsupportedPattern(Exception):
    """A filter rule the local runner does not emulate (it refuses rather than guess)."""


def matches_pattern(pattern: Mapping[str, Any], value: Any) -> bool:
    """Whether a record matches one Lambda event filter pattern (the EventBridge pattern syntax).

    Emulated: nested objects, lists of exact values, and the `prefix`, `exists` and
    `anything-but` rules.
    """
    for key, rule in pattern.items():
        present = isinstance(value, Mapping) and key in value
        field_value = value[key] if present else None
        if isinstance(rule, Mapping):
            if not present or not matches_pattern(rule, field_value):
                return False
        elif isinstance(rule, list):
            if not any(_matches_rule(choice, field_value, present) for choice in rule):
                return False
        else:
            raise UnsupportedPattern(f"pattern values must be objects or lists, not {rule!r}")
    return True


def _matches_rule(rule: Any, value: Any, present: bool) -> bool:
    if not isinstance(rule, Mapping):
        return present and value == rule
    if "exists" in rule:
        return present == bool(rule["exists"])
    if "prefix" in rule:
        return present and isinstance(value, str) and value.startswith(rule["prefix"])
    if "anything-but" in rule:
        excluded = rule["anything-but"]
        return present and value not in (excluded if isinstance(excluded, list) else [excluded])
    raise UnsupportedPattern(f"filter rule {dict(rule)!r} is not emulated locally")


def selected(patterns: Sequence[Mapping[str, Any]], record: Mapping[str, Any]) -> bool:
    """No patterns: every record; else a record matching any of them."""
    return not patterns or any(matches_pattern(pattern, record) for pattern in patterns)


# ----------------------------------------------------------------------------- the poller


@dataclass
class _Shard:
    shard_id: str
    iterator: str | None
    pending: list[dict[str, Any]] = field(default_factory=list)
    first_arrival: float | None = None  # when the oldest pending record was read
    attempts: int = 0  # failed invocations of the batch at the head of `pending`
    batch_limit: int | None = None  # set while bisecting a failing batch


class StreamPoller:
    """Feeds one table stream to one function, like a DynamoDB event source mapping."""

    def __init__(
        self,
        source: StreamEventSource,
        stream_arn: str,
        invoke: Invoke,
        *,
        streams: Any,
        sqs: Any,
        failure_queue_url: str | None,
        region: str,
        function_arn: str | None = None,
    ) -> None:
        self.source = source
        self.stream_arn = stream_arn
        self.invoke = invoke
        self.streams = streams
        self.sqs = sqs
        self.failure_queue_url = failure_queue_url
        self.region = region
        self.function_arn = function_arn or f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{source.function_id}"
        self._shards: dict[str, _Shard] = {}
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # -- reading

    def _discover_shards(self) -> None:
        description = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        for shard in description.get("Shards") or []:
            shard_id = shard["ShardId"]
            if shard_id not in self._shards:
                iterator = self.streams.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType=self.source.starting_position
                )["ShardIterator"]
                self._shards[shard_id] = _Shard(shard_id, iterator)

    def skip_to_latest(self) -> None:
        """Forget every record written so far: reading resumes with the next write (tests use it so
        that one test's stream work is never another's)."""
        self._discover_shards()
        for shard_id in self._shards:
            iterator = self.streams.get_shard_iterator(
                StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType="LATEST"
            )["ShardIterator"]
            self._shards[shard_id] = _Shard(shard_id, iterator)

    def _read(self, shard: _Shard) -> int:
        """Read more of the shard when less than a batch is pending; returns how many records were read."""
        if len(shard.pending) >= self.source.batch_size or shard.iterator is None:
            return 0
        answer = self.streams.get_records(ShardIterator=shard.iterator, Limit=_READ_LIMIT)
        shard.iterator = answer.get("NextShardIterator")
        fresh = answer.get("Records") or []
        kept = [record for record in map(self._event_record, fresh) if selected(self.source.filter_patterns, record)]
        if kept and not shard.pending:
            shard.first_arrival = time.monotonic()
        shard.pending.extend(kept)
        return len(fresh)

    def _event_record(self, record: Mapping[str, Any]) -> dict[str, Any]:
        # A JSON round trip, as Lambda's event is: datetimes become epoch seconds, bytes base64.
        event_record: dict[str, Any] = json.loads(json.dumps(record, default=_json_default))
        event_record["eventSourceARN"] = self.stream_arn
        event_record["awsRegion"] = self.region
        return event_record

    def _batch_ready(self, shard: _Shard) -> bool:
        if not shard.pending:
            return False
        if len(shard.pending) >= self.source.batch_size or shard.attempts:
            return True
        waited = time.monotonic() - (shard.first_arrival or 0)
        return waited >= self.source.batching_window_seconds

    # -- delivering

    def run_once(self) -> int:
        """Read every shard once and deliver the batches that are ready.

        Returns how many records moved (read from the stream, filtered out included, or delivered):
        0 means the stream is idle for now.
        """
        self._discover_shards()
        moved = 0
        for shard in self._shards.values():
            moved += self._read(shard)
            if self._batch_ready(shard):
                moved += self._deliver(shard)
        return moved

    def drain(self) -> int:
        """Deliver until the stream has nothing new (for tests: no batching window is waited for).

        Returns how many records were delivered to the function.
        """
        delivered = 0
        while True:
            self._discover_shards()
            moved = 0
            for shard in self._shards.values():
                moved += self._read(shard)
                if shard.pending:
                    sent = self._deliver(shard)
                    delivered += sent
                    moved += sent
            if not moved:
                return delivered

    def _deliver(self, shard: _Shard) -> int:
        limit = shard.batch_limit or self.source.batch_size
        batch = shard.pending[:limit]
        try:
            result = self.invoke(self.source.function_id, {"Records": batch})
        except Exception:  # whatever the function raised, Lambda counts a failed batch
            if not self._stopping.is_set():
                log.exception("%s failed on a batch of %d stream records", self.source.function_id, len(batch))
            self._failed(shard, batch, raised=True)
            return len(batch)
        failed_at = self._first_failure(result, batch) if self.source.report_batch_item_failures else None
        if failed_at is None:
            self._done(shard, len(batch))
        else:
            self._done(shard, failed_at)
            self._failed(shard, batch[failed_at:], raised=False)
        return len(batch)

    @staticmethod
    def _first_failure(result: Any, batch: list[dict[str, Any]]) -> int | None:
        """The index of the first record to retry (None: the whole batch succeeded).

        Lambda checkpoints before the lowest reported sequence number; an entry naming no record
        of the batch fails the whole batch.
        """
        failures = result.get("batchItemFailures") if isinstance(result, dict) else None
        if not failures:
            return None
        numbers = [record["dynamodb"]["SequenceNumber"] for record in batch]
        indexes = []
        for failure in failures if isinstance(failures, list) else [None]:
            identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if identifier not in numbers:
                return 0
            indexes.append(numbers.index(identifier))
        return min(indexes)

    def _done(self, shard: _Shard, count: int) -> None:
        if count:
            del shard.pending[:count]
            shard.attempts = 0
            shard.batch_limit = None
            shard.first_arrival = time.monotonic() if shard.pending else None

    def _failed(self, shard: _Shard, records: list[dict[str, Any]], *, raised: bool) -> None:
        shard.attempts += 1
        retries = self.source.maximum_retry_attempts
        if retries >= 0 and shard.attempts > retries:
            self._give_up(shard, records)
            return
        if raised and self.source.bisect_on_error and len(records) > 1:
            shard.batch_limit = max(1, len(records) // 2)
        self._stopping.wait(min(_RETRY_PAUSE_S * shard.attempts, 2.0))

    def _give_up(self, shard: _Shard, records: list[dict[str, Any]]) -> None:
        """Retries exhausted: describe the batch on the on-failure queue and skip it."""
        numbers = [record["dynamodb"]["SequenceNumber"] for record in records]
        log.error(
            "%s: stream records %s..%s failed after %d attempts; skipped",
            self.source.function_id,
            numbers[0],
            numbers[-1],
            shard.attempts,
        )
        if self.failure_queue_url is not None:
            self.sqs.send_message(
                QueueUrl=self.failure_queue_url, MessageBody=json.dumps(self._failure(shard, records))
            )
        del shard.pending[: len(records)]
        shard.attempts = 0
        shard.batch_limit = None

    def _failure(self, shard: _Shard, records: list[dict[str, Any]]) -> dict[str, Any]:
        """What Lambda sends an on-failure destination for a stream batch (no records, where to find them)."""
        return {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self.function_arn,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": shard.attempts,
            },
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "DDBStreamBatchInfo": {
                "shardId": shard.shard_id,
                "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
                "batchSize": len(records),
                "streamArn": self.stream_arn,
            },
        }

    # -- the thread

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                if not self.run_once():
                    self._stopping.wait(_IDLE_PAUSE_S)
            except Exception:  # keep polling (the emulator may be restarting), but say why
                log.exception("reading the stream for %s failed", self.source.function_id)
                self._stopping.wait(_ERROR_BACKOFF_S)

    def start(self) -> "StreamPoller":
        self._thread = threading.Thread(target=self._run, name=f"stream-{self.source.function_id}", daemon=True)
        self._thread.start()
        return self

    def request_stop(self) -> None:
        self._stopping.set()

    def stop(self, timeout: float = 3.0) -> None:
        self.request_stop()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None


def _json_default(value: Any) -> Any:
    """Stream records carry datetimes (ApproximateCreationDateTime): Lambda sends epoch seconds."""
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
