"""Opaque list cursors: where a list stopped, signed (HMAC-SHA256) together with the query it belongs to.

A cursor only works for the tenant, organization scope, sort and filters it
was issued for; a tampered cursor, or one replayed with another query or by
another tenant, is a 400.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from clientele.domain.kernel.errors import MalformedRequest

_VERSION = 1


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def binding_digest(binding: dict[str, Any]) -> str:
    return _b64(hashlib.sha256(_canonical(binding)).digest()[:16])


def issue(position: Any, binding: dict[str, Any], key: bytes) -> str:
    payload = _canonical({"v": _VERSION, "b": binding_digest(binding), "p": position})
    signature = hmac.new(key, payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(signature)}"


def redeem(cursor: str, binding: dict[str, Any], key: bytes) -> Any:
    """The position a cursor holds, if it was issued by us for exactly this query."""
    try:
        encoded_payload, encoded_signature = cursor.split(".")
        payload, signature = _unb64(encoded_payload), _unb64(encoded_signature)
    except (ValueError, TypeError) as error:
        raise MalformedRequest("the cursor is not one this API issued") from error
    if not hmac.compare_digest(hmac.new(key, payload, hashlib.sha256).digest(), signature):
        raise MalformedRequest("the cursor is not one this API issued")
    content = json.loads(payload)
    if content.get("v") != _VERSION or content.get("b") != binding_digest(binding):
        raise MalformedRequest(
            "the cursor belongs to another query: keep the sort and filters of the first page (or drop the cursor)"
        )
    return content["p"]
