"""Typed errors. Each carries what its RFC 9457 problem needs; clientele.http maps them once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


class ClienteleError(Exception):
    """Base of every error a client may see. `status`, `slug` and `title` define the problem type."""

    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal Server Error"
    headers: ClassVar[dict[str, str]] = {}

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title

    def extensions(self) -> dict[str, Any]:
        """Extra members of the problem body."""
        return {}


class MalformedRequest(ClienteleError):
    status, slug, title = 400, "malformed-request", "Malformed Request"


class Forbidden(ClienteleError):
    status, slug, title = 403, "forbidden", "Forbidden"


class NotFound(ClienteleError):
    status, slug, title = 404, "not-found", "Not Found"


class Conflict(ClienteleError):
    status, slug, title = 409, "conflict", "Conflict"

    def __init__(self, field: str, existing_id: str | None, detail: str) -> None:
        super().__init__(detail)
        self.field = field
        self.existing_id = existing_id

    def extensions(self) -> dict[str, Any]:
        return {"conflict": {"field": self.field, "existing_id": self.existing_id}}


class LinkedRecords(ClienteleError):
    status, slug, title = 409, "linked-records", "Linked Records"

    def __init__(self, links: dict[str, int]) -> None:
        super().__init__("the customer has sales orders or credits and can't be deleted")
        self.links = links

    def extensions(self) -> dict[str, Any]:
        return {"links": self.links}


class AddressInUse(ClienteleError):
    status, slug, title = 409, "address-in-use", "Address In Use"


class OrderHasAllocations(ClienteleError):
    status, slug, title = 409, "order-has-allocations", "Order Has Allocations"


class OrderHasFulfillments(ClienteleError):
    status, slug, title = 409, "order-has-fulfillments", "Order Has Fulfillments"


class OrderCancelled(ClienteleError):
    status, slug, title = 409, "order-cancelled", "Order Cancelled"


class FulfillmentCancelled(ClienteleError):
    status, slug, title = 409, "fulfillment-cancelled", "Fulfillment Cancelled"


class IdempotencyInProgress(ClienteleError):
    status, slug, title = 409, "idempotency-in-progress", "Idempotency Key In Progress"


class PreconditionFailed(ClienteleError):
    status, slug, title = 412, "precondition-failed", "Precondition Failed"


class PayloadTooLarge(ClienteleError):
    status, slug, title = 413, "payload-too-large", "Payload Too Large"


class UnsupportedMediaType(ClienteleError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported Media Type"


@dataclass(frozen=True)
class FieldError:
    """One broken rule: a JSON Pointer into the body, or a query parameter name."""

    code: str
    message: str
    pointer: str | None = None
    parameter: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        if self.parameter is None:
            return {"pointer": self.pointer, "code": self.code, "message": self.message}
        return {"parameter": self.parameter, "code": self.code, "message": self.message}


MAX_LISTED_ERRORS = 50


class ValidationFailed(ClienteleError):
    status, slug, title = 422, "validation-error", "Validation Error"

    def __init__(self, errors: list[FieldError]) -> None:
        count = len(errors)
        super().__init__(f"{count} field{'s' if count != 1 else ''} failed validation")
        self.errors = errors

    def extensions(self) -> dict[str, Any]:
        listed = [error.as_dict() for error in self.errors[:MAX_LISTED_ERRORS]]
        extra: dict[str, Any] = {"errors": listed}
        if len(self.errors) > MAX_LISTED_ERRORS:
            extra["errors_truncated"] = True
        return extra


class AllocationRejected(ValidationFailed):
    """A credit allocation breaks a ledger rule (API.md §10); `errors` point at the entries."""

    status, slug, title = 422, "allocation-rejected", "Allocation Rejected"

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(errors)
        self.detail = "the allocation breaks a ledger rule; nothing was allocated"


class UnsafeUrl(ClienteleError):
    """An integration's base_url breaks the outbound safety rules (API.md §13)."""

    status, slug, title = 422, "unsafe-url", "Unsafe URL"


class _Upstream(ClienteleError):
    """A vendor call's failure; `upstream` carries the vendor's words (never credentials)."""

    def __init__(self, detail: str, upstream: dict[str, Any]) -> None:
        super().__init__(detail)
        self.upstream = upstream

    def extensions(self) -> dict[str, Any]:
        return {"upstream": self.upstream}


class IntegrationRejected(_Upstream):
    status, slug, title = 422, "integration-rejected", "Integration Rejected"


class IntegrationCredentialsRejected(_Upstream):
    status, slug, title = 422, "integration-credentials-rejected", "Integration Credentials Rejected"


class IntegrationUnavailable(_Upstream):
    status, slug, title = 502, "integration-unavailable", "Integration Unavailable"


class IdempotencyKeyReused(ClienteleError):
    status, slug, title = 422, "idempotency-key-reused", "Idempotency Key Reused"


class PreconditionRequired(ClienteleError):
    status, slug, title = 428, "precondition-required", "Precondition Required"


class HeadersTooLarge(ClienteleError):
    status, slug, title = 431, "headers-too-large", "Request Header Fields Too Large"


class EndpointDisabled(ClienteleError):
    status, slug, title = 503, "endpoint-disabled", "Endpoint Disabled"
    headers = {"Retry-After": "3600"}


class ServiceUnavailable(ClienteleError):
    status, slug, title = 503, "service-unavailable", "Service Unavailable"


class Unauthorized(ClienteleError):
    """Only raised when a function checks the token itself (sam local); the gateway answers it in AWS."""

    status, slug, title = 401, "unauthorized", "Unauthorized"
