"""The local HTTP API: routing, payload 2.0 events, response mapping and the HTTP edge."""

import base64
import http.client
import json
import logging
import re
import socket
import time
from collections.abc import Iterator

import pytest
import requests

from localdev import http11
from localdev.authorizer import Authorization, JwtAuthorizer
from localdev.gateway import (
    MAX_BODY_BYTES,
    Gateway,
    GatewayResponse,
    MalformedResponse,
    RouteTable,
    build_event,
    encode_body,
    map_response,
)
from localdev.template import HttpRoute, JwtAuthorizerSpec, Template
from localdev.tokens import mint

SECRET = "gateway-test-secret"
JWT = JwtAuthorizerSpec("Jwt", "Authorization", "clientele-local", ("clientele",))


def route(method: str, path: str, function_id: str = "Fn", scopes: tuple[str, ...] = (), auth: bool = True):
    return HttpRoute(method, path, function_id, f"{function_id}Event", JWT if auth else None, scopes)


# ----------------------------------------------------------------------------- routing

ROUTES = RouteTable(
    [
        route("GET", "/v1/customers", "List"),
        route("POST", "/v1/customers", "Create"),
        route("GET", "/v1/customers/{customer_id}", "Get"),
        route("GET", "/v1/customers/search", "Search"),
        route("POST", "/v1/customers/{customer_id}/archive", "Archive"),
        route("ANY", "/files/{proxy+}", "Files"),
        route("GET", "/files/{name}", "FileByName"),
        route("GET", "/", "Root"),
    ]
)


@pytest.mark.parametrize(
    ("method", "path", "function_id", "parameters"),
    [
        ("GET", "/v1/customers", "List", {}),
        ("POST", "/v1/customers", "Create", {}),
        ("GET", "/v1/customers/cus_1", "Get", {"customer_id": "cus_1"}),
        ("GET", "/v1/customers/search", "Search", {}),  # a literal beats {param}
        ("POST", "/v1/customers/cus_1/archive", "Archive", {"customer_id": "cus_1"}),
        ("GET", "/v1/customers/a%20b", "Get", {"customer_id": "a b"}),
        ("GET", "/v1/customers/a%2Fb", "Get", {"customer_id": "a/b"}),  # %2F stays inside the segment
        ("GET", "/files/a", "FileByName", {"name": "a"}),  # {param} beats {proxy+}
        ("DELETE", "/files/a", "Files", {"proxy": "a"}),
        ("GET", "/files/a/b/c", "Files", {"proxy": "a/b/c"}),
        ("GET", "/", "Root", {}),
    ],
)
def test_route_matching(method: str, path: str, function_id: str, parameters: dict) -> None:
    match = ROUTES.match(method, path)
    assert match is not None
    assert match.route.function_id == function_id
    assert match.path_parameters == parameters


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/v1/customers"),  # known path, unknown method
        ("PATCH", "/v1/customers/cus_1"),
        ("GET", "/v1/customers/"),  # an empty {param}
        ("GET", "/v1/customers/cus_1/extra"),
        ("GET", "/v1/customer"),
        ("GET", "/nope"),
        ("GET", "/files/"),  # {proxy+} needs at least one character
        ("GET", "/files"),
        ("get", "/v1/customers"),  # methods are case-sensitive
    ],
)
def test_unmatched_routes(method: str, path: str) -> None:
    assert ROUTES.match(method, path) is None


def test_default_route_catches_everything_else() -> None:
    table = RouteTable([route("GET", "/a"), HttpRoute("ANY", "$default", "Default", "E", None, ())])
    assert table.match("GET", "/a").route.function_id == "Fn"
    assert table.match("PUT", "/whatever/else").route.route_key == "$default"


# ----------------------------------------------------------------------------- request → event


def event_for(
    headers=(("Host", "127.0.0.1:3000"),),
    body: bytes = b"",
    raw_query: str = "",
    path: str = "/v1/customers/cus_1",
    method: str = "GET",
    authorization: Authorization | None = None,
    table: RouteTable = ROUTES,
) -> dict:
    match = table.match(method, path)
    assert match is not None
    return build_event(
        method=method,
        raw_path=path,
        raw_query=raw_query,
        headers=list(headers),
        body=body,
        match=match,
        authorization=authorization,
        source_ip="127.0.0.1",
        request_id="req-1",
        now=1_700_000_000.123,
    )


def test_event_top_level_shape() -> None:
    event = event_for(authorization=Authorization({"sub": "u1", "n": 1}, ["customer:read"]))
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /v1/customers/{customer_id}"
    assert event["rawPath"] == "/v1/customers/cus_1"
    assert event["rawQueryString"] == ""
    assert event["pathParameters"] == {"customer_id": "cus_1"}
    assert event["isBase64Encoded"] is False
    assert "body" not in event
    assert "queryStringParameters" not in event
    assert "cookies" not in event
    context = event["requestContext"]
    assert context["accountId"] == "123456789012"
    assert context["apiId"]
    assert context["domainName"] == "127.0.0.1"
    assert context["domainPrefix"] == "127"
    assert context["http"] == {
        "method": "GET",
        "path": "/v1/customers/cus_1",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "",
    }
    assert context["requestId"] == "req-1"
    assert context["routeKey"] == "GET /v1/customers/{customer_id}"
    assert context["stage"] == "$default"
    assert context["time"] == "14/Nov/2023:22:13:20 +0000"
    assert context["timeEpoch"] == 1_700_000_000_123
    assert context["authorizer"] == {"jwt": {"claims": {"sub": "u1", "n": 1}, "scopes": ["customer:read"]}}


def test_open_routes_have_no_authorizer_context() -> None:
    table = RouteTable([route("GET", "/health", auth=False)])
    event = event_for(path="/health", table=table)
    assert "authorizer" not in event["requestContext"]
    assert "pathParameters" not in event


def test_headers_are_lower_cased_and_repeats_joined() -> None:
    event = event_for(
        headers=[
            ("Host", "localhost:3000"),
            ("X-Thing", "a"),
            ("x-thing", "b"),
            ("User-Agent", "pytest"),
            ("Cookie", "a=1; b=2"),
            ("Cookie", "c=3"),
        ]
    )
    headers = event["headers"]
    assert headers["x-thing"] == "a,b"
    assert headers["host"] == "localhost:3000"
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-forwarded-port"] == "3000"
    assert all(name == name.lower() for name in headers)
    assert "cookie" not in headers
    assert event["cookies"] == ["a=1", "b=2", "c=3"]
    assert event["requestContext"]["http"]["userAgent"] == "pytest"


def test_query_string_parameters_are_decoded_and_joined() -> None:
    event = event_for(raw_query="a=1&a=2&b=x%20y&c=&d=%E2%82%AC&e=a+b")
    assert event["rawQueryString"] == "a=1&a=2&b=x%20y&c=&d=%E2%82%AC&e=a+b"
    assert event["queryStringParameters"] == {"a": "1,2", "b": "x y", "c": "", "d": "€", "e": "a b"}


def test_json_body_is_text() -> None:
    body = '{"name":"Zoë"}'.encode()
    event = event_for(
        headers=[("Content-Type", "application/json; charset=utf-8")],
        body=body,
        method="POST",
        path="/v1/customers",
    )
    assert event["body"] == '{"name":"Zoë"}'
    assert event["isBase64Encoded"] is False


@pytest.mark.parametrize(
    "content_type", ["application/merge-patch+json", "text/csv", "APPLICATION/JSON", "application/xml"]
)
def test_textual_media_types_are_text(content_type: str) -> None:
    assert encode_body(b"abc", content_type) == ("abc", False)


def test_invalid_utf8_json_arrives_base64_encoded() -> None:
    raw = b'{"name":"\xff\xfe"}'
    headers = [("Content-Type", "application/json")]
    event = event_for(headers=headers, body=raw, method="POST", path="/v1/customers")
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == raw


def test_encoded_surrogates_are_not_utf8() -> None:
    assert encode_body(b'"\xed\xa0\x80"', "application/json")[1] is True


@pytest.mark.parametrize(
    "content_type",
    [None, "application/octet-stream", "image/png", "multipart/form-data"],
)
def test_binary_or_untyped_bodies_are_base64(content_type: str | None) -> None:
    body, is_base64 = encode_body(b"abc", content_type)
    assert is_base64 is True
    assert base64.b64decode(body) == b"abc"


def test_raw_path_is_decoded() -> None:
    event = event_for(path="/v1/customers/a%20b")
    assert event["rawPath"] == "/v1/customers/a b"
    assert event["pathParameters"] == {"customer_id": "a b"}


# ----------------------------------------------------------------------------- function result → response


def test_response_with_status_code() -> None:
    response = map_response(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "application/json", "ETag": '"v1"', "X-Num": 5},
            "multiValueHeaders": {"X-Multi": ["a", "b"]},
            "cookies": ["s=1; HttpOnly", "t=2"],
            "body": '{"id":"cus_1"}',
        }
    )
    assert response.status == 201
    assert ("ETag", '"v1"') in response.headers
    assert ("X-Num", "5") in response.headers
    assert [v for n, v in response.headers if n == "X-Multi"] == ["a", "b"]
    assert [v for n, v in response.headers if n == "Set-Cookie"] == ["s=1; HttpOnly", "t=2"]
    assert response.body == b'{"id":"cus_1"}'


def test_base64_response_body_is_decoded() -> None:
    response = map_response(
        {"statusCode": 200, "body": base64.b64encode(b"\x00\x01").decode(), "isBase64Encoded": True}
    )
    assert response.body == b"\x00\x01"


def test_no_body() -> None:
    assert map_response({"statusCode": 204}) == GatewayResponse(204, [], b"")


@pytest.mark.parametrize(
    ("result", "body"),
    [
        ({"id": 1}, b'{"id": 1}'),
        ([1, 2], b"[1, 2]"),
        ("plain text", b"plain text"),
        (None, b"null"),
        (7, b"7"),
    ],
)
def test_anything_else_is_a_200_json_body(result: object, body: bytes) -> None:
    response = map_response(result)
    assert response.status == 200
    assert ("Content-Type", "application/json") in response.headers
    assert response.body == body


def test_framing_and_authorization_headers_are_not_copied() -> None:
    response = map_response(
        {
            "statusCode": 200,
            "headers": {"Content-Length": "999", "Authorization": "Bearer x", "Connection": "close"},
        }
    )
    assert response.headers == []


@pytest.mark.parametrize(
    "result",
    [
        {"statusCode": "abc"},
        {"statusCode": 99},
        {"statusCode": True},
        {"statusCode": 200, "body": {"not": "a string"}},
        {"statusCode": 200, "body": "%%%", "isBase64Encoded": True},
        {"statusCode": 200, "headers": {"x": {"nested": 1}}},
    ],
)
def test_malformed_responses(result: dict) -> None:
    with pytest.raises(MalformedResponse):
        map_response(result)


# ----------------------------------------------------------------------------- over HTTP


class RecordingInvoke:
    def __init__(self) -> None:
        self.events: list[dict] = []

    def __call__(self, function_id: str, event: dict) -> object:
        self.events.append(event)
        mode = (event.get("queryStringParameters") or {}).get("mode")
        if mode == "raise":
            raise RuntimeError("boom")
        if mode == "leak":
            echoed = event["headers"].get("authorization", "")
            return {"statusCode": 200, "headers": {"Authorization": echoed}}
        if mode == "malformed":
            return {"statusCode": "nope"}
        return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}


@pytest.fixture
def gateway(small_template: Template) -> Iterator[tuple[Gateway, RecordingInvoke]]:
    invoke = RecordingInvoke()
    gateway = Gateway(
        small_template.http_routes(),
        invoke,
        authorizer=JwtAuthorizer(SECRET),
        local_info=lambda: {"endpoint_url": "http://aws.local", "table": "t"},
        port=0,
    ).start()
    yield gateway, invoke
    gateway.stop()


def token(scope: str = "echo:read echo:write") -> str:
    return mint("t1", "admin", scope, secret=SECRET)


def test_open_route_and_local_aws(gateway) -> None:
    server, _ = gateway
    response = requests.get(f"{server.url}/open", timeout=5)
    assert response.status_code == 200
    assert response.headers["apigw-requestid"]
    assert response.json()["routeKey"] == "GET /open"
    assert requests.get(f"{server.url}/_local/aws", timeout=5).json() == {
        "endpoint_url": "http://aws.local",
        "table": "t",
    }


def test_literal_route_beats_parameter_route_over_http(gateway) -> None:
    server, _ = gateway
    response = requests.get(f"{server.url}/echo/special", timeout=5)
    assert response.json()["routeKey"] == "GET /echo/special"


def test_unknown_route_and_method_are_404_json(gateway) -> None:
    server, invoke = gateway
    for method, path in [("GET", "/nope"), ("DELETE", "/echo/1"), ("PURGE", "/open"), ("GET", "/echo/")]:
        response = requests.request(method, f"{server.url}{path}", timeout=5)
        assert response.status_code == 404, (method, path)
        assert response.headers["Content-Type"] == "application/json"
        assert response.json() == {"message": "Not Found"}
    assert invoke.events == []


def test_authorized_request_reaches_the_function_with_claims(gateway) -> None:
    server, invoke = gateway
    response = requests.get(
        f"{server.url}/echo/abc?x=1&x=2",
        headers={"Authorization": f"bearer {token()}", "X-A": "1"},
        timeout=5,
    )
    assert response.status_code == 200
    event = invoke.events[-1]
    assert event["routeKey"] == "GET /echo/{id}"
    assert event["pathParameters"] == {"id": "abc"}
    assert event["queryStringParameters"] == {"x": "1,2"}
    assert event["requestContext"]["authorizer"]["jwt"]["claims"]["tenant_id"] == "t1"
    assert event["requestContext"]["authorizer"]["jwt"]["scopes"] == ["echo:read", "echo:write"]
    assert event["headers"]["x-a"] == "1"


def test_missing_or_bad_token_is_401_and_never_reaches_the_function(gateway) -> None:
    server, invoke = gateway
    for headers in [{}, {"Authorization": "Bearer nope"}, {"Authorization": f"Basic {token()}"}]:
        response = requests.get(f"{server.url}/echo/abc", headers=headers, timeout=5)
        assert response.status_code == 401
        assert response.json() == {"message": "Unauthorized"}
    assert invoke.events == []


def test_token_in_query_string_is_never_read(gateway) -> None:
    server, invoke = gateway
    params = {"access_token": token(), "token": token()}
    response = requests.get(f"{server.url}/echo/abc", params=params, timeout=5)
    assert response.status_code == 401
    assert invoke.events == []


def test_missing_scope_is_403(gateway) -> None:
    server, invoke = gateway
    headers = {"Authorization": f"Bearer {token('other')}"}
    response = requests.get(f"{server.url}/echo/abc", headers=headers, timeout=5)
    assert response.status_code == 403
    assert response.json() == {"message": "Forbidden"}
    assert invoke.events == []


def test_two_authorization_headers_are_401(gateway) -> None:
    server, invoke = gateway
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    connection.putrequest("GET", "/echo/abc")
    connection.putheader("Authorization", f"Bearer {token()}")
    connection.putheader("Authorization", f"Bearer {token()}")
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 401
    assert json.loads(response.read()) == {"message": "Unauthorized"}
    connection.close()
    assert invoke.events == []


def test_headers_over_10kb_are_431(gateway) -> None:
    server, invoke = gateway
    headers = {f"X-Big-{i}": "v" * 1000 for i in range(11)}
    response = requests.get(f"{server.url}/open", headers=headers, timeout=5)
    assert response.status_code == 431
    assert invoke.events == []
    # Just under the limit is fine.
    response = requests.get(f"{server.url}/open", headers={"X-Big": "v" * 9000}, timeout=5)
    assert response.status_code == 200


@pytest.mark.parametrize("expect", ["", "Expect: 100-continue\r\n"])
def test_bodies_over_10mb_are_413_without_reading_them(gateway, expect: str) -> None:
    server, invoke = gateway
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(
            f"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{expect}"
            f"Content-Length: {MAX_BODY_BYTES + 1}\r\n\r\n".encode()
        )
        answer = read_until_closed(sock).decode()
    assert answer.startswith("HTTP/1.1 413")
    assert answer.endswith('{"message":"Request Entity Too Large"}')
    assert invoke.events == []


def read_until_closed(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def wait_for_log(caplog: pytest.LogCaptureFixture, text: str) -> None:
    """The access line is written after the answer is sent, so it may trail the client a little."""
    deadline = time.monotonic() + 2
    while text not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.01)
    assert text in caplog.text


def test_body_at_the_limit_passes(gateway) -> None:
    server, invoke = gateway
    body = b"a" * MAX_BODY_BYTES
    response = requests.post(
        f"{server.url}/files/upload",
        data=body,
        headers={"Authorization": f"Bearer {token()}", "Content-Type": "application/octet-stream"},
        timeout=30,
    )
    assert response.status_code == 200
    assert base64.b64decode(invoke.events[-1]["body"]) == body


def test_binary_and_invalid_utf8_bodies_arrive_base64(gateway) -> None:
    server, invoke = gateway
    cases = [("application/json", b'{"a":"\xff"}'), ("application/octet-stream", b"\x00\x01")]
    for content_type, body in cases:
        requests.post(
            f"{server.url}/echo",
            data=body,
            headers={"Authorization": f"Bearer {token()}", "Content-Type": content_type},
            timeout=5,
        )
        event = invoke.events[-1]
        assert event["isBase64Encoded"] is True
        assert base64.b64decode(event["body"]) == body


def test_chunked_request_body(gateway) -> None:
    server, invoke = gateway
    response = requests.post(
        f"{server.url}/echo",
        data=iter([b'{"a":', b"1}"]),
        headers={"Authorization": f"Bearer {token()}", "Content-Type": "application/json"},
        timeout=5,
    )
    assert response.status_code == 200
    assert invoke.events[-1]["body"] == '{"a":1}'


def test_function_exception_is_500_and_logged(gateway, caplog: pytest.LogCaptureFixture) -> None:
    server, _ = gateway
    with caplog.at_level(logging.ERROR, logger="localdev.gateway"):
        response = requests.get(f"{server.url}/open?mode=raise", timeout=5)
    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}
    assert "RuntimeError: boom" in caplog.text
    assert "boom" not in response.text


def test_malformed_function_response_is_500(gateway) -> None:
    server, _ = gateway
    response = requests.get(f"{server.url}/open?mode=malformed", timeout=5)
    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}


def test_authorization_is_never_echoed(gateway, caplog: pytest.LogCaptureFixture) -> None:
    server, _ = gateway
    secret_token = token()
    with caplog.at_level(logging.INFO, logger="localdev.access"):
        response = requests.get(
            f"{server.url}/files/x?mode=leak&q={secret_token}",
            headers={"Authorization": f"Bearer {secret_token}"},
            timeout=5,
        )
        assert response.status_code == 200
        assert secret_token not in json.dumps(dict(response.headers))
        wait_for_log(caplog, "GET /files/x 200")
    assert secret_token not in caplog.text


def test_keep_alive_connections_serve_several_requests(gateway) -> None:
    server, _ = gateway
    with requests.Session() as session:
        for _ in range(3):
            assert session.get(f"{server.url}/nope", timeout=5).status_code == 404
            assert session.get(f"{server.url}/open", timeout=5).status_code == 200


def test_head_without_a_head_route_is_404_without_body(gateway) -> None:
    server, _ = gateway
    response = requests.head(f"{server.url}/open", timeout=5)
    assert response.status_code == 404
    assert response.content == b""


# ----------------------------------------------------------------------------- the HTTP/1.1 edge


def exchange(server: Gateway, data: bytes) -> bytes:
    """Send raw bytes on a fresh connection and read until the gateway closes it."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(data)
        return read_until_closed(sock)


@pytest.fixture
def short_deadlines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http11, "HEAD_TIMEOUT_S", 0.3)
    monkeypatch.setattr(http11, "BODY_STALL_TIMEOUT_S", 0.3)
    monkeypatch.setattr(http11, "IDLE_TIMEOUT_S", 0.3)


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n{}", 400),
        (b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 2\r\n\r\n{}", 400),
        (b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        (b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        (b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
        (b"GET /open HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n", 400),
        (b"GET /open HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: " + b"p" * 70_000 + b"\r\n\r\n", 431),
        (b"HELLO\r\n\r\n", 400),
        (b"\x16\x03\x01\x02\x00\x01\x00", 400),
        (b"\xff\xfe junk", 400),
    ],
)
def test_malformed_requests_get_a_status_line_and_a_closed_connection(gateway, request_bytes, status) -> None:
    server, invoke = gateway
    answer = exchange(server, request_bytes)
    assert answer.startswith(f"HTTP/1.1 {status} ".encode()), answer[:60]
    assert b"\r\nConnection: close\r\n" in answer
    assert answer.endswith(b'"}')  # a JSON message, as API Gateway's own answers
    assert invoke.events == []


def test_identical_duplicate_content_lengths_are_one(gateway) -> None:
    server, invoke = gateway
    body = b'{"a":1}'
    answer = exchange(
        server,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {token()}\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n".encode()
        + body,
    )
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert invoke.events[-1]["body"] == '{"a":1}'


@pytest.mark.usefixtures("short_deadlines")
@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /open HTTP/1.1\r\nHost: x\r\n",  # headers that never end
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{",  # a body that never arrives
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",  # a chunk cut short
    ],
)
def test_clients_that_stop_sending_get_408(gateway, request_bytes: bytes) -> None:
    server, invoke = gateway
    answer = exchange(server, request_bytes)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert answer.endswith(b'{"message":"Request Timeout"}')
    assert invoke.events == []


@pytest.mark.usefixtures("short_deadlines")
def test_an_idle_connection_is_closed_without_an_answer(gateway) -> None:
    server, _ = gateway
    assert exchange(server, b"") == b""


def test_expect_100_continue_gets_continue_then_the_answer(gateway) -> None:
    server, invoke = gateway
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Type: application/json\r\n"
            + f"Authorization: Bearer {token()}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n".encode()
        )
        assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        sock.sendall(b"{}")
        answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert invoke.events[-1]["body"] == "{}"


def test_pipelined_requests_are_answered_in_order(gateway) -> None:
    server, _ = gateway
    answer = exchange(
        server,
        b"GET /open?n=1 HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /open?n=3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    assert re.findall(rb"HTTP/1\.1 (\d{3}) [A-Z]", answer) == [b"200", b"404", b"200"]


def test_http_1_0_gets_its_answer_and_a_close(gateway) -> None:
    server, _ = gateway
    answer = exchange(server, b"GET /open HTTP/1.0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert b"\r\nConnection: close\r\n" in answer


def test_connection_close_is_honoured(gateway) -> None:
    server, _ = gateway
    answer = exchange(server, b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 404 ")
    assert b"\r\nConnection: close\r\n" in answer
    assert answer.endswith(b'{"message":"Not Found"}')


def test_a_response_header_http_cannot_carry_is_a_500(small_template: Template) -> None:
    def inject(function_id: str, event: dict) -> object:
        return {"statusCode": 200, "headers": {"X-Evil": "a\r\nSet-Cookie: stolen=1"}, "body": "ok"}

    server = Gateway(small_template.http_routes(), inject, port=0).start()
    try:
        response = requests.get(f"{server.url}/open", timeout=5)
        assert response.status_code == 500
        assert response.json() == {"message": "Internal Server Error"}
        assert "stolen" not in response.headers.get("Set-Cookie", "")
    finally:
        server.stop()


def test_204_has_neither_body_nor_content_length(small_template: Template) -> None:
    def no_content(function_id: str, event: dict) -> object:
        return {"statusCode": 204, "body": "dropped"}

    server = Gateway(small_template.http_routes(), no_content, port=0).start()
    try:
        answer = exchange(server, b"GET /open HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 204 ")
        assert b"Content-Length" not in answer
        assert answer.endswith(b"\r\n\r\n")
    finally:
        server.stop()


def test_head_answers_the_length_without_the_body(small_template: Template) -> None:
    def resource(function_id: str, event: dict) -> object:
        return {"statusCode": 200, "body": "twelve bytes"}

    routes = [*small_template.http_routes(), route("HEAD", "/thing", auth=False)]
    server = Gateway(routes, resource, port=0).start()
    try:
        answer = exchange(server, b"HEAD /thing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 200 ")
        assert b"\r\nContent-Length: 12\r\n" in answer
        assert answer.endswith(b"\r\n\r\n")
    finally:
        server.stop()


def test_stop_closes_open_connections(gateway) -> None:
    server, _ = gateway
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"GET /open HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")  # now idle on a keep-alive connection
        server.stop()
        assert sock.recv(100) == b""


# ----------------------------------------------------------------------------- the kill switch


def test_kill_endpoint(small_template: Template) -> None:
    calls: list[str] = []

    def kill(function_id: str) -> int | None:
        calls.append(function_id)
        return 2 if function_id == "EchoFunction" else None

    server = Gateway(small_template.http_routes(), RecordingInvoke(), kill=kill, port=0).start()
    try:
        killed = requests.post(f"{server.url}/_local/functions/EchoFunction/kill", timeout=5)
        assert (killed.status_code, killed.json()) == (200, {"killed": 2})
        unknown = requests.post(f"{server.url}/_local/functions/Nope/kill", timeout=5)
        assert (unknown.status_code, unknown.json()) == (404, {"message": "no function Nope"})
        assert requests.get(f"{server.url}/_local/functions/EchoFunction/kill", timeout=5).status_code == 404
        assert calls == ["EchoFunction", "Nope"]
    finally:
        server.stop()


def test_a_runner_bug_is_a_logged_500_not_a_dropped_connection(
    small_template: Template, caplog: pytest.LogCaptureFixture
) -> None:
    def broken_local_info() -> dict:
        raise RuntimeError("runner bug")

    server = Gateway(small_template.http_routes(), RecordingInvoke(), local_info=broken_local_info, port=0).start()
    try:
        with caplog.at_level(logging.ERROR, logger="localdev.http11"):
            response = requests.get(f"{server.url}/_local/aws", timeout=5)
        assert (response.status_code, response.json()) == (500, {"message": "Internal Server Error"})
        assert "RuntimeError: runner bug" in caplog.text
    finally:
        server.stop()


def test_the_access_log_times_the_request_not_the_idle_wait_before_it(
    gateway, caplog: pytest.LogCaptureFixture
) -> None:
    server, _ = gateway
    with caplog.at_level(logging.INFO, logger="localdev.access"), requests.Session() as session:
        session.get(f"{server.url}/nope", timeout=5)
        time.sleep(1)  # the keep-alive connection idles between the two requests
        session.get(f"{server.url}/nope?second=1", timeout=5)
        wait_for_log(caplog, "GET /nope 404")
        deadline = time.monotonic() + 2
        while caplog.text.count("GET /nope 404") < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    durations = [float(line.split(" 404 ")[1].split("ms")[0]) for line in caplog.messages if "GET /nope 404" in line]
    assert len(durations) == 2
    assert durations[1] < 1000
