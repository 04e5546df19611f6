"""Job items and job messages.

A job's partition is `T#{tenant}#J#{job_id}`: the job (sk `JOB`), its errors
(sk `JOB#ERR#{n:010}`, sorted right after the job, so the job and its first
errors are one Query), and for imports one checkpoint item per byte range of
the file (sk `RANGE#{n:04}`) and the rows a split import defers to its last
pass (sk `DEFER#{row:012}`).

A job advances in chunks: every chunk is one transaction holding the chunk's
writes and the new checkpoint, conditioned on the checkpoint's version, so a
retried or duplicated chunk can never apply twice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from clientele.config import get_settings
from clientele.store.kernel import keys
from clientele.store.kernel.client import call, from_item, table_name, to_item, without_key_attributes
from clientele.store.kernel.errors import StoreUnavailable
from clientele.store.kernel.queues import sqs
from clientele.store.kernel.transactions import MAX_ACTIONS, Failure, Transaction, TransactionCancelled

JOB_SK = "JOB"
ERROR_SK_PREFIX = "JOB#ERR#"
# Rows a split import put off to its last, ordered pass (sorted before the job: never in its Query).
DEFERRED_SK_PREFIX = "DEFER#"


def job_key(tenant: str, job_id: str) -> dict[str, str]:
    return {"pk": f"T#{tenant}#J#{job_id}", "sk": JOB_SK}


def job_of(key: Mapping[str, str]) -> tuple[str, str] | None:
    """(tenant, job id) when `key` is a job item's key, else None."""
    parts = str(key.get("pk", "")).split("#")
    if key.get("sk") != JOB_SK or len(parts) != 4 or parts[0] != "T" or parts[2] != "J":
        return None
    return parts[1], parts[3]


def error_key(tenant: str, job_id: str, number: int) -> dict[str, str]:
    return {"pk": f"T#{tenant}#J#{job_id}", "sk": f"{ERROR_SK_PREFIX}{number:010d}"}


def deferred_key(tenant: str, job_id: str, row: int) -> dict[str, str]:
    return {"pk": f"T#{tenant}#J#{job_id}", "sk": f"{DEFERRED_SK_PREFIX}{row:012d}"}


def range_key(tenant: str, job_id: str, number: int) -> dict[str, str]:
    return {"pk": f"T#{tenant}#J#{job_id}", "sk": f"RANGE#{number:04d}"}


def insert(tenant: str, job: dict[str, Any]) -> bool:
    """Create the job unless a job with its id exists (a redelivered S3 event, say). True when created."""
    from botocore.exceptions import ClientError

    item = {
        **job_key(tenant, job["id"]),
        "entity": "job",
        **job,
        # Jobs are listed newest first through the tenant's created index.
        "tenant_list": keys.tenant_jobs(tenant),
        "sort_created": keys.sort_value(job["created_at"], job["id"]),
    }
    try:
        call("put_item", TableName=table_name(), Item=to_item(item), ConditionExpression="attribute_not_exists(pk)")
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def load(tenant: str, job_id: str) -> dict[str, Any] | None:
    answer = call("get_item", TableName=table_name(), Key=to_item(job_key(tenant, job_id)), ConsistentRead=True)
    item = answer.get("Item")
    return without_key_attributes(from_item(item)) if item else None


class JobMoved(Exception):
    """The job's version changed: another worker advanced it (or it was finished) meanwhile."""


@dataclass(frozen=True)
class ChunkFailure:
    """A unit that failed inside a chunk: its key and the store's cancellation for it."""

    key: str
    cancelled: TransactionCancelled


def commit_chunk(
    tenant: str,
    job_id: str,
    expected_version: int,
    job_changes: dict[str, Any],
    *,
    units: dict[str, Transaction],
    errors: list[tuple[int, dict[str, Any]]],
) -> list[ChunkFailure]:
    """Commit the units, the job's new state and its error items together.

    Returns the units that failed (nothing was written then: drop or redo them
    and commit again). Raises JobMoved when the job is no longer at `expected_version`.
    """
    transaction = Transaction()
    names = {"#version": "version", **{f"#j{i}": name for i, name in enumerate(job_changes)}}
    values = {":expected": expected_version, **{f":j{i}": value for i, value in enumerate(job_changes.values())}}
    assignments = ", ".join(f"#j{i} = :j{i}" for i in range(len(job_changes)))
    transaction.update(
        job_key(tenant, job_id),
        tag="job|job",
        update=f"SET {assignments}",
        condition="#version = :expected",
        names=names,
        values=values,
    )
    for number, error in errors:
        transaction.put({**error_key(tenant, job_id, number), "entity": "job_error", **error}, tag="job|error")
    for key, unit in units.items():
        transaction.absorb(unit, prefix=f"{key}|")
    if len(transaction) > MAX_ACTIONS:
        raise ValueError(f"a chunk holds at most {MAX_ACTIONS} actions")
    try:
        transaction.execute()
    except TransactionCancelled as cancelled:
        if cancelled.failure("job|") is not None:
            raise JobMoved(job_id) from None
        failed: dict[str, list[Any]] = {}
        for failure in cancelled.failures:
            key, _, tag = failure.tag.partition("|")
            failed.setdefault(key, []).append(Failure(tag=tag, code=failure.code, item=failure.item))
        if not failed:
            raise
        return [ChunkFailure(key, TransactionCancelled(failures)) for key, failures in failed.items()]
    return []


def update(tenant: str, job_id: str, expected_version: int, changes: dict[str, Any]) -> None:
    """Change the job's state outside a chunk (start, finish, fail), conditioned on its version."""
    if commit_chunk(tenant, job_id, expected_version, changes, units={}, errors=[]):
        raise AssertionError("a job update without units can't fail a unit")


# ---------------------------------------------------------------- job messages


def enqueue(tenant: str, job_id: str) -> None:
    """Ask a worker to (continue to) run the job."""
    from botocore.exceptions import BotoCoreError, ClientError

    queue = get_settings().jobs_queue_url
    if not queue:
        raise RuntimeError("JOBS_QUEUE_URL is not set")
    try:
        sqs().send_message(QueueUrl=queue, MessageBody=json.dumps({"tenant_id": tenant, "job_id": job_id}))
    except (ClientError, BotoCoreError) as error:
        raise StoreUnavailable("the jobs queue did not take the message") from error


def enqueue_import(tenant: str, job_id: str, range_number: int | None = None) -> None:
    """Ask an import worker to (continue to) run the job, or one byte range of it."""
    from botocore.exceptions import BotoCoreError, ClientError

    queue = get_settings().import_queue_url
    if not queue:
        raise RuntimeError("IMPORT_QUEUE_URL is not set")
    message: dict[str, Any] = {"tenant_id": tenant, "job_id": job_id}
    if range_number is not None:
        message["range"] = range_number
    try:
        sqs().send_message(QueueUrl=queue, MessageBody=json.dumps(message))
    except (ClientError, BotoCoreError) as error:
        raise StoreUnavailable("the import queue did not take the message") from error
