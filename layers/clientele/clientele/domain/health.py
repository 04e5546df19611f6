"""Operational checks."""

from __future__ import annotations

from clientele.store import customers as store


def table_reachable() -> bool:
    return store.ping()
