"""The local runner as a real subprocess, for end-to-end tests over HTTP.

Fixtures:
- ``runner`` (session): ``python -m localdev serve`` on a free port. It has ``url``,
  ``aws`` (the ``GET /_local/aws`` document), ``token(...)`` and ``aws_client(service)``.
- ``start_runner``: starts more runners with extra environment, e.g.
  ``start_runner(WRITES_ENABLED="false")``, or another template (``template=path``);
  each is stopped when the test ends.

With ``AWS_ENDPOINT_URL`` set, runners use that endpoint instead of their own embedded
emulator, and then share its state (a second runner's WRITES_ENABLED affects both).
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from localdev.tokens import ALL_SCOPES, local_secret, mint

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 60
STOP_TIMEOUT_S = 10
STDERR_TAIL_LINES = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RunnerProcess:
    """One ``python -m localdev serve`` subprocess."""

    def __init__(self, extra_env: dict[str, str] | None = None, template: Path | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.secret = local_secret()
        env = {**os.environ, "PORT": str(self.port), "LOCAL_JWT_SECRET": self.secret, "PYTHONUNBUFFERED": "1"}
        env.update(extra_env or {})
        # Files, not pipes: a chatty runner must never block on a full pipe.
        self.log_dir = Path(tempfile.mkdtemp(prefix="localdev-e2e-"))
        self.stdout_path = self.log_dir / "stdout.log"
        self.stderr_path = self.log_dir / "stderr.log"
        command = [sys.executable, "-m", "localdev", "serve"]
        if template is not None:
            command += ["--template", str(template)]
        with self.stdout_path.open("wb") as stdout, self.stderr_path.open("wb") as stderr:
            self.process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=env,
                stdout=stdout,
                stderr=stderr,
            )
        self.aws: dict[str, Any] = self._wait_until_ready()

    def _wait_until_ready(self) -> dict[str, Any]:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise RuntimeError(f"the local runner exited with {code}\n{self.stderr_tail()}")
            try:
                response = requests.get(f"{self.url}/_local/aws", timeout=1)
            except requests.ConnectionError:
                time.sleep(0.1)
                continue
            if response.status_code == 200:
                return response.json()
            time.sleep(0.1)
        self.stop()
        message = f"the local runner did not answer within {STARTUP_TIMEOUT_S} s"
        raise RuntimeError(f"{message}\n{self.stderr_tail()}")

    def token(
        self,
        tenant: str | None = "t1",
        role: str | None = "admin",
        scope: str | None = ALL_SCOPES,
        organization_id: str | None = None,
        **claims: Any,
    ) -> str:
        """A bearer token this runner accepts; a claim passed as None is left out."""
        return mint(tenant, role, scope, organization_id, secret=self.secret, **claims)

    def headers(self, **token_args: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(**token_args)}"}

    def aws_client(self, service: str) -> Any:
        """A boto3 client for the emulated AWS this runner uses."""
        return boto3.client(
            service,
            endpoint_url=self.aws["endpoint_url"],
            region_name=self.aws["region"],
            aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
            aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
        )

    def stderr_tail(self, lines: int = STDERR_TAIL_LINES) -> str:
        text = self.stderr_path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def remove_logs(self) -> None:
        shutil.rmtree(self.log_dir, ignore_errors=True)


def _finish(runner: RunnerProcess, failed: bool, label: str) -> None:
    runner.stop()
    if failed:
        print(f"\n----- {label}: last lines of {runner.stderr_path} -----\n{runner.stderr_tail()}")
    else:
        runner.remove_logs()


@pytest.fixture(scope="session")
def runner(request: pytest.FixtureRequest) -> Iterator[RunnerProcess]:
    local = RunnerProcess()
    failures_before = request.session.testsfailed
    yield local
    _finish(local, request.session.testsfailed > failures_before, "local runner")


@pytest.fixture
def start_runner(request: pytest.FixtureRequest) -> Iterator[Callable[..., RunnerProcess]]:
    """Start another runner with extra environment variables; it is stopped after the test."""
    started: list[RunnerProcess] = []
    failures_before = request.session.testsfailed

    def start(template: Path | None = None, **extra_env: str) -> RunnerProcess:
        local = RunnerProcess(extra_env, template)
        started.append(local)
        return local

    yield start
    for local in started:
        _finish(local, request.session.testsfailed > failures_before, "extra local runner")
