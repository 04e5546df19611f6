"""Workers hold a short lease on the message they run: a crashed job comes back within the lease.

The queues' own visibility timeouts are hours (1,800 s and 5,400 s); each test
sets a 2 s lease and watches the message through the SQS API: invisible while
the worker runs (for longer than the lease, so the heartbeat renews it), and
receivable again within the lease once the worker crashed or returned.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.harness import Api, Emulated, deliver, run_import_worker, run_job_worker

LEASE_S = 2
# The last renewal can be up to a lease old; the rest is moto's millisecond clock and polling.
REDELIVERY_BOUND_S = LEASE_S + 1.5

pytestmark = pytest.mark.slow


@pytest.fixture
def short_lease(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    from clientele.config import get_settings

    monkeypatch.setenv("WORKER_LEASE_SECONDS", str(LEASE_S))
    get_settings.cache_clear()
    yield LEASE_S
    get_settings.cache_clear()  # the next reader sees the environment monkeypatch restores


@pytest.fixture(autouse=True)
def empty_queues(aws: Emulated) -> None:
    """No message of an earlier test around: these tests count the queue's messages."""
    run_job_worker(aws)
    run_import_worker(aws)


def _counts(aws: Emulated, queue: str) -> tuple[int, int]:
    """(visible, in flight) messages of the queue."""
    attributes = aws.clients.sqs.get_queue_attributes(
        QueueUrl=aws.resources.queues[queue],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


def _receive(aws: Emulated, queue: str) -> dict[str, Any]:
    answer = aws.clients.sqs.receive_message(
        QueueUrl=aws.resources.queues[queue], MaxNumberOfMessages=1, AttributeNames=["All"]
    )
    [message] = answer["Messages"]
    return message


def _seconds_until_visible(aws: Emulated, queue: str, limit_s: float = 30) -> float:
    """Poll until the queue's message is receivable again; how long that took."""
    started = time.monotonic()
    while time.monotonic() - started < limit_s:
        if _counts(aws, queue)[0]:
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"the message stayed invisible for more than {limit_s} s")


def _assert_invisible_for(aws: Emulated, queue: str, seconds: float) -> None:
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        assert _counts(aws, queue) == (0, 1), "the message became receivable while its worker ran"
        time.sleep(0.1)


def _lease_threads() -> list[str]:
    return [thread.name for thread in threading.enumerate() if thread.name.startswith("lease-")]


@pytest.fixture
def small_bulk_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    from clientele.domain.jobs import bulk_jobs

    monkeypatch.setitem(bulk_jobs._CHUNK_READ, "bulk_archive", 2)


@pytest.fixture
def stepping_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every reading of the clock is one second after the previous one: timestamps never tie."""
    from clientele.domain.kernel import clock

    moments = iter(datetime(2030, 1, 1, tzinfo=UTC) + timedelta(seconds=n) for n in range(1_000_000))
    monkeypatch.setattr(clock, "now", lambda: next(moments))


def _archive_everything(api: Api, customers: int) -> dict[str, Any]:
    for i in range(customers):
        api.created({"name": f"Leased {i:02d}"})
    reply = api.bulk("archive", {"filter": {}})
    assert reply.status == 202, reply.body
    return reply.body


# ---------------------------------------------------------------- a crash mid-run


def test_a_worker_dying_mid_job_lets_go_of_its_message_within_the_lease(
    api: Api, aws: Emulated, short_lease: int, small_bulk_chunks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clientele.store.jobs import items as job_store

    job = _archive_everything(api, 6)  # three chunks of two
    real_commit = job_store.commit_chunk
    first_chunk_done, crash = threading.Event(), threading.Event()

    def die_after_the_first_chunk(*args: Any, **kwargs: Any) -> Any:
        result = real_commit(*args, **kwargs)
        if kwargs.get("units"):  # a chunk (the job's start commits no units)
            first_chunk_done.set()
            assert crash.wait(30)
            # The runtime going down: Powertools Batch does not catch it, no failure is reported.
            raise SystemExit("the worker's environment died")
        return result

    monkeypatch.setattr(job_store, "commit_chunk", die_after_the_first_chunk)
    message = _receive(aws, "JobsQueue")
    died = threading.Event()

    def run_the_worker() -> None:
        try:
            deliver(aws, "JobsQueue", "jobs/run_bulk", [message])
        except SystemExit:
            died.set()

    worker = threading.Thread(target=run_the_worker, daemon=True)
    worker.start()
    assert first_chunk_done.wait(30)

    # Invisible for more than two leases while the worker runs: the heartbeat renews the lease.
    _assert_invisible_for(aws, "JobsQueue", 2.5 * short_lease)
    crash.set()
    worker.join(10)
    assert died.is_set() and _lease_threads() == []

    assert _seconds_until_visible(aws, "JobsQueue") <= REDELIVERY_BOUND_S  # not the queue's 1,800 s
    monkeypatch.setattr(job_store, "commit_chunk", real_commit)
    assert run_job_worker(aws) == 1
    done = api.job(job["id"]).body
    assert done["status"] == "succeeded"
    assert done["counts"] == {"matched": 6, "succeeded": 6, "failed": 0}
    assert {customer["version"] for customer in api.walk(archived="true")} == {2}  # each archived once


def test_an_import_that_raised_comes_back_within_the_lease_and_finishes(
    api: Api, aws: Emulated, short_lease: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clientele.store.imports import checkpoints
    from tests.integration.test_imports import _start, job_of, rows_csv, upload

    job = _start(api)
    upload(aws, api, job, rows_csv(150))  # several chunks
    real_commit = checkpoints.commit_chunk
    commits = {"n": 0}

    def raise_after_the_second_chunk(*args: Any, **kwargs: Any) -> Any:
        result = real_commit(*args, **kwargs)
        commits["n"] += 1
        if commits["n"] == 2:
            raise RuntimeError("the worker crashed right after committing a chunk")
        return result

    monkeypatch.setattr(checkpoints, "commit_chunk", raise_after_the_second_chunk)
    message = _receive(aws, "ImportQueue")
    answer = deliver(aws, "ImportQueue", "imports/run", [message])

    assert answer["batchItemFailures"] == [{"itemIdentifier": message["MessageId"]}]
    assert _counts(aws, "ImportQueue") == (0, 1)
    assert _seconds_until_visible(aws, "ImportQueue") <= REDELIVERY_BOUND_S  # not the queue's 5,400 s
    assert run_import_worker(aws) == 1
    done = job_of(api, job["id"])
    assert done["status"] == "succeeded"
    assert done["counts"] == {"rows": 150, "created": 150, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 0}


def test_the_heartbeat_stops_when_the_handler_returns(
    api: Api, aws: Emulated, short_lease: int, small_bulk_chunks: None
) -> None:
    _archive_everything(api, 4)
    message = _receive(aws, "JobsQueue")

    answer = deliver(aws, "JobsQueue", "jobs/run_bulk", [message])

    assert answer["batchItemFailures"] == []
    assert _lease_threads() == []  # joined before the handler returned
    # Left undeleted, the message comes back within the lease: nothing renews it any more.
    assert _seconds_until_visible(aws, "JobsQueue") <= REDELIVERY_BOUND_S
    aws.clients.sqs.delete_message(QueueUrl=aws.resources.queues["JobsQueue"], ReceiptHandle=message["ReceiptHandle"])


# ---------------------------------------------------------------- progressed_at


def _listed(api: Api, job_id: str) -> dict[str, Any]:
    reply = api.call("jobs/list", query={"limit": "200"})
    assert reply.status == 200, reply.body
    [entry] = [entry for entry in reply.body["data"] if entry["id"] == job_id]
    return entry


def test_a_bulk_job_shows_when_it_last_progressed(
    api: Api, aws: Emulated, small_bulk_chunks: None, stepping_clock: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clientele.store.jobs import items as job_store

    job = _archive_everything(api, 6)
    assert job["progressed_at"] is None
    real_commit = job_store.commit_chunk
    seen: list[tuple[str, str, str]] = []

    def observed(tenant: str, job_id: str, version: int, changes: dict[str, Any], **kwargs: Any) -> Any:
        result = real_commit(tenant, job_id, version, changes, **kwargs)
        # Written with the chunk (the same transaction), and shown right after it.
        seen.append(
            (changes.get("progressed_at"), api.job(job_id).body["progressed_at"], _listed(api, job_id)["progressed_at"])
        )
        return result

    monkeypatch.setattr(job_store, "commit_chunk", observed)
    run_job_worker(aws)

    done = api.job(job["id"]).body
    assert done["status"] == "succeeded"
    assert len(seen) == 5  # the start, three chunks, the finish
    assert all(written == shown == listed for written, shown, listed in seen)
    moments = [written for written, _, _ in seen]
    assert moments == sorted(set(moments)), "progressed_at must advance with every write"
    assert moments[0] == done["started_at"] and moments[-1] == done["finished_at"] == done["progressed_at"]


def test_an_import_shows_when_it_last_progressed(
    api: Api, aws: Emulated, stepping_clock: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clientele.store.imports import checkpoints
    from tests.integration.test_imports import _start, job_of, rows_csv, upload

    job = _start(api)
    assert job["progressed_at"] is None
    upload(aws, api, job, rows_csv(150))  # several chunks
    real_commit = checkpoints.commit_chunk
    seen: list[tuple[str, str, str]] = []

    def observed(tenant: str, job_id: str, *args: Any, **kwargs: Any) -> Any:
        result = real_commit(tenant, job_id, *args, **kwargs)
        seen.append(
            (kwargs.get("progressed_at"), job_of(api, job_id)["progressed_at"], _listed(api, job_id)["progressed_at"])
        )
        return result

    monkeypatch.setattr(checkpoints, "commit_chunk", observed)
    run_import_worker(aws)

    done = job_of(api, job["id"])
    assert done["status"] == "succeeded" and done["counts"]["created"] == 150
    assert len(seen) > 2  # chunks hold as many rows as fit a transaction
    assert all(written == shown == listed for written, shown, listed in seen)
    moments = [written for written, _, _ in seen]
    assert moments == sorted(set(moments)), "progressed_at must advance with every chunk"
    assert done["started_at"] < moments[0] and moments[-1] < done["progressed_at"] == done["finished_at"]
