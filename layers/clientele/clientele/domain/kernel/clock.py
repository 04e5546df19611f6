"""Timestamps (RFC 3339 UTC with milliseconds and `Z`) and request deadlines."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def now_timestamp() -> str:
    return timestamp(now())


@dataclass(frozen=True)
class Deadline:
    """When work must stop (on the monotonic clock) so that the answer still goes out in time.

    A Lambda that runs past its timeout answers nothing (API Gateway turns that into a 500), so
    work of unbounded length (counting a tenant's customers, say) stops here and says so.
    """

    at: float

    @classmethod
    def within(cls, remaining_ms: int, reserve_ms: int) -> Deadline:
        """`remaining_ms` from now (the Lambda's time left), less `reserve_ms` kept for answering."""
        return cls(time.monotonic() + max(0, remaining_ms - reserve_ms) / 1000)

    @classmethod
    def none(cls) -> Deadline:
        return cls(float("inf"))

    def passed(self) -> bool:
        return time.monotonic() >= self.at
