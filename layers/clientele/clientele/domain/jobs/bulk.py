"""Bulk operations by id (API.md §3 rows 9-12): delete, archive, unarchive, and the deletability check.

A call names 1-100 ids and gets one result per id, in request order; ids that
don't exist in the caller's tenant and organization are `not_found`, never an
error for the whole call. Reads are one BatchGetItem per 100 ids; writes are
packed into as few TransactWriteItems as fit 100 actions, each customer's
write still all-or-nothing and conditioned on the version that was read. A
customer changed by someone else between read and write is read and written
again (up to three rounds).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from clientele.domain.customers.links import link_reasons, links_detail
from clientele.domain.customers.service import archive_state, held_guards, prepare_change
from clientele.domain.jobs import bulk_jobs as jobs
from clientele.domain.kernel import ids
from clientele.domain.kernel.errors import FieldError, ValidationFailed
from clientele.domain.kernel.principal import Principal
from clientele.domain.kernel.validation import validate
from clientele.observability import count
from clientele.store.customers import items as store
from clientele.store.kernel.errors import ItemChanged, LinkedRecordsExist, UniqueValueTaken

MAX_IDS = 100
_ROUNDS = 3

type BulkOperation = Literal["delete", "archive", "unarchive"]
_JOB_TYPES: dict[BulkOperation, jobs.JobType] = {
    "delete": "bulk_delete",
    "archive": "bulk_archive",
    "unarchive": "bulk_unarchive",
}


class IdsBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    ids: Annotated[list[StrictStr], Field(min_length=1, max_length=MAX_IDS)]


class BulkBody(BaseModel):
    """Either the ids to act on, or a filter for a job over every matching customer."""

    model_config = ConfigDict(extra="forbid", strict=True)

    ids: Annotated[list[StrictStr], Field(min_length=1, max_length=MAX_IDS)] | None = None
    filter: dict[str, Any] | None = None


@dataclass(frozen=True)
class BulkAnswer:
    """Results per id (200), or the job that will act on a filter's matches (202)."""

    results: list[dict[str, Any]] | None = None
    job: dict[str, Any] | None = None


def parse_ids(body: dict[str, Any]) -> list[str]:
    return validate(IdsBody, body).ids


def _ids_or_filter(body: dict[str, Any]) -> BulkBody:
    request = validate(BulkBody, body)
    if (request.ids is None) == (request.filter is None):
        raise ValidationFailed(
            [FieldError("ids_or_filter", 'send either "ids" (1-100 customer ids) or "filter" (list filters)', "")]
        )
    return request


def run(principal: Principal, operation: BulkOperation, body: dict[str, Any]) -> BulkAnswer:
    """bulk-delete, bulk-archive, bulk-unarchive: by ids now, or by filter as a job."""

    request = _ids_or_filter(body)
    if request.ids is None:  # so the filter is set
        return BulkAnswer(job=jobs.start(principal, _JOB_TYPES[operation], request.filter))
    if operation == "delete":
        return BulkAnswer(results=bulk_delete(principal, request.ids))
    return BulkAnswer(results=bulk_set_archived(principal, request.ids, archived=operation == "archive"))


def _visible(principal: Principal, customer_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The customers among `customer_ids` the caller may see (malformed ids are simply absent)."""
    wanted = [customer_id for customer_id in customer_ids if ids.is_customer_id(customer_id)]
    found = store.load_many(principal.tenant_id, wanted) if wanted else {}
    return {cid: item for cid, item in found.items() if principal.can_see(item.get("organization_id"))}


def _results(customer_ids: list[str], outcomes: dict[str, tuple[str, str | None]]) -> list[dict[str, Any]]:
    return [
        {"id": cid, "outcome": outcomes.get(cid, ("not_found", None))[0], "detail": outcomes.get(cid, ("", None))[1]}
        for cid in customer_ids
    ]


def _in_rounds(
    principal: Principal,
    customer_ids: list[str],
    decide: Callable[[dict[str, Any]], tuple[str, str | None] | None],
    write: Callable[[list[dict[str, Any]]], dict[str, Exception]],
    done: str,
) -> dict[str, tuple[str, str | None]]:
    """Read, decide, write; customers changed meanwhile go round again.

    `decide(customer)` gives an outcome that needs no write, or None to write;
    `write(customers)` returns the errors by id.
    """
    outcomes: dict[str, tuple[str, str | None]] = {}
    pending = list(dict.fromkeys(customer_ids))
    for _ in range(_ROUNDS):
        visible = _visible(principal, pending)
        to_write = []
        for customer_id in pending:
            customer = visible.get(customer_id)
            if customer is None:
                outcomes[customer_id] = ("not_found", None)
                continue
            decided = decide(customer)
            if decided is not None:
                outcomes[customer_id] = decided
            else:
                to_write.append(customer)
        errors = write(to_write) if to_write else {}
        pending = []
        for customer in to_write:
            error = errors.get(customer["id"])
            if error is None:
                outcomes[customer["id"]] = (done, None)
            elif isinstance(error, ItemChanged) and error.current is not None:
                pending.append(customer["id"])  # changed meanwhile: read it again
            else:
                outcomes[customer["id"]] = _outcome_for(error)
        if not pending:
            break
    for customer_id in pending:
        outcomes[customer_id] = ("failed", "the customer kept changing while this ran; try again")
    return outcomes


def _outcome_for(error: Exception) -> tuple[str, str | None]:
    if isinstance(error, LinkedRecordsExist):
        return "linked_records", links_detail(error.current)
    if isinstance(error, ItemChanged):
        return "not_found", None
    if isinstance(error, UniqueValueTaken):
        return "failed", f"{error.field} is held by another customer"
    raise error


def bulk_delete(principal: Principal, customer_ids: list[str]) -> list[dict[str, Any]]:
    def decide(customer: dict[str, Any]) -> tuple[str, str | None] | None:
        detail = links_detail(customer)
        return ("linked_records", detail) if detail else None

    def write(customers: list[dict[str, Any]]) -> dict[str, Exception]:
        deletions = [
            store.CustomerDeletion(c["id"], c["version"], held_guards(c), c.get("address_ids") or []) for c in customers
        ]
        # The deleted customers' SKU mappings follow from the table's change stream.
        return store.delete_many(principal.tenant_id, deletions)

    outcomes = _in_rounds(principal, customer_ids, decide, write, "deleted")
    count("CustomersDeleted", sum(1 for outcome, _ in outcomes.values() if outcome == "deleted"))
    return _results(customer_ids, outcomes)


def bulk_set_archived(principal: Principal, customer_ids: list[str], archived: bool) -> list[dict[str, Any]]:
    done = "archived" if archived else "unarchived"

    def decide(customer: dict[str, Any]) -> tuple[str, str | None] | None:
        return (done, None) if bool(customer.get("archived")) == archived else None

    def write(customers: list[dict[str, Any]]) -> dict[str, Exception]:
        changes = [prepare_change(principal, c, archive_state(c, archived), None)[0] for c in customers]
        return store.update_many(principal.tenant_id, changes)

    return _results(customer_ids, _in_rounds(principal, customer_ids, decide, write, done))


def deletable(principal: Principal, customer_ids: list[str]) -> list[dict[str, Any]]:
    """Whether each customer could be hard-deleted now, with the reasons it can't."""
    visible = _visible(principal, list(dict.fromkeys(customer_ids)))
    results = []
    for customer_id in customer_ids:
        customer = visible.get(customer_id)
        if customer is None:
            results.append({"id": customer_id, "deletable": False, "reasons": ["not_found"]})
            continue
        reasons = link_reasons(customer)
        results.append({"id": customer_id, "deletable": not reasons, "reasons": reasons})
    return results
