"""Powertools Idempotency records in the single table.

Keys follow the table's layout: pk = T#{tenant}#IDEM#{operation}#{hash of the
Idempotency-Key}, sk = IDEM, with the TTL attribute `expires_at`.
"""

from __future__ import annotations

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from clientele.store.kernel.client import dynamodb, table_name

IDEMPOTENCY_SK = "IDEM"


class TenantIdempotencyStore(DynamoDBPersistenceLayer):
    """Powertools' DynamoDB layer with one partition per idempotency record (no hot static partition)."""

    def _get_key(self, idempotency_key: str) -> dict:
        return {self.key_attr: {"S": idempotency_key}, self.sort_key_attr: {"S": IDEMPOTENCY_SK}}


def idempotency_store() -> TenantIdempotencyStore:
    return TenantIdempotencyStore(
        table_name=table_name(),
        key_attr="pk",
        sort_key_attr="sk",
        expiry_attr="expires_at",
        boto3_client=dynamodb(),
    )


def key_prefix(tenant: str, operation: str) -> str:
    return f"T#{tenant}#IDEM#{operation}"
