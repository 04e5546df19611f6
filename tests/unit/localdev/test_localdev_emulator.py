"""The embedded moto server: one request at a time, long polls that do not hold the lock."""

import threading
import time
from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from localdev import moto_patches
from localdev.emulator import Emulator, OneRequestAtATime, connect_or_start, start_embedded


def test_one_request_at_a_time() -> None:
    active = 0
    most = 0
    guard = threading.Lock()

    def slow_app(environ, start_response):
        nonlocal active, most
        with guard:
            active += 1
            most = max(most, active)
        time.sleep(0.02)
        with guard:
            active -= 1
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    app = OneRequestAtATime(slow_app)
    results = []

    def call() -> None:
        captured = {}
        body = app({"wsgi.input": None}, lambda status, headers: captured.update(status=status))
        results.append((captured["status"], b"".join(body)))

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 1
    assert results == [("200 OK", b"ok")] * 8


def test_external_endpoint_is_used_as_is() -> None:
    emulator = connect_or_start({"AWS_ENDPOINT_URL": "http://localhost:4566/"})
    assert emulator == Emulator("http://localhost:4566", embedded=False)
    emulator.stop()  # nothing to stop, and no error


@pytest.fixture(scope="module")
def embedded() -> Iterator[Emulator]:
    moto_patches.install()
    emulator = start_embedded()
    yield emulator
    emulator.stop()


def client(service: str, endpoint: str):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}, read_timeout=30),
    )


def test_embedded_server_serves_aws_apis(embedded: Emulator) -> None:
    assert embedded.embedded
    assert embedded.endpoint_url.startswith("http://127.0.0.1:")
    sqs = client("sqs", embedded.endpoint_url)
    url = sqs.create_queue(QueueName="emulator-basic")["QueueUrl"]
    assert url.startswith(embedded.endpoint_url)


def test_long_poll_does_not_block_other_calls_and_still_gets_messages(embedded: Emulator) -> None:
    sqs = client("sqs", embedded.endpoint_url)
    dynamodb = client("dynamodb", embedded.endpoint_url)
    url = sqs.create_queue(QueueName="emulator-long-poll")["QueueUrl"]
    received: dict = {}

    def long_poll() -> None:
        started = time.monotonic()
        received["messages"] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5).get("Messages", [])
        received["seconds"] = time.monotonic() - started

    poller = threading.Thread(target=long_poll)
    poller.start()
    time.sleep(0.2)
    started = time.monotonic()
    for _ in range(5):
        dynamodb.list_tables()
    assert time.monotonic() - started < 1.0, "a waiting ReceiveMessage held the emulator"
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    poller.join()
    assert [message["Body"] for message in received["messages"]] == ["hello"]
    assert received["seconds"] < 3


def test_long_poll_on_an_empty_queue_waits_its_time(embedded: Emulator) -> None:
    sqs = client("sqs", embedded.endpoint_url)
    url = sqs.create_queue(QueueName="emulator-empty")["QueueUrl"]
    started = time.monotonic()
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)
    assert 0.9 <= time.monotonic() - started < 2


def test_concurrent_conditional_writes_have_one_winner(embedded: Emulator) -> None:
    dynamodb = client("dynamodb", embedded.endpoint_url)
    dynamodb.create_table(
        TableName="emulator-race",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )
    outcomes: list[str] = []

    def create(writer: int) -> None:
        try:
            client("dynamodb", embedded.endpoint_url).transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": "emulator-race",
                            "Item": {"pk": {"S": "guard"}, "writer": {"S": str(writer)}},
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    }
                ]
            )
            outcomes.append("won")
        except ClientError as error:
            outcomes.append(error.response["Error"]["Code"])

    threads = [threading.Thread(target=create, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("won") == 1
    assert outcomes.count("TransactionCanceledException") == 9
