"""The customer core through the local runner over real HTTP: the README, concurrency, isolation."""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from collections import Counter
from pathlib import Path

import requests

from tests.e2e.concurrency import race

ROOT = Path(__file__).resolve().parents[2]


def _tenant() -> str:
    return f"e2e-{uuid.uuid4().hex[:10]}"


def _headers(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def _create(runner, token: str, body: dict) -> requests.Response:
    return requests.post(f"{runner.url}/v1/customers", json=body, headers=_headers(token), timeout=30)


def test_readme_walkthrough_runs_as_written(runner, tmp_path):
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- walkthrough:start -->\n```sh\n(.*?)```\n<!-- walkthrough:end -->", readme, re.S)
    assert block, "README.md lost its walkthrough block"

    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", f"cd {ROOT} && {block.group(1)}"],
        env={**os.environ, "API": runner.url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "create: 201" in out
    assert re.search(r'get: cus_[0-9A-Z]{26} "[^"]+"', out)
    assert '"branch":"Sydney CBD"' in out and "patch: 200" in out
    assert "delete with stale etag: 412" in out
    assert "delete: 204" in out


def test_two_concurrent_patches_with_one_etag_one_wins_one_gets_412(runner):
    token = runner.token(tenant=_tenant())
    created = _create(runner, token, {"name": "Contended"}).json()
    url = f"{runner.url}/v1/customers/{created['id']}"
    etag = created["etag"]

    for round_number in range(10):
        statuses = race(
            2,
            lambda i, r=round_number, e=etag: (
                requests.patch(
                    url, json={"branch": f"b{r}-{i}"}, headers=_headers(token, **{"If-Match": e}), timeout=30
                ).status_code
            ),
        )

        assert sorted(statuses) == [200, 412], f"round {round_number}: {statuses}"
        current = requests.get(url, headers=_headers(token), timeout=30)
        assert current.json()["version"] == round_number + 2
        etag = current.headers["ETag"]


def test_five_concurrent_creates_of_one_code_one_201_four_409_naming_the_winner(runner):
    token = runner.token(tenant=_tenant())
    replies = race(5, lambda i: _create(runner, token, {"name": f"Racer {i}", "code": "RACE-1"}))

    assert Counter(reply.status_code for reply in replies) == {201: 1, 409: 4}
    [winner] = [reply.json() for reply in replies if reply.status_code == 201]
    for reply in replies:
        if reply.status_code == 409:
            assert reply.json()["conflict"] == {"field": "code", "existing_id": winner["id"]}


def test_other_tenants_and_organizations_get_404(runner):
    tenant = _tenant()
    admin = runner.token(tenant=tenant)
    customer = _create(runner, admin, {"name": "Walled", "organization_id": "org-a"}).json()
    url = f"{runner.url}/v1/customers/{customer['id']}"
    outsiders = [
        runner.token(tenant=_tenant()),
        runner.token(tenant=tenant, role="courier", organization_id="org-b"),
    ]

    for token in outsiders:
        assert requests.get(url, headers=_headers(token), timeout=30).status_code == 404
        assert (
            requests.patch(
                url, json={"branch": "x"}, headers=_headers(token, **{"If-Match": "*"}), timeout=30
            ).status_code
            == 404
        )
        assert requests.delete(url, headers=_headers(token, **{"If-Match": "*"}), timeout=30).status_code == 404
    own = runner.token(tenant=tenant, role="courier", organization_id="org-a")
    assert requests.get(url, headers=_headers(own), timeout=30).status_code == 200
    assert requests.get(url, headers=_headers(admin), timeout=30).json()["etag"] == customer["etag"]


def test_an_id_with_an_encoded_trailing_newline_is_404(runner):
    token = runner.token(tenant=_tenant())
    created = _create(runner, token, {"name": "Encoded Newline"}).json()

    for suffix in ("%0A", "%0D%0A", "%00"):
        url = f"{runner.url}/v1/customers/{created['id']}{suffix}"
        answer = requests.get(url, headers=_headers(token), timeout=30)
        assert answer.status_code == 404, suffix
        assert answer.json()["type"] == "/problems/not-found"


def test_health_needs_no_token(runner):
    reply = requests.get(f"{runner.url}/health", timeout=30)

    assert reply.status_code == 200 and reply.json() == {"status": "ok"}


def test_unknown_routes_and_methods_are_404_like_api_gateway(runner):
    token = runner.token(tenant=_tenant())
    for method, path in [("GET", "/v2/customers"), ("DELETE", "/health"), ("PATCH", "/v1/customers"), ("GET", "/")]:
        reply = requests.request(method, f"{runner.url}{path}", headers=_headers(token), timeout=30)
        assert reply.status_code == 404, (method, path)
        assert reply.json() == {"message": "Not Found"}


def test_invalid_utf8_over_http_is_400(runner):
    token = runner.token(tenant=_tenant())

    reply = requests.post(
        f"{runner.url}/v1/customers",
        data=b'{"name": "\xff"}',
        headers=_headers(token, **{"Content-Type": "application/json"}),
        timeout=30,
    )

    assert reply.status_code == 400
    assert reply.headers["Content-Type"] == "application/problem+json"


def test_huge_headers_are_431(runner):
    token = runner.token(tenant=_tenant())

    reply = requests.get(f"{runner.url}/health", headers=_headers(token, **{"X-Pad": "p" * 11_000}), timeout=30)

    assert reply.status_code == 431


def test_request_id_is_echoed(runner):
    token = runner.token(tenant=_tenant())

    reply = requests.get(
        f"{runner.url}/v1/customers/cus_01JD3X5V7R2T8E6Q9M4K1N0B5C",
        headers=_headers(token, **{"X-Request-Id": "trace-abc-123"}),
        timeout=30,
    )

    assert reply.status_code == 404
    assert reply.headers["X-Request-Id"] == "trace-abc-123"
    assert reply.json()["request_id"] == "trace-abc-123"


def test_writes_switched_off_answer_503_while_reads_work(runner, start_runner):
    switched_off = start_runner(WRITES_ENABLED="false")
    token = switched_off.token(tenant=_tenant())

    create = requests.post(f"{switched_off.url}/v1/customers", json={"name": "x"}, headers=_headers(token), timeout=30)
    read = requests.get(
        f"{switched_off.url}/v1/customers/cus_01JD3X5V7R2T8E6Q9M4K1N0B5C", headers=_headers(token), timeout=30
    )

    assert create.status_code == 503
    assert create.headers["Retry-After"] == "3600"
    assert create.json()["type"] == "/problems/endpoint-disabled"
    assert read.status_code == 404  # a read still reaches the table


def test_list_and_cursor_over_http(runner):
    token = runner.token(tenant=_tenant())
    for name in ("Gamma", "Alpha", "Beta"):
        assert _create(runner, token, {"name": name}).status_code == 201

    first = requests.get(
        f"{runner.url}/v1/customers", params={"sort": "name", "limit": 2}, headers=_headers(token), timeout=30
    ).json()
    rest = requests.get(
        f"{runner.url}/v1/customers",
        params={"sort": "name", "cursor": first["next_cursor"]},
        headers=_headers(token),
        timeout=30,
    ).json()

    assert [c["name"] for c in first["data"]] == ["Alpha", "Beta"] and first["has_more"] is True
    assert [c["name"] for c in rest["data"]] == ["Gamma"] and rest["next_cursor"] is None


def test_concurrent_address_adds_without_if_match_all_land(runner):
    token = runner.token(tenant=_tenant())
    customer = _create(runner, token, {"name": "Busy Dock"}).json()
    url = f"{runner.url}/v1/customers/{customer['id']}/addresses"

    distinct = race(
        4,
        lambda i: (
            requests.post(
                url, json={"line1": f"{i} Quay St", "country": "AU"}, headers=_headers(token), timeout=30
            ).status_code
        ),
    )
    same = race(
        3,
        lambda i: (
            requests.post(
                url, json={"line1": "9 Pier Rd", "country": "AU"}, headers=_headers(token), timeout=30
            ).status_code
        ),
    )

    assert distinct == [201, 201, 201, 201]
    assert sorted(same) == [200, 200, 201]
    book = requests.get(url, headers=_headers(token), timeout=30).json()["data"]
    assert len(book) == 5


def test_bulk_archive_by_filter_runs_as_a_job_through_the_queue(runner):
    import time

    token = runner.token(tenant=_tenant())
    for i in range(15):
        assert _create(runner, token, {"name": f"Queued {i}", "branch": "East" if i % 3 else "West"}).status_code == 201

    accepted = requests.post(
        f"{runner.url}/v1/customers/bulk-archive",
        json={"filter": {"branch": "East"}},
        headers=_headers(token),
        timeout=30,
    )
    assert accepted.status_code == 202
    location = accepted.headers["Location"]

    deadline = time.monotonic() + 60
    while True:
        job = requests.get(f"{runner.url}{location}", headers=_headers(token), timeout=30).json()
        if job["status"] in {"succeeded", "completed_with_errors", "failed"} or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert job["status"] == "succeeded", job
    assert job["counts"] == {"matched": 10, "succeeded": 10, "failed": 0}
    archived = requests.get(
        f"{runner.url}/v1/customers", params={"archived": "true"}, headers=_headers(token), timeout=30
    ).json()["data"]
    assert len(archived) == 10
