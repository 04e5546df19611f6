"""The whole local stack in-process on the fixture template: HTTP → function → AWS, S3 → SQS → worker."""

import base64
import json
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from localdev.cli import _banner, main
from localdev.runner import LocalRunner
from localdev.tokens import mint

FIXTURE_TEMPLATE = Path(__file__).parent / "fixtures" / "template.yaml"


@pytest.fixture(scope="module")
def runner() -> Iterator[LocalRunner]:
    saved = dict(os.environ)
    for name in ("AWS_ENDPOINT_URL", "LOCAL_JWT_SECRET", "POWERTOOLS_DEV"):
        os.environ.pop(name, None)
    os.environ["SWITCH_VALUE"] = "off"
    try:
        with LocalRunner(FIXTURE_TEMPLATE, port=0, warm=False) as local:
            yield local
    finally:
        os.environ.clear()
        os.environ.update(saved)


def aws_client(runner: LocalRunner, service: str):
    info = requests.get(f"{runner.url}/_local/aws", timeout=5).json()
    return boto3.client(
        service,
        endpoint_url=info["endpoint_url"],
        region_name=info["region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_local_aws_document(runner: LocalRunner) -> None:
    info = requests.get(f"{runner.url}/_local/aws", timeout=5).json()
    assert info["endpoint_url"].startswith("http://127.0.0.1:")
    assert info["table"] == "clientele-local-Store"
    assert info["bucket"] == "clientele-local-uploads"
    assert info["queues"]["WorkQueue"].startswith(info["endpoint_url"])
    assert info["parameters"] == {"Switch": "/clientele-local/switch"}
    value = aws_client(runner, "ssm").get_parameter(Name="/clientele-local/switch")["Parameter"]["Value"]
    assert value == "off"


def test_open_route_runs_the_function_with_its_environment(runner: LocalRunner) -> None:
    response = requests.get(f"{runner.url}/open", timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert body["greeting"] == "from the layer"
    assert body["function_name"] == "clientele-local-EchoFunction"
    assert 0 < body["remaining_ms"] <= 5000
    assert body["event"]["routeKey"] == "GET /open"
    assert os.environ["TABLE_NAME"] == "clientele-local-Store"
    assert os.environ["AWS_ENDPOINT_URL"] == runner.local_info()["endpoint_url"]
    assert os.environ["POWERTOOLS_TRACE_DISABLED"] == "true"


def test_authorized_route(runner: LocalRunner) -> None:
    token = mint("t1", "admin", "echo:read")
    response = requests.get(f"{runner.url}/echo/42", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 200
    event = response.json()["event"]
    assert event["pathParameters"] == {"id": "42"}
    assert event["requestContext"]["authorizer"]["jwt"]["claims"]["tenant_id"] == "t1"
    assert requests.get(f"{runner.url}/echo/42", timeout=5).status_code == 401
    wrong_scope = mint("t1", "admin", "echo:write")
    headers = {"Authorization": f"Bearer {wrong_scope}"}
    response = requests.get(f"{runner.url}/echo/42", headers=headers, timeout=5)
    assert response.status_code == 403


def test_response_mapping_end_to_end(runner: LocalRunner) -> None:
    plain = requests.get(f"{runner.url}/open?mode=plain", timeout=10)
    assert (plain.status_code, plain.headers["Content-Type"], plain.json()) == (
        200,
        "application/json",
        {"hello": "world"},
    )
    assert requests.get(f"{runner.url}/open?mode=text", timeout=10).text == "just text"
    binary = requests.get(f"{runner.url}/open?mode=binary", timeout=10)
    assert binary.content == b"\x00\xff"
    cookies = requests.get(f"{runner.url}/open?mode=cookies", timeout=10)
    assert cookies.status_code == 204
    assert cookies.raw.headers.getlist("Set-Cookie") == ["a=1; Path=/", "b=2"]
    assert cookies.headers["x-many"] == "p, q"
    assert cookies.headers["x-one"] == "1"
    failure = requests.get(f"{runner.url}/open?mode=raise", timeout=10)
    assert (failure.status_code, failure.json()) == (500, {"message": "Internal Server Error"})
    leak = requests.get(f"{runner.url}/open?mode=leak", timeout=10)
    assert "Authorization" not in leak.headers


def test_concurrent_requests_run_concurrently(runner: LocalRunner) -> None:
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        urls = [f"{runner.url}/open?mode=slow&i={i}" for i in range(8)]
        responses = list(pool.map(lambda url: requests.get(url, timeout=10), urls))
    elapsed = time.monotonic() - started
    assert [response.status_code for response in responses] == [200] * 8
    # Each takes 0.3 s: served one after another they need at least 2.4 s. (Overlapped they take
    # about 0.4 s, but a loaded 2-core CI machine can stretch that, so the bound is the serial one.)
    assert elapsed < 2.3
    ids = {response.json()["instance_request"] for response in responses}
    assert len(ids) == 8


def test_s3_upload_runs_the_sqs_worker(runner: LocalRunner) -> None:
    info = runner.local_info()
    aws_client(runner, "s3").put_object(Bucket=info["bucket"], Key="incoming/run.csv", Body=b"a,b\n")
    table = boto3.resource(
        "dynamodb",
        endpoint_url=info["endpoint_url"],
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).Table(info["table"])
    deadline = time.monotonic() + 10
    keys: list[str] = []
    while time.monotonic() < deadline:
        bodies = [json.loads(item["body"]) for item in table.scan()["Items"] if item["body"].startswith("{")]
        keys = [body["Records"][0]["s3"]["object"]["key"] for body in bodies if "Records" in body]
        if keys:
            break
        time.sleep(0.1)
    assert keys == ["incoming/run.csv"]


def _wait_until_empty(sqs: Any, queue_url: str, seconds: float = 30) -> None:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        counts = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"]
        if not any(int(value) for value in counts.values()):
            return
        time.sleep(0.1)
    raise AssertionError(f"{queue_url} never emptied")


def test_killed_sqs_invocation_leaves_its_message_on_the_queue(runner: LocalRunner) -> None:
    info = runner.local_info()
    sqs = aws_client(runner, "sqs")
    # The bucket notification's s3:TestEvent goes to this queue too: only "slow" may be running when killed.
    _wait_until_empty(sqs, info["queues"]["WorkQueue"])
    sqs.send_message(QueueUrl=info["queues"]["WorkQueue"], MessageBody="slow")
    kill_url = f"{runner.url}/_local/functions/WorkerFunction/kill"

    def kill_when_running() -> None:
        deadline = time.monotonic() + 15
        while requests.post(kill_url, timeout=5).json()["killed"] == 0:
            assert time.monotonic() < deadline, "the worker never ran"
            time.sleep(0.05)

    # Killed twice: the failed invocation did not delete the message, so it came back (visibility
    # timeout 1 s) and, after maxReceiveCount (2) receives, went to the dead-letter queue.
    kill_when_running()
    kill_when_running()
    dead_letters = info["queues"]["WorkDeadLetterQueue"]
    deadline = time.monotonic() + 15
    bodies: list[str] = []
    while not bodies and time.monotonic() < deadline:
        answer = sqs.receive_message(QueueUrl=dead_letters, WaitTimeSeconds=1)
        bodies = [message["Body"] for message in answer.get("Messages", [])]
    assert bodies == ["slow"]


def test_banner_has_url_token_and_curl(runner: LocalRunner) -> None:
    banner = _banner(runner)
    assert runner.url in banner
    assert "export TOKEN=ey" in banner
    assert "curl -s -X POST" in banner
    assert '-H "Authorization: Bearer $TOKEN"' in banner


def test_token_command(capsys: pytest.CaptureFixture[str]) -> None:
    arguments = ["token", "--tenant", "t7", "--role", "courier", "--scope", "customer:read", "--org", "o1"]
    assert main(arguments) == 0
    token = capsys.readouterr().out.strip()
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert payload["tenant_id"] == "t7"
    assert payload["role"] == "courier"
    assert payload["scope"] == "customer:read"
    assert payload["organization_id"] == "o1"


def test_stop_restores_the_environment() -> None:
    before = dict(os.environ)
    before.pop("AWS_ENDPOINT_URL", None)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    local = LocalRunner(FIXTURE_TEMPLATE, port=0, warm=False).start()
    assert "AWS_ENDPOINT_URL" in os.environ
    local.stop()
    assert dict(os.environ) == before
