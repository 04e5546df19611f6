"""Vendor 000 (Shiipp `/api/ManageCustomers.php`, COMPAT.md): its bodies in, its envelopes out.

Translation only: requests become the canonical services' inputs, their
results and errors become 000's shapes. Rules 000 has and the canonical API
lacks live here: `user_code`, `first_name` and `last_name` are required on
create (and can't be cleared), admins and managers must name the `courier_id`,
`is_active` is the integer 1 or 0, the customer's name is "first last", a
delete names its customer in the query (`?id=`) or the body, and every answer
is the `{"status", "message"}` envelope, failures with a sentence naming 000's
field and the status 000 uses (a validation error is 400, not 422).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel, ConfigDict, Field, create_model

from clientele.domain.customers.lists import CustomerListQuery
from clientele.domain.customers.service import CustomerView
from clientele.domain.kernel.errors import (
    ClienteleError,
    Conflict,
    FieldError,
    LinkedRecords,
    NotFound,
    Unauthorized,
    ValidationFailed,
)
from clientele.domain.kernel.principal import Principal
from clientele.domain.kernel.validation import pointer
from clientele.http.openapi import documented
from clientele.http.problems import problem_response
from clientele.http.schemas import GatewayMessage
from clientele.http.types import HttpResponse

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

PATH = "/api/ManageCustomers.php"
TAG = "Vendor 000 (Shiipp)"
JSON = "application/json"

ID = "courier_customer_id"
# 000 field → canonical field.
FIELDS = {
    "user_code": "code",
    "first_name": "first_name",
    "last_name": "last_name",
    "branch": "branch",
    "is_active": "status",
    "courier_id": "organization_id",
}
REQUIRED = ("user_code", "first_name", "last_name")
CREATE_KEYS = frozenset(FIELDS)
UPDATE_KEYS = frozenset({ID, *FIELDS} - {"courier_id"})  # a PUT can't move a customer to another courier
DELETE_KEYS = frozenset({ID})
IS_ACTIVE = {1: "active", 0: "inactive"}
_ACTIVE = {status: flag for flag, status in IS_ACTIVE.items()}
# Canonical field → how a 000 message names it (`name` is derived from first_name and last_name).
_VENDOR_NAMES = {
    **{canonical: vendor for vendor, canonical in FIELDS.items()},
    "id": ID,
    "name": "first_name + last_name",
}
_LIST_COLUMNS = ("id", "code", "first_name", "last_name", "branch", "status", "organization_id")

MESSAGES = {
    "created": "Customer profile created",
    "updated": "Profile updated successfully.",
    "removed": "Customer removed from system.",
    "not_found": "Customer not found.",
}

# ---------------------------------------------------------------- requests


def _field_error(name: str, code: str, message: str) -> FieldError:
    """An error on 000's field `name`, pointing at the canonical field it stands for."""
    return FieldError(code, message, pointer=pointer([FIELDS.get(name, "id" if name == ID else name)]))


def _unknown_keys(body: dict[str, Any], allowed: frozenset[str]) -> list[FieldError]:
    # The canonical rule (unknown fields are refused); the pointer names 000's key as sent.
    return [
        FieldError("unknown_field", "is not a field of this request", pointer=pointer([key]))
        for key in body
        if key not in allowed
    ]


def _is_active(value: Any, errors: list[FieldError]) -> str | None:
    # bool is an int in Python: true/false are not 000's integers.
    if type(value) is int and value in IS_ACTIVE:
        return IS_ACTIVE[value]
    errors.append(_field_error("is_active", "invalid_choice", "must be 1 (active) or 0 (inactive)"))
    return None


def _translated(body: dict[str, Any], errors: list[FieldError]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for vendor, canonical in FIELDS.items():
        if vendor not in body:
            continue
        value = body[vendor]
        out[canonical] = _is_active(value, errors) if vendor == "is_active" else value
    return out


def creation_body(principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    """The canonical create body (its service derives `name` from first_name and last_name)."""
    errors = _unknown_keys(body, CREATE_KEYS)
    required = [*REQUIRED, *(() if principal.organization_scoped else ("courier_id",))]
    errors += [_field_error(name, "required", "is required") for name in required if body.get(name) is None]
    canonical = _translated(body, errors)
    if errors:
        raise ValidationFailed(errors)
    if principal.organization_scoped:
        canonical.pop("organization_id", None)  # a courier's customers are its own (the service sets it)
    return canonical


def _id_errors(value: Any) -> list[FieldError]:
    if value is None:
        return [_field_error(ID, "required", "is required")]
    if not isinstance(value, str) or not value.strip():
        return [_field_error(ID, "invalid_type", "must be a customer id (a non-empty string)")]
    return []


def update_request(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(the customer id, the canonical merge patch of the fields sent) of a PUT body."""
    errors = _id_errors(body.get(ID)) + _unknown_keys(body, UPDATE_KEYS)
    errors += [
        _field_error(name, "required", "can't be cleared") for name in REQUIRED if name in body and body[name] is None
    ]
    patch = _translated({key: value for key, value in body.items() if key != ID}, errors)
    if errors:
        raise ValidationFailed(errors)
    customer_id: str = body[ID]  # _id_errors() found it a string
    return customer_id, patch


def delete_target(query_id: str | None, body: dict[str, Any] | None) -> str:
    """The customer a DELETE names: `?id=` (the body is then not read), else the body's courier_customer_id."""
    if query_id is not None:
        if not query_id.strip():
            raise ValidationFailed([FieldError("blank", "must not be empty", parameter="id")])
        return query_id
    body = body or {}
    errors = _id_errors(body.get(ID)) + _unknown_keys(body, DELETE_KEYS)
    if errors:
        raise ValidationFailed(errors)
    customer_id: str = body[ID]  # _id_errors() found it a string
    return customer_id


def _canonical_list_field(name: str) -> tuple[Any, Any]:
    info = CustomerListQuery.model_fields[name]
    return info.annotation, info


# GET's query parameters: the canonical constraints of the fields they stand for (so they can't drift).
ListQuery = create_model(
    "ShiippListQuery",
    __doc__="GET /api/ManageCustomers.php query parameters; others are ignored.",
    __config__=ConfigDict(extra="ignore"),
    courier_id=_canonical_list_field("organization_id"),
    limit=_canonical_list_field("limit"),
    cursor=_canonical_list_field("cursor"),
)


def list_query(principal: Principal, query: Any) -> CustomerListQuery:
    """The canonical list query; a courier's `courier_id` filter is ignored (it only sees its own)."""
    organization = None if principal.organization_scoped else query.courier_id
    return CustomerListQuery(
        organization_id=organization, limit=query.limit, cursor=query.cursor, fields=",".join(_LIST_COLUMNS)
    )


# ---------------------------------------------------------------- answers


def _answer(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> HttpResponse:
    return Response(
        status_code=status, content_type=JSON, body=json.dumps(body, separators=(",", ":")), headers=headers or {}
    )


def created(view: CustomerView) -> HttpResponse:
    body = {"status": "success", "message": MESSAGES["created"], "data": {"id": view.id}}
    return _answer(201, body, {"ETag": view.etag})


def updated(view: CustomerView) -> HttpResponse:
    return _answer(200, {"status": "success", "message": MESSAGES["updated"]}, {"ETag": view.etag})


def removed() -> HttpResponse:
    return _answer(200, {"status": "success", "message": MESSAGES["removed"]})


def list_item(item: dict[str, Any]) -> dict[str, Any]:
    return {
        ID: item["id"],
        "user_code": item.get("code"),
        "first_name": item.get("first_name"),
        "last_name": item.get("last_name"),
        "branch": item.get("branch"),
        "is_active": _ACTIVE[item["status"]],
        "courier_id": item.get("organization_id"),
    }


def page(result: dict[str, Any]) -> HttpResponse:
    data = [list_item(item) for item in result["data"]]
    return _answer(200, {"status": "success", "data": data, "next_cursor": result["next_cursor"]})


# ---------------------------------------------------------------- errors


def _sentence(text: str, *, capitalized: bool = True) -> str:
    text = text.strip().rstrip(".")
    return (text[:1].upper() + text[1:] if capitalized else text) + "."


def field_name(error: FieldError) -> str:
    """How 000 names the field of a canonical error ("/code" → "user_code"; query parameters as sent)."""
    if error.parameter is not None:
        return error.parameter  # the route declares 000's own parameter names
    parts = [part for part in (error.pointer or "").split("/") if part]
    if not parts:
        return "body"
    if error.code == "unknown_field":
        return parts[0]  # 000's own key, as sent
    return _VENDOR_NAMES.get(parts[0], parts[0])


def _field_message(error: FieldError) -> str:
    message = "must not be empty" if error.code == "blank" else error.message
    return _sentence(f"{field_name(error)} {message}", capitalized=False)  # field names keep their case


def message(error: ClienteleError, request_id: str) -> str:
    """The sentence of 000's error envelope."""
    if isinstance(error, ValidationFailed):
        return " ".join(_field_message(field_error) for field_error in error.errors)
    if isinstance(error, NotFound):
        return MESSAGES["not_found"]
    if isinstance(error, Conflict):
        what = {"code": "this user_code", "name_postal_code": "this name and billing postal code"}.get(
            error.field, f"this {_VENDOR_NAMES.get(error.field, error.field)}"
        )
        return f"A customer with {what} already exists in this courier account ({ID} {error.existing_id})."
    if isinstance(error, LinkedRecords):
        orders, credits = error.links.get("sales_orders", 0), error.links.get("sales_credits", 0)
        return (
            f"Customer has linked sales records ({orders} sales orders, {credits} sales credits) and can't be removed."
        )
    if error.status == 500:
        return f"An unexpected error occurred; quote request id {request_id} when reporting it."
    return _sentence(error.detail)


def problem(error: ClienteleError, instance: str, request_id: str) -> HttpResponse:
    """000's error answers: `{"status": "error", "message": ...}`; validation errors are 400."""
    if isinstance(error, Unauthorized):
        return problem_response(error, instance, request_id)  # what the gateway answers (sam local only)
    status = 400 if error.status == 422 else error.status
    return _answer(status, {"status": "error", "message": message(error, request_id)}, dict(error.headers))


# ---------------------------------------------------------------- documentation


class ShiippCreateRequest(BaseModel):
    """POST body. `courier_id` is required for admin and manager roles, set to the caller's for couriers."""

    model_config = ConfigDict(extra="forbid")

    user_code: str = Field(description="Unique within the courier account (case-insensitive); no placeholders")
    first_name: str
    last_name: str
    branch: str | None = None
    is_active: int = Field(1, description="1 active (default), 0 inactive")
    courier_id: str | None = Field(None, description="Required for admin and manager; ignored for couriers")


class ShiippUpdateRequest(BaseModel):
    """PUT body: only the fields sent change. If-Match is honoured when sent (412 when stale)."""

    model_config = ConfigDict(extra="forbid")

    courier_customer_id: str
    user_code: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    branch: str | None = Field(None, description="null clears it")
    is_active: int | None = Field(None, description="1 active, 0 inactive")


class ShiippDeleteRequest(BaseModel):
    """DELETE body, when the customer is not named by `?id=`."""

    model_config = ConfigDict(extra="forbid")

    courier_customer_id: str


class ShiippCreatedData(BaseModel):
    id: str


class ShiippCreated(BaseModel):
    status: str = "success"
    message: str = MESSAGES["created"]
    data: ShiippCreatedData


class ShiippMessage(BaseModel):
    status: str = "success"
    message: str


class ShiippCustomer(BaseModel):
    courier_customer_id: str
    user_code: str | None
    first_name: str | None
    last_name: str | None
    branch: str | None
    is_active: int = Field(description="1 active, 0 inactive")
    courier_id: str | None


class ShiippPage(BaseModel):
    status: str = "success"
    data: list[ShiippCustomer]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")


class ShiippError(BaseModel):
    status: str = "error"
    message: str


_ERRORS = {
    400: "Missing or invalid field (the message names it), bad JSON or a bad cursor",
    403: 'The token lacks the route\'s scope (API Gateway: {"message": "Forbidden"}), a tenant_id, '
    "or a courier's organization_id (the error envelope)",
    404: "Customer not found (unknown, or outside the courier's organization)",
    409: "The user_code exists in that courier account, or the customer has linked sales records",
    412: "If-Match (optional) does not name the customer's current ETag",
    413: "Body over 1 MiB",
    415: "Send the body as application/json",
    503: "Writes are switched off (Retry-After: 3600), or the data store is busy",
}


def responses(
    status: int, model: type | None, *errors: int, description: str = "Success"
) -> dict[int, OpenAPIResponse]:
    """A 000 route's documented answers: its envelopes, and the gateway's own answers."""
    documented_answers = documented(status, model, description=description)
    for code in (403, *errors):
        # The gateway's own 403 is {"message": "Forbidden"}: both shapes have a message.
        model = GatewayMessage if code == 403 else ShiippError
        documented_answers[code] = {"description": _ERRORS[code], "content": {JSON: {"model": model}}}
    documented_answers[500] = {"description": "Unexpected error", "content": {JSON: {"model": ShiippError}}}
    return documented_answers
