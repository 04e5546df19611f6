"""The search backfill's reads: customer items in table order (a one-off job's Scan), and its checkpoint.

The API never scans; a backfill over every customer written before the search index existed does,
once, a page at a time, keeping where it got to in a checkpoint item so that a stopped run resumes.
"""

from __future__ import annotations

from typing import Any

from clientele.store.kernel import keys
from clientele.store.kernel.client import call, from_item, table_name, to_attribute, to_item

CHECKPOINT_KEY = {"pk": "SEARCH#BACKFILL", "sk": "CHECKPOINT"}


def customers_page(
    start: dict[str, Any] | None, limit: int, tenant: str | None = None
) -> tuple[list[tuple[str, dict[str, Any]]], Any]:
    """Up to `limit` items scanned from `start`, the customers among them as (tenant, item), and where to go on.

    The position is the Scan's LastEvaluatedKey (None at the end of the table). With `tenant`, only
    that tenant's customers are returned (the Scan still reads the whole table).
    """
    condition = "sk = :customer"
    values = {":customer": to_attribute(keys.CUSTOMER_SK)}
    if tenant is not None:
        condition += " AND begins_with(pk, :tenant)"
        values[":tenant"] = to_attribute(keys.customer_pk(tenant, ""))
    params: dict[str, Any] = {
        "TableName": table_name(),
        "Limit": limit,
        "FilterExpression": condition,
        "ExpressionAttributeValues": values,
        "ConsistentRead": True,
    }
    if start is not None:
        params["ExclusiveStartKey"] = to_item(start)
    page = call("scan", **params)
    customers = []
    for raw in page.get("Items", []):
        item = from_item(raw)
        owner = keys.customer_of({"pk": str(item["pk"]), "sk": str(item["sk"])})
        if owner is not None:
            customers.append((owner[0], item))
    last = page.get("LastEvaluatedKey")
    return customers, (from_item(last) if last else None)


def load_checkpoint() -> dict[str, Any] | None:
    answer = call("get_item", TableName=table_name(), Key=to_item(CHECKPOINT_KEY), ConsistentRead=True)
    item = answer.get("Item")
    return from_item(item) if item else None


def save_checkpoint(values: dict[str, Any]) -> None:
    call("put_item", TableName=table_name(), Item=to_item({**CHECKPOINT_KEY, **values}))


def clear_checkpoint() -> None:
    call("delete_item", TableName=table_name(), Key=to_item(CHECKPOINT_KEY))
