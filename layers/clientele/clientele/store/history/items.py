"""History items: one per customer version, in the customer's own partition.

The sort key is `HISTORY#{version:012d}`, so a Query in descending order reads the newest versions
first, and nothing under `CUSTOMER` (which `store.customers.items.load` reads with begins_with) is
ever one of them. Each is put once (conditioned on not existing): a redelivered stream record
writes nothing. After a hard delete they get the table's TTL attribute (`expires_at`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clientele.store.kernel import keys
from clientele.store.kernel.client import call, from_item, table_name, to_attribute, to_item

HISTORY_SK_PREFIX = "HISTORY#"
TTL_ATTRIBUTE = "expires_at"


def history_key(tenant: str, customer_id: str, version: int) -> dict[str, str]:
    return {"pk": keys.customer_pk(tenant, customer_id), "sk": f"{HISTORY_SK_PREFIX}{version:012d}"}


def put_once(tenant: str, customer_id: str, entry: dict[str, Any]) -> bool:
    """Write the entry of `entry["version"]` unless it exists; True when written."""
    from botocore.exceptions import ClientError

    item = {**history_key(tenant, customer_id, entry["version"]), "entity": "history", **entry}
    try:
        call("put_item", TableName=table_name(), Item=to_item(item), ConditionExpression="attribute_not_exists(pk)")
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


@dataclass(frozen=True)
class Page:
    entries: list[dict[str, Any]]
    has_more: bool


def page(tenant: str, customer_id: str, before_version: int | None, limit: int) -> Page:
    """Up to `limit` entries, newest first, of versions below `before_version` (None: from the newest).

    One Query asking for one more than `limit`, so `has_more` is exact.
    """
    values: dict[str, Any] = {
        ":pk": to_attribute(keys.customer_pk(tenant, customer_id)),
        ":low": to_attribute(HISTORY_SK_PREFIX),
    }
    if before_version is None:
        condition = "pk = :pk AND begins_with(sk, :low)"
    else:
        condition = "pk = :pk AND sk BETWEEN :low AND :high"
        values[":high"] = to_attribute(history_key(tenant, customer_id, before_version - 1)["sk"])
    answer = call(
        "query",
        TableName=table_name(),
        KeyConditionExpression=condition,
        ExpressionAttributeValues=values,
        ScanIndexForward=False,
        Limit=limit + 1,
        ConsistentRead=True,
    )
    entries = [from_item(item) for item in answer.get("Items", [])]
    return Page(entries=entries[:limit], has_more=len(entries) > limit or "LastEvaluatedKey" in answer)


def expire(tenant: str, customer_id: str, expires_at: int) -> int:
    """Give every history item of the customer that has none the TTL `expires_at` (epoch seconds).

    Items that have one already are skipped, so a redelivered removal writes nothing; each update is
    conditioned on the item still existing (TTL may have removed it). Returns how many were written.
    """
    from botocore.exceptions import ClientError

    params: dict[str, Any] = {
        "TableName": table_name(),
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
        "ExpressionAttributeValues": {
            ":pk": to_attribute(keys.customer_pk(tenant, customer_id)),
            ":prefix": to_attribute(HISTORY_SK_PREFIX),
        },
        "ProjectionExpression": "pk, sk, #ttl",
        "ExpressionAttributeNames": {"#ttl": TTL_ATTRIBUTE},
        "ConsistentRead": True,
    }
    written = 0
    while True:
        answer = call("query", **params)
        for item in answer.get("Items", []):
            if TTL_ATTRIBUTE in item:
                continue
            try:
                call(
                    "update_item",
                    TableName=table_name(),
                    Key={"pk": item["pk"], "sk": item["sk"]},
                    UpdateExpression="SET #ttl = :at",
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeNames={"#ttl": TTL_ATTRIBUTE},
                    ExpressionAttributeValues={":at": to_attribute(expires_at)},
                )
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise
                continue
            written += 1
        if "LastEvaluatedKey" not in answer:
            return written
        params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
