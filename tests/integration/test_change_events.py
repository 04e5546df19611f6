"""Change events (API.md §14) on the stack's EventBridge bus, received on an SQS queue through a rule."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.harness import Api, _Context, counted_put_events, run_change_stream, run_job_worker

STREAM_FUNCTION = "change_stream/process"


class Subscription:
    """An SQS queue subscribed to the bus with an EventBridge rule (this test's tenant only)."""

    def __init__(self, aws: Any, tenant: str) -> None:
        self.aws = aws
        name = f"watch-{uuid.uuid4().hex[:12]}"
        sqs, events = aws.clients.sqs, aws.clients.events
        self.queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.bus = aws.resources.event_bus
        self.rule = name
        pattern = {"source": ["clientele"], "detail": {"tenant_id": [tenant]}}
        events.put_rule(Name=name, EventBusName=self.bus, EventPattern=json.dumps(pattern))
        events.put_targets(Rule=name, EventBusName=self.bus, Targets=[{"Id": "queue", "Arn": arn}])

    def received(self) -> list[dict[str, Any]]:
        """Every event on the queue now (removed from it), in version order per customer."""
        events = []
        while True:
            answer = self.aws.clients.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            messages = answer.get("Messages", [])
            if not messages:
                break
            for message in messages:
                events.append(json.loads(message["Body"]))
                self.aws.clients.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return sorted(events, key=lambda e: (e["detail"].get("customer_id", ""), e["detail"].get("version", 0)))

    def close(self) -> None:
        events = self.aws.clients.events
        events.remove_targets(Rule=self.rule, EventBusName=self.bus, Ids=["queue"])
        events.delete_rule(Name=self.rule, EventBusName=self.bus)
        self.aws.clients.sqs.delete_queue(QueueUrl=self.queue_url)


@pytest.fixture
def watch(aws: Any, api: Api) -> Iterator[Subscription]:
    subscription = Subscription(aws, api.tenant)
    yield subscription
    subscription.close()


def test_one_event_per_customer_version_with_the_customer_as_get_answers_it(api, aws, watch):
    made = api.created({"name": "Evented Co", "code": "EV-1", "address": {"line1": "1 Event St", "country": "AU"}})
    # The address book is read when the stream function follows a record: followed before the
    # delete, each version's event shows the book exactly as GET did.
    run_change_stream(aws)
    patched = api.patch(made["id"], {"name": "Evented Ltd", "password": "correct horse battery"}, made["etag"])
    api.archive(made["id"])
    api.unarchive(made["id"])
    shown = api.get(made["id"]).body
    run_change_stream(aws)
    api.delete(made["id"], shown["etag"])
    run_change_stream(aws)

    events = watch.received()

    assert [(e["detail-type"], e["detail"]["version"]) for e in events] == [
        ("customer.created", 1),
        ("customer.updated", 2),
        ("customer.archived", 3),
        ("customer.unarchived", 4),
        ("customer.deleted", 5),
    ]
    assert all(e["source"] == "clientele" for e in events)
    details = [e["detail"] for e in events]
    assert all(d["tenant_id"] == api.tenant and d["customer_id"] == made["id"] for d in details)
    assert len({d["id"] for d in details}) == 5 and all(d["id"].startswith("evt_") for d in details)
    assert details[0]["customer"] == made  # as POST/GET answered that version
    assert details[3]["customer"] == shown
    assert details[1]["changed_fields"] == ["name", "password_set"]
    assert details[1]["previous"] == {"name": "Evented Co", "password_set": False}
    assert details[1]["customer"]["etag"] == patched.etag
    assert details[2]["previous"]["archived"] is False and "archived" in details[2]["changed_fields"]
    assert details[4]["customer"] is None and details[4]["previous"]["name"] == "Evented Ltd"
    text = json.dumps(events)
    assert "correct horse" not in text and "password_hash" not in text and '"password"' not in text


def test_event_ids_are_stable_so_a_redelivered_batch_sends_the_same_ids(api, aws, watch, monkeypatch):
    from tests.harness import _stream_pollers

    batches: list[dict[str, Any]] = []
    for poller in _stream_pollers(aws):
        invoke = poller.invoke

        def keep(function_id: str, event: dict[str, Any], invoke: Any = invoke) -> Any:
            batches.append(copy.deepcopy(event))
            return invoke(function_id, event)

        monkeypatch.setattr(poller, "invoke", keep)
    made = api.created({"name": "Again Co"})
    api.patch(made["id"], {"branch": "North"}, made["etag"])
    run_change_stream(aws)
    first = watch.received()

    answer = aws.handler(STREAM_FUNCTION)(copy.deepcopy(batches[0]), _Context(STREAM_FUNCTION))

    again = watch.received()
    assert answer == {"batchItemFailures": []}
    assert [e["detail"]["id"] for e in again] == [e["detail"]["id"] for e in first] and len(first) == 2
    assert [e["detail"] for e in again] == [e["detail"] for e in first]


def test_events_eventbridge_refuses_fail_their_record_so_it_comes_again(api, aws, watch, monkeypatch, stored):
    from clientele.store.change_events import bus

    made = api.created({"name": "Refused Co"})
    other = api.created({"name": "Accepted Co"})
    put_events = bus.events().put_events
    batches: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []

    def refuse_first(**request: Any) -> dict[str, Any]:
        entries = request["Entries"]
        refused = [json.loads(entry["Detail"])["customer_id"] == made["id"] for entry in entries]
        answer = put_events(Entries=[entry for entry, no in zip(entries, refused, strict=True) if not no])
        results = iter(answer["Entries"])
        shaped = [{"ErrorCode": "InternalFailure"} if no else next(results) for no in refused]
        return {"FailedEntryCount": sum(refused), "Entries": shaped}

    monkeypatch.setattr(bus.events(), "put_events", refuse_first)
    from tests.harness import _stream_pollers

    for poller in _stream_pollers(aws):  # deliver once, and keep what happened
        monkeypatch.setattr(poller, "invoke", lambda _id, event: batches.append(event) or {"batchItemFailures": []})
    run_change_stream(aws)
    answers.append(aws.handler(STREAM_FUNCTION)(copy.deepcopy(batches[0]), _Context(STREAM_FUNCTION)))

    sequence = {r["dynamodb"]["Keys"]["pk"]["S"]: r["dynamodb"]["SequenceNumber"] for r in batches[0]["Records"]}
    assert answers[0] == {"batchItemFailures": [{"itemIdentifier": sequence[f"T#{api.tenant}#C#{made['id']}"]}]}
    # History first, then the event: the refused record's entry is written already.
    assert any(item["sk"].startswith("HISTORY#") for item in stored(f"T#{api.tenant}#C#{made['id']}"))
    assert [e["detail"]["customer_id"] for e in watch.received()] == [other["id"]]

    monkeypatch.setattr(bus.events(), "put_events", put_events)
    assert aws.handler(STREAM_FUNCTION)(copy.deepcopy(batches[0]), _Context(STREAM_FUNCTION)) == {
        "batchItemFailures": []
    }
    assert sorted(e["detail"]["customer_id"] for e in watch.received()) == sorted([made["id"], other["id"]])


def test_a_finished_bulk_job_puts_exactly_one_job_finished_event(api, aws, watch):
    run_job_worker(aws)  # no job messages of earlier tests around
    for number in range(3):
        api.created({"name": f"Bulk {number}", "branch": "Evented"})
    job = api.bulk("archive", {"filter": {"branch": "Evented"}}).body
    assert run_job_worker(aws) == 1
    run_change_stream(aws)
    run_change_stream(aws)

    finished = [e for e in watch.received() if e["detail-type"] == "job.finished"]

    assert len(finished) == 1
    detail = finished[0]["detail"]
    assert detail["id"].startswith("evt_") and detail["job_id"] == job["id"]
    assert detail == {
        "id": detail["id"],
        "tenant_id": api.tenant,
        "job_id": job["id"],
        "type": "bulk_archive",
        "status": "succeeded",
        "counts": {"matched": 3, "succeeded": 3, "failed": 0},
    }


def test_stream_function_cost_per_customer_write(api, aws, watch, dynamodb_calls):
    """Budget per customer write (no address book): search items and counts (≤ 2 transactions), one
    history put, the counts' marker read, and a share of a PutEvents call (≤ 10 events per call)."""
    made = [api.created({"name": f"Costed {number}"}) for number in range(10)]
    for customer in made:
        api.patch(customer["id"], {"branch": "East"}, customer["etag"])
    dynamodb_calls.clear()

    with counted_put_events() as puts:
        run_change_stream(aws)

    writes = 20
    assert sum(puts) == writes and len(puts) == 2  # ten events per PutEvents call
    assert dynamodb_calls.count("PutItem") == writes  # one history entry per version
    write_calls = [c for c in dynamodb_calls if c in {"PutItem", "UpdateItem", "TransactWriteItems", "BatchWriteItem"}]
    assert len(write_calls) <= 3 * writes
    reads = [c for c in dynamodb_calls if c not in write_calls]
    assert reads == ["GetItem"] * writes  # the counts' marker; no address book to read, nothing else read
    assert len(watch.received()) == writes


def test_a_finished_import_puts_job_finished_and_an_event_per_created_customer(api, aws, watch):
    from tests.harness import run_import_worker

    csv = "code,name\r\nIMP-1,Imported One\r\nIMP-2,Imported Two\r\n"
    job = api.call("imports/create", body={"type": "customers"}).body
    aws.clients.s3.put_object(Bucket=aws.resources.bucket, Key=f"uploads/{api.tenant}/{job['id']}.csv", Body=csv)
    run_import_worker(aws)
    run_change_stream(aws)

    events = watch.received()

    finished = [e["detail"] for e in events if e["detail-type"] == "job.finished"]
    assert finished == [
        {
            "id": finished[0]["id"],
            "tenant_id": api.tenant,
            "job_id": job["id"],
            "type": "customer_import",
            "status": "succeeded",
            "counts": {"rows": 2, "created": 2, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 0},
        }
    ]
    created = sorted(e["detail"]["customer"]["name"] for e in events if e["detail-type"] == "customer.created")
    assert created == ["Imported One", "Imported Two"]
