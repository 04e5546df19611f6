"""Vendor 002's request and response shapes, for the compat OpenAPI document (/openapi-compat.json).

Bodies are parsed by the strict JSON parser and translated by clientele.compat.alvys;
these models only describe them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"


class AlvysBillingAddress(BaseModel):
    Street: str | None = None
    City: str | None = None
    State: str | None = None
    Zip: str | None = None


class CustomerWrite(BaseModel):
    """POST body (Name and Type required) or PATCH merge patch (null clears). Other fields are ignored."""

    model_config = ConfigDict(extra="allow")

    Name: str | None = Field(None, max_length=200)
    Type: Literal["Customer", "Broker/3PL"] | None = None
    CompanyNumber: str | None = Field(None, max_length=32)
    Status: Literal["Active", "Inactive"] | None = None
    BillingAddress: AlvysBillingAddress | None = None
    Email: list[str] | None = None
    Phone: list[str] | None = None
    Fax: str | None = None
    ExternalId: str | None = Field(None, max_length=100)


class CustomerResponse(BaseModel):
    Id: str
    Name: str
    CompanyNumber: str | None
    Type: Literal["Customer", "Broker/3PL"]
    Status: Literal["Active", "Inactive"]
    BillingAddress: AlvysBillingAddress | None
    Email: list[str]
    Phone: list[str]
    Fax: str | None
    DateCreated: str
    DateModified: str
    InvoicingInformation: None
    ExternalId: str | None


class CustomerWriteResponse(CustomerResponse):
    ETag: str


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    Name: str | None = Field(None, description="contained in the name, case-insensitive")
    CompanyNumber: str | None = None
    ExternalId: str | None = None
    Status: Literal["Active", "Inactive"] | None = None
    Page: int = Field(1, ge=1)
    PageSize: int = Field(25, ge=1, le=100)


class SearchResponse(BaseModel):
    Page: int
    PageSize: int
    Total: int
    Items: list[CustomerResponse]


class AlvysProblem(BaseModel):
    """Problem details; 400 adds `errors` keyed by field, 409 adds `field` and `customerId`."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str | None = None
    errors: dict[str, list[str]] | None = None
    field: str | None = None
    customerId: str | None = None


_PROBLEMS = {
    400: "Validation error: `errors` lists messages by field (e.g. Name, BillingAddress.Zip); or a malformed body",
    404: "No customer with this id in the caller's tenant",
    409: "CompanyNumber, ExternalId or Name + BillingAddress.Zip is taken: `field` and `customerId` name it",
    412: "If-Match does not name the current ETag: GET the customer again",
    413: "Payload too large (over 1 MiB)",
    415: "Unsupported media type: send application/json",
    428: "If-Match is required",
    503: "Writes are switched off (type EndpointDisabled, Retry-After: 3600); GET and search keep working",
}


def responses(status: int, model: type | None, *problems: int, description: str) -> dict[int, OpenAPIResponse]:
    """A 002 route's documented answers: the success, its problems, and the gateway's 401/403."""
    success: OpenAPIResponse = {"description": description}
    if model is not None:
        success["content"] = {JSON: {"model": model}}
    documented: dict[int, OpenAPIResponse] = {status: success}
    for problem in problems:
        documented[problem] = {"description": _PROBLEMS[problem], "content": {PROBLEM_JSON: {"model": AlvysProblem}}}
    documented[401] = {"description": "No valid bearer token (answered by API Gateway)"}
    documented[403] = {"description": "The token lacks the route's scope (customer:read/create/update/delete)"}
    return documented
