"""TransactWriteItems with tagged actions, so a cancellation says which rule lost."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from clientele.store.kernel.client import dynamodb, from_item, table_name, to_attribute, to_item
from clientele.store.kernel.errors import StoreError, StoreUnavailable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import (
        AttributeValueTypeDef,
        TransactWriteItemTypeDef,
    )

MAX_ACTIONS = 100
_CONFLICT_RETRIES = 3
_UNAVAILABLE = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "InternalServerError"}
)


@dataclass(frozen=True)
class Failure:
    tag: str
    code: str
    # The item as it was when the condition failed (for actions that asked for it); None if absent.
    item: dict[str, Any] | None


class TransactionCancelled(StoreError):
    def __init__(self, failures: list[Failure]) -> None:
        super().__init__(", ".join(f"{failure.tag}: {failure.code}" for failure in failures))
        self.failures = failures

    def failure(self, tag_prefix: str) -> Failure | None:
        return next((failure for failure in self.failures if failure.tag.startswith(tag_prefix)), None)


class _Conditions(TypedDict, total=False):
    """What every kind of action may add to its key or item."""

    ConditionExpression: str
    ExpressionAttributeNames: Mapping[str, str]
    ExpressionAttributeValues: Mapping[str, AttributeValueTypeDef]
    ReturnValuesOnConditionCheckFailure: Literal["ALL_OLD"]


def _conditions(
    condition: str | None, names: dict[str, str] | None, values: dict[str, Any] | None, return_old: bool
) -> _Conditions:
    params: _Conditions = {}
    if condition:
        params["ConditionExpression"] = condition
    if names:
        params["ExpressionAttributeNames"] = names
    if values:
        params["ExpressionAttributeValues"] = {name: to_attribute(value) for name, value in values.items()}
    if return_old:
        params["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    return params


class Transaction:
    """Collects Put/Update/Delete/ConditionCheck actions; `execute()` runs them atomically."""

    def __init__(self) -> None:
        self._actions: list[TransactWriteItemTypeDef] = []
        self._tags: list[str] = []
        self._keys: list[tuple[str, str]] = []  # the (pk, sk) each action touches

    def __len__(self) -> int:
        return len(self._actions)

    def _add(self, action: TransactWriteItemTypeDef, tag: str, key: Mapping[str, Any]) -> None:
        self._actions.append(action)
        self._tags.append(tag)
        self._keys.append((key["pk"], key["sk"]))

    def put(
        self,
        item: dict[str, Any],
        *,
        tag: str,
        condition: str | None = None,
        names: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
        return_old: bool = False,
    ) -> None:
        conditions = _conditions(condition, names, values, return_old)
        self._add({"Put": {"TableName": table_name(), "Item": to_item(item), **conditions}}, tag, item)

    def update(
        self,
        key: dict[str, str],
        *,
        tag: str,
        update: str,
        condition: str | None = None,
        names: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
        return_old: bool = False,
    ) -> None:
        conditions = _conditions(condition, names, values, return_old)
        self._add(
            {"Update": {"TableName": table_name(), "Key": to_item(key), "UpdateExpression": update, **conditions}},
            tag,
            key,
        )

    def delete(
        self,
        key: dict[str, str],
        *,
        tag: str,
        condition: str | None = None,
        names: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
        return_old: bool = False,
    ) -> None:
        conditions = _conditions(condition, names, values, return_old)
        self._add({"Delete": {"TableName": table_name(), "Key": to_item(key), **conditions}}, tag, key)

    def item_keys(self) -> set[tuple[str, str]]:
        """The (pk, sk) of every item the actions touch (a transaction may touch an item only once)."""
        return set(self._keys)

    def absorb(self, unit: Transaction, prefix: str) -> None:
        """Add another transaction's actions, their tags prefixed (to tell whose action failed)."""
        self._actions.extend(unit._actions)
        self._tags.extend(prefix + tag for tag in unit._tags)
        self._keys.extend(unit._keys)

    def check(
        self,
        key: dict[str, str],
        *,
        tag: str,
        condition: str,
        names: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
    ) -> None:
        conditions = _conditions(None, names, values, return_old=False)
        self._add(
            {
                "ConditionCheck": {
                    "TableName": table_name(),
                    "Key": to_item(key),
                    "ConditionExpression": condition,
                    **conditions,
                }
            },
            tag,
            key,
        )

    def execute(self) -> None:
        """Run the actions atomically. Raises TransactionCancelled naming each failed action's tag.

        A cancellation caused only by concurrent transactions on the same items
        (TransactionConflict) is retried: the conditions are evaluated afresh.
        """
        from botocore.exceptions import BotoCoreError, ClientError

        if len(self._actions) > MAX_ACTIONS:
            raise ValueError(f"a transaction holds at most {MAX_ACTIONS} actions, got {len(self._actions)}")
        for attempt in range(_CONFLICT_RETRIES + 1):
            try:
                dynamodb().transact_write_items(TransactItems=self._actions)
                return
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                if code in _UNAVAILABLE:
                    raise StoreUnavailable(code) from error
                if code != "TransactionCanceledException":
                    raise
                failures = self._failures(error.response.get("CancellationReasons", []))
                only_conflicts = failures and all(f.code == "TransactionConflict" for f in failures)
                if not only_conflicts or attempt == _CONFLICT_RETRIES:
                    raise TransactionCancelled(failures) from None
                time.sleep(0.01 * 2**attempt)
            except BotoCoreError as error:
                raise StoreUnavailable(type(error).__name__) from error

    def _failures(self, reasons: Sequence[Mapping[str, Any]]) -> list[Failure]:
        # Mapping: the stubs type a reason's Item as one attribute, where DynamoDB sends the item.
        failures = []
        for tag, reason in zip(self._tags, reasons, strict=False):
            code = reason.get("Code") or "None"
            if code != "None":
                item = reason.get("Item")
                failures.append(Failure(tag=tag, code=code, item=from_item(item) if item else None))
        return failures


def run_units(units: dict[str, Transaction]) -> dict[str, TransactionCancelled]:
    """Commit many independent units (each all-or-nothing) in as few transactions as fit 100 actions.

    Units are packed in order; when a packed transaction is cancelled, the units
    whose actions failed are set aside with their failures and the rest of the
    pack is committed again without them. Returns the cancellations by unit key.
    """
    failed: dict[str, TransactionCancelled] = {}
    pending = [key for key, unit in units.items() if len(unit)]
    while pending:
        pack: list[str] = []
        size = 0
        for key in pending:
            if pack and size + len(units[key]) > MAX_ACTIONS:
                break
            pack.append(key)
            size += len(units[key])
        combined = Transaction()
        for key in pack:
            combined.absorb(units[key], prefix=f"{key}|")
        try:
            combined.execute()
        except TransactionCancelled as cancelled:
            losers: dict[str, list[Failure]] = {}
            for failure in cancelled.failures:
                key, _, tag = failure.tag.partition("|")
                losers.setdefault(key, []).append(Failure(tag=tag, code=failure.code, item=failure.item))
            if not losers:
                raise
            failed.update({key: TransactionCancelled(failures) for key, failures in losers.items()})
            pending = [key for key in pending if key not in failed]
            continue
        pending = pending[len(pack) :]
    return failed
