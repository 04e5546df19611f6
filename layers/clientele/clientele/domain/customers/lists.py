"""GET /v1/customers: the query parameters (API.md §5), how each is served, and the page.

Sorts and partitions are served by the list indexes: one index per sort order,
partitioned by tenant (or by tenant + organization for organization-scoped
callers and organization filters), with archived customers in partitions of
their own. created/updated bounds become a key range when they bound the sort
key; every other filter is a filter expression, read within the page's Query
budget (store.listing.MAX_CALLS_PER_PAGE).

With `q` the page comes from the search index instead (domain.search.query, API.md §14): in
relevance order (identifier matches, then name-word matches by word, name and id), the other
filters checked on each candidate customer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictStr

from clientele.config import get_settings
from clientele.domain.counts import tally
from clientele.domain.customers.fields import customer_view
from clientele.domain.customers.normalize import postal_key
from clientele.domain.kernel import clock, cursors
from clientele.domain.kernel.errors import FieldError, MalformedRequest, ValidationFailed
from clientele.domain.kernel.principal import Principal
from clientele.domain.search import query as search
from clientele.domain.search import terms as search_terms
from clientele.secrets import cursor_signing_key
from clientele.store.kernel import keys
from clientele.store.kernel import listing as store

Sort = Literal["name", "-name", "code", "-code", "created_at", "-created_at", "updated_at", "-updated_at"]
_INDEX_BY_SORT = {"name": "name", "code": "code", "created_at": "created", "updated_at": "updated"}
_EMBEDDED = ("addresses", "default_shipping_address", "default_billing_address")


class CustomerFilter(BaseModel):
    """Which customers: the list filters, also the `filter` of a bulk operation."""

    model_config = ConfigDict(extra="ignore")

    status: Literal["active", "inactive"] | None = None
    type: Literal["customer", "broker_3pl"] | None = None
    organization_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    branch: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    archived: Literal["false", "true", "any"] = "false"
    q: (
        Annotated[
            str,
            Field(
                min_length=1,
                max_length=200,
                description="Search: name-word prefixes (each word of q starts a different word of the name, "
                "company, first or last name; case, accents and punctuation folded), or an exact code, external "
                "id, email, phone (digits) or number. Served by the search index, which follows writes within "
                "seconds; the order is relevance and `sort` is ignored.",
            ),
        ]
        | None
    ) = None
    postal_code: Annotated[str, Field(min_length=1, max_length=20)] | None = None
    created_after: AwareDatetime | None = None
    created_before: AwareDatetime | None = None
    updated_after: AwareDatetime | None = None


class CustomerListQuery(CustomerFilter):
    """The query parameters of GET /v1/customers; others are ignored."""

    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: StrictStr | None = None
    sort: Sort = "-created_at"
    fields: Annotated[str, Field(max_length=2000)] | None = None
    exclude: Annotated[str, Field(max_length=2000)] | None = None
    include_total: bool = False


@cache
def list_columns() -> tuple[str, ...]:
    """The columns of a list item: the customer's representation without the embedded address book."""
    sample = {"id": "", "name": "", "version": 1, "created_at": "", "updated_at": ""}
    return tuple(name for name in customer_view(sample, [], "USD") if name not in _EMBEDDED)


def _columns(query: CustomerListQuery) -> tuple[str, ...]:
    known = list_columns()
    chosen: list[str] = list(known)
    errors = []
    for parameter in ("fields", "exclude"):
        text = getattr(query, parameter)
        if text is None:
            continue
        names = [name.strip() for name in text.split(",") if name.strip()]
        unknown = [name for name in names if name not in known]
        errors += [
            FieldError(code="unknown_column", message=f"{name!r} is not a column of a customer", parameter=parameter)
            for name in unknown
        ]
        if parameter == "fields":
            chosen = [name for name in known if name in names or name == "id"]
        else:
            chosen = [name for name in chosen if name not in names or name == "id"]
    if errors:
        raise ValidationFailed(errors)
    return tuple(chosen)


def _timestamp_after(moment: datetime) -> str:
    """Exclusive lower bound on `created_at`/`updated_at` strings at millisecond precision."""
    return clock.timestamp(moment.astimezone(UTC))


def _timestamp_before(moment: datetime) -> str:
    """Exclusive upper bound: a sub-millisecond remainder rounds up so earlier milliseconds still count."""
    moment = moment.astimezone(UTC)
    if moment.microsecond % 1000:
        moment += timedelta(microseconds=1000 - moment.microsecond % 1000)
    return clock.timestamp(moment)


class _Filters:
    """Accumulates a filter expression with unique placeholders."""

    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def add(self, clause: str, names: dict[str, str], values: dict[str, Any]) -> None:
        self.clauses.append(clause)
        self.names.update(names)
        self.values.update(values)

    def condition(self) -> store.Condition | None:
        if not self.clauses:
            return None
        return store.Condition(" AND ".join(f"({clause})" for clause in self.clauses), self.names, self.values)


def _scope(principal: Principal, query: CustomerFilter) -> tuple[str | None, tuple[bool, ...]]:
    """The organization listed (the caller's own when organization-scoped, else the filter's) and the shelves."""
    organization = principal.organization_id if principal.organization_scoped else query.organization_id
    shelves = {"false": (False,), "true": (True,), "any": (False, True)}[query.archived]
    return organization, shelves


def plan(
    principal: Principal, query: CustomerFilter, sort: str, after_sort_value: str | None = None
) -> tuple[store.IndexQuery, dict[str, Any]]:
    """The index query that serves `query` in `sort` order, and what a cursor is bound to.

    `after_sort_value` starts strictly after that sort key value (a bulk job's high-water mark).
    """
    sort_field = sort.lstrip("-")
    descending = sort.startswith("-")
    organization, shelves = _scope(principal, query)
    tenant = principal.tenant_id
    if organization is not None:
        prefix, partition_attribute = "org", "org_list"
        partitions = tuple(keys.organization_customers(tenant, organization, archived) for archived in shelves)
    else:
        prefix, partition_attribute = "tenant", "tenant_list"
        partitions = tuple(keys.tenant_customers(tenant, archived) for archived in shelves)
    index_suffix = _INDEX_BY_SORT[sort_field]
    sort_attribute = f"sort_{index_suffix}"

    filters = _Filters()
    for name in ("status", "type", "branch"):
        value = getattr(query, name)
        if value is not None:
            filters.add(f"#{name} = :{name}", {f"#{name}": name}, {f":{name}": value})
    # `q` is no filter expression: GET answers it from the search index (search.page), and a bulk job
    # walking this plan checks it on each customer (search_terms.matcher).
    if query.postal_code is not None:
        filters.add(
            "contains(#postal_keys, :postal)",
            {"#postal_keys": "postal_keys"},
            {":postal": postal_key(query.postal_code)},
        )

    sort_range = None
    bounds = {
        "created_at": (query.created_after, query.created_before),
        "updated_at": (query.updated_after, None),
    }
    for field, (after, before) in bounds.items():
        low = _timestamp_after(after) if after else None
        high = _timestamp_before(before) if before else None
        if field == sort_field:
            # On the sort key itself: a key range. "T\x01" sorts after every "T\x00<id>".
            sort_range = _range(low, high, after_sort_value)
        else:
            if low:
                filters.add(f"#{field} > :{field}_after", {f"#{field}": field}, {f":{field}_after": low})
            if high:
                filters.add(f"#{field} < :{field}_before", {f"#{field}": field}, {f":{field}_before": high})

    index_query = store.IndexQuery(
        index=f"{prefix}-{index_suffix}",
        partition_attribute=partition_attribute,
        sort_attribute=sort_attribute,
        partitions=partitions,
        descending=descending,
        sort_range=sort_range,
        filter=filters.condition(),
    )
    if after_sort_value is not None and sort_field not in bounds:
        raise ValueError("a high-water mark needs a created_at or updated_at sort")
    binding = {
        "tenant": tenant,
        "scope": principal.organization_id or "*",
        "sort": sort,
        "filters": query.model_dump(mode="json", include=set(CustomerFilter.model_fields), exclude_none=True),
    }
    return index_query, binding


def _range(low: str | None, high: str | None, after_sort_value: str | None = None) -> store.Condition | None:
    above = low + "\x01" if low else None
    if after_sort_value is not None:
        # Sort values are unique ("<timestamp>\x00<id>"): the next one up starts with this one.
        above = max(above or "", after_sort_value + "\x00")
    if above and high:
        return store.Condition("#sort BETWEEN :low AND :high", values={":low": above, ":high": high})
    if above:
        return store.Condition("#sort > :low", values={":low": above})
    if high:
        return store.Condition("#sort < :high", values={":high": high})
    return None


def search_scope(principal: Principal, query: CustomerFilter) -> search.Scope:
    organization, shelves = _scope(principal, query)
    return search.Scope(principal.tenant_id, organization, shelves)


def accepts(query: CustomerFilter) -> search.Accept:
    """The filters other than `q` and the scope, as a check of one customer item (for search candidates)."""
    exact = {name: getattr(query, name) for name in ("status", "type", "branch") if getattr(query, name) is not None}
    postal = postal_key(query.postal_code) if query.postal_code is not None else None
    created_after = _timestamp_after(query.created_after) if query.created_after else None
    created_before = _timestamp_before(query.created_before) if query.created_before else None
    updated_after = _timestamp_after(query.updated_after) if query.updated_after else None

    def accept(customer: Mapping[str, Any]) -> bool:
        if any(customer.get(name) != value for name, value in exact.items()):
            return False
        if postal is not None and postal not in (customer.get("postal_keys") or ()):
            return False
        created, updated = str(customer.get("created_at") or ""), str(customer.get("updated_at") or "")
        if created_after is not None and not created > created_after:
            return False
        if created_before is not None and not created < created_before:
            return False
        return updated_after is None or updated > updated_after

    return accept


def _search_binding(principal: Principal, query: CustomerFilter) -> dict[str, Any]:
    return {
        "tenant": principal.tenant_id,
        "scope": principal.organization_id or "*",
        "sort": "relevance",
        "filters": query.model_dump(mode="json", include=set(CustomerFilter.model_fields), exclude_none=True),
    }


def _search_customers(
    principal: Principal, query: CustomerListQuery, columns: tuple[str, ...], deadline: clock.Deadline
) -> dict[str, Any]:
    assert query.q is not None
    scope, accept, q = search_scope(principal, query), accepts(query), search_terms.parse(query.q)
    binding, key = _search_binding(principal, query), cursor_signing_key()
    position = None
    if query.cursor is not None:
        position = cursors.redeem(query.cursor, binding, key)
        if not isinstance(position, dict):
            raise MalformedRequest("the cursor is not one this API issued")
    page = search.page(scope, q, position, query.limit, accept, stop_at=deadline.at)
    currency = get_settings().default_currency
    data = [{name: view[name] for name in columns} for view in (customer_view(i, [], currency) for i in page.items)]
    result: dict[str, Any] = {
        "data": data,
        "has_more": page.has_more,
        "next_cursor": cursors.issue(page.position, binding, key) if page.has_more else None,
        "sort": "relevance",
    }
    if query.include_total:
        counted = search.count(scope, q, accept, stop_at=deadline.at)
        result["total"], result["total_exact"] = counted.total, counted.exact
    return result


def list_customers(
    principal: Principal, query: CustomerListQuery, deadline: clock.Deadline | None = None
) -> dict[str, Any]:
    """A page of customers; with include_total, `total` counted within what time is left before `deadline`.

    A page whose reading would run past the deadline stops early (has_more, resumable); a count that
    runs out of calls or time answers the matches counted so far with `total_exact: false`.
    """
    deadline = deadline or clock.Deadline.none()
    columns = _columns(query)
    if query.q is not None:
        return _search_customers(principal, query, columns, deadline)
    index_query, binding = plan(principal, query, query.sort)
    key = cursor_signing_key()
    positions = [None] * len(index_query.partitions)
    if query.cursor is not None:
        positions = cursors.redeem(query.cursor, binding, key)
        if not isinstance(positions, list) or len(positions) != len(index_query.partitions):
            raise MalformedRequest("the cursor is not one this API issued")
    page = store.read_page(index_query, positions, query.limit, stop_at=deadline.at)
    currency = get_settings().default_currency
    data = [{name: view[name] for name in columns} for view in (customer_view(i, [], currency) for i in page.items)]
    result: dict[str, Any] = {
        "data": data,
        "has_more": page.has_more,
        "next_cursor": cursors.issue(page.positions, binding, key) if page.has_more else None,
    }
    if query.include_total:
        counted_total = _counted_total(principal, query)
        if counted_total is not None:
            result["total"], result["total_exact"] = counted_total, True
        else:
            counted = store.count(index_query, stop_at=deadline.at)
            result["total"], result["total_exact"] = counted.total, counted.exact
    return result


_UNCOUNTED_FILTERS = ("branch", "postal_code", "created_after", "created_before", "updated_after")


def _counted_total(principal: Principal, query: CustomerFilter) -> int | None:
    """The total from the tenant's counts (one BatchGetItem) when every filter is a counted one.

    None (count matches instead) when a filter isn't counted, or the tenant's counts aren't complete yet.
    """
    if any(getattr(query, name) is not None for name in _UNCOUNTED_FILTERS):
        return None
    organization, shelves = _scope(principal, query)
    return tally.total(principal.tenant_id, organization, shelves, query.status, query.type)
