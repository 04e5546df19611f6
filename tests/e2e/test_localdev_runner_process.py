"""The runner process itself (no function behaviour): gateway answers, emulated AWS, switches, shutdown."""

import signal
import subprocess
import time

import requests

from localdev.tokens import encode


def test_local_aws_document(runner) -> None:
    aws = runner.aws
    assert aws["endpoint_url"].startswith("http")
    assert aws["region"]
    assert aws["table"] and aws["bucket"]
    assert aws["queues"]
    runner.aws_client("dynamodb").describe_table(TableName=aws["table"])
    runner.aws_client("s3").head_bucket(Bucket=aws["bucket"])


def test_unknown_route_is_404(runner) -> None:
    response = requests.get(f"{runner.url}/definitely/not/a/route", timeout=5)
    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}


def test_token_rules_are_enforced_by_the_gateway(runner) -> None:
    # Any authorized route of the template will do; the gateway answers before the function runs.
    url = f"{runner.url}/v1/customers/cus_00000000000000000000000000"
    assert requests.get(url, timeout=5).status_code == 401
    expired = runner.token(exp=int(time.time()) - 1)
    assert requests.get(url, headers={"Authorization": f"Bearer {expired}"}, timeout=5).status_code == 401
    claims = {"iss": "clientele-local", "aud": "clientele", "exp": time.time() + 60}
    unsigned = encode(claims, header={"alg": "none"})
    assert requests.get(url, headers={"Authorization": f"Bearer {unsigned}"}, timeout=5).status_code == 401
    no_scope = runner.token(scope="sku:read")
    response = requests.get(url, headers={"Authorization": f"Bearer {no_scope}"}, timeout=5)
    assert (response.status_code, response.json()) == (403, {"message": "Forbidden"})


def test_writes_switch_parameter_follows_writes_enabled(runner, start_runner) -> None:
    (name,) = runner.aws["parameters"].values()
    assert runner.aws_client("ssm").get_parameter(Name=name)["Parameter"]["Value"] == "true"
    switched_off = start_runner(WRITES_ENABLED="false")
    (name,) = switched_off.aws["parameters"].values()
    assert switched_off.aws_client("ssm").get_parameter(Name=name)["Parameter"]["Value"] == "false"


def test_sigterm_and_sigint_stop_quickly(start_runner) -> None:
    for signum in (signal.SIGTERM, signal.SIGINT):
        local = start_runner()
        started = time.monotonic()
        local.process.send_signal(signum)
        try:
            assert local.process.wait(timeout=5) == 0
        except subprocess.TimeoutExpired:
            raise AssertionError(f"runner ignored {signum!r}\n{local.stderr_tail()}") from None
        assert time.monotonic() - started < 5
        assert "stopped" in local.stderr_tail()
