"""PutEvents on the stack's own bus (settings.event_bus_name), at most 10 entries per call.

boto3 is imported on first use and the client created once per process, as for DynamoDB.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from clientele.config import get_settings
from clientele.store.kernel.errors import StoreUnavailable

MAX_ENTRIES_PER_CALL = 10  # PutEvents' limit


@dataclass(frozen=True)
class Entry:
    """One event: its detail-type and detail (JSON text)."""

    source: str
    detail_type: str
    detail: str


@cache
def events() -> Any:
    import boto3
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=2, read_timeout=5)
    return boto3.client("events", config=config)


def put(entries: Sequence[Entry]) -> list[bool]:
    """Put the entries on the bus; for each, whether EventBridge accepted it.

    A call that fails as a whole (throttled, unreachable) counts as every one of its entries failed:
    the caller retries them, and consumers deduplicate by the detail's id.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    bus = get_settings().event_bus_name
    if not bus:
        raise StoreUnavailable("no event bus is configured (EVENT_BUS_NAME)")
    accepted: list[bool] = []
    for start in range(0, len(entries), MAX_ENTRIES_PER_CALL):
        chunk = entries[start : start + MAX_ENTRIES_PER_CALL]
        request = [
            {"Source": e.source, "DetailType": e.detail_type, "Detail": e.detail, "EventBusName": bus} for e in chunk
        ]
        try:
            answer = events().put_events(Entries=request)
        except (ClientError, BotoCoreError):
            accepted.extend(False for _ in chunk)
            continue
        results = answer.get("Entries") or []
        if not answer.get("FailedEntryCount"):
            accepted.extend(True for _ in chunk)
            continue
        # Entries answer in request order; a failed one carries an ErrorCode.
        accepted.extend(
            position < len(results) and not results[position].get("ErrorCode") for position in range(len(chunk))
        )
    return accepted
