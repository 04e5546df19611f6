"""What one customer version changed, from the old and new images of its item's stream record.

The same description feeds the history entry and the change event, so both always agree on the
action, the version and the changed fields.

- `changes` compares what the API shows of a customer: its writable fields, `archived` and
  `archived_at`, `password_set` (never a hash) and `addresses` (the ids of its address book, which
  the customer item lists). Store-only attributes (keys, index attributes, guards, import stamps,
  ledger and mapping counters, lifetime totals) are not compared: a write that changes only those
  (a ledger counter, say) keeps the version and makes no entry at all.
- An address edited in place changes no attribute of the customer item but its version: that
  version's entry is `updated` with no `addresses` entry (the item doesn't record address contents).
- `by` is the item's `updated_by` (`created_by` for the first version): the subject of the token
  that wrote it. A hard delete records no writer on the item, so a deletion's `by` is null and its
  `at` is when the stream function saw it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from clientele.config import get_settings
from clientele.domain.customers.fields import WRITABLE_FIELDS, customer_view
from clientele.domain.kernel import clock
from clientele.store.kernel.client import plain_value, without_key_attributes

Action = Literal["created", "updated", "archived", "unarchived", "deleted"]
_SHOWN = (*WRITABLE_FIELDS, "archived", "archived_at", "password_set")


@dataclass(frozen=True)
class CustomerVersion:
    """One version of a customer as the stream saw it; `customer` is its stored item (None: deleted)."""

    tenant: str
    customer_id: str
    version: int
    action: Action
    at: str
    by: str | None
    organization_id: str | None
    changes: dict[str, dict[str, Any]]
    customer: dict[str, Any] | None

    @property
    def changed_fields(self) -> list[str]:
        return sorted(self.changes)

    @property
    def previous(self) -> dict[str, Any]:
        """Each changed field's old value."""
        return {name: change["from"] for name, change in sorted(self.changes.items())}


def plain_image(image: Mapping[str, Any]) -> dict[str, Any]:
    """A stream image as the domain reads an item (plain values, no key attributes)."""
    return without_key_attributes(plain_value(dict(image)))


def _shown(customer: dict[str, Any]) -> dict[str, Any]:
    view = customer_view(customer, [], get_settings().default_currency)
    shown = {name: view[name] for name in _SHOWN}
    shown["addresses"] = sorted(customer.get("address_ids") or [])
    return shown


def _blank(value: Any) -> bool:
    return value is None or value is False or value in ([], {})


def _changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """{field: {from, to}}; against a missing side (created, deleted) blank values are left out."""
    old = _shown(before) if before is not None else None
    new = _shown(after) if after is not None else None
    changes = {}
    for name in (*_SHOWN, "addresses"):
        was = old.get(name) if old is not None else None
        now = new.get(name) if new is not None else None
        if was == now or (old is None and _blank(now)) or (new is None and _blank(was)):
            continue
        changes[name] = {"from": was, "to": now}
    return changes


def _action(before: dict[str, Any] | None, after: dict[str, Any]) -> Action:
    if before is None:
        return "created"
    was, now = bool(before.get("archived")), bool(after.get("archived"))
    if was != now:
        return "archived" if now else "unarchived"
    return "updated"


def version_of(
    event_name: str,
    tenant: str,
    customer_id: str,
    old_image: Mapping[str, Any] | None,
    new_image: Mapping[str, Any] | None,
) -> CustomerVersion | None:
    """The version a customer item's record stands for; None when it made no new version."""
    before = plain_image(old_image) if old_image else None
    after = plain_image(new_image) if new_image and event_name != "REMOVE" else None
    if after is not None:
        if before is not None and int(after["version"]) == int(before["version"]):
            return None  # counters and other store-only attributes moved; the customer did not change
        action = _action(before, after)
        version = int(after["version"])
        at = str(after.get("updated_at") or after.get("created_at"))
        by = after.get("created_by") if action == "created" else after.get("updated_by")
        organization_id = after.get("organization_id")
    elif before is not None:
        # A deletion is the customer's last version: one past the version it was deleted at.
        action, version, at, by = "deleted", int(before["version"]) + 1, clock.now_timestamp(), None
        organization_id = before.get("organization_id")
    else:
        return None
    return CustomerVersion(
        tenant=tenant,
        customer_id=customer_id,
        version=version,
        action=action,
        at=at,
        by=by,
        organization_id=organization_id,
        changes=_changes(before, after),
        customer=after,
    )
