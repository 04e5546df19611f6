"""Change events and history through the local runner: its stream poller invokes the stream function,
which puts events on the emulator's bus, and the emulator delivers them to the rules and targets a
developer created there (API.md §14)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import requests

DELIVERY_BOUND_S = 5.0  # a change is in events and history within seconds locally


def _subscribe(runner, tenant: str) -> str:
    """An SQS queue receiving this tenant's events through a rule on the runner's bus; its URL."""
    sqs, events = runner.aws_client("sqs"), runner.aws_client("events")
    name = f"e2e-watch-{uuid.uuid4().hex[:10]}"
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus = runner.aws["event_bus"]
    pattern = {"source": ["clientele"], "detail": {"tenant_id": [tenant]}}
    events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "queue", "Arn": arn}])
    return queue_url


def _receive(runner, queue_url: str, count: int, bound: float = DELIVERY_BOUND_S) -> tuple[list[dict[str, Any]], float]:
    """`count` events from the queue, and how long they took to arrive; fails after `bound` seconds."""
    sqs = runner.aws_client("sqs")
    started = time.monotonic()
    received: list[dict[str, Any]] = []
    while len(received) < count:
        assert time.monotonic() - started < bound, f"only {len(received)} of {count} events in {bound} s"
        answer = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in answer.get("Messages", []):
            received.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return received, time.monotonic() - started


def test_the_runner_names_its_event_bus(runner):
    assert runner.aws["event_bus"] == "clientele-local-changes"
    assert runner.aws["event_buses"] == {"ChangeEventBus": "clientele-local-changes"}


def test_events_reach_an_sqs_queue_through_a_rule_within_seconds(runner):
    tenant = f"e2e-events-{uuid.uuid4().hex[:10]}"
    headers = {"Authorization": f"Bearer {runner.token(tenant=tenant)}"}
    queue_url = _subscribe(runner, tenant)
    # Warm up: the first record starts the stream function's environment (a cold start, as in Lambda).
    requests.post(f"{runner.url}/v1/customers", json={"name": "Warm Up"}, headers=headers, timeout=30)
    _, cold_lag = _receive(runner, queue_url, 1, bound=60)

    created = requests.post(f"{runner.url}/v1/customers", json={"name": "Event Freight"}, headers=headers, timeout=30)
    assert created.status_code == 201
    customer_id = created.json()["id"]
    _, created_lag = _receive(runner, queue_url, 1)
    patched = requests.patch(
        f"{runner.url}/v1/customers/{customer_id}",
        json={"branch": "Harbour"},
        headers={**headers, "If-Match": created.headers["ETag"]},
        timeout=30,
    )
    assert patched.status_code == 200
    archived = requests.post(f"{runner.url}/v1/customers/{customer_id}/archive", headers=headers, timeout=30)
    assert archived.status_code == 200
    events, lag = _receive(runner, queue_url, 2)

    assert [
        (e["detail-type"], e["detail"]["version"]) for e in sorted(events, key=lambda e: e["detail"]["version"])
    ] == [
        ("customer.updated", 2),
        ("customer.archived", 3),
    ]
    assert all(e["detail"]["customer_id"] == customer_id for e in events)
    history = requests.get(f"{runner.url}/v1/customers/{customer_id}/history", headers=headers, timeout=30)
    assert history.status_code == 200
    assert [entry["action"] for entry in history.json()["data"]] == ["archived", "updated", "created"]
    print(
        f"event lag in the local runner: first record (cold) {cold_lag:.2f} s, "
        f"created {created_lag:.2f} s, update + archive {lag:.2f} s"
    )
