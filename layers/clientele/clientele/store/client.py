"""The process-wide DynamoDB client and attribute (de)serialization.

boto3 is imported on first use, not at import time, so handler modules load
quickly; the client is created once per process and reused (thread-safe).
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

from clientele.config import get_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


@cache
def dynamodb() -> DynamoDBClient:
    import boto3
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=2, read_timeout=5)
    return boto3.client("dynamodb", config=config)


def table_name() -> str:
    return get_settings().table_name


@cache
def _serializer():
    from boto3.dynamodb.types import TypeSerializer

    return TypeSerializer()


@cache
def _deserializer():
    from boto3.dynamodb.types import TypeDeserializer

    return TypeDeserializer()


def to_attribute(value: Any) -> dict[str, Any]:
    return _serializer().serialize(value)


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    """Python values -> DynamoDB attribute map. None values are left out (absent means unset)."""
    return {name: to_attribute(value) for name, value in values.items() if value is not None}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, set):
        return {_plain(item) for item in value}
    return value


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB attribute map -> Python values (integral numbers as int)."""
    deserialize = _deserializer().deserialize
    return {name: _plain(deserialize(value)) for name, value in item.items()}
