"""Change events: what the stream function puts on the stack's EventBridge bus (API.md §14).

- `customer.created|updated|archived|unarchived|deleted`, one per customer version, detail
  `{id, tenant_id, customer_id, version, changed_fields, customer, previous}`; `customer` is the
  customer as GET answers it (never a password: `password_set` only), null when deleted.
- `job.finished` when an import or bulk job reaches a terminal status, detail
  `{id, tenant_id, job_id, type, status, counts}`.

Ids are stable (`evt_` + a digest of tenant, customer id and version, or of tenant and job id):
delivery is at least once, so an event may come twice with the same id, and consumers deduplicate
by it. A record's events are put only after its history entry is written (the worker puts a batch's
events once its records are applied); events that EventBridge refuses fail their record, which is
delivered again: its entry is not written twice, its events are put again with the same ids.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from clientele.config import get_settings
from clientele.domain.customers.fields import customer_view
from clientele.domain.history.changes import CustomerVersion, plain_image
from clientele.domain.jobs.bulk_jobs import TERMINAL
from clientele.domain.jobs.views import view as job_view
from clientele.store.change_events import bus
from clientele.store.customers import items as customers_store

SOURCE = "clientele"


@dataclass(frozen=True)
class ChangeEvent:
    detail_type: str
    detail: dict[str, Any]

    @property
    def id(self) -> str:
        event_id: str = self.detail["id"]
        return event_id


def event_id(*parts: str | int) -> str:
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode("utf-8")).hexdigest()
    return f"evt_{digest[:32]}"


def _customer_as_shown(version: CustomerVersion) -> dict[str, Any] | None:
    """The customer of `version` as GET answers it, with the addresses its item lists (read now: an
    address edited since shows its newer contents)."""
    if version.customer is None:
        return None
    books = customers_store.with_address_books(version.tenant, [version.customer])
    stored = books.get(version.customer_id)
    addresses = stored.addresses if stored is not None else []
    return customer_view(version.customer, addresses, get_settings().default_currency)


def customer_event(version: CustomerVersion) -> ChangeEvent:
    detail = {
        "id": event_id(version.tenant, version.customer_id, version.version),
        "tenant_id": version.tenant,
        "customer_id": version.customer_id,
        "version": version.version,
        "changed_fields": version.changed_fields,
        "customer": _customer_as_shown(version),
        "previous": version.previous,
    }
    return ChangeEvent(f"customer.{version.action}", detail)


def job_finished(
    tenant: str, job_id: str, old_image: Mapping[str, Any] | None, new_image: Mapping[str, Any] | None
) -> ChangeEvent | None:
    """`job.finished` when the record takes the job into a terminal status (exactly one per job)."""
    if not new_image:
        return None
    job = plain_image(new_image)
    was = plain_image(old_image).get("status") if old_image else None
    if job.get("status") not in TERMINAL or was in TERMINAL:
        return None
    shown = job_view(job)
    detail = {
        "id": event_id(tenant, job_id, "finished"),
        "tenant_id": tenant,
        "job_id": job_id,
        "type": shown["type"],
        "status": shown["status"],
        "counts": shown["counts"],
    }
    return ChangeEvent("job.finished", detail)


@dataclass
class Outbox:
    """A batch's events by the stream record they come from, put together once the batch is applied."""

    _pending: list[tuple[str, ChangeEvent]] = field(default_factory=list)

    def add(self, record_id: str, events: Iterable[ChangeEvent]) -> None:
        self._pending.extend((record_id, event) for event in events)

    def __len__(self) -> int:
        return len(self._pending)

    def publish(self) -> list[str]:
        """Put every pending event (≤ 10 per PutEvents); the ids of records with an event refused."""
        if not self._pending:
            return []
        entries = [
            bus.Entry(SOURCE, event.detail_type, json.dumps(event.detail, separators=(",", ":"), sort_keys=True))
            for _, event in self._pending
        ]
        accepted = bus.put(entries)
        failed = [record_id for (record_id, _), ok in zip(self._pending, accepted, strict=True) if not ok]
        self._pending.clear()
        return list(dict.fromkeys(failed))
