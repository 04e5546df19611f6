"""The worker's lease on its message: taken at once, renewed by a heartbeat, let go on every way out.

No AWS here: the SQS call is replaced by a recorder, and intervals are short.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from clientele.config import Settings
from clientele.store.kernel.queues import VisibilityNotChanged
from clientele.workers import leases
from clientele.workers.leases import Heartbeat, message_lease, retry_delay

ACCOUNT = "123456789012"
IMPORT_QUEUE = f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/clientele-ImportQueue-A1"
JOBS_QUEUE = f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/clientele-JobsQueue-B2"
WAIT_S = 10  # upper bound for a condition polled below; never a duration the test depends on


class Visibility:
    """Records the visibility changes the lease asks for; can be told to fail them."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, int]] = []
        self.failing: str | None = None
        self.changed = threading.Condition()

    def __call__(self, queue_url: str, receipt_handle: str, seconds: int) -> None:
        with self.changed:
            self.calls.append((queue_url, receipt_handle, seconds))
            self.changed.notify_all()
        if self.failing is not None:
            raise VisibilityNotChanged(self.failing)

    def wait_for(self, count: int) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.calls) >= count, timeout=WAIT_S), self.calls


@pytest.fixture
def visibility(monkeypatch: pytest.MonkeyPatch) -> Visibility:
    recorder = Visibility()
    monkeypatch.setattr(leases.queues, "change_visibility", recorder)
    return recorder


@pytest.fixture
def lease_seconds(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    seconds = 60
    settings = Settings(
        table_name="t", import_queue_url=IMPORT_QUEUE, jobs_queue_url=JOBS_QUEUE, worker_lease_seconds=seconds
    )
    monkeypatch.setattr(leases, "get_settings", lambda: settings)
    yield seconds


@pytest.fixture
def fast_heartbeat(monkeypatch: pytest.MonkeyPatch) -> None:
    """The heartbeat beats every 10 ms instead of every third of the lease."""
    real = leases.Heartbeat

    def fast(beat: Any, interval: float, **kwargs: Any) -> Heartbeat:
        return real(beat, 0.01, **kwargs)

    monkeypatch.setattr(leases, "Heartbeat", fast)


def record(queue: str = "clientele-ImportQueue-A1", receive_count: int = 1) -> SQSRecord:
    return SQSRecord(
        {
            "messageId": "m-1",
            "receiptHandle": "handle-1",
            "body": "{}",
            "attributes": {"ApproximateReceiveCount": str(receive_count)},
            "messageAttributes": {},
            "eventSource": "aws:sqs",
            "eventSourceARN": f"arn:aws:sqs:us-east-1:{ACCOUNT}:{queue}",
            "awsRegion": "us-east-1",
        }
    )


def lease_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("lease-")]


# ---------------------------------------------------------------- the heartbeat


def test_the_heartbeat_beats_until_its_block_ends_and_never_after() -> None:
    beats: list[int] = []
    third_beat = threading.Event()

    def beat() -> None:
        beats.append(1)
        if len(beats) == 3:
            third_beat.set()

    with Heartbeat(beat, 0.005, name="lease-test") as heartbeat:
        assert third_beat.wait(WAIT_S)
    assert not heartbeat._thread.is_alive()
    after = len(beats)
    third_beat.clear()
    assert not third_beat.wait(0.05) and len(beats) == after


def test_leaving_the_block_waits_for_a_beat_in_progress() -> None:
    beating, may_finish, finished = threading.Event(), threading.Event(), threading.Event()

    def slow_beat() -> None:
        beating.set()
        may_finish.wait(WAIT_S)
        finished.set()

    heartbeat = Heartbeat(slow_beat, 0.001)
    with heartbeat:
        assert beating.wait(WAIT_S)
        threading.Timer(0.05, may_finish.set).start()
    assert finished.is_set()  # no beat runs on after the block (Lambda would freeze it mid-call)


def test_the_first_beat_waits_one_interval() -> None:
    beats: list[int] = []
    with Heartbeat(lambda: beats.append(1), 60):
        pass
    assert beats == []


# ---------------------------------------------------------------- the lease


def test_the_lease_is_taken_before_the_work_starts(visibility: Visibility, lease_seconds: int) -> None:
    with message_lease(record()):
        assert visibility.calls == [(IMPORT_QUEUE, "handle-1", lease_seconds)]


def test_the_lease_is_renewed_while_the_work_runs(
    visibility: Visibility, lease_seconds: int, fast_heartbeat: None
) -> None:
    with message_lease(record()):
        visibility.wait_for(4)
    assert {call for call in visibility.calls} == {(IMPORT_QUEUE, "handle-1", lease_seconds)}
    assert lease_threads() == []


def test_the_heartbeat_is_a_third_of_the_lease(monkeypatch: pytest.MonkeyPatch, visibility: Visibility) -> None:
    intervals: list[float] = []
    real = leases.Heartbeat

    def spy(beat: Any, interval: float, **kwargs: Any) -> Heartbeat:
        intervals.append(interval)
        return real(beat, interval, **kwargs)

    monkeypatch.setattr(leases, "Heartbeat", spy)
    settings = Settings(table_name="t", import_queue_url=IMPORT_QUEUE, worker_lease_seconds=45)
    monkeypatch.setattr(leases, "get_settings", lambda: settings)
    with message_lease(record()):
        pass
    assert intervals == [15]


def test_the_queue_is_the_one_the_record_came_from(visibility: Visibility, lease_seconds: int) -> None:
    with message_lease(record("clientele-JobsQueue-B2")):
        pass
    assert visibility.calls == [(JOBS_QUEUE, "handle-1", lease_seconds)]


def test_a_record_of_an_unknown_queue_runs_without_a_lease(
    visibility: Visibility, lease_seconds: int, caplog: pytest.LogCaptureFixture
) -> None:
    ran = False
    with message_lease(record("someone-elses-queue")):
        ran = True
    assert ran and visibility.calls == []
    assert [entry.getMessage() for entry in caplog.records] == [
        "no lease: the message comes from a queue not configured"
    ]


def test_work_that_raises_is_put_back_for_its_retry_and_the_error_goes_on(
    visibility: Visibility, lease_seconds: int, fast_heartbeat: None
) -> None:
    with pytest.raises(RuntimeError, match="boom"), message_lease(record(receive_count=3)):
        visibility.wait_for(2)
        raise RuntimeError("boom")
    assert visibility.calls[-1] == (IMPORT_QUEUE, "handle-1", retry_delay(lease_seconds, 3))
    assert visibility.calls[:-1] == [(IMPORT_QUEUE, "handle-1", lease_seconds)] * (len(visibility.calls) - 1)
    assert lease_threads() == []


def test_a_process_going_down_leaves_its_lease_to_lapse(visibility: Visibility, lease_seconds: int) -> None:
    with pytest.raises(SystemExit), message_lease(record()):
        raise SystemExit(1)
    assert visibility.calls == [(IMPORT_QUEUE, "handle-1", lease_seconds)]  # nothing put back, nothing renewed
    assert lease_threads() == []


def test_a_failing_lease_call_is_logged_and_the_work_goes_on(
    visibility: Visibility, lease_seconds: int, fast_heartbeat: None, caplog: pytest.LogCaptureFixture
) -> None:
    visibility.failing = "ReceiptHandleIsInvalid"
    with message_lease(record()):
        visibility.wait_for(3)  # the heartbeat keeps trying after a failed renewal
    assert lease_threads() == []
    assert len(caplog.records) == len(visibility.calls) >= 3
    for entry in caplog.records:
        assert entry.getMessage() == "could not set the message's visibility"
        assert (entry.levelname, entry.error_code, entry.message_id) == ("WARNING", "ReceiptHandleIsInvalid", "m-1")
        assert "handle-1" not in repr(vars(entry))  # the receipt handle is not logged


@pytest.mark.parametrize(
    ("lease", "receive_count", "delay"),
    [
        (60, 1, 60),
        (60, 2, 120),
        (60, 3, 240),
        (60, 4, 480),
        (60, 5, 960),
        (60, 7, 3600),
        (60, 10**6, 3600),
        (10, 0, 10),
    ],
)
def test_the_retry_delay_doubles_from_the_lease_up_to_an_hour(lease: int, receive_count: int, delay: int) -> None:
    assert retry_delay(lease, receive_count) == delay
