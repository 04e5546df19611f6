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
SKU_MAPPING_ID = id_pattern("skm")
ORDER_ID = id_pattern("ord")
CREDIT_ID = id_pattern("crd")
ALLOCATION_ID = id_pattern("alc")


def is_customer_id(value: str) -> bool:
    return CUSTOMER_ID.fullmatch(value) is not None


def derived_id(prefix: str, *parts: str) -> str:
    """A stable id for a thing named by `parts` (the same parts always give the same id).

    Not time-sortable: used where idempotence matters more (a job per S3 object version).
    """
    import hashlib

    digest = int.from_bytes(hashlib.sha256("\x00".join(parts).encode()).digest()[:17], "big") >> 6
    return f"{prefix}_" + "".join(_CROCKFORD[(digest >> shift) & 31] for shift in range(125, -5, -5))
