"""Integrations through the local runner over HTTP: scopes, the runner's loopback setting, the fake store."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from typing import Any

import pytest
import requests

from localdev.fakes.woocommerce import DEFAULT_KEY, DEFAULT_SECRET, FakeWooCommerce
from tests.e2e.conftest import REPO_ROOT, free_port


@pytest.fixture(scope="module")
def fake():
    with FakeWooCommerce(customers=120) as server:
        yield server


def _auth(runner: Any, scope: str, tenant: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {runner.token(tenant=tenant, scope=scope)}"}


def test_instances_and_the_store_page_through_the_runner(runner, fake):
    tenant = f"e2e-int-{uuid.uuid4().hex[:10]}"
    writer = _auth(runner, "integration:read integration:write", tenant)
    reader = _auth(runner, "integration:read", tenant)
    body = {"type": "woocommerce", "name": "Fake store", "base_url": fake.base_url, "credentials": fake.credentials}

    created = requests.post(f"{runner.url}/v1/integrations", json=body, headers=writer, timeout=60)

    assert created.status_code == 201, created.text  # the runner allows loopback targets
    instance = created.json()
    assert DEFAULT_SECRET not in created.text and DEFAULT_KEY not in created.text
    assert requests.post(f"{runner.url}/v1/integrations", json=body, headers=reader, timeout=60).status_code == 403
    page = requests.get(
        f"{runner.url}/v1/integrations/{instance['id']}/woocommerce/customers",
        params={"per_page": "50", "page": "3"},
        headers=reader,
        timeout=60,
    )
    assert page.status_code == 200, page.text
    assert [item["woo_id"] for item in page.json()["data"]] == list(range(101, 121))
    assert (page.json()["total"], page.json()["total_pages"]) == (120, 3)
    fake.fail_next("429", times=1, retry_after=1)
    again = requests.get(
        f"{runner.url}/v1/integrations/{instance['id']}/woocommerce/customers", headers=reader, timeout=60
    )
    assert again.status_code == 200 and len(again.json()["data"]) == 20
    no_scope = _auth(runner, "customer:read", tenant)
    assert requests.get(f"{runner.url}/v1/integrations", headers=no_scope, timeout=60).status_code == 403
    listed = requests.get(f"{runner.url}/v1/integrations", headers=reader, timeout=60)
    assert [item["id"] for item in listed.json()["data"]] == [instance["id"]]
    deleted = requests.delete(
        f"{runner.url}/v1/integrations/{instance['id']}",
        headers={**writer, "If-Match": created.headers["ETag"]},
        timeout=60,
    )
    assert deleted.status_code == 204


def test_the_fake_store_runs_beside_the_runner_from_its_command():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "localdev.fakes.woocommerce", "--port", str(port), "--customers", "30"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert f"http://127.0.0.1:{port}" in process.stdout.readline()
        deadline = time.monotonic() + 20
        while True:
            try:
                answer = requests.get(
                    f"http://127.0.0.1:{port}/wp-json/wc/v3/customers",
                    params={"per_page": "100", "role": "all"},
                    auth=(DEFAULT_KEY, DEFAULT_SECRET),
                    timeout=5,
                )
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert answer.status_code == 200 and answer.headers["X-WP-Total"] == "30"
        assert requests.get(f"http://127.0.0.1:{port}/wp-json/wc/v3/customers", timeout=5).status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=10)
