"""Bulk operations by filter: 202 + a job, advanced by the SQS-fed worker exactly once per customer."""

from __future__ import annotations

import json

import pytest

from tests.harness import new_tenant, run_job_worker


def _job(api, reply):
    assert reply.status == 202, reply.body
    assert reply.header("Location") == f"/v1/jobs/{reply.body['id']}"
    return reply.body


def _queued_messages(aws) -> int:
    attributes = aws.clients.sqs.get_queue_attributes(
        QueueUrl=aws.resources.queues["JobsQueue"],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


@pytest.fixture(autouse=True)
def empty_jobs_queue(aws):
    """Each test starts with no job messages of earlier tests around."""
    run_job_worker(aws)
    yield


@pytest.fixture
def twelve(api):
    customers = []
    for i in range(12):
        body = {
            "name": f"Member {i:02d}",
            "code": f"MB{i:02d}",
            "branch": "North" if i % 2 else "South",
            "address": {"line1": f"{i} Dock Rd", "country": "AU"},
        }
        customers.append(api.created(body))
    return customers


def test_archive_by_filter_is_a_job_that_archives_every_match(api, aws, twelve):
    job = _job(api, api.bulk("archive", {"filter": {"branch": "North"}}))

    assert (
        job["status"] == "queued"
        and job["type"] == "bulk_archive"
        and job["filter"] == {"branch": "North", "archived": "false"}
    )
    assert run_job_worker(aws) == 1
    done = api.job(job["id"]).body
    assert done["status"] == "succeeded" and done["progress"] == 1
    assert done["counts"] == {"matched": 6, "succeeded": 6, "failed": 0}
    assert done["started_at"] <= done["finished_at"]
    archived = {c["id"] for c in api.list(archived="true").body["data"]}
    assert archived == {c["id"] for c in twelve if c["branch"] == "North"}
    assert all(api.get(c["id"]).body["version"] == 2 for c in twelve if c["branch"] == "North")


def test_an_empty_filter_means_every_customer_the_list_shows(api, aws, twelve):
    api.archive(twelve[0]["id"])

    job = _job(api, api.bulk("unarchive", {"filter": {}}))
    run_job_worker(aws)

    # The list hides archived customers by default: the archived one is not among the matches.
    assert api.job(job["id"]).body["counts"]["matched"] == 11
    assert api.get(twelve[0]["id"]).body["archived"] is True


def test_delete_by_filter_reports_linked_customers_as_errors(api, aws, twelve, stored):
    linked = twelve[2]
    aws.clients.dynamodb.update_item(
        TableName=aws.table,
        Key={"pk": {"S": f"T#{api.tenant}#C#{linked['id']}"}, "sk": {"S": "CUSTOMER"}},
        UpdateExpression="SET sales_orders_count = :n",
        ExpressionAttributeValues={":n": {"N": "4"}},
    )

    job = _job(api, api.bulk("delete", {"filter": {"branch": "South"}}))
    run_job_worker(aws)

    done = api.job(job["id"]).body
    assert done["status"] == "completed_with_errors"
    assert done["counts"] == {"matched": 6, "succeeded": 5, "failed": 1}
    assert done["errors_sample"] == [
        {"id": linked["id"], "code": "linked_records", "message": "linked records: 4 sales orders"}
    ]
    survivors = {c["id"] for c in api.walk(archived="any")}
    assert survivors == {c["id"] for c in twelve if c["branch"] == "North"} | {linked["id"]}
    assert [item["sk"] for item in stored(f"T#{api.tenant}#J#{job['id']}") if item["sk"] != "JOB"] == [
        "JOB#ERR#0000000001"
    ]


def test_a_job_survives_a_crash_after_any_chunk_and_processes_each_customer_once(api, aws, monkeypatch):
    customers = [api.created({"name": f"Crash {i:03d}"}) for i in range(200)]
    from clientele.store.jobs import items as job_store

    real_commit = job_store.commit_chunk
    commits = {"count": 0}

    def crash_after_the_second_chunk(*args, **kwargs):
        commits["count"] += 1
        if commits["count"] == 3:
            raise RuntimeError("injected crash")
        return real_commit(*args, **kwargs)

    monkeypatch.setattr(job_store, "commit_chunk", crash_after_the_second_chunk)
    job = _job(api, api.bulk("archive", {"filter": {}}))

    run_job_worker(aws)  # crashes once, the message comes back, the job resumes

    done = api.job(job["id"]).body
    assert done["status"] == "succeeded"
    assert done["counts"] == {"matched": 200, "succeeded": 200, "failed": 0}
    assert commits["count"] > 3
    assert {api.get(c["id"]).body["version"] for c in customers} == {2}  # each archived exactly once


def test_the_same_job_message_delivered_five_times_processes_once(api, aws, twelve):
    job = _job(api, api.bulk("archive", {"filter": {}}))
    from clientele.store.jobs import items as job_store

    for _ in range(4):
        job_store.enqueue(api.tenant, job["id"])

    assert run_job_worker(aws) == 5
    done = api.job(job["id"]).body
    assert done["counts"] == {"matched": 12, "succeeded": 12, "failed": 0}
    assert {api.get(c["id"]).body["version"] for c in twelve} == {2}


def test_a_worker_short_of_time_queues_a_continuation(api, aws):
    for i in range(150):
        api.created({"name": f"Slow {i:03d}"})
    remaining = iter([200_000, 1_000])  # time for the first chunk, then too little for another

    job = _job(api, api.bulk("archive", {"filter": {}}))
    run_job_worker(aws, time_left_ms=lambda: next(remaining, 1_000), max_messages=1)

    halfway = api.job(job["id"]).body
    assert halfway["status"] == "running" and 0 < halfway["progress"] < 1
    assert _queued_messages(aws) == 1
    run_job_worker(aws)
    assert api.job(job["id"]).body["status"] == "succeeded"


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"filter": {"shoe_size": 42}}, "/filter/shoe_size"),
        ({"filter": {"status": "deleted"}}, "/filter/status"),
        ({"filter": []}, "/filter"),
        ({"ids": ["cus_x"], "filter": {}}, ""),
        ({}, ""),
    ],
)
def test_filter_bodies_are_validated(api, aws, body, pointer):
    reply = api.bulk("delete", body)

    assert reply.status == 422
    assert reply.body["errors"][0]["pointer"] == pointer
    assert _queued_messages(aws) == 0


def test_jobs_belong_to_their_tenant_and_organization(api, aws, twelve):
    job = _job(api, api.bulk("archive", {"filter": {"branch": "North"}}))

    assert api.as_caller(tenant_id=new_tenant()).job(job["id"]).status == 404
    assert api.as_caller(role="courier", organization_id="org-q").job(job["id"]).status == 404
    assert api.job("job_nope").status == 404
    assert api.job(job["id"]).status == 200


def test_organization_scoped_jobs_only_touch_their_organization(api, aws, twelve):
    mine = api.created({"name": "Courier's own", "organization_id": "org-c"})
    courier = api.as_caller(role="courier", organization_id="org-c")

    job = _job(courier, courier.bulk("archive", {"filter": {}}))
    run_job_worker(aws)

    assert courier.job(job["id"]).body["counts"]["succeeded"] == 1
    assert api.get(mine["id"]).body["archived"] is True
    assert not any(api.get(c["id"]).body["archived"] for c in twelve)


def test_a_message_naming_no_job_is_dropped(api, aws):
    aws.clients.sqs.send_message(QueueUrl=aws.resources.queues["JobsQueue"], MessageBody="not json")
    aws.clients.sqs.send_message(
        QueueUrl=aws.resources.queues["JobsQueue"],
        MessageBody=json.dumps({"tenant_id": api.tenant, "job_id": "job_gone"}),
    )

    assert run_job_worker(aws) == 2
    assert _queued_messages(aws) == 0


def test_a_q_filter_acts_on_what_the_lists_search_shows(api, aws):
    from tests.harness import run_change_stream

    names = ["Acme One", "Zed Acme Co", "Acmeless Trading", "Bravo", "Müller Acmé"]
    made = {name: api.created({"name": name}) for name in names}
    coded = api.created({"name": "Zulu", "code": "ACME"})
    run_change_stream(aws)
    listed = {item["id"] for item in api.walk(q="acme", limit=2)}

    job = _job(api, api.bulk("archive", {"filter": {"q": "acme"}}))
    assert run_job_worker(aws) == 1

    done = api.job(job["id"]).body
    archived = {item["id"] for item in api.list(archived="true").body["data"]}
    assert archived == listed == {made[name]["id"] for name in names if name != "Bravo"} | {coded["id"]}
    assert done["counts"] == {"matched": 5, "succeeded": 5, "failed": 0}
