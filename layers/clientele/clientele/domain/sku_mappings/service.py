"""A customer's SKU mappings (API.md §9): list, upsert, delete by id, CSV export (§6).

A mapping ties one of the customer's own SKUs (`customer_sku`, unique per customer, kept exactly:
case-sensitive, never trimmed or normalized) to a `product_id`. Reads need the customer to be
visible to the caller (tenant, and organization for organization-scoped roles), else 404. Writes
don't read the customer first: their transaction checks it (exists, and in the caller's
organization), so a mapping is never written for a customer that is gone or out of reach.
Archived customers keep their mappings writable, as their address book is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from clientele.domain.csvio import downloads as csv_downloads
from clientele.domain.csvio.downloads import Export
from clientele.domain.kernel import clock, cursors, ids
from clientele.domain.kernel.errors import MalformedRequest, NotFound, ServiceUnavailable
from clientele.domain.kernel.fields import Text
from clientele.domain.kernel.principal import Principal
from clientele.domain.kernel.validation import read_only_errors, validate
from clientele.observability import count
from clientele.secrets import cursor_signing_key
from clientele.store.kernel.errors import ConditionNotMet, ItemChanged
from clientele.store.sku_mappings import items as store

MAPPING_READ_ONLY = ("id", "customer_id", "created_at", "updated_at")
EXPORT_COLUMNS = ("customer_sku", "product_id")
# Create-or-update rounds when other writers keep creating and deleting the same SKU in between.
_UPSERT_ATTEMPTS = 4


class SkuMappingFields(BaseModel):
    """Body of POST /v1/customers/{customer_id}/sku-mappings."""

    model_config = ConfigDict(extra="forbid", strict=True)

    customer_sku: Annotated[str, Text(100)]
    product_id: Annotated[str, Text(100)]


SkuPrefix = Annotated[str, Field(min_length=1, max_length=100)]


class SkuMappingListQuery(BaseModel):
    """The query parameters of GET /v1/customers/{customer_id}/sku-mappings; others are ignored."""

    model_config = ConfigDict(extra="ignore")

    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: StrictStr | None = None
    q: SkuPrefix | None = Field(None, description="customer_sku prefix: case-sensitive, exact")


@dataclass(frozen=True)
class UpsertResult:
    mapping: dict[str, Any]
    created: bool


def mapping_view(mapping: dict[str, Any]) -> dict[str, Any]:
    return {name: mapping[name] for name in store.MAPPING_ATTRIBUTES}


def _customer_not_found(customer_id: str) -> NotFound:
    return NotFound(f"customer {customer_id!r} not found")


def _mapping_not_found(mapping_id: str) -> NotFound:
    return NotFound(f"SKU mapping {mapping_id!r} not found for this customer")


def _check_customer_id(customer_id: str) -> None:
    if not ids.is_customer_id(customer_id):
        raise _customer_not_found(customer_id)


def _check_visible(principal: Principal, customer_id: str) -> None:
    """Reads: the customer exists in the caller's tenant and (organization-scoped roles) organization."""
    _check_customer_id(customer_id)
    scope = store.customer_scope(principal.tenant_id, customer_id)
    if scope is None or not principal.can_see(scope.organization_id):
        raise _customer_not_found(customer_id)


# ---------------------------------------------------------------- list


def list_mappings(principal: Principal, customer_id: str, query: SkuMappingListQuery) -> dict[str, Any]:
    """One page in customer_sku order; `q` is a case-sensitive customer_sku prefix."""
    _check_visible(principal, customer_id)
    binding = {
        "tenant": principal.tenant_id,
        "scope": principal.organization_id or "*",
        "customer": customer_id,
        "q": query.q or "",
    }
    key = cursor_signing_key()
    after = None
    if query.cursor is not None:
        after = cursors.redeem(query.cursor, binding, key)
        if not isinstance(after, str):
            raise MalformedRequest("the cursor is not one this API issued")
    page = store.page(principal.tenant_id, customer_id, query.q or "", after, query.limit)
    data = [mapping_view(mapping) for mapping in page.mappings]
    return {
        "data": data,
        "has_more": page.has_more,
        "next_cursor": cursors.issue(data[-1]["customer_sku"], binding, key) if page.has_more and data else None,
    }


# ---------------------------------------------------------------- upsert


def _validated(body: dict[str, Any]) -> SkuMappingFields:
    errors = read_only_errors(body, MAPPING_READ_ONLY)
    fields = {name: value for name, value in body.items() if name not in MAPPING_READ_ONLY}
    return validate(SkuMappingFields, fields, extra_errors=errors)


def upsert(principal: Principal, customer_id: str, body: dict[str, Any]) -> UpsertResult:
    """Create the mapping of `customer_sku` (created) or point the existing one at `product_id`.

    Try the create (a transaction: the customer's check, the mapping conditioned on not existing,
    its id pointer); when the SKU is already mapped, the cancellation carries the mapping as it is,
    and the update is a second transaction conditioned on that mapping's id (id and created_at kept).
    Same product: nothing is written. Two concurrent upserts of a new SKU: one creates, one updates.
    """
    fields = _validated(body)
    _check_customer_id(customer_id)
    tenant, organization = principal.tenant_id, principal.organization_id
    for _ in range(_UPSERT_ATTEMPTS):
        now = clock.now_timestamp()
        mapping = {
            "id": ids.new_id("skm"),
            "customer_id": customer_id,
            "customer_sku": fields.customer_sku,
            "product_id": fields.product_id,
            "created_at": now,
            "updated_at": now,
        }
        try:
            store.create(tenant, mapping, organization)
        except ConditionNotMet:
            raise _customer_not_found(customer_id) from None
        except ItemChanged as exists:
            current = exists.current
        else:
            count("SkuMappingsCreated")
            return UpsertResult(mapping, created=True)
        if current is None:
            continue
        if current["product_id"] == fields.product_id:
            return UpsertResult(current, created=False)
        try:
            store.update(tenant, current, fields.product_id, now, organization)
        except ConditionNotMet:
            raise _customer_not_found(customer_id) from None
        except ItemChanged:
            continue  # deleted (and maybe created again) in between: start over
        count("SkuMappingsUpdated")
        return UpsertResult({**current, "product_id": fields.product_id, "updated_at": now}, created=False)
    raise ServiceUnavailable("the SKU mapping kept changing while it was written; retry")


# ---------------------------------------------------------------- delete


def delete(principal: Principal, customer_id: str, mapping_id: str) -> None:
    """Delete by id: the id pointer names the SKU; one transaction removes mapping and pointer."""
    _check_customer_id(customer_id)
    if not ids.SKU_MAPPING_ID.fullmatch(mapping_id):
        raise _mapping_not_found(mapping_id)
    tenant = principal.tenant_id
    customer_sku = store.sku_of(tenant, customer_id, mapping_id)
    if customer_sku is None:
        raise _mapping_not_found(mapping_id)
    try:
        store.delete(tenant, customer_id, customer_sku, mapping_id, principal.organization_id)
    except ConditionNotMet:
        raise _customer_not_found(customer_id) from None
    except ItemChanged:
        raise _mapping_not_found(mapping_id) from None
    count("SkuMappingsDeleted")


# ---------------------------------------------------------------- export


def export(principal: Principal, customer_id: str) -> Export:
    """Every mapping of the customer as CSV (`customer_sku,product_id`, formula-escaped, CRLF), in SKU order.

    Rows are produced a Query page at a time (never every mapping at once) and spooled by
    csv_downloads: answered inline up to its INLINE_MAX_BYTES, else uploaded to
    `reports/{tenant}/{uuid}.csv` and answered with a presigned link.
    """
    _check_visible(principal, customer_id)
    rows = (
        [mapping[column] for column in EXPORT_COLUMNS]
        for page in store.pages(principal.tenant_id, customer_id)
        for mapping in page
    )
    return csv_downloads.deliver(principal.tenant_id, f"sku-mappings-{customer_id}.csv", EXPORT_COLUMNS, rows)


def purge_deleted_customer(tenant: str, customer_id: str, deleted: Mapping[str, Any]) -> int:
    """Remove the SKU mappings of a hard-deleted customer (`deleted`: its item as it was); idempotent.

    The counter on the deleted item says whether it had any: every mapping write adds to it in
    the same transaction, so a customer that had none costs no read.
    """
    if not int(deleted.get(store.MAPPINGS_COUNTER) or 0):
        return 0
    removed = store.purge(tenant, customer_id)
    count("SkuMappingsPurged", removed)
    return removed
