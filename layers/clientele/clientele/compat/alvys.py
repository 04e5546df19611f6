"""Vendor 002 (Alvys public API, COMPAT.md): PascalCase bodies in, PascalCase answers out.

Translation only: requests become the canonical services' inputs, their
results and errors become 002's shapes. Rules 002 has and the canonical API
lacks live here: unknown body fields are ignored (the canonical API refuses
them), `Type`/`Status` use 002's words, the billing address country is the
deployment's default, validation errors are 400 keyed by 002's field names,
a conflict names 002's field and `customerId`.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response

from clientele.config import get_settings
from clientele.domain.customers.numbered_search import SearchPage
from clientele.domain.customers.service import CustomerView
from clientele.domain.kernel.errors import (
    ClienteleError,
    Conflict,
    EndpointDisabled,
    MalformedRequest,
    ValidationFailed,
)
from clientele.http.problems import PROBLEM_JSON, problem_body
from clientele.http.types import HttpResponse

TYPES = {"Customer": "customer", "Broker/3PL": "broker_3pl"}
STATUSES = {"Active": "active", "Inactive": "inactive"}
# 002 field → canonical field (BillingAddress is handled on its own).
FIELDS = {
    "Name": "name",
    "Type": "type",
    "CompanyNumber": "code",
    "Status": "status",
    "Email": "emails",
    "Phone": "phones",
    "Fax": "fax",
    "ExternalId": "external_id",
}
JSON = "application/json"
_SEARCH_FIELDS = {vendor: FIELDS[vendor] for vendor in ("Name", "CompanyNumber", "ExternalId", "Status")}
_PAGING_FIELDS = {"Page": "page", "PageSize": "page_size"}
ADDRESS_FIELDS = {"Street": "line1", "City": "city", "State": "state", "Zip": "postal_code"}
_CANONICAL_NAMES = {canonical: vendor for vendor, canonical in {**FIELDS, **_PAGING_FIELDS}.items()}
_ADDRESS_NAMES = {canonical: vendor for vendor, canonical in ADDRESS_FIELDS.items()}
_TYPE_WORDS = {canonical: vendor for vendor, canonical in TYPES.items()}
_STATUS_WORDS = {canonical: vendor for vendor, canonical in STATUSES.items()}
_CONFLICT_FIELDS = {"code": "CompanyNumber", "external_id": "ExternalId", "name_postal_code": "Name"}


def _translated(value: Any, words: dict[str, str]) -> Any:
    # An unknown word goes through as it is, so the canonical model refuses it (and names the field).
    return words.get(value, value) if isinstance(value, str) else value


def _address(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    return {ADDRESS_FIELDS[name]: item for name, item in value.items() if name in ADDRESS_FIELDS}


def to_canonical(body: dict[str, Any]) -> dict[str, Any]:
    """A 002 body as the canonical create body or merge patch; other fields are dropped, as 002 does."""
    out: dict[str, Any] = {}
    for vendor, canonical in FIELDS.items():
        if vendor not in body:
            continue
        value = body[vendor]
        if vendor == "Type":
            value = _translated(value, TYPES)
        elif vendor == "Status":
            value = _translated(value, STATUSES)
        out[canonical] = value
    if "BillingAddress" in body:
        out["billing_address"] = _address(body["BillingAddress"])
    return out


REQUIRED_ON_CREATE = ("type",)  # the canonical API defaults it
# DELETE is a soft delete: the customer stays (and keeps its CompanyNumber), inactive.
SOFT_DELETE = {"status": "inactive"}


def new_address_defaults() -> dict[str, Any]:
    """A billing address 002 creates is in the deployment's default country (002 has no country field)."""
    return {"country": get_settings().default_country}


def creation_body(body: dict[str, Any]) -> dict[str, Any]:
    """The canonical create body (002 requires Type too: REQUIRED_ON_CREATE); the billing address is in
    the deployment's default country."""
    canonical = to_canonical(body)
    if isinstance(canonical.get("billing_address"), dict):
        canonical["billing_address"] = {**new_address_defaults(), **canonical["billing_address"]}
    elif canonical.get("billing_address") is None:
        canonical.pop("billing_address", None)
    return canonical


def patch_body(body: dict[str, Any]) -> dict[str, Any]:
    """The canonical merge patch (with `billing_address` merged into the default billing address)."""
    canonical = to_canonical(body)
    if "billing_address" in canonical and canonical["billing_address"] is None:
        # 002 can't delete an address: null just stops it being the billing address.
        del canonical["billing_address"]
        canonical["default_billing_address_id"] = None
    return canonical


def search_criteria(body: dict[str, Any]) -> dict[str, Any]:
    """The search body's criteria and page in the canonical search's words; other fields are ignored."""
    criteria = {
        canonical: body[vendor] for vendor, canonical in {**_SEARCH_FIELDS, **_PAGING_FIELDS}.items() if vendor in body
    }
    if "status" in criteria:
        criteria["status"] = _translated(criteria["status"], STATUSES)
    return {name: value for name, value in criteria.items() if value is not None}


def search_response(page: SearchPage) -> dict[str, Any]:
    return {
        "Page": page.page,
        "PageSize": page.page_size,
        "Total": page.total,
        "Items": [customer_response(view.body, with_etag=False) for view in page.items],
    }


def customer_response(view: dict[str, Any], *, with_etag: bool) -> dict[str, Any]:
    """CustomerResponse (GET, search) or, with the ETag, CustomerWriteResponse (POST, PATCH)."""
    billing = view.get("default_billing_address")
    answer: dict[str, Any] = {"Id": view["id"]}
    if with_etag:
        answer["ETag"] = view["etag"]
    answer.update(
        {
            "Name": view["name"],
            "CompanyNumber": view.get("code"),
            "Type": _TYPE_WORDS[view["type"]],
            "Status": _STATUS_WORDS[view["status"]],
            "BillingAddress": {vendor: billing.get(canonical) for vendor, canonical in ADDRESS_FIELDS.items()}
            if billing
            else None,
            "Email": list(view.get("emails") or []),
            "Phone": list(view.get("phones") or []),
            "Fax": view.get("fax"),
            "DateCreated": view["created_at"],
            "DateModified": view["updated_at"],
            "InvoicingInformation": None,
            "ExternalId": view.get("external_id"),
        }
    )
    return answer


def written(view: CustomerView, status: int = 200) -> HttpResponse:
    """POST (201) and PATCH (200): CustomerWriteResponse, the ETag in the header and the body."""
    headers = {"ETag": view.etag}
    if status == 201:
        headers["Location"] = f"/api/p/v1.0/customers/{view.id}"
    body = customer_response(view.body, with_etag=True)
    return Response(status_code=status, content_type=JSON, body=body, headers=headers)


def read(view: CustomerView) -> HttpResponse:
    """GET: CustomerResponse, the ETag in the header only."""
    body = customer_response(view.body, with_etag=False)
    return Response(status_code=200, content_type=JSON, body=body, headers={"ETag": view.etag})


def found(page: SearchPage) -> HttpResponse:
    return Response(status_code=200, content_type=JSON, body=search_response(page))


def field_name(pointer: str) -> str:
    """A canonical JSON Pointer as 002's field name ("/billing_address/postal_code" → "BillingAddress.Zip")."""
    parts = [part for part in pointer.split("/") if part]
    if not parts:
        return ""
    if parts[0] in {"billing_address", "default_billing_address_id"}:
        inner = _ADDRESS_NAMES.get(parts[1], parts[1]) if len(parts) > 1 else None
        return f"BillingAddress.{inner}" if inner else "BillingAddress"
    name = _CANONICAL_NAMES.get(parts[0], parts[0])
    return f"{name}[{parts[1]}]" if len(parts) > 1 and parts[1].isdigit() else name


def problem(error: ClienteleError, instance: str, request_id: str) -> HttpResponse:
    """002's error answers: problem details, with its own validation, conflict and disabled shapes."""
    body = problem_body(error, instance, request_id)
    status = error.status
    if isinstance(error, ValidationFailed):
        status = 400
        grouped: dict[str, list[str]] = {}
        for field_error in error.errors:
            name = field_name(field_error.pointer or "") or field_error.parameter or "body"
            grouped.setdefault(name, []).append(field_error.message)
        body = {**body, "type": "/problems/ValidationError", "title": "Bad Request", "status": 400}
        body["errors"] = grouped
    elif isinstance(error, Conflict):
        body.pop("conflict", None)
        body.update(field=_CONFLICT_FIELDS.get(error.field, error.field), customerId=error.existing_id)
    elif isinstance(error, EndpointDisabled):
        body["type"] = "/problems/EndpointDisabled"
    elif isinstance(error, MalformedRequest):
        body["type"] = "/problems/ValidationError"
    return Response(
        status_code=status,
        content_type=PROBLEM_JSON,
        body=json.dumps(body, separators=(",", ":")),
        headers=dict(error.headers),
    )
