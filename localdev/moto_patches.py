"""Moto 5.2.5 fix-ups the local runner and the tests rely on.

``DynamoDBBackend.transact_write_items`` in moto deep-copies the *whole table* once per
transaction item to be able to roll back. With a few thousand items every transaction
takes longer than the request it serves. This replacement snapshots only the items the
transaction touches and restores exactly those when it is cancelled, keeping moto's
observable behaviour (limits, validation errors, cancellation reasons).

Item size: moto's ``LimitedSizeDict`` (an item's attributes) re-measures the whole item on
every attribute it sets, so building an item of n attributes costs n² size computations; a
customer item (about 50 attributes) took a millisecond of emulator time per write, which
swamped every request-count comparison. The replacement ``Item`` constructor makes the same
400 KB check over a running total, in linear time (updates keep moto's own check).

DynamoDB Streams: moto keeps every stream record of a table forever (old and new images of
every write), so a long local session or test run grows without bound. Like DynamoDB's
24-hour retention, the patched shard keeps the newest ``MAX_STREAM_RECORDS`` and reading from
before them starts at the oldest kept (DynamoDB would say the data was trimmed).

DynamoDB responses: moto's JSON serializer walks every attribute value of every item through
all ten members of the ``AttributeValue`` shape, about 25 ms of emulator time per customer item
read (a BatchGetItem of 100 customers took 2.5 s). Those values are already in their wire form
(``{"S": ...}``, nested ``M`` and ``L``) in moto's responses but for binary values, so they go out
with only those base64-encoded, as moto did before it had a serializer.

Queries: moto's ``Table.query`` starts from ``all_items()``, which lists and sorts every item of
the table, then keeps the queried partition (or, for an index, the items with its key). A Query
of one small partition cost O(table log table): at 20,000 customers, seconds. The patched query
hands moto only the queried partition for a base-table Query (the same items it would have kept)
and, for an index Query, every item unsorted (moto sorts the candidates by the index's keys
afterwards, with the table's keys breaking ties, so the result is the same).

S3 event notifications: moto URL-encodes the object key with ``quote_plus``, which also
turns ``/`` into ``%2F``; S3 form-encodes the key but leaves the slashes (``uploads/my+file.csv``).
"""

import base64
import copy
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

import moto.s3.notifications as s3_notifications
from moto.core.exceptions import JsonRESTError
from moto.core.serialize import BaseJSONSerializer
from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    ItemSizeTooLarge,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.table import StreamShard, Table
from moto.dynamodb.models.utilities import bytesize

MAX_TRANSACTION_ACTIONS = 100
_OPERATIONS = ("ConditionCheck", "Put", "Delete", "Update")
_PATCH_MARKER = "_localdev_item_snapshots"

MAX_STREAM_RECORDS = 50_000
_STREAM_TRIM = 5_000  # records dropped at once, so trimming is rare
_original_transact_write_items = DynamoDBBackend.transact_write_items
_original_stream_add = StreamShard.add
_original_stream_get = StreamShard.get
_original_item_init = Item.__init__
_original_json_structure = BaseJSONSerializer._serialize_type_structure
_original_query = Table.query
_original_all_items = Table.all_items
# moto's own bound: between DynamoDB's documented 400 KB and the 409-410 KB it really allows.
_ITEM_SIZE_LIMIT = 405_000


def _item_init(self: Item, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, Any]) -> None:
    """moto's Item constructor, with its 400 KB check done once over a running total."""
    self.hash_key = hash_key
    self.range_key = range_key
    self.attrs = LimitedSizeDict()
    size = 0
    for key, value in attrs.items():
        typed = DynamoType(value)
        size += bytesize(key) + typed.size()
        if size > _ITEM_SIZE_LIMIT:
            raise ItemSizeTooLarge
        dict.__setitem__(self.attrs, key, typed)


@dataclass
class _ItemSnapshot:
    """One touched item as it was before the transaction (``item`` None: it did not exist)."""

    table: Table
    hash_key: DynamoType
    range_key: DynamoType | None
    item: Item | None
    had_partition: bool
    # The sequence number the next stream record would get: records from it on are the transaction's.
    stream_end: int | None

    def restore(self) -> None:
        # Hash key -> item, or hash key -> range key -> item (moto types it as the latter only).
        items: dict[DynamoType, Any] = self.table.items
        if self.range_key is None:
            if self.item is None:
                items.pop(self.hash_key, None)
            else:
                items[self.hash_key] = self.item
        elif self.item is None:
            # .get, not [], so that the defaultdict does not grow an empty partition.
            partition = items.get(self.hash_key)
            if partition is not None:
                partition.pop(self.range_key, None)
                if not partition and not self.had_partition:
                    del items[self.hash_key]
        else:
            items[self.hash_key][self.range_key] = self.item
        shard = self.table.stream_shard
        if shard is not None and self.stream_end is not None:
            del shard.items[max(0, self.stream_end - shard.starting_sequence_number) :]


def _snapshot(table: Table, hash_key: DynamoType, range_key: DynamoType | None) -> _ItemSnapshot:
    current = table.get_item(hash_key, range_key)
    shard = table.stream_shard
    return _ItemSnapshot(
        table=table,
        hash_key=hash_key,
        range_key=range_key,
        item=copy.deepcopy(current) if current is not None else None,
        had_partition=hash_key in table.items,
        stream_end=shard.starting_sequence_number + len(shard.items) if shard is not None else None,
    )


def _action_key(table: Table, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        key: dict[str, Any] = op["Key"]
        return key
    attrs = op["Item"]
    key_names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    missing = [name for name in key_names if name not in attrs]
    if missing:
        raise MockValidationException(
            f"One or more parameter values were invalid: Missing the key {missing[0]} in the item"
        )
    return {name: attrs[name] for name in key_names}


def _apply(backend: DynamoDBBackend, op_type: str, op: dict[str, Any], key: dict[str, Any]) -> None:
    """Perform one action whose condition already held, through moto's own write paths."""
    table_name = op["TableName"]
    # Either may be absent (None), as in moto's own transactions.
    expressions: dict[str, Any] = {
        "expression_attribute_names": op.get("ExpressionAttributeNames"),
        "expression_attribute_values": op.get("ExpressionAttributeValues"),
    }
    if op_type == "Put":
        backend.put_item(table_name, op["Item"], **expressions)
    elif op_type == "Delete":
        backend.delete_item(table_name, key, **expressions)
    elif op_type == "Update":
        backend.update_item(table_name, key, update_expression=op["UpdateExpression"], **expressions)


def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    if len(transact_items) > MAX_TRANSACTION_ACTIONS:
        raise TooManyTransactionsException()

    snapshots: list[_ItemSnapshot] = []
    seen: set[tuple[str, DynamoType, DynamoType | None]] = set()
    # One entry per action: (code, message, item); (None, None, None) for actions that passed.
    reasons: list[tuple[str, str, dict[str, Any] | None] | tuple[None, None, None]] = []

    def roll_back() -> None:
        for snapshot in reversed(snapshots):
            snapshot.restore()

    for action in transact_items:
        old_item: dict[str, Any] | None = None
        try:
            if len(action) != 1:
                raise TransactWriteSingleOpException()
            op_type, op = next(iter(action.items()))
            if op_type not in _OPERATIONS:
                raise MockValidationException(f"Unsupported transaction operation: {op_type}")
            table_name = op["TableName"]
            table = self.get_table(table_name)
            key = _action_key(table, op_type, op)
            hash_key, range_key = self.get_keys_value(table, key)
            identity = (table.name, hash_key, range_key)
            if identity in seen:
                raise MultipleTransactionsException()
            seen.add(identity)

            current = table.get_item(hash_key, range_key)
            condition = get_filter_expression(
                op.get("ConditionExpression"),
                op.get("ExpressionAttributeNames"),
                op.get("ExpressionAttributeValues"),
            )
            if not condition.expr(current):
                if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current is not None:
                    old_item = current.to_json()["Attributes"]
                raise ConditionalCheckFailed(item=old_item)

            if op_type != "ConditionCheck":
                snapshots.append(_snapshot(table, hash_key, range_key))
                _apply(self, op_type, op, key)
            reasons.append((None, None, None))
        except MockValidationException:
            # A malformed request fails as a whole and writes nothing.
            roll_back()
            raise
        except ConditionalCheckFailed as failed:
            reasons.append(("ConditionalCheckFailed", str(failed.message), old_item))
        except JsonRESTError as error:
            # Like moto: any other service error (e.g. an unknown table) cancels with that reason.
            reasons.append((error.error_type.rpartition("#")[2], str(error.message), None))
        except Exception:
            # A bug must not leave half a transaction behind; the error still propagates.
            roll_back()
            raise

    if any(code is not None for code, _, _ in reasons):
        roll_back()
        raise TransactionCanceledException(reasons)


def _stream_add(self: StreamShard, old: Item | None, new: Item | None) -> None:
    """moto's StreamShard.add, keeping at most about MAX_STREAM_RECORDS records (the newest)."""
    _original_stream_add(self, old, new)
    if len(self.items) > MAX_STREAM_RECORDS + _STREAM_TRIM:
        del self.items[:_STREAM_TRIM]
        self.starting_sequence_number += _STREAM_TRIM


def _stream_get(self: StreamShard, start: int, quantity: int) -> list[dict[str, Any]]:
    """moto's StreamShard.get; a position in the trimmed past reads from the oldest record kept."""
    return _original_stream_get(self, max(start, self.starting_sequence_number), quantity)


def _binary(value: Any) -> Any:
    return base64.b64encode(value).decode() if isinstance(value, bytes) else value


def _wire_value(value: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB attribute value as moto holds it, in its JSON wire form (binary values base64-encoded)."""
    wire: dict[str, Any] = {}
    for kind, inner in value.items():
        if kind == "B":
            wire[kind] = _binary(inner)
        elif kind == "BS":
            wire[kind] = [_binary(item) for item in inner]
        elif kind == "M":
            wire[kind] = {name: _wire_value(item) for name, item in inner.items()}
        elif kind == "L":
            wire[kind] = [_wire_value(item) for item in inner]
        else:
            wire[kind] = inner
    return wire


def _json_structure(self: BaseJSONSerializer, serialized: Any, value: Any, shape: Any, key: str) -> None:
    """moto's JSON structure serializer, except for DynamoDB attribute values: in wire form already."""
    if shape.name == "AttributeValue" and isinstance(value, dict):
        self._default_serialize(serialized, _wire_value(value), shape, key)
        return
    _original_json_structure(self, serialized, value, shape, key)


_query_scope = threading.local()  # what `all_items` may leave out, while a query of this thread runs
_EVERY_UNSORTED = object()


def _query(self: Table, hash_key: DynamoType | None, *args: Any, **kwargs: Any) -> Any:
    index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
    _query_scope.partition = hash_key if index_name is None and hash_key is not None else _EVERY_UNSORTED
    try:
        return _original_query(self, hash_key, *args, **kwargs)
    finally:
        del _query_scope.partition


def _all_items(self: Table) -> list[Item]:
    partition = getattr(_query_scope, "partition", None)
    if partition is None:  # not within a query (a scan pages through the sorted table)
        return _original_all_items(self)
    if partition is _EVERY_UNSORTED:
        if not self.range_key_attr:
            return list(self.items.values())  # type: ignore[arg-type]  # hash-only tables map hash → item
        return [item for hash_set in self.items.values() for item in hash_set.values()]
    found = self.items.get(partition)
    if found is None:
        return []
    return list(found.values()) if self.range_key_attr else [found]  # type: ignore[list-item]  # as above


def s3_event_key(key: str, safe: str = "/", *args: Any, **kwargs: Any) -> str:
    """Form-encode an object key as S3 notifications do: spaces as ``+``, slashes kept."""
    return quote_plus(key, safe, *args, **kwargs)


def install() -> None:
    """Apply the fix-ups (idempotent)."""
    s3_notifications.quote_plus = s3_event_key  # type: ignore[attr-defined, assignment]  # patching a name moto imports (ours: str keys only)
    Item.__init__ = _item_init  # type: ignore[method-assign]  # a monkeypatch
    StreamShard.add = _stream_add  # type: ignore[method-assign]  # a monkeypatch
    StreamShard.get = _stream_get  # type: ignore[method-assign]  # a monkeypatch
    BaseJSONSerializer._serialize_type_structure = _json_structure  # type: ignore[method-assign]  # a monkeypatch
    Table.query = _query  # type: ignore[method-assign]  # a monkeypatch
    Table.all_items = _all_items  # type: ignore[method-assign]  # a monkeypatch
    if getattr(DynamoDBBackend.transact_write_items, _PATCH_MARKER, False):
        return
    setattr(transact_write_items, _PATCH_MARKER, True)
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]  # a monkeypatch


def uninstall() -> None:
    """Put moto's own implementations back (the benchmark compares both)."""
    s3_notifications.quote_plus = quote_plus  # type: ignore[attr-defined]  # moto imports it without re-exporting
    Item.__init__ = _original_item_init  # type: ignore[method-assign]  # undoing the monkeypatch
    StreamShard.add = _original_stream_add  # type: ignore[method-assign]  # undoing the monkeypatch
    StreamShard.get = _original_stream_get  # type: ignore[method-assign]  # undoing the monkeypatch
    BaseJSONSerializer._serialize_type_structure = _original_json_structure  # type: ignore[method-assign]  # undoing it
    Table.query = _original_query  # type: ignore[method-assign]  # undoing the monkeypatch
    Table.all_items = _original_all_items  # type: ignore[method-assign]  # undoing the monkeypatch
    DynamoDBBackend.transact_write_items = _original_transact_write_items  # type: ignore[method-assign]  # undoing it


def installed() -> bool:
    return bool(getattr(DynamoDBBackend.transact_write_items, _PATCH_MARKER, False))
