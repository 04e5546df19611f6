"""Integration instance items (API.md §13).

An instance is one item, pk `T#{tenant}#INT#{id}`, sk `INTEGRATION`, listed newest first through
the tenant's created index (`T#{tenant}#INTEGRATIONS`) and, per type, the organization-created
index (`T#{tenant}#INTEGRATIONS#{type}`). Its credentials are not here: the item names the
Secrets Manager secret version that holds them, and keeps only their masked form.
"""

from __future__ import annotations

from typing import Any

from clientele.store.kernel import keys, listing
from clientele.store.kernel.client import call, from_item, table_name, to_item, without_key_attributes
from clientele.store.kernel.errors import ItemChanged

INSTANCE_SK = "INTEGRATION"


def instance_key(tenant: str, instance_id: str) -> dict[str, str]:
    return {"pk": f"T#{tenant}#INT#{instance_id}", "sk": INSTANCE_SK}


def tenant_instances(tenant: str, instance_type: str | None = None) -> str:
    return f"T#{tenant}#INTEGRATIONS" + (f"#{instance_type}" if instance_type else "")


def _item(tenant: str, instance: dict[str, Any]) -> dict[str, Any]:
    return {
        **instance_key(tenant, instance["id"]),
        "entity": "integration",
        **instance,
        "tenant_list": tenant_instances(tenant),
        "org_list": tenant_instances(tenant, instance["type"]),
        "sort_created": keys.sort_value(instance["created_at"], instance["id"]),
    }


def _conditional(operation: str, params: dict[str, Any], tenant: str, instance_id: str) -> None:
    from botocore.exceptions import ClientError

    try:
        call(operation, TableName=table_name(), ReturnValuesOnConditionCheckFailure="ALL_OLD", **params)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        old: Any = error.response.get("Item")
        raise ItemChanged(without_key_attributes(from_item(old)) if old else None) from None


def insert(tenant: str, instance: dict[str, Any]) -> None:
    item = to_item(_item(tenant, instance))
    _conditional("put_item", {"Item": item, "ConditionExpression": "attribute_not_exists(pk)"}, tenant, instance["id"])


def replace(tenant: str, instance: dict[str, Any], expected_version: int) -> None:
    """Write the instance's new state if it is still at `expected_version` (ItemChanged if not)."""
    params = {
        "Item": to_item(_item(tenant, instance)),
        "ConditionExpression": "attribute_exists(pk) AND #version = :expected",
        "ExpressionAttributeNames": {"#version": "version"},
        "ExpressionAttributeValues": to_item({":expected": expected_version}),
    }
    _conditional("put_item", params, tenant, instance["id"])


def delete(tenant: str, instance_id: str, expected_version: int) -> None:
    params = {
        "Key": to_item(instance_key(tenant, instance_id)),
        "ConditionExpression": "attribute_exists(pk) AND #version = :expected",
        "ExpressionAttributeNames": {"#version": "version"},
        "ExpressionAttributeValues": to_item({":expected": expected_version}),
    }
    _conditional("delete_item", params, tenant, instance_id)


def load(tenant: str, instance_id: str) -> dict[str, Any] | None:
    answer = call(
        "get_item", TableName=table_name(), Key=to_item(instance_key(tenant, instance_id)), ConsistentRead=True
    )
    item = answer.get("Item")
    return without_key_attributes(from_item(item)) if item else None


def instances_query(tenant: str, instance_type: str | None) -> listing.IndexQuery:
    """Newest first: every instance (tenant-created index) or those of one type (org-created)."""
    if instance_type is None:
        return listing.IndexQuery(
            index="tenant-created",
            partition_attribute="tenant_list",
            sort_attribute="sort_created",
            partitions=(tenant_instances(tenant),),
            descending=True,
        )
    return listing.IndexQuery(
        index="org-created",
        partition_attribute="org_list",
        sort_attribute="sort_created",
        partitions=(tenant_instances(tenant, instance_type),),
        descending=True,
    )
