"""CSV imports through the local runner: a presigned upload and an S3 drop run real imports end to end."""

from __future__ import annotations

import time
import uuid

import requests

TERMINAL = {"succeeded", "completed_with_errors", "failed"}


def _tenant() -> str:
    return f"e2e-imp-{uuid.uuid4().hex[:10]}"


def _wait_for(runner, headers, job_id: str, timeout_s: float = 240) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = requests.get(f"{runner.url}/v1/jobs/{job_id}", headers=headers, timeout=30).json()
        if job["status"] in TERMINAL:
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not finish: {job}")


def _csv(rows: int) -> bytes:
    lines = ["code,name,email,address_line1,address_postal_code,address_country"]
    lines += [f"E{n:05d},Customer {n},c{n}@example.com,{n} Main St,{2000 + n % 80},AU" for n in range(rows)]
    return ("\r\n".join(lines) + "\r\n").encode()


def test_three_thousand_rows_through_a_presigned_upload(runner):
    headers = runner.headers(tenant=_tenant())
    created = requests.post(
        f"{runner.url}/v1/imports", json={"type": "customers", "filename": "big.csv"}, headers=headers, timeout=30
    )
    assert created.status_code == 201, created.text
    upload = created.json()["upload"]

    put = requests.put(upload["url"], data=_csv(3000), headers=upload["headers"], timeout=60)
    assert put.status_code == 200, put.text
    job = _wait_for(runner, headers, created.json()["id"])

    assert job["status"] == "succeeded", job
    assert job["counts"] == {"rows": 3000, "created": 3000, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 0}
    listed = requests.get(
        f"{runner.url}/v1/customers", params={"include_total": "true", "limit": 1}, headers=headers, timeout=30
    ).json()
    assert listed["total"] == 3000


def test_an_s3_drop_imports_and_shows_in_the_job_list(runner):
    tenant = _tenant()
    headers = runner.headers(tenant=tenant)
    s3 = runner.aws_client("s3")
    s3.put_object(Bucket=runner.aws["bucket"], Key=f"drop/{tenant}/customers/nightly export.csv", Body=_csv(25))

    deadline = time.monotonic() + 120
    jobs: list = []
    while time.monotonic() < deadline and not (jobs and jobs[0]["status"] in TERMINAL):
        jobs = requests.get(f"{runner.url}/v1/jobs", headers=headers, timeout=30).json()["data"]
        time.sleep(0.5)

    assert len(jobs) == 1 and jobs[0]["source"] == "drop" and jobs[0]["filename"] == "nightly export.csv"
    assert jobs[0]["status"] == "succeeded" and jobs[0]["counts"]["created"] == 25
