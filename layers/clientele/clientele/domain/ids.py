"""Opaque, time-sortable ids: a type prefix and a ULID (48-bit ms timestamp + 80 random bits)."""

from __future__ import annotations

import os
import re
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_ULID = "[0-9A-HJKMNP-TV-Z]{26}"


def new_ulid(now_ms: int | None = None) -> str:
    timestamp = int(time.time() * 1000) if now_ms is None else now_ms
    value = (timestamp << 80) | int.from_bytes(os.urandom(10), "big")
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -5, -5))


def new_id(prefix: str, now_ms: int | None = None) -> str:
    return f"{prefix}_{new_ulid(now_ms)}"


def id_pattern(prefix: str) -> re.Pattern[str]:
    return re.compile(rf"{prefix}_{_ULID}")


CUSTOMER_ID = id_pattern("cus")
ADDRESS_ID = id_pattern("adr")


def is_customer_id(value: str) -> bool:
    return CUSTOMER_ID.fullmatch(value) is not None
