"""CSV imports (API.md §6): starting them, committing previews, and the import job as the API shows it.

An import job is created by `POST /v1/imports` (it then waits for its upload)
or by an object put at a drop key. The job id of a drop is derived from the
bucket, the key and the object's ETag: a redelivered event, or the same bytes
put again, find the job already there and import nothing twice.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict

from clientele.domain.customers.service import load_visible
from clientele.domain.kernel import clock, ids
from clientele.domain.kernel.errors import Conflict, FieldError, NotFound, ValidationFailed
from clientele.domain.kernel.fields import Text
from clientele.domain.kernel.principal import Principal
from clientele.domain.kernel.validation import validate
from clientele.store.imports import checkpoints, uploads
from clientele.store.jobs import items as store

ImportKind = Literal["customers", "sku_mappings"]
IMPORT_TYPES: dict[ImportKind, str] = {"customers": "customer_import", "sku_mappings": "sku_mapping_import"}
UPLOAD_SECONDS = 3600
ERRORS_SAMPLE_SIZE = 20
TERMINAL = frozenset({"succeeded", "completed_with_errors", "failed"})
COUNTS = ("rows", "created", "updated", "unchanged", "skipped", "failed")
DROP_SUBJECT = "s3-drop"
# Tenant ids as the API accepts them (so a key can never name something else).
_TENANT = re.compile(r"[A-Za-z0-9._-]{1,64}")


class ImportRequest(BaseModel):
    """POST /v1/imports."""

    model_config = ConfigDict(extra="forbid", strict=True)

    type: ImportKind
    mode: Literal["preview", "commit"] = "commit"
    on_conflict: Literal["update", "skip", "error"] = "update"
    customer_id: Annotated[str, Text(64)] | None = None
    filename: Annotated[str, Text(255)] | None = None


def upload_key(tenant: str, job_id: str) -> str:
    return f"uploads/{tenant}/{job_id}.csv"


def is_import(job: dict[str, Any]) -> bool:
    return job.get("type") in IMPORT_TYPES.values()


def import_view(job: dict[str, Any], errors_sample: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    size = (job.get("object") or {}).get("size") or 0
    done = job.get("bytes_done", 0)
    progress = 1 if job["status"] in TERMINAL else (round(min(done / size, 1), 4) if size else 0)
    view = {
        "id": job["id"],
        "type": job["type"],
        "status": job["status"],
        "mode": job["mode"],
        "on_conflict": job["on_conflict"],
        "customer_id": job.get("customer_id"),
        "filename": job.get("filename"),
        "source": job.get("source", "upload"),
        "source_job_id": job.get("source_job_id"),
        "counts": {name: int(job.get(f"count_{name}", 0)) for name in COUNTS},
        "progress": progress,
        "warnings": job.get("warnings") or [],
        "errors_sample": errors_sample if errors_sample is not None else [],
        "preview_rows": job.get("preview_rows") or [],
        "error": job.get("error"),
        "created_at": job["created_at"],
        "started_at": job.get("started_at"),
        "finished_at": job.get("finished_at"),
        "progressed_at": job.get("progressed_at"),
    }
    return view


def _new_job(principal: Principal, job_id: str, request: ImportRequest, now: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": job_id,
        "type": IMPORT_TYPES[request.type],
        "mode": request.mode,
        "on_conflict": request.on_conflict,
        "customer_id": request.customer_id,
        "filename": request.filename,
        **{f"count_{name}": 0 for name in COUNTS},
        "bytes_done": 0,
        "created_at": now,
        "created_by": principal.subject,
        "scope": {"role": principal.role, "organization_id": principal.organization_id},
        "version": 1,
        **extra,
    }


def start(principal: Principal, body: Any) -> dict[str, Any]:
    """Create an import job waiting for its upload; answers the job with a presigned PUT."""
    request = validate(ImportRequest, body)
    if request.type == "sku_mappings":
        if request.customer_id is None:
            raise ValidationFailed([FieldError("required", "is required for sku_mappings", pointer="/customer_id")])
        load_visible(principal, request.customer_id)
    elif request.customer_id is not None:
        raise ValidationFailed([FieldError("not_allowed", "only sku_mappings imports take one", "/customer_id")])
    now = clock.now()
    job_id = ids.new_id("job", int(now.timestamp() * 1000))
    key = upload_key(principal.tenant_id, job_id)
    job = _new_job(principal, job_id, request, clock.timestamp(now), status="awaiting_upload", upload_key=key)
    store.insert(principal.tenant_id, job)
    expires = clock.timestamp(now + timedelta(seconds=UPLOAD_SECONDS))
    view = import_view(job)
    view["upload"] = {
        "url": uploads.presigned_put(key, UPLOAD_SECONDS),
        "method": "PUT",
        "headers": {"Content-Type": "text/csv"},
        "expires_at": expires,
    }
    return view


def load_visible_job(principal: Principal, job_id: str, errors: int = 0) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The caller's job (and its first errors), or NotFound: other tenants' and organizations' jobs are 404."""
    job, first_errors = (
        checkpoints.load_with_errors(principal.tenant_id, job_id, errors)
        if ids.id_pattern("job").fullmatch(job_id)
        else (None, [])
    )
    scope = (job or {}).get("scope") or {}
    if job is None or (principal.organization_scoped and scope.get("organization_id") != principal.organization_id):
        raise NotFound(f"job {job_id!r} not found")
    return job, first_errors


def commit_preview(principal: Principal, job_id: str) -> dict[str, Any]:
    """Commit a finished preview: a new job over the same file and options (202)."""
    preview, _ = load_visible_job(principal, job_id)
    finished = preview.get("status") in {"succeeded", "completed_with_errors"}
    if not is_import(preview) or preview.get("mode") != "preview" or not finished:
        raise Conflict(field="status", existing_id=None, detail="only a finished preview import can be committed")
    now = clock.now()
    new_id = ids.new_id("job", int(now.timestamp() * 1000))
    request = ImportRequest(
        type=next(kind for kind, job_type in IMPORT_TYPES.items() if job_type == preview["type"]),
        mode="commit",
        on_conflict=preview["on_conflict"],
        customer_id=preview.get("customer_id"),
        filename=preview.get("filename"),
    )
    job = _new_job(
        principal,
        new_id,
        request,
        clock.timestamp(now),
        status="queued",
        source=preview.get("source", "upload"),
        source_job_id=preview["id"],
        object=preview["object"],
    )
    store.insert(principal.tenant_id, job)
    store.enqueue_import(principal.tenant_id, new_id)
    return import_view(job)


# ---------------------------------------------------------------- S3 objects arriving


def _drop_job(tenant: str, bucket: str, key: str, etag: str, size: int) -> dict[str, Any] | None:
    """`drop/{tenant}/customers/<name>.csv` or `drop/{tenant}/sku-mappings/{customer_id}/<name>.csv`."""
    parts = key.split("/")
    if len(parts) == 4 and parts[2] == "customers":
        request = ImportRequest(type="customers", filename=parts[3])
    elif len(parts) == 5 and parts[2] == "sku-mappings" and ids.is_customer_id(parts[3]):
        request = ImportRequest(type="sku_mappings", customer_id=parts[3], filename=parts[4])
    else:
        return None
    dropper = Principal(tenant_id=tenant, subject=DROP_SUBJECT, role="admin", organization_id=None)
    job_id = ids.derived_id("job", bucket, key, etag)
    return _new_job(
        dropper,
        job_id,
        request,
        clock.now_timestamp(),
        status="queued",
        source="drop",
        object={"bucket": bucket, "key": key, "etag": etag, "size": size},
    )


def accept_object(bucket: str, key: str, etag: str, size: int) -> tuple[str, str] | None:
    """An object arrived: the (tenant, job id) to run, or None when there is nothing to do."""
    parts = key.split("/")
    if len(parts) < 3 or not _TENANT.fullmatch(parts[1]):
        return None
    tenant = parts[1]
    if parts[0] == "drop":
        job = _drop_job(tenant, bucket, key, etag, size)
        if job is None:
            return None
        store.insert(tenant, job)  # False: the same object again; the job is there (and maybe done)
        return tenant, job["id"]
    if parts[0] == "uploads" and len(parts) == 3 and parts[2].endswith(".csv"):
        job_id = parts[2].removesuffix(".csv")
        # Only the first upload starts the job; later puts to the same key are ignored.
        started = checkpoints.update_job(
            tenant,
            job_id,
            {"status": "queued", "object": {"bucket": bucket, "key": key, "etag": etag, "size": size}},
            condition="#status = :waiting",
            values={":waiting": "awaiting_upload"},
        )
        if started:
            return tenant, job_id
        # A redelivered event for the upload that started the job: carry on with it.
        job = store.load(tenant, job_id)
        if job is not None and (job.get("object") or {}).get("etag") == etag:
            return tenant, job_id
    return None
