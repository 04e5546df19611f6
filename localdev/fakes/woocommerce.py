"""A fake WooCommerce store: the REST API v3 customers endpoints on loopback, for `make serve` and tests.

- Customers: deterministic demo customers (`--customers`, default 250; `--seed`), listed as WooCommerce
  lists them: `page`, `per_page` (1 to 100, default 10), `orderby` (id, name, registered_date; default
  name), `order`, `role` (default `customer`; `all` for every role), `search`, `email`, with the
  `X-WP-Total`, `X-WP-TotalPages` and `Link` headers; `GET /customers/{id}` too.
- Auth as the real server does it: over plain http, one-legged OAuth 1.0a in the query string
  (HMAC-SHA1 or HMAC-SHA256 verified by oauthlib, timestamp within 15 minutes, each nonce once);
  HTTP Basic with the consumer key and secret (the real server takes it over https only; this
  loopback fake takes it too, as a local https terminator would pass it on). Failures answer
  WooCommerce's 401 error body.
- Fault switches, for the next N API requests: `429` (with Retry-After), `500`/`502`/`503`/`504`,
  `html` (a 200 HTML page, as a caching plugin or WAF answers), `garbage` (invalid JSON), `slow`
  (answers after `delay` seconds), `drop` (closes the connection without answering: a lost answer),
  `huge` (a 10 MB JSON answer). Set them with `POST /_fake/faults` `{"kind", "times", "retry_after",
  "delay"}` or `FakeWooCommerce.fail_next(...)`; `GET /_fake/requests` counts the API requests.

Run it beside `make serve`: `make fake-woocommerce` (or `python -m localdev.fakes.woocommerce`).
"""

from __future__ import annotations

import argparse
import base64
import hmac
import json
import math
import random
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from oauthlib.oauth1 import Client as OAuthClient
from oauthlib.oauth1.rfc5849 import signature
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

API = "/wp-json/wc/v3"
DEFAULT_KEY = "ck_fake_0123456789abcdef0123456789abcdef"
DEFAULT_SECRET = "cs_fake_0123456789abcdef0123456789abcdef"
TIMESTAMP_WINDOW_S = 15 * 60
HUGE_BYTES = 10 * 1024 * 1024

_FIRST = [
    "Olivia",
    "Jack",
    "Charlotte",
    "Noah",
    "Amelia",
    "William",
    "Isla",
    "Oliver",
    "Mia",
    "Leo",
    "Ava",
    "Henry",
    "Grace",
    "Thomas",
    "Chloe",
    "Lucas",
    "Zoe",
    "Ethan",
    "Ruby",
    "James",
]
_LAST = [
    "Smith",
    "Jones",
    "Williams",
    "Brown",
    "Wilson",
    "Taylor",
    "Nguyen",
    "Johnson",
    "Martin",
    "White",
    "Anderson",
    "Walker",
    "Thompson",
    "Harris",
    "Lee",
    "Ryan",
    "Robinson",
    "Kelly",
    "King",
    "Campbell",
]
_COMPANIES = [
    "",
    "",
    "",
    "Harbour Freight Co",
    "Bondi Outfitters",
    "Red Gum Cafe",
    "Coastal Supplies Pty Ltd",
    "Southern Cross Trading",
    "Blue Wren Studio",
]
_PLACES = [
    ("Sydney", "NSW", "2000"),
    ("Melbourne", "VIC", "3000"),
    ("Brisbane", "QLD", "4000"),
    ("Perth", "WA", "6000"),
    ("Adelaide", "SA", "5000"),
    ("Hobart", "TAS", "7000"),
    ("Canberra", "ACT", "2600"),
    ("Newcastle", "NSW", "2300"),
]
_STREETS = [
    "George Street",
    "Collins Street",
    "Queen Street",
    "Hay Street",
    "King William Street",
    "Elizabeth Street",
    "Northbourne Avenue",
    "Hunter Street",
]


def demo_customers(count: int, seed: int = 3) -> list[dict[str, Any]]:
    """`count` realistic customers, the same for the same seed: ids 1.., roles mostly `customer`."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    customers = []
    for woo_id in range(1, count + 1):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        company = rng.choice(_COMPANIES)
        city, state, postcode = rng.choice(_PLACES)
        street = f"{rng.randint(1, 400)} {rng.choice(_STREETS)}"
        email = f"{first.lower()}.{last.lower()}{woo_id}@example.com"
        created = start + timedelta(hours=woo_id * 7)
        modified = created + timedelta(days=rng.randint(0, 300))
        billing = {
            "first_name": first,
            "last_name": last,
            "company": company,
            "address_1": street,
            "address_2": "",
            "city": city,
            "state": state,
            "postcode": postcode,
            "country": "AU",
            "email": email,
            "phone": f"+614{rng.randint(10_000_000, 99_999_999)}",
        }
        ships_elsewhere = rng.random() < 0.3
        shipping = {name: value for name, value in billing.items() if name not in {"email", "phone"}}
        if ships_elsewhere:
            other_city, other_state, other_postcode = rng.choice(_PLACES)
            shipping.update(
                address_1=f"{rng.randint(1, 400)} {rng.choice(_STREETS)}",
                city=other_city,
                state=other_state,
                postcode=other_postcode,
            )
        if rng.random() < 0.1:  # some never entered a shipping address
            shipping = {name: "" for name in shipping}
        customers.append(
            {
                "id": woo_id,
                "date_created": created.strftime("%Y-%m-%dT%H:%M:%S"),
                "date_created_gmt": created.strftime("%Y-%m-%dT%H:%M:%S"),
                "date_modified": modified.strftime("%Y-%m-%dT%H:%M:%S"),
                "date_modified_gmt": modified.strftime("%Y-%m-%dT%H:%M:%S"),
                "email": email,
                "first_name": first,
                "last_name": last,
                "role": "subscriber" if rng.random() < 0.15 else "customer",
                "username": f"{first.lower()}{woo_id}",
                "billing": billing,
                "shipping": shipping,
                "is_paying_customer": rng.random() < 0.6,
                "avatar_url": "https://secure.gravatar.com/avatar/?s=96&d=mm&r=g",
                "meta_data": [],
            }
        )
    return customers


@dataclass
class Fault:
    kind: str
    retry_after: int | None = None
    delay: float = 0.0


@dataclass
class FakeState:
    customers: list[dict[str, Any]]
    consumer_key: str = DEFAULT_KEY
    consumer_secret: str = DEFAULT_SECRET
    faults: deque[Fault] = field(default_factory=deque)
    nonces: set[str] = field(default_factory=set)
    api_requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _error(code: str, message: str, status: int) -> Response:
    body = {"code": code, "message": message, "data": {"status": status}}
    return Response(json.dumps(body), status=status, content_type="application/json; charset=UTF-8")


def _oauth_ok(state: FakeState, request: Request) -> bool:
    args = request.args
    if args.get("oauth_consumer_key") != state.consumer_key:
        return False
    method = args.get("oauth_signature_method", "")
    try:
        timestamp = int(args.get("oauth_timestamp", ""))
    except ValueError:
        return False
    nonce = args.get("oauth_nonce", "")
    if not nonce or abs(time.time() - timestamp) > TIMESTAMP_WINDOW_S:
        return False
    signers: dict[str, Callable[[str, OAuthClient], str]] = {
        "HMAC-SHA1": signature.sign_hmac_sha1_with_client,
        "HMAC-SHA256": signature.sign_hmac_sha256_with_client,
    }
    signer = signers.get(method)
    if signer is None:
        return False
    if request.method != "GET":  # the only method this fake serves
        return False
    params = [(name, value) for name, value in args.items(multi=True) if name != "oauth_signature"]
    # oauthlib takes the (possibly repeated) parameters as pairs; its stubs say dict.
    normalized = signature.normalize_parameters(cast("dict[str, str]", params))
    base_string = signature.signature_base_string("GET", signature.base_string_uri(request.base_url), normalized)
    expected = signer(base_string, OAuthClient(state.consumer_key, client_secret=state.consumer_secret))
    if not hmac.compare_digest(expected, args.get("oauth_signature", "")):
        return False
    with state.lock:  # each nonce once (with its timestamp), as WooCommerce keeps them
        if f"{timestamp}:{nonce}" in state.nonces:
            return False
        state.nonces.add(f"{timestamp}:{nonce}")
    return True


def _basic_ok(state: FakeState, request: Request) -> bool:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("basic "):
        return False
    try:
        key, _, secret = base64.b64decode(header[6:]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return False
    return hmac.compare_digest(key, state.consumer_key) and hmac.compare_digest(secret, state.consumer_secret)


def _page(state: FakeState, request: Request) -> Response:
    args = request.args
    try:
        page = int(args.get("page", "1"))
        per_page = int(args.get("per_page", "10"))
    except ValueError:
        return _error("rest_invalid_param", "Invalid parameter(s): page, per_page", 400)
    if page < 1 or not 1 <= per_page <= 100:
        return _error("rest_invalid_param", "Invalid parameter(s): per_page", 400)
    role = args.get("role", "customer")
    found = [c for c in state.customers if role == "all" or c["role"] == role]
    if "search" in args:
        needle = args["search"].lower()
        names = ("email", "username", "first_name", "last_name")
        found = [c for c in found if any(needle in str(c[name]).lower() for name in names)]
    if "email" in args:
        found = [c for c in found if c["email"] == args["email"]]
    orderby = args.get("orderby", "name")
    sort_key = {"id": lambda c: c["id"], "registered_date": lambda c: c["date_created_gmt"]}.get(
        orderby, lambda c: c["username"]
    )
    found.sort(key=sort_key, reverse=args.get("order", "asc") == "desc")
    total = len(found)
    pages = math.ceil(total / per_page) if total else 0
    chunk = found[(page - 1) * per_page : page * per_page]
    response = Response(json.dumps(chunk), content_type="application/json; charset=UTF-8")
    response.headers["X-WP-Total"] = str(total)
    response.headers["X-WP-TotalPages"] = str(pages)
    links = []
    base = request.base_url
    if page > 1:
        links.append(f'<{base}?page={page - 1}&per_page={per_page}>; rel="prev"')
    if page < pages:
        links.append(f'<{base}?page={page + 1}&per_page={per_page}>; rel="next"')
    if links:
        response.headers["Link"] = ", ".join(links)
    return response


def _fault_response(fault: Fault, request: Request) -> Response | None:
    if fault.kind == "429":
        response = Response(
            json.dumps({"code": "too_many_requests", "message": "Too many requests", "data": {"status": 429}}),
            status=429,
            content_type="application/json",
        )
        if fault.retry_after is not None:
            response.headers["Retry-After"] = str(fault.retry_after)
        return response
    if fault.kind in {"500", "502", "503", "504"}:
        status = int(fault.kind)
        return Response(f"<html><body><h1>{status}</h1></body></html>", status=status, content_type="text/html")
    if fault.kind == "html":
        return Response("<!DOCTYPE html><html><body>Checking your browser…</body></html>", content_type="text/html")
    if fault.kind == "garbage":
        return Response('[{"id": 1, "email": ', content_type="application/json")
    if fault.kind == "huge":
        filler = json.dumps([{"id": n, "email": "x" * 1000} for n in range(1, HUGE_BYTES // 1000 + 2)])
        return Response(filler, content_type="application/json")
    if fault.kind == "slow":
        time.sleep(fault.delay)
        return None
    if fault.kind == "drop":
        connection = request.environ.get("werkzeug.socket")
        if isinstance(connection, socket.socket):
            connection.shutdown(socket.SHUT_RDWR)
        return Response("", status=500)
    return None


def application(state: FakeState) -> Any:
    """The WSGI app serving `state`."""

    @Request.application
    def app(request: Request) -> Response:
        if request.path == "/_fake/faults" and request.method == "POST":
            spec = request.get_json(force=True)
            times = int(spec.get("times", 1))
            fault = Fault(str(spec["kind"]), spec.get("retry_after"), float(spec.get("delay", 0)))
            with state.lock:
                state.faults.extend([fault] * times)
            return Response(json.dumps({"queued": times}), content_type="application/json")
        if request.path == "/_fake/requests":
            return Response(json.dumps({"api_requests": state.api_requests}), content_type="application/json")
        if not request.path.startswith(API + "/"):
            return _error("rest_no_route", "No route was found matching the URL and request method.", 404)
        with state.lock:
            state.api_requests += 1
            next_fault = state.faults.popleft() if state.faults else None
        if next_fault is not None:
            answered = _fault_response(next_fault, request)
            if answered is not None:
                return answered
        if not (_basic_ok(state, request) or _oauth_ok(state, request)):
            message = "Invalid signature - provided signature does not match."
            return _error("woocommerce_rest_authentication_error", message, 401)
        resource = request.path[len(API) :]
        if resource == "/customers" and request.method == "GET":
            return _page(state, request)
        if resource.startswith("/customers/") and request.method == "GET":
            wanted = resource.removeprefix("/customers/")
            match = next((c for c in state.customers if str(c["id"]) == wanted), None)
            if match is None:
                return _error("woocommerce_rest_invalid_id", "Invalid resource ID.", 404)
            return Response(json.dumps(match), content_type="application/json; charset=UTF-8")
        return _error("rest_no_route", "No route was found matching the URL and request method.", 404)

    return app


class _QuietHandler(WSGIRequestHandler):
    """No access log: the OAuth-signed query strings (credentials' signatures) stay out of the output."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return


class FakeWooCommerce:
    """The fake in a background thread: `with FakeWooCommerce() as fake: fake.base_url ...`."""

    def __init__(self, customers: int = 250, seed: int = 3, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = FakeState(customers=demo_customers(customers, seed))
        self._server: BaseWSGIServer = make_server(
            host, port, application(self.state), threaded=True, request_handler=_QuietHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-woocommerce", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://{self._server.host}:{self._server.port}"

    @property
    def credentials(self) -> dict[str, str]:
        return {"consumer_key": self.state.consumer_key, "consumer_secret": self.state.consumer_secret}

    def fail_next(self, kind: str, times: int = 1, retry_after: int | None = None, delay: float = 0.0) -> None:
        with self.state.lock:
            self.state.faults.extend([Fault(kind, retry_after, delay)] * times)

    def start(self) -> FakeWooCommerce:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeWooCommerce:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localdev.fakes.woocommerce", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--customers", type=int, default=250)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args(argv)
    fake = FakeWooCommerce(args.customers, args.seed, port=args.port)
    print(f"fake WooCommerce at {fake.base_url} ({args.customers} customers)", flush=True)
    print(f'credentials: {{"consumer_key": "{DEFAULT_KEY}", "consumer_secret": "{DEFAULT_SECRET}"}}', flush=True)
    try:
        fake._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        fake._server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
