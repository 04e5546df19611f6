"""Success responses for customers: status, body, ETag and Location."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from clientele.domain.customers import CustomerView

JSON = "application/json"


def customer(view: CustomerView, status: int = 200) -> Response:
    headers = {"ETag": view.etag}
    if status == 201:
        headers["Location"] = f"/v1/customers/{view.id}"
    return Response(status_code=status, content_type=JSON, body=view.body, headers=headers)


def not_modified(etag: str) -> Response:
    return Response(status_code=304, headers={"ETag": etag}, body="")


def no_content() -> Response:
    return Response(status_code=204, body="")


def ok(body: dict) -> Response:
    return Response(status_code=200, content_type=JSON, body=body)
