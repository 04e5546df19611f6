"""The item-level transaction rollback that replaces moto's whole-table copies."""

from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models.table import Table

from localdev import moto_patches

TABLE = "tx-test"
HASH_ONLY = "tx-hash-only"


@pytest.fixture
def dynamodb(aws_env: None) -> Iterator:
    moto_patches.install()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
        )
        client.create_table(
            TableName=HASH_ONLY,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        )
        yield client


def key(pk: str, sk: str = "A") -> dict:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def item(pk: str, sk: str = "A", **attrs: str) -> dict:
    return {**key(pk, sk), **{name: {"S": value} for name, value in attrs.items()}}


def put(pk: str, sk: str = "A", condition: str | None = None, all_old: bool = False, **attrs: str) -> dict:
    action: dict = {"TableName": TABLE, "Item": item(pk, sk, **attrs)}
    if condition:
        action["ConditionExpression"] = condition
    if all_old:
        action["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    return {"Put": action}


def scan(client) -> list[dict]:
    return sorted(client.scan(TableName=TABLE)["Items"], key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def test_install_is_idempotent_and_replaces_moto() -> None:
    moto_patches.install()
    moto_patches.install()
    assert moto_patches.installed()
    from moto.dynamodb.models import DynamoDBBackend

    assert DynamoDBBackend.transact_write_items is moto_patches.transact_write_items


def test_successful_transaction_writes_everything(dynamodb) -> None:
    dynamodb.put_item(TableName=TABLE, Item=item("upd", v="1"))
    dynamodb.put_item(TableName=TABLE, Item=item("del", v="1"))
    dynamodb.put_item(TableName=TABLE, Item=item("chk", v="1"))
    dynamodb.transact_write_items(
        TransactItems=[
            put("new", v="n", condition="attribute_not_exists(pk)"),
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": key("upd"),
                    "UpdateExpression": "SET v = :v",
                    "ConditionExpression": "v = :old",
                    "ExpressionAttributeValues": {":v": {"S": "2"}, ":old": {"S": "1"}},
                }
            },
            {"Delete": {"TableName": TABLE, "Key": key("del")}},
            {
                "ConditionCheck": {
                    "TableName": TABLE,
                    "Key": key("chk"),
                    "ConditionExpression": "attribute_exists(pk)",
                },
            },
        ]
    )
    assert scan(dynamodb) == [item("chk", v="1"), item("new", v="n"), item("upd", v="2")]


def test_cancelled_transaction_restores_every_touched_item(dynamodb) -> None:
    dynamodb.put_item(TableName=TABLE, Item=item("upd", v="1", extra="keep"))
    dynamodb.put_item(TableName=TABLE, Item=item("del", v="1"))
    dynamodb.put_item(TableName=TABLE, Item=item("guard", customer_id="cus_1"))
    dynamodb.put_item(TableName=TABLE, Item=item("replaced", v="old"))
    before = scan(dynamodb)

    with pytest.raises(ClientError) as cancelled:
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": key("upd"),
                        "UpdateExpression": "SET v = :v REMOVE extra",
                        "ExpressionAttributeValues": {":v": {"S": "2"}},
                    }
                },
                {"Delete": {"TableName": TABLE, "Key": key("del")}},
                put("fresh", v="new"),
                put("replaced", v="new"),
                # New item in an existing partition and in a new partition.
                put("upd", "B", v="x"),
                put("guard", customer_id="cus_2", condition="attribute_not_exists(pk)", all_old=True),
            ]
        )

    error = cancelled.value.response
    assert error["Error"]["Code"] == "TransactionCanceledException"
    reasons = error["CancellationReasons"]
    assert [reason["Code"] for reason in reasons] == ["None"] * 5 + ["ConditionalCheckFailed"]
    assert reasons[5]["Item"] == item("guard", customer_id="cus_1")
    assert scan(dynamodb) == before


def test_condition_failure_without_all_old_has_no_item(dynamodb) -> None:
    dynamodb.put_item(TableName=TABLE, Item=item("guard", customer_id="cus_1"))
    with pytest.raises(ClientError) as cancelled:
        dynamodb.transact_write_items(TransactItems=[put("guard", condition="attribute_not_exists(pk)")])
    (reason,) = cancelled.value.response["CancellationReasons"]
    assert reason["Code"] == "ConditionalCheckFailed"
    assert "Item" not in reason


def test_condition_check_failure_on_a_missing_item(dynamodb) -> None:
    with pytest.raises(ClientError) as cancelled:
        dynamodb.transact_write_items(
            TransactItems=[
                put("a"),
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": key("absent"),
                        "ConditionExpression": "attribute_exists(pk)",
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
            ]
        )
    reasons = cancelled.value.response["CancellationReasons"]
    assert [reason["Code"] for reason in reasons] == ["None", "ConditionalCheckFailed"]
    assert "Item" not in reasons[1]
    assert scan(dynamodb) == []


def test_same_item_twice_is_a_validation_error_and_writes_nothing(dynamodb) -> None:
    with pytest.raises(ClientError) as invalid:
        dynamodb.transact_write_items(
            TransactItems=[
                put("other", v="1"),
                put("dup", v="1"),
                {"Delete": {"TableName": TABLE, "Key": key("dup")}},
            ]
        )
    assert invalid.value.response["Error"]["Code"] == "ValidationException"
    assert "multiple operations on one item" in invalid.value.response["Error"]["Message"]
    assert scan(dynamodb) == []


def test_more_than_100_actions_is_refused(dynamodb) -> None:
    with pytest.raises(ClientError) as invalid:
        dynamodb.transact_write_items(TransactItems=[put(f"k{i}") for i in range(101)])
    assert invalid.value.response["Error"]["Code"] == "ValidationException"
    assert "less than or equal to 100" in invalid.value.response["Error"]["Message"]
    assert scan(dynamodb) == []


def test_exactly_100_actions_are_fine(dynamodb) -> None:
    dynamodb.transact_write_items(TransactItems=[put(f"k{i:03}") for i in range(100)])
    assert len(scan(dynamodb)) == 100


def test_hash_only_table_rollback(dynamodb) -> None:
    dynamodb.put_item(TableName=HASH_ONLY, Item={"id": {"S": "kept"}, "v": {"S": "1"}})
    with pytest.raises(ClientError):
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": HASH_ONLY, "Item": {"id": {"S": "kept"}, "v": {"S": "2"}}}},
                {"Put": {"TableName": HASH_ONLY, "Item": {"id": {"S": "new"}}}},
                {
                    "ConditionCheck": {
                        "TableName": HASH_ONLY,
                        "Key": {"id": {"S": "missing"}},
                        "ConditionExpression": "attribute_exists(id)",
                    }
                },
            ]
        )
    assert dynamodb.scan(TableName=HASH_ONLY)["Items"] == [{"id": {"S": "kept"}, "v": {"S": "1"}}]


def test_unknown_table_fails_the_request_and_writes_nothing(dynamodb) -> None:
    with pytest.raises(ClientError) as failed:
        unknown_table = {"Put": {"TableName": "nope", "Item": item("b")}}
        dynamodb.transact_write_items(TransactItems=[put("a"), unknown_table])
    assert failed.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert scan(dynamodb) == []


def test_tables_are_never_deep_copied(dynamodb, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self, memo):
        raise AssertionError("the whole table was copied")

    monkeypatch.setattr(Table, "__deepcopy__", refuse, raising=False)
    dynamodb.put_item(TableName=TABLE, Item=item("guard"))
    dynamodb.transact_write_items(TransactItems=[put("x"), put("y")])
    with pytest.raises(ClientError):
        guarded = put("guard", condition="attribute_not_exists(pk)")
        dynamodb.transact_write_items(TransactItems=[put("z"), guarded])
    assert [i["pk"]["S"] for i in scan(dynamodb)] == ["guard", "x", "y"]


def test_items_of_every_attribute_type_are_read_back_as_written(dynamodb) -> None:
    # Attribute values skip moto's shape-walking serializer; what comes back must still be exact.
    every_type = {
        **key("types"),
        "s": {"S": "text"},
        "n": {"N": "1.50"},
        "b": {"B": b"\x00\xffbytes"},
        "bool": {"BOOL": False},
        "null": {"NULL": True},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2"]},
        "bs": {"BS": [b"x", b"y"]},
        "m": {"M": {"l": {"L": [{"S": "x"}, {"N": "3"}, {"M": {}}, {"L": []}]}}},
    }
    dynamodb.put_item(TableName=TABLE, Item=every_type)

    got = dynamodb.get_item(TableName=TABLE, Key=key("types"))["Item"]
    batch = dynamodb.batch_get_item(RequestItems={TABLE: {"Keys": [key("types")]}})["Responses"][TABLE]
    queried = dynamodb.query(
        TableName=TABLE, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": "types"}}
    )["Items"]
    assert got == batch[0] == queried[0] == every_type
    assert moto_patches.installed()


INDEXED = "query-test"


def _indexed_table(client) -> None:
    client.create_table(
        TableName=INDEXED,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "g", "gs")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-group",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "gs", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    rows = [
        {
            "pk": {"S": f"p{n % 7}"},
            "sk": {"S": f"s{n:04d}"},
            **({"g": {"S": f"g{n % 3}"}, "gs": {"S": f"{n % 5}"}} if n % 4 else {}),
        }
        for n in range(300)
    ]
    for start in range(0, len(rows), 25):
        client.batch_write_item(
            RequestItems={INDEXED: [{"PutRequest": {"Item": row}} for row in rows[start : start + 25]]}
        )


_QUERIES = [
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p3"}}},
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "absent"}}},
    {
        "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b",
        "ExpressionAttributeValues": {":p": {"S": "p1"}, ":a": {"S": "s0050"}, ":b": {"S": "s0200"}},
        "ScanIndexForward": False,
        "Limit": 7,
    },
    {
        "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
        "ExpressionAttributeValues": {":p": {"S": "p2"}, ":s": {"S": "s01"}},
        "ExclusiveStartKey": {"pk": {"S": "p2"}, "sk": {"S": "s0107"}},
    },
    {
        "IndexName": "by-group",
        "KeyConditionExpression": "g = :g",
        "ExpressionAttributeValues": {":g": {"S": "g1"}},
        "Limit": 11,
    },
    {
        "IndexName": "by-group",
        "KeyConditionExpression": "g = :g AND gs > :v",
        "ExpressionAttributeValues": {":g": {"S": "g2"}, ":v": {"S": "2"}},
        "ScanIndexForward": False,
        "ExclusiveStartKey": {"g": {"S": "g2"}, "gs": {"S": "4"}, "pk": {"S": "p0"}, "sk": {"S": "s0014"}},
    },
]


def test_queries_answer_as_moto_does_without_listing_the_table(dynamodb, monkeypatch: pytest.MonkeyPatch) -> None:
    _indexed_table(dynamodb)
    moto_patches.uninstall()
    try:
        expected = [dynamodb.query(TableName=INDEXED, **query) for query in _QUERIES]
    finally:
        moto_patches.install()
    # The patched query never asks moto for the whole table sorted.
    monkeypatch.setattr(moto_patches, "_original_all_items", lambda table: pytest.fail("sorted the whole table"))
    answers = [dynamodb.query(TableName=INDEXED, **query) for query in _QUERIES]
    for answer, wanted in zip(answers, expected, strict=True):
        assert answer["Items"] == wanted["Items"]
        assert answer.get("LastEvaluatedKey") == wanted.get("LastEvaluatedKey")
        assert answer["ScannedCount"] == wanted["ScannedCount"]
    assert [len(answer["Items"]) for answer in answers][:2] == [43, 0]  # the queries do select something


def test_a_scan_still_pages_through_the_sorted_table(dynamodb) -> None:
    _indexed_table(dynamodb)
    first = dynamodb.scan(TableName=INDEXED, Limit=10)
    second = dynamodb.scan(TableName=INDEXED, Limit=10, ExclusiveStartKey=first["LastEvaluatedKey"])
    keys = [(i["pk"]["S"], i["sk"]["S"]) for i in first["Items"] + second["Items"]]
    assert keys == sorted(keys) and len(set(keys)) == 20
