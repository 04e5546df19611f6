"""The DynamoDB Streams event source mapping: filters, batches, retries, bisection, the on-failure queue."""

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from localdev.streams import StreamPoller, UnsupportedPattern, matches_pattern, selected
from localdev.template import StreamEventSource, Template

ROOT = Path(__file__).resolve().parents[3]
STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/label"
CUSTOMER_REMOVALS = {"eventName": ["REMOVE"], "dynamodb": {"Keys": {"sk": {"S": ["CUSTOMER"]}}}}


def record(number: int, event_name: str = "REMOVE", sk: str = "CUSTOMER") -> dict[str, Any]:
    return {
        "eventID": f"e{number}",
        "eventName": event_name,
        "eventSource": "aws:dynamodb",
        "dynamodb": {
            "Keys": {"pk": {"S": f"T#t#C#cus_{number}"}, "sk": {"S": sk}},
            "SequenceNumber": str(1000 + number),
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }


class FakeStreams:
    """One shard holding `records`; iterators are positions in it."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records

    def describe_stream(self, StreamArn: str) -> dict[str, Any]:
        return {"StreamDescription": {"Shards": [{"ShardId": "shard-1"}]}}

    def get_shard_iterator(self, StreamArn: str, ShardId: str, ShardIteratorType: str) -> dict[str, Any]:
        return {"ShardIterator": "0" if ShardIteratorType == "TRIM_HORIZON" else str(len(self.records))}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:
        start = int(ShardIterator)
        chosen = self.records[start : start + Limit]
        return {"Records": chosen, "NextShardIterator": str(start + len(chosen))}


class FakeSqs:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send_message(self, QueueUrl: str, MessageBody: str) -> None:
        self.sent.append(json.loads(MessageBody))


SOURCE = StreamEventSource(
    function_id="Follower",
    event_id="Changes",
    table_id="Table",
    starting_position="TRIM_HORIZON",
    batch_size=3,
    batching_window_seconds=0,
    report_batch_item_failures=True,
    bisect_on_error=True,
    maximum_retry_attempts=2,
    on_failure_queue_id="Failures",
    filter_patterns=(),
    enabled=True,
)


def poller(records, invoke, source=SOURCE):
    sqs = FakeSqs()
    made = StreamPoller(
        source, STREAM_ARN, invoke, streams=FakeStreams(records), sqs=sqs, failure_queue_url="q", region="us-east-1"
    )
    made._stopping.wait = lambda _seconds: False  # no pauses between retries in tests
    return made, sqs


def numbers(event: dict[str, Any]) -> list[int]:
    return [int(r["dynamodb"]["SequenceNumber"]) - 1000 for r in event["Records"]]


# ----------------------------------------------------------------------------- filter patterns


def test_the_templates_pattern_selects_customer_removals_only():
    assert matches_pattern(CUSTOMER_REMOVALS, record(1))
    assert not matches_pattern(CUSTOMER_REMOVALS, record(1, event_name="MODIFY"))
    assert not matches_pattern(CUSTOMER_REMOVALS, record(1, sk="JOB"))


def test_prefix_exists_and_anything_but_rules():
    assert matches_pattern({"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "T#t#C#"}]}}}}, record(1))
    assert not matches_pattern({"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "T#other#"}]}}}}, record(1))
    assert matches_pattern({"dynamodb": {"NewImage": [{"exists": False}]}}, record(1))
    assert not matches_pattern({"dynamodb": {"Keys": [{"exists": False}]}}, record(1))
    assert matches_pattern({"eventName": [{"anything-but": ["INSERT"]}]}, record(1))
    assert not matches_pattern({"eventName": [{"anything-but": "REMOVE"}]}, record(1))


def test_rules_it_does_not_emulate_are_refused_not_guessed():
    with pytest.raises(UnsupportedPattern):
        matches_pattern({"eventName": [{"numeric": [">", 1]}]}, record(1))


def test_without_patterns_every_record_is_selected_and_any_pattern_may_select():
    assert selected((), record(1, sk="JOB"))
    assert selected(({"eventName": ["INSERT"]}, CUSTOMER_REMOVALS), record(1))


# ----------------------------------------------------------------------------- delivery


def test_filtered_out_records_are_consumed_without_an_invocation():
    events = []
    made, _ = poller(
        [record(1, sk="JOB"), record(2), record(3, event_name="MODIFY")],
        lambda _f, event: events.append(numbers(event)),
        replace(SOURCE, filter_patterns=(CUSTOMER_REMOVALS,)),
    )

    made.drain()

    assert events == [[2]]


def test_records_go_in_order_in_batches_of_batch_size():
    events = []
    made, _ = poller([record(n) for n in range(1, 8)], lambda _f, event: events.append(numbers(event)))

    assert made.drain() == 7
    assert events == [[1, 2, 3], [4, 5, 6], [7]]


def test_a_reported_failure_is_retried_from_that_record_and_the_ones_before_are_done():
    events = []

    def invoke(_function_id, event):
        events.append(numbers(event))
        if len(events) == 1:
            return {"batchItemFailures": [{"itemIdentifier": "1002"}]}
        return {"batchItemFailures": []}

    made, sqs = poller([record(n) for n in range(1, 5)], invoke)
    made.drain()

    assert events == [[1, 2, 3], [2, 3, 4]]
    assert sqs.sent == []


def test_a_raising_function_gets_the_batch_in_halves_then_the_failure_queue_and_reading_goes_on():
    events = []

    def invoke(_function_id, event):
        events.append(numbers(event))
        if 2 in numbers(event):
            raise RuntimeError("poisoned record")
        return None

    made, sqs = poller([record(n) for n in range(1, 6)], invoke)
    made.drain()

    # 3 records fail; retried as 1 (bisected), then 1 succeeds; [2, 3] fails, bisected to [2]: retries
    # exhausted, [2] goes to the failure queue; the rest go on.
    assert events[0] == [1, 2, 3] and events[1] == [1]
    assert [4, 5] in events or [3, 4, 5] in events
    assert len(sqs.sent) == 1
    info = sqs.sent[0]["DDBStreamBatchInfo"]
    assert info["startSequenceNumber"] == "1002" and info["streamArn"] == STREAM_ARN
    assert sqs.sent[0]["requestContext"]["condition"] == "RetryAttemptsExhausted"
    delivered = {n for event in events for n in event}
    assert delivered == {1, 2, 3, 4, 5}


def test_an_unknown_failure_identifier_fails_the_whole_batch():
    events = []

    def invoke(_function_id, event):
        events.append(numbers(event))
        return {"batchItemFailures": [{"itemIdentifier": "not-a-sequence-number"}]} if len(events) == 1 else None

    made, _ = poller([record(1), record(2)], invoke)
    made.drain()

    assert events == [[1, 2], [1, 2]]


# ----------------------------------------------------------------------------- the template


def test_the_template_declares_the_change_stream_mapping():
    sources = Template.load(ROOT / "template.yaml").stream_event_sources()

    assert [source.function_id for source in sources] == ["ChangeStreamFunction"]
    source = sources[0]
    assert source.table_id == "Table" and source.starting_position == "TRIM_HORIZON"
    assert source.report_batch_item_failures and source.bisect_on_error
    assert source.on_failure_queue_id == "ChangeStreamFailureQueue"
    terminal = ["succeeded", "completed_with_errors", "failed"]
    assert source.filter_patterns == (
        {"dynamodb": {"Keys": {"sk": {"S": ["CUSTOMER"]}}}},
        {"dynamodb": {"Keys": {"sk": {"S": ["JOB"]}}, "NewImage": {"status": {"S": terminal}}}},
    )


def test_the_stream_function_sees_customer_items_and_jobs_that_finish_only():
    patterns = Template.load(ROOT / "template.yaml").stream_event_sources()[0].filter_patterns

    def job(status: str) -> dict[str, Any]:
        written = record(1, "MODIFY", sk="JOB")
        written["dynamodb"]["NewImage"] = {"status": {"S": status}}
        return written

    assert selected(patterns, record(1, "MODIFY")) and selected(patterns, record(1, "REMOVE"))
    assert selected(patterns, job("succeeded")) and selected(patterns, job("failed"))
    assert not selected(patterns, job("running")) and not selected(patterns, record(1, "REMOVE", sk="JOB"))
    assert not selected(patterns, record(1, "INSERT", sk="HISTORY#000000000001"))
