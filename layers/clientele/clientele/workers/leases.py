"""A worker's lease on the SQS message it runs: short, renewed while it runs, lapsing when it dies.

The queues' visibility timeouts stay hours long: Lambda refuses an SQS event
source whose visibility timeout is shorter than the function's timeout (and
advises six times it). A worker that died mid-run (out of memory, killed,
timed out) would leave its message invisible that long. So the worker holds a
short lease instead: as soon as it starts a record it makes the message
invisible for `worker_lease_seconds`, and a heartbeat thread renews that every
third of it while the record runs. When the worker dies, the heartbeat dies
with it, the lease lapses and SQS delivers the message again within the lease;
the job resumes from its last committed checkpoint.

The heartbeat is stopped (its thread joined) before the record's processing
returns: Lambda freezes the environment after the handler returns, and a
heartbeat frozen there must never renew a lease it no longer holds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from clientele.config import Settings, get_settings
from clientele.observability import logger
from clientele.store.kernel import queues

# A record that failed is retried after the lease, doubled with each failed delivery (60 s, 120 s,
# 240 s, 480 s with the default lease): transient trouble gets room before the dead-letter queue.
MAX_RETRY_DELAY_S = 3600


class Heartbeat:
    """Calls `beat` every `interval` seconds on a thread of its own while the `with` block runs.

    Leaving the block stops the thread and waits for it, so no beat happens afterwards.
    """

    def __init__(self, beat: Callable[[], None], interval: float, *, name: str = "heartbeat") -> None:
        self._beat = beat
        self._interval = interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        while not self._stopped.wait(self._interval):
            self._beat()

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._stopped.set()
        self._thread.join()


def retry_delay(lease_seconds: int, receive_count: int) -> int:
    """Seconds a message whose record failed on its `receive_count`-th delivery stays invisible."""
    doublings = min(max(receive_count - 1, 0), 16)
    return min(lease_seconds << doublings, MAX_RETRY_DELAY_S)  # the lease, doubled per failed delivery


class _Lease:
    """One received message's visibility, set from this worker."""

    def __init__(self, queue_url: str, record: SQSRecord, seconds: int) -> None:
        self.queue_url = queue_url
        self.record = record
        self.seconds = seconds

    def renew(self) -> None:
        self._hide_for(self.seconds)

    def put_back(self) -> None:
        """The record failed: it comes again after the retry delay (not the queue's hours)."""
        receive_count = int(self.record.attributes.approximate_receive_count or 1)
        self._hide_for(retry_delay(self.seconds, receive_count))

    def _hide_for(self, seconds: int) -> None:
        # A lease that can't be set is no reason to fail the record: at worst the message keeps the
        # queue's visibility, or another delivery starts meanwhile and loses the checkpoint race.
        try:
            queues.change_visibility(self.queue_url, self.record.receipt_handle, seconds)
        except queues.VisibilityNotChanged as error:
            logger.warning(
                "could not set the message's visibility",
                extra={"message_id": self.record.message_id, "seconds": seconds, "error_code": error.code},
            )


def _queue_url(record: SQSRecord, settings: Settings) -> str | None:
    """The configured URL of the queue the record came from (its eventSourceARN names the queue)."""
    name = record.event_source_arn.rsplit(":", 1)[-1]
    for url in (settings.import_queue_url, settings.jobs_queue_url):
        if url and url.rstrip("/").rsplit("/", 1)[-1] == name:
            return url
    return None


@contextmanager
def message_lease(record: SQSRecord) -> Iterator[None]:
    """Hold the record's message while the block runs; put it back for a retry when the block raises."""
    settings = get_settings()
    queue_url = _queue_url(record, settings)
    if queue_url is None:
        logger.warning(
            "no lease: the message comes from a queue not configured", extra={"message_id": record.message_id}
        )
        yield
        return
    lease = _Lease(queue_url, record, settings.worker_lease_seconds)
    lease.renew()
    try:
        with Heartbeat(lease.renew, lease.seconds / 3, name=f"lease-{record.message_id}"):
            yield
    except Exception:
        # Only an exception: a process going down (SystemExit, KeyboardInterrupt) lets its lease lapse.
        lease.put_back()
        raise
