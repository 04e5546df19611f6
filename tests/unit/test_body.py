"""Strict JSON request bodies (API.md §12): parser, media types, size limit."""

from __future__ import annotations

import base64
import json
from types import SimpleNamespace
from typing import Any

import pytest

from clientele.config import get_settings
from clientele.domain.kernel.errors import MalformedRequest, PayloadTooLarge, UnsupportedMediaType
from clientele.http.body import JSON, MERGE_PATCH_JSON, _check_media_type, json_object, parse_json_object


def parse(text: str | bytes) -> dict[str, Any]:
    return parse_json_object(text if isinstance(text, bytes) else text.encode("utf-8"))


def nested_objects(levels: int, innermost: str) -> str:
    """`levels` objects inside each other; the innermost holds `innermost` as the value of "a"."""
    return '{"a":' * (levels - 1) + innermost + "}" * (levels - 1)


def nested_arrays_in_object(levels: int) -> str:
    """An object whose value nests arrays so that the whole body has `levels` levels."""
    return '{"a":' + "[" * (levels - 1) + "]" * (levels - 1) + "}"


# --- what parses ----------------------------------------------------------------------


def test_object_is_parsed():
    assert parse('{"name": "Acme", "tags": ["a", 1, 2.5, true, null], "m": {"k": "v"}}') == {
        "name": "Acme",
        "tags": ["a", 1, 2.5, True, None],
        "m": {"k": "v"},
    }


def test_surrounding_whitespace_is_fine():
    assert parse(' \r\n\t{"a": 1}\n ') == {"a": 1}


def test_utf8_bom_is_tolerated():
    assert parse(b'\xef\xbb\xbf{"name": "Acme"}') == {"name": "Acme"}


def test_escaped_and_raw_non_ascii_text_is_kept_exactly():
    assert parse('{"a": "Cafe\\u0301", "b": "\\ud83d\\ude00", "c": "é"}') == {"a": "Cafe\u0301", "b": "😀", "c": "é"}


def test_integer_of_30_digits_is_fine():
    assert parse('{"a": ' + "9" * 30 + "}") == {"a": int("9" * 30)}
    assert parse('{"a": -' + "9" * 30 + "}") == {"a": -int("9" * 30)}


def test_nesting_of_32_levels_is_fine():
    assert parse(nested_objects(32, "{}"))
    assert parse(nested_arrays_in_object(32))


def test_32_nested_objects_with_a_value_inside_are_fine():
    assert parse(nested_objects(32, '{"a": 1}'))


# --- what is malformed -------------------------------------------------------------------


@pytest.mark.parametrize("body", ["null", "[]", '[{"a": 1}]', "1", '"text"', "true", "false", "1.5"])
def test_body_that_is_not_an_object_is_malformed(body):
    with pytest.raises(MalformedRequest):
        parse(body)


@pytest.mark.parametrize(
    "body",
    [
        "{",
        '{"a": 1',
        '{"a": 1,}',
        "{'a': 1}",
        "{a: 1}",
        '{"a": 01}',
        '{"a": .5}',
        '{"a": "b"} x',
        '{"a": 1}{"b": 2}',
        '{"a": undefined}',
        '{"a": "unterminated}',
        '{"a": "tab\there"}',
        "// comment\n{}",
    ],
)
def test_invalid_json_is_malformed(body):
    with pytest.raises(MalformedRequest):
        parse(body)


@pytest.mark.parametrize(
    "raw", [b'{"a": "\xff"}', b'{"a": "\xc3"}', b'{"a": "\xed\xa0\x80"}', b"\xfe\xff{}", b'{"\x80": 1}']
)
def test_invalid_utf8_is_malformed(raw):
    with pytest.raises(MalformedRequest):
        parse(raw)


@pytest.mark.parametrize("body", ["", " ", "\n\t ", "\ufeff"])
def test_empty_body_is_malformed(body):
    with pytest.raises(MalformedRequest):
        parse(body.encode("utf-8"))


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_malformed(constant):
    with pytest.raises(MalformedRequest):
        parse('{"a": ' + constant + "}")
    with pytest.raises(MalformedRequest):
        parse('{"a": [1, {"b": ' + constant + "}]}")


@pytest.mark.parametrize("number", ["1e400", "-1e400", "1" * 400 + ".0"])
def test_number_that_overflows_to_infinity_is_malformed(number):
    with pytest.raises(MalformedRequest):
        parse('{"a": ' + number + "}")


@pytest.mark.parametrize("digits", [31, 100, 5000])
def test_integer_of_more_than_30_digits_is_malformed(digits):
    with pytest.raises(MalformedRequest):
        parse('{"a": ' + "1" * digits + "}")
    with pytest.raises(MalformedRequest):
        parse('{"a": [-' + "1" * digits + "]}")


def test_nesting_of_33_levels_is_malformed():
    with pytest.raises(MalformedRequest):
        parse(nested_objects(33, "{}"))
    with pytest.raises(MalformedRequest):
        parse(nested_arrays_in_object(33))


@pytest.mark.parametrize("levels", [1_000, 100_000])
def test_very_deep_nesting_is_malformed_not_a_crash(levels):
    with pytest.raises(MalformedRequest):
        parse('{"a":' + "[" * levels + "]" * levels + "}")
    with pytest.raises(MalformedRequest):
        parse('{"a":' + "[" * levels)


@pytest.mark.parametrize(
    "body",
    [
        '{"a": "\\ud800"}',
        '{"a": "x\\udfffy"}',
        '{"a": ["\\udc00"]}',
        '{"a": {"b": "\\ud83d"}}',
        '{"\\ud800": 1}',
        '{"a": {"\\udc00": 1}}',
    ],
)
def test_lone_surrogate_as_value_or_key_is_malformed(body):
    with pytest.raises(MalformedRequest):
        parse(body)


@pytest.mark.parametrize(
    "body",
    [
        '{"a": 1, "a": 1}',
        '{"a": 1, "b": 2, "a": 3}',
        '{"a": {"b": 1, "b": 2}}',
        '{"a": [{"c": 1, "c": 1}]}',
        '{"a": 1, "\\u0061": 2}',
    ],
)
def test_duplicate_keys_are_malformed_also_when_nested(body):
    with pytest.raises(MalformedRequest):
        parse(body)


def test_keys_that_differ_only_in_case_are_not_duplicates():
    assert parse('{"a": 1, "A": 2}') == {"a": 1, "A": 2}


def test_malformed_request_is_400_malformed_request():
    assert (MalformedRequest.status, MalformedRequest.slug) == (400, "malformed-request")


# --- media types ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "APPLICATION/JSON",
        "Application/Json",
        "application/json; charset=utf-8",
        "application/json;charset=UTF-8",
        'application/json; charset="utf-8"',
        'application/json; Charset="UTF-8"',
        "application/json ; charset = utf-8 ",
        "application/json; foo=bar",
    ],
)
def test_json_media_type_is_accepted_in_any_case_with_parameters(content_type):
    _check_media_type(content_type, (JSON,))


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json; charset=iso-8859-1",
        "application/json; charset=latin1",
        "application/json; charset=utf-16",
        'application/json; charset="us-ascii"',
        "application/json; charset=",
    ],
)
def test_other_charset_is_unsupported(content_type):
    with pytest.raises(UnsupportedMediaType):
        _check_media_type(content_type, (JSON,))


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        "text/plain",
        "text/json",
        "application/xml",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "application/jsonx",
        "application/merge-patch+json",
    ],
)
def test_missing_or_other_media_type_is_unsupported(content_type):
    with pytest.raises(UnsupportedMediaType):
        _check_media_type(content_type, (JSON,))


@pytest.mark.parametrize(
    "content_type",
    ["application/merge-patch+json", "Application/Merge-Patch+JSON; charset=utf-8", "application/json"],
)
def test_merge_patch_json_is_accepted_where_merge_patch_is_allowed(content_type):
    _check_media_type(content_type, (MERGE_PATCH_JSON, JSON))


def test_unsupported_media_type_is_415():
    assert (UnsupportedMediaType.status, UnsupportedMediaType.slug) == (415, "unsupported-media-type")


# --- json_object: headers, base64, size limit --------------------------------------------------


@pytest.fixture
def settings_env(monkeypatch):
    """Settings from the environment, with a 64-byte body limit."""
    monkeypatch.setenv("TABLE_NAME", "clientele-test")
    monkeypatch.setenv("MAX_BODY_BYTES", "64")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def fake_app(body: str | None, content_type: str | None = JSON, *, base64_encoded: bool = False) -> Any:
    headers = {} if content_type is None else {"content-type": content_type}
    event = {"headers": headers, "body": body, "isBase64Encoded": base64_encoded}
    return SimpleNamespace(current_event=SimpleNamespace(raw_event=event, headers=headers))


@pytest.mark.usefixtures("settings_env")
class TestJsonObject:
    def test_json_body_is_returned(self):
        assert json_object(fake_app('{"name": "Acme"}')) == {"name": "Acme"}

    def test_body_at_the_limit_is_accepted(self):
        body = '{"a": "' + "x" * 55 + '"}'
        assert len(body.encode()) == 64
        assert json_object(fake_app(body)) == {"a": "x" * 55}

    def test_body_over_the_limit_is_payload_too_large(self):
        body = '{"a": "' + "x" * 56 + '"}'
        assert len(body.encode()) == 65
        with pytest.raises(PayloadTooLarge) as caught:
            json_object(fake_app(body))
        assert caught.value.status == 413

    def test_limit_counts_utf8_bytes_not_characters(self):
        body = '{"a": "' + "é" * 30 + '"}'  # 39 characters, 69 bytes
        with pytest.raises(PayloadTooLarge):
            json_object(fake_app(body))

    def test_missing_content_type_is_415_even_with_a_json_body(self):
        with pytest.raises(UnsupportedMediaType):
            json_object(fake_app('{"a": 1}', content_type=None))

    def test_text_plain_is_415(self):
        with pytest.raises(UnsupportedMediaType):
            json_object(fake_app('{"a": 1}', content_type="text/plain"))

    def test_merge_patch_media_type_only_where_merge_patch_is_allowed(self):
        app = fake_app('{"a": null}', content_type="application/merge-patch+json")
        with pytest.raises(UnsupportedMediaType):
            json_object(app)
        assert json_object(app, merge_patch=True) == {"a": None}

    def test_json_is_also_accepted_for_merge_patch(self):
        assert json_object(fake_app('{"a": 1}'), merge_patch=True) == {"a": 1}

    def test_base64_encoded_body_is_decoded(self):
        encoded = base64.b64encode('{"name": "Äcme"}'.encode()).decode()
        assert json_object(fake_app(encoded, base64_encoded=True)) == {"name": "Äcme"}

    def test_base64_encoded_invalid_utf8_is_malformed(self):
        encoded = base64.b64encode(b'{"a": "\xff"}').decode()
        with pytest.raises(MalformedRequest):
            json_object(fake_app(encoded, base64_encoded=True))

    def test_invalid_base64_is_malformed(self):
        with pytest.raises(MalformedRequest):
            json_object(fake_app("not base64!!", base64_encoded=True))

    def test_limit_applies_to_the_decoded_base64_body(self):
        raw = json.dumps({"a": "x" * 60}).encode()
        with pytest.raises(PayloadTooLarge):
            json_object(fake_app(base64.b64encode(raw).decode(), base64_encoded=True))

    def test_missing_body_is_malformed(self):
        with pytest.raises(MalformedRequest):
            json_object(fake_app(None))

    def test_lone_surrogate_in_the_event_string_is_malformed(self):
        with pytest.raises(MalformedRequest):
            json_object(fake_app('{"a": "\ud800"}'))


def test_default_limit_is_one_mebibyte(monkeypatch):
    monkeypatch.setenv("TABLE_NAME", "clientele-test")
    monkeypatch.delenv("MAX_BODY_BYTES", raising=False)
    get_settings.cache_clear()
    try:
        assert get_settings().max_body_bytes == 1024 * 1024
        at_limit = '{"a": "' + "x" * (1024 * 1024 - 9) + '"}'
        assert len(at_limit) == 1024 * 1024
        assert json_object(fake_app(at_limit)) == {"a": "x" * (1024 * 1024 - 9)}
        with pytest.raises(PayloadTooLarge):
            json_object(fake_app(at_limit.replace('"a"', '"ab"')))
    finally:
        get_settings.cache_clear()
