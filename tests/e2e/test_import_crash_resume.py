"""A worker killed mid-import (out of memory, a crash) resumes by itself: no manual step, no row twice."""

from __future__ import annotations

import time
import uuid

import requests

TERMINAL = {"succeeded", "completed_with_errors", "failed"}
LEASE_S = 10  # the worker's lease on its message, shortened from 60 s so the test is quick
ROWS = 3000


def _csv(rows: int) -> bytes:
    lines = ["code,name,email,address_line1,address_postal_code,address_country"]
    lines += [f"K{n:05d},Killed Customer {n},k{n}@example.com,{n} Kill St,{3000 + n % 80},AU" for n in range(rows)]
    return ("\r\n".join(lines) + "\r\n").encode()


def _job(runner, headers, job_id: str) -> dict:
    return requests.get(f"{runner.url}/v1/jobs/{job_id}", headers=headers, timeout=30).json()


def _kill_running_import(runner) -> int:
    answer = requests.post(f"{runner.url}/_local/functions/RunImportFunction/kill", timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["killed"]


def test_a_worker_killed_mid_import_resumes_by_itself_with_the_right_counts(start_runner):
    runner = start_runner(WORKER_LEASE_SECONDS=str(LEASE_S))
    headers = runner.headers(tenant=f"e2e-kill-{uuid.uuid4().hex[:10]}")
    created = requests.post(
        f"{runner.url}/v1/imports", json={"type": "customers", "filename": "kill.csv"}, headers=headers, timeout=30
    ).json()
    upload = created["upload"]
    assert requests.put(upload["url"], data=_csv(ROWS), headers=upload["headers"], timeout=60).status_code == 200

    # Kill the worker once it has committed some chunks, while it is running.
    deadline = time.monotonic() + 120
    job = _job(runner, headers, created["id"])
    while job["counts"]["rows"] < 120 or not _kill_running_import(runner):
        assert job["status"] not in TERMINAL, f"the import finished before it could be killed: {job}"
        assert time.monotonic() < deadline, f"the import never got going: {job}"
        time.sleep(0.05)
        job = _job(runner, headers, created["id"])
    killed_at = time.monotonic()
    rows_at_kill = _job(runner, headers, created["id"])["counts"]["rows"]

    # It resumes from its checkpoint once its lease lapses (no message sent by hand).
    resumed_after = None
    deadline = killed_at + 180
    while time.monotonic() < deadline:
        job = _job(runner, headers, created["id"])
        if resumed_after is None and job["counts"]["rows"] > rows_at_kill:
            resumed_after = time.monotonic() - killed_at
        if job["status"] in TERMINAL:
            break
        time.sleep(0.5)

    assert job["status"] == "succeeded", job
    assert job["counts"]["rows"] == ROWS and job["counts"]["created"] == ROWS and job["counts"]["failed"] == 0
    assert resumed_after is not None and resumed_after < 120, resumed_after
    assert job["progressed_at"] >= job["started_at"]
    listed = requests.get(
        f"{runner.url}/v1/customers", params={"include_total": "true", "limit": 1}, headers=headers, timeout=30
    ).json()
    assert listed["total"] == ROWS
