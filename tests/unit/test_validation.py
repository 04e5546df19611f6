"""clientele.domain.kernel.validation: JSON Pointers, error codes, and the 50-error cap of ValidationFailed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict

from clientele.domain.customers.fields import CustomerFields
from clientele.domain.kernel.errors import MAX_LISTED_ERRORS, FieldError, ValidationFailed
from clientele.domain.kernel.validation import pointer, read_only_errors, validate


def _decode(json_pointer: str) -> list[str]:
    """RFC 6901 §4 evaluation of the reference tokens."""
    assert json_pointer == "" or json_pointer.startswith("/")
    return [token.replace("~1", "/").replace("~0", "~") for token in json_pointer.split("/")[1:]]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ([], ""),
        (["name"], "/name"),
        (["emails", 0], "/emails/0"),
        (["metadata", "a/b"], "/metadata/a~1b"),
        (["metadata", "m~n"], "/metadata/m~0n"),
        (["~1"], "/~01"),
        (["/~"], "/~1~0"),
        (["", "x"], "//x"),
        (["a b", "é"], "/a b/é"),
    ],
)
def test_pointer_escapes_tilde_and_slash(path, expected):
    assert pointer(path) == expected


@given(st.lists(st.text() | st.integers(min_value=0)))
def test_pointer_round_trips_through_rfc6901_decoding(path):
    assert _decode(pointer(path)) == [str(part) for part in path]


def test_metadata_key_is_escaped_in_the_error_pointer():
    with pytest.raises(ValidationFailed) as caught:
        validate(CustomerFields, {"name": "Acme", "metadata": {"a/b~c": "v" * 501}})
    assert [(e.pointer, e.code) for e in caught.value.errors] == [("/metadata/a~1b~0c", "too_long")]


class _Sample(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    text: str = ""
    flag: bool = False
    count: int = 0
    items: list[str] = []
    mapping: dict[str, str] = {}


@pytest.mark.parametrize(
    ("field", "value"),
    [("text", 1), ("flag", "true"), ("count", "1"), ("items", "a"), ("mapping", ["a"])],
)
def test_wrong_json_type_is_invalid_type(field, value):
    with pytest.raises(ValidationFailed) as caught:
        validate(_Sample, {field: value})
    assert [(e.pointer, e.code) for e in caught.value.errors] == [(f"/{field}", "invalid_type")]


def test_extra_errors_come_first_and_are_raised_even_when_the_model_is_valid():
    extra = FieldError(code="read_only", message="is read-only", pointer="/id")
    with pytest.raises(ValidationFailed) as caught:
        validate(CustomerFields, {"name": "Acme"}, extra_errors=[extra])
    assert caught.value.errors == [extra]

    with pytest.raises(ValidationFailed) as caught:
        validate(CustomerFields, {"name": ""}, extra_errors=[extra])
    assert [(e.pointer, e.code) for e in caught.value.errors] == [("/id", "read_only"), ("/name", "blank")]


def test_valid_body_returns_the_model():
    assert validate(CustomerFields, {"name": "Acme"}).name == "Acme"


def test_read_only_errors_name_each_read_only_field_present():
    found = read_only_errors({"id": "cus_1", "name": "Acme", "version": 3}, ["id", "version", "etag"])
    assert [(e.pointer, e.code) for e in found] == [("/id", "read_only"), ("/version", "read_only")]


# --- ValidationFailed as a problem ----------------------------------------------------------


def _errors(count: int) -> list[FieldError]:
    return [FieldError(code="invalid", message="is invalid", pointer=f"/f{i}") for i in range(count)]


def test_validation_failed_is_422_validation_error():
    failure = ValidationFailed(_errors(1))
    assert (failure.status, failure.slug) == (422, "validation-error")


def test_fifty_errors_are_all_listed_without_truncation_flag():
    extensions = ValidationFailed(_errors(50)).extensions()
    assert [e["pointer"] for e in extensions["errors"]] == [f"/f{i}" for i in range(50)]
    assert "errors_truncated" not in extensions


@pytest.mark.parametrize("count", [51, 120])
def test_more_than_fifty_errors_list_the_first_fifty_and_flag_truncation(count):
    extensions = ValidationFailed(_errors(count)).extensions()
    assert MAX_LISTED_ERRORS == 50
    assert [e["pointer"] for e in extensions["errors"]] == [f"/f{i}" for i in range(50)]
    assert extensions["errors_truncated"] is True


def test_a_body_with_sixty_unknown_fields_lists_fifty_errors():
    body = {"name": "Acme", **{f"unknown{i}": i for i in range(60)}}
    with pytest.raises(ValidationFailed) as caught:
        validate(CustomerFields, body)
    assert len(caught.value.errors) == 60
    extensions = caught.value.extensions()
    assert len(extensions["errors"]) == 50
    assert {e["code"] for e in extensions["errors"]} == {"unknown_field"}
    assert extensions["errors_truncated"] is True


def test_error_item_has_pointer_code_and_message():
    error = FieldError(code="invalid_email", message="must be a valid email address", pointer="/emails/0")
    assert error.as_dict() == {
        "pointer": "/emails/0",
        "code": "invalid_email",
        "message": "must be a valid email address",
    }


def test_query_parameter_error_names_the_parameter_instead_of_a_pointer():
    error = FieldError(code="invalid", message="must be 1-200", parameter="limit")
    assert error.as_dict() == {"parameter": "limit", "code": "invalid", "message": "must be 1-200"}
