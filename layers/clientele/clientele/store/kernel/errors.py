"""What the store reports when a conditional write loses; clientele.domain turns these into API errors."""

from __future__ import annotations

from typing import Any


class StoreError(Exception):
    """Base of the store's own errors (never a botocore ClientError)."""


class UniqueValueTaken(StoreError):
    def __init__(self, field: str, holder_id: str | None) -> None:
        super().__init__(f"unique value for {field} is held by {holder_id}")
        self.field = field
        self.holder_id = holder_id


class ItemChanged(StoreError):
    """The item's condition failed; `current` is the item as it is now (None when it no longer exists)."""

    def __init__(self, current: dict[str, Any] | None) -> None:
        super().__init__("item changed or vanished")
        self.current = current


class LinkedRecordsExist(StoreError):
    """A hard delete found ledger records linked to the customer; `current` holds its counters."""

    def __init__(self, current: dict[str, Any]) -> None:
        super().__init__("customer has linked records")
        self.current = current


class ConditionNotMet(StoreError):
    """A ConditionCheck on another item (e.g. an address that must exist) failed."""

    def __init__(self, tag: str) -> None:
        super().__init__(f"condition on {tag} not met")
        self.tag = tag


class StoreUnavailable(StoreError):
    """DynamoDB could not be reached or throttled us beyond the SDK's retries."""
