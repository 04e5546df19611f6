"""RFC 9457 problem bodies (API.md §1 Errors)."""

from __future__ import annotations

import json

from clientele.domain.kernel.errors import (
    Conflict,
    EndpointDisabled,
    FieldError,
    MalformedRequest,
    Unauthorized,
    ValidationFailed,
)
from clientele.http.problems import PROBLEM_JSON, problem_body, problem_response


def test_problem_body_has_the_rfc9457_members_and_the_request_id():
    body = problem_body(MalformedRequest("the body is not valid JSON"), "/v1/customers", "req-1")
    assert body == {
        "type": "/problems/malformed-request",
        "title": "Malformed Request",
        "status": 400,
        "detail": "the body is not valid JSON",
        "instance": "/v1/customers",
        "request_id": "req-1",
    }


def test_conflict_names_the_field_and_the_holder():
    body = problem_body(Conflict("code", "cus_1", "code 'C1' is already used"), "/v1/customers", "req-1")
    assert (body["status"], body["type"]) == (409, "/problems/conflict")
    assert body["conflict"] == {"field": "code", "existing_id": "cus_1"}


def test_validation_problem_lists_at_most_fifty_errors_then_flags_truncation():
    errors = [FieldError(code="invalid", message="is invalid", pointer=f"/f{i}") for i in range(51)]
    body = problem_body(ValidationFailed(errors), "/v1/customers", "req-1")
    assert (body["status"], body["type"]) == (422, "/problems/validation-error")
    assert len(body["errors"]) == 50
    assert body["errors"][0] == {"pointer": "/f0", "code": "invalid", "message": "is invalid"}
    assert body["errors_truncated"] is True


def test_problem_response_is_problem_json():
    response = problem_response(MalformedRequest(), "/v1/customers", "req-1")
    assert response.status_code == 400
    assert response.content_type == PROBLEM_JSON == "application/problem+json"
    assert json.loads(response.body)["request_id"] == "req-1"


def test_endpoint_disabled_carries_retry_after():
    response = problem_response(EndpointDisabled(), "/v1/customers", "req-1")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "3600"
    assert json.loads(response.body)["type"] == "/problems/endpoint-disabled"


def test_unauthorized_is_answered_like_the_gateway():
    response = problem_response(Unauthorized(), "/v1/customers", "req-1")
    assert response.status_code == 401
    assert response.content_type == "application/json"
    assert response.body == {"message": "Unauthorized"}
