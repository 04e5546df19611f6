"""The gateway's HTTP/1.1 edge: h11 parses and frames, a thread per connection does the I/O.

h11 (the sans-IO HTTP/1.1 state machine under httpx and uvicorn) decides what is valid
HTTP: request lines, header syntax, Content-Length versus chunked framing, keep-alive,
``Expect: 100-continue``. This module adds what a server on an open port needs around
it: limits (header and body size), deadlines for clients that stop sending, and error
answers with a status line for everything a client can get wrong.
"""

import contextlib
import http
import json
import logging
import re
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

import h11

from localdev.serving import BackgroundServer

log = logging.getLogger(__name__)
access_log = logging.getLogger("localdev.access")

MAX_HEADER_BYTES = 10 * 1024  # API Gateway's limit on request headers
MAX_BODY_BYTES = 10 * 1024 * 1024  # and on the payload
# h11 stops buffering an unfinished request head past this size (431); MAX_HEADER_BYTES is checked after.
_MAX_REQUEST_HEAD_BYTES = 64 * 1024

# How long a client may take. A request that has started must arrive at a steady pace; an idle
# keep-alive connection is closed quietly after a while, as API Gateway does.
HEAD_TIMEOUT_S = 5.0  # from a request's first byte to the end of its headers
BODY_STALL_TIMEOUT_S = 5.0  # the longest silence while a body is arriving
BODY_TIMEOUT_S = 60.0  # the whole body
IDLE_TIMEOUT_S = 75.0  # between requests on a keep-alive connection
SEND_TIMEOUT_S = 30.0  # a client that does not read its answer
_LINGER_S = 1.0  # after an early answer, unread input is drained so the client sees the answer, not a reset
_RECEIVE_BYTES = 64 * 1024
_BODILESS_STATUSES = (204, 304)
# API Gateway's wording where Python's status phrases have moved on (413 is "Content Too Large" there).
_ERROR_MESSAGES = {413: "Request Entity Too Large"}

# What may start a request line: a method (a token) and the space after it. Anything else is
# answered 400 at once instead of waiting for a line end that junk may never send.
_REQUEST_START = re.compile(rb"[-!#$%&'*+.^_`|~0-9A-Za-z]{1,32}( |\Z)")
_REQUEST_START_BYTES = 33


@dataclass
class GatewayResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


@dataclass(frozen=True)
class HttpRequest:
    method: str
    target: str
    headers: list[tuple[str, str]]  # as sent: names in their own case, repeats kept, values latin-1
    body: bytes
    http_version: str
    client_address: str

    def header_values(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]


# The application: answers a request, plus a reason for the access log ("" when all went well).
Application = Callable[[HttpRequest], tuple[GatewayResponse, str]]


def json_response(status: int, document: Any) -> GatewayResponse:
    body = json.dumps(document, separators=(",", ":")).encode("utf-8")
    return GatewayResponse(status, [("Content-Type", "application/json")], body)


def message_response(status: int, message: str) -> GatewayResponse:
    """API Gateway's own answers: ``{"message": "Not Found"}`` and the like."""
    return json_response(status, {"message": message})


def status_phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


class _ClientGone(Exception):
    """The client closed its end in the middle of a request: nobody is left to answer."""


class ClientError(Exception):
    """The request cannot be served: answer ``status`` and close the connection."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _http_date() -> str:
    return formatdate(usegmt=True)


class _Exchange:
    """One client connection: requests read and answered in turn until either side closes."""

    def __init__(self, sock: socket.socket, client_address: str, application: Application) -> None:
        self.sock = sock
        self.client_address = client_address
        self.application = application
        self.connection = h11.Connection(h11.SERVER, max_incomplete_event_size=_MAX_REQUEST_HEAD_BYTES)
        # For the access log: the head of the request being read, and when its first byte came.
        self._head: h11.Request | None = None
        self._started = 0.0

    def serve(self) -> None:
        while True:
            self._head = None
            try:
                request = self._read_request()
            except ClientError as error:
                self._answer_error(error)
                return
            except _ClientGone:
                return
            if request is None:
                return
            try:
                response, reason = self.application(request)
            except Exception:
                # A bug in the runner, not the function's failure (the gateway maps those): logged,
                # and the client still gets an answer.
                log.exception("gateway: unexpected error answering %s", request.method)
                response, reason = message_response(500, "Internal Server Error"), "gateway error"
            if not self._send_response(request, response):
                return
            _log_access(request.method, request.target, response.status, self._started, reason)
            if self.connection.our_state is not h11.DONE or self.connection.their_state is not h11.DONE:
                return  # Connection: close (theirs or ours), or an HTTP/1.0 client
            self.connection.start_next_cycle()

    # ----------------------------------------------------------------------------- reading

    def _receive(self, timeout: float) -> bytes | None:
        """Up to 64 KiB from the client; None when ``timeout`` passed first, b"" at end of stream."""
        if timeout <= 0:
            return None
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(_RECEIVE_BYTES)
        except TimeoutError:
            return None

    def _next_event(self) -> Any:
        try:
            return self.connection.next_event()
        except h11.RemoteProtocolError as error:
            raise ClientError(error.error_status_hint, _protocol_reason(error)) from None

    def _read_request(self) -> HttpRequest | None:
        """The next request with its body; None when the client closed or idled out between requests."""
        head = self._read_head()
        if head is None:
            return None
        self._head = head
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in head.headers.raw_items()]
        _check_head(head, headers)
        if self.connection.they_are_waiting_for_100_continue:
            self._send(h11.InformationalResponse(status_code=100, headers=[], reason=b"Continue"))
        body = self._read_body()
        return HttpRequest(
            method=head.method.decode("ascii"),
            target=head.target.decode("latin-1"),
            headers=headers,
            body=body,
            http_version=head.http_version.decode("ascii"),
            client_address=self.client_address,
        )

    def _read_head(self) -> h11.Request | None:
        # Bytes a pipelining client sent ahead are already buffered: the next request has begun.
        start = self.connection.trailing_data[0][:_REQUEST_START_BYTES]
        self._started = time.monotonic()
        deadline = self._started + HEAD_TIMEOUT_S if start else None
        while True:
            event = self._next_event()
            if isinstance(event, h11.Request):
                return event
            if isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
                return None
            if deadline is None:  # between requests: a quiet client is simply let go
                data = self._receive(IDLE_TIMEOUT_S)
                if not data:
                    return None
                self._started = time.monotonic()
                deadline = self._started + HEAD_TIMEOUT_S
            else:
                data = self._receive(deadline - time.monotonic())
                if data is None:
                    raise ClientError(408, "request head timed out")
                if not data:
                    raise _ClientGone
            if len(start) < _REQUEST_START_BYTES:
                start += data[: _REQUEST_START_BYTES - len(start)]
                if not _REQUEST_START.match(start):
                    raise ClientError(400, "not an HTTP request")
            self.connection.receive_data(data)

    def _read_body(self) -> bytes:
        chunks: list[bytes] = []
        size = 0
        deadline = time.monotonic() + BODY_TIMEOUT_S
        while True:
            event = self._next_event()
            if isinstance(event, h11.EndOfMessage):
                return b"".join(chunks)
            if isinstance(event, h11.Data):
                size += len(event.data)
                if size > MAX_BODY_BYTES:
                    raise ClientError(413, "body too large")
                chunks.append(event.data)
                continue
            data = self._receive(min(BODY_STALL_TIMEOUT_S, deadline - time.monotonic()))
            if data is None:
                raise ClientError(408, "request body timed out")
            if not data:
                raise _ClientGone
            self.connection.receive_data(data)

    # ----------------------------------------------------------------------------- writing

    def _send(self, *events: h11.Event) -> bool:
        """Frame ``events`` and write them in one go; False when the client is gone."""
        data = b"".join(self.connection.send(event) or b"" for event in events)
        self.sock.settimeout(SEND_TIMEOUT_S)
        try:
            self.sock.sendall(data)
        except OSError:
            return False
        return True

    def _send_response(self, request: HttpRequest, response: GatewayResponse) -> bool:
        try:
            head = _response_head(response)
        except h11.LocalProtocolError as error:
            log.error("the function's response cannot be sent over HTTP: %s", error)
            response = message_response(500, "Internal Server Error")
            head = _response_head(response)
        without_body = request.method == "HEAD" or response.status in _BODILESS_STATUSES
        return self._send(head, h11.Data(data=b"" if without_body else response.body), h11.EndOfMessage())

    def _answer_error(self, error: ClientError) -> None:
        if self.connection.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            message = _ERROR_MESSAGES.get(error.status) or status_phrase(error.status)
            response = message_response(error.status, message)
            response.headers.append(("Connection", "close"))
            if self._send(_response_head(response), h11.Data(data=response.body), h11.EndOfMessage()):
                method, target = ("-", "-")
                if self._head is not None:
                    method, target = self._head.method.decode("ascii"), self._head.target.decode("latin-1")
                _log_access(method, target, error.status, self._started, error.reason)
        self._linger()

    def _linger(self) -> None:
        """Close after an early answer: stop writing, then drain what the client still sends, briefly,
        so that it reads the answer instead of a connection reset."""
        try:
            self.sock.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + _LINGER_S
            while self._receive(deadline - time.monotonic()):
                pass
        except OSError:
            pass  # the client is gone already


def _check_head(request: h11.Request, headers: list[tuple[str, str]]) -> None:
    if sum(len(name) + len(value) for name, value in headers) > MAX_HEADER_BYTES:
        raise ClientError(431, "headers too large")
    names = {name for name, _ in request.headers}
    if b"transfer-encoding" in names and b"content-length" in names:
        # Framed two ways: a classic request-smuggling shape, refused rather than guessed at.
        raise ClientError(400, "both Content-Length and Transfer-Encoding")
    lengths = [value for name, value in request.headers if name == b"content-length"]
    if lengths and int(lengths[0]) > MAX_BODY_BYTES:
        raise ClientError(413, "body too large")  # answered before a byte of it is read


def _response_head(response: GatewayResponse) -> h11.Response:
    headers = [("Date", _http_date()), *response.headers]
    if response.status not in _BODILESS_STATUSES:
        headers.append(("Content-Length", str(len(response.body))))
    encoded = [(name.encode("ascii", "replace"), value.encode("utf-8")) for name, value in headers]
    reason = status_phrase(response.status).encode("ascii")
    return h11.Response(status_code=response.status, headers=encoded, reason=reason)


def _protocol_reason(error: h11.RemoteProtocolError) -> str:
    """A short reason for the log, without echoing what the client sent."""
    status = error.error_status_hint
    if status == 431:
        return "request head too large"
    if status == 501:
        return "unsupported transfer coding"
    return "malformed request"


def _log_access(method: str, target: str, status: int, started: float, reason: str) -> None:
    # The path only: query strings can carry tokens or personal data.
    path = target.split("?", 1)[0].split("#", 1)[0]
    if "://" in path:
        path = "/" + path.split("://", 1)[1].partition("/")[2]
    elapsed_ms = (time.monotonic() - started) * 1000
    suffix = f" ({reason})" if reason else ""
    access_log.info("%s %s %d %.1fms%s", method, path, status, elapsed_ms, suffix)


class _ConnectionHandler(socketserver.BaseRequestHandler):
    server: "_ThreadedServer"
    request: socket.socket

    def handle(self) -> None:
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.request)
        try:
            _Exchange(self.request, self.client_address[0], self.server.application).serve()
        except OSError:
            pass  # the client reset the connection, or the server is closing it on stop
        finally:
            self.server.untrack(self.request)


class _ThreadedServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    # Concurrency tests open many connections at once; the default backlog (5) drops some.
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], application: Application) -> None:
        self.application = application
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _ConnectionHandler)

    def track(self, sock: socket.socket) -> None:
        with self._open_lock:
            self._open.add(sock)

    def untrack(self, sock: socket.socket) -> None:
        with self._open_lock:
            self._open.discard(sock)

    def close_connections(self) -> None:
        """Wake every connection thread blocked on its client: they see the stream end and finish."""
        with self._open_lock:
            open_sockets = list(self._open)
        for sock in open_sockets:
            with contextlib.suppress(OSError):  # already closed by its own thread
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.exception("gateway: unexpected error on a connection from %s", client_address[0])


class HttpServer:
    """Serves ``application`` on ``host:port`` (0: a free port) from a background thread."""

    def __init__(self, application: Application, host: str, port: int) -> None:
        self._server = _ThreadedServer((host, port), application)
        self._serving: BackgroundServer | None = BackgroundServer(self._server, "gateway")

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def stop(self) -> None:
        if self._serving is not None:
            self._serving.stop()  # no new connections
            self._server.close_connections()
            self._serving = None
