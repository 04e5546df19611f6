"""The process-wide DynamoDB client and attribute (de)serialization.

boto3 is imported on first use, not at import time, so handler modules load
quickly; the client is created once per process and reused (thread-safe).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

from clientele.config import get_settings
from clientele.store.kernel.errors import StoreUnavailable

if TYPE_CHECKING:
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef


@cache
def dynamodb() -> DynamoDBClient:
    import boto3
    from botocore.config import Config

    # Requests are built by this module's code, and DynamoDB validates them anyway: botocore's own
    # validation pass costs as much CPU as serializing a 100-action import transaction.
    config = Config(
        retries={"mode": "standard", "max_attempts": 4}, connect_timeout=2, read_timeout=5, parameter_validation=False
    )
    return boto3.client("dynamodb", config=config)


def table_name() -> str:
    return get_settings().table_name


@cache
def _serializer() -> TypeSerializer:
    from boto3.dynamodb.types import TypeSerializer

    return TypeSerializer()


@cache
def _deserializer() -> TypeDeserializer:
    from boto3.dynamodb.types import TypeDeserializer

    return TypeDeserializer()


def _storable(value: Any) -> Any:
    """DynamoDB numbers are decimals: floats (e.g. a job's progress) go in as their shortest repr."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {key: _storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_storable(item) for item in value]
    return value


def to_attribute(value: Any) -> AttributeValueTypeDef:
    # The common types directly (imports serialize hundreds of thousands of values); the rest
    # (decimals, floats, sets, bytes) through boto3's serializer.
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if value is None:
        return {"NULL": True}
    if isinstance(value, list):
        return {"L": [to_attribute(item) for item in value]}
    if isinstance(value, dict):
        return {"M": {str(key): to_attribute(item) for key, item in value.items()}}
    return _serializer().serialize(_storable(value))


def to_item(values: Mapping[str, Any]) -> dict[str, AttributeValueTypeDef]:
    """Python values -> DynamoDB attribute map. None values are left out (absent means unset)."""
    return {name: to_attribute(value) for name, value in values.items() if value is not None}


def plain_value(value: Any) -> Any:
    """A deserialized DynamoDB value as plain Python (integral numbers as int, other decimals as float)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: plain_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain_value(item) for item in value]
    if isinstance(value, set):
        return {plain_value(item) for item in value}
    return value


def from_item(item: Mapping[str, AttributeValueTypeDef]) -> dict[str, Any]:
    """DynamoDB attribute map -> Python values (integral numbers as int)."""
    deserialize = _deserializer().deserialize
    return {name: plain_value(deserialize(value)) for name, value in item.items()}


# Attributes that only the store writes: never part of what the domain reads back.
KEY_ATTRIBUTES = frozenset(
    {
        "pk",
        "sk",
        "tenant_list",
        "org_list",
        "sort_name",
        "sort_code",
        "sort_created",
        "sort_updated",
        "postal_key",
        "postal_sort",
        "lookup_key",
        "lookup_sort",
    }
)


def without_key_attributes(item: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in item.items() if name not in KEY_ATTRIBUTES}


def call(operation: str, **params: Any) -> dict[str, Any]:
    """A DynamoDB API call; throttling and connection failures become StoreUnavailable.

    The operation is named at run time, so its parameters and answer are plain dicts to the type checker.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        answer: dict[str, Any] = getattr(dynamodb(), operation)(**params)
        return answer
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}:
            raise StoreUnavailable(code) from error
        raise
    except BotoCoreError as error:
        raise StoreUnavailable(type(error).__name__) from error


def batch_get(request_keys: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Items by key with BatchGetItem (100 keys per call), strongly consistent; retries unprocessed keys."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(request_keys), 100):
        request = {
            table_name(): {"Keys": [to_item(key) for key in request_keys[start : start + 100]], "ConsistentRead": True}
        }
        for attempt in range(8):
            answer = call("batch_get_item", RequestItems=request)
            found.extend(from_item(item) for item in answer.get("Responses", {}).get(table_name(), []))
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                break
            time.sleep(min(0.05 * 2**attempt, 1.0))
        else:
            raise StoreUnavailable("BatchGetItem left keys unprocessed")
    return found
