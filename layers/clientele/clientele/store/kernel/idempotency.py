"""Powertools Idempotency records in the single table.

Keys follow the table's layout: pk = T#{tenant}#IDEM#{operation}#{hash of the
Idempotency-Key}, sk = IDEM, with the TTL attribute `expires_at`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from clientele.store.kernel.client import dynamodb, table_name

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

IDEMPOTENCY_SK = "IDEM"
_KEY_ATTRIBUTE, _SORT_KEY_ATTRIBUTE = "pk", "sk"


class TenantIdempotencyStore(DynamoDBPersistenceLayer):
    """Powertools' DynamoDB layer with one partition per idempotency record (no hot static partition)."""

    def _get_key(self, idempotency_key: str) -> dict[str, AttributeValueTypeDef]:
        return {_KEY_ATTRIBUTE: {"S": idempotency_key}, _SORT_KEY_ATTRIBUTE: {"S": IDEMPOTENCY_SK}}


def idempotency_store() -> TenantIdempotencyStore:
    return TenantIdempotencyStore(
        table_name=table_name(),
        key_attr=_KEY_ATTRIBUTE,
        sort_key_attr=_SORT_KEY_ATTRIBUTE,
        expiry_attr="expires_at",
        boto3_client=dynamodb(),
    )


def key_prefix(tenant: str, operation: str) -> str:
    return f"T#{tenant}#IDEM#{operation}"
