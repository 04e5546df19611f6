"""Page-numbered customer search, ordered by name (the search of vendor 002, COMPAT.md).

Without `Name`, served by the name list index like GET /v1/customers?sort=name (a Query, never
a Scan), with the criteria as filter expressions. Pages are numbered rather
than cursored, so page N reads past the N-1 pages before it: the window is
capped at MAX_WINDOW matches (as search engines cap theirs), and `total`
costs one more pass over the index (a call per 1 MB read).

With `Name`, served by the search index as `q` is (API.md §14): each word of `Name` must start a
different word of the customer's names, in search order (the matched word, then name), and the
other criteria are checked on each candidate. The count and the page come from one walk over the
matches (within the search's count budget).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from clientele.domain.customers.lists import CustomerFilter, plan
from clientele.domain.customers.normalize import code_key
from clientele.domain.customers.service import CustomerView, view_of
from clientele.domain.kernel.errors import FieldError, ValidationFailed
from clientele.domain.kernel.principal import Principal
from clientele.domain.kernel.validation import validate
from clientele.domain.search import query as search_index
from clientele.domain.search import terms as search_terms
from clientele.store.customers import items as customer_store
from clientele.store.customers.items import code_sort_prefix
from clientele.store.kernel import listing

PAGE_SIZE_MAX = 100
MAX_WINDOW = 10_000  # matches a numbered page may reach (page * page_size)
_READ_CHUNK = 500  # matches per read while walking to a page


class CustomerSearch(BaseModel):
    """The criteria (all optional: none finds every customer) and the page."""

    model_config = ConfigDict(extra="ignore", strict=True)

    name: Annotated[StrictStr, Field(max_length=200)] | None = None  # word prefixes, from the search index
    code: Annotated[StrictStr, Field(max_length=32)] | None = None  # exact, as uniqueness compares codes
    external_id: Annotated[StrictStr, Field(max_length=100)] | None = None  # exact
    status: Literal["active", "inactive"] | None = None
    page: Annotated[StrictInt, Field(ge=1)] = 1
    page_size: Annotated[StrictInt, Field(ge=1, le=PAGE_SIZE_MAX)] = 25


@dataclass(frozen=True)
class SearchPage:
    page: int
    page_size: int
    total: int
    items: list[CustomerView]


def _criteria_filter(criteria: CustomerSearch) -> listing.Condition | None:
    clauses: list[str] = []
    names: dict[str, str] = {}
    values: dict[str, object] = {}
    if criteria.code is not None:
        clauses.append("begins_with(#s_code, :s_code)")
        names["#s_code"], values[":s_code"] = "sort_code", code_sort_prefix(code_key(criteria.code))
    if criteria.external_id is not None:
        clauses.append("#s_external = :s_external")
        names["#s_external"], values[":s_external"] = "external_id", criteria.external_id
    if not clauses:
        return None
    return listing.Condition(" AND ".join(clauses), names, values)


def _index_query(principal: Principal, criteria: CustomerSearch) -> listing.IndexQuery:
    index_query, _ = plan(principal, CustomerFilter(status=criteria.status), "name")
    extra = _criteria_filter(criteria)
    if extra is None:
        return index_query
    current = index_query.filter
    if current is None:
        return replace(index_query, filter=extra)
    # Both are conjunctions of parenthesized or simple clauses (DynamoDB refuses redundant parentheses).
    combined = listing.Condition(
        f"{current.expression} AND {extra.expression}",
        {**current.names, **extra.names},
        {**current.values, **extra.values},
    )
    return replace(index_query, filter=combined)


def _take(
    index_query: listing.IndexQuery, positions: list[object], wanted: int
) -> tuple[list[dict[str, Any]], list[object]]:
    """The next `wanted` matches (fewer at the end) and the positions after them.

    A read stopped by its Query budget returns short with more to come: read on.
    """
    taken: list[dict[str, Any]] = []
    while len(taken) < wanted:
        page = listing.read_page(index_query, positions, min(wanted - len(taken), _READ_CHUNK))
        taken += page.items
        positions = page.positions
        if not page.has_more:
            break
    return taken, positions


def _with_billing_addresses(tenant: str, customers: list[dict[str, Any]]) -> list[CustomerView]:
    """Views with each customer's default billing address (one BatchGetItem for the page)."""
    wanted = [(c["id"], c["default_billing_address_id"]) for c in customers if c.get("default_billing_address_id")]
    found = customer_store.addresses_of(tenant, wanted) if wanted else {}
    views = []
    for customer in customers:
        billing = found.get(customer.get("default_billing_address_id") or "")
        views.append(view_of(customer, [billing] if billing else []))
    return views


def _accepts(criteria: CustomerSearch) -> search_index.Accept:
    code = code_key(criteria.code) if criteria.code is not None else None

    def accept(customer: Mapping[str, Any]) -> bool:
        if criteria.status is not None and customer.get("status") != criteria.status:
            return False
        if code is not None and code_key(str(customer.get("code") or "")) != code:
            return False
        return criteria.external_id is None or customer.get("external_id") == criteria.external_id

    return accept


def _search_by_name(principal: Principal, criteria: CustomerSearch, words: tuple[str, ...]) -> SearchPage:
    organization = principal.organization_id if principal.organization_scoped else None
    scope = search_index.Scope(principal.tenant_id, organization, (False,))
    offset = (criteria.page - 1) * criteria.page_size
    counted = search_index.count(
        scope, search_terms.Query(words, ()), _accepts(criteria), keep=offset + criteria.page_size
    )
    items = counted.first[offset:]
    return SearchPage(
        criteria.page, criteria.page_size, counted.total, _with_billing_addresses(principal.tenant_id, items)
    )


def search(principal: Principal, body: dict[str, Any]) -> SearchPage:
    """One numbered page of the customers matching the criteria in `body`, by name, with the total count.

    The views carry the default billing address only (the list index holds customer items).
    """
    criteria = validate(CustomerSearch, body)
    offset = (criteria.page - 1) * criteria.page_size
    if offset + criteria.page_size > MAX_WINDOW:
        message = f"page * page size may reach at most {MAX_WINDOW} results; narrow the search instead"
        raise ValidationFailed([FieldError("window_too_large", message, pointer="/page")])
    if criteria.name is not None and (words := tuple(search_terms.words(criteria.name))):
        return _search_by_name(principal, criteria, words)
    index_query = _index_query(principal, criteria)
    total = listing.count(index_query).total
    items: list[dict[str, Any]] = []
    if offset < total:
        _, positions = _take(index_query, [None] * len(index_query.partitions), offset)
        items, _ = _take(index_query, positions, criteria.page_size)
    views = _with_billing_addresses(principal.tenant_id, items)
    return SearchPage(criteria.page, criteria.page_size, total, views)
