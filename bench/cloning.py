"""Big tenants built fast for benchmarks: customer items cloned from one made through the service."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


def put_and_follow(aws: Any, items: Iterable[dict[str, Any]], follow: Callable[[dict[str, Any]], Any]) -> None:
    """Write the items with BatchWriteItem (25 a call), then `follow` each, as the stream function would."""
    from boto3.dynamodb.types import TypeSerializer

    serializer = TypeSerializer()
    batch: list[dict[str, Any]] = []
    for item in items:
        batch.append(item)
        if len(batch) == 25:
            _put(aws, batch, serializer, follow)
            batch = []
    if batch:
        _put(aws, batch, serializer, follow)


def _put(aws: Any, batch: list[dict[str, Any]], serializer: Any, follow: Callable[[dict[str, Any]], Any]) -> None:
    requests = [{"PutRequest": {"Item": {k: serializer.serialize(v) for k, v in i.items()}}} for i in batch]
    aws.clients.dynamodb.batch_write_item(RequestItems={aws.table: requests})
    for written in batch:
        follow(written)
