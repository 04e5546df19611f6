"""Bulk operations by filter (API.md §3 rows 9-11, §6 jobs): a job, advanced in chunks by a worker.

POST bulk-… with `{"filter": {...}}` creates the job (202) and queues it. The
worker walks the matching customers in `created_at` order. Each chunk is one
transaction holding the chunk's writes and the job's new high-water mark (the
last processed customer's sort key), conditioned on the job's version: a
retried, duplicated or concurrent delivery can never process a customer twice,
and a crash resumes right after the last committed chunk. Customers moved by
the job itself (archived into another partition, say) are never met again,
because every chunk reads strictly above the mark. A `q` in the filter is checked
on each customer read (the rules of the search index, decided on the customer
item itself), so a job acts on exactly what the list's search would show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ConfigDict

from clientele.domain.customers.links import links_detail
from clientele.domain.customers.lists import CustomerFilter, plan
from clientele.domain.customers.service import archive_state, held_guards, prepare_change
from clientele.domain.kernel import clock, ids
from clientele.domain.kernel.errors import NotFound
from clientele.domain.kernel.principal import Principal, job_principal
from clientele.domain.kernel.validation import validate
from clientele.domain.search.terms import matcher
from clientele.observability import count, logger
from clientele.store.customers import items as customer_store
from clientele.store.jobs import items as store
from clientele.store.kernel import listing
from clientele.store.kernel.errors import ItemChanged, LinkedRecordsExist, UniqueValueTaken
from clientele.store.kernel.transactions import MAX_ACTIONS

JobType = Literal["bulk_delete", "bulk_archive", "bulk_unarchive"]
TERMINAL = frozenset({"succeeded", "completed_with_errors", "failed"})
ERRORS_SAMPLE_SIZE = 20
# Customers read per chunk; a chunk then takes as many as fit one transaction.
_CHUNK_READ = {"bulk_delete": 24, "bulk_archive": 90, "bulk_unarchive": 90}
_JOB_ACTIONS = 1  # the job's own update in every chunk
_REDO_ATTEMPTS = 3
_UNBOUNDED_CALLS = 1_000_000
# Customers read per chunk when the filter has `q`: most may not match, and those cost no action.
_SEARCH_READ = 500


class BulkFilter(CustomerFilter):
    """The `filter` of a bulk operation: the list filters (`{}` = every customer the list shows)."""

    model_config = ConfigDict(extra="forbid")


def job_view(job: dict[str, Any]) -> dict[str, Any]:
    shown = (
        "id",
        "type",
        "status",
        "filter",
        "counts",
        "progress",
        "errors_sample",
        "error",
        "created_at",
        "started_at",
        "finished_at",
        "progressed_at",
    )
    return {name: job.get(name) for name in shown}


def start(principal: Principal, job_type: JobType, filter_body: Any) -> dict[str, Any]:
    """Create and queue a bulk job over every customer matching `filter_body`; answers the job."""
    query = validate(BulkFilter, filter_body, at=("filter",))
    now = clock.now()
    job_id = ids.new_id("job", int(now.timestamp() * 1000))
    job = {
        "id": job_id,
        "type": job_type,
        "status": "queued",
        "filter": query.model_dump(mode="json", exclude_none=True),
        "counts": {"matched": 0, "succeeded": 0, "failed": 0},
        "progress": 0,
        "errors_sample": [],
        "error_count": 0,
        "created_at": clock.timestamp(now),
        "created_by": principal.subject,
        # Whose view of the customers the job acts with.
        "scope": {"role": principal.role, "organization_id": principal.organization_id},
        "version": 1,
    }
    store.insert(principal.tenant_id, job)
    store.enqueue(principal.tenant_id, job_id)
    return job_view(job)


def get(principal: Principal, job_id: str) -> dict[str, Any]:
    job = store.load(principal.tenant_id, job_id) if ids.id_pattern("job").fullmatch(job_id) else None
    scope = (job or {}).get("scope") or {}
    if job is None or (principal.organization_scoped and scope.get("organization_id") != principal.organization_id):
        raise NotFound(f"job {job_id!r} not found")
    return job_view(job)


# ---------------------------------------------------------------- the worker


@dataclass
class _Chunk:
    """What one chunk will commit."""

    units: dict[str, Any]
    done: list[str]
    failed: list[tuple[str, str, str]]  # (customer id, code, message)
    mark: str | None


def _unit_for(principal: Principal, job_type: str, customer: dict[str, Any]) -> Any | None:
    """The store unit that applies the job to one customer; None when nothing needs writing."""
    if job_type == "bulk_delete":
        deletion = customer_store.CustomerDeletion(
            customer["id"], customer["version"], held_guards(customer), customer.get("address_ids") or []
        )
        return customer_store.deletion_unit(principal.tenant_id, deletion)
    archived = job_type == "bulk_archive"
    if bool(customer.get("archived")) == archived:
        return None
    change, _ = prepare_change(principal, customer, archive_state(customer, archived), None)
    return customer_store.change_unit(principal.tenant_id, change)


def _plan_chunk(principal: Principal, job: dict[str, Any], customers: list[dict[str, Any]]) -> _Chunk:
    chunk = _Chunk(units={}, done=[], failed=[], mark=job.get("mark"))
    room = MAX_ACTIONS - _JOB_ACTIONS  # every unit's actions, and one error item per failed customer
    for customer in customers:
        if customer.get("_skip"):
            chunk.mark = customer["_sort"]  # not matched by `q`: passed over
            continue
        if job["type"] == "bulk_delete" and (reason := links_detail(customer)):
            if room < 1:
                break
            chunk.failed.append((customer["id"], "linked_records", reason))
            room -= 1
        else:
            unit = _unit_for(principal, job["type"], customer)
            size = len(unit) if unit is not None else 0
            if size > room:
                break
            if unit is not None:
                chunk.units[customer["id"]] = unit
            chunk.done.append(customer["id"])
            room -= size
        chunk.mark = customer["_sort"]
    return chunk


def _read_next(principal: Principal, job: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    query = BulkFilter.model_validate(job["filter"])
    index_query, _ = plan(principal, query, "created_at", after_sort_value=job.get("mark"))
    wanted = _CHUNK_READ[job["type"]] if query.q is None else _SEARCH_READ
    page = listing.read_page(index_query, [None] * len(index_query.partitions), wanted)
    matches = matcher(query.q) if query.q is not None else None
    for item in page.items:
        item["_sort"] = listing.sort_value_of(index_query, item)
        if matches is not None and not matches(item):
            item["_skip"] = True
    return page.items, page.has_more


def _matched(principal: Principal, job: dict[str, Any]) -> int:
    query = BulkFilter.model_validate(job["filter"])
    index_query, _ = plan(principal, query, "created_at")
    # A worker, not a request: count every match (a call per 1 MB of the index).
    if query.q is None:
        return listing.count(index_query, max_calls=_UNBOUNDED_CALLS).total
    matches, total = matcher(query.q), 0
    positions: list[Any] = [None] * len(index_query.partitions)
    while True:
        page = listing.read_page(index_query, positions, 1000, max_calls=_UNBOUNDED_CALLS)
        total += sum(1 for item in page.items if matches(item))
        if not page.has_more:
            return total
        positions = page.positions


def run(tenant: str, job_id: str, time_left_ms: Callable[[], int], reserve_ms: int = 15_000) -> bool:
    """Advance the job until it finishes or time runs low. Returns True when it needs another run."""
    job = store.load(tenant, job_id)
    if job is None or job["status"] in TERMINAL:
        return False
    principal = job_principal(tenant, job)
    if job["status"] == "queued":
        started_at = clock.now_timestamp()
        changes = {
            "status": "running",
            "started_at": started_at,
            "progressed_at": started_at,
            "version": job["version"] + 1,
            "counts": {**job["counts"], "matched": _matched(principal, job)},
        }
        store.update(tenant, job_id, job["version"], changes)
        job = {**job, **changes}
    while True:
        if time_left_ms() < reserve_ms:
            return True
        customers, more = _read_next(principal, job)
        if not customers:
            _finish(tenant, job)
            return False
        job = _commit(principal, job, customers)
        if not more and job.get("mark") == customers[-1]["_sort"]:
            _finish(tenant, job)
            return False


def _commit(principal: Principal, job: dict[str, Any], customers: list[dict[str, Any]]) -> dict[str, Any]:
    """Commit one chunk; customers that changed meanwhile are read again and redone."""
    by_id = {customer["id"]: customer for customer in customers}
    for _attempt in range(_REDO_ATTEMPTS):
        chunk = _plan_chunk(principal, job, list(by_id.values()))
        changes, errors = _job_changes(job, chunk)
        failures = store.commit_chunk(
            principal.tenant_id, job["id"], job["version"], changes, units=chunk.units, errors=errors
        )
        if not failures:
            # Deleted customers' SKU mappings follow from the table's change stream.
            count("BulkJobCustomers", len(chunk.done))
            return {**job, **changes}
        fresh = customer_store.load_many(principal.tenant_id, [failure.key for failure in failures])
        for failure in failures:
            error = customer_store.unit_error(failure.cancelled, by_id[failure.key]["version"])
            if isinstance(error, ItemChanged) and failure.key in fresh:
                by_id[failure.key] = {**fresh[failure.key], "_sort": by_id[failure.key]["_sort"]}
            elif isinstance(error, LinkedRecordsExist | ItemChanged | UniqueValueTaken):
                by_id.pop(failure.key)  # gone meanwhile, or linked: nothing to do for it now
            else:
                raise error
    raise store.JobMoved(job["id"])


def _job_changes(job: dict[str, Any], chunk: _Chunk) -> tuple[dict[str, Any], list[tuple[int, dict[str, Any]]]]:
    counts = dict(job["counts"])
    counts["succeeded"] += len(chunk.done)
    counts["failed"] += len(chunk.failed)
    errors = []
    sample = list(job.get("errors_sample") or [])
    number = job.get("error_count", 0)
    for customer_id, code, message in chunk.failed:
        number += 1
        entry = {"id": customer_id, "code": code, "message": message}
        errors.append((number, entry))
        if len(sample) < ERRORS_SAMPLE_SIZE:
            sample.append(entry)
    processed = counts["succeeded"] + counts["failed"]
    matched = max(counts["matched"], processed)
    changes = {
        "counts": {**counts, "matched": matched},
        "progress": round(processed / matched, 4) if matched else 1,
        "errors_sample": sample,
        "error_count": number,
        "mark": chunk.mark,
        # In the chunk's own write: when the job last moved (a stuck job shows it).
        "progressed_at": clock.now_timestamp(),
        "version": job["version"] + 1,
    }
    return changes, errors


def _finish(tenant: str, job: dict[str, Any]) -> None:
    status = "completed_with_errors" if job["counts"]["failed"] else "succeeded"
    processed = job["counts"]["succeeded"] + job["counts"]["failed"]
    finished_at = clock.now_timestamp()
    changes = {
        "status": status,
        "finished_at": finished_at,
        "progressed_at": finished_at,
        "progress": 1,
        "version": job["version"] + 1,
        "counts": {**job["counts"], "matched": processed},
    }
    store.update(tenant, job["id"], job["version"], changes)
    logger.info("job finished", extra={"job_id": job["id"], "status": status})


def requeue(tenant: str, job_id: str) -> None:
    """Continue the job in a fresh worker run (this one is running out of time)."""
    store.enqueue(tenant, job_id)


def fail(tenant: str, job_id: str, message: str) -> None:
    """Give up on a job (its message is about to go to the dead-letter queue)."""
    job = store.load(tenant, job_id)
    if job is None or job["status"] in TERMINAL:
        return
    store.update(
        tenant,
        job_id,
        job["version"],
        {
            "status": "failed",
            "finished_at": clock.now_timestamp(),
            "error": {"code": "job_failed", "message": message},
            "version": job["version"] + 1,
        },
    )
