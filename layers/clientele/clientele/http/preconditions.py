"""If-Match / If-None-Match header parsing (RFC 9110 §13.1)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from clientele.domain.kernel.etags import IfMatch

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

# An entity tag: optional W/ and a quoted string of etagc characters.
_ENTITY_TAG = re.compile(r'\s*(W/)?("[\x21\x23-\x7e\x80-\xff]*")\s*')


def _tags(header: str) -> list[tuple[bool, str]] | None:
    """(weak, tag) per listed entity tag; None when the header is not a valid list (then nothing matches)."""
    tags = []
    for member in header.split(","):
        if not member.strip():
            continue
        found = _ENTITY_TAG.fullmatch(member)
        if found is None:
            return None
        tags.append((found.group(1) is not None, found.group(2)))
    return tags


def parse_if_match(header: str | None) -> IfMatch | None:
    if header is None:
        return None
    if header.strip() == "*":
        return IfMatch(any=True)
    # Strong comparison: weak tags and unquoted values never match.
    return IfMatch(etags=frozenset(tag for weak, tag in _tags(header) or [] if not weak))


def parse_if_none_match(header: str | None) -> IfMatch | None:
    if header is None:
        return None
    if header.strip() == "*":
        return IfMatch(any=True)
    # Weak comparison: W/"x" matches "x".
    return IfMatch(etags=frozenset(tag for _, tag in _tags(header) or []))


def if_match(app: APIGatewayHttpResolver) -> IfMatch | None:
    return parse_if_match(app.current_event.headers.get("if-match"))


def if_none_match(app: APIGatewayHttpResolver) -> IfMatch | None:
    return parse_if_none_match(app.current_event.headers.get("if-none-match"))
