"""POST /v1/customers/match (API.md §3 row 13): who already lives at this postal code?

Candidates are the customers with an address at the postal code, found
through the postal-code index (never a scan). `line1` and `name` are compared
after normalization with rapidfuzz's ratio (0..1); a candidate matches when a
given criterion reaches 0.90, its score is the mean of the given criteria, and
each customer appears once, with its best address. Without line1 and name,
every candidate matches with score 1.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict

from clientele.domain.customers.addresses import address_words
from clientele.domain.customers.normalize import name_key, postal_key
from clientele.domain.kernel.fields import PostalCode, Text
from clientele.domain.kernel.principal import Principal
from clientele.domain.kernel.validation import validate
from clientele.store.customers import items as store

MATCH_THRESHOLD = 0.90


class MatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    postal_code: PostalCode
    line1: Annotated[str, Text(200)] | None = None
    name: Annotated[str, Text(200)] | None = None


def _similarity(left: str, right: str) -> float:
    from rapidfuzz import fuzz

    return round(fuzz.ratio(left, right) / 100, 4)


def _candidate_score(
    request: MatchRequest, customer: dict[str, Any], address: dict[str, Any]
) -> tuple[float, list[str]] | None:
    similarities: dict[str, float] = {}
    if request.line1 is not None:
        similarities["line1"] = _similarity(address_words(request.line1), address_words(address.get("line1")))
    if request.name is not None:
        similarities["name"] = _similarity(name_key(request.name), name_key(customer["name"]))
    if not similarities:
        return 1.0, ["postal_code"]
    reached = [criterion for criterion, value in similarities.items() if value >= MATCH_THRESHOLD]
    if not reached:
        return None
    return round(sum(similarities.values()) / len(similarities), 4), ["postal_code", *reached]


def match(principal: Principal, body: dict[str, Any]) -> list[dict[str, Any]]:
    request = validate(MatchRequest, body)
    addresses = store.addresses_at(principal.tenant_id, postal_key(request.postal_code))
    customers = store.load_many(principal.tenant_id, sorted({a["customer_id"] for a in addresses}))
    best: dict[str, dict[str, Any]] = {}
    for address in addresses:
        customer = customers.get(address["customer_id"])
        if customer is None or not principal.can_see(customer.get("organization_id")):
            continue
        scored = _candidate_score(request, customer, address)
        if scored is None:
            continue
        score, matched_on = scored
        current = best.get(customer["id"])
        if current is None or score > current["score"]:
            best[customer["id"]] = {
                "customer": {key: customer.get(key) for key in ("id", "code", "name", "status")},
                "address_id": address["id"],
                "score": score,
                "matched_on": matched_on,
            }
    return sorted(best.values(), key=lambda entry: (-entry["score"], entry["customer"]["id"]))
