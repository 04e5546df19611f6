"""The local API Gateway HTTP API: routes, JWT authorizer, payload 2.0 events and responses.

A ThreadingHTTPServer, so that concurrent requests really run concurrently and the
functions' conditional writes race as they do behind API Gateway.
"""

import base64
import http.server
import json
import logging
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from localdev.authorizer import Authorization, AuthorizerDenied, JwtAuthorizer
from localdev.serving import BackgroundServer
from localdev.template import ACCOUNT_ID, LOCAL_API_ID, HttpRoute

log = logging.getLogger(__name__)
access_log = logging.getLogger("localdev.access")

MAX_HEADER_BYTES = 10 * 1024
MAX_BODY_BYTES = 10 * 1024 * 1024
LOCAL_AWS_PATH = "/_local/aws"

# Media types API Gateway hands to the function as text; everything else arrives base64-encoded.
_TEXT_MEDIA_TYPES = {"application/json", "application/javascript", "application/xml", "application/graphql"}
# Never copied from a function's answer: the gateway frames the response itself.
_HOP_BY_HOP = {"content-length", "transfer-encoding", "connection", "keep-alive", "authorization"}

Invoke = Callable[[str, dict[str, Any]], Any]


# ----------------------------------------------------------------------------- routing


@dataclass(frozen=True)
class RouteMatch:
    route: HttpRoute
    path_parameters: dict[str, str]


class RouteTable:
    """Matches ``METHOD /raw/path`` to a route as HTTP API does: the most specific route wins."""

    def __init__(self, routes: Iterable[HttpRoute]) -> None:
        self.routes = [route for route in routes if route.path != "$default"]
        self.default = next((route for route in routes if route.path == "$default"), None)
        self._compiled = [(route, route.path.strip("/").split("/")) for route in self.routes]

    def match(self, method: str, raw_path: str) -> RouteMatch | None:
        segments = raw_path.lstrip("/").split("/")
        best: tuple[tuple[int, ...], RouteMatch] | None = None
        for route, pattern in self._compiled:
            if route.method not in (method, "ANY"):
                continue
            parameters = _match_segments(pattern, segments)
            if parameters is None:
                continue
            # Literal beats {param} beats {greedy+}; an exact method beats ANY.
            score = (*(_segment_rank(part) for part in pattern), int(route.method == method))
            if best is None or score > best[0]:
                best = (score, RouteMatch(route, parameters))
        if best is not None:
            return best[1]
        if self.default is not None:
            return RouteMatch(self.default, {})
        return None


def _segment_rank(part: str) -> int:
    if part.startswith("{") and part.endswith("+}"):
        return 0
    if part.startswith("{") and part.endswith("}"):
        return 1
    return 2


def _match_segments(pattern: list[str], segments: list[str]) -> dict[str, str] | None:
    parameters: dict[str, str] = {}
    for index, part in enumerate(pattern):
        if part.startswith("{") and part.endswith("+}"):
            rest = segments[index:]
            if not rest or not "".join(rest):
                return None
            parameters[part[1:-2]] = unquote("/".join(rest))
            return parameters
        if index >= len(segments):
            return None
        segment = segments[index]
        if part.startswith("{") and part.endswith("}"):
            if not segment:
                return None
            parameters[part[1:-1]] = unquote(segment)
        elif unquote(segment) != part:
            return None
    return parameters if len(segments) == len(pattern) else None


# ----------------------------------------------------------------------------- request → event


def is_text_media_type(content_type: str | None) -> bool:
    if not content_type:
        return False
    media_type = content_type.split(";", 1)[0].strip().lower()
    return (
        media_type.startswith("text/")
        or media_type in _TEXT_MEDIA_TYPES
        or media_type.endswith("+json")
        or media_type.endswith("+xml")
    )


def encode_body(body: bytes, content_type: str | None) -> tuple[str | None, bool]:
    """(body, isBase64Encoded): text only for textual media types that decode as UTF-8."""
    if not body:
        return None, False
    if is_text_media_type(content_type):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass  # invalid UTF-8 is passed on base64-encoded, so the function can answer 400
    return base64.b64encode(body).decode("ascii"), True


def _join_values(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    joined: dict[str, str] = {}
    for name, value in pairs:
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    return joined


def build_event(
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    match: RouteMatch,
    authorization: Authorization | None,
    source_ip: str,
    request_id: str,
    now: float | None = None,
    protocol: str = "HTTP/1.1",
) -> dict[str, Any]:
    """An API Gateway HTTP API payload format 2.0 event."""
    now = time.time() if now is None else now
    lowered = [(name.lower(), value) for name, value in headers]
    cookie_headers = [value for name, value in lowered if name == "cookie"]
    cookies = [cookie.strip() for value in cookie_headers for cookie in value.split(";") if cookie.strip()]
    header_map = _join_values((name, value) for name, value in lowered if name != "cookie")
    header_map["x-forwarded-for"] = (
        f"{header_map['x-forwarded-for']},{source_ip}" if "x-forwarded-for" in header_map else source_ip
    )
    header_map.setdefault("x-forwarded-proto", "http")
    host = header_map.get("host", "127.0.0.1")
    header_map.setdefault("x-forwarded-port", host.rpartition(":")[2] if ":" in host else "80")
    domain_name = host.rpartition(":")[0] if ":" in host else host
    path = unquote(raw_path)
    route = match.route
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": header_map,
    }
    if cookies:
        event["cookies"] = cookies
    query = _join_values(parse_qsl(raw_query, keep_blank_values=True))
    if query:
        event["queryStringParameters"] = query
    request_context: dict[str, Any] = {
        "accountId": ACCOUNT_ID,
        "apiId": LOCAL_API_ID,
        "domainName": domain_name,
        "domainPrefix": domain_name.split(".", 1)[0],
        "http": {
            "method": method,
            "path": path,
            "protocol": protocol,
            "sourceIp": source_ip,
            "userAgent": header_map.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": route.route_key,
        "stage": "$default",
        "time": datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now * 1000),
    }
    if route.authorizer is not None and authorization is not None:
        jwt = {"claims": authorization.claims, "scopes": authorization.scopes}
        request_context["authorizer"] = {"jwt": jwt}
    event["requestContext"] = request_context
    if match.path_parameters:
        event["pathParameters"] = dict(match.path_parameters)
    text, is_base64 = encode_body(body, header_map.get("content-type"))
    if text is not None:
        event["body"] = text
    event["isBase64Encoded"] = is_base64
    return event


# ----------------------------------------------------------------------------- function result → response


class MalformedResponse(Exception):
    """The function answered something API Gateway would reject (it answers 500)."""


@dataclass
class GatewayResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def json_response(status: int, document: Any) -> GatewayResponse:
    body = json.dumps(document, separators=(",", ":")).encode("utf-8")
    return GatewayResponse(status, [("Content-Type", "application/json")], body)


def message_response(status: int, message: str) -> GatewayResponse:
    return json_response(status, {"message": message})


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise MalformedResponse(f"header value {value!r} is not a string")


def map_response(result: Any) -> GatewayResponse:
    """Payload 2.0 response rules: a dict with statusCode is a response, anything else is a 200 JSON body."""
    if not (isinstance(result, dict) and "statusCode" in result):
        body = result if isinstance(result, str) else json.dumps(result)
        return GatewayResponse(200, [("Content-Type", "application/json")], body.encode("utf-8"))
    status = result["statusCode"]
    if isinstance(status, bool) or not isinstance(status, int | str) or not str(status).isdigit():
        raise MalformedResponse(f"statusCode {status!r} is not an integer")
    status = int(status)
    if not 100 <= status <= 599:
        raise MalformedResponse(f"statusCode {status} is out of range")
    headers: list[tuple[str, str]] = []
    for name, value in (result.get("headers") or {}).items():
        headers.append((name, _header_text(value)))
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((name, _header_text(value)) for value in values)
    headers = [(name, value) for name, value in headers if name.lower() not in _HOP_BY_HOP]
    headers.extend(("Set-Cookie", _header_text(cookie)) for cookie in result.get("cookies") or [])
    body = result.get("body")
    if body is None:
        payload = b""
    elif not isinstance(body, str):
        raise MalformedResponse("body is not a string")
    elif result.get("isBase64Encoded"):
        try:
            payload = base64.b64decode(body, validate=True)
        except ValueError as error:
            raise MalformedResponse(f"isBase64Encoded body is not base64: {error}") from None
    else:
        payload = body.encode("utf-8")
    return GatewayResponse(status, headers, payload)


# ----------------------------------------------------------------------------- HTTP server


def new_request_id() -> str:
    """Shaped like API Gateway's ``apigw-requestid`` values."""
    return base64.b64encode(secrets.token_bytes(10)).decode("ascii")


class BadRequest(Exception):
    def __init__(self, response: GatewayResponse, reason: str) -> None:
        super().__init__(reason)
        self.response = response


class _GatewayServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    # Concurrency tests open many connections at once; the default backlog (5) drops some.
    request_queue_size = 256
    gateway: "Gateway"


class _RequestHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a large test suite reuses connections
    server_version = "clientele-localdev"
    sys_version = ""
    timeout = 75  # idle keep-alive connections are closed after this many seconds
    # Headers and body go out in two writes; with Nagle on, the second waits for a delayed ACK (~40 ms).
    disable_nagle_algorithm = True
    server: _GatewayServer

    def __getattr__(self, name: str) -> Any:
        # Every method is routed (unknown ones answer 404 as HTTP API does, not http.server's 501).
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """The gateway writes its own access log line (without the query string)."""

    def log_error(self, format: str, *args: Any) -> None:
        log.warning("gateway: " + format, *args)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors raised by http.server itself (bad request line, header too long …) as JSON too."""
        phrase = http.server.BaseHTTPRequestHandler.responses.get(code, ("Error",))[0]
        self.close_connection = True
        self._write(message_response(code, phrase), new_request_id(), head_only=False)

    def _serve(self) -> None:
        started = time.monotonic()
        request_id = new_request_id()
        reason = ""
        try:
            response, reason = self._dispatch(request_id)
        except BadRequest as bad:
            response, reason = bad.response, str(bad)
            self.close_connection = True
        self._write(response, request_id, head_only=self.command == "HEAD")
        elapsed_ms = (time.monotonic() - started) * 1000
        raw_path = urlsplit(self.path).path if "://" in self.path else self.path.split("?", 1)[0]
        suffix = f" ({reason})" if reason else ""
        access_log.info("%s %s %d %.1fms%s", self.command, raw_path, response.status, elapsed_ms, suffix)

    def _dispatch(self, request_id: str) -> tuple[GatewayResponse, str]:
        gateway = self.server.gateway
        header_bytes = sum(len(name) + len(value) for name, value in self.headers.items())
        if header_bytes > MAX_HEADER_BYTES:
            raise BadRequest(message_response(431, "Request Header Fields Too Large"), "headers too large")
        body = self._read_body()
        target = urlsplit(self.path) if "://" in self.path else None
        raw_path, _, raw_query = (
            (target.path, "", target.query) if target else self.path.split("#", 1)[0].partition("?")
        )
        if raw_path == LOCAL_AWS_PATH and self.command == "GET":
            return json_response(200, gateway.local_info()), ""
        match = gateway.routes.match(self.command, raw_path)
        if match is None:
            return message_response(404, "Not Found"), "no route"
        route = match.route
        authorization = None
        if route.authorizer is not None:
            try:
                values = self.headers.get_all(route.authorizer.identity_header) or []
                authorization = gateway.authorizer.authorize(values, route.scopes)
            except AuthorizerDenied as denied:
                return message_response(denied.status, denied.message), denied.reason
        event = build_event(
            method=self.command,
            raw_path=raw_path,
            raw_query=raw_query,
            headers=list(self.headers.items()),
            body=body,
            match=match,
            authorization=authorization,
            source_ip=self.client_address[0],
            request_id=request_id,
            protocol=self.request_version,
        )
        try:
            return map_response(gateway.invoke(route.function_id, event)), ""
        except MalformedResponse as malformed:
            log.error("%s returned a malformed response: %s", route.function_id, malformed)
            return message_response(500, "Internal Server Error"), "malformed function response"
        except Exception:
            # Lambda reports the error to API Gateway, which answers a bare 500; the traceback is logged.
            log.exception("%s raised while handling %s", route.function_id, route.route_key)
            return message_response(500, "Internal Server Error"), "function error"

    def _read_body(self) -> bytes:
        too_large = BadRequest(message_response(413, "Request Entity Too Large"), "body too large")
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked(too_large)
        length_header = self.headers.get("Content-Length")
        if not length_header:
            return b""
        try:
            length = int(length_header)
        except ValueError:
            raise BadRequest(message_response(400, "Bad Request"), "bad Content-Length") from None
        if length < 0:
            raise BadRequest(message_response(400, "Bad Request"), "bad Content-Length")
        if length > MAX_BODY_BYTES:
            raise too_large
        return self.rfile.read(length)

    def _read_chunked(self, too_large: BadRequest) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            size_line = self.rfile.readline(1024)
            try:
                size = int(size_line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise BadRequest(message_response(400, "Bad Request"), "bad chunk") from None
            if size == 0:
                # Trailers end with an empty line.
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                raise too_large
            chunks.append(self.rfile.read(size))
            self.rfile.readline(3)

    def handle_expect_100(self) -> bool:
        length = self.headers.get("Content-Length")
        if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
            self.close_connection = True
            self._write(message_response(413, "Request Entity Too Large"), new_request_id(), head_only=False)
            return False
        return super().handle_expect_100()

    def _write(self, response: GatewayResponse, request_id: str, head_only: bool) -> None:
        self.send_response_only(response.status)
        self.send_header("Date", self.date_time_string())
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("apigw-requestid", request_id)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if not head_only:
            self.wfile.write(response.body)


class Gateway:
    """Serves ``routes`` on ``host:port`` (port 0: a free one) until stopped."""

    def __init__(
        self,
        routes: Iterable[HttpRoute],
        invoke: Invoke,
        *,
        authorizer: JwtAuthorizer | None = None,
        local_info: Callable[[], Mapping[str, Any]] | None = None,
        host: str = "127.0.0.1",
        port: int = 3000,
    ) -> None:
        self.routes = RouteTable(list(routes))
        self.invoke = invoke
        self.authorizer = authorizer or JwtAuthorizer()
        self.local_info = local_info or dict
        self.host = host
        self.requested_port = port
        self._server: _GatewayServer | None = None
        self._serving: BackgroundServer | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("gateway is not started")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "Gateway":
        server = _GatewayServer((self.host, self.requested_port), _RequestHandler)
        server.gateway = self
        self._server = server
        self._serving = BackgroundServer(server, "gateway")
        return self

    def stop(self) -> None:
        if self._serving is not None:
            self._serving.stop()
            self._serving = None
        self._server = None
