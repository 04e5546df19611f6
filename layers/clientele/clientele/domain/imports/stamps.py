"""Import stamps: how a re-import knows a row changes nothing without reading the address book.

A customer written by an import row carries a stamp: a digest of that row (as
the import read it, with the importer's organization) and of the version the
write gave the customer. Merging a row into a customer is idempotent, so while
the customer still has that version (every other write bumps it) the same row
merges into nothing: the row is `unchanged` on the customer item alone, and its
address items are never read. A daily full export dropped again costs two
batched reads per row (the code's guard, the customer) instead of three.

Rows with a password are never stamped: a fast digest of a password would be a
weak password hash, and such rows always rewrite it anyway.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from clientele.domain.kernel.principal import Principal

ATTRIBUTE = "import_stamp"
# Bump when what a row merges into changes (field rules, normalisation): old stamps then vouch for nothing.
_SCHEME = 1


def stamp(principal: Principal, body: dict[str, Any], version: int) -> str | None:
    """The stamp of `body` written as `version` of a customer (None: the row is never stamped)."""
    if "password" in body:
        return None
    canonical = json.dumps(
        [_SCHEME, principal.organization_id, body, int(version)], sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def vouches(customer: dict[str, Any], principal: Principal, body: dict[str, Any]) -> bool:
    """Whether the customer item, as read, is exactly what merging `body` last wrote."""
    stored = customer.get(ATTRIBUTE)
    return stored is not None and stored == stamp(principal, body, int(customer["version"]))
