"""The local runner under pressure, from outside: bursts on a cold start, hostile clients, Ctrl-C, kills.

Every test talks to a ``python -m localdev serve`` process over real sockets.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
import requests

from tests.e2e.concurrency import race

FIXTURE_TEMPLATE = Path(__file__).resolve().parents[1] / "unit" / "localdev" / "fixtures" / "template.yaml"
BURST = 50
SLOW_CLIENT_LIMIT_S = 10
STOP_LIMIT_S = 5


def _create(runner, token: str, code: str) -> requests.Response:
    return requests.post(
        f"{runner.url}/v1/customers",
        json={"name": "Burst Pty Ltd", "code": code},
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
    )


@pytest.mark.parametrize("attempt", [1, 2])
def test_a_burst_of_creates_on_a_fresh_runner_gives_one_201_and_the_rest_409(start_runner, attempt: int) -> None:
    fresh = start_runner()
    token = fresh.token(tenant=f"burst-{uuid.uuid4().hex[:8]}")

    started = time.monotonic()
    replies = race(BURST, lambda i: _create(fresh, token, "BURST-1"))
    elapsed = time.monotonic() - started

    statuses = Counter(reply.status_code for reply in replies)
    print(f"\nburst {attempt}: {dict(statuses)} in {elapsed:.1f} s")
    assert statuses == {201: 1, 409: BURST - 1}, fresh.stderr_tail()


# ----------------------------------------------------------------------------- hostile clients


def _exchange(runner, data: bytes, *, wait_s: float = 30) -> tuple[bytes, float]:
    """Send ``data`` on a fresh connection, then read until the server closes it: (answer, seconds)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", runner.port), timeout=wait_s) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks), time.monotonic() - started


def test_conflicting_content_lengths_are_400(runner) -> None:
    request = (
        b"POST /v1/customers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 2\r\nContent-Length: 20\r\n\r\n{}"
    )
    answer, _ = _exchange(runner, request)
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert answer.endswith(b'{"message":"Bad Request"}')


def test_a_body_shorter_than_its_content_length_is_408_within_10_s(runner) -> None:
    request = (
        b"POST /v1/customers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
    )
    answer, seconds = _exchange(runner, request)
    print(f"\nshort body: 408 after {seconds:.1f} s")
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert seconds <= SLOW_CLIENT_LIMIT_S


def test_headers_that_never_end_are_408_within_10_s(runner) -> None:
    answer, seconds = _exchange(runner, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n")
    print(f"\nunfinished headers: 408 after {seconds:.1f} s")
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert seconds <= SLOW_CLIENT_LIMIT_S


@pytest.mark.parametrize(
    "junk",
    [
        b"HELLO\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # a TLS ClientHello on the plain port
        b"\xde\xad\xbe\xef\x00\xff" * 8,
        b"GET\r\n\r\n",
        b"HELLO WORLD\r\n\r\n",
    ],
)
def test_a_request_that_is_not_http_gets_an_http_400(runner, junk: bytes) -> None:
    answer, seconds = _exchange(runner, junk)
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:80]
    assert seconds < SLOW_CLIENT_LIMIT_S


def test_the_server_still_answers_after_hostile_clients(runner) -> None:
    held = [socket.create_connection(("127.0.0.1", runner.port), timeout=5) for _ in range(20)]
    try:
        for sock in held:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # never finished
        assert requests.get(f"{runner.url}/health", timeout=10).status_code == 200
    finally:
        for sock in held:
            sock.close()


# ----------------------------------------------------------------------------- stopping


def test_sigint_while_serving_stops_within_5_s_without_tracebacks(start_runner) -> None:
    fresh = start_runner()
    token = fresh.token(tenant=f"stop-{uuid.uuid4().hex[:8]}")
    # Requests in flight, environments starting, warm-ups queued: everything a Ctrl-C can land on.
    in_flight = [
        threading.Thread(target=_create_quietly, args=(fresh, token, f"STOP-{i}"), daemon=True) for i in range(20)
    ]
    for thread in in_flight:
        thread.start()
    _wait_for_access_lines(fresh, "POST /v1/customers", count=3)

    started = time.monotonic()
    fresh.process.send_signal(signal.SIGINT)
    try:
        code = fresh.process.wait(timeout=STOP_LIMIT_S + 5)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"the runner ignored SIGINT\n{fresh.stderr_tail()}") from None
    seconds = time.monotonic() - started
    print(f"\nSIGINT under load: exit {code} after {seconds:.1f} s")
    assert seconds <= STOP_LIMIT_S
    assert code == 0  # a stop that was asked for is a success
    log = fresh.stderr_path.read_text()
    assert "Traceback" not in log and "KeyboardInterrupt" not in log, fresh.stderr_tail()
    assert log.rstrip().endswith("stopped")


def _create_quietly(runner, token: str, code: str) -> None:
    # The runner stops under this request: the test looks at the runner, not at the reply.
    with contextlib.suppress(requests.RequestException):
        _create(runner, token, code)


def _wait_for_access_lines(runner, text: str, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while runner.stderr_path.read_text().count(text) < count:
        assert time.monotonic() < deadline, runner.stderr_tail()
        time.sleep(0.1)


# ----------------------------------------------------------------------------- the kill switch


def test_kill_endpoint_fails_the_running_invocation_and_the_next_one_succeeds(start_runner) -> None:
    local = start_runner(template=FIXTURE_TEMPLATE)
    kill_url = f"{local.url}/_local/functions/EchoFunction/kill"
    outcome: dict[str, requests.Response] = {}

    def slow_request() -> None:
        outcome["reply"] = requests.get(f"{local.url}/open?mode=hang", timeout=60)  # the handler sleeps 30 s

    caller = threading.Thread(target=slow_request)
    started = time.monotonic()
    caller.start()
    killed = 0
    while killed == 0:  # until the handler has the event
        assert time.monotonic() - started < 30, local.stderr_tail()
        reply = requests.post(kill_url, timeout=10)
        assert reply.status_code == 200
        killed = reply.json()["killed"]
        time.sleep(0.05)
    caller.join(30)

    assert killed == 1
    assert (outcome["reply"].status_code, outcome["reply"].json()) == (500, {"message": "Internal Server Error"})
    assert "EchoFunction's environment exited (exit code -9)" in local.stderr_tail()  # not its 5 s timeout
    assert requests.get(f"{local.url}/open", timeout=30).status_code == 200
    assert requests.post(kill_url, timeout=10).json() == {"killed": 0}


def test_kill_endpoint_for_an_unknown_function_is_404(runner) -> None:
    reply = requests.post(f"{runner.url}/_local/functions/NoSuchFunction/kill", timeout=10)
    assert reply.status_code == 404
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.json() == {"message": "no function NoSuchFunction"}
