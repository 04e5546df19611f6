"""The emulated AWS endpoint: an embedded moto server on loopback, or an endpoint given in AWS_ENDPOINT_URL.

The embedded server serves one request at a time. Moto's DynamoDB transactions are not
thread-safe, and serialising requests gives DynamoDB's single-winner outcome to concurrent
conditional writes. SQS long polls are the exception that keeps this workable: moto waits
for messages *inside* the request, which under the lock would stall every other call, so
a ReceiveMessage that asks to wait is served as a series of short polls with the lock
released in between.
"""

import io
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import ThreadedWSGIServer

from localdev.serving import BackgroundServer

log = logging.getLogger(__name__)

ENDPOINT_ENV = "AWS_ENDPOINT_URL"
_SQS_RECEIVE_TARGET = "AmazonSQS.ReceiveMessage"
_SHORT_POLL_INTERVAL_S = 0.05
_MAX_WAIT_S = 20

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class OneRequestAtATime:
    """WSGI middleware: the wrapped app handles a single request at any moment."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        wait_seconds = _long_poll_wait(environ)
        if wait_seconds:
            return self._long_poll(environ, start_response, wait_seconds)
        status, headers, body = self._call_locked(environ)
        start_response(status, headers)
        return [body]

    def _call_locked(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., None]:
            captured["status"], captured["headers"] = status, headers
            return _unsupported_write

        with self.lock:
            # The whole body is produced under the lock: moto may build it lazily.
            result = self.app(environ, capture)
            try:
                body = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        return captured["status"], captured["headers"], body

    def _long_poll(self, environ: dict[str, Any], start_response: StartResponse, wait: int) -> list[Any]:
        request = json.loads(environ.pop("localdev.body"))
        request["WaitTimeSeconds"] = 0
        short_poll = json.dumps(request).encode("utf-8")
        deadline = time.monotonic() + min(wait, _MAX_WAIT_S)
        while True:
            attempt = dict(environ)
            attempt["wsgi.input"] = io.BytesIO(short_poll)
            attempt["CONTENT_LENGTH"] = str(len(short_poll))
            status, headers, body = self._call_locked(attempt)
            if not status.startswith("200") or _has_messages(body) or time.monotonic() >= deadline:
                start_response(status, headers)
                return [body]
            time.sleep(_SHORT_POLL_INTERVAL_S)


def _unsupported_write(data: bytes) -> None:
    raise RuntimeError("moto is expected to return its body, not to call write()")


def _long_poll_wait(environ: dict[str, Any]) -> int:
    """WaitTimeSeconds of an SQS JSON-protocol ReceiveMessage, else 0 (and the body is left unread)."""
    if environ.get("HTTP_X_AMZ_TARGET") != _SQS_RECEIVE_TARGET:
        return 0
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    # Whatever happens next, the request body must still be readable downstream.
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    try:
        wait = json.loads(body).get("WaitTimeSeconds") if body else None
    except (ValueError, AttributeError):
        return 0  # malformed: let moto answer it
    if isinstance(wait, int) and not isinstance(wait, bool) and wait > 0:
        environ["localdev.body"] = body
        return wait
    return 0


def _has_messages(body: bytes) -> bool:
    try:
        return bool(json.loads(body).get("Messages"))
    except (ValueError, AttributeError):
        return True  # not what we expected: hand it back rather than loop


@dataclass
class Emulator:
    """Where the AWS APIs are. ``embedded`` tells whether this process serves them."""

    endpoint_url: str
    embedded: bool
    _serving: BackgroundServer | None = field(default=None, repr=False)

    def stop(self) -> None:
        if self._serving is not None:
            self._serving.stop()
            self._serving = None


def start_embedded(host: str = "127.0.0.1", port: int = 0) -> Emulator:
    """Start moto's WSGI app on ``host:port`` (0: a free port) in a daemon thread."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app

    class QuietRequestHandler(MotoRequestHandler):
        # Headers and body are separate writes: without this each call can wait ~40 ms for a delayed ACK.
        disable_nagle_algorithm = True

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            """One line per emulated AWS call would drown the gateway's own access log."""

    app = OneRequestAtATime(DomainDispatcherApplication(create_backend_app))
    server = ThreadedWSGIServer(host, port, app, handler=QuietRequestHandler)
    server.daemon_threads = True
    serving = BackgroundServer(server, "moto-server")
    endpoint = f"http://{host}:{server.server_port}"
    log.info("embedded moto serving on %s", endpoint)
    return Emulator(endpoint, embedded=True, _serving=serving)


def connect_or_start(environ: dict[str, str] | None = None) -> Emulator:
    """Use ``AWS_ENDPOINT_URL`` when set (LocalStack, DynamoDB Local, another moto), else start moto."""
    env = os.environ if environ is None else environ
    external = env.get(ENDPOINT_ENV)
    if external:
        return Emulator(external.rstrip("/"), embedded=False)
    return start_embedded()
