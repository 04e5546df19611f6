"""What a customer version changed, from its stream record's images (domain.history.changes), and the
stable ids and job.finished rule of change events: pure rules, no AWS."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from clientele.config import get_settings


@pytest.fixture(autouse=True)
def settings(monkeypatch):
    monkeypatch.setenv("TABLE_NAME", "clientele-test")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def image(version: int, **changes: Any) -> dict[str, Any]:
    """A customer item as a stream image carries it (numbers as Decimal, key and index attributes)."""
    item = {
        "pk": "T#t1#C#cus_1",
        "sk": "CUSTOMER",
        "entity": "customer",
        "id": "cus_1",
        "tenant_id": "t1",
        "number": Decimal(7),
        "name": "Acme",
        "version": Decimal(version),
        "created_at": "2026-12-01T00:00:00.000Z",
        "updated_at": f"2026-12-0{version}T00:00:00.000Z",
        "created_by": "creator",
        "updated_by": f"writer-{version}",
        "sort_name": "acme\x00cus_1",
        "tenant_list": "T#t1#CUSTOMERS#LIVE",
        "unique_values": {},
        "address_ids": [],
    }
    item.update(changes)
    return item


def version_of(event_name: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> Any:
    from clientele.domain.history.changes import version_of

    return version_of(event_name, "t1", "cus_1", old, new)


def test_a_creation_lists_what_was_set_and_who_set_it():
    created = version_of("INSERT", None, image(1, password_hash="$argon2id$secret", emails=["a@b.example"]))

    assert (created.action, created.version, created.by) == ("created", 1, "creator")
    assert created.at == "2026-12-01T00:00:00.000Z"
    assert created.changes["name"] == {"from": None, "to": "Acme"}
    assert created.changes["password_set"] == {"from": None, "to": True}
    assert "emails" in created.changed_fields and "addresses" not in created.changes  # blank: left out
    assert "$argon2id$secret" not in repr(created.changes)


def test_an_update_lists_only_changed_shown_fields_with_their_old_values():
    before = image(1)
    after = image(2, name="Acme Ltd", sort_name="acme ltd\x00cus_1", import_stamp="x", address_ids=["adr_1"])

    updated = version_of("MODIFY", before, after)

    assert (updated.action, updated.version, updated.by) == ("updated", 2, "writer-2")
    assert updated.changes == {
        "name": {"from": "Acme", "to": "Acme Ltd"},
        "addresses": {"from": [], "to": ["adr_1"]},
    }
    assert updated.previous == {"addresses": [], "name": "Acme"}


def test_a_write_that_keeps_the_version_is_no_version():
    assert version_of("MODIFY", image(3), image(3, sku_mappings_count=Decimal(1))) is None


def test_archiving_and_unarchiving_are_their_own_actions():
    assert version_of("MODIFY", image(1), image(2, archived=True)).action == "archived"
    assert version_of("MODIFY", image(2, archived=True), image(3, archived=False)).action == "unarchived"


def test_a_hard_delete_is_one_version_past_the_last_with_no_writer():
    deleted = version_of("REMOVE", image(4, organization_id="org-a"), None)

    assert (deleted.action, deleted.version, deleted.by, deleted.customer) == ("deleted", 5, None, None)
    assert deleted.organization_id == "org-a"
    assert deleted.changes["name"] == {"from": "Acme", "to": None}


def test_event_ids_are_stable_per_customer_and_version():
    from clientele.domain.change_events.events import event_id

    assert event_id("t1", "cus_1", 2) == event_id("t1", "cus_1", 2)
    assert event_id("t1", "cus_1", 2) != event_id("t1", "cus_1", 3) != event_id("t2", "cus_1", 3)
    assert event_id("t1", "cus_1", 2).startswith("evt_")


def test_job_finished_only_when_a_job_enters_a_terminal_status():
    from clientele.domain.change_events.events import job_finished

    def job(status: str) -> dict[str, Any]:
        return {"id": "job_1", "type": "bulk_archive", "status": status, "counts": {"matched": Decimal(2)}}

    finished = job_finished("t1", "job_1", job("running"), job("succeeded"))
    assert finished is not None and finished.detail_type == "job.finished"
    assert finished.detail["counts"] == {"matched": 2} and finished.detail["status"] == "succeeded"
    assert job_finished("t1", "job_1", job("succeeded"), job("succeeded")) is None  # a later write of a done job
    assert job_finished("t1", "job_1", job("queued"), job("running")) is None
