"""Strict JSON request bodies (API.md §12): media type, size, and a parser that refuses what JSON allows loosely."""

from __future__ import annotations

import base64
import binascii
import json
import math
from typing import TYPE_CHECKING, Any

from clientele.config import get_settings
from clientele.domain.kernel.errors import MalformedRequest, PayloadTooLarge, UnsupportedMediaType

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

JSON = "application/json"
MERGE_PATCH_JSON = "application/merge-patch+json"

# The default of a route's `body` parameter. The parameter only documents the body in the OpenAPI
# document: with validation off, Powertools never passes it, and json_object() reads the body.
# Any, so that it can be the default of a parameter of any model type.
DOCUMENTED_BODY: Any = None
MAX_DEPTH = 32
MAX_INTEGER_DIGITS = 30
_BOM = b"\xef\xbb\xbf"


def _check_media_type(content_type: str | None, accepted: tuple[str, ...]) -> None:
    if not content_type:
        raise UnsupportedMediaType(f"send the body as {' or '.join(accepted)} with a Content-Type header")
    media_type, *parameters = (part.strip() for part in content_type.split(";"))
    if media_type.lower() not in accepted:
        raise UnsupportedMediaType(f"Content-Type {media_type!r} is not accepted here; use {' or '.join(accepted)}")
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() != "utf-8":
            raise UnsupportedMediaType("the only accepted charset is utf-8")


def _raw_body(event: dict[str, Any]) -> bytes:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as error:
            raise MalformedRequest("the body is not valid base64") from error
    return body.encode("utf-8", errors="surrogatepass")


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise MalformedRequest(f"the body has the key {key!r} twice")
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise MalformedRequest(f"{name} is not a JSON number")


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise MalformedRequest(f"integers have at most {MAX_INTEGER_DIGITS} digits")
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise MalformedRequest("a number is out of range")
    return value


def _check_tree(value: Any, depth: int = 1) -> None:
    """Nesting depth and lone surrogates (which json.loads lets through from \\u escapes)."""
    if isinstance(value, dict | list) and depth > MAX_DEPTH:
        raise MalformedRequest(f"the body nests deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            raise MalformedRequest("the body holds a lone surrogate (invalid Unicode)") from error
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_tree(key, depth)
            _check_tree(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_tree(item, depth + 1)


def parse_json_object(raw: bytes) -> dict[str, Any]:
    if raw.startswith(_BOM):
        raw = raw[len(_BOM) :]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedRequest("the body is not valid UTF-8") from error
    if not text.strip():
        raise MalformedRequest("the body is empty; send a JSON object")
    try:
        value = json.loads(
            text,
            object_pairs_hook=_reject_duplicate_keys,
            parse_constant=_reject_constant,
            parse_int=_parse_int,
            parse_float=_parse_float,
        )
    except RecursionError as error:
        raise MalformedRequest(f"the body nests deeper than {MAX_DEPTH} levels") from error
    except ValueError as error:  # JSONDecodeError, and int() beyond Python's digit limit
        raise MalformedRequest(f"the body is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise MalformedRequest("the body must be a JSON object")
    _check_tree(value)
    return value


def json_object(app: APIGatewayHttpResolver, *, merge_patch: bool = False) -> dict[str, Any]:
    """The request body as a dict, or the 415/413/400 problem that explains why not."""
    event = app.current_event.raw_event
    accepted = (MERGE_PATCH_JSON, JSON) if merge_patch else (JSON,)
    _check_media_type(app.current_event.headers.get("content-type"), accepted)
    raw = _raw_body(event)
    limit = get_settings().max_body_bytes
    if len(raw) > limit:
        raise PayloadTooLarge(f"the body is {len(raw)} bytes; the limit is {limit}")
    return parse_json_object(raw)
