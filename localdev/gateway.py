"""The local API Gateway HTTP API: routes, JWT authorizer, payload 2.0 events and responses.

The HTTP/1.1 edge (parsing, limits, slow clients) is :mod:`localdev.http11`: a thread per
connection, so that concurrent requests really run concurrently and the functions'
conditional writes race as they do behind API Gateway.
"""

import base64
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from localdev.authorizer import Authorization, AuthorizerDenied, JwtAuthorizer
from localdev.functions import FunctionError
from localdev.http11 import (
    MAX_BODY_BYTES,
    MAX_HEADER_BYTES,
    GatewayResponse,
    HttpRequest,
    HttpServer,
    json_response,
    message_response,
)
from localdev.template import ACCOUNT_ID, LOCAL_API_ID, HttpRoute

log = logging.getLogger(__name__)

__all__ = ["MAX_BODY_BYTES", "MAX_HEADER_BYTES", "Gateway", "GatewayResponse", "json_response", "message_response"]

LOCAL_AWS_PATH = "/_local/aws"
# Local only, no auth: SIGKILL the environments of one function that are running an invocation.
_KILL_PATH = re.compile(r"/_local/functions/(?P<function_id>[A-Za-z0-9]+)/kill")

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
    text = result.get("body")
    if text is None:
        payload = b""
    elif not isinstance(text, str):
        raise MalformedResponse("body is not a string")
    elif result.get("isBase64Encoded"):
        try:
            payload = base64.b64decode(text, validate=True)
        except ValueError as error:
            raise MalformedResponse(f"isBase64Encoded body is not base64: {error}") from None
    else:
        payload = text.encode("utf-8")
    return GatewayResponse(status, headers, payload)


# ----------------------------------------------------------------------------- the gateway


def new_request_id() -> str:
    """Shaped like API Gateway's ``apigw-requestid`` values."""
    return base64.b64encode(secrets.token_bytes(10)).decode("ascii")


def _split_target(target: str) -> tuple[str, str]:
    """(raw path, raw query) of a request target, origin-form or absolute-form."""
    if "://" in target:
        parts = urlsplit(target)
        return parts.path, parts.query
    path, _, query = target.split("#", 1)[0].partition("?")
    return path, query


class Gateway:
    """Serves ``routes`` on ``host:port`` (port 0: a free one) until stopped.

    ``kill(function_id)`` backs ``POST /_local/functions/{LogicalId}/kill``: it answers how
    many environments it killed, or None for an unknown function.
    """

    def __init__(
        self,
        routes: Iterable[HttpRoute],
        invoke: Invoke,
        *,
        authorizer: JwtAuthorizer | None = None,
        local_info: Callable[[], Mapping[str, Any]] | None = None,
        kill: Callable[[str], int | None] | None = None,
        host: str = "127.0.0.1",
        port: int = 3000,
    ) -> None:
        self.routes = RouteTable(list(routes))
        self.invoke = invoke
        self.authorizer = authorizer or JwtAuthorizer()
        self.local_info = local_info or dict
        self.kill = kill
        self.host = host
        self.requested_port = port
        self._server: HttpServer | None = None
        # Set by stop(): invocations cut short by the runner stopping are not reported as failures.
        self._stopping = threading.Event()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("gateway is not started")
        return self._server.port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "Gateway":
        self._stopping.clear()
        self._server = HttpServer(self.handle, self.host, self.requested_port)
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.stop()
            self._server = None

    def handle(self, request: HttpRequest) -> tuple[GatewayResponse, str]:
        """Answer one request (and say why, for the access log, when it did not reach a function)."""
        request_id = new_request_id()
        response, reason = self._dispatch(request, request_id)
        response.headers.append(("apigw-requestid", request_id))
        return response, reason

    def _dispatch(self, request: HttpRequest, request_id: str) -> tuple[GatewayResponse, str]:
        raw_path, raw_query = _split_target(request.target)
        local = self._local_endpoint(request.method, raw_path)
        if local is not None:
            return local
        match = self.routes.match(request.method, raw_path)
        if match is None:
            return message_response(404, "Not Found"), "no route"
        route = match.route
        authorization = None
        if route.authorizer is not None:
            try:
                values = request.header_values(route.authorizer.identity_header)
                authorization = self.authorizer.authorize(values, route.scopes)
            except AuthorizerDenied as denied:
                return message_response(denied.status, denied.message), denied.reason
        event = build_event(
            method=request.method,
            raw_path=raw_path,
            raw_query=raw_query,
            headers=request.headers,
            body=request.body,
            match=match,
            authorization=authorization,
            source_ip=request.client_address,
            request_id=request_id,
            protocol=f"HTTP/{request.http_version}",
        )
        return self._call(route, event)

    def _local_endpoint(self, method: str, raw_path: str) -> tuple[GatewayResponse, str] | None:
        """The runner's own endpoints (not API Gateway's): ``GET /_local/aws`` and the kill switch."""
        if method == "GET" and raw_path == LOCAL_AWS_PATH:
            return json_response(200, self.local_info()), ""
        killing = _KILL_PATH.fullmatch(raw_path) if method == "POST" and self.kill is not None else None
        if killing is None or self.kill is None:
            return None
        function_id = killing["function_id"]
        killed = self.kill(function_id)
        if killed is None:
            return json_response(404, {"message": f"no function {function_id}"}), "unknown function"
        log.info("killed %d running environment(s) of %s", killed, function_id)
        return json_response(200, {"killed": killed}), ""

    def _call(self, route: HttpRoute, event: dict[str, Any]) -> tuple[GatewayResponse, str]:
        try:
            return map_response(self.invoke(route.function_id, event)), ""
        except MalformedResponse as malformed:
            log.error("%s returned a malformed response: %s", route.function_id, malformed)
            return message_response(500, "Internal Server Error"), "malformed function response"
        except FunctionError as error:
            # Lambda reports the error to API Gateway, which answers a bare 500; the details are logged.
            if not self._stopping.is_set():
                details = f"\n{error.details}" if error.details else ""
                log.error("%s failed on %s: %s%s", route.function_id, route.route_key, error, details)
            return message_response(500, "Internal Server Error"), "function error"
        except Exception:
            log.exception("%s raised while handling %s", route.function_id, route.route_key)
            return message_response(500, "Internal Server Error"), "function error"
