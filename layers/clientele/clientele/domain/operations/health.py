"""Operational checks."""

from __future__ import annotations

from clientele.store.customers import items as store


def table_reachable() -> bool:
    return store.ping()
