"""Jobs as the API shows them (API.md §6): one job, the tenant's jobs, a job's errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from clientele.domain.csvio import downloads as csv_downloads
from clientele.domain.csvio.downloads import Export
from clientele.domain.imports.service import ERRORS_SAMPLE_SIZE, import_view, is_import, load_visible_job
from clientele.domain.jobs.bulk_jobs import job_view
from clientele.domain.kernel import cursors
from clientele.domain.kernel.errors import MalformedRequest
from clientele.domain.kernel.principal import Principal
from clientele.secrets import cursor_signing_key
from clientele.store.imports import checkpoints as job_errors
from clientele.store.kernel import keys, listing

JobType = Literal["customer_import", "sku_mapping_import", "bulk_delete", "bulk_archive", "bulk_unarchive"]
JobStatus = Literal["awaiting_upload", "queued", "running", "succeeded", "completed_with_errors", "failed"]
ERROR_COLUMNS = ("row", "line", "column", "code", "message")


class JobListQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: Annotated[str, Field(max_length=4096)] | None = None
    type: JobType | None = None
    status: JobStatus | None = None


class JobErrorsQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    limit: Annotated[int, Field(ge=1, le=1000)] = 100
    cursor: Annotated[str, Field(max_length=4096)] | None = None
    format: Literal["json", "csv"] = "json"


def view(job: dict[str, Any], errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A job as every route answers it; `errors`: its first errors read live, else the sample it keeps.

    An import keeps its sample as it runs (its first range's first errors) and exactly when it ends.
    """
    if is_import(job):
        sample = errors if errors is not None else job.get("errors_sample") or []
        return import_view(job, [_error_entry(error) for error in sample])
    return job_view(job)


def _error_entry(error: dict[str, Any]) -> dict[str, Any]:
    if "row" not in error:  # a bulk job's error names a customer, not a row
        return {name: error.get(name) for name in ("id", "code", "message")}
    return {name: error.get(name) for name in ERROR_COLUMNS}


def get(principal: Principal, job_id: str) -> dict[str, Any]:
    job, errors = load_visible_job(principal, job_id, ERRORS_SAMPLE_SIZE)
    return view(job, errors)


def list_jobs(principal: Principal, query: JobListQuery) -> dict[str, Any]:
    """The tenant's jobs, newest first (a Query on the tenant's created index; filters narrow it)."""
    conditions, names, values = [], {}, {}
    for name in ("type", "status"):
        value = getattr(query, name)
        if value is not None:
            conditions.append(f"#{name} = :{name}")
            names[f"#{name}"] = name
            values[f":{name}"] = value
    if principal.organization_scoped:
        conditions.append("#scope.#organization = :organization")
        names.update({"#scope": "scope", "#organization": "organization_id"})
        values[":organization"] = principal.organization_id
    index_query = listing.IndexQuery(
        index="tenant-created",
        partition_attribute="tenant_list",
        sort_attribute="sort_created",
        partitions=(keys.tenant_jobs(principal.tenant_id),),
        descending=True,
        filter=listing.Condition(" AND ".join(conditions), names, values) if conditions else None,
    )
    binding = {
        "list": "jobs",
        "tenant": principal.tenant_id,
        "scope": principal.organization_id or "*",
        "filters": query.model_dump(include={"type", "status"}, exclude_none=True),
    }
    key = cursor_signing_key()
    positions: list[Any] = [None]
    if query.cursor is not None:
        positions = cursors.redeem(query.cursor, binding, key)
        if not isinstance(positions, list) or len(positions) != 1:
            raise MalformedRequest("the cursor is not one this API issued")
    page = listing.read_page(index_query, positions, query.limit)
    return {
        "data": [view(job) for job in page.items],
        "has_more": page.has_more,
        "next_cursor": cursors.issue(page.positions, binding, key) if page.has_more else None,
    }


def list_errors(principal: Principal, job_id: str, query: JobErrorsQuery) -> dict[str, Any]:
    """A page of the job's row errors, in row order."""
    load_visible_job(principal, job_id)
    binding = {"list": "job_errors", "tenant": principal.tenant_id, "job": job_id}
    key = cursor_signing_key()
    after = None
    if query.cursor is not None:
        after = cursors.redeem(query.cursor, binding, key)
        if not isinstance(after, str):
            raise MalformedRequest("the cursor is not one this API issued")
    errors, next_after = job_errors.errors_page(principal.tenant_id, job_id, after, query.limit)
    return {
        "data": [_error_entry(error) for error in errors],
        "has_more": next_after is not None,
        "next_cursor": cursors.issue(next_after, binding, key) if next_after is not None else None,
    }


def _error_rows(tenant: str, job_id: str, columns: tuple[str, ...]) -> Iterator[list[str]]:
    after = None
    while True:
        errors, after = job_errors.errors_page(tenant, job_id, after, 1000)
        for error in errors:
            yield ["" if error.get(name) is None else str(error.get(name)) for name in columns]
        if after is None:
            return


def errors_csv(principal: Principal, job_id: str) -> Export:
    """Every row error of the job as CSV (the JSON items' columns), read a page at a time."""
    job, _ = load_visible_job(principal, job_id)
    columns = ERROR_COLUMNS if is_import(job) else ("id", "code", "message")
    rows = _error_rows(principal.tenant_id, job_id, columns)
    return csv_downloads.deliver(principal.tenant_id, f"{job_id}-errors.csv", columns, rows)
