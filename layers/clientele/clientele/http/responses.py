"""Success responses for customers: status, body, ETag and Location."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from clientele.domain.csvio.downloads import Export
from clientele.domain.customers.address_book import AddressResult
from clientele.domain.customers.service import CustomerView
from clientele.domain.jobs.bulk import BulkAnswer
from clientele.domain.sku_mappings.service import UpsertResult
from clientele.http.types import HttpResponse

JSON = "application/json"


def customer(view: CustomerView, status: int = 200) -> HttpResponse:
    headers = {"ETag": view.etag}
    if status == 201:
        headers["Location"] = f"/v1/customers/{view.id}"
    return Response(status_code=status, content_type=JSON, body=view.body, headers=headers)


def not_modified(etag: str) -> HttpResponse:
    return Response(status_code=304, headers={"ETag": etag}, body="")


def no_content() -> HttpResponse:
    return Response(status_code=204, body="")


def ok(body: dict[str, Any]) -> HttpResponse:
    return Response(status_code=200, content_type=JSON, body=body)


def address(body: dict[str, Any], customer_id: str, status: int = 200) -> HttpResponse:
    headers = {"Location": f"/v1/customers/{customer_id}/addresses/{body['id']}"} if status == 201 else {}
    return Response(status_code=status, content_type=JSON, body=body, headers=headers)


def added_address(result: AddressResult) -> HttpResponse:
    """201 for a new address; 200 with `deduplicated: true` when the same place was already there."""
    customer_id = result.address["customer_id"]
    if result.deduplicated:
        return address({**result.address, "deduplicated": True}, customer_id)
    return address(result.address, customer_id, status=201)


def job(body: dict[str, Any], status: int) -> HttpResponse:
    """A job just created (201) or accepted (202), and where to follow it."""
    return Response(status_code=status, content_type=JSON, body=body, headers={"Location": f"/v1/jobs/{body['id']}"})


def bulk(answer: BulkAnswer) -> HttpResponse:
    """200 with a result per id, or 202 with the job acting on a filter (and where to follow it)."""
    if answer.job is not None:
        return Response(
            status_code=202, content_type=JSON, body=answer.job, headers={"Location": f"/v1/jobs/{answer.job['id']}"}
        )
    return ok({"results": answer.results})


def upserted_sku_mapping(result: UpsertResult) -> HttpResponse:
    """201 with Location for a new mapping; 200 when the SKU was already mapped (updated or unchanged)."""
    body = result.mapping
    if not result.created:
        return ok(body)
    location = f"/v1/customers/{body['customer_id']}/sku-mappings/{body['id']}"
    return Response(status_code=201, content_type=JSON, body=body, headers={"Location": location})


def export(result: Export) -> HttpResponse:
    """200 with the CSV, or 303 See Other to a presigned download link (also in the JSON body)."""
    if result.url is not None:
        return Response(
            status_code=303,
            content_type=JSON,
            body={"url": result.url, "expires_at": result.expires_at},
            headers={"Location": result.url, "Cache-Control": "no-store"},
        )
    return Response(
        status_code=200,
        content_type="text/csv; charset=utf-8",
        body=result.csv,
        headers={"Content-Disposition": f'attachment; filename="{result.filename}"', "Cache-Control": "no-store"},
    )


def created(body: dict[str, Any], location: str | None = None) -> HttpResponse:
    """201 with the new resource (and where it lives)."""
    headers = {"Location": location} if location else {}
    return Response(status_code=201, content_type=JSON, body=body, headers=headers)


def fulfillment(body: dict[str, Any], status: int = 200) -> HttpResponse:
    """A fulfillment with its ETag (and, when created, where it lives)."""
    headers = {"ETag": body["etag"]}
    if status == 201:
        headers["Location"] = f"/v1/fulfillments/{body['id']}"
    return Response(status_code=status, content_type=JSON, body=body, headers=headers)


def integration(body: dict[str, Any], status: int = 200) -> HttpResponse:
    """An integration instance with its ETag (and, when created, where it lives)."""
    headers = {"ETag": body["etag"]}
    if status == 201:
        headers["Location"] = f"/v1/integrations/{body['id']}"
    return Response(status_code=status, content_type=JSON, body=body, headers=headers)
