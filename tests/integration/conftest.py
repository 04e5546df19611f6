"""Fixtures over tests/harness.py: one emulated account for the whole session, a fresh tenant per test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.harness import Api, Emulated, admin, counted_dynamodb_calls, emulated, skip_change_stream


@pytest.fixture(scope="session")
def aws() -> Iterator[Emulated]:
    with emulated() as account:
        yield account


@pytest.fixture(autouse=True)
def own_change_stream(aws: Emulated) -> None:
    """Each test's `run_change_stream` delivers that test's writes only: without this, the first test
    to call it would feed the stream function every write of the session before it (imports of
    thousands of rows included)."""
    skip_change_stream(aws)


@pytest.fixture
def api(aws: Emulated) -> Api:
    """An admin of a fresh tenant with every scope."""
    return admin(aws)


@pytest.fixture
def stored(aws: Emulated):
    """Reads raw items from the table (what a write really left behind)."""
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()

    def items(pk_prefix: str) -> list[dict[str, Any]]:
        # A test-only Scan (the product never scans), filtered server-side to keep it quick.
        found = []
        paginator = aws.clients.dynamodb.get_paginator("scan")
        pages = paginator.paginate(
            TableName=aws.table,
            FilterExpression="begins_with(pk, :prefix)",
            ExpressionAttributeValues={":prefix": {"S": pk_prefix}},
        )
        for page in pages:
            found.extend(
                {name: deserializer.deserialize(value) for name, value in item.items()} for item in page["Items"]
            )
        return found

    return items


@pytest.fixture
def dynamodb_calls(aws: Emulated) -> Iterator[list[str]]:
    """Names of the DynamoDB API calls the handlers make, counted with a botocore event hook."""
    with counted_dynamodb_calls() as calls:
        yield calls


@pytest.fixture
def writes_switch(aws: Emulated) -> Iterator[Any]:
    """Flip the SSM writes switch (and drop the functions' 30 s parameter cache)."""
    from aws_lambda_powertools.utilities.parameters import clear_caches

    def set_enabled(enabled: bool) -> None:
        aws.clients.ssm.put_parameter(
            Name=aws.writes_parameter, Value="true" if enabled else "false", Type="String", Overwrite=True
        )
        clear_caches()

    yield set_enabled
    set_enabled(True)
