"""Import job checkpoints and chunk commits (ARCHITECTURE.md §3).

An import reads its file in byte ranges; each range has a checkpoint item
(where the next record starts, its row and line numbers, a version). A chunk
is one transaction: the chunk's writes, its row errors, the range's new
checkpoint (conditioned on the version it was read at) and the job's running
counts (ADD, so ranges committing side by side never conflict on a version).
A crash, a timeout or a duplicated message resumes from the last committed
checkpoint: no row is written twice and none is lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from clientele.store.jobs.items import (
    DEFERRED_SK_PREFIX,
    ERROR_SK_PREFIX,
    JOB_SK,
    deferred_key,
    error_key,
    job_key,
    range_key,
)
from clientele.store.kernel.client import call, from_item, table_name, to_attribute, to_item, without_key_attributes
from clientele.store.kernel.transactions import MAX_ACTIONS, Failure, Transaction, TransactionCancelled


class CheckpointMoved(Exception):
    """The range's checkpoint changed since it was read: another delivery advanced it."""


@dataclass(frozen=True)
class UnitFailure:
    key: str
    cancelled: TransactionCancelled


def _set_expression(prefix: str, changes: dict[str, Any]) -> tuple[list[str], dict[str, str], dict[str, Any]]:
    names = {f"#{prefix}{i}": name for i, name in enumerate(changes)}
    values = {f":{prefix}{i}": value for i, value in enumerate(changes.values())}
    return [f"#{prefix}{i} = :{prefix}{i}" for i in range(len(changes))], names, values


def start(
    tenant: str, job_id: str, expected_version: int, changes: dict[str, Any], ranges: list[dict[str, Any]]
) -> None:
    """Move the job to running with its range checkpoints, if nobody did it first (else CheckpointMoved)."""
    transaction = Transaction()
    assignments, names, values = _set_expression("j", changes)
    transaction.update(
        job_key(tenant, job_id),
        tag="job",
        update="SET " + ", ".join(assignments),
        condition="#version = :expected",
        names={**names, "#version": "version"},
        values={**values, ":expected": expected_version},
    )
    for number, checkpoint in enumerate(ranges):
        transaction.put(
            {**range_key(tenant, job_id, number), "entity": "job_range", **checkpoint},
            tag="range",
            condition="attribute_not_exists(pk)",
        )
    try:
        transaction.execute()
    except TransactionCancelled:
        raise CheckpointMoved(job_id) from None


def load_range(tenant: str, job_id: str, number: int) -> dict[str, Any] | None:
    answer = call(
        "get_item", TableName=table_name(), Key=to_item(range_key(tenant, job_id, number)), ConsistentRead=True
    )
    item = answer.get("Item")
    return without_key_attributes(from_item(item)) if item else None


def commit_chunk(
    tenant: str,
    job_id: str,
    range_number: int,
    expected_version: int,
    checkpoint: dict[str, Any],
    *,
    job_counts: dict[str, int],
    job_first_values: dict[str, Any],
    units: dict[str, Transaction],
    errors: list[tuple[int, dict[str, Any]]],
    deferred: Sequence[dict[str, Any]] = (),
    job_appends: dict[str, list[Any]] | None = None,
    progressed_at: str | None = None,
) -> list[UnitFailure]:
    """Commit the units, row errors, the range's checkpoint and the job's counts together.

    `job_first_values` are set on the job only where it has none yet; `job_appends` are appended
    to the job's lists (preview rows); `progressed_at` is set on the job with the chunk (when it
    last made progress).
    Returns the units whose conditions failed (nothing was written then).
    Raises CheckpointMoved when the checkpoint is no longer at `expected_version`.
    """
    transaction = Transaction()
    assignments, names, values = _set_expression("r", {**checkpoint, "version": expected_version + 1})
    transaction.update(
        range_key(tenant, job_id, range_number),
        tag="range|range",
        update="SET " + ", ".join(assignments),
        condition="#expected_version = :expected",
        names={**names, "#expected_version": "version"},
        values={**values, ":expected": expected_version},
    )
    job_update = _job_update(job_counts, job_first_values, job_appends or {}, progressed_at)
    if job_update is not None:
        expression, job_names, job_values = job_update
        transaction.update(
            job_key(tenant, job_id), tag="job|job", update=expression, names=job_names, values=job_values
        )
    for row, error in errors:
        transaction.put({**error_key(tenant, job_id, row), "entity": "job_error", **error}, tag="job|error")
    for deferred_row in deferred:
        transaction.put(
            {**deferred_key(tenant, job_id, deferred_row["row"]), "entity": "job_deferred_row", **deferred_row},
            tag="job|defer",
        )
    for key, unit in units.items():
        transaction.absorb(unit, prefix=f"{key}|")
    if len(transaction) > MAX_ACTIONS:
        raise ValueError(f"a chunk holds at most {MAX_ACTIONS} actions, got {len(transaction)}")
    try:
        transaction.execute()
    except TransactionCancelled as cancelled:
        if cancelled.failure("range|") is not None:
            raise CheckpointMoved(job_id) from None
        failed: dict[str, list[Failure]] = {}
        for failure in cancelled.failures:
            key, _, tag = failure.tag.partition("|")
            failed.setdefault(key, []).append(Failure(tag=tag, code=failure.code, item=failure.item))
        if not failed or "job" in failed:
            raise
        return [UnitFailure(key, TransactionCancelled(failures)) for key, failures in failed.items()]
    return []


def _job_update(
    counts: dict[str, int],
    first_values: dict[str, Any],
    appends: dict[str, list[Any]],
    progressed_at: str | None = None,
) -> tuple[str, dict[str, str], dict[str, Any]] | None:
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    adds = []
    for position, (name, amount) in enumerate(counts.items()):
        if amount:
            names[f"#c{position}"] = name
            values[f":c{position}"] = amount
            adds.append(f"#c{position} :c{position}")
    sets = []
    for position, (name, value) in enumerate(first_values.items()):
        names[f"#f{position}"] = name
        values[f":f{position}"] = value
        sets.append(f"#f{position} = if_not_exists(#f{position}, :f{position})")
    for position, (name, items) in enumerate(appends.items()):
        names[f"#a{position}"] = name
        values[f":a{position}"] = items
        values[":nothing"] = []
        sets.append(f"#a{position} = list_append(if_not_exists(#a{position}, :nothing), :a{position})")
    if progressed_at is not None:
        names["#progressed"] = "progressed_at"
        values[":progressed"] = progressed_at
        sets.append("#progressed = :progressed")
    if not adds and not sets:
        return None
    expression = " ".join(
        part for part in ("SET " + ", ".join(sets) if sets else "", "ADD " + ", ".join(adds) if adds else "") if part
    )
    return expression, names, values


def update_job(tenant: str, job_id: str, changes: dict[str, Any], *, condition: str, values: dict[str, Any]) -> bool:
    """Set job attributes if `condition` holds (placeholders `:…` in `values`). False when it did not."""
    from botocore.exceptions import ClientError

    assignments, names, set_values = _set_expression("j", changes)
    try:
        call(
            "update_item",
            TableName=table_name(),
            Key=to_item(job_key(tenant, job_id)),
            UpdateExpression="SET " + ", ".join(assignments),
            ConditionExpression=condition,
            ExpressionAttributeNames={**names, "#status": "status"},
            ExpressionAttributeValues={k: to_attribute(v) for k, v in {**set_values, **values}.items()},
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def load_with_errors(tenant: str, job_id: str, errors: int) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The job and its first `errors` error items, in one Query (errors sort right after the job)."""
    answer = call(
        "query",
        TableName=table_name(),
        KeyConditionExpression="pk = :pk AND begins_with(sk, :job)",
        ExpressionAttributeValues={":pk": to_attribute(job_key(tenant, job_id)["pk"]), ":job": to_attribute(JOB_SK)},
        ConsistentRead=True,
        Limit=errors + 1,
    )
    items = [from_item(item) for item in answer.get("Items", [])]
    if not items or items[0]["sk"] != JOB_SK:
        return None, []
    return without_key_attributes(items[0]), [_error_of(item) for item in items[1:]]


def _error_of(item: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in without_key_attributes(item).items() if key != "entity"}


def errors_page(tenant: str, job_id: str, after: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
    """Up to `limit` error items after sort key `after`; and the sort key to continue from (None: no more)."""
    params: dict[str, Any] = {
        "TableName": table_name(),
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
        "ExpressionAttributeValues": {
            ":pk": to_attribute(job_key(tenant, job_id)["pk"]),
            ":prefix": to_attribute(ERROR_SK_PREFIX),
        },
        "Limit": limit + 1,
    }
    if after is not None:
        params["ExclusiveStartKey"] = to_item({**job_key(tenant, job_id), "sk": after})
    items = [from_item(item) for item in call("query", **params).get("Items", [])]
    more = len(items) > limit
    items = items[:limit]
    return [_error_of(item) for item in items], (items[-1]["sk"] if more else None)


def deferred_rows(tenant: str, job_id: str, after_row: int, limit: int) -> list[dict[str, Any]]:
    """Deferred rows (offset, row, line) after `after_row`, in row order."""
    answer = call(
        "query",
        TableName=table_name(),
        KeyConditionExpression="pk = :pk AND sk BETWEEN :low AND :high",
        ExpressionAttributeValues={
            ":pk": to_attribute(job_key(tenant, job_id)["pk"]),
            ":low": to_attribute(deferred_key(tenant, job_id, after_row + 1)["sk"]),
            ":high": to_attribute(DEFERRED_SK_PREFIX + "~"),
        },
        ConsistentRead=True,
        Limit=limit,
    )
    return [without_key_attributes(from_item(item)) for item in answer.get("Items", [])]
