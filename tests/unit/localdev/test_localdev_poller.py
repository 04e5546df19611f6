"""The SQS event source mapping, with the fixture template and its worker function."""

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace

import boto3
import pytest
import requests

from localdev import moto_patches
from localdev.emulator import start_embedded
from localdev.functions import Functions, prepare_environment
from localdev.poller import SqsPoller, failed_message_ids, sqs_record
from localdev.resources import LocalResources, create_resources
from localdev.template import Template


@dataclass
class Stack:
    resources: LocalResources
    poller: SqsPoller
    sqs: object
    table: object

    def send(self, *bodies: str, **attributes: dict) -> list[str]:
        url = self.resources.queues["WorkQueue"]
        return [
            self.sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes=attributes)["MessageId"]
            for body in bodies
        ]

    def handled(self) -> dict[str, dict]:
        items = self.table.scan()["Items"]
        return {item["body"]: json.loads(item["record"]) for item in items}

    def count(self, logical_id: str = "WorkQueue") -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.resources.queues[logical_id],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(value) for value in attributes.values())


@pytest.fixture
def stack(aws_env: None, small_template: Template, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    # The worker function runs in a process of its own, so the emulator is a real (embedded) server.
    moto_patches.install()
    emulator = start_embedded()
    endpoint = emulator.endpoint_url
    # moto's state is per process, not per server: start every test from an empty account.
    requests.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()
    resources = create_resources(small_template, endpoint)
    sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=endpoint)
    # Drop the s3:TestEvent the bucket notification sent.
    sqs.purge_queue(QueueUrl=resources.queues["WorkQueue"])
    specs = small_template.functions(small_template.resolver(resources.physical))
    environ: dict[str, str] = {}
    prepare_environment(specs, endpoint, "us-east-1", environ)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    functions = Functions(specs, "us-east-1", small_template.layer_dirs().values())
    (source,) = small_template.sqs_event_sources()
    poller = SqsPoller(
        source,
        resources.queues[source.queue_id],
        resources.queue_arns[source.queue_id],
        functions.invoke,
        sqs=sqs,
        region="us-east-1",
        wait_seconds=0,
    )
    table = boto3.resource("dynamodb", region_name="us-east-1", endpoint_url=endpoint).Table(resources.table)
    try:
        yield Stack(resources, poller, sqs, table)
    finally:
        poller.stop()
        functions.stop()
        emulator.stop()


def wait_until_visible_again() -> None:
    time.sleep(1.1)  # the fixture queue's VisibilityTimeout is 1 s


def test_success_deletes_the_batch(stack: Stack) -> None:
    stack.send("a", "b", "c")
    assert stack.poller.run_once() == 3
    assert set(stack.handled()) == {"a", "b", "c"}
    assert stack.count() == 0


def test_batch_size_is_respected(stack: Stack) -> None:
    stack.send(*[f"m{i}" for i in range(7)])
    assert stack.poller.run_once() == 5  # BatchSize: 5 in the template
    assert stack.poller.run_once() == 2
    assert len(stack.handled()) == 7


def test_batching_window_gathers_messages_sent_meanwhile(stack: Stack) -> None:
    # Lambda requires timeout + window <= the queue's visibility timeout (1 s here); keep within it.
    stack.poller.source = replace(stack.poller.source, batching_window_seconds=0.6)
    stack.send("first")
    threading.Timer(0.3, stack.send, args=("second",)).start()
    started = time.monotonic()
    count = stack.poller.run_once()
    assert set(stack.handled()) == {"first", "second"}, stack.handled()
    assert count == 2
    assert time.monotonic() - started >= 0.3


def test_sqs_event_record_shape(stack: Stack) -> None:
    (message_id,) = stack.send("shape", note={"DataType": "String", "StringValue": "hi"})
    stack.poller.run_once()
    record = stack.handled()["shape"]
    assert record["messageId"] == message_id
    assert record["receiptHandle"]
    assert record["body"] == "shape"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert "SentTimestamp" in record["attributes"]
    assert record["messageAttributes"] == {
        "note": {"stringValue": "hi", "stringListValues": [], "binaryListValues": [], "dataType": "String"}
    }
    assert len(record["md5OfBody"]) == 32
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == stack.resources.queue_arns["WorkQueue"]
    assert record["awsRegion"] == "us-east-1"


def test_reported_failures_stay_and_are_retried(stack: Stack) -> None:
    stack.send("ok", "fail-once")
    stack.poller.run_once()
    assert set(stack.handled()) == {"ok"}
    assert stack.count() == 1  # fail-once was not deleted
    wait_until_visible_again()
    assert stack.poller.run_once() == 1
    handled = stack.handled()
    assert handled["fail-once"]["attributes"]["ApproximateReceiveCount"] == "2"
    assert stack.count() == 0


def test_messages_failing_max_receive_count_times_go_to_the_dlq(stack: Stack) -> None:
    stack.send("always-fail")
    stack.poller.run_once()
    wait_until_visible_again()
    stack.poller.run_once()  # second receive: maxReceiveCount is 2
    wait_until_visible_again()
    assert stack.poller.run_once() == 0  # the third receive moves it to the DLQ instead
    assert stack.count("WorkQueue") == 0
    assert stack.count("WorkDeadLetterQueue") == 1


def test_an_exception_leaves_the_whole_batch(stack: Stack) -> None:
    stack.send("fine", "raise")
    assert stack.poller.run_once() == 2
    # The worker handled "fine" before raising on "raise"; still, both messages come back (at least once).
    assert stack.count() == 2
    wait_until_visible_again()
    assert stack.poller.run_once() == 2
    assert stack.handled()["fine"]["attributes"]["ApproximateReceiveCount"] == "2"


def test_a_killed_environment_s_message_comes_back_when_its_lease_lapses(stack: Stack) -> None:
    # The queue's own visibility is long (template.yaml's are hours); the worker holds a 2 s lease.
    stack.sqs.set_queue_attributes(QueueUrl=stack.resources.queues["WorkQueue"], Attributes={"VisibilityTimeout": "60"})
    stack.poller.wait_seconds = 1
    stack.poller.start()
    started = time.monotonic()
    stack.send("lease-and-die-once")
    while "lease-and-die-once" not in stack.handled() and time.monotonic() - started < 60:
        time.sleep(0.05)
    redelivered_after = time.monotonic() - started

    # Not deleted when its environment died, nor held or received again by the poller meanwhile:
    # the second receive is the one after the lease, handled by a fresh environment.
    assert stack.handled()["lease-and-die-once"]["attributes"]["ApproximateReceiveCount"] == "2"
    assert redelivered_after < 15, redelivered_after  # lease + poll + cold start; never the queue's 60 s
    stack.poller.stop()
    assert stack.count() == 0


def test_poller_thread_processes_and_stops_quickly(stack: Stack) -> None:
    stack.poller.wait_seconds = 1
    stack.poller.start()
    stack.send("threaded")
    deadline = time.monotonic() + 5
    while "threaded" not in stack.handled() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "threaded" in stack.handled()
    started = time.monotonic()
    stack.poller.stop()
    assert time.monotonic() - started < 3


def test_s3_upload_reaches_the_worker(stack: Stack) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.put_object(Bucket=stack.resources.bucket, Key="incoming/data.csv", Body=b"a,b\n")
    assert stack.poller.run_once() == 1
    (body,) = stack.handled()
    assert json.loads(body)["Records"][0]["s3"]["object"]["key"] == "incoming/data.csv"


@pytest.mark.parametrize(
    ("result", "failed"),
    [
        ({"batchItemFailures": []}, set()),
        ({"batchItemFailures": None}, set()),
        ({}, set()),
        (None, set()),
        ({"batchItemFailures": [{"itemIdentifier": "b"}]}, {"b"}),
        ({"batchItemFailures": [{"itemIdentifier": "zzz"}]}, {"a", "b"}),  # unknown id: the whole batch
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, {"a", "b"}),
        ({"batchItemFailures": [{}]}, {"a", "b"}),
        ({"batchItemFailures": "b"}, {"a", "b"}),
    ],
)
def test_failed_message_ids(result: object, failed: set[str]) -> None:
    assert failed_message_ids(result, ["a", "b"]) == failed


def test_binary_message_attributes_are_base64_in_the_record() -> None:
    record = sqs_record(
        {
            "MessageId": "m",
            "ReceiptHandle": "r",
            "Body": "b",
            "MD5OfBody": "x",
            "MessageAttributes": {"blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}},
        },
        "arn:q",
        "us-east-1",
    )
    assert record["messageAttributes"]["blob"]["binaryValue"] == "AAE="
    assert record["messageAttributes"]["blob"]["dataType"] == "Binary"
