"""Strong, opaque entity tags derived from a resource's id and version."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass


def etag_for(resource_id: str, version: int) -> str:
    digest = hashlib.sha256(f"{resource_id}:{version}".encode()).digest()[:15]
    return '"' + base64.urlsafe_b64encode(digest).decode("ascii") + '"'


@dataclass(frozen=True)
class IfMatch:
    """A parsed If-Match header: `*`, or the strong ETags it lists (weak and malformed ones never match)."""

    any: bool = False
    etags: frozenset[str] = frozenset()

    def matches(self, etag: str) -> bool:
        return self.any or etag in self.etags
